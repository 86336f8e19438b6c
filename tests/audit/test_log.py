"""The writer (SPEC 7): chained, durable, redacted records that are never rewritten."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from genesys_compliance.audit import (
    FILE_NAME,
    GENESIS,
    AuditLog,
    AuditLogError,
    line_hash,
    verify,
)
from genesys_compliance.client import Secret
from tests.audit.helpers import FIXED, action, lines_of, open_log, records_of


def test_records_chain_across_two_runs_in_one_file(tmp_path: Path) -> None:
    with open_log(tmp_path, run="run-a") as log:
        log.append(action(1))
        log.append(action(2))
    with open_log(tmp_path, run="run-b") as log:
        log.append(action(3))
    lines = lines_of(tmp_path)
    records = [json.loads(line) for line in lines]
    assert [r["seq"] for r in records] == [1, 2, 3, 4, 5]
    assert [r["run"] for r in records] == ["run-a"] * 3 + ["run-b"] * 2
    actions = [r["action"] for r in records]
    assert actions == ["update", "update", "checkpoint", "update", "checkpoint"]
    assert records[0]["prev"] == GENESIS == "0" * 64
    for before, record in zip(lines, records[1:], strict=False):
        assert record["prev"] == hashlib.sha256(before).hexdigest()
    assert verify(tmp_path).ok


def test_a_record_holds_the_identity_the_time_and_the_callers_fields(tmp_path: Path) -> None:
    log = open_log(tmp_path)
    written = log.append(action(7))
    (record,) = records_of(tmp_path)
    assert written == record
    assert record == {
        **action(7),
        "seq": 1,
        "time": "2026-01-02T03:04:05.678Z",
        "run": "run-1",
        "org": "org-1",
        "region": "mypurecloud.ie",
        "client": "client-1",
        "prev": GENESIS,
    }
    assert log.records == (record,)


def test_every_line_is_canonical_json(tmp_path: Path) -> None:
    open_log(tmp_path).append({"name": "é", "action": "create", "b": 1, "a": [2.5, None]})
    (line,) = lines_of(tmp_path)
    spelled = json.dumps(
        json.loads(line), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert line == spelled.encode()
    assert "é".encode() in line


def test_times_are_utc_whatever_zone_the_clock_reports(tmp_path: Path) -> None:
    cet = FIXED.astimezone(timezone(timedelta(hours=1)))
    log = AuditLog(tmp_path, run="r", org="o", region="x", client="c", clock=lambda: cet)
    assert log.append(action(1))["time"] == "2026-01-02T03:04:05.678Z"


def test_the_default_clock_writes_rfc3339_utc(tmp_path: Path) -> None:
    log = AuditLog(tmp_path, run="r", org="o", region="x", client="c")
    before = datetime.now(UTC).replace(microsecond=0)
    time = log.append(action(1))["time"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", time)
    assert datetime.fromisoformat(time) >= before


def test_a_naive_clock_is_refused(tmp_path: Path) -> None:
    log = AuditLog(
        tmp_path, run="r", org="o", region="x", client="c", clock=lambda: datetime(2026, 1, 1)
    )
    with pytest.raises(ValueError, match="timezone-aware"):
        log.append(action(1))


@pytest.mark.parametrize("field", ["seq", "prev", "time", "run", "org", "head", "signature"])
def test_a_caller_cannot_set_the_fields_the_log_writes(tmp_path: Path, field: str) -> None:
    log = open_log(tmp_path)
    with pytest.raises(ValueError, match=f"writes {field} itself"):
        log.append({**action(1), field: "forged"})
    assert (tmp_path / FILE_NAME).read_bytes() == b""


def test_a_checkpoint_is_not_appended_as_an_action(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"checkpoint\(\)"):
        open_log(tmp_path).append({"action": "checkpoint"})


@pytest.mark.parametrize("field", ["action", "records", "head"])
def test_a_checkpoint_cannot_be_given_the_fields_it_writes(tmp_path: Path, field: str) -> None:
    log = open_log(tmp_path)
    with pytest.raises(ValueError, match=f"writes {field} itself"):
        log.checkpoint({field: "forged"})
    assert not log.closed


def test_a_value_that_is_not_json_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    log = open_log(tmp_path)
    with pytest.raises(ValueError, match=r"JSON|Out of range"):
        log.append({"latencyMs": float("nan")})
    with pytest.raises(TypeError):
        log.append({"changes": {1, 2}})
    assert (tmp_path / FILE_NAME).read_bytes() == b""


def test_the_checkpoint_closes_the_run(tmp_path: Path) -> None:
    log = open_log(tmp_path)
    log.append(action(1))
    log.append(action(2))
    checkpoint = log.checkpoint({"outcome": "success"})
    lines = lines_of(tmp_path)
    assert checkpoint == json.loads(lines[-1])
    assert checkpoint["action"] == "checkpoint"
    assert checkpoint["seq"] == 3
    assert checkpoint["head"] == checkpoint["prev"] == line_hash(lines[1])
    assert checkpoint["records"] == 2
    assert checkpoint["outcome"] == "success"
    assert "signature" not in checkpoint
    assert log.closed
    with pytest.raises(AuditLogError, match="takes no more records"):
        log.append(action(3))
    with pytest.raises(AuditLogError, match="takes no more records"):
        log.checkpoint()
    assert len(lines_of(tmp_path)) == 3


def test_the_context_manager_checkpoints_a_failed_run_too(tmp_path: Path) -> None:
    def failed_run() -> None:
        with open_log(tmp_path) as log:
            log.append(action(1, outcome="failure"))
            raise RuntimeError("the write failed for good")

    with pytest.raises(RuntimeError, match="failed for good"):
        failed_run()
    assert [r["action"] for r in records_of(tmp_path)] == ["update", "checkpoint"]


def test_appending_never_rewrites_what_is_written(tmp_path: Path) -> None:
    log = open_log(tmp_path)
    log.append(action(1))
    before = (tmp_path / FILE_NAME).read_bytes()
    inode = os.stat(tmp_path / FILE_NAME).st_ino
    log.append(action(2))
    after = (tmp_path / FILE_NAME).read_bytes()
    assert after.startswith(before)
    assert after.count(b"\n") == 2
    assert os.stat(tmp_path / FILE_NAME).st_ino == inode


def test_a_log_moved_aside_is_not_written_to(tmp_path: Path) -> None:
    """Rotation: a log opened before its file was moved writes to the new file at the path."""
    log = open_log(tmp_path)
    log.append(action(1))
    (tmp_path / FILE_NAME).rename(tmp_path / "audit-old.jsonl")
    written = log.append(action(2))
    assert written["seq"] == 1
    assert written["prev"] == GENESIS
    assert (tmp_path / "audit-old.jsonl").read_bytes().count(b"\n") == 1


# -- durability ----------------------------------------------------------------------------------


def test_each_record_is_fsynced_before_append_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "new" / "audit"
    synced: list[tuple[bool, int, int]] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        status = os.fstat(fd)
        synced.append((stat.S_ISDIR(status.st_mode), status.st_ino, status.st_size))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    log = open_log(folder)
    # Creating the folders and the file: each new entry is made durable in its parent.
    directories = {ino for is_dir, ino, _ in synced if is_dir}
    assert os.stat(folder).st_ino in directories
    assert os.stat(folder.parent).st_ino in directories
    for n in range(3):
        synced.clear()
        log.append(action(n))
        size = os.stat(folder / FILE_NAME).st_size
        # The file was fsynced holding the whole new line, before append returned.
        assert (False, os.stat(folder / FILE_NAME).st_ino, size) in synced


def test_the_folder_is_not_fsynced_again_once_the_file_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = open_log(tmp_path)
    dirs: list[int] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            dirs.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    log.append(action(1))
    assert dirs == []


def test_a_failed_write_is_an_audit_log_error_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = open_log(tmp_path)

    def full(fd: int, data: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(AuditLogError, match=rf"{FILE_NAME} cannot be written: No space left"):
        log.append(action(1))


# -- a last line that cannot be chained onto -------------------------------------------------------


def test_a_torn_last_line_stops_the_next_run_before_it_acts(tmp_path: Path) -> None:
    log = open_log(tmp_path)
    log.append(action(1))
    log.append(action(2))
    path = tmp_path / FILE_NAME
    with path.open("ab") as file:
        file.write(b'{"seq":3,"action":"upd')  # the crash
    torn = path.read_bytes()
    with pytest.raises(AuditLogError) as raised:
        open_log(tmp_path, run="run-2")
    message = str(raised.value)
    assert str(path) in message
    assert "the record after seq 2 (seq 3) is torn" in message
    assert "audit verify" in message
    with pytest.raises(AuditLogError, match=r"after seq 2 \(seq 3\) is torn"):
        log.append(action(3))
    assert path.read_bytes() == torn  # never repaired, never chained over


def test_a_torn_first_line_is_named_as_such(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_bytes(b'{"seq":1,')
    with pytest.raises(AuditLogError, match=r"the first record \(seq 1\) is torn"):
        open_log(tmp_path)


def test_a_last_line_that_is_not_a_record_is_not_chained_onto(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_bytes(b"not json\n")
    with pytest.raises(AuditLogError, match="the last line is not an audit record"):
        open_log(tmp_path)


def test_a_long_last_line_is_read_whole(tmp_path: Path) -> None:
    log = open_log(tmp_path)
    log.append(action(1, changes=[{"pointer": "/x", "file": "y" * 50_000}]))
    second = log.append(action(2))
    assert second["seq"] == 2
    assert second["prev"] == line_hash(lines_of(tmp_path)[0])


# -- redaction -----------------------------------------------------------------------------------


def test_no_secret_or_token_reaches_the_log(tmp_path: Path) -> None:
    client_secret = "s3cr3t-client-value-9f8e7d"
    Secret(client_secret)  # the client wraps its secret; every wrapped value is remembered
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjbGllbnQtMSJ9.c2lnbmF0dXJlLWJ5dGVz"
    bearer = "Bearer abcDEF123ghiJKL456"
    log = open_log(tmp_path)
    written = log.append(
        action(
            1,
            outcome="failure",
            error=f"401 from the org with {bearer}",
            request={"headers": {"Authorization": bearer}, "body": {"access_token": "tok-123456"}},
            changes=[{"pointer": "/spec/token", "file": jwt}],
            note=f"client secret was {client_secret}",
            clientSecret=client_secret,
        )
    )
    data = (tmp_path / FILE_NAME).read_bytes()
    for leaked in (client_secret, jwt, "abcDEF123ghiJKL456", "tok-123456"):
        assert leaked.encode() not in data
    assert written["clientSecret"] == "[REDACTED]"
    assert written["request"]["headers"]["Authorization"] == "[REDACTED]"
    assert written["error"] == "401 from the org with Bearer [REDACTED]"
    assert written["changes"][0]["file"] == "[REDACTED]"
    assert written["note"] == "client secret was [REDACTED]"
    assert verify(tmp_path).ok  # what was written is what is chained


def test_the_checkpoints_fields_are_redacted_too(tmp_path: Path) -> None:
    log = open_log(tmp_path)
    checkpoint = log.checkpoint({"message": "Bearer abcDEF123ghiJKL456"})
    assert checkpoint["message"] == "Bearer [REDACTED]"
    assert b"abcDEF123ghiJKL456" not in (tmp_path / FILE_NAME).read_bytes()
