"""DesktopLayout strategies: grids with widgets tiled or scattered, never overlapping."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

from genesys_compliance.config import pointer
from genesys_compliance.strategies._change import Change, Mutator, pick, unallowed, variant
from genesys_compliance.strategies._common import (
    Doc,
    active,
    envelope,
    maybe_texts,
    maybe_uuids,
    memo,
    metadata,
    optional,
    ordered,
    plain_texts,
    policy_key,
    words,
)

if TYPE_CHECKING:
    from genesys_compliance.rules import Policy

KIND = "DesktopLayout"
Rect = tuple[int, int, int, int]
"""``(x, y, width, height)`` in grid cells."""

_VISIBILITY = ("always", "role:", "skill:", "queue:")


def cells(rect: Rect) -> set[tuple[int, int]]:
    """Every ``(column, row)`` a rectangle covers."""
    x, y, w, h = rect
    return {(c, r) for r in range(y, y + h) for c in range(x, x + w)}


def _tiles(draw: st.DrawFn, columns: int, rows: int, limit: int) -> list[Rect]:
    """Cut the grid guillotine-fashion into at most ``limit`` pieces, then keep some or all.

    A full tiling covers the last row and column by construction; fewer cuts
    and fewer kept pieces is what shrinking reaches for.
    """
    pieces: list[Rect] = [(0, 0, columns, rows)]
    for _ in range(draw(st.integers(0, limit - 1))):
        splittable = [i for i, (_, _, w, h) in enumerate(pieces) if w > 1 or h > 1]
        if not splittable:
            break
        index = draw(st.sampled_from(splittable))
        x, y, w, h = pieces[index]
        if w > 1 and (h == 1 or draw(st.booleans())):
            cut = draw(st.integers(1, w - 1))
            pieces[index : index + 1] = [(x, y, cut, h), (x + cut, y, w - cut, h)]
        else:
            cut = draw(st.integers(1, h - 1))
            pieces[index : index + 1] = [(x, y, w, cut), (x, y + cut, w, h - cut)]
    if draw(st.booleans()):
        return pieces
    return [piece for piece in pieces if draw(st.booleans())]


def _scatter(draw: st.DrawFn, columns: int, rows: int, limit: int) -> list[Rect]:
    """Drop up to ``limit`` rectangles anywhere, each cut back to the free cells it starts on.

    Sizes run up to the far edges, so widgets that touch the last row and
    column are as likely as any; small, few widgets are what shrinking reaches.
    """
    taken: set[tuple[int, int]] = set()
    placed: list[Rect] = []
    for _ in range(draw(st.integers(0, limit))):
        x, y = draw(st.integers(0, columns - 1)), draw(st.integers(0, rows - 1))
        if (x, y) in taken:
            continue
        w, h = draw(st.integers(1, columns - x)), draw(st.integers(1, rows - y))
        w = next(n for n in range(w, 0, -1) if not any((c, y) in taken for c in range(x, x + n)))
        h = next(n for n in range(h, 0, -1) if not cells((x, y, w, n)) & taken)
        placed.append((x, y, w, h))
        taken |= cells((x, y, w, h))
    return placed


@cache
def _visibility() -> st.SearchStrategy[dict[str, Any] | None]:
    condition = st.one_of(
        st.just("always"),
        st.builds(lambda prefix, name: prefix + name, st.sampled_from(_VISIBILITY[1:]), words()),
    )
    shown = st.builds(
        lambda cond, state: (
            {"condition": cond} if state is None else {"condition": cond, "state": state}
        ),
        condition,
        st.none() | st.sampled_from(("always", "hidden")),
    )
    return st.one_of(st.none(), shown)


@cache
def _configuration() -> st.SearchStrategy[dict[str, Any]]:
    keys = st.sampled_from(("queue_id", "show_history", "auto_accept", "template_id", "refresh"))
    values = st.one_of(st.booleans(), words(), st.integers(0, 3600))
    return st.dictionaries(keys, values, max_size=2)


@cache
def _identity() -> dict[str, st.SearchStrategy[Any]]:
    return {"layoutId": st.none() | words().map(lambda w: f"lay-{w}"), "userId": maybe_uuids()}


@cache
def _inheritance() -> st.SearchStrategy[str | None]:
    return st.none() | st.sampled_from(("user-preference", "none"))


def widget_prefix(widget_type: str) -> str:
    """``queue-widget`` → ``queue``: readable widget ids."""
    found = re.match(r"[a-z]+", widget_type)
    return found.group(0) if found else "widget"


@st.composite
def _layout(draw: st.DrawFn, policy: Policy, max_widgets: int | None) -> Doc:
    columns = draw(st.integers(1, policy.max_grid_columns))
    rows = draw(st.integers(1, policy.max_grid_rows))
    limit = min(policy.max_widgets, columns * rows)
    if max_widgets is not None:
        limit = min(limit, max_widgets)
    rects: list[Rect] = []
    if limit > 0:
        place = _tiles if draw(st.booleans()) else _scatter
        rects = place(draw, columns, rows, limit)
    types = st.sampled_from(ordered(policy.widget_types) or ["queue-widget"])
    budget, load = Decimal(str(policy.max_load_impact)), Decimal(0)
    widgets: list[dict[str, Any]] = []
    used: set[str] = set()
    for x, y, w, h in rects:
        widget_type = draw(types)
        cost = Decimal(str(policy.load_of(widget_type)))
        if load + cost > budget:
            continue  # keep layout/load-impact quiet: this widget would tip it over
        load += cost
        readable = f"{widget_prefix(widget_type)}-{len(widgets) + 1:03d}"
        widget_id = draw(plain_texts(min_size=1)) if draw(st.booleans()) else readable
        if widget_id in used:
            widget_id = readable if readable not in used else f"{readable}-{len(used)}"
        used.add(widget_id)
        widget: dict[str, Any] = {
            "widget_type": widget_type,
            "id": widget_id,
            "position": {"x": x, "y": y, "width": w, "height": h},
        }
        optional(widget, "visibility", draw(_visibility()))
        settings = draw(_configuration())
        if settings:
            widget["configuration"] = settings
        widgets.append(widget)
    spec: dict[str, Any] = {"name": draw(plain_texts())}
    optional(spec, "description", draw(maybe_texts()))
    spec["grid"] = {"columns": columns, "rows": rows}
    spec["widgets"] = widgets
    optional(spec, "inheritance", draw(_inheritance()))
    meta = draw(metadata(KIND, **_identity()))
    return envelope(KIND, meta, spec)


def desktop_layouts(
    policy: Policy | None = None, *, max_widgets: int | None = None
) -> st.SearchStrategy[Doc]:
    """Valid ``DesktopLayout`` documents: a grid and widgets that tile it or lie scattered on it.

    Every layout passes every ``layout/*`` rule under ``policy`` (the SPEC
    defaults when ``None``): grid within ``max-grid-columns`` x ``max-grid-rows``,
    at most ``max-widgets`` widgets (and ``max_widgets`` when given), no two
    widgets sharing a cell, every widget inside the grid, widget loads summed
    within ``max-load-impact``. Half the draws tile the grid (guillotine cuts,
    all or some pieces kept), so widgets touching the last row and column are
    common; the other half scatter widgets of any size.

    Shrinks towards a 1x1 grid with no widgets, then fewer and smaller
    widgets, readable ids (``queue-001``) and absent optional fields.
    """
    policy = active(policy)
    return memo(lambda: _layout(policy, max_widgets), KIND, policy_key(policy), max_widgets)


# ---------------------------------------------------------------------------- mutators


def _rect(widget: dict[str, Any]) -> Rect:
    p = widget["position"]
    return p["x"], p["y"], p["width"], p["height"]


def _set(widget: dict[str, Any], rect: Rect) -> None:
    widget["position"] = dict(zip(("x", "y", "width", "height"), rect, strict=True))


def _free_cells(spec: dict[str, Any]) -> list[tuple[int, int]]:
    """Cells no widget covers, row-major."""
    taken: set[tuple[int, int]] = set()
    for widget in spec["widgets"]:
        taken |= cells(_rect(widget))
    grid = spec["grid"]
    return [
        (c, r) for r in range(grid["rows"]) for c in range(grid["columns"]) if (c, r) not in taken
    ]


def load(spec: dict[str, Any], policy: Policy) -> Decimal:
    """Summed widget load, in decimals as ``layout/load-impact`` sums it."""
    return sum(
        (Decimal(str(policy.load_of(w["widget_type"]))) for w in spec["widgets"]), Decimal(0)
    )


def _new_widget(spec: dict[str, Any], widget_type: str, cell: tuple[int, int]) -> dict[str, Any]:
    taken = {w["id"] for w in spec["widgets"]}
    base = f"extra-{len(spec['widgets']) + 1:03d}"
    widget_id = base if base not in taken else f"{base}-{len(taken)}"
    return {
        "widget_type": widget_type,
        "id": widget_id,
        "position": {"x": cell[0], "y": cell[1], "width": 1, "height": 1},
    }


def _make_room(spec: dict[str, Any], policy: Policy, need: int) -> list[tuple[int, int]] | None:
    """At least ``need`` free cells: shrink widgets to 1x1, then grow the grid within policy."""
    free = _free_cells(spec)
    for widget in spec["widgets"]:
        if len(free) >= need:
            return free
        x, y, _, _ = _rect(widget)
        _set(widget, (x, y, 1, 1))
        free = _free_cells(spec)
    grid = spec["grid"]
    for dimension, most in (("columns", policy.max_grid_columns), ("rows", policy.max_grid_rows)):
        if len(free) >= need:
            return free
        grid[dimension] = max(grid[dimension], most)
        free = _free_cells(spec)
    return free if len(free) >= need else None


def _types(policy: Policy) -> list[str]:
    return ordered(policy.widget_types) or ["queue-widget"]


def _grid_size(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    """Grow the grid one past the policy maximum: every widget still fits."""
    dimension = variant(data, "columns", "rows")
    most = policy.max_grid_columns if dimension == "columns" else policy.max_grid_rows
    doc["spec"]["grid"][dimension] = most + 1
    return Change(
        pointer("spec", "grid", dimension),
        f"grid.{dimension} set to {most + 1}, one past the maximum {most}",
    )


def _widget_limit(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    """Add 1x1 widgets on free cells until there is one more than ``max-widgets``."""
    spec, limit = doc["spec"], policy.max_widgets
    need = limit + 1 - len(spec["widgets"])
    free = _make_room(spec, policy, need) if need > 0 else None
    if free is None:
        return None
    widget_type = data.draw(st.sampled_from(_types(policy)), label="added widget_type")
    if data.draw(st.booleans(), label="fill from the last cell"):
        free.reverse()
    for cell in free[:need]:
        spec["widgets"].append(_new_widget(spec, widget_type, cell))
    return Change(
        pointer("spec", "widgets", limit),
        f"added {need} widget(s): {limit + 1} widgets, one past the limit of {limit}",
    )


def _widget_type(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    widgets = doc["spec"]["widgets"]
    if not widgets:
        return None
    index = pick(data, len(widgets), "widget")
    widgets[index]["widget_type"] = data.draw(unallowed(policy.widget_types), label="widget_type")
    return Change(
        pointer("spec", "widgets", index, "widget_type"),
        f"widgets[{index}].widget_type set to an unknown type",
    )


def _position(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    widgets = doc["spec"]["widgets"]
    if not widgets:
        return None
    index = pick(data, len(widgets), "widget")
    widget = widgets[index]
    how = variant(data, "negative", "not an integer", "missing field", "no position")
    name = data.draw(st.sampled_from(("x", "y", "width", "height")), label="field")
    at = pointer("spec", "widgets", index, "position", name)
    if how == "negative":
        floor = 0 if name in ("x", "y") else 1
        widget["position"][name] = data.draw(st.integers(max_value=floor - 1), label=name)
    elif how == "not an integer":
        widget["position"][name] = data.draw(
            st.one_of(
                st.floats(allow_nan=False, allow_infinity=False),
                st.just("1"),
                st.booleans(),
                st.none(),
            ),
            label=name,
        )
        if widget["position"][name] is None:
            at = pointer("spec", "widgets", index, "position")
    elif how == "missing field":
        del widget["position"][name]
        at = pointer("spec", "widgets", index, "position")
    else:
        del widget["position"]
        at = pointer("spec", "widgets", index)
    return Change(at, f"widgets[{index}].position broken ({how}, {name})")


def _grid_bounds(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    """Push one widget one cell past the right or bottom edge, over no other widget.

    A widget already on the edge grows by one; otherwise the last column (or
    row) is empty and a widget moves there, two cells wide (or high).
    """
    spec = doc["spec"]
    widgets, columns, rows = spec["widgets"], spec["grid"]["columns"], spec["grid"]["rows"]
    if not widgets:
        if policy.max_widgets < 1:
            return None
        spec["widgets"].append(_new_widget(spec, _types(policy)[0], (columns - 1, 0)))
    right = [i for i, w in enumerate(widgets) if _rect(w)[0] + _rect(w)[2] == columns]
    bottom = [i for i, w in enumerate(widgets) if _rect(w)[1] + _rect(w)[3] == rows]
    how = variant(data, "past the right edge", "past the bottom edge")
    edge = right if how == "past the right edge" else bottom
    if edge:
        index = edge[pick(data, len(edge), "widget on the edge")]
        x, y, w, h = _rect(widgets[index])
        grown = (x, y, w + 1, h) if edge is right else (x, y, w, h + 1)
    else:
        index = pick(data, len(widgets), "widget")
        x, y, w, h = _rect(widgets[index])
        grown = (columns - 1, y, 2, h) if edge is right else (x, rows - 1, w, 2)
    _set(widgets[index], grown)
    return Change(pointer("spec", "widgets", index), f"widgets[{index}] now ends one cell {how}")


def _overlap(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    """Make one widget a 1x1 widget on a cell of another: they share exactly that cell."""
    spec = doc["spec"]
    widgets = spec["widgets"]
    if len(widgets) < 2 and policy.max_widgets < 2:
        return None
    while len(widgets) < 2:
        spec["widgets"].append(_new_widget(spec, _types(policy)[0], (0, 0)))
    first = pick(data, len(widgets), "widget covered")
    second = pick(data, len(widgets) - 1, "widget moved onto it")
    second += second >= first
    x, y, w, h = _rect(widgets[first])
    cell = (
        data.draw(st.integers(x, x + w - 1), label="shared column"),
        data.draw(st.integers(y, y + h - 1), label="shared row"),
    )
    _set(widgets[second], (*cell, 1, 1))
    later = max(first, second)
    return Change(
        pointer("spec", "widgets", later),
        f"widgets[{second}] moved onto cell {cell} of widgets[{first}]",
    )


def _widget_id(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    widgets = doc["spec"]["widgets"]
    if len(widgets) < 2:
        return None
    first = pick(data, len(widgets) - 1, "widget whose id is copied")
    later = first + 1 + pick(data, len(widgets) - first - 1, "widget taking the id")
    widgets[later]["id"] = widgets[first]["id"]
    return Change(
        pointer("spec", "widgets", later, "id"),
        f"widgets[{later}] takes the id of widgets[{first}]",
    )


def _visibility_broken(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    widgets = doc["spec"]["widgets"]
    if not widgets:
        return None
    index = pick(data, len(widgets), "widget")
    condition = data.draw(
        st.one_of(
            st.sampled_from(("role:", "skill: ", "Always", "queue")),
            st.text().filter(lambda t: t != "always" and not t.startswith(_VISIBILITY[1:])),
        ),
        label="condition",
    )
    shown = widgets[index].get("visibility") or {}
    widgets[index]["visibility"] = {**shown, "condition": condition}
    return Change(
        pointer("spec", "widgets", index, "visibility", "condition"),
        f"widgets[{index}].visibility.condition set to {condition[:40]!r}",
    )


def heaviest(policy: Policy) -> str:
    """The widget type that costs most load (first in order among equals)."""
    return max(_types(policy), key=policy.load_of)


def can_overload(policy: Policy) -> bool:
    """Whether some layout can exceed ``max-load-impact`` without exceeding ``max-widgets``."""
    most = Decimal(str(policy.load_of(heaviest(policy)))) * policy.max_widgets
    room = policy.max_grid_columns * policy.max_grid_rows >= policy.max_widgets
    return room and most > Decimal(str(policy.max_load_impact))


def _load_impact(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    """Make every widget the heaviest type, then add such widgets (within the limit) until over."""
    spec, budget = doc["spec"], Decimal(str(policy.max_load_impact))
    kind = heaviest(policy)
    for widget in spec["widgets"]:
        widget["widget_type"] = kind
    while load(spec, policy) <= budget and len(spec["widgets"]) < policy.max_widgets:
        free = _make_room(spec, policy, 1)
        if free is None:
            return None
        spec["widgets"].append(_new_widget(spec, kind, free[-1]))
    if load(spec, policy) <= budget:
        return None
    return Change(
        pointer("spec", "widgets"),
        f"{len(spec['widgets'])} {kind} widgets: load {load(spec, policy)} is above {budget}",
    )


MUTATORS: dict[str, Mutator] = {
    "layout/grid-size": _grid_size,
    "layout/widget-limit": _widget_limit,
    "layout/widget-type": _widget_type,
    "layout/position": _position,
    "layout/grid-bounds": _grid_bounds,
    "layout/overlap": _overlap,
    "layout/widget-id": _widget_id,
    "layout/visibility": _visibility_broken,
    "layout/load-impact": _load_impact,
}
