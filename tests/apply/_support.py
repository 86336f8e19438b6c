"""Builders for the apply-stage tests: a simulated org, a run, a hand-made apply."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Any

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
