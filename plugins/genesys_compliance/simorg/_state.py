"""The simulated org's mutable state and the public views of its entities."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from genesys_compliance.simorg._seed import OrgSeed

__all__ = ["OAuthClient", "OrgState"]


@dataclass(frozen=True)
class OAuthClient:
    """An OAuth client the token endpoint knows."""

    id: str
    name: str
    secret: str = field(repr=False)
    scopes: frozenset[str]


@dataclass
class OrgState:
    """Everything the org stores, keyed by id in insertion order (listing order).

    Entities are kept in their public shape; the few internal facts (live
    agent counts, strategies) sit in their own maps.
    """

    org_id: str
    org_name: str
    licences: list[dict[str, Any]]
    clients: dict[str, OAuthClient]
    queues: dict[str, dict[str, Any]]
    realtime: dict[str, dict[str, int]]
    strategies: dict[str, dict[str, Any]]
    users: dict[str, dict[str, Any]]
    flows: dict[str, dict[str, Any]]
    layouts: dict[str, dict[str, Any]]
    templates: dict[str, dict[str, Any]]
    trigger_rules: dict[str, dict[str, Any]]
    routing_rules: dict[str, dict[str, Any]]
    audits: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_seed(cls, seed: OrgSeed) -> OrgState:
        """A fresh state: every org built from one seed starts equal and stays apart."""
        queues: dict[str, dict[str, Any]] = {}
        realtime: dict[str, dict[str, int]] = {}
        strategies: dict[str, dict[str, Any]] = {}
        for queue in seed.entities("queues"):
            qid = str(queue["id"])
            realtime[qid] = {k: int(v) for k, v in (queue.pop("realtime", None) or {}).items()}
            seeded = queue.pop("strategies", None) or {}
            strategies[qid] = {
                "version": int(seeded.get("version", 1)),
                "items": list(seeded.get("items", [])),
            }
            queues[qid] = queue
        clients = {
            str(c["id"]): OAuthClient(
                id=str(c["id"]),
                name=str(c.get("name", c["id"])),
                secret=str(c["secret"]),
                scopes=frozenset(str(s) for s in c["scopes"]),
            )
            for c in seed.entities("oauthClients")
        }
        return cls(
            org_id=str(seed.org["id"]),
            org_name=str(seed.org.get("name", "")),
            licences=seed.entities("licences"),
            clients=clients,
            queues=queues,
            realtime=realtime,
            strategies=strategies,
            users=_by_id(seed.entities("users")),
            flows=_by_id(seed.entities("flows")),
            layouts=_by_id(seed.entities("layouts")),
            templates=_by_id(seed.entities("templates")),
            trigger_rules=_by_id(seed.entities("triggerRules")),
            routing_rules=_by_id(seed.entities("routingRules")),
        )

    def snapshot(self) -> dict[str, Any]:
        """A deep copy of the state for assertions (secrets left out)."""
        data = {k: copy.deepcopy(v) for k, v in vars(self).items() if k != "clients"}
        data["clients"] = sorted(self.clients)
        return data


def _by_id(entities: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(e["id"]): e for e in entities}
