"""The event stream: its order, the audit log's fields, webhook names, no credential anywhere."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from genesys_compliance.apply import (
    ApplyResult,
    Conflict,
    FieldConflict,
    Planned,
    ResourceWritten,
    RolledBack,
    apply_plan,
    resume,
)
from genesys_compliance.audit import AuditLog, verify
from genesys_compliance.connect import OrgConnection
from genesys_compliance.webhooks import WEBHOOK_EVENTS
from tests.apply._support import CONFIGS, REPO, Crash, CrashOn, connection, load, plan

ESCALATION = "d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f70"
# SPEC 7: what every record of an action holds (the log adds seq, time, run, org, ...).
AUDIT_FIELDS = {
    "kind",
    "name",
    "file",
    "resource",
    "action",
    "versionBefore",
    "versionAfter",
    "changes",
    "latencyMs",
    "outcome",
    "correlationId",
}


def conflicted(org: OrgConnection, folder: Path) -> ApplyResult:
    assert org.org is not None
    p = plan(org, load(CONFIGS, REPO))
    org.org.faults.concurrent_write(
        entity_type="routingRules",
        entity_id=ESCALATION,
        field="/priority",
        value=17,
        client_id="colleague-ui",
        path=f"/api/v2/routing/rules/{ESCALATION}",
    )
    return apply_plan(org.client, p, journal=folder)


def test_a_run_is_one_ordered_stream_ending_once(tmp_path: Path) -> None:
    org = connection()
    result = conflicted(org, tmp_path)
    types = [e.type for e in result.events]
    assert types[:2] == ["apply.planned", "apply.started"]
    assert types[-1] == "apply.failed"
    assert types.count("apply.failed") + types.count("apply.completed") == 1
    conflict_at = types.index("apply.conflict")
    assert set(types[conflict_at + 1 : -1]) == {"apply.writing", "apply.rolled-back"}
    assert all(e.run == result.run for e in result.events)


def test_every_action_record_has_the_audit_logs_fields(tmp_path: Path) -> None:
    org = connection()
    result = conflicted(org, tmp_path)
    actions = [e for e in result.events if isinstance(e, ResourceWritten | RolledBack | Conflict)]
    assert {type(e) for e in actions} == {ResourceWritten, RolledBack, Conflict}
    for event in actions:
        record = event.to_dict()
        assert AUDIT_FIELDS - {"latencyMs"} <= record.keys(), event.type
        json.dumps(record)  # plain JSON, as the audit log writes it
    written = next(e for e in result.events if isinstance(e, ResourceWritten) and e.wrote)
    record = written.to_dict()
    assert record["action"] == "update"
    assert record["versionAfter"] == record["versionBefore"] + 1
    assert record["correlationId"]
    assert record["changes"]
    assert record["changes"][0].keys() >= {"pointer", "file"}


def test_webhook_events_are_the_specs(tmp_path: Path) -> None:
    org = connection()
    result = conflicted(org, tmp_path)
    sent = {e.webhook for e in result.events if e.webhook is not None}
    assert sent <= set(WEBHOOK_EVENTS)
    assert sent == set(WEBHOOK_EVENTS) - {"apply.completed"}
    planned = next(e for e in result.events if isinstance(e, Planned))
    assert planned.webhook is None  # the plan is the report's, not a downstream system's
    assert planned.to_dict()["summary"]["update"] == 9


def test_a_field_conflict_says_when_the_org_cannot_tell_who() -> None:
    field = FieldConflict("/priority", 10, 10, 17)
    assert field.describe() == (
        "/priority changed in the org since the plan (the org's audit does not say by whom): "
        "planned from 10, now 17, the file states 10"
    )
    gone = FieldConflict("/x", 1, 1, None, org_absent=True, changed_by="ui", changed_at="t")
    assert "by ui at t" in gone.describe()
    assert "now (absent)" in gone.describe()
    assert "org" not in gone.to_dict()


def credentials(org: OrgConnection) -> list[str]:
    """The run's client secret and every bearer token the org issued."""
    assert org.org is not None
    secrets = [c.secret for c in org.org.state.clients.values() if c.id.startswith("gc-run-")]
    tokens = list(org.org.issued_tokens())
    assert len(secrets) == 1
    assert tokens
    return secrets + tokens


def everything(result: ApplyResult, folder: Path) -> str:
    """Every byte apply emitted, journaled or returned, as text."""
    parts = [repr(result), (folder / "journal.jsonl").read_text(encoding="utf-8")]
    for event in result.events:
        parts.append(json.dumps(event.to_dict(), default=str))
        parts.append(repr(event))
    parts.extend(f.render() for f in result.findings)
    parts.extend(result.listener_errors)
    return "\n".join(parts)


@pytest.mark.parametrize("scenario", ["applied", "conflict", "failed", "resumed"])
def test_no_secret_or_token_in_events_journal_or_result(tmp_path: Path, scenario: str) -> None:
    org = connection()
    assert org.org is not None
    result: Any
    if scenario == "applied":
        result = apply_plan(org.client, plan(org, load(CONFIGS, REPO)), journal=tmp_path)
    elif scenario == "conflict":
        result = conflicted(org, tmp_path)
    elif scenario == "failed":
        org.org.faults.server_error(times=None, operation="createTriggerRule")
        result = apply_plan(org.client, plan(org, load(CONFIGS, REPO)), journal=tmp_path)
    else:
        with pytest.raises(Crash):
            apply_plan(
                org.client,
                plan(org, load(CONFIGS, REPO)),
                journal=tmp_path,
                listeners=[CrashOn("apply.writing", 4)],
            )
        org.org.expire_tokens()  # resume fetches a new token: both must stay out
        result = resume(org.client, tmp_path)
    text = everything(result, tmp_path)
    assert result.events
    for secret in credentials(org):
        assert secret not in text


def test_every_action_goes_into_the_audit_log_as_it_takes_it(tmp_path: Path) -> None:
    org = connection()
    result = conflicted(org, tmp_path)
    log = AuditLog(tmp_path / "log", run=result.run, org="sim", region="local", client="ci")
    with log:
        for e in result.events:
            fields = e.audit_fields()
            if fields is not None:
                log.append(fields)
    actions = [r["action"] for r in log.records]
    assert actions[:5] == ["update"] * 5  # flows and strategies
    assert actions.count("conflict") == 1
    assert actions.count("rollback") == 6
    assert actions[-1] == "failed"
    assert verify(tmp_path / "log").problem is None
