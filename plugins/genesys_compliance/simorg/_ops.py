"""What each contract operation does to the simulated org's state."""

from __future__ import annotations

import base64
import copy
import fnmatch
import math
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from genesys_compliance.simorg._replies import Reply, RequestRejectedError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import httpx

    from genesys_compliance.contract import Contract
    from genesys_compliance.simorg._audit import AuditTrail
    from genesys_compliance.simorg._state import OrgState

__all__ = ["Call", "Operations"]

_DEFAULT_PAGE_SIZE = 25
_AUDIT_FIELDS = ("entityType", "entityId", "action", "clientId", "correlationId")


@dataclass(frozen=True)
class Call:
    """One authenticated, contract-valid request, as an operation sees it."""

    request: httpx.Request
    operation_id: str
    path_params: Mapping[str, str]
    body: Any
    client_id: str
    correlation_id: str

    def query(self, name: str) -> str | None:
        """A query parameter's value."""
        value = self.request.url.params.get(name)
        return None if value is None else str(value)


class Operations:
    """The org's behaviour, one method per ``operationId``.

    Every method runs under the handler's lock and sees a request the
    contract already accepted, so it only checks what a schema cannot:
    existence, versions, uniqueness, references.
    """

    def __init__(
        self,
        state: OrgState,
        contract: Contract,
        timestamp: Callable[[], str],
        trail: AuditTrail,
    ) -> None:
        self.state = state
        self._contract = contract
        self._timestamp = timestamp
        self._trail = trail

    def dispatch(self, call: Call) -> Reply:
        """Run the operation named by the call."""
        method: Callable[[Call], Reply] | None = getattr(self, f"op_{call.operation_id}", None)
        if method is None:
            raise RequestRejectedError(
                501, "not.implemented", "The simulated org does not implement this."
            )
        return method(call)

    # ------------------------------------------------------------ desktop layouts
    def op_listDesktopLayouts(self, call: Call) -> Reply:  # noqa: N802 - operationId
        """List layouts."""
        views = [
            self._self_uri("getDesktopLayout", "layoutId", e) for e in self.state.layouts.values()
        ]
        return Reply(200, self._page(call, views))

    def op_getDesktopLayout(self, call: Call) -> Reply:  # noqa: N802
        """Read one layout."""
        layout = _find(self.state.layouts, call.path_params["layoutId"], "layout")
        return Reply(200, self._self_uri("getDesktopLayout", "layoutId", layout))

    def op_createDesktopLayout(self, call: Call) -> Reply:  # noqa: N802
        """Create a layout at version 1 under a new id."""
        layout = {k: v for k, v in call.body.items() if k != "version"}
        layout.update(id=str(uuid.uuid4()), version=1, modifiedDate=self._timestamp())
        self.state.layouts[layout["id"]] = layout
        self._audit(call, "create", "layouts", layout["id"], 1, None, layout)
        return Reply(201, self._self_uri("getDesktopLayout", "layoutId", layout))

    def op_updateDesktopLayout(self, call: Call) -> Reply:  # noqa: N802
        """Replace a layout if the body's version is current."""
        layout_id = call.path_params["layoutId"]
        current = _find(self.state.layouts, layout_id, "layout")
        _check_version(call.body["version"], current["version"], "layout")
        layout = {k: v for k, v in call.body.items() if k != "version"}
        layout.update(id=layout_id, version=current["version"] + 1, modifiedDate=self._timestamp())
        self.state.layouts[layout_id] = layout
        self._audit(call, "update", "layouts", layout_id, layout["version"], current, layout)
        return Reply(200, self._self_uri("getDesktopLayout", "layoutId", layout))

    def op_getUserPreferences(self, call: Call) -> Reply:  # noqa: N802
        """Read a user's preferences."""
        user = _find(self.state.users, call.path_params["userId"], "user")
        return Reply(200, self._self_uri("getUserPreferences", "userId", user))

    # ------------------------------------------------------------ flows
    def op_listFlows(self, call: Call) -> Reply:  # noqa: N802
        """List flows, filtered by name."""
        flows = _named(self.state.flows.values(), call.query("name"))
        views = [self._self_uri("getFlow", "flowId", f) for f in flows]
        return Reply(200, self._page(call, views))

    def op_getFlow(self, call: Call) -> Reply:  # noqa: N802
        """Read one flow."""
        flow = _find(self.state.flows, call.path_params["flowId"], "flow")
        return Reply(200, self._self_uri("getFlow", "flowId", flow))

    def op_patchFlowSettings(self, call: Call) -> Reply:  # noqa: N802
        """Replace a flow's settings if the body's version is current."""
        flow_id = call.path_params["flowId"]
        flow = _find(self.state.flows, flow_id, "flow")
        body = call.body
        if body["flowId"] != flow_id:
            raise _invalid(
                "flowId", "The body's flowId {value} is not the flow in the path.", body["flowId"]
            )
        if body["orgId"] != self.state.org_id:
            raise _invalid("orgId", "The body's orgId {value} is not this org.", body["orgId"])
        _check_version(body["version"], flow["version"], "flow")
        before = copy.deepcopy(flow)
        flow.update(
            settings=body["settings"], version=flow["version"] + 1, modifiedDate=self._timestamp()
        )
        self._audit(call, "update", "flows", flow_id, flow["version"], before, flow)
        return Reply(200, self._self_uri("getFlow", "flowId", flow))

    def op_reloadFlows(self, call: Call) -> Reply:  # noqa: N802
        """Queue a reload of the org's flow settings."""
        if call.body["orgId"] != self.state.org_id:
            raise _invalid("orgId", "The body's orgId {value} is not this org.", call.body["orgId"])
        self._audit(call, "reload", "flows", self.state.org_id, None, None, None)
        return Reply(
            202, {"id": str(uuid.uuid4()), "status": "accepted", "orgId": self.state.org_id}
        )

    # ------------------------------------------------------------ queues and strategies
    def op_listQueues(self, call: Call) -> Reply:  # noqa: N802
        """List queues, filtered by name."""
        queues = _named(self.state.queues.values(), call.query("name"))
        views = [self._self_uri("getQueue", "queueId", q) for q in queues]
        return Reply(200, self._page(call, views))

    def op_getQueue(self, call: Call) -> Reply:  # noqa: N802
        """Read one queue."""
        queue = _find(self.state.queues, call.path_params["queueId"], "queue")
        return Reply(200, self._self_uri("getQueue", "queueId", queue))

    def op_getQueueStrategies(self, call: Call) -> Reply:  # noqa: N802
        """Read a queue's strategies and their version."""
        queue_id = call.path_params["queueId"]
        _find(self.state.queues, queue_id, "queue")
        return self._strategies_reply(queue_id)

    def op_patchQueueStrategies(self, call: Call) -> Reply:  # noqa: N802
        """Upsert strategies by media type if ``If-Match`` names the current version."""
        queue_id = call.path_params["queueId"]
        _find(self.state.queues, queue_id, "queue")
        stored = self.state.strategies[queue_id]
        if_match = _unquote_etag(call.request.headers["if-match"])
        if if_match != str(stored["version"]):
            raise RequestRejectedError(
                409,
                "version.mismatch",
                "If-Match {sent} is stale; the strategies are at version {current}.",
                {"sent": if_match, "current": str(stored["version"])},
            )
        media = [s["mediaType"] for s in call.body["strategies"]]
        repeated = sorted({m for m in media if media.count(m) > 1})
        if repeated:
            raise _invalid("strategies", "Media type {value} appears twice.", repeated[0])
        before = {"strategies": copy.deepcopy(stored["items"])}
        by_media = {s["mediaType"]: s for s in stored["items"]}
        by_media.update({s["mediaType"]: s for s in call.body["strategies"]})
        stored["items"] = list(by_media.values())
        stored["version"] += 1
        after = {"strategies": stored["items"]}
        self._audit(call, "update", "strategies", queue_id, stored["version"], before, after)
        return self._strategies_reply(queue_id)

    def op_queryEntitlements(self, call: Call) -> Reply:  # noqa: N802
        """Licence counts, filtered by licence type."""
        wanted = _filter_values(call.body.get("filters", []), ("licenseType",))
        results = [
            {"licenseType": str(lic.get("licenseType", "")), "count": int(lic["count"])}
            for lic in self.state.licences
            if "licenseType" not in wanted or lic.get("licenseType") in wanted["licenseType"]
        ]
        return Reply(200, {"results": results, "total": len(results)})

    def op_queryQueueRealtime(self, call: Call) -> Reply:  # noqa: N802
        """Live observations of the queues named by the predicates."""
        query = call.body["filter"]
        ids = [p["value"] for p in query["predicates"]]
        if query["type"] == "and" and len(set(ids)) > 1:
            ids = []  # one queue cannot have two ids
        metrics = call.body.get("metrics") or [
            "availableAgents",
            "onQueueAgents",
            "waitingInteractions",
        ]
        results = []
        for queue_id in dict.fromkeys(ids):
            if queue_id in self.state.queues:
                live = self.state.realtime.get(queue_id, {})
                results.append(
                    {
                        "group": {"queueId": queue_id},
                        "metrics": {m: int(live.get(m, 0)) for m in metrics},
                    }
                )
        return Reply(200, {"results": results})

    # ------------------------------------------------------------ agent assist
    def op_listTriggerRules(self, call: Call) -> Reply:  # noqa: N802
        """List trigger rules."""
        views = [
            self._self_uri("getTriggerRule", "ruleId", r) for r in self.state.trigger_rules.values()
        ]
        return Reply(200, self._page(call, views))

    def op_getTriggerRule(self, call: Call) -> Reply:  # noqa: N802
        """Read a trigger rule; ``ETag`` repeats its etag."""
        rule = _find(self.state.trigger_rules, call.path_params["ruleId"], "trigger rule")
        return Reply(200, self._self_uri("getTriggerRule", "ruleId", rule), _etag(rule["etag"]))

    def op_createTriggerRule(self, call: Call) -> Reply:  # noqa: N802
        """Create a trigger rule under the body's id (or a new one) at etag 1."""
        rule_id = str(call.body.get("id") or uuid.uuid4())
        if rule_id in self.state.trigger_rules:
            raise RequestRejectedError(
                409, "duplicate.id", "A trigger rule with id {id} exists.", {"id": rule_id}
            )
        self._check_templates(call.body)
        rule = {k: v for k, v in call.body.items() if k != "etag"}
        rule.update(id=rule_id, etag="1")
        self.state.trigger_rules[rule_id] = rule
        self._audit(call, "create", "triggerRules", rule_id, "1", None, rule)
        return Reply(201, self._self_uri("getTriggerRule", "ruleId", rule), _etag("1"))

    def op_updateTriggerRule(self, call: Call) -> Reply:  # noqa: N802
        """Replace a trigger rule if ``If-Match`` names its current etag (412 otherwise)."""
        rule_id = call.path_params["ruleId"]
        current = _find(self.state.trigger_rules, rule_id, "trigger rule")
        if call.body.get("id", rule_id) != rule_id:
            raise _invalid(
                "id", "The body's id {value} is not the rule in the path.", call.body["id"]
            )
        sent = _unquote_etag(call.request.headers["if-match"])
        if sent != current["etag"]:
            raise RequestRejectedError(
                412,
                "precondition.failed",
                "If-Match {sent} is stale; the rule's etag is {current}.",
                {"sent": sent, "current": current["etag"]},
            )
        self._check_templates(call.body)
        rule = {k: v for k, v in call.body.items() if k != "etag"}
        rule.update(id=rule_id, etag=str(int(current["etag"]) + 1))
        self.state.trigger_rules[rule_id] = rule
        self._audit(call, "update", "triggerRules", rule_id, rule["etag"], current, rule)
        return Reply(200, self._self_uri("getTriggerRule", "ruleId", rule), _etag(rule["etag"]))

    def op_listAssistTemplates(self, call: Call) -> Reply:  # noqa: N802
        """List assist templates."""
        return Reply(200, self._page(call, list(self.state.templates.values())))

    # ------------------------------------------------------------ routing rules
    def op_listRoutingRules(self, call: Call) -> Reply:  # noqa: N802
        """List routing rules, optionally of one queue."""
        queue_id = call.query("queueId")
        rules = [
            r
            for r in self.state.routing_rules.values()
            if queue_id is None or r["queue"]["id"] == queue_id
        ]
        views = [self._self_uri("getRoutingRule", "ruleId", r) for r in rules]
        return Reply(200, self._page(call, views))

    def op_getRoutingRule(self, call: Call) -> Reply:  # noqa: N802
        """Read a routing rule."""
        rule = _find(self.state.routing_rules, call.path_params["ruleId"], "routing rule")
        return Reply(200, self._self_uri("getRoutingRule", "ruleId", rule))

    def op_createRoutingRule(self, call: Call) -> Reply:  # noqa: N802
        """Create a rule in a queue whose other rules do not use its name."""
        queue_id = call.body["queue"]["id"]
        self._check_queue(queue_id)
        self._check_unique_name(queue_id, call.body["name"], exclude=None)
        rule = {k: v for k, v in call.body.items() if k != "version"}
        rule.update(id=str(uuid.uuid4()), version=1, queue={"id": queue_id})
        self.state.routing_rules[rule["id"]] = rule
        self._audit(call, "create", "routingRules", rule["id"], 1, None, rule)
        return Reply(201, self._self_uri("getRoutingRule", "ruleId", rule))

    def op_patchRoutingRule(self, call: Call) -> Reply:  # noqa: N802
        """Replace a rule if the body's version is current and its name stays unique."""
        rule_id = call.path_params["ruleId"]
        current = _find(self.state.routing_rules, rule_id, "routing rule")
        _check_version(call.body["version"], current["version"], "routing rule")
        queue_id = (call.body.get("queue") or current["queue"])["id"]
        self._check_queue(queue_id)
        self._check_unique_name(queue_id, call.body["name"], exclude=rule_id)
        rule = {k: v for k, v in call.body.items() if k != "version"}
        rule.update(id=rule_id, version=current["version"] + 1, queue={"id": queue_id})
        self.state.routing_rules[rule_id] = rule
        self._audit(call, "update", "routingRules", rule_id, rule["version"], current, rule)
        return Reply(200, self._self_uri("getRoutingRule", "ruleId", rule))

    def op_deleteRoutingRule(self, call: Call) -> Reply:  # noqa: N802
        """Delete a rule; an ``If-Match`` naming its version must be current (409 otherwise).

        A rollback deletes what its run created only if nobody changed it
        since, so the delete takes the rule's version as a precondition; with
        no ``If-Match`` the delete is unconditional, as the contract allows.
        """
        rule_id = call.path_params["ruleId"]
        current = _find(self.state.routing_rules, rule_id, "routing rule")
        sent = call.request.headers.get("if-match")
        if sent is not None:
            _check_version(_unquote_etag(sent), current["version"], "routing rule")
        del self.state.routing_rules[rule_id]
        self._audit(call, "delete", "routingRules", rule_id, current["version"], current, None)
        return Reply(204)

    # ------------------------------------------------------------ audit
    def op_queryAudits(self, call: Call) -> Reply:  # noqa: N802
        """Audit records matching the filters, oldest first, in pages."""
        wanted = _filter_values(call.body.get("filters", []), _AUDIT_FIELDS)
        records = [
            r for r in self.state.audits if all(str(r.get(k)) in v for k, v in wanted.items())
        ]
        size = int(call.body.get("pageSize", _DEFAULT_PAGE_SIZE))
        start = _decode_page_token(call.body.get("pageToken"))
        result: dict[str, Any] = {"results": records[start : start + size]}
        if start + size < len(records):
            result["pageToken"] = base64.urlsafe_b64encode(f"o{start + size}".encode()).decode()
        return Reply(200, result)

    # ------------------------------------------------------------ helpers
    def _page(self, call: Call, items: list[dict[str, Any]]) -> dict[str, Any]:
        size = int(call.query("pageSize") or _DEFAULT_PAGE_SIZE)
        number = int(call.query("pageNumber") or 1)
        total = len(items)
        page_count = math.ceil(total / size)
        path = call.request.url.raw_path.decode("ascii").split("?", 1)[0]
        others = [
            (k, v)
            for k, v in call.request.url.params.multi_items()
            if k not in ("pageSize", "pageNumber")
        ]

        def uri(n: int) -> str:
            return f"{path}?{urlencode([*others, ('pageSize', size), ('pageNumber', n)])}"

        page: dict[str, Any] = {
            "entities": items[(number - 1) * size : number * size],
            "pageSize": size,
            "pageNumber": number,
            "total": total,
            "pageCount": page_count,
            "selfUri": uri(number),
            "firstUri": uri(1),
            "lastUri": uri(max(page_count, 1)),
        }
        if number < page_count:
            page["nextUri"] = uri(number + 1)
        if 1 < number <= page_count:
            page["previousUri"] = uri(number - 1)
        return page

    def _self_uri(self, operation_id: str, param: str, entity: dict[str, Any]) -> dict[str, Any]:
        path = self._contract.operation(operation_id).expand({param: str(entity["id"])})
        return {**entity, "selfUri": path}

    def _strategies_reply(self, queue_id: str) -> Reply:
        stored = self.state.strategies[queue_id]
        body = {"queueId": queue_id, "version": stored["version"], "strategies": stored["items"]}
        return Reply(200, body, _etag(str(stored["version"])))

    def _check_templates(self, rule: Mapping[str, Any]) -> None:
        for index, action in enumerate(rule.get("actions", [])):
            template = action.get("templateId")
            if template is not None and template not in self.state.templates:
                raise RequestRejectedError(
                    400,
                    "invalid.value",
                    "Assist template {templateId} does not exist.",
                    {"templateId": str(template)},
                    [{"errorCode": "invalid.value", "fieldName": f"actions[{index}].templateId"}],
                )

    def _check_queue(self, queue_id: str) -> None:
        if queue_id not in self.state.queues:
            raise _invalid("queue.id", "Queue {value} does not exist.", queue_id)

    def _check_unique_name(self, queue_id: str, name: str, exclude: str | None) -> None:
        for rule in self.state.routing_rules.values():
            if rule["id"] != exclude and rule["queue"]["id"] == queue_id and rule["name"] == name:
                raise RequestRejectedError(
                    409,
                    "duplicate.name",
                    "Queue {queueId} already has a routing rule named {name}.",
                    {"queueId": queue_id, "name": name},
                    [{"errorCode": "duplicate.name", "fieldName": "name", "entityId": rule["id"]}],
                )

    def _audit(
        self,
        call: Call,
        action: str,
        entity_type: str,
        entity_id: str,
        version: int | str | None,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        self._trail.record(
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            client_id=call.client_id,
            correlation_id=call.correlation_id,
            version=version,
            before=before,
            after=after,
        )


def _find(store: Mapping[str, dict[str, Any]], ident: str, what: str) -> dict[str, Any]:
    found = store.get(ident)
    if found is None:
        raise RequestRejectedError(
            404, "not.found", "The {what} {id} was not found.", {"what": what, "id": ident}
        )
    return found


def _check_version(sent: int | str, current: int, what: str) -> None:
    # If-Match carries text ("4"), a body carries a JSON number (4, or 4.0).
    if (sent.strip() != str(current)) if isinstance(sent, str) else (sent != current):
        raise RequestRejectedError(
            409,
            "version.mismatch",
            "Version {sent} of the {what} is stale; it is at version {current}.",
            {"sent": str(sent), "current": str(current), "what": what},
        )


def _invalid(field: str, template: str, value: object) -> RequestRejectedError:
    return RequestRejectedError(
        400,
        "invalid.value",
        template,
        {"value": str(value)},
        [{"errorCode": "invalid.value", "fieldName": field}],
    )


def _named(entities: Any, name: str | None) -> list[dict[str, Any]]:
    if not name:
        return list(entities)
    pattern = name.casefold()
    if "*" in pattern:
        return [e for e in entities if fnmatch.fnmatchcase(str(e["name"]).casefold(), pattern)]
    return [e for e in entities if str(e["name"]).casefold() == pattern]


def _filter_values(filters: list[dict[str, Any]], allowed: tuple[str, ...]) -> dict[str, set[str]]:
    wanted: dict[str, set[str]] = {}
    for index, item in enumerate(filters):
        if item["name"] not in allowed:
            raise RequestRejectedError(
                400,
                "invalid.value",
                "Cannot filter on {name}; filterable: {allowed}.",
                {"name": item["name"], "allowed": ", ".join(allowed)},
                [{"errorCode": "invalid.value", "fieldName": f"filters[{index}].name"}],
            )
        if item["op"] == "eq" and len(item["values"]) != 1:
            raise _invalid(
                f"filters[{index}].values",
                "'eq' takes one value, not {value}.",
                len(item["values"]),
            )
        values = {str(v) for v in item["values"]}
        wanted[item["name"]] = wanted[item["name"]] & values if item["name"] in wanted else values
    return wanted


def _decode_page_token(token: str | None) -> int:
    if token is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        if not text.startswith("o"):
            raise ValueError(text)
        return max(0, int(text[1:]))
    except ValueError:
        raise _invalid(
            "pageToken", "pageToken {value} was not issued by this org.", token
        ) from None


def _unquote_etag(value: str) -> str:
    text = value.strip()
    if text.startswith("W/"):
        text = text[2:]
    return text.strip('"')


def _etag(value: str) -> dict[str, str]:
    return {"ETag": f'"{value}"'}
