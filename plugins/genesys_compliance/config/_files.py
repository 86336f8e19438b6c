"""Find configuration files and read them into documents, never raising on bad input.

A file that cannot be read, decoded or parsed becomes a :class:`FileProblem`
that the engine reports as ``config/parse``; the run goes on with the next file.
Line numbers are worked out only when a finding asks for one: most
configurations comply, so recording the line of every node up front would be
wasted on them.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genesys_compliance.config._events import Limits, LineTree, build_documents, line_at

SUFFIXES = frozenset({".yaml", ".yml", ".json"})
_MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """The ``config/parse`` bounds; SPEC defaults, overridable by policy."""

    max_bytes: int = 5 * _MIB
    max_depth: int = 200
    max_alias_nodes: int = 10_000


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
            text, limits=_limits(self.limits), json_mode=self.is_json, record_lines=True
        )
        return [doc.lines for doc in docs if doc.data is not None]


def _limits(limits: ParseLimits) -> Limits:
    return Limits(max_depth=limits.max_depth, max_alias_nodes=limits.max_alias_nodes)


def _read_text(path: Path, limits: ParseLimits) -> str | FileProblem:
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            return FileProblem(
                1,
                f"file is {size / _MIB:.1f} MiB, larger than the "
                f"{limits.max_bytes / _MIB:g} MiB limit; it was not read",
            )
        raw = path.read_bytes()
    except OSError as error:
        return FileProblem(1, f"cannot read the file: {error.strerror or error}")
    if len(raw) > limits.max_bytes:  # grew between stat and read
        return FileProblem(1, f"file is larger than the {limits.max_bytes / _MIB:g} MiB limit")
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


def read_file(path: Path, relpath: str, label: str, limits: ParseLimits) -> SourceFile:
    """Read one file into a :class:`SourceFile`; problems are recorded, not raised."""
    source = SourceFile(path=path, relpath=relpath, label=label, limits=limits)
    text = _read_text(path, limits)
    if isinstance(text, FileProblem):
        source.problem = text
        return source
    built, parse_problem = build_documents(text, limits=_limits(limits), json_mode=source.is_json)
    if parse_problem is not None:
        source.problem = FileProblem(parse_problem.line, parse_problem.message)
        if source.is_json and parse_problem.message.startswith("YAML"):
            # libyaml found it first; JSON's own parser says it in JSON's words
            source.problem = _json_problem(text) or source.problem
    elif source.is_json:
        source.problem = _json_problem(text)
        if source.problem is not None:
            built = []
    source.documents = [
        Document(source, index, doc.data, doc.line)
        for index, doc in enumerate(d for d in built if d.data is not None)
    ]
    return source


def _json_problem(text: str) -> FileProblem | None:
    """Reject what libyaml tolerates but JSON does not (comments, trailing commas...)."""
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
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
                return _json_error(
                    text,
                    pos,
                    "Invalid string: unterminated, or a control character or bad escape inside",
                )
            return _json_error(text, pos, _EXPECTING[state])
        first = token == "open"
        if state == "after" and not stack:
            state = "done"
        pos = match.end()  # type: ignore[union-attr]


def _json_error(text: str, pos: int, message: str) -> FileProblem:
    return FileProblem(text.count("\n", 0, pos) + 1, f"JSON syntax: {message}")


def discover(directories: Sequence[Path], root: Path) -> Iterator[tuple[Path, str, str]]:
    """Yield ``(path, relpath-to-root, label-within-its-directory)`` in a stable order.

    Hidden files and folders (``.git``, editor swap files) are skipped; symlinked
    folders are not followed, so a link cannot make the walk loop.
    """
    seen: set[Path] = set()
    for directory in directories:
        found: list[tuple[str, Path]] = []
        for current, dirnames, filenames in os.walk(directory):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in filenames:
                if name.startswith(".") or Path(name).suffix.lower() not in SUFFIXES:
                    continue
                path = Path(current, name)
                found.append((path.relative_to(directory).as_posix(), path))
        for label, path in sorted(found):
            resolved = path.resolve()
            if resolved in seen:
                continue
            seen.add(resolved)
            yield path, _relative(resolved, root), label


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def load_files(
    directories: Iterable[Path], root: Path, limits: ParseLimits | None = None
) -> list[SourceFile]:
    """Read every configuration file under ``directories``, sorted, problems included."""
    limits = limits or ParseLimits()
    return [
        read_file(path, relpath, label, limits)
        for path, relpath, label in discover(list(directories), root)
    ]
