"""Drift on a generated org of a few thousand resources, exported into git and then edited.

The export of an unchanged org is git's state, so drift finds nothing, and
nothing unmanaged; the resources generated to break a rule export to files
that fail their checks, so they are named as not compared (and their resources
are not unmanaged). A colleague's edits through the API are then exactly the
findings, one per field, naming the colleague; the reads are the listings and
one document per queue, each read once.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from genesys_compliance.connect import OrgConnection, connect_mock
from genesys_compliance.contract import ResourceKey
from genesys_compliance.drift import DriftReport, find_drift
from genesys_compliance.engine import Run, load_run
from genesys_compliance.export import export_org, kind_folder
from genesys_compliance.simorg import GeneratedOrg, generate_org
from tests.drift._support import COLLEAGUE, colleague, edit_flow, edit_routing_rule

RESOURCES = 3000


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[GeneratedOrg, Path]:
    root = tmp_path_factory.mktemp("large")
    return generate_org(root / "seed", resources=RESOURCES, seed=11), root


def exported(
    generated: tuple[GeneratedOrg, Path],
) -> tuple[OrgConnection, Run, dict[str, ResourceKey]]:
    """A fresh org from the seed, exported into git: the run and each configuration's resource."""
    made, root = generated
    org = connect_mock(made.directory)
    result = export_org(org.client, root / "git")
    keys = {f"{f.path}::{f.name}": f.key for f in result.files}
    return org, load_run([root / "git"], root), keys


def first_compared(report: DriftReport, keys: dict[str, ResourceKey], kind: str) -> str:
    """The id of the first resource of ``kind`` whose configuration was compared."""
    folder = kind_folder(kind) + "/"
    config = next(c for c in sorted(report.compared) if c.startswith(folder))
    [value] = keys[config].path_params.values()
    return value


def test_an_exported_org_has_no_drift_and_nothing_unmanaged(generated):
    made, _ = generated
    org, run, keys = exported(generated)
    org.exchanges.clear()
    report: DriftReport = find_drift(org.client, run)
    assert report.differences == ()
    assert report.unmanaged == ()
    # Only what the generator planted fails its checks, and their resources are not unmanaged.
    assert {keys[r.config] for r in report.not_compared} == {p.key for p in made.planted}
    assert len(report.compared) + len(report.not_compared) == made.total == RESOURCES
    reads = Counter(e.operation_id for e in org.exchanges)
    assert reads["getQueueStrategies"] == made.queues  # each queue's document once
    assert set(reads) <= {
        "postOAuthToken",
        "listDesktopLayouts",
        "listFlows",
        "listTriggerRules",
        "listRoutingRules",
        "listQueues",
        "getQueueStrategies",
        "getUserPreferences",
    }


def test_each_field_a_colleague_changed_in_a_large_org_is_one_finding(generated):
    org, run, keys = exported(generated)
    before = find_drift(org.client, run)
    rule_id = first_compared(before, keys, "RoutingRule")
    flow_id = first_compared(before, keys, "FlowSettings")
    other = colleague(org)
    edit_routing_rule(other, rule_id, lambda rule: rule.update(priority=rule["priority"] + 1))
    edit_flow(
        other,
        flow_id,
        lambda flow: flow["settings"]["routing"].update(
            maxWaitTime=flow["settings"]["routing"]["maxWaitTime"] + 1
        ),
    )
    report = find_drift(org.client, run)
    found = sorted(
        (d.kind, d.finding.pointer, d.changed_by, d.resource.to_dict() if d.resource else None)
        for d in report.differences
    )
    assert found == [
        ("FlowSettings", "/spec/settings/routing/maxWaitTime", COLLEAGUE, {"flowId": flow_id}),
        ("RoutingRule", "/spec/priority", COLLEAGUE, {"ruleId": rule_id}),
    ]
