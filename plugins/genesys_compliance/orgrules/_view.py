"""A cached, read-only view of the org for the org-stage rules."""

from __future__ import annotations

from functools import cached_property

from genesys_compliance.client import GenesysClient
from genesys_compliance.errors import NotFoundError


class OrgView:
    """Read-only, cached facts about the org that the org-stage rules compare against."""

    def __init__(self, client: GenesysClient) -> None:
        self.client = client
        self._users: dict[str, bool] = {}
        self._available: dict[str, int | None] = {}

    @cached_property
    def queue_ids(self) -> frozenset[str]:
        """Every queue id on the org (one paged listing)."""
        return frozenset(str(q["id"]) for q in self.client.list_queues())

    @cached_property
    def flow_ids(self) -> frozenset[str]:
        """Every Architect flow id on the org."""
        return frozenset(str(f["id"]) for f in self.client.list_flows())

    @cached_property
    def template_ids(self) -> frozenset[str]:
        """Every agent-assist template id on the org."""
        return frozenset(str(t["id"]) for t in self.client.list_assist_templates())

    @cached_property
    def licences(self) -> int:
        """Licences the org holds, summed over licence types."""
        return self.client.licence_count()

    def user_exists(self, user_id: str) -> bool:
        """Whether the user exists; asked once per user id."""
        if user_id not in self._users:
            try:
                self.client.get_user_preferences(user_id)
                self._users[user_id] = True
            except NotFoundError:
                self._users[user_id] = False
        return self._users[user_id]

    def available_agents(self, queue_id: str) -> int | None:
        """Agents available on the queue now; ``None`` when the org reports no figure."""
        if queue_id not in self._available:
            self._available[queue_id] = self.client.available_agents(queue_id)
        return self._available[queue_id]
