"""DesktopLayout: agent desktop widget layouts on a grid."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from pydantic import Field

from genesys_compliance.config import pointer
from genesys_compliance.kinds._base import Config, Kind, Metadata, Scalar, Strict
from genesys_compliance.rules import RuleContext, Violation, rule

KIND = "DesktopLayout"
_VISIBILITY_PREFIXES = ("role:", "skill:", "queue:")


class Grid(Strict):
    """Grid size; ``layout/grid-size`` judges the range."""

    columns: int
    rows: int


class Position(Strict):
    """Owned by ``layout/position``, which reports missing or non-integer values itself."""

    x: Scalar = None
    y: Scalar = None
    width: Scalar = None
    height: Scalar = None


class Visibility(Strict):
    """When the widget shows; ``layout/visibility`` judges the condition."""

    condition: str
    state: str | None = None


class Widget(Strict):
    """One widget placed on the grid."""

    widget_type: str
    id: str
    position: Position | None = None
    visibility: Visibility | None = None
    configuration: dict[str, Any] = Field(default_factory=dict)


class LayoutSpec(Strict):
    """The desktop layout payload as the API takes it."""

    name: str
    description: str | None = None
    grid: Grid
    widgets: list[Widget] = Field(default_factory=list)
    inheritance: str | None = None
    version: int | None = None


class LayoutMetadata(Metadata):
    """``layoutId`` targets an existing layout (absent: create); ``userId`` drives inheritance."""

    layoutId: str | None = None  # noqa: N815 - the API's own spelling
    userId: str | None = None  # noqa: N815


Layout = Config[LayoutMetadata, LayoutSpec]


def _at(index: int, *rest: str) -> str:
    return pointer("spec", "widgets", index, *rest)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def placed(layout: Layout) -> Iterator[tuple[int, Widget, int, int, int, int]]:
    """Widgets whose position is well-formed, with ``(index, widget, x, y, width, height)``."""
    for index, widget in enumerate(layout.spec.widgets):
        p = widget.position
        if p is None:
            continue
        values = (p.x, p.y, p.width, p.height)
        if all(_is_int(v) for v in values):
            x, y, w, h = (int(v) for v in values)  # ints, by _is_int
            if x >= 0 and y >= 0 and w >= 1 and h >= 1:
                yield index, widget, x, y, w, h


def _grid_ok(layout: Layout, ctx: RuleContext) -> bool:
    grid = layout.spec.grid
    return (
        1 <= grid.columns <= ctx.policy.max_grid_columns
        and 1 <= grid.rows <= ctx.policy.max_grid_rows
    )


@rule(
    "layout/grid-size",
    kind=KIND,
    severity="error",
    summary="grid.columns is 1..24 and grid.rows is 1..16 (policy: max-grid-columns/rows)",
    example="grid: {columns: 24, rows: 16}",
)
def grid_size(layout: Layout, ctx: RuleContext) -> Iterator[Violation]:
    """The agent desktop renders at most this many columns and rows; larger grids clip."""
    grid, policy = layout.spec.grid, ctx.policy
    if not 1 <= grid.columns <= policy.max_grid_columns:
        yield Violation(
            pointer("spec", "grid", "columns"),
            f"grid.columns is {grid.columns}; allowed 1..{policy.max_grid_columns}",
        )
    if not 1 <= grid.rows <= policy.max_grid_rows:
        yield Violation(
            pointer("spec", "grid", "rows"),
            f"grid.rows is {grid.rows}; allowed 1..{policy.max_grid_rows}",
        )


@rule(
    "layout/widget-limit",
    kind=KIND,
    severity="error",
    summary="at most 12 widgets (policy: max-widgets)",
    example="widgets: [...]   # 12 or fewer",
)
def widget_limit(layout: Layout, ctx: RuleContext) -> Iterator[Violation]:
    """Each widget holds live subscriptions; past the limit the desktop degrades for every agent.

    The finding points at the first widget past the limit.
    """
    limit, count = ctx.policy.max_widgets, len(layout.spec.widgets)
    if count > limit:
        yield Violation(_at(limit), f"{count} widgets; at most {limit} are allowed")


@rule(
    "layout/widget-type",
    kind=KIND,
    severity="error",
    summary="widget_type is one of the supported widget types (policy: widget-types)",
    example="widget_type: queue-widget",
)
def widget_type(layout: Layout, ctx: RuleContext) -> Iterator[Violation]:
    """An unknown widget type is rejected by the desktop at render time, not at save time."""
    allowed = ctx.policy.widget_types
    for index, widget in enumerate(layout.spec.widgets):
        if widget.widget_type not in allowed:
            yield Violation(
                _at(index, "widget_type"),
                f"widget {widget.id!r}: widget_type {widget.widget_type[:60]!r} is not one of "
                f"{', '.join(sorted(allowed))}",
            )


@rule(
    "layout/position",
    kind=KIND,
    severity="error",
    summary="position has integer x, y >= 0 and width, height >= 1, all four present",
    example="position: {x: 0, y: 0, width: 12, height: 8}",
)
def position(layout: Layout, ctx: RuleContext) -> Iterator[Violation]:
    """Without a full integer position the widget cannot be placed on the grid."""
    for index, widget in enumerate(layout.spec.widgets):
        p = widget.position
        if p is None:
            yield Violation(_at(index), f"widget {widget.id!r} has no position")
            continue
        for name, value, minimum in (
            ("x", p.x, 0),
            ("y", p.y, 0),
            ("width", p.width, 1),
            ("height", p.height, 1),
        ):
            if value is None:
                yield Violation(
                    _at(index, "position"), f"widget {widget.id!r}: position.{name} is missing"
                )
            elif not _is_int(value):
                yield Violation(
                    _at(index, "position", name),
                    f"widget {widget.id!r}: position.{name} must be an integer, "
                    f"not {type(value).__name__}",
                )
            elif int(value) < minimum:  # an int, by _is_int
                yield Violation(
                    _at(index, "position", name),
                    f"widget {widget.id!r}: position.{name} is {value}; it must be >= {minimum}",
                )


@rule(
    "layout/grid-bounds",
    kind=KIND,
    severity="error",
    summary="every widget fits the grid: x + width <= columns and y + height <= rows",
    example="grid: {columns: 24, rows: 16}\nposition: {x: 12, y: 8, width: 12, height: 8}",
)
def grid_bounds(layout: Layout, ctx: RuleContext) -> Iterator[Violation]:
    """A widget past the edge is cut off on the agent's screen."""
    columns, rows = layout.spec.grid.columns, layout.spec.grid.rows
    for index, widget, x, y, w, h in placed(layout):
        if x + w > columns:
            yield Violation(
                _at(index),
                f"widget {widget.id!r} spans columns {x}..{x + w - 1}; "
                f"the grid has columns 0..{columns - 1}",
            )
        if y + h > rows:
            yield Violation(
                _at(index),
                f"widget {widget.id!r} spans rows {y}..{y + h - 1}; "
                f"the grid has rows 0..{rows - 1}",
            )


@rule(
    "layout/overlap",
    kind=KIND,
    severity="error",
    summary="no grid cell is covered by two widgets",
    example="- {id: a, position: {x: 0, y: 0, width: 12, height: 8}}\n"
    "- {id: b, position: {x: 12, y: 0, width: 12, height: 8}}",
)
def overlap(layout: Layout, ctx: RuleContext) -> Iterator[Violation]:
    """Overlapping widgets hide each other; the desktop gives no warning.

    The finding is on the later widget and names the earlier one and the first
    shared cell (row-major) of the two. Cells are checked within the grid; a
    widget's part outside the grid is ``layout/grid-bounds``' business.
    """
    if not _grid_ok(layout, ctx):
        return
    columns, rows = layout.spec.grid.columns, layout.spec.grid.rows
    owner: dict[tuple[int, int], Widget] = {}
    for index, widget, x, y, w, h in placed(layout):
        clash: tuple[int, int, Widget] | None = None
        for row in range(y, min(y + h, rows)):
            for column in range(x, min(x + w, columns)):
                other = owner.get((row, column))
                if other is None:
                    owner[(row, column)] = widget
                elif clash is None:
                    clash = (column, row, other)
        if clash is not None:
            column, row, other = clash
            yield Violation(
                _at(index),
                f"widget {widget.id!r} overlaps widget {other.id!r} at cell (x={column}, y={row})",
            )


@rule(
    "layout/widget-id",
    kind=KIND,
    severity="error",
    summary="widget ids are unique within the layout",
    example="widgets: [{id: q-001, ...}, {id: conv-001, ...}]",
)
def widget_id(layout: Layout, ctx: RuleContext) -> Iterator[Violation]:
    """Widget configuration is keyed by id; a repeated id makes one widget lose its settings."""
    first: dict[str, int] = {}
    for index, widget in enumerate(layout.spec.widgets):
        if widget.id in first:
            yield Violation(
                _at(index, "id"),
                f"widget id {widget.id[:60]!r} is already used by widgets[{first[widget.id]}]",
            )
        else:
            first[widget.id] = index


@rule(
    "layout/visibility",
    kind=KIND,
    severity="error",
    summary="visibility.condition is 'always' or role:<name>, skill:<name>, queue:<name>",
    example="visibility: {condition: 'role:agent', state: always}",
)
def visibility(layout: Layout, ctx: RuleContext) -> Iterator[Violation]:
    """The desktop evaluates only these condition forms; anything else hides the widget."""
    for index, widget in enumerate(layout.spec.widgets):
        if widget.visibility is None:
            continue
        condition = widget.visibility.condition
        if condition == "always":
            continue
        prefix = next((p for p in _VISIBILITY_PREFIXES if condition.startswith(p)), None)
        if prefix is None or not condition[len(prefix) :].strip():
            yield Violation(
                _at(index, "visibility", "condition"),
                f"widget {widget.id!r}: visibility condition {condition[:60]!r} must be "
                "'always' or role:<name>, skill:<name>, queue:<name>",
            )


@rule(
    "layout/load-impact",
    kind=KIND,
    severity="warning",
    summary="summed widget load (0.15 per widget) is at most 1.8 (policy: widget-load, "
    "widget-load-by-type, max-load-impact)",
    example="# 12 widgets at 0.15 each: load 1.80, within the limit",
)
def load_impact(layout: Layout, ctx: RuleContext) -> Iterator[Violation]:
    """Each widget costs desktop render time; a heavy layout slows every agent using it.

    Loads are summed as decimals so twelve widgets at 0.15 are exactly 1.80.
    """
    policy = ctx.policy
    total = sum(
        (Decimal(str(policy.load_of(w.widget_type))) for w in layout.spec.widgets), Decimal(0)
    )
    if total > Decimal(str(policy.max_load_impact)):
        yield Violation(
            pointer("spec", "widgets"),
            f"widget load {total:.2f} is above {policy.max_load_impact:.2f}",
        )


def _identity(layout: Config[Any, Any]) -> tuple[str, str] | None:
    layout_id = layout.metadata.layoutId
    return None if layout_id is None else (pointer("metadata", "layoutId"), layout_id)


DESKTOP_LAYOUT = Kind(
    name=KIND,
    fixture="desktop_layout",
    metadata_model=LayoutMetadata,
    spec_model=LayoutSpec,
    rules=(
        grid_size,
        widget_limit,
        widget_type,
        position,
        grid_bounds,
        overlap,
        widget_id,
        visibility,
        load_impact,
    ),
    identity=_identity,
    description="agent desktop widget layout",
)
