"""Which resource each configuration targets: identity, natural key, or blocked with a reason."""

from __future__ import annotations

from pathlib import Path

from genesys_compliance.apply import Action, Plan, render_plan
from tests.apply._support import connection, plan
from tests.helpers import run_files

TECH = "3f7c1a2e-8b4d-4e6f-9a1c-5d2e7f8b9c01"
SALES = "9e8d7c6b-5a49-4382-a1b0-c9d8e7f6a5b4"
MISSING_QUEUE = "00000000-0000-4000-8000-000000000000"


def layout(name: str, title: str, layout_id: str | None = None) -> str:
    ident = f"\n          layoutId: {layout_id}" if layout_id else ""
    return f"""
        apiVersion: genesys-compliance/v1
        kind: DesktopLayout
        metadata:
          name: {name}{ident}
        spec:
          name: {title}
          grid: {{columns: 24, rows: 16}}
          widgets:
            - widget_type: notes-widget
              id: notes
              position: {{x: 0, y: 0, width: 4, height: 4}}
        """


def strategy(name: str, queue: str, media: str) -> str:
    return f"""
        apiVersion: genesys-compliance/v1
        kind: RoutingStrategy
        metadata:
          name: {name}
          queueId: {queue}
        spec:
          strategy: longestIdleAgent
          mediaType: {media}
        """


def planned(tmp_path: Path, files: dict[str, str]) -> Plan:
    run = run_files(tmp_path, files)
    return plan(connection(), run)


def by_name(p: Plan) -> dict[str, tuple[Action, str | None]]:
    return {e.name: (e.action, e.target.blocked) for e in p.resources}


def test_a_layout_id_the_org_lacks_is_blocked_not_created(tmp_path: Path) -> None:
    p = planned(tmp_path, {"a.yaml": layout("a", "A", "lay-nowhere")})
    [(action, reason)] = by_name(p).values()
    assert action is Action.BLOCKED
    assert reason == (
        "the org has no metadata.layoutId=lay-nowhere; the org assigns it, so a create cannot"
    )
    assert "  ! blocked DesktopLayout a  " in render_plan(p)


def test_a_trigger_rule_id_the_org_lacks_is_created_under_that_id(tmp_path: Path) -> None:
    rule = """
        apiVersion: genesys-compliance/v1
        kind: TriggerRule
        metadata: {name: t, ruleId: 11111111-2222-4333-8444-555555555555}
        spec:
          name: New rule
          ruleType: conversation
          conditions: [{type: keyword, field: conversation.text, operator: contains, value: x}]
          actions: [{type: display, templateId: tmpl_12345, priority: 1}]
        """
    p = planned(tmp_path, {"t.yaml": rule})
    [entry] = p.resources
    assert entry.action is Action.CREATE
    assert str(entry.key) == "ruleId=11111111-2222-4333-8444-555555555555"


def test_a_new_media_type_of_a_queue_is_a_create_guarded_by_the_queue_s_version(
    tmp_path: Path,
) -> None:
    p = planned(
        tmp_path,
        {"s.yaml": strategy("tech-callback", TECH, "callback")},
    )
    [entry] = p.resources
    assert entry.action is Action.CREATE
    assert str(entry.key) == f"queueId={TECH} mediaType=callback"
    assert entry.token == 3  # the strategies document of the queue, as read


def test_a_queue_the_org_lacks_blocks_only_its_strategies(tmp_path: Path) -> None:
    p = planned(
        tmp_path,
        {
            "a.yaml": strategy("lost", MISSING_QUEUE, "voice"),
            "b.yaml": strategy("sales-chat", SALES, "chat"),
        },
    )
    found = by_name(p)
    assert found["lost"] == (
        Action.BLOCKED,
        f"the org has no queueId {MISSING_QUEUE} (metadata.queueId)",
    )
    assert found["sales-chat"][0] is Action.CREATE  # the queue exists, with no strategies yet


def test_a_layout_without_id_adopts_the_one_with_its_name(tmp_path: Path) -> None:
    p = planned(tmp_path, {"a.yaml": layout("wall", "Supervisor Wall Board")})
    [entry] = p.resources
    assert (entry.action, entry.matched_by, str(entry.key)) == (
        Action.UPDATE,
        "naturalKey",
        "layoutId=lay-supervisor",
    )


def test_a_name_another_configuration_targets_by_id_is_not_adopted(tmp_path: Path) -> None:
    p = planned(
        tmp_path,
        {
            "a.yaml": layout("by-id", "Supervisor Wall Board", "lay-supervisor"),
            "b.yaml": layout("by-name", "Supervisor Wall Board"),
        },
    )
    found = by_name(p)
    assert found["by-id"][0] is Action.UPDATE
    assert found["by-name"] == (
        Action.BLOCKED,
        "layoutId=lay-supervisor is already targeted by a.yaml::by-id",
    )


def test_two_new_configurations_with_one_name_create_once(tmp_path: Path) -> None:
    p = planned(
        tmp_path,
        {"a.yaml": layout("first", "Twin"), "b.yaml": layout("second", "Twin")},
    )
    found = by_name(p)
    assert found["first"][0] is Action.CREATE
    assert found["second"] == (
        Action.BLOCKED,
        "a.yaml::first creates a resource with spec.name=Twin too",
    )


def test_two_resources_with_one_name_make_the_name_ambiguous(tmp_path: Path) -> None:
    org = connection()
    assert org.org is not None
    twin = dict(org.org.state.layouts["lay-supervisor"], id="lay-twin")
    org.org.state.layouts["lay-twin"] = twin
    run = run_files(tmp_path, {"a.yaml": layout("a", "Supervisor Wall Board")})
    [entry] = plan(org, run).resources
    assert entry.action is Action.BLOCKED
    assert entry.target.blocked == (
        "2 resources have spec.name=Supervisor Wall Board; name one with metadata.layoutId"
    )
