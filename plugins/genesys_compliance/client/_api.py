"""Typed calls per configuration kind, and one generic resource interface, over the contract.

The generic interface (:meth:`GenesysClient.resources`) is built from the
contract's resource table, so every kind is read and written the same way:
plan and apply never name a kind's operations, tokens or containers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from genesys_compliance.client._client import BaseClient
from genesys_compliance.client._paging import JsonObject
from genesys_compliance.client._resources import ResourceClient
from genesys_compliance.errors import ApiError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

__all__ = ["GenesysClient"]


class GenesysClient(BaseClient):
    """The Genesys Cloud API as the five configuration kinds use it.

    Reads return decoded JSON objects shaped as the contract documents them;
    listings are generators that page lazily. Writes send the body they are
    given: versions and etags are the caller's to read first, because the
    client must never guess its way past a conflict.
    """

    # ------------------------------------------------------------ any kind
    def resources(self, kind: str) -> ResourceClient:
        """The generic list/get/create/update/delete of one kind's resources.

        Raises:
            KeyError: The contract's resource table has no such kind.
        """
        return ResourceClient(self, self.contract.resources[kind])

    def _get(self, kind: str, resource_id: str) -> JsonObject:
        resources = self.resources(kind)
        return resources.get(resources.key(resource_id)).body

    # ------------------------------------------------------------ DesktopLayout
    def list_layouts(self, *, page_size: int = 100) -> Iterator[JsonObject]:
        """Every desktop layout."""
        return self.iter_entities("listDesktopLayouts", page_size=page_size)

    def get_layout(self, layout_id: str) -> JsonObject:
        """One desktop layout, with its ``version``."""
        return self._get("DesktopLayout", layout_id)

    def create_layout(self, layout: Mapping[str, Any]) -> JsonObject:
        """Create a layout; the answer carries its new id and version 1."""
        return _object(self.call("createDesktopLayout", json_body=dict(layout)))

    def update_layout(self, layout_id: str, layout: Mapping[str, Any]) -> JsonObject:
        """Replace a layout; ``layout["version"]`` must be the current one (409 otherwise)."""
        return _object(
            self.call(
                "updateDesktopLayout", path_params={"layoutId": layout_id}, json_body=dict(layout)
            )
        )

    def get_user_preferences(self, user_id: str) -> JsonObject:
        """A user's preferences, for ``inheritance: user-preference``."""
        return _object(self.call("getUserPreferences", path_params={"userId": user_id}))

    # ------------------------------------------------------------ FlowSettings
    def list_flows(self, *, name: str | None = None, page_size: int = 100) -> Iterator[JsonObject]:
        """Every flow, or those whose name matches (``*`` is a wildcard)."""
        params = {"name": name} if name else None
        return self.iter_entities("listFlows", params=params, page_size=page_size)

    def get_flow(self, flow_id: str) -> JsonObject:
        """One flow with its settings and ``version``."""
        return self._get("FlowSettings", flow_id)

    def patch_flow_settings(self, flow_id: str, settings: Mapping[str, Any]) -> JsonObject:
        """Replace a flow's settings; ``settings["version"]`` must be current (409 otherwise)."""
        return _object(
            self.call(
                "patchFlowSettings", path_params={"flowId": flow_id}, json_body=dict(settings)
            )
        )

    def reload_flows(self, org_id: str) -> JsonObject:
        """Ask the org to reload flow settings; answers with the queued reload."""
        return _object(self.call("reloadFlows", json_body={"orgId": org_id}))

    # ------------------------------------------------------------ RoutingStrategy
    def list_queues(self, *, name: str | None = None, page_size: int = 100) -> Iterator[JsonObject]:
        """Every queue, or those whose name matches (``*`` is a wildcard)."""
        params = {"name": name} if name else None
        return self.iter_entities("listQueues", params=params, page_size=page_size)

    def get_queue(self, queue_id: str) -> JsonObject:
        """One queue."""
        return _object(self.call("getQueue", path_params={"queueId": queue_id}))

    def get_queue_strategies(self, queue_id: str) -> JsonObject:
        """A queue's strategies (one per media type) and their shared ``version``."""
        return _object(self.call("getQueueStrategies", path_params={"queueId": queue_id}))

    def patch_queue_strategies(
        self, queue_id: str, strategies: Sequence[Mapping[str, Any]], *, version: int | str
    ) -> JsonObject:
        """Upsert strategies by media type under ``If-Match: <version>`` (409 when stale)."""
        return _object(
            self.call(
                "patchQueueStrategies",
                path_params={"queueId": queue_id},
                json_body={"strategies": [dict(s) for s in strategies]},
                headers={"If-Match": str(version)},
            )
        )

    def query_entitlements(self, license_types: Sequence[str] | None = None) -> JsonObject:
        """Licence counts, optionally of some licence types only."""
        body: dict[str, Any] = {}
        if license_types:
            body["filters"] = [{"name": "licenseType", "op": "in", "values": list(license_types)}]
        return _object(self.call("queryEntitlements", json_body=body))

    def licence_count(self, license_types: Sequence[str] | None = None) -> int:
        """Total licences of the given types (all types when omitted)."""
        results = self.query_entitlements(license_types).get("results", [])
        return sum(int(r.get("count", 0)) for r in results if isinstance(r, dict))

    def query_queue_realtime(
        self, queue_ids: Sequence[str], metrics: Sequence[str] = ("availableAgents",)
    ) -> JsonObject:
        """Real-time observations of queues; unknown queues are absent from the results."""
        body = {
            "filter": {
                "type": "or",
                "predicates": [{"dimension": "queueId", "value": q} for q in queue_ids],
            },
            "metrics": list(metrics),
        }
        return _object(self.call("queryQueueRealtime", json_body=body))

    def available_agents(self, queue_id: str) -> int | None:
        """Agents available on a queue now, or ``None`` when the org reports none for it."""
        for result in self.query_queue_realtime([queue_id]).get("results", []):
            if result.get("group", {}).get("queueId") == queue_id:
                value = result.get("metrics", {}).get("availableAgents")
                return int(value) if value is not None else None
        return None

    # ------------------------------------------------------------ TriggerRule
    def list_trigger_rules(self, *, page_size: int = 100) -> Iterator[JsonObject]:
        """Every agent-assist trigger rule."""
        return self.iter_entities("listTriggerRules", page_size=page_size)

    def get_trigger_rule(self, rule_id: str) -> JsonObject:
        """One trigger rule, with its ``etag``."""
        return self._get("TriggerRule", rule_id)

    def create_trigger_rule(self, rule: Mapping[str, Any]) -> JsonObject:
        """Create a trigger rule; the answer carries its id and etag."""
        return _object(self.call("createTriggerRule", json_body=dict(rule)))

    def update_trigger_rule(
        self, rule_id: str, rule: Mapping[str, Any], *, etag: str
    ) -> JsonObject:
        """Replace a trigger rule under ``If-Match: <etag>`` (412 when stale)."""
        rules = self.resources("TriggerRule")
        return rules.update(rules.key(rule_id), rule, token=etag).body

    def list_assist_templates(self, *, page_size: int = 100) -> Iterator[JsonObject]:
        """Every agent-assist template (what ``templateId`` may name)."""
        return self.iter_entities("listAssistTemplates", page_size=page_size)

    # ------------------------------------------------------------ RoutingRule
    def list_routing_rules(
        self, *, queue_id: str | None = None, page_size: int = 100
    ) -> Iterator[JsonObject]:
        """Every routing rule, or a queue's."""
        params = {"queueId": queue_id} if queue_id else None
        return self.iter_entities("listRoutingRules", params=params, page_size=page_size)

    def get_routing_rule(self, rule_id: str) -> JsonObject:
        """One routing rule, with its ``version``."""
        return self._get("RoutingRule", rule_id)

    def create_routing_rule(self, queue_id: str, rule: Mapping[str, Any]) -> JsonObject:
        """Create a rule in a queue (409 when the name is taken there)."""
        body = {**rule, "queue": {"id": queue_id}}
        return _object(self.call("createRoutingRule", json_body=body))

    def patch_routing_rule(self, rule_id: str, rule: Mapping[str, Any]) -> JsonObject:
        """Replace a rule; ``rule["version"]`` must be current (409 otherwise)."""
        return _object(
            self.call("patchRoutingRule", path_params={"ruleId": rule_id}, json_body=dict(rule))
        )

    def delete_routing_rule(self, rule_id: str) -> None:
        """Delete a rule."""
        self.request("deleteRoutingRule", path_params={"ruleId": rule_id})

    # ------------------------------------------------------------ the org itself
    def get_organization(self) -> JsonObject:
        """The org the token belongs to (``id``, ``name``): who the audit log says was changed."""
        return _object(self.call("getOrganizationsMe"))

    # ------------------------------------------------------------ Audit
    def query_audits(
        self, *, filters: Sequence[Mapping[str, Any]] | None = None, page_size: int = 100
    ) -> Iterator[JsonObject]:
        """Audit records, oldest first, following ``pageToken`` to the end."""
        body: dict[str, Any] = {"pageSize": page_size}
        if filters:
            body["filters"] = [dict(f) for f in filters]
        seen: set[str] = set()
        while True:
            result = _object(self.call("queryAudits", json_body=body))
            yield from (r for r in result.get("results", []) if isinstance(r, dict))
            token = result.get("pageToken")
            if not token or token in seen:
                return
            seen.add(token)
            body = {**body, "pageToken": token}


def _object(value: Any) -> JsonObject:
    if not isinstance(value, dict):
        raise ApiError(f"expected a JSON object, got {type(value).__name__}")
    return value
