"""Bugs the apply state machine (``test_state_machine.py``) found, each pinned by one example.

Each test is the machine's counterexample, replayed on the example
configurations: a run that fails must leave every resource as it was before
it, or say which one it could not put back and why.
"""

from __future__ import annotations

from pathlib import Path

from genesys_compliance.apply import RolledBack, apply_plan
from tests.apply._support import CONFIGS, REPO, configured, connection, load, plan, written

TECH = "3f7c1a2e-8b4d-4e6f-9a1c-5d2e7f8b9c01"
ESCALATION = "d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f70"


def test_a_put_the_client_sent_again_after_its_answer_was_lost_is_rolled_back(
    tmp_path: Path,
) -> None:
    # The trigger rule's PUT lands but its answer is lost; the client sends it again
    # (a PUT is idempotent) and the org refuses the second send as stale, since the
    # first moved the etag. That write is the run's own: it must be rolled back when
    # a later write fails, and audited as an update, not as "already so".
    org = connection()
    assert org.org is not None
    before = configured(org)
    p = plan(org, load(CONFIGS, REPO))
    org.org.faults.drop_connection(after_processing=True, operation="updateTriggerRule")
    org.org.faults.server_error(times=None, operation="createTriggerRule")
    result = apply_plan(org.client, p, journal=tmp_path)
    assert result.outcome == "failed"
    assert written(org)["updateTriggerRule"] == 3  # the lost send, its replay, the restore
    [card] = [e for e in result.resources if e.subject.name == "credit-card-detection"]
    assert card.action == "update"
    undone = {e.subject.name: e.outcome for e in result.rollbacks}
    assert undone["credit-card-detection"] == "restored"
    assert configured(org) == before


def test_a_put_that_landed_before_the_client_gave_up_on_429s_is_adopted(tmp_path: Path) -> None:
    # The trigger rule's PUT lands and its answer is lost; the client sends it again
    # and meets 429s until its attempts are spent. The last answer is a 429 (never
    # processed), but the first send landed: apply reads before deciding, finds the
    # rule as the file states, and goes on instead of failing with the write in place.
    org = connection()
    assert org.org is not None
    p = plan(org, load(CONFIGS, REPO))
    org.org.faults.drop_connection(after_processing=True, operation="updateTriggerRule")
    org.org.faults.rate_limit(times=3, retry_after=1, operation="updateTriggerRule")
    result = apply_plan(org.client, p, journal=tmp_path)
    assert result.ok, result.failure
    assert written(org)["updateTriggerRule"] == 4  # every attempt the client allows
    [card] = [e for e in result.resources if e.subject.name == "credit-card-detection"]
    assert card.action == "update"
    assert "landed" in (card.note or "")
    again = {e.name: e.action.value for e in plan(org, load(CONFIGS, REPO)).resources}
    assert again["credit-card-detection"] == "no-op"


def test_a_write_whose_answer_and_read_back_were_lost_is_still_rolled_back(
    tmp_path: Path,
) -> None:
    # The escalation rule's PATCH lands, its answer is lost, and reading it back fails
    # for good too, so the run stops. Its rollback must read the rule again and put it
    # back, not leave a write that landed while saying the run was rolled back.
    org = connection()
    assert org.org is not None
    before = configured(org)
    p = plan(org, load(CONFIGS, REPO))
    org.org.faults.drop_connection(after_processing=True, operation="patchRoutingRule")
    org.org.faults.server_error(times=4, operation="getRoutingRule")  # every attempt of one read
    result = apply_plan(org.client, p, journal=tmp_path)
    assert result.outcome == "failed"
    undone = {e.subject.name: e.outcome for e in result.rollbacks}
    assert undone["technical-support-escalation"] == "restored"
    assert configured(org) == before
    failed = result.failure
    assert failed is not None
    assert failed.not_rolled_back == 0


def test_a_landed_write_that_cannot_be_read_back_is_named_as_not_rolled_back(
    tmp_path: Path,
) -> None:
    # As above, but the rule can never be read again: the run must say so.
    org = connection()
    assert org.org is not None
    p = plan(org, load(CONFIGS, REPO))
    org.org.faults.drop_connection(after_processing=True, operation="patchRoutingRule")
    org.org.faults.server_error(times=None, operation="getRoutingRule")
    result = apply_plan(org.client, p, journal=tmp_path)
    assert result.outcome == "failed"
    [rule] = [e for e in result.rollbacks if e.subject.name == "technical-support-escalation"]
    assert isinstance(rule, RolledBack)
    assert rule.outcome == "failed"
    assert not rule.settled
    assert "may have landed and cannot be read back" in (rule.reason or "")
    failed = result.failure
    assert failed is not None
    assert failed.not_rolled_back == 1
    assert org.org.state.routing_rules[ESCALATION]["version"] == 5  # the lost PATCH landed


def test_a_strategy_is_rolled_back_when_only_its_sibling_changed_since(tmp_path: Path) -> None:
    # Both technical-support strategies are items of one document with one version. A
    # colleague adds skills to the chat strategy after the run wrote both, then a
    # routing rule fails for good. The chat strategy changed since the run wrote it:
    # left as it is (apply/rollback-conflict). The voice strategy did not: only the
    # document's version moved, so it is put back on the new version.
    org = connection()
    assert org.org is not None
    before = configured(org)
    p = plan(org, load(CONFIGS, REPO))
    chat = next(
        i for i, s in enumerate(org.org.state.strategies[TECH]["items"]) if s["mediaType"] == "chat"
    )
    org.org.faults.concurrent_write(
        operation="patchRoutingRule",
        entity_type="strategies",
        entity_id=TECH,
        field=f"/strategies/{chat}/skills",
        value={"required": ["chat_basics"]},
        client_id="colleague-ui",
    )
    org.org.faults.server_error(times=None, operation="patchRoutingRule")
    result = apply_plan(org.client, p, journal=tmp_path)
    assert result.outcome == "failed"
    undone = {e.subject.name: e for e in result.rollbacks}
    assert undone["technical-support-voice"].outcome == "restored"
    assert undone["technical-support-chat"].outcome == "conflict"
    assert undone["technical-support-chat"].changed_by == "colleague-ui"
    strategies = {s["mediaType"]: s for s in configured(org)["strategies"][TECH]}
    was = {s["mediaType"]: s for s in before["strategies"][TECH]}
    assert strategies["voice"] == was["voice"]
    assert strategies["chat"]["skills"] == {"required": ["chat_basics"]}
    findings = sorted(f.rule_id for f in result.findings)
    assert findings == ["apply/failed", "apply/rollback-conflict"]


def test_the_examples_are_written_in_the_order_the_regressions_rely_on() -> None:
    # Each regression needs its lost or changed write before the write that fails.
    names = [e.name for e in plan(connection(), load(CONFIGS, REPO)).resources]
    assert names.index("credit-card-detection") < names.index("negative-sentiment")
    assert names.index("technical-support-voice") < names.index("technical-support-escalation")
