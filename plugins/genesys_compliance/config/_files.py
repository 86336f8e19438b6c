"""Find configuration files and read them into documents, never raising on bad input.

A file that cannot be read, decoded or parsed becomes a :class:`FileProblem`
that the engine reports as ``config/parse``; the run goes on with the next file.
Line numbers are worked out only when a finding asks for one: most
configurations comply, so recording the line of every node up front would be
wasted on them.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genesys_compliance.config._events import LineTree, ParseLimits, build_documents, line_at

SUFFIXES = (".yaml", ".yml", ".json")  # the configuration files a folder is searched for
_MIB = 1024 * 1024
# Never wait on open: a FIFO would block until a writer comes, and a terminal must not
# become the run's controlling one. getattr: the flags are POSIX-only (O_BINARY Windows-only).
_OPEN_FLAGS: int = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_READ_CHUNK = 1024 * 1024
_SPECIAL_FILES = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a directory"),
)


@dataclass(frozen=True, slots=True)
class FileProblem:
    """Why a file (or the rest of it) could not be read; ``line`` is 1-based."""

    line: int
    message: str


@dataclass(eq=False, slots=True)
class Document:
    """One YAML/JSON document: the plain data and where it sits in its file."""

    source: SourceFile
    index: int
    data: Any
    line: int

    def line_of(self, ptr: str) -> int:
        """Return the line of the element at ``ptr``, or of its nearest ancestor."""
        return self.source.line_of(self.index, ptr, self.line)


@dataclass(eq=False, slots=True)
class SourceFile:
    """A configuration file and the documents read from it."""

    path: Path
    relpath: str
    label: str
    limits: ParseLimits
    documents: list[Document] = field(default_factory=list)
    problem: FileProblem | None = None
    _lines: list[int | LineTree | None] | None = None

    @property
    def is_json(self) -> bool:
        """JSON files resolve scalars by JSON's rules and hold a single document."""
        return self.path.suffix.lower() == ".json"

    def line_of(self, index: int, ptr: str, default: int) -> int:
        """Line of ``ptr`` in document ``index``; re-reads the file once to index lines."""
        if self._lines is None:
            self._lines = self._index_lines()
        if index >= len(self._lines):
            return default
        return line_at(self._lines[index], ptr, default)

    def _index_lines(self) -> list[int | LineTree | None]:
        text = _read_text(self.path, self.limits)
        if isinstance(text, FileProblem):
            return []
        docs, _ = build_documents(
            text, limits=self.limits, json_mode=self.is_json, record_lines=True
        )
        return [doc.lines for doc in docs if doc.data is not None]


def _read_text(path: Path, limits: ParseLimits) -> str | FileProblem:
    raw = _read_bytes(path, limits.max_bytes)
    if isinstance(raw, FileProblem):
        return raw
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        return FileProblem(
            line,
            f"not UTF-8: byte 0x{raw[error.start]:02x} at offset {error.start} cannot be "
            "decoded (only UTF-8 is accepted)",
        )


def _read_bytes(path: Path, max_bytes: int) -> bytes | FileProblem:
    """Read a regular file whole, but never more than ``max_bytes + 1`` bytes.

    Anything else (a FIFO, a device, a socket, a broken or looping link) is a problem,
    never a hang and never an unbounded read: a device reports size 0, so the size
    alone proves nothing. The path is checked before it is opened, so a device found
    there is never opened (opening some has side effects), and the descriptor again
    after, in case a special file was swapped in between; opening never waits.
    """
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            return _not_regular(path, mode)
        descriptor = os.open(path, _OPEN_FLAGS)
    except OSError as error:
        return _unreadable(path, error)
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            return _not_regular(path, info.st_mode)
        if info.st_size > max_bytes:
            return FileProblem(
                1,
                f"file is {info.st_size / _MIB:.1f} MiB, larger than the "
                f"{max_bytes / _MIB:g} MiB limit; it was not read",
            )
        chunks: list[bytes] = []
        left = max_bytes + 1  # one byte more than allowed tells a file that grew
        while left > 0:
            chunk = os.read(descriptor, min(left, _READ_CHUNK))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as error:
        return FileProblem(1, f"cannot read the file: {error.strerror or error}")
    finally:
        os.close(descriptor)
    if left <= 0:
        return FileProblem(
            1,
            f"file is larger than the {max_bytes / _MIB:g} MiB limit (it grew while "
            "it was read); the rest was not read",
        )
    return b"".join(chunks)


def _link_target(path: Path) -> str | None:
    """Where ``path`` points if it is a symbolic link, as the link wrote it."""
    try:
        return os.readlink(path) if os.path.islink(path) else None
    except OSError:
        return "an unreadable target"


def _not_regular(path: Path, mode: int) -> FileProblem:
    kind = next((name for test, name in _SPECIAL_FILES if test(mode)), "a special file")
    target = _link_target(path)
    via = f" (symbolic link to {target})" if target is not None else ""
    return FileProblem(1, f"not a regular file: {kind}{via}; only regular files are read")


def _unreadable(path: Path, error: OSError) -> FileProblem:
    """Name the cause when a link leads nowhere; otherwise the system's own words."""
    target = _link_target(path)
    if target is not None and error.errno == errno.ELOOP:
        return FileProblem(1, f"symbolic link loop: {path.name} -> {target} never reaches a file")
    if target is not None and error.errno in (errno.ENOENT, errno.ENOTDIR):
        return FileProblem(1, f"broken symbolic link to {target}: the target does not exist")
    return FileProblem(1, f"cannot read the file: {error.strerror or error}")


def read_file(path: Path, relpath: str, label: str, limits: ParseLimits) -> SourceFile:
    """Read one file into a :class:`SourceFile`; problems are recorded, not raised."""
    source = SourceFile(path=path, relpath=relpath, label=label, limits=limits)
    text = _read_text(path, limits)
    if isinstance(text, FileProblem):
        source.problem = text
        return source
    built, parse_problem = build_documents(text, limits=limits, json_mode=source.is_json)
    if parse_problem is not None:
        source.problem = FileProblem(parse_problem.line, parse_problem.message)
        if source.is_json and parse_problem.message.startswith("YAML"):
            # libyaml found it first; JSON's own parser says it in JSON's words
            source.problem = _json_problem(text) or source.problem
    elif source.is_json:
        source.problem = _json_problem(text)
        if source.problem is not None:
            built = []
    kept = [d for d in built if d.data is not None]
    source.documents = [Document(source, index, d.data, d.line) for index, d in enumerate(kept)]
    if kept and all(d.lines is not None for d in kept):  # recorded already (the slow parser)
        source._lines = [d.lines for d in kept]
    return source


def _json_problem(text: str) -> FileProblem | None:
    """Reject what libyaml tolerates but JSON does not (comments, trailing commas...)."""
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        if error.msg.startswith("Invalid control character"):  # json's own text ends in "at"
            return _json_string_problem(text, error.pos, error.pos)
        if error.msg.startswith("Unterminated string"):
            return _json_string_problem(text, len(text), error.pos)
        return FileProblem(error.lineno, f"JSON syntax: {error.msg}")
    except RecursionError:
        # json recurses per level; the policy may allow more levels than the stack has.
        return _json_syntax(text)
    except ValueError as error:  # a number json.loads refuses to convert (too many digits)
        return FileProblem(1, f"JSON: {str(error)[:120]}")
    return None


_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_JSON_TOKEN = re.compile(
    r"(?P<open>[{\[])|(?P<close>[}\]])|(?P<colon>:)|(?P<comma>,)"
    r'|(?P<scalar>"(?:[^"\\\x00-\x1f]+|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"'
    r"|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|true|false|null)"
)
_EXPECTING = {
    "value": "Expecting value",
    "key": "Expecting property name enclosed in double quotes",
    "colon": "Expecting ':' delimiter",
    "after": "Expecting ',' delimiter",
    "done": "Extra data",
}


def _json_syntax(text: str) -> FileProblem | None:
    """JSON's grammar checked with an explicit stack: no nesting depth can exhaust it.

    Used only when :func:`json.loads` runs out of stack; the messages follow its own.
    """
    stack: list[str] = []  # the closing bracket of each open container
    state, pos, first = "value", 0, False  # first: just after an opening bracket
    while True:
        pos = _JSON_SPACE.match(text, pos).end()  # type: ignore[union-attr]
        if pos == len(text):
            return None if state == "done" else _json_error(text, pos, _EXPECTING[state])
        match = _JSON_TOKEN.match(text, pos)
        token, char = (match.lastgroup, text[pos]) if match else (None, "")
        if first and token == "close" and char == stack[-1]:  # [] or {}
            stack.pop()
            state = "after"
        elif state == "value" and token == "open":
            stack.append("}" if char == "{" else "]")
            state = "key" if char == "{" else "value"
        elif state == "value" and token == "scalar":
            state = "after"
        elif state == "key" and token == "scalar" and char == '"':
            state = "colon"
        elif state == "colon" and token == "colon":
            state = "value"
        elif state == "after" and token == "comma":
            state = "key" if stack[-1] == "}" else "value"
        elif state == "after" and token == "close" and char == stack[-1]:
            stack.pop()
        else:
            if match is None and text[pos] == '"':
                body = _JSON_STRING_BODY.match(text, pos + 1)  # a starred group: always matches
                end = body.end() if body is not None else pos + 1
                return _json_string_problem(text, end, pos)
            return _json_error(text, pos, _EXPECTING[state])
        first = token == "open"
        if state == "after" and not stack:
            state = "done"
        pos = match.end()  # type: ignore[union-attr]


def _json_error(text: str, pos: int, message: str) -> FileProblem:
    return FileProblem(text.count("\n", 0, pos) + 1, f"JSON syntax: {message}")


# The valid part of a JSON string after its opening quote: where it stops is what is wrong.
_JSON_STRING_BODY = re.compile(r'(?:[^"\\\x00-\x1f]+|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*')


def _json_string_problem(text: str, pos: int, quote: int) -> FileProblem:
    """Name what stops the string opened at ``quote`` at ``pos``, with its line and column.

    json's own messages for these end in "at" and leave the place to a
    position that :class:`json.JSONDecodeError` keeps apart from its text.
    """
    if pos >= len(text):
        what, pos = "Unterminated string starting", quote
    elif text[pos] == "\\":
        what = "Invalid \\escape in a string"
    else:
        what = f"Invalid control character U+{ord(text[pos]):04X} in a string"
    line = text.count("\n", 0, pos) + 1
    column = pos - text.rfind("\n", 0, pos)
    return FileProblem(line, f"JSON syntax: {what} at line {line} column {column}")


def discover(directories: Sequence[Path], root: Path) -> Iterator[tuple[Path, str, str]]:
    """Yield ``(path, relpath-to-root, label-within-its-directory)`` in a stable order.

    Hidden files and folders (``.git``, editor swap files) are skipped; symlinked
    folders are not followed, so a link cannot make the walk loop. A file reached
    twice (a folder named twice, a link to a file that is also found) is yielded
    once, under its own name rather than a link's. Paths name files as they sit in
    the repository: a link is never replaced by its target, and a broken or looping
    link is yielded like any file, so that reading it gives its finding.

    Folders are resolved once each, not once per file: the answers are those of
    :func:`_identity` and :func:`relative_path`, which a large repository would
    otherwise pay for with a dozen system calls per file.
    """
    folders = _Folders(root)
    found: list[tuple[str, Path, str, str]] = []  # (identity, path, label, folder)
    for directory in directories:
        here: list[tuple[str, Path, str]] = []  # (label, path, folder)
        for current, dirnames, filenames in os.walk(directory):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            prefix = folders.label_prefix(current, directory)
            for name in filenames:
                if name.startswith(".") or os.path.splitext(name)[1].lower() not in SUFFIXES:
                    continue
                here.append((prefix + name, Path(current, name), current))
        here.sort(key=lambda item: item[:2])
        found.extend(
            (folders.identity(current, path), path, label, current) for label, path, current in here
        )
    chosen: dict[str, int] = {}
    for index, (identity, path, _, _) in enumerate(found):
        best = chosen.get(identity)
        if best is None or (os.path.islink(found[best][1]) and not os.path.islink(path)):
            chosen[identity] = index
    for index, (identity, path, label, current) in enumerate(found):
        if chosen[identity] == index:
            yield path, folders.relative(current, path), label


class _Folders:
    """Per-folder answers of :func:`_identity` and :func:`relative_path`, computed once.

    A file that is not a symbolic link resolves to its resolved folder joined with
    its own name, and its relative path is its folder's followed by its name: the
    last component is never a link to follow, nor ``.`` or ``..``. Links, and any
    path these shortcuts do not cover, take the full functions.
    """

    def __init__(self, root: Path) -> None:
        self._root = root
        self._real: dict[str, str] = {}
        self._relative: dict[str, str | None] = {}
        self._labels: dict[tuple[str, Path], str] = {}

    def label_prefix(self, current: str, directory: Path) -> str:
        """``current`` relative to ``directory`` as a label prefix (``""`` or ``"a/b/"``)."""
        key = (current, directory)
        prefix = self._labels.get(key)
        if prefix is None:
            relative = Path(current).relative_to(directory).as_posix()
            prefix = self._labels[key] = "" if relative == "." else relative + "/"
        return prefix

    def identity(self, current: str, path: Path) -> str:
        """:func:`_identity` of ``path``, a file listed in folder ``current``."""
        try:
            if stat.S_ISLNK(os.lstat(path).st_mode):
                return _identity(path)
        except (OSError, ValueError):
            return _identity(path)  # gone since it was listed: its own identity
        real = self._real.get(current)
        if real is None:
            real = self._real[current] = os.path.realpath(current)
        return os.path.join(real, path.name)

    def relative(self, current: str, path: Path) -> str:
        """:func:`relative_path` of ``path``, listed in ``current``, one computation per folder."""
        if current not in self._relative:
            # A plain last component stands for any: the folder's own answer, then its name.
            folder = relative_path(Path(current, "_"), self._root)
            prefix = "" if folder == "_" else folder[:-1] if folder.endswith("/_") else None
            self._relative[current] = prefix
        prefix = self._relative[current]
        return relative_path(path, self._root) if prefix is None else prefix + path.name


def _identity(path: Path) -> str:
    """The file that ``path`` reaches, to read it once; never raises.

    A path that reaches no file (a broken or looping link) is its own identity, so
    that every such link gets its own finding.
    """
    try:
        if os.path.exists(path):
            return os.path.realpath(path)
    except (OSError, ValueError):
        pass
    return os.path.abspath(path)


def relative_path(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` (else absolute), naming a link itself, not its target.

    Only the folders are made canonical, so that a root or a folder reached through
    a symlinked folder still matches; the last component is kept as it is.
    """
    candidates = (
        (Path(os.path.realpath(path.parent), path.name), Path(os.path.realpath(root))),
        (Path(os.path.abspath(path)), Path(os.path.abspath(root))),
    )
    for candidate, base in candidates:
        try:
            return candidate.relative_to(base).as_posix()
        except ValueError:
            continue
    return candidates[0][0].as_posix()


def load_files(
    directories: Iterable[Path], root: Path, limits: ParseLimits | None = None
) -> list[SourceFile]:
    """Read every configuration file under ``directories``, sorted, problems included."""
    limits = limits or ParseLimits()
    return [
        read_file(path, relpath, label, limits)
        for path, relpath, label in discover(list(directories), root)
    ]
