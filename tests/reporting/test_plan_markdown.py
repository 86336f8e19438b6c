"""The plan as a pull-request comment: what it says, and that no value can break it.

The Markdown is parsed back with markdown-it-py (CommonMark with GFM tables,
which GitHub's renderer follows for both): every table row keeps its cells,
and every value from the plan is one code span holding exactly the value, so
a ``|``, a backtick, ``<script>``, ``@team`` or a link cannot add a cell or
markup.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from genesys_compliance import apply
from genesys_compliance.reporting import plan_comment as renderer
from genesys_compliance.reporting.plan_comment import COMMENT_LIMIT, main, plan_markdown

PLAN_FORMAT = apply.PLAN_FORMAT

REPO = Path(__file__).resolve().parents[2]


def entry(action: str, name: str, **fields: Any) -> dict[str, Any]:
    """One resource of a plan document, as ``Plan.to_json`` writes it."""
    out: dict[str, Any] = {
        "action": action,
        "changes": [],
        "config": f"{name}.yaml::{name}",
        "file": f"configs/{name}.yaml",
        "identity": {"spec.name": name.title()},
        "kind": "RoutingRule",
        "matchedBy": "identity",
        "name": name,
        "resource": None,
        "token": None,
    }
    out.update(fields)
    return out


def plan(*resources: dict[str, Any], refused: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    return {
        "format": PLAN_FORMAT,
        "notPlanned": list(refused),
        "resources": list(resources),
        "summary": {},
    }


UPDATE = entry(
    "update",
    "escalation",
    resource={"ruleId": "d4e5"},
    token=4,
    changes=[
        {"pointer": "/priority", "org": 17, "file": 10, "line": 10},
        {"pointer": "/description", "file": "Routes VIP calls", "line": 9},
    ],
)
EXAMPLE = plan(
    UPDATE,
    entry("create", "billing-spanish", changes=[{"pointer": "/name", "file": "x", "line": 3}]),
    entry("no-op", "sales", resource={"ruleId": "a1"}),
    entry("blocked", "ghost", reason="layoutId lay-9 is not in the org"),
    refused=({"config": "c", "file": "configs/bad.yaml", "kind": "DesktopLayout", "name": "bad",
              "reasons": ["layout/overlap", "layout/grid-bounds"]},),
)  # fmt: skip


def tables(markdown: str) -> list[list[list[list[Token]]]]:
    """Each table's body rows, each row's cells, each cell's inline tokens."""
    found: list[list[list[list[Token]]]] = []
    rows: list[list[list[Token]]] | None = None
    for token in MarkdownIt("commonmark").enable("table").parse(markdown):
        if token.type == "tbody_open":
            rows = []
        elif token.type == "tbody_close" and rows is not None:
            found.append(rows)
            rows = None
        elif rows is not None and token.type == "tr_open":
            rows.append([])
        elif rows is not None and token.type == "inline":
            rows[-1].append(list(token.children or []))
    return found


def plain(cell: list[Token]) -> str:
    """A cell's text, markup dropped."""
    return "".join(t.content for t in cell)


def code(cell: list[Token]) -> str:
    """The one code span a cell holds (and nothing else)."""
    assert [t.type for t in cell] == ["code_inline"], [(t.type, t.content) for t in cell]
    return cell[0].content


def test_it_renders_the_format_the_apply_stage_writes() -> None:
    assert renderer.PLAN_FORMAT == apply.PLAN_FORMAT


def test_the_heading_counts_each_action_and_what_was_not_planned() -> None:
    text = plan_markdown(EXAMPLE)
    assert text.startswith("### genesys-compliance plan\n\n")
    assert "**1 to create, 1 to update, 1 unchanged, 1 blocked**; 1 not planned" in text
    assert "No changes" not in text


def test_one_row_per_configuration_with_its_resource_and_field_count() -> None:
    [resources, blocked, refused, fields] = tables(plan_markdown(EXAMPLE))
    assert [[c[0].content for c in row[:1]] for row in resources] == [
        ["update"], ["create"], ["no-op"], ["blocked"]
    ]  # fmt: skip
    assert [code(row[2]) for row in resources] == [
        "escalation",
        "billing-spanish",
        "sales",
        "ghost",
    ]
    assert [code(row[4]) for row in resources][:2] == ["ruleId=d4e5", "spec.name=Billing-Spanish"]
    assert [row[5][0].content for row in resources] == ["2", "1", "0", "0"]
    assert [code(c) for c in blocked[0]] == [
        "RoutingRule", "ghost", "configs/ghost.yaml", "layoutId lay-9 is not in the org"
    ]  # fmt: skip
    assert code(refused[0][3]) == "layout/overlap, layout/grid-bounds"
    # Each update's fields: pointer, line, the org's value (absent: none there), the file's.
    assert [[plain(c) for c in row] for row in fields] == [
        ["/priority", "10", "17", "10"],
        ["/description", "9", "(absent)", '"Routes VIP calls"'],
    ]


def test_a_plan_that_writes_nothing_says_so() -> None:
    text = plan_markdown(plan(entry("no-op", "sales"), entry("blocked", "ghost", reason="r")))
    assert "\nNo changes: applying this plan writes nothing to the org.\n" in text
    assert "#### Field changes" not in text
    empty = plan_markdown(plan())
    assert "**0 to create, 0 to update, 0 unchanged, 0 blocked**" in empty
    assert "No changes" in empty
    assert "| action |" not in empty


@pytest.mark.parametrize(
    "value",
    [
        "a|b",
        "a\\|b",  # a backslash before the pipe must not un-escape it
        "ends with a backslash\\",
        "`code` and ``two``",
        "`",
        " padded ",
        "<script>alert(1)</script>",
        "@acme/cx-team #12 [link](https://example.com) **bold** _it_",
        "line one\nline two\r\nthree",
        "| --- | --- |",
    ],
)
def test_no_value_can_split_a_cell_or_add_markup(value: str) -> None:
    hostile = entry(
        "update",
        value,
        file=value,
        kind=value,
        resource={value: value},
        changes=[{"pointer": f"/{value}", "org": value, "file": [value], "line": 1}],
    )
    text = plan_markdown(plan(hostile, entry("blocked", "b", reason=value)))
    [resources, blocked, fields] = tables(text)
    assert [len(row) for row in resources] == [6, 6]
    expected = value.replace("\r\n", " ").replace("\n", " ")
    assert [code(c) for c in resources[0][1:4]] == [expected] * 3
    assert code(blocked[0][3]) == expected
    [row] = fields
    assert [code(c) for c in (row[0], row[2], row[3])] == [
        f"/{expected}",
        json.dumps(value, ensure_ascii=False),
        json.dumps([value], ensure_ascii=False),
    ]
    html = MarkdownIt("commonmark").enable("table").render(text)
    assert "<script>" not in html
    assert "<a " not in html
    assert "<strong>bold" not in html


def test_long_values_are_cut_where_they_differ() -> None:
    conditions = [
        {"field": "conversation.text", "operator": "contains", "value": f"c{i}"} for i in range(9)
    ]
    changed = copy.deepcopy(conditions)
    changed[6]["operator"] = "regex"
    change = {"pointer": "/conditions", "org": conditions, "file": changed, "line": 5}
    update = entry("update", "cards", changes=[change])
    [_, [row]] = tables(plan_markdown(plan(update)))
    org, file = code(row[2]), code(row[3])
    assert len(org) <= 80
    assert len(file) <= 80
    assert org.startswith("…")
    assert file.startswith("…")
    assert '"contains"' in org
    assert '"regex"' in file
    short = plan_markdown(
        plan(entry("update", "x", changes=[{"pointer": "/a", "org": 1, "file": 2}]))
    )
    assert "| `/a` |  | `1` | `2` |" in short


def test_the_same_plan_gives_the_same_bytes() -> None:
    first = plan_markdown(EXAMPLE)
    reordered = json.loads(json.dumps(EXAMPLE))
    reordered["resources"][0]["resource"] = {"b": "2", "a": "1"}
    again = copy.deepcopy(reordered)
    again["resources"][0]["resource"] = {"a": "1", "b": "2"}
    assert plan_markdown(copy.deepcopy(EXAMPLE)) == first
    assert plan_markdown(reordered) == plan_markdown(again)


def test_a_plan_too_long_for_one_comment_is_cut_at_a_line_with_a_note() -> None:
    changes = [[{"pointer": "/priority", "org": i, "file": 1, "line": 4}] for i in range(3000)]
    many = plan(*(entry("update", f"rule-{i:04d}", changes=c) for i, c in enumerate(changes)))
    whole = plan_markdown(many, limit=10**9)
    text = plan_markdown(many)
    assert len(whole) > COMMENT_LIMIT >= len(text)
    body, note = text.split("\n\n*Cut to fit one comment: ", 1)
    assert whole.startswith(body + "\n")  # whole lines only
    assert note.endswith("The whole plan is in the plan file (plan.json).*\n")


@pytest.mark.parametrize(
    "document",
    [
        {"resources": []},
        {"format": "genesys-compliance/plan/v2", "resources": []},
        {"format": PLAN_FORMAT, "resources": {"a": 1}},
        {"format": PLAN_FORMAT, "resources": ["create"]},
        [],
    ],
)
def test_anything_but_a_plan_is_refused_not_shown_as_no_changes(document: Any) -> None:
    with pytest.raises(ValueError, match="not a plan document"):
        plan_markdown(document)


def test_the_module_renders_a_plan_file_as_the_pipeline_runs_it(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(EXAMPLE, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "genesys_compliance.reporting.plan_comment", str(path)],
        capture_output=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO / "plugins"), "LANG": "C"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode("utf-8") == plan_markdown(EXAMPLE)


def test_the_module_says_what_is_wrong_with_its_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([]) == 2
    assert "usage:" in capsys.readouterr().err
    assert main([str(tmp_path / "missing.json")]) == 2
    assert "cannot be read" in capsys.readouterr().err
    (tmp_path / "junk.json").write_text("{", encoding="utf-8")
    assert main([str(tmp_path / "junk.json")]) == 2
    assert "junk.json:" in capsys.readouterr().err
    (tmp_path / "other.json").write_text('{"format": "x"}', encoding="utf-8")
    assert main([str(tmp_path / "other.json")]) == 2
    assert "not a plan document" in capsys.readouterr().err
