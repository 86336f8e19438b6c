"""Builders for the apply-stage tests: a simulated org, a run, a hand-made apply."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from genesys_compliance.apply import Gate, Plan, build_plan, gate
from genesys_compliance.client import GenesysClient
from genesys_compliance.connect import OrgConnection, connect_mock
from genesys_compliance.engine import Run, load_run

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "fixtures" / "configs"
SEED = REPO / "fixtures" / "org"
# Requests a plan may make: the listings, the strategies document of each queue, the token.
READS = frozenset(
    {
        "postOAuthToken",
        "listDesktopLayouts",
        "listFlows",
        "listTriggerRules",
        "listRoutingRules",
        "getQueueStrategies",
        "getUserPreferences",  # once per user a layout inherits the preferences of
    }
)


def connection() -> OrgConnection:
    """A fresh simulated org from the fixtures' seed."""
    return connect_mock(SEED)


def examples(tmp_path: Path) -> Path:
    """A private copy of the example configurations (tests edit theirs)."""
    target = tmp_path / "configs"
    shutil.copytree(CONFIGS, target)
    return target


def load(folder: Path, root: Path | None = None) -> Run:
    """The run over one folder of configurations."""
    return load_run([folder], root or folder.parent)


def plan(org: OrgConnection, run: Run) -> Plan:
    """Gate the run and plan it against the org."""
    admitted: Gate = gate(run)
    return build_plan(org.client, admitted)


def operations(org: OrgConnection) -> Counter[str]:
    """Requests sent so far, by operationId (retries included)."""
    return Counter(e.operation_id or "" for e in org.exchanges)


def apply_by_hand(client: GenesysClient, run: Run) -> None:
    """Write every configuration through the kind-specific calls, as an admin would.

    Independent of the apply package and of the resource table on purpose: a
    plan after this must find nothing left to do.
    """
    for entry in run.entries:
        data: dict[str, Any] = entry.document.data
        spec, meta = dict(data["spec"]), data["metadata"]
        kind = entry.kind.name
        if kind == "DesktopLayout":
            if spec.get("inheritance") == "user-preference" and meta.get("userId"):
                # As the layout seed does: the user's desktop preferences ride along.
                preferences = client.get_user_preferences(meta["userId"])["preferences"]
                spec["user_preference_override"] = preferences.get("desktop", {})
            if meta.get("layoutId"):
                current = client.get_layout(meta["layoutId"])
                client.update_layout(meta["layoutId"], {**spec, "version": current["version"]})
            else:
                client.create_layout(spec)
        elif kind == "FlowSettings":
            current = client.get_flow(spec["flowId"])
            client.patch_flow_settings(spec["flowId"], {**spec, "version": current["version"]})
        elif kind == "RoutingStrategy":
            current = client.get_queue_strategies(meta["queueId"])
            client.patch_queue_strategies(meta["queueId"], [spec], version=current["version"])
        elif kind == "TriggerRule":
            rule_id = meta.get("ruleId") or spec.get("id")
            if rule_id:
                current = client.get_trigger_rule(rule_id)
                client.update_trigger_rule(rule_id, spec, etag=current["etag"])
            else:
                client.create_trigger_rule(spec)
        elif kind == "RoutingRule":
            found = [
                r
                for r in client.list_routing_rules(queue_id=meta["queueId"])
                if r["name"] == spec["name"]
            ]
            if found:
                client.patch_routing_rule(found[0]["id"], {**spec, "version": found[0]["version"]})
            else:
                client.create_routing_rule(meta["queueId"], spec)
        else:  # pragma: no cover - a new kind needs a line here
            raise AssertionError(kind)


# ---------------------------------------------------------------- apply-stage helpers
# Requests that change the org (the token endpoint and the audit query are POSTs that do not).
WRITES = frozenset(
    {
        "createDesktopLayout",
        "updateDesktopLayout",
        "patchFlowSettings",
        "patchQueueStrategies",
        "createTriggerRule",
        "updateTriggerRule",
        "createRoutingRule",
        "patchRoutingRule",
        "deleteRoutingRule",
    }
)
# What the org owns: moved by every write, so never part of "the same state".
_TOKENS = frozenset({"version", "etag", "modifiedDate", "selfUri"})


class Crash(BaseException):
    """A process dying mid-apply: a ``BaseException``, so nothing on the way catches it."""


class Recorder:
    """A listener that keeps every event (and the JSON each consumer would get)."""

    def __init__(self) -> None:
        self.events: list[Any] = []

    def on_event(self, event: Any) -> None:
        self.events.append(event)

    def types(self) -> list[str]:
        return [e.type for e in self.events]


class CrashOn:
    """A listener that crashes the run at the ``nth`` event of a type (1-based)."""

    def __init__(self, event_type: str, nth: int = 1) -> None:
        self.event_type = event_type
        self.nth = nth
        self.seen = 0

    def on_event(self, event: Any) -> None:
        if event.type == self.event_type:
            self.seen += 1
            if self.seen == self.nth:
                raise Crash(f"killed at {event.type} #{self.nth}")


def written(org: OrgConnection) -> Counter[str]:
    """Write requests sent so far, by operationId (retries included)."""
    return Counter(op for op, n in operations(org).items() for _ in range(n) if op in WRITES)


def configured(org: OrgConnection) -> dict[str, Any]:
    """Every configurable entity of the simulated org, without the org's tokens and dates."""
    assert org.org is not None
    state = org.org.state
    return _untokened(
        {
            "flows": state.flows,
            "layouts": state.layouts,
            "strategies": {q: s["items"] for q, s in state.strategies.items()},
            "triggerRules": state.trigger_rules,
            "routingRules": state.routing_rules,
        }
    )


def _untokened(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _untokened(v) for k, v in value.items() if k not in _TOKENS}
    if isinstance(value, list):
        return [_untokened(v) for v in value]
    return value


def dying_client(
    org: OrgConnection, operation: str, nth: int = 1, error: BaseException | None = None
) -> GenesysClient:
    """A client of ``org`` whose process dies (``Crash``) just after the org carried out
    the ``nth`` request for ``operation``: the write landed, its answer never arrived.

    With ``error``, that is raised instead, before the org sees the request.
    """
    assert org.org is not None
    assert org.router is not None
    handler = org.router.handler
    contract = org.contract
    seen = 0

    def transport(request: httpx.Request) -> httpx.Response:
        nonlocal seen
        found = contract.match(request.method, request.url.raw_path.decode().split("?")[0])
        hit = found is not None and found.operation.operation_id == operation
        seen += hit
        if hit and seen == nth and error is not None:
            raise error
        response = handler(request)
        if hit and seen == nth:
            raise Crash(f"killed after the org carried out {operation} #{nth}")
        return response

    client_id, secret = "gc-dying-client", "dying-client-secret-0123456789"
    org.org.add_client(client_id, secret)
    return GenesysClient(
        client_id=client_id,
        client_secret=secret,
        contract=contract,
        transport=httpx.MockTransport(transport),
        clock=org.org.clock,
    )
