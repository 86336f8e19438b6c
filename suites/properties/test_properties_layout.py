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

from _properties import (
    LOWER,
    UPPER,
    assert_breaks_exactly,
    assert_complies,
    at_edge,
    check,
    edge_property,
    line_of,
    no_deadline,
)
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


@no_deadline
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


@no_deadline
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


@no_deadline
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


@no_deadline
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


@pytest.mark.parametrize("edge", LOWER + UPPER)
@pytest.mark.parametrize("dimension", ["columns", "rows"])
@edge_property
@given(data=st.data())
def test_grid_size_at_each_edge(
    dimension: str, edge: str, data: st.DataObject, gc_policy: Policy
) -> None:
    most = {"columns": gc_policy.max_grid_columns, "rows": gc_policy.max_grid_rows}
    grid = {name: data.draw(st.integers(1, top), label=name) for name, top in most.items()}
    grid[dimension] = value = at_edge(edge, 1, most[dimension])
    layout = _layout(grid["columns"], grid["rows"], [])
    failing = [(f.rule_id, f.pointer) for f in check([layout], gc_policy).failing()]
    inside = 1 <= value <= most[dimension]
    assert failing == ([] if inside else [("layout/grid-size", f"/spec/grid/{dimension}")])


@st.composite
def _one_widget(draw: st.DrawFn, policy: Policy) -> tuple[int, int, list[int]]:
    """A grid and one widget ``[x, y, width, height]`` anywhere inside it."""
    columns = draw(st.integers(1, policy.max_grid_columns), label="columns")
    rows = draw(st.integers(1, policy.max_grid_rows), label="rows")
    x, y = draw(st.integers(0, columns - 1), label="x"), draw(st.integers(0, rows - 1), label="y")
    width = draw(st.integers(1, columns - x), label="width")
    height = draw(st.integers(1, rows - y), label="height")
    return columns, rows, [x, y, width, height]


@pytest.mark.parametrize("edge", LOWER)
@pytest.mark.parametrize("field", ["x", "y", "width", "height"])
@edge_property
@given(data=st.data())
def test_position_at_each_floor(
    field: str, edge: str, data: st.DataObject, gc_policy: Policy
) -> None:
    columns, rows, rect = data.draw(_one_widget(gc_policy), label="grid and widget")
    index = ("x", "y", "width", "height").index(field)
    rect[index] = value = at_edge(edge, 0 if field in ("x", "y") else 1)
    x, y, width, height = rect
    layout = _layout(columns, rows, [(x, y, width, height)])
    failing = [(f.rule_id, f.pointer) for f in check([layout], gc_policy).failing()]
    expected = [("layout/position", f"/spec/widgets/0/position/{field}")]
    assert failing == ([] if edge == "lower" else expected), f"position.{field} = {value}"


@pytest.mark.parametrize("edge", UPPER)
@pytest.mark.parametrize("axis", ["columns", "rows"])
@edge_property
@given(data=st.data())
def test_grid_bounds_at_each_edge(
    axis: str, edge: str, data: st.DataObject, gc_policy: Policy
) -> None:
    columns, rows, [x, y, width, height] = data.draw(
        _one_widget(gc_policy), label="grid and widget"
    )
    # The widget's far end at the grid's edge (x + width == columns), or one cell past it.
    if axis == "columns":
        x = at_edge(edge, 0, columns) - width
    else:
        y = at_edge(edge, 0, rows) - height
    layout = _layout(columns, rows, [(x, y, width, height)])
    failing = [(f.rule_id, f.pointer) for f in check([layout], gc_policy).failing()]
    assert failing == ([] if edge == "upper" else [("layout/grid-bounds", "/spec/widgets/0")])


@pytest.mark.parametrize("edge", UPPER)
@edge_property
@given(data=st.data())
def test_widget_limit_at_its_edge(edge: str, data: st.DataObject, gc_policy: Policy) -> None:
    limit = gc_policy.max_widgets
    columns, rows = gc_policy.max_grid_columns, gc_policy.max_grid_rows
    count = at_edge(edge, 0, limit)
    assume(count <= columns * rows)
    cells = data.draw(st.permutations(range(columns * rows)), label="cells, row-major")[:count]
    layout = _layout(columns, rows, [(c % columns, c // columns, 1, 1) for c in cells])
    found = [f.pointer for f in check([layout], gc_policy).ids("layout/widget-limit")]
    assert found == ([] if edge == "upper" else [f"/spec/widgets/{limit}"]), f"{count} widgets"


@pytest.mark.parametrize("edge", UPPER)
@edge_property
@given(data=st.data())
def test_load_impact_at_its_edge(edge: str, data: st.DataObject, gc_policy: Policy) -> None:
    types = sorted(gc_policy.widget_types) or ["queue-widget"]
    kind = data.draw(st.sampled_from(types), label="widget type")
    unit = Fraction(str(gc_policy.load_of(kind)))
    budget = Fraction(str(gc_policy.max_load_impact))
    columns, rows = gc_policy.max_grid_columns, gc_policy.max_grid_rows
    assume(unit > 0 and budget // unit + 1 <= columns * rows)
    # The most widgets of this type within the budget, or one more: where the warning starts.
    count = at_edge(edge, 0, int(budget // unit))
    layout = _layout(columns, rows, [(i % columns, i // columns, 1, 1) for i in range(count)])
    for widget in layout["spec"]["widgets"]:
        widget["widget_type"] = kind
    warned = bool(check([layout], gc_policy).ids("layout/load-impact"))
    assert warned == (count * unit > budget), f"{count} widgets of {kind}"


@pytest.mark.parametrize(
    "rule_id", [r for r in mutable_rules("DesktopLayout") if r.startswith("layout/")]
)
@no_deadline
@given(data=st.data())
def test_a_mutated_layout_breaks_exactly_its_rule(
    rule_id: str, data: st.DataObject, gc_policy: Policy
) -> None:
    layout = data.draw(desktop_layouts(gc_policy), label="valid layout")
    mutation = mutate(layout, rule_id, data, policy=gc_policy)
    assume(mutation is not None)
    assert mutation is not None
    assert_breaks_exactly(mutation, gc_policy)


@no_deadline
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
