"""The plan as Markdown, ready to post as a pull-request comment or a CI job summary.

Rendered from the plan file's JSON document (``reports/plan.json``, the
``genesys-compliance/plan/v1`` format of ``apply.Plan.to_json``), so a
pipeline can render the plan it reviewed without reading the org again. The
output is a function of the document alone (no clock, no environment): the
same plan gives the same bytes, so an edited comment shows a diff only when
the plan changed.

Everything taken from the document (names, paths, JSON pointers, values,
reasons) is written as an inline code span: a value holding ``|``, a
backtick, ``<script>``, ``@team`` or ``[a](b)`` shows as text and can neither
split a table row nor add markup, a link or a mention. Values are compact
JSON cut to a readable width; the whole text stays within what one GitHub
comment holds (65,536 characters), cut at a line with a note pointing at the
plan file when it would not.

``python -m genesys_compliance.reporting.plan_comment reports/plan.json >
plan.md`` renders a plan file from the command line.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["COMMENT_LIMIT", "PLAN_FORMAT", "plan_markdown"]

PLAN_FORMAT = "genesys-compliance/plan/v1"
"""The plan file format this renders: ``apply.PLAN_FORMAT``, spelled out so that importing
the renderer (or ``reporting``) does not load the apply stage and its models."""

COMMENT_LIMIT = 65_536
"""Characters one GitHub issue or pull-request comment may hold."""

_ACTIONS = ("create", "update", "no-op", "blocked")
_WORDS = {"create": "to create", "update": "to update", "no-op": "unchanged", "blocked": "blocked"}
_MAX_VALUE = 80
_CONTEXT = 20  # characters shown before the first difference of two long values
_ABSENT = "*(absent)*"
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")
_BACKTICKS = re.compile(r"`+")


def plan_markdown(plan_json: Mapping[str, Any], *, limit: int = COMMENT_LIMIT) -> str:
    """The plan as Markdown: counts, one table row per configuration, each update's fields.

    Args:
        plan_json: The plan file's document, as ``json.load`` reads it.
        limit: The most characters the text may have; a longer plan is cut at
            a line, with a note that the whole plan is in the plan file.

    Raises:
        ValueError: The document is not a plan of this format. Rendering an
            unknown document as an empty plan would tell a reviewer that
            nothing changes.
    """
    resources = _entries(plan_json, "resources")
    refused = _entries(plan_json, "notPlanned")
    counts = {action: 0 for action in _ACTIONS}
    for entry in resources:
        action = entry.get("action")
        if action in counts:
            counts[action] += 1
    lines = ["### genesys-compliance plan", "", _headline(counts, len(refused)), ""]
    if counts["create"] + counts["update"] == 0:
        lines += ["No changes: applying this plan writes nothing to the org.", ""]
    if resources:
        lines += _resource_table(resources)
    blocked = [e for e in resources if e.get("action") == "blocked"]
    if blocked:
        lines += ["#### Blocked", "", "| kind | name | file | reason |", "|---|---|---|---|"]
        lines += [
            f"| {_cell(e.get('kind'))} | {_cell(e.get('name'))} | {_cell(e.get('file'))} "
            f"| {_cell(e.get('reason'))} |"
            for e in blocked
        ]
        lines.append("")
    if refused:
        lines += [
            "#### Not planned: failed their checks",
            "",
            "| kind | name | file | rules |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {_cell(r.get('kind'))} | {_cell(r.get('name'))} | {_cell(r.get('file'))} "
            f"| {_cell(', '.join(_text(x) for x in _sequence(r.get('reasons'))))} |"
            for r in refused
        ]
        lines.append("")
    updates = [e for e in resources if e.get("action") == "update"]
    if updates:
        lines += ["#### Field changes", ""]
        for entry in updates:
            lines += _field_changes(entry)
    return _within(lines, limit)


def _entries(plan_json: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    if not isinstance(plan_json, Mapping) or plan_json.get("format") != PLAN_FORMAT:
        found = plan_json.get("format") if isinstance(plan_json, Mapping) else None
        raise ValueError(f"not a plan document: format is {found!r}, expected {PLAN_FORMAT!r}")
    value = plan_json.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise ValueError(f"not a plan document: {key!r} is not a list of objects")
    return value


def _headline(counts: Mapping[str, int], refused: int) -> str:
    text = "**" + ", ".join(f"{counts[a]} {_WORDS[a]}" for a in _ACTIONS) + "**"
    if refused:
        text += f"; {refused} not planned (failed {'its' if refused == 1 else 'their'} checks)"
    return text


def _resource_table(resources: Sequence[Mapping[str, Any]]) -> list[str]:
    rows = ["| action | kind | name | file | resource | fields |", "|---|---|---|---|---|---:|"]
    for entry in resources:
        action = entry.get("action")
        fields = len(_sequence(entry.get("changes"))) if action in ("create", "update") else 0
        shown = action if action in _ACTIONS else _cell(action)
        rows.append(
            f"| {shown} | {_cell(entry.get('kind'))} | {_cell(entry.get('name'))} "
            f"| {_cell(entry.get('file'))} | {_cell(_where(entry))} | {fields} |"
        )
    return [*rows, ""]


def _where(entry: Mapping[str, Any]) -> str:
    """The resource's key, or (for a create) what the configuration names it by."""
    named = entry.get("resource") or entry.get("identity") or {}
    if not isinstance(named, Mapping):
        return _text(named)
    pairs = sorted((_text(k), _text(v)) for k, v in named.items())  # the same in any key order
    return ", ".join(f"{k}={v}" for k, v in pairs)


def _field_changes(entry: Mapping[str, Any]) -> list[str]:
    out = [
        f"**update** {_code(entry.get('kind'))} {_code(entry.get('name'))}"
        f" in {_code(entry.get('file'))}",
        "",
        "| field | line | org | file |",
        "|---|---:|---|---|",
    ]
    for change in _sequence(entry.get("changes")):
        if not isinstance(change, Mapping):
            continue
        org, file = _pair(change)
        line = change.get("line")
        out.append(
            f"| {_cell(change.get('pointer'))} | {line if type(line) is int else ''} "
            f"| {_ABSENT if org is None else _cell(org)} | {_cell(file)} |"
        )
    return [*out, ""]


def _pair(change: Mapping[str, Any]) -> tuple[str | None, str]:
    """The org's value (``None``: absent) and the file's, cut where they differ.

    Two long values that share their start (a list of conditions with one
    changed) are both shown from a little before their first difference, so
    the cut never hides the change itself.
    """
    file = _json(change.get("file"))
    if "org" not in change:
        return None, _cut(file)
    org = _json(change["org"])
    if len(org) <= _MAX_VALUE and len(file) <= _MAX_VALUE:
        return org, file
    same = next((i for i, (a, b) in enumerate(zip(org, file, strict=False)) if a != b), None)
    if same is None:
        same = min(len(org), len(file))
    start = max(0, same - _CONTEXT)
    return _cut(org, start), _cut(file, start)


def _sequence(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    """A field of the document as one line of text."""
    text = value if isinstance(value, str) else _value(value)
    return _LINE_BREAKS.sub(" ", text)


def _value(value: Any) -> str:
    """A value as compact JSON, cut to a readable width."""
    return _cut(_json(value))


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _cut(text: str, start: int = 0) -> str:
    """``text`` from ``start``, at most ``_MAX_VALUE`` characters, an ellipsis where it was cut."""
    head = "…" if start > 0 else ""
    rest = text[start:]
    room = _MAX_VALUE - len(head)
    return head + (rest if len(rest) <= room else rest[: room - 1] + "…")


def _cell(value: Any) -> str:
    """A code span inside a table cell: a ``|`` is escaped, which GFM undoes inside the span."""
    return _code(value).replace("|", "\\|")


def _code(value: Any) -> str:
    """An inline code span that holds any text: the fence is longer than any backtick run in it."""
    text = _text(value) if value is not None else ""
    if not text:
        return "*(none)*"
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(text)), default=0) + 1)
    if text[0] in "` " or text[-1] in "` ":
        text = f" {text} "  # CommonMark strips one space on each side again
    return f"{fence}{text}{fence}"


def _within(lines: list[str], limit: int) -> str:
    """The lines as text, cut at a line so that the text and the note fit ``limit``."""
    text = "\n".join(lines).rstrip("\n") + "\n"
    if len(text) <= limit:
        return text
    kept: list[str] = []
    size = 0
    total = len(lines)
    for line in lines:
        note = _cut_note(len(kept), total)
        if size + len(line) + 1 + len(note) > limit:
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept) + "\n" + _cut_note(len(kept), total)


def _cut_note(shown: int, total: int) -> str:
    return (
        f"\n*Cut to fit one comment: {shown} of {total} lines shown."
        " The whole plan is in the plan file (plan.json).*\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Print the Markdown of a plan file; 2 when the file cannot be read or is not a plan."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print(
            "usage: python -m genesys_compliance.reporting.plan_comment PLAN_JSON",
            file=sys.stderr,
        )
        return 2
    try:
        document = json.loads(Path(args[0]).read_text(encoding="utf-8"))
        text = plan_markdown(document)
    except OSError as error:
        print(f"{args[0]}: cannot be read: {error.strerror or error}", file=sys.stderr)
        return 2
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        print(f"{args[0]}: {error}", file=sys.stderr)
        return 2
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
