"""Crash safety (SPEC 6.6): the journal, a run killed mid-apply, ``resume`` and ``rollback``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from genesys_compliance.apply import (
    JOURNAL_FILE,
    JournalBusyError,
    JournalError,
    RolledBack,
    UnresolvedJournalError,
    apply_plan,
    read_journal,
    resume,
    rollback,
    unresolved,
)
from genesys_compliance.apply._journal import Journal
from genesys_compliance.connect import OrgConnection
from tests.apply._support import (
    CONFIGS,
    REPO,
    Crash,
    CrashOn,
    configured,
    connection,
    dying_client,
    load,
    plan,
    written,
)

BILLING = "6c2d9e4f-1a3b-4c5d-8e7f-0a1b2c3d4e5f"


def crashed(org: OrgConnection, folder: Path, **kwargs: Any) -> None:
    """Apply the examples until the listener or client given crashes the run."""
    client = kwargs.pop("client", org.client)
    with pytest.raises(Crash):
        apply_plan(client, plan(org, load(CONFIGS, REPO)), journal=folder, **kwargs)


def records(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / JOURNAL_FILE).read_text().splitlines()]


def as_the_files_state(org: OrgConnection) -> bool:
    return plan(org, load(CONFIGS, REPO)).counts()["no-op"] == 12


def test_the_journal_holds_each_intent_before_its_write_and_its_outcome_after(
    tmp_path: Path,
) -> None:
    org = connection()
    result = apply_plan(org.client, plan(org, load(CONFIGS, REPO)), journal=tmp_path)
    assert result.ok
    lines = records(tmp_path)
    assert [r["type"] for r in lines[:3]] == ["begin", "intent", "outcome"]
    assert lines[-1] == {"type": "end", "run": result.run, "outcome": "applied"}
    intents = [r for r in lines if r["type"] == "intent"]
    outcomes = {r["seq"]: r for r in lines if r["type"] == "outcome"}
    assert len(intents) == 12 == len(outcomes)
    first = intents[0]
    assert first["op"] == "update"
    assert first["snapshot"]["version"] == first["token"]  # the resource as read
    assert first["body"]["settings"]["routing"]["maxWaitTime"] == 180  # what was sent
    assert outcomes[first["seq"]]["status"] == "done"
    assert unresolved(tmp_path) is None
    run = read_journal(tmp_path)
    assert run is not None
    assert run.resolved
    assert len(run.steps) == 12


def test_a_run_killed_after_an_intent_blocks_the_next_apply(tmp_path: Path) -> None:
    org = connection()
    crashed(org, tmp_path, listeners=[CrashOn("apply.writing", 5)])
    interrupted = unresolved(tmp_path)
    assert interrupted is not None
    assert (interrupted.done, interrupted.unknown) == (4, 1)
    message = interrupted.message()
    assert "\n" not in message
    assert "--gc-resume" in message
    assert "--gc-rollback" in message
    before = written(org)
    with pytest.raises(UnresolvedJournalError) as refused:
        apply_plan(org.client, plan(org, load(CONFIGS, REPO)), journal=tmp_path)
    assert str(refused.value) == message
    assert written(org) == before


def test_resume_finishes_a_run_killed_after_an_intent(tmp_path: Path) -> None:
    org = connection()
    crashed(org, tmp_path, listeners=[CrashOn("apply.writing", 5)])
    assert sum(written(org).values()) == 4
    result = resume(org.client, tmp_path)
    assert result.ok, result.failure
    assert result.mode == "resume"
    assert as_the_files_state(org)
    assert sum(written(org).values()) == 12  # the four before the crash are not sent again
    assert unresolved(tmp_path) is None
    run = read_journal(tmp_path)
    assert run is not None
    assert run.run == result.run  # one run, one story in the audit log


def test_rollback_undoes_a_run_killed_after_an_intent(tmp_path: Path) -> None:
    org = connection()
    before = configured(org)
    crashed(org, tmp_path, listeners=[CrashOn("apply.writing", 5)])
    assert configured(org) != before
    result = rollback(org.client, tmp_path)
    assert result.ok, result.events
    assert result.mode == "rollback"
    assert configured(org) == before
    outcomes = [(e.subject.name, e.outcome) for e in result.events if isinstance(e, RolledBack)]
    assert outcomes == [
        ("technical-support-voice", "unchanged"),  # its intent was durable, its send never went
        ("technical-support-chat", "restored"),
        ("billing-voice", "restored"),
        ("primary-architecture", "restored"),
        ("after-hours", "restored"),
    ]
    assert unresolved(tmp_path) is None


def test_resume_adopts_a_create_that_landed_as_the_process_died(tmp_path: Path) -> None:
    org = connection()
    crashed(org, tmp_path, client=dying_client(org, "createRoutingRule"))
    interrupted = unresolved(tmp_path)
    assert interrupted is not None
    assert interrupted.unknown == 1
    result = resume(org.client, tmp_path)
    assert result.ok, result.failure
    assert org.org is not None
    named = [
        r
        for r in org.org.state.routing_rules.values()
        if r["queue"]["id"] == BILLING and r["name"] == "Billing Spanish Speakers"
    ]
    assert len(named) == 1
    assert written(org)["createRoutingRule"] == 0  # the dead client sent it; resume did not
    [adopted] = [e for e in result.resources if e.subject.name == "billing-spanish"]
    assert adopted.action == "create"
    assert as_the_files_state(org)


def test_rollback_deletes_a_create_that_landed_as_the_process_died(tmp_path: Path) -> None:
    org = connection()
    before = configured(org)
    crashed(org, tmp_path, client=dying_client(org, "createRoutingRule"))
    result = rollback(org.client, tmp_path)
    assert result.ok, result.events
    assert configured(org) == before
    deleted = [e for e in result.rollbacks if e.subject.name == "billing-spanish"]
    assert [e.outcome for e in deleted] == ["deleted"]


def test_rollback_of_an_update_that_landed_as_the_process_died(tmp_path: Path) -> None:
    org = connection()
    before = configured(org)
    crashed(org, tmp_path, client=dying_client(org, "patchFlowSettings", nth=2))
    result = rollback(org.client, tmp_path)
    assert result.ok
    assert configured(org) == before
    assert [(e.subject.name, e.outcome) for e in result.rollbacks] == [
        ("primary-architecture", "restored"),
        ("after-hours", "restored"),
    ]


def test_rollback_leaves_a_resource_someone_changed_since(tmp_path: Path) -> None:
    org = connection()
    assert org.org is not None
    crashed(org, tmp_path, listeners=[CrashOn("apply.writing", 3)])
    org.org.change(
        "flows",
        "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
        client_id="ui-admin",
        field="/settings/routing/maxWaitTime",
        value=42,
    )
    result = rollback(org.client, tmp_path)
    assert result.outcome == "failed"
    outcomes = {e.subject.name: e for e in result.rollbacks}
    assert outcomes["primary-architecture"].outcome == "conflict"
    assert outcomes["primary-architecture"].changed_by == "ui-admin"
    assert outcomes["after-hours"].outcome == "restored"
    assert [f.rule_id for f in result.findings] == ["apply/rollback-conflict"]
    assert unresolved(tmp_path) is None  # settled as far as it can be: said, not hidden


def test_a_torn_last_line_is_a_write_that_never_went(tmp_path: Path) -> None:
    org = connection()
    crashed(org, tmp_path, listeners=[CrashOn("apply.writing", 2)])
    path = tmp_path / JOURNAL_FILE
    with path.open("ab") as journal:
        journal.write(b'{"type": "intent", "run": "x", "se')  # the crash cut this line short
    interrupted = unresolved(tmp_path)
    assert interrupted is not None
    assert interrupted.done == 1
    assert resume(org.client, tmp_path).ok
    assert as_the_files_state(org)


def test_a_journal_broken_in_the_middle_is_refused_not_guessed(tmp_path: Path) -> None:
    org = connection()
    crashed(org, tmp_path, listeners=[CrashOn("apply.writing", 2)])
    path = tmp_path / JOURNAL_FILE
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(lines[0] + b"not json\n" + b"".join(lines[1:]))
    with pytest.raises(JournalError, match=r"journal.jsonl:2 is not a journal record"):
        unresolved(tmp_path)


def test_two_applies_never_share_a_journal(tmp_path: Path) -> None:
    org = connection()
    p = plan(org, load(CONFIGS, REPO))
    with (
        Journal.begin(tmp_path, "other-run", [], force=False),
        pytest.raises(JournalBusyError, match="another apply is running"),
    ):
        apply_plan(org.client, p, journal=tmp_path)
    assert sum(written(org).values()) == 0


def test_resume_and_rollback_need_an_interrupted_run(tmp_path: Path) -> None:
    org = connection()
    with pytest.raises(JournalError, match="nothing to resume or roll back"):
        resume(org.client, tmp_path)
    assert apply_plan(org.client, plan(org, load(CONFIGS, REPO)), journal=tmp_path).ok
    with pytest.raises(JournalError, match="nothing to resume or roll back"):
        rollback(org.client, tmp_path)
