"""The org-stage rules against the simulated org: org/reference and strategy/capacity."""

from __future__ import annotations

from pathlib import Path

import pytest

from genesys_compliance.connect import OrgConnection, connect_mock
from genesys_compliance.orgrules import org_findings
from tests.helpers import ids_lines, run_files

REPO = Path(__file__).resolve().parents[1]
ORG = "5f1c2b7e-9a3d-4e8f-b6c1-2d7a9e4f3b10"
TECH = "3f7c1a2e-8b4d-4e6f-9a1c-5d2e7f8b9c01"  # 24 agents available
MISSING = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
def org() -> OrgConnection:
    return connect_mock(REPO / "fixtures" / "org")


def findings(tmp_path: Path, org: OrgConnection, text: str) -> list:
    run = run_files(tmp_path, {"c.yaml": text})
    [entry] = run.entries
    assert run.check(entry) == []  # locally compliant: only the org can object
    return org_findings(entry, org.view, run.registry, run.context)


def strategy(queue: str, required: int, waiver: str = "") -> str:
    return f"""
        apiVersion: genesys-compliance/v1
        kind: RoutingStrategy
        metadata:
          name: s
          queueId: {queue}
          requiredAgents: {required}{waiver}
        spec:
          strategy: longestIdleAgent
          mediaType: voice
        """


def test_a_strategy_the_org_can_staff_passes(tmp_path, org):
    assert findings(tmp_path, org, strategy(TECH, 30)) == []  # 24 >= 80 % of 30


def test_an_unknown_queue_is_an_org_reference_finding_at_its_line(tmp_path, org):
    found = findings(tmp_path, org, strategy(MISSING, 5))
    assert ids_lines(found) == [("org/reference", 5)]
    assert found[0].file == "configs/c.yaml"
    assert MISSING in found[0].message


def test_too_few_available_agents_is_a_capacity_finding(tmp_path, org):
    found = findings(tmp_path, org, strategy(TECH, 31))  # 80 % of 31 is 25 > 24
    assert ids_lines(found) == [("strategy/capacity", 6)]
    assert "24 agents are available" in found[0].message


def test_more_agents_than_licences_is_a_capacity_finding(tmp_path, org):
    found = findings(tmp_path, org, strategy(TECH, 500))
    assert [f.rule_id for f in found] == ["strategy/capacity", "strategy/capacity"]
    assert any("licences" in f.message for f in found)


def test_an_org_finding_can_be_waived(tmp_path, org):
    waiver = (
        "\n          waivers: [{rule: strategy/capacity, reason: hiring in progress, "
        "expires: 2099-01-01}]"
    )
    [found] = findings(tmp_path, org, strategy(TECH, 31, waiver))
    assert found.waived == "hiring in progress"
    assert not found.fails()


@pytest.mark.parametrize(
    ("text", "line", "named"),
    [
        pytest.param(
            f"""
            apiVersion: genesys-compliance/v1
            kind: FlowSettings
            metadata: {{name: f}}
            spec:
              orgId: {ORG}
              flowId: {MISSING}
              settings: {{routing: {{type: longestAvailable}}}}
            """,
            6,
            MISSING,
            id="flow",
        ),
        pytest.param(
            """
            apiVersion: genesys-compliance/v1
            kind: TriggerRule
            metadata: {name: t}
            spec:
              name: T
              ruleType: conversation
              conditions: [{type: keyword, field: conversation.text, operator: contains,
                            value: refund}]
              actions:
                - {type: display, templateId: tmpl_98765, priority: 1}
                - {type: display, templateId: tmpl_gone, priority: 2}
            """,
            11,
            "tmpl_gone",
            id="template",
        ),
        pytest.param(
            f"""
            apiVersion: genesys-compliance/v1
            kind: DesktopLayout
            metadata:
              name: l
              userId: {MISSING}
            spec:
              name: L
              grid: {{columns: 24, rows: 16}}
            """,
            5,
            MISSING,
            id="user",
        ),
        pytest.param(
            f"""
            apiVersion: genesys-compliance/v1
            kind: RoutingRule
            metadata: {{name: r, queueId: {MISSING}}}
            spec:
              name: R
              expression: {{type: condition, field: language, operator: eq, value: en}}
            """,
            3,
            MISSING,
            id="routing-rule-queue",
        ),
    ],
)
def test_a_dangling_reference_is_found_at_its_line(tmp_path, org, text, line, named):
    found = findings(tmp_path, org, text)
    assert ids_lines(found) == [("org/reference", line)]
    assert named in found[0].message


def test_the_view_asks_the_org_once_for_many_configurations(tmp_path):
    fresh = connect_mock(REPO / "fixtures" / "org")
    for name in ("a", "b", "c"):
        findings(tmp_path / name, fresh, strategy(TECH, 5))
    calls = [(e.method, e.url) for e in fresh.exchanges if not e.url.endswith("/oauth/token")]
    assert calls, "the org was asked"
    assert len(calls) == len(set(calls)), calls


def _whole(tmp_path: Path, org: OrgConnection, files: dict[str, str]) -> list[tuple[str, int]]:
    """Each configuration's engine findings and the org findings they leave, as the run has them."""
    run = run_files(tmp_path, files)
    found = []
    for entry in run.entries:
        engine = run.check(entry)
        found += engine
        found += org_findings(entry, org.view, run.registry, run.context, covered=engine)
    return ids_lines(found)


def test_an_id_a_rule_rejects_is_not_also_a_dangling_reference(tmp_path, org):
    # a flowId that is no UUID is no flow of the org either: one violation, one finding
    flow = f"""
        apiVersion: genesys-compliance/v1
        kind: FlowSettings
        metadata: {{name: f}}
        spec:
          orgId: {ORG}
          flowId: not-a-uuid
          settings: {{routing: {{type: longestAvailable}}}}
        """
    assert _whole(tmp_path, org, {"f.yaml": flow}) == [("flow/id-format", 6)]


def test_an_action_a_rule_rejects_is_not_also_a_dangling_template(tmp_path, org):
    trigger = """
        apiVersion: genesys-compliance/v1
        kind: TriggerRule
        metadata: {name: t}
        spec:
          name: T
          ruleType: conversation
          conditions: [{type: keyword, field: conversation.text, operator: contains,
                        value: refund}]
          actions:
            - {type: display, templateId: "", priority: 1}
        """
    assert _whole(tmp_path, org, {"t.yaml": trigger}) == [("trigger/action", 10)]


def test_a_shared_target_does_not_hide_that_the_target_is_missing(tmp_path, org):
    # two files on one flow, and the flow is not on the org: two violations, two findings
    flow = f"""
        apiVersion: genesys-compliance/v1
        kind: FlowSettings
        metadata: {{name: f}}
        spec:
          orgId: {ORG}
          flowId: {MISSING}
          settings: {{routing: {{type: longestAvailable}}}}
        """
    assert _whole(tmp_path, org, {"a.yaml": flow, "b.yaml": flow}) == [
        ("org/reference", 6),
        ("config/duplicate-target", 6),
        ("org/reference", 6),
    ]
