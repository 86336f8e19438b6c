"""Verification (SPEC 7): the first record that cannot be trusted, and what happened to it.

The log of ``write_log()`` has eight lines: run 1 is seq 1-3 and its checkpoint
seq 4, run 2 is seq 5-7 and its checkpoint seq 8; seq N is line N.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from genesys_compliance.audit import (
    FILE_NAME,
    AuditLogError,
    Verification,
    canonical,
    line_hash,
    verify,
)
from tests.audit.conftest import WriteLog
from tests.audit.helpers import (
    KeyPair,
    action,
    lines_of,
    open_log,
    records_of,
    write_key_pair,
    write_lines,
)


def _edited(line: bytes, **changes: object) -> bytes:
    """The line with ``changes``, written as the log writes lines (so only the chain can tell)."""
    return canonical({**json.loads(line), **changes})


def _problem(result: Verification) -> tuple[int, int, str]:
    assert result.problem is not None, result.summary()
    return result.problem.seq, result.problem.line, result.problem.kind


# -- intact ---------------------------------------------------------------------------------------


def test_an_intact_log_verifies_with_its_counts(write_log: WriteLog) -> None:
    result = verify(write_log())
    assert result.ok, result.summary()
    assert (result.records, result.runs, result.checkpoints) == (8, 2, 2)
    assert (result.signatures_checked, result.unsigned_checkpoints, result.uncovered) == (0, 2, 0)
    assert result.summary().endswith(
        "intact: 8 record(s), 2 run(s), 2 checkpoint(s), 0 signature(s) checked, "
        "2 unsigned checkpoint(s)"
    )


def test_an_intact_signed_log_verifies_every_signature(write_log: WriteLog, keys: KeyPair) -> None:
    result = verify(write_log(key=keys), public_key=keys.public)
    assert result.ok, result.summary()
    assert result.signatures_checked == 2
    assert result.unsigned_checkpoints == 0


def test_the_file_itself_may_be_named(write_log: WriteLog) -> None:
    assert verify(write_log() / FILE_NAME).ok


def test_an_empty_log_is_whole(tmp_path: Path) -> None:
    open_log(tmp_path)
    result = verify(tmp_path)
    assert result.ok
    assert result.records == 0


def test_records_after_the_last_checkpoint_are_counted(tmp_path: Path) -> None:
    log = open_log(tmp_path)
    log.append(action(1))
    log.append(action(2))
    result = verify(tmp_path)
    assert result.ok
    assert result.uncovered == 2
    assert "the last 2 record(s) follow the last checkpoint" in result.summary()


def test_no_log_there_is_an_error_not_a_result(tmp_path: Path) -> None:
    with pytest.raises(AuditLogError, match="no such folder or file"):
        verify(tmp_path / "nowhere")
    with pytest.raises(AuditLogError, match=f"holds no {FILE_NAME}"):
        verify(tmp_path)


# -- edited ---------------------------------------------------------------------------------------


def test_an_edited_record_is_named_by_its_seq(write_log: WriteLog) -> None:
    directory = write_log()
    lines = lines_of(directory)
    lines[1] = _edited(lines[1], outcome="failure")  # seq 2, written canonically
    write_lines(directory, lines)
    result = verify(directory)
    assert _problem(result) == (2, 2, "edited")
    assert result.problem is not None
    assert "seq 3 (line 3) recorded as prev" in result.problem.message
    assert result.records == 2  # stopped at the break: seq 1 and 2 read


@pytest.mark.parametrize("index", range(7))
def test_an_edit_of_any_record_but_the_last_is_found_at_it(write_log: WriteLog, index: int) -> None:
    directory = write_log()
    lines = lines_of(directory)
    lines[index] = _edited(lines[index], note="changed")
    write_lines(directory, lines)
    assert _problem(verify(directory)) == (index + 1, index + 1, "edited")


def test_an_edit_by_hand_is_found_at_its_own_line(write_log: WriteLog) -> None:
    directory = write_log()
    lines = lines_of(directory)
    lines[2] = lines[2].replace(b'"outcome":"success"', b'"outcome": "success"')
    write_lines(directory, lines)
    result = verify(directory)
    assert _problem(result) == (3, 3, "edited")
    assert result.problem is not None
    assert "not as the audit log writes it" in result.problem.message


def test_an_edited_seq_is_named(write_log: WriteLog) -> None:
    directory = write_log()
    lines = lines_of(directory)
    lines[2] = _edited(lines[2], seq=30)
    write_lines(directory, lines)
    result = verify(directory)
    assert _problem(result) == (3, 3, "edited")
    assert result.problem is not None
    assert "claims seq 30 where seq 3 belongs" in result.problem.message


def test_an_edited_first_prev_is_found(write_log: WriteLog) -> None:
    directory = write_log()
    lines = lines_of(directory)
    lines[0] = _edited(lines[0], prev="1" * 64)
    write_lines(directory, lines)
    assert _problem(verify(directory)) == (1, 1, "edited")


def test_an_edited_checkpoint_head_is_found(write_log: WriteLog) -> None:
    directory = write_log()
    lines = lines_of(directory)
    lines[3] = _edited(lines[3], head="2" * 64)
    write_lines(directory, lines)
    result = verify(directory)
    assert _problem(result) == (4, 4, "edited")
    assert result.problem is not None
    assert "head is not the SHA-256 of seq 3's line" in result.problem.message


# -- removed, reordered, inserted -----------------------------------------------------------------


@pytest.mark.parametrize("index", range(7))
def test_a_removed_line_is_named(write_log: WriteLog, index: int) -> None:
    directory = write_log()
    lines = lines_of(directory)
    del lines[index]
    write_lines(directory, lines)
    result = verify(directory)
    assert _problem(result) == (index + 1, index + 1, "removed")
    assert result.problem is not None
    assert f"seq {index + 1} missing" in result.problem.message


def test_several_removed_lines_are_named_as_a_range(write_log: WriteLog) -> None:
    directory = write_log()
    lines = lines_of(directory)
    del lines[2:5]
    write_lines(directory, lines)
    result = verify(directory)
    assert result.problem is not None
    assert str(result.problem) == (
        "seq 3 (line 3): seq 3-5 missing: seq 2 is followed by seq 6 (line 3); records were removed"
    )


@pytest.mark.parametrize("index", range(7))
def test_two_swapped_lines_are_named(write_log: WriteLog, index: int) -> None:
    directory = write_log()
    lines = lines_of(directory)
    lines[index], lines[index + 1] = lines[index + 1], lines[index]
    write_lines(directory, lines)
    result = verify(directory)
    assert _problem(result) == (index + 1, index + 1, "reordered")
    assert result.problem is not None
    assert "swapped" in result.problem.message


def test_records_moved_further_are_reordered(write_log: WriteLog) -> None:
    directory = write_log()
    lines = lines_of(directory)
    lines[1], lines[4] = lines[4], lines[1]  # seq 2 and seq 5
    write_lines(directory, lines)
    result = verify(directory)
    assert _problem(result) == (2, 2, "reordered")
    assert result.problem is not None
    assert "seq 5 comes before seq 2, which is at line 5" in result.problem.message


def test_an_inserted_copy_of_a_line_is_named(write_log: WriteLog) -> None:
    directory = write_log()
    lines = lines_of(directory)
    lines.insert(5, lines[1])  # a copy of seq 2 after seq 5
    write_lines(directory, lines)
    result = verify(directory)
    assert _problem(result) == (6, 6, "inserted")
    assert result.problem is not None
    assert "holds seq 2 after seq 5" in result.problem.message


def test_an_inserted_record_that_chains_is_caught_by_the_one_it_displaced(
    write_log: WriteLog,
) -> None:
    """A forger who computes seq and prev right still leaves two records claiming one seq."""
    directory = write_log()
    lines = lines_of(directory)
    forged = _edited(lines[2], name="forged", seq=3, prev=line_hash(lines[1]))
    lines.insert(2, forged)
    write_lines(directory, lines)
    result = verify(directory)
    assert _problem(result) == (3, 3, "inserted")
    assert result.problem is not None
    assert "seq 3 appears twice, at lines 3 and 4" in result.problem.message


def test_an_inserted_record_that_does_not_chain_is_named(write_log: WriteLog) -> None:
    directory = write_log()
    lines = lines_of(directory)
    lines.insert(2, _edited(lines[2], name="forged", prev="3" * 64))  # claims seq 3
    write_lines(directory, lines)
    result = verify(directory)
    assert _problem(result) == (3, 3, "inserted")
    assert result.problem is not None
    assert "this line was inserted" in result.problem.message


def test_an_inserted_record_with_a_made_up_seq_is_named(write_log: WriteLog) -> None:
    directory = write_log()
    lines = lines_of(directory)
    lines.insert(2, _edited(lines[2], seq=99, prev="3" * 64))
    write_lines(directory, lines)
    result = verify(directory)
    assert _problem(result) == (3, 3, "inserted")
    assert result.problem is not None
    assert "does not belong" in result.problem.message


# -- lines that are not records -------------------------------------------------------------------


def test_a_torn_last_line_is_named(write_log: WriteLog) -> None:
    directory = write_log()
    with (directory / FILE_NAME).open("ab") as file:
        file.write(b'{"action":"update","seq":9')
    result = verify(directory)
    assert _problem(result) == (9, 9, "torn")
    assert result.records == 8


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (b'{"seq": 3, "prev": ', "invalid JSON (Expecting value at column 20)"),
        (b"[1, 2]", "a JSON list, not an object"),
        (b"", "an empty line"),
        (b'{"seq":3,"prev":"x","latencyMs":NaN}', "invalid JSON (NaN is not JSON)"),
        (b'{"prev":"x"}', "no positive integer seq"),
        (b'{"seq":3}', "no prev hash"),
        (b"\xff\xfe", "not UTF-8 text"),
    ],
)
def test_a_line_that_is_not_a_record_is_named(
    write_log: WriteLog, text: bytes, reason: str
) -> None:
    directory = write_log()
    lines = lines_of(directory)
    lines[2] = text
    write_lines(directory, lines)
    result = verify(directory)
    assert result.problem is not None
    assert str(result.problem) == f"seq 3 (line 3): not an audit record: {reason}"
    assert result.problem.kind == "invalid"


# -- signatures -----------------------------------------------------------------------------------


def test_a_forged_signature_is_named(write_log: WriteLog, keys: KeyPair) -> None:
    directory = write_log(key=keys)
    lines = lines_of(directory)
    record = json.loads(lines[3])
    signature = bytearray(base64.b64decode(record["signature"]))
    signature[0] ^= 1
    lines[3] = _edited(lines[3], signature=base64.b64encode(bytes(signature)).decode())
    write_lines(directory, lines)
    result = verify(directory, public_key=keys.public)
    assert _problem(result) == (4, 4, "signature")
    assert result.problem is not None
    assert "does not verify" in result.problem.message


def test_an_altered_signed_checkpoint_is_named(write_log: WriteLog, keys: KeyPair) -> None:
    """Altered in place, signature kept: found at the checkpoint, before the chain breaks."""
    directory = write_log(key=keys)
    lines = lines_of(directory)
    lines[7] = _edited(lines[7], records=2)
    write_lines(directory, lines)
    assert _problem(verify(directory, public_key=keys.public)) == (8, 8, "signature")


def test_a_signature_that_is_not_base64_is_named(write_log: WriteLog, keys: KeyPair) -> None:
    directory = write_log(key=keys)
    lines = lines_of(directory)
    lines[3] = _edited(lines[3], signature="not base64!")
    write_lines(directory, lines)
    assert _problem(verify(directory, public_key=keys.public)) == (4, 4, "signature")


def test_a_log_signed_by_another_key_is_named(
    write_log: WriteLog, keys: KeyPair, tmp_path: Path
) -> None:
    other = write_key_pair(tmp_path / "other", "other")
    result = verify(write_log(key=keys), public_key=other.public)
    assert _problem(result) == (4, 4, "signature")
    assert result.problem is not None
    assert "was signed by key" in result.problem.message
    assert "not by the public key given" in result.problem.message


def test_another_key_without_its_key_id_still_fails(
    write_log: WriteLog, keys: KeyPair, tmp_path: Path
) -> None:
    directory = write_log(key=keys)
    lines = lines_of(directory)
    record = json.loads(lines[3])
    del record["keyId"]
    lines[3] = canonical(record)
    write_lines(directory, lines)
    other = write_key_pair(tmp_path / "other", "other")
    assert _problem(verify(directory, public_key=other.public)) == (4, 4, "signature")


def test_signed_checkpoints_without_a_public_key_fail_naming_the_option(
    write_log: WriteLog, keys: KeyPair
) -> None:
    result = verify(write_log(key=keys))
    assert _problem(result) == (4, 4, "unchecked")
    assert result.problem is not None
    assert "pass --public-key PEM" in result.problem.message
    assert result.records == 8  # the chain itself was checked to the end


def test_a_break_in_the_chain_comes_before_an_unchecked_signature(
    write_log: WriteLog, keys: KeyPair
) -> None:
    directory = write_log(key=keys)
    lines = lines_of(directory)
    del lines[5]
    write_lines(directory, lines)
    assert _problem(verify(directory)) == (6, 6, "removed")


def test_an_unsigned_log_fails_when_a_public_key_is_given(
    write_log: WriteLog, keys: KeyPair
) -> None:
    result = verify(write_log(), public_key=keys.public)
    assert _problem(result) == (4, 4, "unsigned")
    assert result.problem is not None
    assert "no checkpoint is signed" in result.problem.message


def test_records_without_any_checkpoint_fail_when_a_public_key_is_given(
    tmp_path: Path, keys: KeyPair
) -> None:
    open_log(tmp_path).append(action(1))
    assert _problem(verify(tmp_path, public_key=keys.public)) == (2, 2, "unsigned")


def test_unsigned_checkpoints_before_the_first_signed_one_are_covered_by_it(
    tmp_path: Path, keys: KeyPair
) -> None:
    with open_log(tmp_path, run="before-signing") as log:
        log.append(action(1))
    with open_log(tmp_path, run="signed", key_path=keys.private) as log:
        log.append(action(2))
    result = verify(tmp_path, public_key=keys.public)
    assert result.ok, result.summary()
    assert (result.signatures_checked, result.unsigned_checkpoints) == (1, 1)


def test_an_unsigned_checkpoint_after_a_signed_one_fails(tmp_path: Path, keys: KeyPair) -> None:
    with open_log(tmp_path, run="signed", key_path=keys.private) as log:
        log.append(action(1))
    with open_log(tmp_path, run="key-lost") as log:
        log.append(action(2))
    result = verify(tmp_path, public_key=keys.public)
    assert _problem(result) == (4, 4, "unsigned")
    assert result.problem is not None
    assert "though earlier ones are" in result.problem.message


# -- a head kept elsewhere ------------------------------------------------------------------------


def test_the_head_of_any_checkpoint_is_found(write_log: WriteLog) -> None:
    directory = write_log()
    records = records_of(directory)
    for checkpoint in (records[3], records[7]):
        result = verify(directory, head=str(checkpoint["head"]).upper())
        assert result.ok, result.summary()
        assert "head found" in result.summary()


def test_a_log_cut_short_before_the_head_is_named(write_log: WriteLog) -> None:
    directory = write_log()
    lines = lines_of(directory)
    head = str(json.loads(lines[7])["head"])
    write_lines(directory, lines[:4])  # run 2 cut off: the chain alone cannot tell
    assert verify(directory).ok
    result = verify(directory, head=head)
    assert _problem(result) == (5, 5, "cut-short")
    assert result.problem is not None
    assert f"no checkpoint carries head {head}" in result.problem.message


def test_a_replaced_log_is_named(write_log: WriteLog) -> None:
    original = write_log(name="original")
    head = str(records_of(original)[7]["head"])
    replaced = write_log(name="replaced")
    records = records_of(replaced)
    rewritten: list[bytes] = []
    prev = "0" * 64
    for record in records:  # a whole new chain, as a forger would write it
        record.update(prev=prev, name="replaced")
        if record["action"] == "checkpoint":
            record["head"] = prev
        rewritten.append(canonical(record))
        prev = line_hash(rewritten[-1])
    write_lines(replaced, rewritten)
    assert verify(replaced).ok  # whole in itself, and as long as the original
    assert _problem(verify(replaced, head=head)) == (9, 9, "cut-short")


def test_a_head_that_is_not_a_sha256_is_refused(write_log: WriteLog) -> None:
    with pytest.raises(ValueError, match="64 hex digits"):
        verify(write_log(), head="abc")
