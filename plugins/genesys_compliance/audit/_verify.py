"""Verification of ``audit.jsonl``: the first record that cannot be trusted, and why.

One pass over the file checks, line by line: the line is whole (a newline
ends it) and is a JSON record; its ``seq`` is the next one; its ``prev`` is the
SHA-256 of the line before; the line is the canonical encoding of its record;
and, for a checkpoint, its ``head`` and signature. At the first failure a short
look ahead tells an edit from a removal, an insertion or a reordering, so the
message says what happened, not only where the chain stopped.

What the chain alone cannot show: the last records being edited or cut off
(nothing follows them to disagree). A signed checkpoint protects everything
before it; a head kept elsewhere (``head=``) shows the log still reaches it.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from genesys_compliance.audit._errors import AuditLogError
from genesys_compliance.audit._keys import key_id, load_public_key
from genesys_compliance.audit._record import (
    CHECKPOINT,
    FILE_NAME,
    GENESIS,
    canonical,
    line_hash,
    signed_bytes,
)

__all__ = ["Problem", "ProblemKind", "Verification", "verify"]

ProblemKind = Literal[
    "torn",  # the last line has no newline: a write was cut short
    "invalid",  # a line is not JSON, or not an audit record
    "edited",  # a record was changed after it was written
    "removed",  # records are missing
    "inserted",  # a line that the chain does not hold
    "reordered",  # records out of order
    "signature",  # a signature does not verify, or was made by another key
    "unsigned",  # a checkpoint lacks the signature the public key asks for
    "cut-short",  # no checkpoint carries the head kept elsewhere
    "unchecked",  # checkpoints are signed but no public key was given to check them
]
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Problem:
    """The first thing wrong with a log.

    Attributes:
        seq: The first seq that cannot be trusted: as its record claims, or the one
            that belongs at that line when the record claims another or none.
        line: The line of the file (1-based) where it shows.
        kind: What is wrong, one of :data:`ProblemKind`.
        message: What is wrong, for a person: which lines, what they hold.
    """

    seq: int
    line: int
    kind: ProblemKind
    message: str

    def __str__(self) -> str:
        return f"seq {self.seq} (line {self.line}): {self.message}"


@dataclass(frozen=True)
class Verification:
    """What :func:`verify` found: the counts, and the first problem (``None`` when whole).

    Attributes:
        path: The file checked.
        records: Lines checked before the problem (all of them when whole).
        runs: Distinct ``run`` ids among them.
        checkpoints: Checkpoint records among them.
        signatures_checked: Checkpoint signatures verified with the public key.
        unsigned_checkpoints: Checkpoints without a signature.
        uncovered: Records after the last checkpoint (a run in progress or cut off).
        head: The head looked for, if one was given.
        problem: The first problem, or ``None``.
    """

    path: Path
    records: int
    runs: int
    checkpoints: int
    signatures_checked: int
    unsigned_checkpoints: int
    uncovered: int
    head: str | None
    problem: Problem | None

    @property
    def ok(self) -> bool:
        """Whether the log is whole and every signature (and the head) checked out."""
        return self.problem is None

    def summary(self) -> str:
        """One line for a terminal: the counts when whole, else the first problem."""
        if self.problem is not None:
            return f"{self.path}: {self.problem}"
        text = (
            f"{self.path}: intact: {self.records} record(s), {self.runs} run(s), "
            f"{self.checkpoints} checkpoint(s), {self.signatures_checked} signature(s) checked"
        )
        if self.unsigned_checkpoints:
            text += f", {self.unsigned_checkpoints} unsigned checkpoint(s)"
        if self.head is not None:
            text += ", head found"
        if self.uncovered:
            text += f"; the last {self.uncovered} record(s) follow the last checkpoint"
        return text


def verify(
    directory: str | os.PathLike[str],
    *,
    public_key: Ed25519PublicKey | str | os.PathLike[str] | None = None,
    head: str | None = None,
) -> Verification:
    """Check the audit log in ``directory`` (or the file itself) and report its first problem.

    Args:
        directory: The folder holding ``audit.jsonl``, or the file.
        public_key: The Ed25519 public key (or its PEM file) that signs checkpoints.
            With it, every checkpoint from the first signed one on must carry a good
            signature by this key, and at least one must; unsigned checkpoints before
            the first signed one are covered by its chain. Without it, signed
            checkpoints are a problem of kind ``unchecked``: a signature that was
            not checked is not passed as good.
        head: A checkpoint head kept outside the log (the ``apply.completed``
            webhook's): some checkpoint of the log must carry it, else it was cut
            short or replaced.

    Raises:
        AuditLogError: There is no log there, or it cannot be read.
        AuditKeyError: The public key file cannot be used.
        ValueError: ``head`` is not 64 hex digits.
    """
    path = _log_file(Path(directory))
    key = (
        public_key
        if public_key is None or isinstance(public_key, Ed25519PublicKey)
        else load_public_key(public_key)
    )
    if head is not None:
        head = head.strip().lower()
        if not _HEX64.fullmatch(head):
            raise ValueError(f"a head is a SHA-256: 64 hex digits, not {head!r}")
    try:
        with path.open("rb") as file:
            return _Check(path, file, key, head).run()
    except OSError as error:
        raise AuditLogError(f"{path} cannot be read: {error.strerror or error}") from None


def _log_file(path: Path) -> Path:
    if path.is_dir():
        if not (path / FILE_NAME).is_file():
            raise AuditLogError(f"{path} holds no {FILE_NAME}")
        return path / FILE_NAME
    if not path.exists():
        raise AuditLogError(f"{path}: no such folder or file")
    return path


@dataclass
class _Line:
    number: int
    raw: bytes
    record: dict[str, Any] | None  # None: not a record
    error: str  # why not, when it is not

    @property
    def bytes(self) -> bytes:
        return self.raw.removesuffix(b"\n")

    @property
    def seq(self) -> int | None:
        return self.record["seq"] if self.record is not None else None

    @property
    def prev(self) -> str | None:
        return self.record["prev"] if self.record is not None else None


class _Check:
    """One verification pass, with the state it carries from line to line."""

    def __init__(
        self, path: Path, file: IO[bytes], key: Ed25519PublicKey | None, head: str | None
    ) -> None:
        self.path, self.key, self.head = path, key, head
        self.key_id = key_id(key) if key is not None else None
        self._lines = self._read(file)
        self._ahead: list[_Line] = []
        self.records = self.checkpoints = self.signed = self.unsigned = 0
        self.since_checkpoint = 0
        self.runs: set[str] = set()
        self.head_found = False
        self.unchecked: Problem | None = None
        self.first_unsigned: tuple[int, int] | None = None

    def run(self) -> Verification:
        prev_hash, prev_prev = GENESIS, GENESIS
        expected = 1
        while (line := self._next()) is not None:
            problem = self._line_problem(line, expected, prev_hash, prev_prev)
            if problem is not None:
                return self._result(problem)
            assert line.record is not None  # for mypy: a line without a record is a problem
            self.records += 1
            self.runs.add(str(line.record.get("run")))
            self.since_checkpoint += 1
            if line.record.get("action") == CHECKPOINT:
                self.since_checkpoint = 0
            prev_prev, prev_hash = prev_hash, line_hash(line.bytes)
            expected += 1
        if self.head is not None and not self.head_found:
            return self._result(
                Problem(
                    expected,
                    self.records + 1,
                    "cut-short",
                    f"no checkpoint carries head {self.head}: the log was cut short before "
                    f"it, or replaced (it ends at seq {expected - 1})",
                )
            )
        if self.key is not None and self.records and not self.signed:
            seq, number = self.first_unsigned or (expected, self.records + 1)
            return self._result(
                Problem(
                    seq,
                    number,
                    "unsigned",
                    "no checkpoint is signed, but a public key was given to check them: the "
                    "log was written without GENESYS_COMPLIANCE_AUDIT_KEY, or replaced",
                )
            )
        return self._result(self.unchecked)

    def _line_problem(
        self, line: _Line, expected: int, prev_hash: str, prev_prev: str
    ) -> Problem | None:
        n = line.number
        if not line.raw.endswith(b"\n"):
            return Problem(
                expected,
                n,
                "torn",
                "the last line has no newline: a write was cut short (a crash or a full "
                "disk), so its record was never completed",
            )
        if line.record is None:
            return Problem(expected, n, "invalid", f"not an audit record: {line.error}")
        seq = line.seq
        assert seq is not None  # for mypy: a record has a seq
        if seq != expected:
            return self._sequence_problem(line, expected, prev_hash, prev_prev)
        if line.prev != prev_hash:
            return self._chain_problem(line, expected, prev_hash)
        if canonical(line.record) != line.bytes:
            return Problem(
                seq,
                n,
                "edited",
                "the line is not as the audit log writes it (canonical JSON: sorted keys, "
                "no spaces): it was changed after it was written",
            )
        if line.record.get("action") == CHECKPOINT:
            return self._checkpoint_problem(line, prev_hash)
        return None

    def _sequence_problem(
        self, line: _Line, expected: int, prev_hash: str, prev_prev: str
    ) -> Problem:
        """The seq at this line is not the next one: edited, inserted, reordered or removed."""
        n, seq = line.number, line.seq
        assert seq is not None  # for mypy
        following = self._peek()
        if (
            following is not None
            and following.seq == expected + 1
            and line.prev == prev_hash
            and following.prev != line_hash(line.bytes)
        ):
            return Problem(
                expected,
                n,
                "edited",
                f"the line claims seq {seq} where seq {expected} belongs (seq {expected + 1} "
                "follows it): its seq was changed",
            )
        if seq == expected - 1 and line.prev == prev_prev:
            return Problem(
                seq,
                n - 1,
                "inserted",
                f"seq {seq} appears twice, at lines {n - 1} and {n}, both chained to "
                f"seq {seq - 1}: one of them was inserted",
            )
        if seq < expected:
            return Problem(
                expected,
                n,
                "inserted",
                f"the line holds seq {seq} after seq {expected - 1}: a copy of line {seq}, "
                "or a record from elsewhere, was inserted",
            )
        if following is not None and following.seq == expected and following.prev == prev_hash:
            if line.prev == line_hash(following.bytes):
                return Problem(
                    expected,
                    n,
                    "reordered",
                    f"seq {seq} (line {n}) and seq {expected} (line {n + 1}) are swapped",
                )
            return Problem(
                expected,
                n,
                "inserted",
                f"the line (claiming seq {seq}) does not belong: seq {expected}, which "
                f"follows it at line {n + 1}, chains to seq {expected - 1}",
            )
        found = self._find_ahead(expected)
        if found is not None:
            return Problem(
                expected,
                n,
                "reordered",
                f"seq {seq} comes before seq {expected}, which is at line {found}: "
                "records were reordered",
            )
        missing = f"seq {expected}" if seq == expected + 1 else f"seq {expected}-{seq - 1}"
        after = f"seq {expected - 1} is followed by" if expected > 1 else "the log begins at"
        return Problem(
            expected,
            n,
            "removed",
            f"{missing} missing: {after} seq {seq} (line {n}); records were removed",
        )

    def _chain_problem(self, line: _Line, expected: int, prev_hash: str) -> Problem:
        """The seq is right but ``prev`` is not the hash of the line before."""
        n = line.number
        if expected == 1:
            return Problem(
                1,
                n,
                "edited",
                "seq 1 does not start a chain: its prev is not 64 zeros",
            )
        following = self._peek()
        if following is not None and following.seq == expected and following.prev == prev_hash:
            return Problem(
                expected,
                n,
                "inserted",
                f"the line claims seq {expected} but does not chain to seq {expected - 1}, and "
                f"the seq {expected} at line {n + 1} does: this line was inserted",
            )
        return Problem(
            expected - 1,
            n - 1,
            "edited",
            f"the line of seq {expected - 1} no longer has the SHA-256 that seq {expected} "
            f"(line {n}) recorded as prev: one of them was changed after it was written",
        )

    def _checkpoint_problem(self, line: _Line, prev_hash: str) -> Problem | None:
        record, n = line.record, line.number
        assert record is not None  # for mypy
        seq: int = record["seq"]
        self.checkpoints += 1
        if record.get("head") != prev_hash:
            return Problem(
                seq,
                n,
                "edited",
                f"the checkpoint's head is not the SHA-256 of seq {seq - 1}'s line",
            )
        if self.head is not None and record["head"] == self.head:
            self.head_found = True
        signature = record.get("signature")
        if signature is None:
            self.unsigned += 1
            self.first_unsigned = self.first_unsigned or (seq, n)
            if self.key is not None and self.signed:
                return Problem(
                    seq,
                    n,
                    "unsigned",
                    "the checkpoint is not signed, though earlier ones are: signing stopped "
                    "(GENESYS_COMPLIANCE_AUDIT_KEY unset) or the record was appended by "
                    "someone without the key",
                )
            return None
        if self.key is None:
            if self.unchecked is None:
                self.unchecked = Problem(
                    seq,
                    n,
                    "unchecked",
                    "the checkpoint is signed, but no public key was given, so no signature "
                    "was checked; pass --public-key PEM",
                )
            return None
        signer = record.get("keyId")
        if isinstance(signer, str) and signer != self.key_id:
            return Problem(
                seq,
                n,
                "signature",
                f"the checkpoint was signed by key {signer[:16]}..., not by the public key "
                f"given ({str(self.key_id)[:16]}...)",
            )
        try:
            raw = base64.b64decode(str(signature), validate=True)
            self.key.verify(raw, signed_bytes(record))
        except (binascii.Error, ValueError, InvalidSignature):
            return Problem(
                seq,
                n,
                "signature",
                "the signature does not verify with the public key: the checkpoint was "
                "altered or the signature forged",
            )
        self.signed += 1
        return None

    def _result(self, problem: Problem | None) -> Verification:
        return Verification(
            path=self.path,
            records=self.records,
            runs=len(self.runs),
            checkpoints=self.checkpoints,
            signatures_checked=self.signed,
            unsigned_checkpoints=self.unsigned,
            uncovered=self.since_checkpoint,
            head=self.head,
            problem=problem,
        )

    # -- reading, with a look ahead for telling what happened ----------------------------------

    @staticmethod
    def _read(file: IO[bytes]) -> Iterator[_Line]:
        for number, raw in enumerate(file, start=1):
            record, error = _parse(raw.removesuffix(b"\n"))
            yield _Line(number, raw, record, error)

    def _next(self) -> _Line | None:
        if self._ahead:
            return self._ahead.pop(0)
        return next(self._lines, None)

    def _peek(self) -> _Line | None:
        if not self._ahead:
            following = next(self._lines, None)
            if following is None:
                return None
            self._ahead.append(following)
        return self._ahead[0]

    def _find_ahead(self, seq: int) -> int | None:
        """The line further on that holds ``seq``, reading on (verification stops here anyway)."""
        for line in itertools.chain(self._ahead, self._lines):
            if line.seq == seq:
                return line.number
        return None


def _parse(line: bytes) -> tuple[dict[str, Any] | None, str]:
    """The record of a line, or ``None`` and why it is not one."""
    if not line:
        return None, "an empty line"
    try:
        value = json.loads(line.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError:
        return None, "not UTF-8 text"
    except ValueError as error:
        reason = error.msg if isinstance(error, json.JSONDecodeError) else str(error)
        column = f" at column {error.colno}" if isinstance(error, json.JSONDecodeError) else ""
        return None, f"invalid JSON ({reason}{column})"
    if not isinstance(value, dict):
        return None, f"a JSON {type(value).__name__}, not an object"
    seq = value.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        return None, "no positive integer seq"
    if not isinstance(value.get("prev"), str):
        return None, "no prev hash"
    return value, ""


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
