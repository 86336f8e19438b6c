"""Build plain Python data from libyaml's event stream, within hard limits.

PyYAML's composer and constructor recurse once per nesting level and expand
aliases eagerly, so hostile input can exhaust the stack or the memory before
any check runs. Consuming the event stream with an explicit stack keeps every
limit (depth, alias expansion, tags) enforceable at the event that breaks it,
and lets the same pass record the line of every node when asked.

Scalars resolve with the YAML 1.2 core schema (``yes`` stays a string, as in
JSON and in the Genesys API), or with JSON's own rules for ``.json`` files.
Numbers must be finite: a file is the API payload, and JSON has no NaN or
infinity to send.

libyaml 0.2.6 (bundled with PyYAML 6.0.4; 6.0.1's has no cap) caps nesting at
1,000 levels of its own and reports it while looking ahead, before the builder
sees the level that breaks the project's limit. When libyaml stops there, the
text is parsed again by PyYAML's pure-Python parser, which has no cap and is
iterative, so the project's limit holds whatever libyaml is installed. Its
events are lazy, so that parse stops at the builder's limit too; ordinary
files never take it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from sys import intern as _intern
from typing import Any

import yaml

from genesys_compliance.config._pointer import key_text, pointer_tokens

try:  # libyaml is an order of magnitude faster; the pure parser is the same contract.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyPI wheels ship libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_INT10 = re.compile(r"^[-+]?[0-9]+$")
_INT8 = re.compile(r"^0o[0-7]+$")
_INT16 = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
# First characters of every non-string core-schema form: null, bool, int, float, inf, nan.
_SPECIAL_STARTS = frozenset("~nNtTfF0123456789+-.")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = frozenset({_TAG + "str", _TAG + "int", _TAG + "float", _TAG + "bool", _TAG + "null"})
_MAP_TAGS = frozenset({_TAG + "map", "!"})
_SEQ_TAGS = frozenset({_TAG + "seq", "!"})
_MERGE = "<<"


class ParseProblem(Exception):  # noqa: N818 - internal control flow, never escapes config/
    """The stream broke a rule of the format or a limit; carries the 1-based line."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """The ``config/parse`` bounds that keep a hostile file from exhausting the run.

    One record for the reader and the builder alike: ``max_bytes`` bounds what
    is read from a file, ``max_depth`` and ``max_alias_nodes`` what is built
    from the text. The defaults are the SPEC's; a policy overrides them.
    """

    max_bytes: int = 5 * 1024 * 1024
    max_depth: int = 200
    max_alias_nodes: int = 10_000


@dataclass(slots=True)
class LineTree:
    """Where a container starts, and where each of its children starts.

    Lines are kept in a tree shaped like the data rather than under each node's
    pointer: a pointer is as long as its node is deep, so a flat table of them
    grows with depth times size (a 5 MiB file nested 200 deep took over a GiB).
    A scalar child is just its line; an aliased node is the line of the alias.
    """

    line: int
    children: dict[str, int | LineTree] | list[int | LineTree]


def line_at(lines: int | LineTree | None, ptr: str, default: int) -> int:
    """Line of the element at ``ptr``, or of its nearest ancestor with a known line."""
    if lines is None:
        return default
    found = lines if isinstance(lines, int) else lines.line
    node: int | LineTree | None = lines
    for key in pointer_tokens(ptr):
        if not isinstance(node, LineTree):
            break
        if isinstance(node.children, dict):
            node = node.children.get(key)
        elif key.isascii() and key.isdigit() and int(key) < len(node.children):
            node = node.children[int(key)]
        else:
            node = None
        if node is None:
            break
        found = node if isinstance(node, int) else node.line
    return found


@dataclass(slots=True)
class BuiltDocument:
    """One document of a stream: its data, first line and, on request, node lines."""

    data: Any
    line: int
    lines: int | LineTree | None = None


@dataclass(slots=True)
class _Frame:
    container: dict[Any, Any] | list[Any]
    lines: LineTree | None
    start_nodes: int
    anchor: str | None
    line: int
    key: Any = None
    key_line: int = 0
    key_written: str = ""
    has_key: bool = False
    key_is_merge: bool = False
    merges: list[tuple[int, Any]] = field(default_factory=list)
    # (type, value) of each explicit key -> the key as written: YAML's node equality
    explicit_keys: dict[tuple[type, Any], str] = field(default_factory=dict)


def _reject_constant(name: str) -> Any:
    """Python's json takes NaN and Infinity; JSON (RFC 8259) and the Genesys API do not."""
    raise ValueError(f"{name} is not a JSON value")


def _finite(value: Any, text: str, line: int) -> Any:
    """Refuse NaN and infinity: the HTTP client cannot encode them, so the file cannot be sent."""
    if isinstance(value, float) and not math.isfinite(value):
        written = f"{text[:40]!r} is not a finite number"
        if not math.isnan(value) and not _INF.match(text):  # 1e400: too large for a double
            written = f"{text[:40]!r} is too large a number: it reads as infinity"
        raise ParseProblem(line, f"{written}, and the API's JSON cannot carry NaN or infinity")
    return value


def _resolve_plain(text: str, line: int, json_mode: bool) -> Any:
    if json_mode:
        try:
            return _finite(json.loads(text, parse_constant=_reject_constant), text, line)
        except (json.JSONDecodeError, RecursionError):
            pass
        except ValueError:  # NaN/Infinity, or more digits than int() accepts (CVE-2020-10735)
            if _INT10.match(text):
                raise ParseProblem(line, "integer literal too long") from None
        raise ParseProblem(line, f"not a JSON value: {text[:40]!r}")
    if text and text[0] not in _SPECIAL_STARTS:
        return text  # most plain scalars are words: no core-schema form starts this way
    if _NULL.match(text):
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    try:
        if _INT10.match(text):
            return int(text)
        if _INT8.match(text):
            return int(text[2:], 8)
        if _INT16.match(text):
            return int(text[2:], 16)
    except ValueError:  # more digits than int() accepts (CVE-2020-10735 limit)
        raise ParseProblem(line, "integer literal too long") from None
    if _FLOAT.match(text):
        return _finite(float(text), text, line)
    if _INF.match(text):
        return _finite(-math.inf if text.startswith("-") else math.inf, text, line)
    if _NAN.match(text):
        return _finite(math.nan, text, line)
    return text


def _resolve_tagged(text: str, tag: str, line: int) -> Any:
    if tag in ("!", _TAG + "str"):
        return text
    value: object = _resolve_plain(text, line, json_mode=False)
    kind = tag[len(_TAG) :]
    expected: dict[str, type | tuple[type, ...]] = {
        "int": int,
        "float": (int, float),
        "bool": bool,
        "null": type(None),
    }
    if not isinstance(value, expected[kind]) or (kind == "int" and isinstance(value, bool)):
        raise ParseProblem(line, f"value {text[:40]!r} does not fit its tag !!{kind}")
    if kind == "float":
        assert isinstance(value, int | float)  # checked just above
        return float(value)
    return value


def _check_tag(tag: str | None, allowed: frozenset[str], line: int) -> None:
    if tag is not None and tag not in allowed:
        shown = "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag
        raise ParseProblem(
            line,
            f"unsupported tag {shown[:60]}: only plain data is allowed, nothing is constructed",
        )


class _Builder:
    """Turns one event stream into documents; one instance per parse."""

    def __init__(self, limits: ParseLimits, json_mode: bool, record_lines: bool) -> None:
        self.limits = limits
        self.json_mode = json_mode
        self.record = record_lines
        self.documents: list[BuiltDocument] = []
        self._anchors: dict[str, tuple[Any, int]] = {}
        self._nodes = 0
        self._expanded = 0
        self._lines: int | LineTree | None = None
        self._doc_line = 1

    def run(self, events: Iterator[yaml.Event]) -> None:
        stack: list[_Frame] = []
        root: list[Any] = []
        for event in events:
            line = event.start_mark.line + 1 if event.start_mark is not None else 1
            if isinstance(event, yaml.ScalarEvent):
                self._nodes += 1
                value = self._scalar(event, line)
                self._add(stack, root, value, line, event.anchor, self._nodes - 1, event)
            elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                is_map = isinstance(event, yaml.MappingStartEvent)
                _check_tag(event.tag, _MAP_TAGS if is_map else _SEQ_TAGS, line)
                if len(stack) >= self.limits.max_depth:
                    raise ParseProblem(line, f"nesting deeper than {self.limits.max_depth} levels")
                if stack and stack[-1].has_key is False and isinstance(stack[-1].container, dict):
                    raise ParseProblem(line, "mapping keys must be plain scalars")
                self._nodes += 1
                lines = None
                if self.record:
                    lines = LineTree(self._child_line(stack, line), {} if is_map else [])
                    self._note_line(stack, lines)
                stack.append(
                    _Frame({} if is_map else [], lines, self._nodes - 1, event.anchor, line)
                )
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                frame = stack.pop()
                if isinstance(frame.container, dict) and frame.merges:
                    self._apply_merges(frame)
                self._add(
                    stack,
                    root,
                    frame.container,
                    frame.line,
                    frame.anchor,
                    frame.start_nodes,
                    None,
                    already_noted=True,
                )
            elif isinstance(event, yaml.AliasEvent):
                self._alias(stack, root, event, line)
            elif isinstance(event, yaml.DocumentStartEvent):
                self._doc_line = line
                self._anchors.clear()
                self._lines = None
                root.clear()
            elif isinstance(event, yaml.DocumentEndEvent):
                data = root[0] if root else None
                self.documents.append(BuiltDocument(data, self._doc_line, self._lines))

    # -- helpers ---------------------------------------------------------------------------

    def _scalar(self, event: yaml.ScalarEvent, line: int) -> Any:
        if event.tag == "!":  # the non-specific tag forces a string
            return event.value
        if event.tag is not None and not event.implicit[0]:
            _check_tag(event.tag, _SCALAR_TAGS, line)
            return _resolve_tagged(event.value, event.tag, line)
        if event.implicit[0] and not event.style:  # '' from libyaml, None from pure Python
            return _resolve_plain(event.value, line, self.json_mode)
        return event.value

    @staticmethod
    def _child_line(stack: list[_Frame], line: int) -> int:
        if stack and isinstance(stack[-1].container, dict):
            return stack[-1].key_line  # a field starts at its key, not at its value
        return line

    def _note_line(self, stack: list[_Frame], entry: int | LineTree) -> None:
        """Record where the next child of the top container (or the root) starts."""
        if not stack:
            self._lines = entry
            return
        top = stack[-1]
        assert top.lines is not None
        if isinstance(top.lines.children, list):
            top.lines.children.append(entry)
        else:
            top.lines.children.setdefault(key_text(top.key), entry)

    def _add(
        self,
        stack: list[_Frame],
        root: list[Any],
        value: Any,
        line: int,
        anchor: str | None,
        start_nodes: int,
        event: yaml.ScalarEvent | None,
        *,
        already_noted: bool = False,
    ) -> None:
        if anchor is not None:
            self._anchors[anchor] = (value, self._nodes - start_nodes)
        if not stack:
            root.append(value)
            return
        top = stack[-1]
        container = top.container
        if isinstance(container, list):
            if self.record and not already_noted:
                self._note_line(stack, line)
            container.append(value)
            return
        if not top.has_key:
            if isinstance(value, dict | list):
                raise ParseProblem(line, "mapping keys must be plain scalars")
            top.key, top.key_line, top.has_key = value, line, True
            top.key_written = event.value if event is not None else key_text(value)
            # Only a plain << is the merge key; a quoted "<<" is an ordinary string key.
            top.key_is_merge = (
                value == _MERGE
                and event is not None
                and event.tag is None
                and not event.style
                and not self.json_mode
            )
            return
        top.has_key = False
        key = top.key
        if top.key_is_merge:
            top.merges.append((line, value))
            return
        self._claim_key(top)
        if self.record and not already_noted:
            self._note_line(stack, top.key_line)
        # Thousands of documents share a few dozen field names: one string each, not one per use.
        container[_intern(key) if type(key) is str else key] = value

    @staticmethod
    def _claim_key(top: _Frame) -> None:
        """Refuse a key the mapping already holds; keys are equal as YAML nodes, not in Python.

        YAML calls two keys equal when their tag and value are: ``1`` and ``0x1``
        are one key, but ``1``, ``1.0``, ``true`` and ``"1"`` are four. Python's
        ``1 == True == 1.0`` would merge the last three into one dict entry, losing
        a value; a dict cannot hold them apart, so that is a problem of its own.
        """
        key, container = top.key, top.container
        identity = (type(key), key)
        if identity in top.explicit_keys:
            raise ParseProblem(top.key_line, f"duplicate key {top.key_written[:60]!r}")
        if key in container:  # equal in Python, of another type: 1 beside true or 1.0
            other = next(k for k in container if k == key)
            raise ParseProblem(
                top.key_line,
                f"keys {top.explicit_keys[(type(other), other)][:60]} and "
                f"{top.key_written[:60]} in one mapping cannot both be kept: quote them "
                "(property names in the API's JSON are strings)",
            )
        top.explicit_keys[identity] = top.key_written

    def _alias(
        self, stack: list[_Frame], root: list[Any], event: yaml.AliasEvent, line: int
    ) -> None:
        if self.json_mode:
            raise ParseProblem(line, "aliases are not JSON")
        found = self._anchors.get(event.anchor or "")
        if found is None:
            raise ParseProblem(line, f"unknown or recursive alias *{(event.anchor or '')[:60]}")
        value, size = found
        self._expanded += size
        if self._expanded > self.limits.max_alias_nodes:
            raise ParseProblem(
                line, f"alias expansion beyond {self.limits.max_alias_nodes:,} nodes"
            )
        if stack and isinstance(stack[-1].container, dict) and not stack[-1].has_key:
            raise ParseProblem(line, "mapping keys must be plain scalars")
        if self.record:
            self._note_line(stack, self._child_line(stack, line))
        self._nodes += size
        self._add(stack, root, value, line, None, self._nodes, None, already_noted=True)

    @staticmethod
    def _apply_merges(frame: _Frame) -> None:
        assert isinstance(frame.container, dict)
        for line, value in frame.merges:
            sources = value if isinstance(value, list) else [value]
            for source in sources:
                if not isinstance(source, dict):
                    raise ParseProblem(line, "a merge key '<<' takes a mapping or a list of them")
                for key, item in source.items():
                    frame.container.setdefault(key, item)


class _LibraryNestingCap(Exception):  # noqa: N818 - control flow inside this module
    """libyaml stopped at its own nesting cap: parse again without it."""


def is_library_nesting_cap(error: yaml.YAMLError) -> bool:
    """Whether the YAML library gave up at a nesting cap of its own, not at a syntax error.

    libyaml 0.2.6 reports ``exceeded maximum nesting depth`` while increasing a
    flow or block level; older versions have no cap and never raise it.
    """
    if not isinstance(error, yaml.MarkedYAMLError):
        return False
    return any("nesting depth" in (part or "") for part in (error.problem, error.context))


def _syntax_problem(error: yaml.YAMLError, text: str) -> ParseProblem:
    """Say where the YAML library gave up, at the line it gave up on."""
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        reason = " ".join(part for part in (error.context, error.problem) if part)
        return ParseProblem(line, f"YAML syntax: {reason}")
    if isinstance(error, yaml.reader.ReaderError) and isinstance(error.character, int):
        # The reader refuses the first unprintable character; its position is counted in
        # bytes by libyaml and in characters by the pure parser, so find the character.
        index = text.find(chr(error.character))
        if index >= 0:
            line_start = text.rfind("\n", 0, index) + 1
            return ParseProblem(
                text.count("\n", 0, index) + 1,
                f"YAML: unacceptable character #x{error.character:04x} at column "
                f"{index - line_start + 1}: {error.reason}",
            )
    return ParseProblem(1, f"YAML: {str(error).splitlines()[0][:200]}")


def _consume(builder: _Builder, text: str, loader: Any) -> ParseProblem | None:
    try:
        builder.run(yaml.parse(text, Loader=loader))
    except ParseProblem as problem:
        return problem
    except yaml.YAMLError as error:
        if loader is not yaml.SafeLoader and is_library_nesting_cap(error):
            raise _LibraryNestingCap from error
        return _syntax_problem(error, text)
    return None


def build_documents(
    text: str, *, limits: ParseLimits, json_mode: bool = False, record_lines: bool = False
) -> tuple[list[BuiltDocument], ParseProblem | None]:
    """Parse ``text`` into documents; stop at the first problem and say where.

    Documents completed before the problem are returned, so a later syntax
    error does not hide the findings of the documents above it. The line pass
    (``record_lines``) takes the same path, so it sees the same documents.
    Where the pure parser had to take over, lines are recorded on this pass
    whatever was asked: it is the slow path, and a second one for lines would
    double it.
    """
    builder = _Builder(limits, json_mode, record_lines)
    try:
        problem = _consume(builder, text, _Loader)
    except _LibraryNestingCap:
        # Not the project's limit but libyaml's: the pure parser has none and honours ours.
        builder = _Builder(limits, json_mode, record_lines=True)
        problem = _consume(builder, text, yaml.SafeLoader)
    return builder.documents, problem
