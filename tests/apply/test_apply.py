"""The executor (SPEC 6.2-6.5) against the simulated org in process, with its faults."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from genesys_compliance.apply import (
    ApplyRefusedError,
    ApplyResult,
    Conflict,
    Failed,
    Plan,
    ResourceWritten,
    RolledBack,
    Skipped,
    apply_plan,
)
from genesys_compliance.connect import OrgConnection
from tests.apply._support import (
    CONFIGS,
    REPO,
    Recorder,
    configured,
    connection,
    dying_client,
    examples,
    load,
    operations,
    plan,
    written,
)

TECH = "3f7c1a2e-8b4d-4e6f-9a1c-5d2e7f8b9c01"
BILLING = "6c2d9e4f-1a3b-4c5d-8e7f-0a1b2c3d4e5f"
PRIMARY_FLOW = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
ESCALATION = "d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f70"
CREDIT_CARD = "a1b2c3d4-e5f6-7890-abcd-ef1234567891"


def apply(org: OrgConnection, tmp_path: Path, p: Plan | None = None, **kwargs: Any) -> ApplyResult:
    """Apply the examples (or ``p``) with the journal in ``tmp_path/audit``."""
    return apply_plan(
        org.client, p or plan(org, load(CONFIGS, REPO)), journal=tmp_path / "audit", **kwargs
    )


def event(result: ApplyResult, name: str, kind: type[Any] = ResourceWritten) -> Any:
    [found] = [e for e in result.events if isinstance(e, kind) and e.subject.name == name]
    return found


def edit(path: Path, index: int, change: Any) -> None:
    """Rewrite one document of a YAML file through ``change(document)``."""
    documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    change(documents[index])
    path.write_text(yaml.safe_dump_all(documents, sort_keys=False), encoding="utf-8")


def test_the_examples_are_applied_and_a_second_apply_sends_nothing(tmp_path: Path) -> None:
    org = connection()
    recorder = Recorder()
    first = apply(org, tmp_path, listeners=[recorder])
    assert first.ok, first.failure
    assert first.counts() == {"create": 3, "update": 9}
    assert first.writes == 12 == sum(written(org).values())
    types = recorder.types()
    assert types[:2] == ["apply.planned", "apply.started"]
    assert types[-1] == "apply.completed"
    assert types.count("apply.resource") == 12
    assert recorder.events == list(first.events)  # the listeners saw the result's stream
    # The org is now as the files state: a new plan finds nothing to do...
    again = plan(org, load(CONFIGS, REPO))
    assert again.counts()["no-op"] == 12
    # ...and applying it sends no request at all.
    before = operations(org)
    second = apply(org, tmp_path, again)
    assert second.ok
    assert second.counts() == {"no-op": 12}
    assert operations(org) == before


def test_strategies_of_one_queue_are_written_on_the_token_the_run_moved(tmp_path: Path) -> None:
    # Both technical-support strategies are items of one document with one token:
    # the second write carries the token the first returned, so it is no rebase.
    org = connection()
    result = apply(org, tmp_path)
    voice = event(result, "technical-support-voice")
    chat = event(result, "technical-support-chat")
    assert (chat.action, voice.action) == ("update", "update")
    assert voice.version_before == chat.version_after
    assert written(org)["patchQueueStrategies"] == 3


def test_a_full_replacement_keeps_the_fields_the_file_never_states(tmp_path: Path) -> None:
    org = connection()
    assert org.org is not None
    # The supervisor layout's file states no `inheritance`; the org holds "none". The
    # layout's write is a PUT that replaces the whole layout.
    assert org.org.state.layouts["lay-supervisor"]["inheritance"] == "none"
    org.org.change(
        "flows",
        PRIMARY_FLOW,
        client_id="ui-admin",
        field="/settings/configurationMatrix/parameter_09",
        value={"key": "night_mode", "value": True},
    )
    result = apply(org, tmp_path)
    assert result.ok
    layout = org.org.state.layouts["lay-supervisor"]
    assert layout["inheritance"] == "none"
    assert [w["id"] for w in layout["widgets"]] == ["queues-overview", "cc-metrics", "shift-notes"]
    matrix = org.org.state.flows[PRIMARY_FLOW]["settings"]["configurationMatrix"]
    assert matrix["parameter_09"] == {"key": "night_mode", "value": True}
    assert matrix["parameter_03"] == {"key": "fallback_routing", "value": "overflow"}


def test_a_reordered_skills_list_makes_no_write(tmp_path: Path) -> None:
    org = connection()
    folder = examples(tmp_path)
    assert apply(org, tmp_path, plan(org, load(folder))).ok

    def reorder(doc: dict[str, Any]) -> None:
        doc["spec"]["skills"]["required"].reverse()

    edit(folder / "strategies" / "technical-support.yaml", 0, reorder)
    before = written(org)
    result = apply(org, tmp_path, plan(org, load(folder)))
    assert event(result, "technical-support-voice").action == "no-op"
    assert written(org) == before


def test_a_concurrent_change_of_an_unmanaged_field_is_rebased_over(tmp_path: Path) -> None:
    org = connection()
    assert org.org is not None
    p = plan(org, load(CONFIGS, REPO))
    org.org.faults.concurrent_write(
        entity_type="layouts",
        entity_id="lay-supervisor",
        field="/inheritance",
        value="user-preference",
        client_id="colleague-ui",
        path="/api/v2/desktop/layouts/lay-supervisor",
    )
    result = apply(org, tmp_path, p)
    assert result.ok, result.failure
    supervisor = event(result, "supervisor")
    assert supervisor.action == "rebase"
    assert supervisor.version_before == p.resources[-1].token + 1  # the colleague's version
    layout = org.org.state.layouts["lay-supervisor"]
    assert layout["inheritance"] == "user-preference"  # their change stays
    assert layout["name"] == "Supervisor Desktop Layout"  # ours is written
    assert written(org)["updateDesktopLayout"] == 3  # agent-default, stale, rebased


def conflict_on_escalation_priority(org: OrgConnection) -> None:
    assert org.org is not None
    org.org.faults.concurrent_write(
        entity_type="routingRules",
        entity_id=ESCALATION,
        field="/priority",
        value=17,
        client_id="colleague-ui",
        path=f"/api/v2/routing/rules/{ESCALATION}",
    )


def test_a_concurrent_change_of_a_managed_field_stops_and_rolls_back(tmp_path: Path) -> None:
    org = connection()
    before = configured(org)
    p = plan(org, load(CONFIGS, REPO))
    conflict_on_escalation_priority(org)
    result = apply(org, tmp_path, p)
    assert result.outcome == "conflict"
    conflict = event(result, "technical-support-escalation", Conflict)
    [field] = conflict.fields
    assert (field.pointer, field.git, field.planned, field.org) == ("/priority", 10, 10, 17)
    assert field.changed_by == "colleague-ui"
    assert field.changed_at is not None
    assert "planned from 10, now 17" in conflict.message()
    assert "colleague-ui" in conflict.message()
    [finding] = result.findings
    assert (finding.rule_id, finding.pointer) == ("apply/conflict", "/spec/priority")
    assert finding.line == 10  # the `priority:` line of the file
    assert finding.file.endswith("routing-rules/technical-support-escalation.yaml")
    # Everything the run wrote before is put back; the colleague's change stays.
    expected = copy.deepcopy(before)
    expected["routingRules"][ESCALATION]["priority"] = 17
    assert configured(org) == expected
    outcomes = {e.subject.name: e.outcome for e in result.rollbacks}
    assert outcomes == {
        "billing-spanish": "deleted",
        "technical-support-chat": "restored",
        "technical-support-voice": "restored",
        "billing-voice": "restored",
        "primary-architecture": "restored",
        "after-hours": "restored",
    }
    failed = result.failure
    assert failed is not None
    assert (failed.rule, failed.rolled_back, failed.not_rolled_back) == ("apply/conflict", 6, 0)


def test_force_writes_over_a_managed_change_and_says_so(tmp_path: Path) -> None:
    org = connection()
    assert org.org is not None
    p = plan(org, load(CONFIGS, REPO))
    conflict_on_escalation_priority(org)
    result = apply(org, tmp_path, p, force=True)
    assert result.ok
    assert event(result, "technical-support-escalation", Conflict).forced
    forced = event(result, "technical-support-escalation")
    assert (forced.action, forced.forced, forced.to_dict()["outcome"]) == ("update", True, "forced")
    assert org.org.state.routing_rules[ESCALATION]["priority"] == 10
    assert result.findings == ()


def test_a_write_failing_for_good_rolls_every_earlier_write_back(tmp_path: Path) -> None:
    org = connection()
    assert org.org is not None
    before = configured(org)
    p = plan(org, load(CONFIGS, REPO))
    org.org.faults.server_error(times=None, status=503, operation="createTriggerRule")
    result = apply(org, tmp_path, p)
    assert result.outcome == "failed"
    assert configured(org) == before  # every field of every resource, as it was
    failed = result.failure
    assert failed is not None
    assert failed.subject is not None
    assert failed.subject.name == "negative-sentiment"
    assert (failed.rule, failed.status, failed.not_rolled_back) == ("apply/failed", 503, 0)
    assert [r.subject.name for r in result.rollbacks] == [
        "credit-card-detection",
        "technical-support-escalation",
        "billing-spanish",
        "technical-support-voice",
        "technical-support-chat",
        "billing-voice",
        "primary-architecture",
        "after-hours",
    ]
    assert all(r.settled for r in result.rollbacks)
    # The create was sent again only after a read showed it had not landed, and never
    # more than three times.
    assert written(org)["createTriggerRule"] == 3
    [finding] = result.findings
    assert finding.rule_id == "apply/failed"
    assert finding.file.endswith("trigger-rules/negative-sentiment.yaml")
    assert "503" in finding.message


def test_creates_a_kind_cannot_delete_are_kept_and_named(tmp_path: Path) -> None:
    org = connection()
    assert org.org is not None
    p = plan(org, load(CONFIGS, REPO))
    org.org.faults.server_error(
        times=None, status=500, path="/api/v2/desktop/layouts/lay-supervisor"
    )
    result = apply(org, tmp_path, p)
    assert result.outcome == "failed"
    kept = {r.subject.name: r for r in result.rollbacks if r.outcome == "kept"}
    assert sorted(kept) == ["negative-sentiment", "new-hires"]
    assert "no delete for DesktopLayout" in (kept["new-hires"].reason or "")
    failed = result.failure
    assert failed is not None
    # The fault also fails the read-back of the supervisor layout, so whether its write
    # landed cannot be known: it is counted as not rolled back, and says why.
    assert failed.not_rolled_back == 3
    [unknown] = [r for r in result.rollbacks if r.outcome == "failed"]
    assert unknown.subject.name == "supervisor"
    assert "may have landed" in (unknown.reason or "")
    names = [layout["name"] for layout in org.org.state.layouts.values()]
    assert names.count("New Hire Desktop Layout") == 1  # kept, and said so


def test_a_create_whose_answer_was_lost_is_found_and_not_sent_twice(tmp_path: Path) -> None:
    org = connection()
    assert org.org is not None
    p = plan(org, load(CONFIGS, REPO))
    org.org.faults.drop_connection(after_processing=True, operation="createRoutingRule")
    org.org.faults.drop_connection(after_processing=True, operation="createDesktopLayout")
    org.org.faults.drop_connection(after_processing=True, operation="patchFlowSettings")
    result = apply(org, tmp_path, p)
    assert result.ok, result.failure
    rules = [
        r
        for r in org.org.state.routing_rules.values()
        if r["queue"]["id"] == BILLING and r["name"] == "Billing Spanish Speakers"
    ]
    assert len(rules) == 1
    layouts = [x for x in org.org.state.layouts.values() if x["name"] == "New Hire Desktop Layout"]
    assert len(layouts) == 1
    counts = written(org)
    assert (counts["createRoutingRule"], counts["createDesktopLayout"]) == (1, 1)
    assert counts["patchFlowSettings"] == 2  # one per flow: the lost answer was read back
    adopted = event(result, "billing-spanish")
    assert adopted.action == "create"
    assert "natural key" in (adopted.note or "")
    assert adopted.subject.resource is not None
    assert adopted.subject.resource.to_dict() == {"ruleId": rules[0]["id"]}
    assert "landed" in (event(result, "after-hours").note or "")
    assert plan(org, load(CONFIGS, REPO)).counts()["no-op"] == 12


def test_a_dropped_request_that_never_landed_is_sent_again_after_a_read(tmp_path: Path) -> None:
    org = connection()
    assert org.org is not None
    p = plan(org, load(CONFIGS, REPO))
    org.org.faults.drop_connection(after_processing=False, operation="createTriggerRule")
    result = apply(org, tmp_path, p)
    assert result.ok
    names = [r["name"] for r in org.org.state.trigger_rules.values()]
    assert names.count("Negative Sentiment Escalation") == 1
    assert written(org)["createTriggerRule"] == 2


def test_a_change_made_again_before_rollback_is_left_alone(tmp_path: Path) -> None:
    org = connection()
    assert org.org is not None
    p = plan(org, load(CONFIGS, REPO))
    org.org.faults.server_error(times=None, operation="createTriggerRule")

    class Colleague:
        """Edits the primary flow in the UI while the run is busy with trigger rules."""

        def on_event(self, e: Any) -> None:
            if isinstance(e, ResourceWritten) and e.subject.name == "credit-card-detection":
                assert org.org is not None
                org.org.change(
                    "flows",
                    PRIMARY_FLOW,
                    client_id="ui-admin",
                    field="/settings/routing/maxWaitTime",
                    value=42,
                )

    result = apply(org, tmp_path, p, listeners=[Colleague()])
    assert result.outcome == "failed"
    flow = event(result, "primary-architecture", RolledBack)
    assert (flow.outcome, flow.rule, flow.changed_by) == (
        "conflict",
        "apply/rollback-conflict",
        "ui-admin",
    )
    assert org.org.state.flows[PRIMARY_FLOW]["settings"]["routing"]["maxWaitTime"] == 42
    assert event(result, "after-hours", RolledBack).outcome == "restored"
    rules = sorted(f.rule_id for f in result.findings)
    assert rules == ["apply/failed", "apply/rollback-conflict"]
    failed = result.failure
    assert failed is not None
    assert failed.not_rolled_back == 1


def test_a_consumer_that_fails_stops_the_run_and_rolls_it_back(tmp_path: Path) -> None:
    org = connection()
    before = configured(org)

    class BrokenAuditLog:
        def __init__(self) -> None:
            self.written = 0

        def on_event(self, e: Any) -> None:
            if isinstance(e, ResourceWritten):
                self.written += 1
                if self.written == 3:
                    raise OSError("disk full")

    result = apply(org, tmp_path, listeners=[BrokenAuditLog()])
    assert result.outcome == "failed"
    assert configured(org) == before
    assert result.listener_errors
    assert "disk full" in result.listener_errors[0]
    failed = result.failure
    assert failed is not None
    assert "consumer" in failed.reason
    assert isinstance(result.events[-1], Failed)


def test_a_plan_with_a_configuration_that_failed_its_checks_is_not_applied(
    tmp_path: Path,
) -> None:
    org = connection()
    folder = examples(tmp_path)

    def overlap(doc: dict[str, Any]) -> None:
        doc["spec"]["widgets"][2]["position"]["x"] = 0

    edit(folder / "layouts" / "supervisor.yaml", 0, overlap)
    p = plan(org, load(folder))
    assert p.not_planned
    with pytest.raises(ApplyRefusedError, match="nothing was written"):
        apply(org, tmp_path, p)
    assert sum(written(org).values()) == 0
    assert not (tmp_path / "audit" / "journal.jsonl").exists()


def test_a_flow_changed_less_than_the_interval_ago_is_not_written(tmp_path: Path) -> None:
    org = connection()
    assert org.org is not None
    folder = examples(tmp_path)
    assert apply(org, tmp_path, plan(org, load(folder))).ok

    def longer(doc: dict[str, Any]) -> None:
        doc["spec"]["settings"]["routing"]["maxWaitTime"] = 200

    edit(folder / "flows" / "after-hours.yaml", 0, longer)
    before = written(org)
    held = apply(org, tmp_path, plan(org, load(folder)), intervals={"FlowSettings": 60})
    assert held.outcome == "failed"
    assert written(org) == before  # nothing at all, not even the other kinds
    [skipped] = [e for e in held.events if isinstance(e, Skipped)]
    assert skipped.subject.name == "after-hours"  # the unchanged flow is not held back
    assert skipped.changed_by is not None
    assert skipped.changed_by.startswith("gc-run-")  # this tool's own last apply
    assert "60 s between updates" in skipped.reason
    failed = held.failure
    assert failed is not None
    assert failed.rule == "apply/interval"
    [finding] = held.findings
    assert (finding.rule_id, finding.line) == ("apply/interval", 7)
    # A minute later (on the org's audit clock) it goes through.
    later = apply(
        org,
        tmp_path,
        plan(org, load(folder)),
        intervals={"FlowSettings": 60},
        now=lambda: datetime.now(UTC) + timedelta(seconds=61),
    )
    assert later.ok, later.failure
    assert event(later, "after-hours").action == "update"


def test_a_colleagues_recent_change_holds_a_flow_back_too(tmp_path: Path) -> None:
    org = connection()
    assert org.org is not None
    org.org.change(
        "flows", PRIMARY_FLOW, client_id="ui-admin", field="/description", value="edited"
    )
    result = apply(org, tmp_path, intervals={"FlowSettings": 60})
    [skipped] = [e for e in result.events if isinstance(e, Skipped)]
    assert (skipped.subject.name, skipped.changed_by) == ("primary-architecture", "ui-admin")
    assert sum(written(org).values()) == 0
    # Without an interval the audit is not even asked.
    assert apply(org, tmp_path).ok
    assert operations(org)["queryAudits"] == 1  # one for both flows, in the held-back run only


def test_an_unexpected_error_mid_run_still_rolls_back(tmp_path: Path) -> None:
    org = connection()
    before = configured(org)
    client = dying_client(org, "createTriggerRule", error=RuntimeError("a bug of ours"))
    result = apply_plan(client, plan(org, load(CONFIGS, REPO)), journal=tmp_path / "audit")
    assert result.outcome == "failed"
    assert configured(org) == before
    failed = result.failure
    assert failed is not None
    assert "RuntimeError: a bug of ours" in failed.reason
