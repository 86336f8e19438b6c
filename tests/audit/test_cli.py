"""``genesys-compliance audit verify`` as a subprocess: exit 0 whole, 1 naming the seq, 2 misuse."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from genesys_compliance.audit import FILE_NAME
from tests.audit.conftest import WriteLog
from tests.audit.helpers import KeyPair, lines_of, records_of, write_lines


def audit_verify(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "genesys_compliance.cli", "audit", "verify", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_a_whole_signed_log_exits_0_with_a_one_line_summary(
    write_log: WriteLog, keys: KeyPair
) -> None:
    directory = write_log(key=keys)
    head = str(records_of(directory)[-1]["head"])
    done = audit_verify(directory, "--public-key", keys.public, "--head", head)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == (
        f"{directory / FILE_NAME}: intact: 8 record(s), 2 run(s), 2 checkpoint(s), "
        "2 signature(s) checked, head found\n"
    )
    assert done.stderr == ""


def test_a_removed_line_exits_1_naming_the_seq(write_log: WriteLog) -> None:
    directory = write_log()
    lines = lines_of(directory)
    del lines[4]
    write_lines(directory, lines)
    done = audit_verify(directory)
    assert done.returncode == 1
    assert done.stdout == (
        f"{directory / FILE_NAME}: seq 5 (line 5): seq 5 missing: seq 4 is followed by "
        "seq 6 (line 5); records were removed\n"
    )


def test_signed_checkpoints_without_the_key_exit_1_naming_the_option(
    write_log: WriteLog, keys: KeyPair
) -> None:
    done = audit_verify(write_log(key=keys))
    assert done.returncode == 1
    assert "seq 4 (line 4)" in done.stdout
    assert "--public-key" in done.stdout


def test_a_log_cut_short_exits_1(write_log: WriteLog) -> None:
    directory = write_log()
    head = str(records_of(directory)[-1]["head"])
    write_lines(directory, lines_of(directory)[:4])
    done = audit_verify(directory, "--head", head)
    assert done.returncode == 1
    assert f"no checkpoint carries head {head}" in done.stdout


def test_json_is_one_document_with_the_problem(write_log: WriteLog) -> None:
    directory = write_log()
    lines = lines_of(directory)
    lines[1], lines[2] = lines[2], lines[1]
    write_lines(directory, lines)
    done = audit_verify(directory, "--json")
    assert done.returncode == 1
    document = json.loads(done.stdout)
    assert document["exitCode"] == 1
    assert document["records"] == 1
    assert document["problem"]["seq"] == 2
    assert document["problem"]["line"] == 2
    assert document["problem"]["kind"] == "reordered"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere"], "nowhere: no such folder or file"),
        (["{empty}"], f"holds no {FILE_NAME}"),
        (["{log}", "--public-key", "missing.pem"], "--public-key missing.pem cannot be read"),
        (["{log}", "--public-key", "{private}"], "holds a private key"),
        (["{log}", "--head", "abc"], "is not a SHA-256 (64 hex digits)"),
        (["{log}", "--no-such-option"], "No such option"),
        ([], "Missing argument 'DIR'"),
    ],
)
def test_usage_errors_exit_2(
    write_log: WriteLog,
    keys: KeyPair,
    tmp_path: Path,
    args: list[str],
    message: str,
) -> None:
    (tmp_path / "empty").mkdir()
    names = {"log": str(write_log()), "empty": str(tmp_path / "empty"), "private": keys.private}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "genesys_compliance.cli",
            "audit",
            "verify",
            *(a.format(**names) for a in args),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert "BEGIN" not in done.stderr  # no key material, whatever went wrong


def test_help_explains_with_an_example() -> None:
    done = audit_verify("--help")
    assert done.returncode == 0
    assert "Usage: python -m genesys_compliance.cli audit verify [OPTIONS] DIR" in done.stdout
    for option in ("--public-key PEM", "--head SHA256", "--json"):
        assert option in done.stdout
    assert "  genesys-compliance audit verify reports/audit --public-key audit.pub.pem\n" in (
        done.stdout
    )
    assert "Exits 0 when the log is whole" in done.stdout
