"""The writer of ``audit.jsonl``: one durable, chained, redacted line per action.

Each append runs under an exclusive ``flock`` of the file, reads the last line
under it (its ``seq`` and hash) and writes the next one with ``O_APPEND``, then
fsyncs before the lock is released. So any number of writers (xdist workers,
two runs, threads) form one chain, and a record is on disk before the caller
goes on to the next action. Nothing here ever rewrites, truncates or repairs
the file: a last line it cannot chain onto stops the writer, for a person to
look at.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from genesys_compliance.audit._errors import AuditError, AuditLogError
from genesys_compliance.audit._keys import key_id, load_private_key
from genesys_compliance.audit._record import (
    CHECKPOINT,
    FILE_NAME,
    GENESIS,
    RESERVED,
    canonical,
    line_hash,
    signed_bytes,
)
from genesys_compliance.client import redact_json

if sys.platform != "win32":  # flock is POSIX; verifying needs none, so the package still imports
    import fcntl

__all__ = ["AuditLog", "Record"]

Record = dict[str, Any]
# Descriptors are not inherited by child processes (PEP 446), so no O_CLOEXEC is needed.
_FLAGS = os.O_RDWR | os.O_APPEND
_TAIL_CHUNK = 8192
# How far AuditLog.history reads past ``since``, for runs whose clocks disagree.
_HISTORY_SLACK = timedelta(minutes=10)


class AuditLog:
    """The audit log of one run, in ``DIRECTORY/audit.jsonl`` (SPEC 7).

    Opening it creates the folder and file if needed and checks that the file
    can be chained onto, and reads the signing key: a torn log or a bad key
    stops a run before it changes the org, not after. Use it as a context
    manager, or call :meth:`checkpoint` when the run ends (also a failed one)::

        with AuditLog("reports/audit", run=run_id, org=org, region=region, client=client_id) as log:
            log.append({"kind": "DesktopLayout", "name": "agent", "action": "update", ...})
        # the checkpoint is written here, signed when a key is configured

    Args:
        directory: The folder of ``audit.jsonl`` (``--gc-audit-dir``).
        run: The run's id, written into every record.
        org: The org's id or name.
        region: The org's region (``mypurecloud.ie``).
        client: The OAuth client id (an id, never the secret).
        key_path: The Ed25519 PEM private key that signs checkpoints; default: the file
            ``GENESYS_COMPLIANCE_AUDIT_KEY`` names; unsigned when neither is set.
        clock: Returns the current time, timezone-aware; tests pass a fixed one.

    Raises:
        AuditLogError: The folder or file cannot be created or read, or its last line
            cannot be chained onto (torn by a crash, or not a record).
        AuditKeyError: The key cannot be read or is not an Ed25519 private key.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        run: str,
        org: str,
        region: str,
        client: str,
        key_path: str | os.PathLike[str] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if sys.platform == "win32":
            raise AuditLogError("writing the audit log needs POSIX file locks (flock)")
        self.directory = Path(directory)
        self.path = self.directory / FILE_NAME
        self._identity: Record = redact_json(
            {"run": run, "org": org, "region": region, "client": client}
        )
        self._key = load_private_key(key_path)
        self._key_id = key_id(self._key.public_key()) if self._key is not None else None
        self._clock = clock or _now
        self._records: list[Record] = []
        self._closed = False
        self._mutex = threading.Lock()
        try:
            _make_directory(self.directory)
            fd = _open_locked(self.path)
        except OSError as error:
            raise _io_error(self.path, "cannot be opened for appending", error) from None
        try:
            _chain_tail(fd, self.path)
        finally:
            os.close(fd)

    @property
    def signed(self) -> bool:
        """Whether :meth:`checkpoint` signs (a private key is configured)."""
        return self._key is not None

    @property
    def records(self) -> tuple[Record, ...]:
        """The records this log appended, as written (for the run's summary)."""
        return tuple(self._records)

    @property
    def closed(self) -> bool:
        """Whether the run's checkpoint is written; a closed log takes no more records."""
        return self._closed

    def history(self, *, since: datetime | None = None) -> list[Record]:
        """The file's records, newest first, earlier runs' included: what the log remembers.

        Read backwards from the end, so asking for the last minutes of a log of
        years costs a chunk or two: reading stops at the first record older than
        ``since`` by more than ten minutes. Records are appended in
        time order, but each run's times come from its own clock (a simulated
        org's runs ahead of the wall clock by its virtual waits), so the slack
        keeps a record that is a little out of order from hiding a later one.
        A torn or unreadable line is skipped: this is an answer, not a check
        (``audit verify`` is that).

        Raises:
            AuditLogError: The file cannot be read.
        """
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return []
        except OSError as error:
            raise _io_error(self.path, "cannot be read", error) from None
        out: list[Record] = []
        try:
            for line in _lines_backwards(fd):
                record = _record_of(line)
                if record is None:
                    continue
                moment = _record_time(record)
                if since is not None and moment is not None and moment < since - _HISTORY_SLACK:
                    break
                out.append(record)
        except OSError as error:
            raise _io_error(self.path, "cannot be read", error) from None
        finally:
            os.close(fd)
        return out

    def append(self, fields: Mapping[str, Any]) -> Record:
        """Write one action's record and return it as written, once it is on disk.

        ``fields`` are the action's own (``kind``, ``name``, ``file``, ``resource``,
        ``action``, ``versionBefore``, ``versionAfter``, ``changes``, ``latencyMs``,
        ``outcome``, ``correlationId``, ...); they pass through the client's
        redaction first, so a secret or token in them is written as a mask.

        Raises:
            ValueError: A field is one the log writes itself (``seq``, ``prev``, ...),
                ``action`` is ``checkpoint``, or a value is not JSON (``TypeError``).
            AuditLogError: The file cannot be chained onto or written; nothing of the
                record may be relied on, and the caller should stop acting.
        """
        body = _caller_fields(fields)
        if body.get("action") == CHECKPOINT:
            raise ValueError("a checkpoint is written by AuditLog.checkpoint(), not append()")
        return self._write(body, checkpoint=False)

    def checkpoint(self, fields: Mapping[str, Any] | None = None) -> Record:
        """Close the run with its checkpoint record and return it as written.

        The record holds ``action: "checkpoint"``, ``head`` (the SHA-256 of the line
        before it, the value to keep elsewhere, e.g. in the ``apply.completed``
        webhook), ``records`` (how many this log appended) and, with a key,
        ``keyId`` and ``signature``: base64 Ed25519 over :func:`signed_bytes` of
        the record, that is its canonical JSON without ``signature``. ``fields``
        may add the run's own facts (say ``outcome``).

        Raises:
            ValueError: As for :meth:`append`, or ``fields`` sets ``action`` or ``records``.
            AuditLogError: As for :meth:`append`, or the checkpoint is already written.
        """
        body = _caller_fields(fields or {})
        taken = sorted({"action", "records"} & body.keys())
        if taken:
            raise ValueError(f"the checkpoint writes {', '.join(taken)} itself")
        body["action"] = CHECKPOINT
        return self._write(body, checkpoint=True)

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Write the checkpoint unless it is written or the log itself has failed."""
        if not self._closed and not isinstance(exc, AuditError):
            self.checkpoint()

    def _write(self, body: Record, *, checkpoint: bool) -> Record:
        canonical(body)  # a value that is not JSON fails here, before the file is locked
        with self._mutex:
            if self._closed:
                raise AuditLogError(
                    f"{self.path}: run {self._identity['run']}'s checkpoint is written; "
                    "its log takes no more records"
                )
            try:
                fd = _open_locked(self.path)
            except OSError as error:
                raise _io_error(self.path, "cannot be opened for appending", error) from None
            try:
                seq, prev = _chain_tail(fd, self.path)
                record: Record = {
                    "seq": seq + 1,
                    "time": _rfc3339(self._clock()),
                    **self._identity,
                    **body,
                    "prev": prev,
                }
                if checkpoint:
                    record["head"] = prev
                    record["records"] = len(self._records)
                    if self._key is not None:
                        record["keyId"] = self._key_id
                        signature = self._key.sign(signed_bytes(record))
                        record["signature"] = base64.b64encode(signature).decode("ascii")
                line = canonical(record)
                _write_all(fd, line + b"\n")
                os.fsync(fd)
            except OSError as error:
                raise _io_error(self.path, "cannot be written", error) from None
            finally:
                os.close(fd)  # releases the lock, after the line is on disk
            written: Record = json.loads(line)
            if checkpoint:
                self._closed = True
            else:
                self._records.append(written)
            return written


def _caller_fields(fields: Mapping[str, Any]) -> Record:
    """The caller's fields, redacted; refuses the ones the log owns."""
    if not isinstance(fields, Mapping):
        raise TypeError(f"an audit record is a mapping of fields, not {type(fields).__name__}")
    bad = sorted(str(k) for k in fields if not isinstance(k, str) or k in RESERVED)
    if bad:
        raise ValueError(f"the audit log writes {', '.join(bad)} itself; a record cannot set them")
    redacted: Record = redact_json(dict(fields))
    return redacted


def _record_time(record: Mapping[str, Any]) -> datetime | None:
    """A record's ``time`` as a timezone-aware moment; ``None`` if it has none that parses."""
    text = record.get("time")
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _record_of(line: bytes) -> Record | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def _lines_backwards(fd: int) -> Iterator[bytes]:
    """The file's complete lines, last first, without newlines.

    What follows the last newline is a line still being written or torn by a
    crash: not a record, so it is never yielded.
    """
    end = os.fstat(fd).st_size
    pending = b""
    complete = False  # past the last newline: every byte before it belongs to a whole line
    while end > 0:
        start = max(0, end - _TAIL_CHUNK)
        data = os.pread(fd, end - start, start) + pending
        end = start
        if not complete:
            cut = data.rfind(b"\n")
            if cut < 0:
                pending = data
                continue
            data, complete = data[:cut], True
        first, *rest = data.split(b"\n")
        pending = first  # it may go on in the chunk before
        yield from reversed(rest)
    if complete and pending:
        yield pending


def _rfc3339(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("the audit clock must return timezone-aware times")
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.removesuffix("+00:00") + "Z"


def _now() -> datetime:
    return datetime.now(UTC)


def _make_directory(directory: Path) -> None:
    """Create the folder and its missing parents, each made durable in its own parent."""
    missing: list[Path] = []
    cursor = directory
    while not cursor.exists() and cursor != cursor.parent:
        missing.append(cursor)
        cursor = cursor.parent
    directory.mkdir(parents=True, exist_ok=True)
    for created in reversed(missing):
        _fsync_directory(created.parent)


def _open_locked(path: Path) -> int:
    """A descriptor of ``path`` holding its exclusive lock, creating the file if needed.

    The path is checked after the lock is taken: if the file was moved aside
    meanwhile, the lock is on the old one and the open is retried, so a record
    never lands in a file that is no longer the log.
    """
    while True:
        created = False
        try:
            fd = os.open(path, _FLAGS | os.O_CREAT | os.O_EXCL, 0o644)
            created = True
        except FileExistsError:
            try:
                fd = os.open(path, _FLAGS)
            except FileNotFoundError:
                continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if created:
                _fsync_directory(path.parent)
            mine = os.fstat(fd)
            try:
                named = os.stat(path)
            except FileNotFoundError:
                named = None
            if named is not None and (named.st_dev, named.st_ino) == (mine.st_dev, mine.st_ino):
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _chain_tail(fd: int, path: Path) -> tuple[int, str]:
    """The ``seq`` and hash of the file's last record: what the next one chains onto.

    Raises:
        AuditLogError: The last line is torn (no newline) or is not a record.
    """
    try:
        last, torn = _last_line(fd)
    except OSError as error:
        raise _io_error(path, "cannot be read", error) from None
    if last is None and not torn:
        return 0, GENESIS
    seq = _seq_of(last) if last is not None else 0
    if last is not None and seq is None:
        raise AuditLogError(
            f"{path}: the last line is not an audit record, so no record can be chained onto "
            f"it; check the file with `genesys-compliance audit verify {path.parent}`"
        )
    assert seq is not None  # for mypy: None with a last line raised above
    if torn:
        where = f"the record after seq {seq}" if seq else "the first record"
        raise AuditLogError(
            f"{path}: {where} (seq {seq + 1}) is torn: its line has no newline, so a write "
            "was cut short (a crash or a full disk). The log is never rewritten, and a new "
            "record is not chained over a torn one: keep the file as evidence, move it aside "
            f"(the next run starts a new chain), and check it with "
            f"`genesys-compliance audit verify {path.parent}`"
        )
    assert last is not None  # for mypy: an empty, untorn file returned above
    return seq, line_hash(last)


def _seq_of(line: bytes) -> int | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    seq = record.get("seq") if isinstance(record, dict) else None
    return seq if isinstance(seq, int) and not isinstance(seq, bool) and seq > 0 else None


def _last_line(fd: int) -> tuple[bytes | None, bytes]:
    """The last complete line (without newline, ``None`` when there is none) and what follows it.

    Reads backwards from the end, so a long log costs one or two reads.
    """
    end = os.fstat(fd).st_size
    data = b""
    chunk = _TAIL_CHUNK
    while True:
        start = max(0, end - chunk)
        data = os.pread(fd, end - start, start) + data
        end = start
        last_newline = data.rfind(b"\n")
        if last_newline >= 0:
            before = data.rfind(b"\n", 0, last_newline)
            if before >= 0 or start == 0:
                return data[before + 1 : last_newline], data[last_newline + 1 :]
        elif start == 0:
            return None, data
        chunk *= 2


def _write_all(fd: int, data: bytes) -> None:
    """Write ``data`` at the end; a short write goes on under the same lock: still one line."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _io_error(path: Path, what: str, error: OSError) -> AuditLogError:
    return AuditLogError(f"{path} {what}: {error.strerror or error}")
