"""find_drift on the simulated org: the org holds what git states, then a colleague edits it.

Every edit goes through the org's API under another OAuth client, so the org's
audit trail names that client, as a live org's does for a person in the admin
UI; drift must report exactly the fields that client changed, and name it.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from genesys_compliance.drift import HIDDEN, find_drift
from genesys_compliance.engine import load_run
from tests.drift._support import (
    BILLING_QUEUE,
    COLLEAGUE,
    CONFIGS,
    ESCALATION,
    ESCALATION_FILE,
    PRIMARY_FLOW,
    SEED,
    STRATEGY_FILE,
    SUPERVISOR_FILE,
    SUPPORT_QUEUE,
    applied,
    colleague,
    drift_of,
    drifted,
    edit_flow,
    edit_layout,
    edit_routing_rule,
    edit_strategy,
    examples,
    line_of,
)

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjb2xsZWFndWUifQ.c2lnbmF0dXJlLXBhcnQ"


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    return tmp_path / "audit"


def test_an_org_that_holds_what_git_states_has_no_drift(journal: Path) -> None:
    org = applied(journal)
    report = drift_of(org)
    assert drifted(report) == []
    assert len(report.compared) == 12
    assert report.not_compared == ()
    assert not report.failed()


def test_each_field_another_client_changed_is_one_finding_naming_it(journal: Path) -> None:
    org = applied(journal)
    other = colleague(org)
    edit_routing_rule(other, ESCALATION, lambda rule: rule.update(priority=17))

    def two_fields(layout: dict[str, object]) -> None:
        layout["description"] = "Edited in the admin UI"
        layout["widgets"][1]["configuration"]["refresh_seconds"] = 60  # type: ignore[index]

    edit_layout(other, "lay-supervisor", two_fields)
    edit_strategy(
        other, SUPPORT_QUEUE, "voice", lambda s: s["overflow"]["rules"][1].update(threshold=90)
    )
    found = drifted(drift_of(org))
    located = sorted((f.file, f.line, f.pointer) for f in found)
    assert located == sorted(
        [
            (ESCALATION_FILE, line_of(ESCALATION_FILE, "priority: 10"), "/spec/priority"),
            (SUPERVISOR_FILE, line_of(SUPERVISOR_FILE, "description:"), "/spec/description"),
            (
                SUPERVISOR_FILE,
                line_of(SUPERVISOR_FILE, "refresh_seconds: 30"),
                "/spec/widgets/1/configuration/refresh_seconds",
            ),
            (
                STRATEGY_FILE,
                line_of(STRATEGY_FILE, "threshold: 120"),
                "/spec/overflow/rules/1/threshold",
            ),
        ]
    )
    for finding in found:
        assert f"changed by {COLLEAGUE} at 20" in finding.message, finding.message
        assert finding.severity == "error"
    [priority] = [f for f in found if f.pointer == "/spec/priority"]
    assert priority.message.startswith("/spec/priority: git has 10, the org has 17 (RoutingRule ")
    assert priority.config == "routing-rules/technical-support-escalation.yaml::" + (
        "technical-support-escalation"
    )


def test_the_records_say_which_resource_and_who_and_when(journal: Path) -> None:
    org = applied(journal)
    edit_routing_rule(colleague(org), ESCALATION, lambda rule: rule.update(priority=17))
    [difference] = drift_of(org).differences
    assert (difference.git, difference.org, difference.in_org) == (10, 17, True)
    assert difference.changed_by == COLLEAGUE
    assert difference.changed_at is not None
    assert difference.resource is not None
    assert difference.resource.to_dict() == {"ruleId": ESCALATION}
    data = difference.to_dict()
    assert (data["git"], data["org"], data["changedBy"], data["missing"]) == (
        10,
        17,
        COLLEAGUE,
        False,
    )


def test_a_reordered_set_is_no_drift(journal: Path) -> None:
    org = applied(journal)
    other = colleague(org)
    edit_strategy(other, SUPPORT_QUEUE, "voice", lambda s: s["skills"]["required"].reverse())
    edit_flow(other, PRIMARY_FLOW, lambda f: f["settings"]["scopeDirectives"]["applyTo"].reverse())
    assert drifted(drift_of(org)) == []


def test_a_change_of_a_field_no_file_states_is_no_drift(journal: Path) -> None:
    org = applied(journal)
    edit_layout(colleague(org), "lay-supervisor", lambda lay: lay.update(inheritance="parent"))
    assert drifted(drift_of(org)) == []


def test_a_resource_deleted_in_the_org_is_drift_at_the_line_naming_it(journal: Path) -> None:
    org = applied(journal)
    other = colleague(org)
    [spanish] = [
        r
        for r in other.list_routing_rules(queue_id=BILLING_QUEUE)
        if r["name"].endswith("Spanish Speakers")
    ]
    other.delete_routing_rule(spanish["id"])
    [finding] = drifted(drift_of(org))
    billing = "fixtures/configs/routing-rules/billing-language.json"
    assert (finding.file, finding.pointer) == (billing, "/metadata/queueId")
    assert finding.line == line_of(billing, '"queueId"')
    assert "RoutingRule metadata.queueId=" in finding.message
    assert "is not in the org: git has it, the org does not" in finding.message


def test_a_resource_the_org_never_had_is_drift_at_its_name(journal: Path) -> None:
    org = applied(journal)
    folder = journal.parent / "configs"
    shutil.copytree(CONFIGS, folder)
    extra = folder / "layouts" / "wallboard.yaml"
    extra.write_text(
        "apiVersion: genesys-compliance/v1\nkind: DesktopLayout\nmetadata:\n  name: wallboard\n"
        "spec:\n  name: Wallboard\n  grid: {columns: 24, rows: 16}\n",
        encoding="utf-8",
    )
    report = find_drift(org.client, load_run([folder], folder.parent))
    [finding] = drifted(report)
    assert (finding.file, finding.line, finding.pointer) == (
        "configs/layouts/wallboard.yaml",
        6,
        "/spec/name",
    )
    assert "DesktopLayout spec.name=Wallboard is not in the org" in finding.message
    [difference] = report.differences
    assert difference.missing


def test_a_resource_the_file_names_and_the_org_cannot_have_is_drift_at_its_id(
    journal: Path,
) -> None:
    org = applied(journal)
    folder = journal.parent / "configs"
    shutil.copytree(CONFIGS, folder)
    stale = folder / "layouts" / "supervisor.yaml"
    text = stale.read_text(encoding="utf-8").replace("lay-supervisor", "lay-gone")
    stale.write_text(text, encoding="utf-8")
    [finding] = drifted(find_drift(org.client, load_run([folder], folder.parent)))
    assert (finding.pointer, finding.line) == (
        "/metadata/layoutId",
        line_of(SUPERVISOR_FILE, "layoutId"),
    )
    assert "cannot be compared with the org: the org has no metadata.layoutId=lay-gone" in (
        finding.message
    )


def test_a_resource_no_file_names_is_an_unmanaged_warning_naming_the_export(
    journal: Path,
) -> None:
    org = applied(journal)
    before = {u.resource for u in drift_of(org).unmanaged}
    created = colleague(org).create_trigger_rule(
        {
            "name": "Made in the admin UI",
            "ruleType": "conversation",
            "enabled": False,
            "conditions": [
                {
                    "type": "keyword",
                    "field": "conversation.text",
                    "operator": "contains",
                    "value": "x",
                }
            ],
            "actions": [{"type": "display", "templateId": "tmpl_98765", "priority": 1}],
        }
    )
    report = drift_of(org)
    [new] = [u for u in report.unmanaged if u.resource not in before]
    assert new.resource.to_dict() == {"ruleId": created["id"]}
    assert new.command == "genesys-compliance export --out reports/export --kind TriggerRule"
    finding = new.finding
    assert (finding.rule_id, finding.severity) == ("org/unmanaged", "warning")
    first = "fixtures/configs/trigger-rules/credit-card.yaml"  # the kind's first file
    assert (finding.file, finding.line) == (first, line_of(first, "kind: TriggerRule"))
    assert "spec.name=Made in the admin UI" in finding.message
    assert new.command in finding.message
    assert drifted(report) == []
    assert not report.failed()
    assert report.failed(strict=True)


def test_a_kind_no_file_manages_is_not_listed_as_unmanaged(journal: Path, tmp_path: Path) -> None:
    org = applied(journal)
    folder = tmp_path / "only-layouts"
    shutil.copytree(CONFIGS / "layouts", folder / "layouts")
    report = find_drift(org.client, load_run([folder], tmp_path))
    assert {u.kind for u in report.unmanaged} <= {"DesktopLayout"}


def test_a_configuration_failing_its_checks_is_not_compared_nor_its_resource_unmanaged(
    journal: Path, tmp_path: Path
) -> None:
    org = applied(journal)
    edit_layout(colleague(org), "lay-supervisor", lambda lay: lay.update(description="UI"))
    folder = tmp_path / "configs"
    shutil.copytree(CONFIGS, folder)
    broken = folder / "layouts" / "supervisor.yaml"
    broken.write_text(
        broken.read_text(encoding="utf-8").replace("columns: 24", "columns: 99"), encoding="utf-8"
    )
    report = find_drift(org.client, load_run([folder], tmp_path))
    [refused] = report.not_compared
    assert (refused.name, refused.reasons) == ("supervisor", ("layout/grid-size",))
    assert report.refused("layouts/supervisor.yaml::supervisor") is refused
    assert drifted(report) == []  # its description differs, but it is not compared
    assert all(u.resource.to_dict() != {"layoutId": "lay-supervisor"} for u in report.unmanaged)


def test_values_are_cut_short_and_credentials_never_shown(journal: Path) -> None:
    org = applied(journal)

    def paste(layout: dict[str, object]) -> None:
        layout["widgets"][0]["configuration"] = {"show_history": JWT}  # type: ignore[index]
        layout["description"] = "x" * 500

    edit_layout(colleague(org), "lay-supervisor", paste)
    report = drift_of(org)
    messages = [f.message for f in report.findings]
    assert not any(JWT in m for m in messages)
    [pasted] = [d for d in report.differences if d.finding.pointer.endswith("show_history")]
    assert HIDDEN in pasted.finding.message
    assert pasted.to_dict()["org"] == HIDDEN
    [long] = [d for d in report.differences if d.finding.pointer == "/spec/description"]
    assert '"xxxxxxxx' in long.finding.message
    assert "x" * 100 not in long.finding.message
    assert long.to_dict()["org"] == "x" * 500  # machines get the whole value


def test_an_org_whose_audit_cannot_be_read_still_reports_every_field(journal: Path) -> None:
    org = applied(journal)
    edit_routing_rule(colleague(org), ESCALATION, lambda rule: rule.update(priority=17))
    assert org.org is not None
    scopes = frozenset(s for s in org.org.all_scopes() if s != "audit:read")
    blind = colleague(org, "drift-without-audit", scopes=scopes)
    [finding] = drifted(find_drift(blind, examples()))
    assert finding.pointer == "/spec/priority"
    assert finding.message.endswith("the org's audit does not say who changed it")


def test_drift_reads_and_never_writes(journal: Path) -> None:
    org = applied(journal)
    edit_routing_rule(colleague(org), ESCALATION, lambda rule: rule.update(priority=17))
    org.exchanges.clear()
    drift_of(org)
    methods = {(e.method, e.operation_id) for e in org.exchanges}
    assert {m for m, _ in methods} <= {"GET", "POST"}
    assert {op for m, op in methods if m == "POST"} <= {"postOAuthToken", "queryAudits"}


def test_the_seed_differs_from_the_examples_and_says_the_audit_cannot_tell() -> None:
    # The simulated org's seed has no audit records: no difference can name anyone.
    from genesys_compliance.connect import connect_mock

    report = drift_of(connect_mock(SEED))
    said = Counter(
        d.finding.message.rsplit("; ", 1)[-1]
        for d in report.differences
        if "cannot be compared" not in d.finding.message
    )
    assert set(said) <= {
        "the org's audit does not say who changed it",
        "the org's audit does not say who removed it",
    }, said
    assert said["the org's audit does not say who removed it"] == 3  # the three creates
    assert all(d.changed_by is None for d in report.differences)


def test_a_container_kind_without_a_listing_of_its_parents_is_named_not_guessed() -> None:
    from dataclasses import replace
    from types import SimpleNamespace

    from genesys_compliance.client import ResourceClient
    from genesys_compliance.connect import connect_mock
    from genesys_compliance.drift._unmanaged import find_unmanaged

    org = connect_mock(SEED)
    table = [
        rtype
        if rtype.container is None
        else replace(rtype, container=replace(rtype.container, parents=None))
        for rtype in org.client.contract.resources
    ]
    by_kind = {rtype.kind: rtype for rtype in table}
    client = SimpleNamespace(
        contract=SimpleNamespace(resources=table),
        resources=lambda kind: ResourceClient(org.client, by_kind[kind]),
    )
    found, unlisted = find_unmanaged(client, examples(), {})  # type: ignore[arg-type]
    assert unlisted == ["RoutingStrategy: the contract lists no parents to read items of"]
    assert "RoutingStrategy" not in {u.kind for u in found}
    assert {u.kind for u in found} == {"RoutingRule", "TriggerRule"}
