"""The plan (SPEC 6.1) against the simulated org, with the example configurations."""

from __future__ import annotations

import copy
import json
import math
import re
from pathlib import Path
from typing import Any

import yaml

from genesys_compliance.apply import Action, Plan, render_plan
from genesys_compliance.config import pointer_tokens
from tests.apply._support import (
    CONFIGS,
    READS,
    REPO,
    apply_by_hand,
    connection,
    examples,
    load,
    operations,
    plan,
)

TECH = "3f7c1a2e-8b4d-4e6f-9a1c-5d2e7f8b9c01"
BILLING = "6c2d9e4f-1a3b-4c5d-8e7f-0a1b2c3d4e5f"


def actions(p: Plan) -> dict[str, str]:
    return {e.name: e.action.value for e in p.resources}


def entry(p: Plan, name: str) -> Any:
    [found] = [e for e in p.resources if e.name == name]
    return found


def changes(p: Plan, name: str) -> dict[str, tuple[Any, Any]]:
    return {
        c.change.pointer: (c.change.org if c.change.in_org else "<absent>", c.change.file)
        for c in entry(p, name).changes
    }


def edit(path: Path, index: int, change: Any) -> None:
    """Rewrite one document of a YAML file through ``change(document)``."""
    documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    change(documents[index])
    path.write_text(yaml.safe_dump_all(documents, sort_keys=False), encoding="utf-8")


def test_the_first_plan_of_the_examples() -> None:
    org = connection()
    p = plan(org, load(CONFIGS, REPO))
    assert actions(p) == {
        "after-hours": "update",
        "primary-architecture": "update",
        "billing-voice": "update",
        "technical-support-chat": "update",
        "technical-support-voice": "update",
        "billing-spanish": "create",  # no rule of that name in the Billing queue
        "technical-support-escalation": "update",
        "credit-card-detection": "update",
        "negative-sentiment": "create",  # no ruleId, and no rule of that name
        "agent-default": "update",
        "new-hires": "create",  # no layoutId, and no layout of that name
        "supervisor": "update",
    }
    # Write order: flows, strategies, routing rules, trigger rules, layouts; then file, name.
    assert [e.kind for e in p.resources] == [
        *["FlowSettings"] * 2,
        *["RoutingStrategy"] * 3,
        *["RoutingRule"] * 2,
        *["TriggerRule"] * 2,
        *["DesktopLayout"] * 3,
    ]
    assert changes(p, "after-hours") == {
        "/settings/configurationMatrix": (
            "<absent>",
            {
                "parameter_01": {"key": "fallback_routing", "value": "voicemail"},
                "parameter_02": {"key": "callback_offer_seconds", "value": 90},
            },
        ),
        "/settings/routing/maxWaitTime": (300, 180),
    }
    assert changes(p, "primary-architecture") == {
        "/settings/configurationMatrix/parameter_03": (
            "<absent>",
            {"key": "fallback_routing", "value": "overflow"},
        ),
        "/settings/scopeDirectives/applyTo": (["queue", "user"], ["queue", "user", "team"]),
    }
    assert changes(p, "technical-support-voice") == {
        "/skills/required": (["support_tier1"], ["support_tier1", "billing"])
    }
    assert changes(p, "agent-default") == {
        "/description": (
            "Default layout for voice and chat agents",
            "Automated agent desktop configuration",
        ),
        "/widgets/0/configuration/queue_id": (TECH, "main-inbound"),
        # inheritance: user-preference: the desktop preferences of metadata.userId.
        "/user_preference_override": (
            "<absent>",
            {
                "layoutId": "lay-agent-default",
                "theme": "high-contrast",
                "pinnedWidgets": ["q-001", "notes-001"],
            },
        ),
    }
    # Each change points at the line of the file that states it.
    max_wait = next(
        c for c in entry(p, "after-hours").changes if c.change.pointer.endswith("maxWaitTime")
    )
    text = (CONFIGS / "flows" / "after-hours.yaml").read_text().splitlines()
    assert "maxWaitTime: 180" in text[max_wait.line - 1]


def test_the_plan_records_the_token_each_write_will_be_guarded_by() -> None:
    p = plan(connection(), load(CONFIGS, REPO))
    assert entry(p, "primary-architecture").token == 14  # version in the body
    assert entry(p, "credit-card-detection").token == "7"  # etag for If-Match
    assert entry(p, "technical-support-voice").token == 3  # the queue's strategies document
    assert entry(p, "technical-support-chat").token == 3
    assert entry(p, "billing-voice").token == 1
    assert entry(p, "agent-default").token == 5
    assert entry(p, "new-hires").token is None  # a create carries none
    assert str(entry(p, "technical-support-voice").key) == f"queueId={TECH} mediaType=voice"
    # The read's correlation id is kept for the audit trail, and never written to the plan file.
    assert all(e.correlation_id for e in p.resources)
    text = p.to_json()
    assert not any(e.correlation_id in text for e in p.resources if e.correlation_id)


def test_after_the_configurations_were_applied_by_hand_every_resource_is_a_no_op() -> None:
    org = connection()
    run = load(CONFIGS, REPO)
    before = plan(org, run)
    assert len(before.writes) == 12
    apply_by_hand(org.client, run)
    after = plan(org, run)
    assert set(actions(after).values()) == {"no-op"}, render_plan(after)
    assert all(not e.changes for e in after.resources)
    # Created without an id in the file, found again by natural key: never created twice.
    assert entry(after, "new-hires").matched_by == "naturalKey"
    assert entry(after, "negative-sentiment").matched_by == "naturalKey"
    assert entry(after, "billing-spanish").matched_by == "identity"
    # The tokens are the ones the hand-made writes left.
    assert entry(after, "agent-default").token == 6
    assert entry(after, "credit-card-detection").token == "8"
    assert entry(after, "technical-support-voice").token == 5  # two patches of one queue


def test_reordering_sets_plans_no_change(tmp_path: Path) -> None:
    org = connection()
    folder = examples(tmp_path)
    apply_by_hand(org.client, load(folder))

    def reverse_skills(doc: dict[str, Any]) -> None:
        doc["spec"]["skills"]["required"].reverse()  # [billing, support_tier1]

    def reverse_apply_to(doc: dict[str, Any]) -> None:
        doc["spec"]["settings"]["scopeDirectives"]["applyTo"].reverse()

    edit(folder / "strategies" / "technical-support.yaml", 0, reverse_skills)
    edit(folder / "flows" / "primary-architecture.yaml", 0, reverse_apply_to)
    p = plan(org, load(folder))
    assert entry(p, "technical-support-voice").action is Action.NO_OP
    assert entry(p, "primary-architecture").action is Action.NO_OP
    assert set(actions(p).values()) == {"no-op"}


def test_reordering_an_ordered_list_is_a_change(tmp_path: Path) -> None:
    org = connection()
    folder = examples(tmp_path)
    apply_by_hand(org.client, load(folder))

    def reverse_overflow(doc: dict[str, Any]) -> None:
        doc["spec"]["overflow"]["rules"].reverse()  # evaluated in order: not a set

    edit(folder / "strategies" / "technical-support.yaml", 0, reverse_overflow)
    p = plan(org, load(folder))
    voice = entry(p, "technical-support-voice")
    assert voice.action is Action.UPDATE
    assert {c.change.pointer for c in voice.changes} == {
        "/overflow/rules/0/condition",
        "/overflow/rules/0/threshold",
        "/overflow/rules/0/action",
        "/overflow/rules/1/condition",
        "/overflow/rules/1/threshold",
        "/overflow/rules/1/action",
    }


def test_a_set_with_another_element_is_a_change(tmp_path: Path) -> None:
    org = connection()
    folder = examples(tmp_path)
    apply_by_hand(org.client, load(folder))

    def swap(doc: dict[str, Any]) -> None:
        doc["spec"]["skills"]["required"] = ["billing", "support_tier2"]

    edit(folder / "strategies" / "technical-support.yaml", 0, swap)
    p = plan(org, load(folder))
    assert changes(p, "technical-support-voice") == {
        "/skills/required": (["support_tier1", "billing"], ["billing", "support_tier2"])
    }


def stated(spec: Any, ptr: str) -> bool:
    node = spec
    for token in pointer_tokens(ptr):
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False
    return True


def test_every_change_is_a_field_the_file_states() -> None:
    """Or a field the resource table derives for it (a layout's user preferences)."""
    run = load(CONFIGS, REPO)
    org = connection()
    p = plan(org, run)
    specs = {e.id: e.document.data["spec"] for e in run.entries}
    table = org.contract.resources
    pointers = [(e.kind, e.config, c.change.pointer) for e in p.resources for c in e.changes]
    assert pointers
    for kind, config, ptr in pointers:
        assert stated(specs[config], ptr) or table[kind].derived_at(ptr), (config, ptr)


def test_a_field_the_file_does_not_state_is_never_a_change() -> None:
    org = connection()
    run = load(CONFIGS, REPO)
    apply_by_hand(org.client, run)
    # A colleague sets fields the supervisor file does not state: the layout's
    # inheritance, and a state on the visibility of a widget the file places.
    current = org.client.get_layout("lay-supervisor")
    body = {k: v for k, v in current.items() if k not in ("id", "modifiedDate", "selfUri")}
    body["inheritance"] = "user-preference"
    body["widgets"][2]["visibility"]["state"] = "collapsed"
    body["widgets"][2]["configuration"] = {"pinned": True}
    org.client.update_layout("lay-supervisor", body)
    p = plan(org, run)
    assert entry(p, "supervisor").action is Action.NO_OP, render_plan(p)
    # The same colleague changing a field the file states is a change, named exactly.
    body = {k: v for k, v in org.client.get_layout("lay-supervisor").items() if k != "selfUri"}
    body.pop("id")
    body.pop("modifiedDate")
    body["widgets"][2]["visibility"]["condition"] = "role:agent"
    org.client.update_layout("lay-supervisor", body)
    p = plan(org, run)
    assert changes(p, "supervisor") == {"/widgets/2/visibility/condition": ("role:agent", "always")}


def test_the_plan_file_is_byte_identical_for_identical_inputs() -> None:
    first = plan(connection(), load(CONFIGS, REPO)).to_json()
    second = plan(connection(), load(CONFIGS, REPO)).to_json()
    assert first.encode() == second.encode()
    org = connection()
    run = load(CONFIGS, REPO)
    assert plan(org, run).to_json() == plan(org, run).to_json() == first
    data = json.loads(first)
    assert data["format"] == "genesys-compliance/plan/v1"
    assert data["summary"] == {"create": 3, "update": 9, "no-op": 0, "blocked": 0}
    assert first == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    # Nothing run-specific: no correlation ids, tokens of the session, or clock readings.
    assert not re.search(r"gcsim_|Z\"|correlation", first)


def test_the_plan_reads_only_the_listings() -> None:
    org = connection()
    plan(org, load(CONFIGS, REPO))
    sent = operations(org)
    assert set(sent) <= READS
    # The minimum the contract allows: one page of each of the four listings,
    # the strategies document of each of the two queues the strategies name,
    # and the preferences of the one user a layout inherits them from.
    minimum = 4 + 2 + 1
    api = sum(n for op, n in sent.items() if op != "postOAuthToken")
    assert api == minimum, sent
    assert sent["getQueueStrategies"] == 2
    assert sent["getUserPreferences"] == 1
    assert sent["postOAuthToken"] == 1


def test_a_plan_of_a_thousand_layouts_costs_three_pages(tmp_path: Path) -> None:
    org = connection()
    assert org.org is not None
    folder = tmp_path / "configs"
    folder.mkdir()
    many = 1000
    for i in range(many):
        layout = {
            "name": f"Layout {i}",
            "grid": {"columns": 24, "rows": 16},
            "widgets": [
                {
                    "widget_type": "notes-widget",
                    "id": "notes",
                    "position": {"x": 0, "y": 0, "width": 4, "height": 4},
                }
            ],
        }
        seeded = {**copy.deepcopy(layout), "id": f"lay-{i}", "version": 1}
        org.org.state.layouts[f"lay-{i}"] = seeded
        if i % 2:  # half of them differ from the org
            layout["widgets"][0]["position"]["width"] = 5
        document = {
            "apiVersion": "genesys-compliance/v1",
            "kind": "DesktopLayout",
            "metadata": {"name": f"layout-{i}", "layoutId": f"lay-{i}"},
            "spec": layout,
        }
        (folder / f"layout-{i}.json").write_text(json.dumps(document), encoding="utf-8")
    p = plan(org, load(folder))
    assert p.counts() == {"create": 0, "update": many // 2, "no-op": many // 2, "blocked": 0}
    sent = operations(org)
    total = many + 2  # the seed's two layouts
    assert sent["listDesktopLayouts"] == math.ceil(total / 500) == 3
    assert sent["getDesktopLayout"] == 0
    assert p.requests == 3


def test_refused_configurations_are_not_planned(tmp_path: Path) -> None:
    folder = examples(tmp_path)

    def overlap(doc: dict[str, Any]) -> None:
        doc["spec"]["widgets"][1]["position"]["x"] = 4  # covers the queue widget's cells

    edit(folder / "layouts" / "supervisor.yaml", 0, overlap)
    org = connection()
    p = plan(org, load(folder))
    assert "supervisor" not in actions(p)
    [refused] = p.not_planned
    assert (refused.name, refused.reasons) == ("supervisor", ("layout/overlap",))
    assert json.loads(p.to_json())["notPlanned"][0]["reasons"] == ["layout/overlap"]
    assert "not planned" in render_plan(p)


def test_the_text_has_one_line_per_action_and_its_changes_indented() -> None:
    p = plan(connection(), load(CONFIGS, REPO))
    lines = render_plan(p).splitlines()
    assert lines[0] == "plan: 3 to create, 9 to update, 0 unchanged, 0 blocked"
    heads = [line for line in lines[1:] if not line.startswith("      ")]
    assert len(heads) == len(p.resources)
    assert heads[0].startswith("  ~ update  FlowSettings after-hours  ")
    assert "flowId=b7e2c9d1-4f3a-4c8e-9d2b-6a1f0e3c5d72 @ 3  (2 changes)" in heads[0]
    assert lines[2].startswith("      /settings/configurationMatrix: (absent) -> {")
    assert "      /settings/routing/maxWaitTime: 300 -> 180" in lines
    assert all(len(line) < 260 for line in lines)
    assert render_plan(p, changes=False).count("\n") == len(p.resources) + 1
