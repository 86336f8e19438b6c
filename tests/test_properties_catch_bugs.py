"""The property suites catch rules that are off by one, with a counterexample ready to paste.

Each test swaps one built-in rule for a subtly wrong copy (``>=`` for ``>``,
a limit plus one), runs a property suite against it with a fixed budget, and
checks that the property fails and that its report carries the shrunk
configuration as YAML that reproduces the bug.

:data:`EDGES` goes through every policy threshold the property suites judge:
for each edge (lower and upper bound) one mutant moves it inwards and one
outwards, made by editing the built-in rule's own source, and some property
must fail on each of them.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import inspect
import re
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from hypothesis import Phase, settings

from genesys_compliance import Policy, RuleContext, Violation, rule
from genesys_compliance.kinds import KINDS
from genesys_compliance.kinds.layout import Layout, placed
from genesys_compliance.kinds.routing_rule import RoutingRule, tree, walk
from genesys_compliance.kinds.trigger import OPERATORS, Trigger
from genesys_compliance.rules import Rule
from tests.helpers import suite_file

SUITES = Path(__file__).resolve().parents[1] / "suites"
# Fixed whatever profile is active: deterministic, no database to pollute, one failure reported.
BUDGET = settings(
    settings.get_profile("default"),
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=None,
    report_multiple_bugs=False,
    phases=(Phase.explicit, Phase.generate, Phase.shrink),
)
# An edge mutant fails at the first example on its edge: no shrinking needed, which keeps
# the 38 of them within a few seconds.
EDGE_BUDGET = settings(BUDGET, max_examples=100, phases=(Phase.explicit, Phase.generate))
MARKER = "Counterexample as YAML, ready to paste into a .yaml file:\n"


# ---------------------------------------------------------------------------- broken rules


@rule("layout/grid-bounds", kind="DesktopLayout", severity="error", summary="off by one")
def grid_bounds_ge(layout: Layout, ctx: RuleContext) -> Iterator[Violation]:
    """Flags a widget that ends on the last column or row, which fits."""
    columns, rows = layout.spec.grid.columns, layout.spec.grid.rows
    for index, _, x, y, w, h in placed(layout):
        if x + w >= columns or y + h >= rows:
            yield Violation(f"/spec/widgets/{index}", "past the edge")


@rule("layout/overlap", kind="DesktopLayout", severity="error", summary="misses the last row")
def overlap_short(layout: Layout, ctx: RuleContext) -> Iterator[Violation]:
    """Paints cells up to the last row but not on it."""
    columns, rows = layout.spec.grid.columns, layout.spec.grid.rows
    owner: dict[tuple[int, int], str] = {}
    for index, widget, x, y, w, h in placed(layout):
        cells = [
            (c, r) for r in range(y, min(y + h, rows - 1)) for c in range(x, min(x + w, columns))
        ]
        clash = next((cell for cell in cells if cell in owner), None)
        owner.update((cell, widget.id) for cell in cells if cell not in owner)
        if clash is not None:
            yield Violation(
                f"/spec/widgets/{index}",
                f"widget {widget.id!r} overlaps widget {owner[clash]!r} "
                f"at cell (x={clash[0]}, y={clash[1]})",
            )


@rule("layout/widget-limit", kind="DesktopLayout", severity="error", summary="limit + 1")
def widget_limit_plus_one(layout: Layout, ctx: RuleContext) -> Iterator[Violation]:
    """Lets one widget more than the limit through."""
    limit = ctx.policy.max_widgets
    if len(layout.spec.widgets) > limit + 1:
        yield Violation(f"/spec/widgets/{limit}", "too many widgets")


@rule("routing-rule/depth", kind="RoutingRule", severity="error", summary="limit + 1")
def depth_plus_one(routing_rule: RoutingRule, ctx: RuleContext) -> Iterator[Violation]:
    """Lets a tree one level deeper than the limit through."""
    limit = ctx.policy.max_expression_depth
    past = next((n for n in walk(tree(routing_rule)) if n.level > limit + 1), None)
    if past is not None:
        yield Violation(past.pointer, "too deep")


@rule("trigger/operator", kind="TriggerRule", severity="error", summary="forgets lt")
def operator_without_lt(trigger: Trigger, ctx: RuleContext) -> Iterator[Violation]:
    """Refuses ``lt``, which the SPEC allows."""
    for index, condition in enumerate(trigger.spec.conditions):
        if condition.operator not in OPERATORS - {"lt"}:
            yield Violation(f"/spec/conditions/{index}/operator", "unknown operator")


@rule("trigger/condition-limit", kind="TriggerRule", severity="error", summary="limit + 1")
def condition_limit_plus_one(trigger: Trigger, ctx: RuleContext) -> Iterator[Violation]:
    """Lets one condition more than the limit through."""
    count, limit = len(trigger.spec.conditions), ctx.policy.max_conditions
    if count == 0:
        yield Violation("/spec/conditions", "no condition")
    elif count > limit + 1:
        yield Violation(f"/spec/conditions/{limit}", "too many conditions")


# ---------------------------------------------------------------------------- every edge


@dataclasses.dataclass(frozen=True)
class Edge:
    """One threshold edge moved by one: ``old`` becomes ``new`` in the source of a built-in rule.

    ``prop`` in ``suite`` is the property that must then fail, run with
    ``arguments`` (its pytest parameters: which edge, which field).
    """

    threshold: str
    module: str
    check: str
    old: str
    new: str
    suite: str
    prop: str
    arguments: tuple[tuple[str, str], ...]

    @property
    def id(self) -> str:
        """The pytest id: which threshold, and ``old -> new``."""
        return f"{self.threshold}: {self.old.strip(' :')} -> {self.new.strip(' :')}"


_SUITES = {
    "layout": "test_properties_layout",
    "flow": "test_properties_flow",
    "strategy": "test_properties_strategy",
    "trigger": "test_properties_trigger",
    "routing_rule": "test_properties_routing_rule",
}


def _both_ways(
    threshold: str,
    side: str,
    where: tuple[str, str],
    old: str,
    inward: str,
    outward: str,
    prop: str,
    **arguments: str,
) -> list[Edge]:
    """The edge moved inwards (the bound itself refused) and outwards (one past it let through).

    Inwards is caught at the bound (``edge="lower"`` or ``"upper"``), outwards
    one past it (``"lower-1"``, ``"upper+1"``), where the edge properties sit.
    """
    module, check = where
    caught_at = {"lower": ("lower", "lower-1"), "upper": ("upper", "upper+1")}[side]
    return [
        Edge(
            threshold,
            module,
            check,
            old,
            new,
            _SUITES[module],
            prop,
            tuple(sorted({**arguments, "edge": edge}.items())),
        )
        for new, edge in zip((inward, outward), caught_at, strict=True)
    ]


_GRID, _FLOOR, _BOUNDS = (
    "test_grid_size_at_each_edge",
    "test_position_at_each_floor",
    "test_grid_bounds_at_each_edge",
)
_LAYOUT_RULE = ("layout", "grid_size")
_POSITION = ("layout", "position")
_LOAD = "Decimal(str(policy.max_load_impact))"
EDGES: list[Edge] = [
    *_both_ways(
        "grid.columns >= 1", "lower", _LAYOUT_RULE,
        "not 1 <= grid.columns", "not 2 <= grid.columns", "not 0 <= grid.columns",
        _GRID, dimension="columns",
    ),
    *_both_ways(
        "grid.columns <= 24", "upper", _LAYOUT_RULE,
        "grid.columns <= policy.max_grid_columns:",
        "grid.columns < policy.max_grid_columns:",
        "grid.columns <= policy.max_grid_columns + 1:",
        _GRID, dimension="columns",
    ),
    *_both_ways(
        "grid.rows >= 1", "lower", _LAYOUT_RULE,
        "not 1 <= grid.rows", "not 2 <= grid.rows", "not 0 <= grid.rows",
        _GRID, dimension="rows",
    ),
    *_both_ways(
        "grid.rows <= 16", "upper", _LAYOUT_RULE,
        "grid.rows <= policy.max_grid_rows:",
        "grid.rows < policy.max_grid_rows:",
        "grid.rows <= policy.max_grid_rows + 1:",
        _GRID, dimension="rows",
    ),
    *_both_ways(
        "widgets <= 12", "upper", ("layout", "widget_limit"),
        "if count > limit:", "if count >= limit:", "if count > limit + 1:",
        "test_widget_limit_at_its_edge",
    ),
    *_both_ways(
        "x >= 0", "lower", _POSITION,
        '("x", p.x, 0)', '("x", p.x, 1)', '("x", p.x, -1)', _FLOOR, field="x",
    ),
    *_both_ways(
        "y >= 0", "lower", _POSITION,
        '("y", p.y, 0)', '("y", p.y, 1)', '("y", p.y, -1)', _FLOOR, field="y",
    ),
    *_both_ways(
        "width >= 1", "lower", _POSITION,
        '("width", p.width, 1)', '("width", p.width, 2)', '("width", p.width, 0)',
        _FLOOR, field="width",
    ),
    *_both_ways(
        "height >= 1", "lower", _POSITION,
        '("height", p.height, 1)', '("height", p.height, 2)', '("height", p.height, 0)',
        _FLOOR, field="height",
    ),
    *_both_ways(
        "x + width <= columns", "upper", ("layout", "grid_bounds"),
        "if x + w > columns:", "if x + w >= columns:", "if x + w > columns + 1:",
        _BOUNDS, axis="columns",
    ),
    *_both_ways(
        "y + height <= rows", "upper", ("layout", "grid_bounds"),
        "if y + h > rows:", "if y + h >= rows:", "if y + h > rows + 1:",
        _BOUNDS, axis="rows",
    ),
    *_both_ways(
        "load <= 1.8 at 0.15 a widget", "upper", ("layout", "load_impact"),
        f"if total > {_LOAD}:",
        f"if total >= {_LOAD}:",
        f"if total > {_LOAD} + Decimal(str(policy.widget_load)):",
        "test_load_impact_at_its_edge",
    ),
    *_both_ways(
        "maxWaitTime >= 1", "lower", ("flow", "max_wait"),
        "not 1 <= value", "not 2 <= value", "not 0 <= value",
        "test_max_wait_at_each_edge",
    ),
    *_both_ways(
        "maxWaitTime <= 3600", "upper", ("flow", "max_wait"),
        "value <= limit:", "value < limit:", "value <= limit + 1:",
        "test_max_wait_at_each_edge",
    ),
    *_both_ways(
        "overflow threshold >= 1", "lower", ("strategy", "overflow"),
        "threshold < 1:", "threshold < 2:", "threshold < 0:",
        "test_overflow_threshold_at_its_floor",
    ),
    *_both_ways(
        "conditions >= 1", "lower", ("trigger", "condition_limit"),
        "if count == 0:", "if count <= 1:", "if count < 0:",
        "test_condition_count_at_each_edge",
    ),
    *_both_ways(
        "conditions <= 50", "upper", ("trigger", "condition_limit"),
        "elif count > limit:", "elif count >= limit:", "elif count > limit + 1:",
        "test_condition_count_at_each_edge",
    ),
    *_both_ways(
        "action priority >= 1", "lower", ("trigger", "action"),
        "priority < 1):", "priority < 2):", "priority < 0):",
        "test_action_priority_at_its_floor",
    ),
    *_both_ways(
        "expression depth <= 10", "upper", ("routing_rule", "depth"),
        "if node.level > limit and", "if node.level >= limit and",
        "if node.level > limit + 1 and",
        "test_depth_at_its_edge",
    ),
]  # fmt: skip


def mutant(edge: Edge) -> Rule:
    """The built-in rule with its source edited as ``edge`` says, compiled in its own module.

    The text to replace must occur exactly once in the rule's source: a rule
    rewritten so that it no longer does is a table to update, not a pass.
    """
    module = importlib.import_module(f"genesys_compliance.kinds.{edge.module}")
    original: Rule = getattr(module, edge.check)
    assert original.check is not None
    source = textwrap.dedent(inspect.getsource(original.check))
    assert source.count(edge.old) == 1, (
        f"{edge.module}.{edge.check} no longer reads {edge.old!r} once: update EDGES"
    )
    namespace = dict(vars(module))
    exec(compile(source.replace(edge.old, edge.new), f"<mutant {edge.id}>", "exec"), namespace)
    broken: Rule = namespace[edge.check]
    assert broken.id == original.id
    return broken


# ---------------------------------------------------------------------------- harness


@pytest.fixture
def break_rule(monkeypatch: pytest.MonkeyPatch) -> Callable[[Any], None]:
    """Replace the built-in rule of the same id; ``builtin_registry()`` reads ``KINDS`` per call."""

    def swap(broken: Any) -> None:
        kind = KINDS[broken.kind]
        rules = tuple(broken if r.id == broken.id else r for r in kind.rules)
        monkeypatch.setitem(KINDS, broken.kind, dataclasses.replace(kind, rules=rules))

    return swap


@pytest.fixture
def suite(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., ModuleType]]:
    """Load a private copy of a property suite under a fixed budget, so it stays here.

    The suites' properties take their settings from the profile active when
    they are decorated (``_properties.no_deadline``), and settings cannot be
    applied twice; so the copy is executed with the budget loaded as the
    profile, and the session's own profile is put back at once.
    """
    monkeypatch.syspath_prepend(str(SUITES / "properties"))
    session_profile = settings.get_current_profile_name()

    def load(name: str, budget: settings = BUDGET) -> ModuleType:
        spec = importlib.util.spec_from_file_location(f"_caught_{name}", suite_file(f"{name}.py"))
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        monkeypatch.setitem(sys.modules, spec.name, module)
        settings.register_profile("gc-catch-bugs", budget)
        settings.load_profile("gc-catch-bugs")
        try:
            spec.loader.exec_module(module)
        finally:
            settings.load_profile(session_profile)
        return module

    yield load
    settings.load_profile(session_profile)


def falsify(test: Callable[..., None], **arguments: Any) -> str:
    """Run one property of a suite copy; it must fail. Returns what hypothesis reports."""
    with pytest.raises(AssertionError) as caught:
        test(gc_policy=Policy(), **arguments)
    return "\n".join([str(caught.value), *getattr(caught.value, "__notes__", [])])


def counterexample(report: str) -> list[Any]:
    """The pasted YAML, parsed: it must be a valid YAML file of configurations.

    pytest's terminal report prefixes each line of it with ``E`` and seven
    spaces. A long example is printed cut short, naming the file that holds
    it whole; that file is written when a pytest run reports the failure, and
    here, outside such a run, its text is taken from what the suite noted.
    """
    assert MARKER in report, report
    text = report.split(MARKER, 1)[1]
    if text.startswith("E "):
        text = re.sub(r"^E {7}", "", text, flags=re.MULTILINE)
    text = text.split("\nSeed: ", 1)[0]
    properties = sys.modules["_properties"]
    if properties.WHOLE_FILE in text:
        whole = Path(text.split(properties.WHOLE_FILE, 1)[1].splitlines()[0])
        shown = text.count("\n") - 1  # the "---" line and the note's own line are not the file's
        assert shown == properties.SHOWN_LINES, text
        text = whole.read_text() if whole.exists() else properties.LONG[whole]
    return list(yaml.safe_load_all(text))


def _ends(widget: dict[str, Any], grid: dict[str, int]) -> bool:
    p = widget["position"]
    return bool(p["x"] + p["width"] == grid["columns"] or p["y"] + p["height"] == grid["rows"])


# ---------------------------------------------------------------------------- tests


def test_grid_bounds_using_ge_is_caught_on_a_widget_touching_the_edge(
    break_rule: Callable[[Any], None], suite: Callable[[str], ModuleType]
) -> None:
    break_rule(grid_bounds_ge)
    layouts = suite("test_properties_layout")
    report = falsify(layouts.test_every_generated_layout_complies)
    [layout] = counterexample(report)
    assert "layout/grid-bounds" in report
    spec = layout["spec"]
    assert len(spec["widgets"]) == 1, "shrunk to a single widget"
    assert _ends(spec["widgets"][0], spec["grid"])
    oracle_report = falsify(layouts.test_grid_bounds_and_overlap_match_a_cell_by_cell_oracle)
    assert counterexample(oracle_report)


def test_overlap_blind_to_the_last_row_is_caught_by_the_cell_oracle(
    break_rule: Callable[[Any], None], suite: Callable[[str], ModuleType]
) -> None:
    break_rule(overlap_short)
    layouts = suite("test_properties_layout")
    report = falsify(layouts.test_grid_bounds_and_overlap_match_a_cell_by_cell_oracle)
    [layout] = counterexample(report)
    spec = layout["spec"]
    last = spec["grid"]["rows"] - 1
    on_last_row = [
        w
        for w in spec["widgets"]
        if w["position"]["y"] <= last < w["position"]["y"] + w["position"]["height"]
    ]
    assert len(on_last_row) >= 2


def test_widget_limit_plus_one_is_caught_with_one_widget_too_many(
    break_rule: Callable[[Any], None], suite: Callable[[str], ModuleType]
) -> None:
    break_rule(widget_limit_plus_one)
    layouts = suite("test_properties_layout")
    report = falsify(layouts.test_widget_limit_passes_at_the_limit_and_fails_one_past)
    [layout] = counterexample(report)
    assert len(layout["spec"]["widgets"]) == Policy().max_widgets + 1
    mutation_report = falsify(
        layouts.test_a_mutated_layout_breaks_exactly_its_rule, rule_id="layout/widget-limit"
    )
    assert "expected only layout/widget-limit" in mutation_report
    assert len(counterexample(mutation_report)[0]["spec"]["widgets"]) == Policy().max_widgets + 1


def _depth(node: dict[str, Any]) -> int:
    return 1 + max((_depth(child) for child in node.get("children", [])), default=0)


def test_depth_limit_plus_one_is_caught_one_level_past_the_limit(
    break_rule: Callable[[Any], None], suite: Callable[[str], ModuleType]
) -> None:
    break_rule(depth_plus_one)
    rules = suite("test_properties_routing_rule")
    report = falsify(rules.test_depth_at_the_limit_passes_and_one_more_fails)
    [routing_rule] = counterexample(report)
    assert _depth(routing_rule["spec"]["expression"]) == Policy().max_expression_depth + 1
    mutation_report = falsify(
        rules.test_a_mutated_routing_rule_breaks_exactly_its_rule, rule_id="routing-rule/depth"
    )
    assert "expected only routing-rule/depth" in mutation_report


def test_an_operator_the_spec_allows_but_the_rule_refuses_is_caught(
    break_rule: Callable[[Any], None], suite: Callable[[str], ModuleType]
) -> None:
    break_rule(operator_without_lt)
    triggers = suite("test_properties_trigger")
    report = falsify(triggers.test_any_operator_text_is_accepted_iff_the_spec_allows_it)
    [trigger] = counterexample(report)
    assert "lt" in [c["operator"] for c in trigger["spec"]["conditions"]]


def test_condition_limit_plus_one_is_caught(
    break_rule: Callable[[Any], None], suite: Callable[[str], ModuleType]
) -> None:
    break_rule(condition_limit_plus_one)
    triggers = suite("test_properties_trigger")
    report = falsify(triggers.test_condition_count_passes_within_the_limit_and_fails_outside)
    [trigger] = counterexample(report)
    assert len(trigger["spec"]["conditions"]) == Policy().max_conditions + 1


def test_a_pytest_run_prints_the_seed_and_the_yaml_to_paste(pytester: pytest.Pytester) -> None:
    """End to end, as a user sees it: a failing suite run through pytest in a subprocess."""
    for name in ("_properties.py", "conftest.py", "test_properties_layout.py"):
        pytester.makefile(Path(name).suffix, **{Path(name).stem: suite_file(name).read_text()})
    pytester.makepyfile(
        broken_rules=textwrap.dedent("""
        import dataclasses

        from genesys_compliance.kinds import KINDS
        from genesys_compliance.kinds.layout import placed
        from genesys_compliance.rules import Violation, rule


        @rule("layout/grid-bounds", kind="DesktopLayout", severity="error", summary=">=")
        def grid_bounds(layout, ctx):
            columns = layout.spec.grid.columns
            for index, _, x, _, w, _ in placed(layout):
                if x + w >= columns:
                    yield Violation(f"/spec/widgets/{index}", "past the edge")


        def pytest_configure(config):
            kind = KINDS["DesktopLayout"]
            rules = tuple(grid_bounds if r.id == grid_bounds.id else r for r in kind.rules)
            KINDS["DesktopLayout"] = dataclasses.replace(kind, rules=rules)
        """)
    )
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "-p",
        "broken_rules",
        "--hypothesis-profile",
        "ci",
        "-k",
        "every_generated_layout_complies",
        "test_properties_layout.py",
    )
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert MARKER in output
    assert "Seed: derandomised (profile 'ci')" in output
    assert "@reproduce_failure(" in output
    [layout] = counterexample(output)
    assert layout["kind"] == "DesktopLayout"
    assert _ends(layout["spec"]["widgets"][0], layout["spec"]["grid"])


@pytest.mark.parametrize("edge", EDGES, ids=[edge.id for edge in EDGES])
def test_every_threshold_edge_moved_by_one_fails_a_property(
    edge: Edge, break_rule: Callable[[Any], None], suite: Callable[..., ModuleType]
) -> None:
    """Moved in, a value at the bound is refused; moved out, the first value past it passes."""
    break_rule(mutant(edge))
    prop = getattr(suite(edge.suite, EDGE_BUDGET), edge.prop)
    report = falsify(prop, **dict(edge.arguments))
    assert MARKER in report


def test_every_edge_mutant_changes_its_rule_and_the_table_covers_both_ways() -> None:
    """A mutant that compiles to the same rule, or an edge moved one way only, proves nothing."""
    assert len({edge.id for edge in EDGES}) == len(EDGES)
    ways = {edge.threshold: 0 for edge in EDGES}
    for edge in EDGES:
        ways[edge.threshold] += 1
        assert edge.old != edge.new
    assert set(ways.values()) == {2}
