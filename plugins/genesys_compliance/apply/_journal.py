"""The apply journal: each write's intent on disk before it is sent, its outcome after (SPEC 6.6).

``DIR/journal.jsonl`` (``DIR`` is the audit folder) holds the last run as
JSON lines, each fsynced before the caller goes on:

- ``begin``: the run's id and every step (managed fields, where the
  resource is, the resource as the plan read it);
- ``intent`` before every write (the step, the operation, the body, the
  precondition, and the snapshot: the resource as read before the write);
- ``outcome`` after it: ``done`` (with the new token), ``stale``,
  ``unknown`` (no answer: the org may or may not have carried it out) or
  ``failed``;
- ``end`` when the run is settled: applied, or rolled back.

A run without ``end`` was interrupted: :func:`unresolved` says so, a new
apply refuses, and ``resume`` or ``rollback`` settles it. A new run replaces
the file of a settled one (the audit log is the lasting record; the journal
only needs the run that may be unfinished). A lock file keeps two runs from
writing one journal at the same time; the kernel drops the lock of a killed
process, so a crash never leaves it held.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genesys_compliance.apply._errors import JournalBusyError, JournalError, UnresolvedJournalError
from genesys_compliance.apply._steps import Step

if sys.platform != "win32":  # flock is POSIX; elsewhere one process per folder is the caller's care
    import fcntl

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = [
    "JOURNAL_FILE",
    "JOURNAL_FORMAT",
    "Interrupted",
    "Journal",
    "JournalRun",
    "read_journal",
    "unresolved",
]

JOURNAL_FILE = "journal.jsonl"
JOURNAL_FORMAT = "genesys-compliance/journal/v1"
_LOCK_FILE = "journal.lock"


@dataclass(frozen=True)
class Attempt:
    """One write of a step: its intent and, when it was recorded, its outcome."""

    intent: dict[str, Any]
    outcome: dict[str, Any] | None = None

    @property
    def status(self) -> str:
        """``done``, ``stale``, ``unknown``, ``failed``, or ``unknown`` without an outcome."""
        return "unknown" if self.outcome is None else str(self.outcome.get("status", "unknown"))


@dataclass(frozen=True)
class JournalRun:
    """The journal's run, as read back.

    Attributes:
        run: The run's id.
        force: Whether it was started with ``--gc-force``.
        steps: Its steps, in write order.
        attempts: Per step index, its writes in order (rollback writes apart).
        undos: Per step index, the rollback writes made for it.
        outcome: The ``end`` record's outcome; ``None`` while unresolved.
        path: The journal file.
    """

    run: str
    force: bool
    steps: tuple[Step, ...]
    attempts: dict[int, list[Attempt]] = field(default_factory=dict)
    undos: dict[int, list[Attempt]] = field(default_factory=dict)
    outcome: str | None = None
    path: Path = Path(JOURNAL_FILE)

    @property
    def resolved(self) -> bool:
        """Whether the run was settled (applied, or rolled back)."""
        return self.outcome is not None


@dataclass(frozen=True)
class Interrupted:
    """An apply that did not finish, found in a journal.

    Attributes:
        run: The run's id.
        path: The journal file.
        steps: Configurations the run planned to write or check.
        done: Writes it recorded as done.
        unknown: Writes sent (or about to be) whose outcome it never learnt.
    """

    run: str
    path: Path
    steps: int
    done: int
    unknown: int

    def message(self) -> str:
        """One line naming both ways out (SPEC 6.6)."""
        return (
            f"apply refused: run {self.run} was interrupted ({self.done} write(s) done, "
            f"{self.unknown} not known to have landed; journal {self.path}); "
            "finish it with --gc-resume or undo it with --gc-rollback"
        )


def read_journal(directory: str | os.PathLike[str]) -> JournalRun | None:
    """The run the journal in ``directory`` holds; ``None`` when there is none.

    A torn last line (a crash while it was written) is left out: an intent
    torn was never followed by its write, an outcome torn reads as unknown.

    Raises:
        JournalError: A line other than the last is not a journal record.
    """
    path = Path(directory) / JOURNAL_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise JournalError(f"{path} cannot be read: {error.strerror or error}") from None
    complete, _, _torn = raw.rpartition(b"\n")  # what follows the last newline was cut short
    records: list[dict[str, Any]] = []
    for number, line in enumerate(complete.split(b"\n") if complete else [], start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if not isinstance(record, dict):
            raise JournalError(
                f"{path}:{number} is not a journal record; keep the file and look at it"
            )
        records.append(record)
    if not records:
        return None
    return _run_of(path, records)


def unresolved(directory: str | os.PathLike[str]) -> Interrupted | None:
    """The interrupted apply the journal in ``directory`` holds, if any.

    Raises:
        JournalError: The journal cannot be read.
    """
    run = read_journal(directory)
    if run is None or run.resolved:
        return None
    done = sum(1 for tries in run.attempts.values() if any(a.status == "done" for a in tries))
    unknown = sum(
        1
        for tries in run.attempts.values()
        if tries and not any(a.status == "done" for a in tries) and tries[-1].status == "unknown"
    )
    return Interrupted(run.run, run.path, len(run.steps), done, unknown)


class Journal:
    """The writer of one run's journal; holds the folder's lock until :meth:`close`.

    Use :meth:`begin` for a new run and :meth:`reopen` to settle an
    interrupted one.
    """

    def __init__(self, directory: Path, run: str, lock_fd: int) -> None:
        self.directory = directory
        self.path = directory / JOURNAL_FILE
        self.run = run
        self._lock_fd: int | None = lock_fd
        self._seq = 0

    @classmethod
    def begin(
        cls,
        directory: str | os.PathLike[str],
        run: str,
        steps: Sequence[Step],
        *,
        force: bool,
    ) -> Journal:
        """Start a run's journal, replacing a settled one.

        Raises:
            UnresolvedJournalError: The journal holds an interrupted run.
            JournalBusyError: Another apply holds the folder's lock.
            JournalError: The folder or file cannot be written or read.
        """
        folder = Path(directory)
        lock = _lock(folder)
        try:
            interrupted = unresolved(folder)
            if interrupted is not None:
                raise UnresolvedJournalError(interrupted.message(), interrupted)
            journal = cls(folder, run, lock)
            journal._replace(
                {
                    "type": "begin",
                    "format": JOURNAL_FORMAT,
                    "run": run,
                    "force": force,
                    "steps": [s.to_json() for s in steps],
                }
            )
        except BaseException:
            _unlock(lock)
            raise
        return journal

    @classmethod
    def reopen(cls, directory: str | os.PathLike[str]) -> tuple[Journal, JournalRun]:
        """Take the journal of an interrupted run, to resume or roll it back.

        Raises:
            JournalError: There is no interrupted run, or the journal cannot be read.
            JournalBusyError: Another apply holds the folder's lock.
        """
        folder = Path(directory)
        lock = _lock(folder)
        try:
            run = read_journal(folder)
            if run is None or run.resolved:
                raise JournalError(
                    f"{folder / JOURNAL_FILE} holds no interrupted apply: there is nothing to "
                    "resume or roll back"
                )
            journal = cls(folder, run.run, lock)
            journal._seq = max(
                (
                    int(a.intent.get("seq", 0))
                    for tries in (*run.attempts.values(), *run.undos.values())
                    for a in tries
                ),
                default=0,
            )
        except BaseException:
            _unlock(lock)
            raise
        return journal, run

    def intent(self, **fields: Any) -> int:
        """Record a write about to be sent; its ``seq``, for the outcome."""
        self._seq += 1
        self._append({"type": "intent", "run": self.run, "seq": self._seq, **fields})
        return self._seq

    def outcome(self, seq: int, status: str, **fields: Any) -> None:
        """Record what became of the write ``seq``."""
        self._append({"type": "outcome", "run": self.run, "seq": seq, "status": status, **fields})

    def end(self, outcome: str) -> None:
        """Record that the run is settled: nothing of it is left to resume."""
        self._append({"type": "end", "run": self.run, "outcome": outcome})

    def close(self) -> None:
        """Release the folder's lock (the file stays)."""
        if self._lock_fd is not None:
            _unlock(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------ internals
    def _append(self, record: dict[str, Any]) -> None:
        line = _line(record)
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                _write_all(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as error:
            raise JournalError(
                f"{self.path} cannot be written: {error.strerror or error}"
            ) from None

    def _replace(self, record: dict[str, Any]) -> None:
        """Start the file afresh with one record, atomically (a crash keeps the old or the new)."""
        temporary = self.path.with_name(self.path.name + ".tmp")
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                _write_all(fd, _line(record))
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temporary, self.path)
            _fsync_directory(self.directory)
        except OSError as error:
            raise JournalError(
                f"{self.path} cannot be written: {error.strerror or error}"
            ) from None


def _run_of(path: Path, records: Iterable[dict[str, Any]]) -> JournalRun:
    items = list(records)
    head = items[0]
    if head.get("type") != "begin" or head.get("format") != JOURNAL_FORMAT:
        raise JournalError(f"{path} does not start as a {JOURNAL_FORMAT} journal")
    try:
        steps = tuple(Step.from_json(s) for s in head["steps"])
    except (KeyError, TypeError, ValueError) as error:
        raise JournalError(f"{path}: a step of the run cannot be read ({error})") from None
    intents: dict[int, dict[str, Any]] = {}
    outcomes: dict[int, dict[str, Any]] = {}
    ended: str | None = None
    attempts: dict[int, list[Attempt]] = {}
    undos: dict[int, list[Attempt]] = {}
    try:
        for record in items[1:]:
            kind = record.get("type")
            if kind == "intent":
                intents[int(record["seq"])] = record
            elif kind == "outcome":
                outcomes[int(record["seq"])] = record
            elif kind == "end":
                ended = str(record.get("outcome", "settled"))
        for seq in sorted(intents):
            intent = intents[seq]
            into = undos if intent.get("op") in ("restore", "delete") else attempts
            into.setdefault(int(intent["step"]), []).append(Attempt(intent, outcomes.get(seq)))
    except (KeyError, TypeError, ValueError) as error:
        raise JournalError(f"{path}: a record cannot be read ({error})") from None
    return JournalRun(
        run=str(head["run"]),
        force=bool(head.get("force", False)),
        steps=steps,
        attempts=attempts,
        undos=undos,
        outcome=ended,
        path=path,
    )


def _line(record: dict[str, Any]) -> bytes:
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8") + b"\n"


def _lock(folder: Path) -> int:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / _LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        raise JournalError(f"{folder} cannot hold the journal: {error.strerror or error}") from None
    if sys.platform != "win32":
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise JournalBusyError(
                f"apply refused: another apply is running with the journal in {folder}"
            ) from None
    return fd


def _unlock(fd: int) -> None:
    os.close(fd)  # closing the descriptor releases its flock


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
