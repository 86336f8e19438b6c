"""DesktopLayout properties: bounds and overlap against a cell-by-cell oracle, limits, mutations.

The oracles paint cells one by one; they never call a layout rule.
"""

from __future__ import annotations

import re
from collections import Counter
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import assume, event, given
from hypothesis import strategies as st

from _properties import assert_breaks_exactly, assert_complies, check, line_of
from genesys_compliance import Policy
from genesys_compliance.strategies import desktop_layouts, mutable_rules, mutate

Cell = tuple[int, int]
_OVERLAP = re.compile(
    r"widget '(?P<a>w\d+)' overlaps widget '(?P<b>w\d+)' "
    r"at cell \(x=(?P<x>\d+), y=(?P<y>\d+)\)"
)


def _cells(widget: dict[str, Any]) -> set[Cell]:
    p = widget["position"]
    return {
        (c, r)
        for c in range(p["x"], p["x"] + p["width"])
        for r in range(p["y"], p["y"] + p["height"])
    }


def _layout(columns: int, rows: int, rects: list[tuple[int, int, int, int]]) -> dict[str, Any]:
    widgets = [
        {
            "widget_type": "queue-widget",
            "id": f"w{i}",
            "position": {"x": x, "y": y, "width": w, "height": h},
        }
        for i, (x, y, w, h) in enumerate(rects)
    ]
    return {
        "apiVersion": "genesys-compliance/v1",
        "kind": "DesktopLayout",
        "metadata": {"name": "oracle"},
        "spec": {"name": "Oracle", "grid": {"columns": columns, "rows": rows}, "widgets": widgets},
    }


@st.composite
def _loose_layouts(draw: st.DrawFn, policy: Policy) -> dict[str, Any]:
    """Layouts whose widgets may leave the grid and overlap: what the oracle judges."""
    columns = draw(st.integers(1, min(policy.max_grid_columns, 8)), label="columns")
    rows = draw(st.integers(1, min(policy.max_grid_rows, 8)), label="rows")
    rect = st.tuples(
        st.integers(0, columns),
        st.integers(0, rows),
        st.integers(1, columns + 1),
        st.integers(1, rows + 1),
    )
    rects = draw(st.lists(rect, max_size=min(policy.max_widgets, 6)), label="widgets")
    return _layout(columns, rows, rects)


@given(data=st.data())
def test_every_generated_layout_complies(data: st.DataObject, gc_policy: Policy) -> None:
    layout = data.draw(desktop_layouts(gc_policy), label="layout")
    spec = layout["spec"]
    edges = {
        "last column"
        for w in spec["widgets"]
        if w["position"]["x"] + w["position"]["width"] == spec["grid"]["columns"]
    }
    edges |= {
        "last row"
        for w in spec["widgets"]
        if w["position"]["y"] + w["position"]["height"] == spec["grid"]["rows"]
    }
    event(f"touches: {', '.join(sorted(edges)) or 'no edge'}")
    event(f"widgets: {len(spec['widgets'])}")
    assert_complies(check([layout], gc_policy))


@given(data=st.data())
def test_grid_bounds_and_overlap_match_a_cell_by_cell_oracle(
    data: st.DataObject, gc_policy: Policy
) -> None:
    layout = data.draw(_loose_layouts(gc_policy), label="layout")
    columns, rows = layout["spec"]["grid"]["columns"], layout["spec"]["grid"]["rows"]
    widgets = layout["spec"]["widgets"]
    grid = {(c, r) for c in range(columns) for r in range(rows)}
    checked = check([layout], gc_policy)

    # layout/grid-bounds: one finding per widget and per direction it leaves the grid.
    expected_bounds: Counter[str] = Counter()
    for i, widget in enumerate(widgets):
        outside = _cells(widget) - grid
        expected_bounds[f"/spec/widgets/{i}"] += any(c >= columns for c, _ in outside)
        expected_bounds[f"/spec/widgets/{i}"] += any(r >= rows for _, r in outside)
    got_bounds = Counter(f.pointer for f in checked.ids("layout/grid-bounds"))
    assert got_bounds == +expected_bounds

    # layout/overlap: a widget is flagged when a cell of it inside the grid is already painted.
    painted: dict[Cell, set[int]] = {}
    flagged: set[int] = set()
    for i, widget in enumerate(widgets):
        inside = _cells(widget) & grid
        if any(cell in painted for cell in inside):
            flagged.add(i)
        for cell in inside:
            painted.setdefault(cell, set()).add(i)
    overlaps = checked.ids("layout/overlap")
    assert {int(f.pointer.rsplit("/", 1)[1]) for f in overlaps} == flagged
    assert len(overlaps) == len(flagged)
    for finding in overlaps:
        later = int(finding.pointer.rsplit("/", 1)[1])
        named = _OVERLAP.search(finding.message)
        assert named is not None, finding.message
        earlier, cell = int(named["b"][1:]), (int(named["x"]), int(named["y"]))
        assert named["a"] == f"w{later}"
        assert earlier < later
        assert cell in _cells(widgets[earlier]) & _cells(widgets[later]) & grid
        assert finding.line == line_of(checked.text, 0, finding.pointer)


@given(data=st.data())
def test_widget_limit_passes_at_the_limit_and_fails_one_past(
    data: st.DataObject, gc_policy: Policy
) -> None:
    limit = gc_policy.max_widgets
    count = data.draw(
        st.one_of(st.sampled_from((limit, limit + 1)), st.integers(0, limit + 3)), label="widgets"
    )
    columns, rows = gc_policy.max_grid_columns, gc_policy.max_grid_rows
    assume(count <= columns * rows)
    layout = _layout(columns, rows, [(i % columns, i // columns, 1, 1) for i in range(count)])
    found = check([layout], gc_policy).ids("layout/widget-limit")
    assert [f.pointer for f in found] == ([f"/spec/widgets/{limit}"] if count > limit else [])


@given(data=st.data())
def test_load_impact_warns_exactly_above_the_budget(data: st.DataObject, gc_policy: Policy) -> None:
    types = sorted(gc_policy.widget_types) or ["queue-widget"]
    chosen = data.draw(
        st.lists(st.sampled_from(types), max_size=gc_policy.max_widgets + 2), label="widget types"
    )
    columns = gc_policy.max_grid_columns
    assume(len(chosen) <= columns * gc_policy.max_grid_rows)
    layout = _layout(
        columns,
        gc_policy.max_grid_rows,
        [(i % columns, i // columns, 1, 1) for i in range(len(chosen))],
    )
    for widget, kind in zip(layout["spec"]["widgets"], chosen, strict=True):
        widget["widget_type"] = kind
    exact = sum((Fraction(str(gc_policy.load_of(k))) for k in chosen), Fraction(0))
    warned = bool(check([layout], gc_policy).ids("layout/load-impact"))
    assert warned == (exact > Fraction(str(gc_policy.max_load_impact)))


@pytest.mark.parametrize(
    "rule_id", [r for r in mutable_rules("DesktopLayout") if r.startswith("layout/")]
)
@given(data=st.data())
def test_a_mutated_layout_breaks_exactly_its_rule(
    rule_id: str, data: st.DataObject, gc_policy: Policy
) -> None:
    layout = data.draw(desktop_layouts(gc_policy), label="valid layout")
    mutation = mutate(layout, rule_id, data, policy=gc_policy)
    assume(mutation is not None)
    assert mutation is not None
    assert_breaks_exactly(mutation, gc_policy)


@given(data=st.data())
def test_load_impact_breaks_alone_when_widgets_are_heavier(
    data: st.DataObject, gc_policy: Policy
) -> None:
    heavy = gc_policy.model_copy(update={"widget_load": 0.5, "widget_load_by_type": {}})
    assert "layout/load-impact" in mutable_rules("DesktopLayout", policy=heavy)
    layout = data.draw(desktop_layouts(heavy), label="valid layout")
    mutation = mutate(layout, "layout/load-impact", data, policy=heavy)
    assume(mutation is not None)
    assert mutation is not None
    assert_breaks_exactly(mutation, heavy)
