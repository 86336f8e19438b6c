"""DesktopLayout rules: grid size and bounds, widget limit, types, positions, overlap, ids,
visibility and load impact.

Most cases use :func:`layout`, which writes the grid on lines 7-8, the ``widgets:`` key on
line 9 and widget ``i`` (one flow mapping per line) on line ``10 + i``.
"""

import pytest

from genesys_compliance import Policy
from tests.helpers import ids_lines

COLUMNS_LINE, ROWS_LINE, WIDGETS_LINE = 7, 8, 9


def line_of_widget(index: int) -> int:
    return WIDGETS_LINE + 1 + index


def widget(
    wid: str,
    x: object = 0,
    y: object = 0,
    width: object = 1,
    height: object = 1,
    *,
    kind: str = "queue-widget",
    visibility: str | None = None,
) -> str:
    """One widget as a single-line flow mapping."""
    extra = f", visibility: {{condition: {visibility}}}" if visibility is not None else ""
    return (
        f"{{widget_type: {kind}, id: {wid}, "
        f"position: {{x: {x}, y: {y}, width: {width}, height: {height}}}{extra}}}"
    )


def row_of(count: int, *, kind: str = "queue-widget") -> list[str]:
    """``count`` 1x1 widgets side by side, wrapping after 24 columns: they never overlap."""
    return [widget(f"w{i}", i % 24, i // 24, kind=kind) for i in range(count)]


def layout(*widgets: str, columns: object = 24, rows: object = 16) -> str:
    lines = [
        "apiVersion: genesys-compliance/v1",
        "kind: DesktopLayout",
        "metadata: {name: agent}",
        "spec:",
        "  name: Agent",
        "  grid:",
        f"    columns: {columns}",  # line 7
        f"    rows: {rows}",  # line 8
        "  widgets:" if widgets else "  widgets: []",  # line 9
    ]
    lines += [f"    - {w}" for w in widgets]  # line 10 onwards
    return "\n".join(lines) + "\n"


def test_helper_places_lines_as_documented():
    text = layout(widget("a"), widget("b", 1))
    lines = text.splitlines()
    assert lines[COLUMNS_LINE - 1].strip() == "columns: 24"
    assert lines[ROWS_LINE - 1].strip() == "rows: 16"
    assert lines[WIDGETS_LINE - 1].strip() == "widgets:"
    assert "id: b" in lines[line_of_widget(1) - 1]


def test_a_complete_layout_is_compliant(check_yaml):
    findings = check_yaml("""
        # The three-widget agent desktop.
        apiVersion: genesys-compliance/v1
        kind: DesktopLayout
        metadata:
          name: agent-default
          labels: {team: voice}
          layoutId: lay-agent-default
          userId: 2a4c6e8f-1b3d-4f5a-9c7e-0d2f4a6c8e10
        spec:
          name: Agent Desktop Layout
          description: Automated agent desktop configuration
          grid: {columns: 24, rows: 16}
          inheritance: user-preference
          widgets:
            - widget_type: queue-widget
              id: q-001
              position: {x: 0, y: 0, width: 12, height: 8}
              visibility: {condition: "role:agent", state: always}
              configuration: {queue_id: main-inbound, show_history: true}
            - widget_type: conversation-widget
              id: conv-001
              position: {x: 12, y: 0, width: 12, height: 16}
              visibility: {condition: "skill:voice", state: always}
            - widget_type: notes-widget
              id: notes-001
              position: {x: 0, y: 8, width: 12, height: 8}
              visibility: {condition: always}
        """)
    assert findings == []


def test_a_layout_without_widgets_is_compliant(check_yaml):
    assert check_yaml(layout()) == []


# -- layout/grid-size ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("columns", "rows", "expected"),
    [
        pytest.param(24, 16, [], id="largest"),
        pytest.param(1, 1, [], id="smallest"),
        pytest.param(25, 16, [("layout/grid-size", COLUMNS_LINE)], id="25-columns"),
        pytest.param(0, 16, [("layout/grid-size", COLUMNS_LINE)], id="0-columns"),
        pytest.param(24, 17, [("layout/grid-size", ROWS_LINE)], id="17-rows"),
        pytest.param(24, 0, [("layout/grid-size", ROWS_LINE)], id="0-rows"),
        pytest.param(
            -1, 99, [("layout/grid-size", COLUMNS_LINE), ("layout/grid-size", ROWS_LINE)], id="both"
        ),
    ],
)
def test_grid_size(check_yaml, columns, rows, expected):
    assert ids_lines(check_yaml(layout(columns=columns, rows=rows))) == expected


def test_grid_size_message_names_the_allowed_range(check_yaml):
    [finding] = check_yaml(layout(columns=30))
    assert finding.message == "grid.columns is 30; allowed 1..24"
    assert finding.severity == "error"
    assert finding.file == "configs/c.yaml"


def test_grid_size_limits_come_from_the_policy(check_yaml):
    text = layout(columns=32, rows=20)
    assert ids_lines(check_yaml(text)) == [
        ("layout/grid-size", COLUMNS_LINE),
        ("layout/grid-size", ROWS_LINE),
    ]
    assert check_yaml(text, Policy(**{"max-grid-columns": 32, "max-grid-rows": 20})) == []
    assert ids_lines(check_yaml(layout(columns=24), Policy(max_grid_columns=12))) == [
        ("layout/grid-size", COLUMNS_LINE)
    ]


# -- layout/widget-limit ------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 11, 12])
def test_up_to_twelve_widgets_pass(check_yaml, count):
    assert check_yaml(layout(*row_of(count))) == []


def test_thirteen_widgets_fail_at_the_thirteenth(check_yaml):
    findings = check_yaml(layout(*row_of(13)))
    assert ids_lines(findings) == [
        ("layout/load-impact", WIDGETS_LINE),
        ("layout/widget-limit", line_of_widget(12)),
    ]
    assert "13 widgets; at most 12" in findings[1].message


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        pytest.param(3, [], id="at-limit"),
        pytest.param(4, [("layout/widget-limit", line_of_widget(3))], id="one-over"),
        pytest.param(6, [("layout/widget-limit", line_of_widget(3))], id="reported-once"),
    ],
)
def test_widget_limit_comes_from_the_policy(check_yaml, count, expected):
    assert ids_lines(check_yaml(layout(*row_of(count)), Policy(**{"max-widgets": 3}))) == expected


def test_a_higher_widget_limit_lets_thirteen_pass(check_yaml):
    findings = check_yaml(layout(*row_of(13)), Policy(max_widgets=13))
    assert ids_lines(findings) == [("layout/load-impact", WIDGETS_LINE)]  # only the warning


# -- layout/widget-type -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind",
    [
        "queue-widget",
        "conversation-widget",
        "notes-widget",
        "custom-widget",
        "contact-center-widget",
    ],
)
def test_supported_widget_types_pass(check_yaml, kind):
    assert check_yaml(layout(widget("a", kind=kind))) == []


@pytest.mark.parametrize("kind", ["chart-widget", "Queue-Widget", "queue_widget", '""'])
def test_unknown_widget_types_fail(check_yaml, kind):
    text = layout(widget("a"), widget("b", 1, kind=kind))
    assert ids_lines(check_yaml(text)) == [("layout/widget-type", line_of_widget(1))]


def test_widget_type_finding_points_at_the_field(check_yaml):
    findings = check_yaml("""
        apiVersion: genesys-compliance/v1
        kind: DesktopLayout
        metadata: {name: agent}
        spec:
          name: Agent
          grid: {columns: 24, rows: 16}
          widgets:
            - id: chart
              widget_type: chart-widget  # line 9
              position: {x: 0, y: 0, width: 4, height: 4}
        """)
    assert ids_lines(findings) == [("layout/widget-type", 9)]
    assert findings[0].message.startswith("widget 'chart': widget_type 'chart-widget' is not")


def test_widget_types_come_from_the_policy(check_yaml):
    text = layout(widget("a", kind="chart-widget"), widget("b", 1))
    policy = Policy(**{"widget-types": ["chart-widget", "notes-widget"]})
    assert ids_lines(check_yaml(text, policy)) == [("layout/widget-type", line_of_widget(1))]


# -- layout/position ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "position",
    [
        pytest.param("{x: -1, y: 0, width: 1, height: 1}", id="negative-x"),
        pytest.param("{x: 0, y: -1, width: 1, height: 1}", id="negative-y"),
        pytest.param("{x: 0, y: 0, width: 0, height: 1}", id="zero-width"),
        pytest.param("{x: 0, y: 0, width: 1, height: 0}", id="zero-height"),
        pytest.param("{x: 1.0, y: 0, width: 1, height: 1}", id="float"),
        pytest.param('{x: "1", y: 0, width: 1, height: 1}', id="string"),
        pytest.param("{x: true, y: 0, width: 1, height: 1}", id="boolean"),
        pytest.param("{x: null, y: 0, width: 1, height: 1}", id="null"),
        pytest.param("{x: 0, y: 0, width: 1}", id="missing-height"),
    ],
)
def test_malformed_positions_fail(check_yaml, position):
    text = layout(widget("a"), f"{{widget_type: queue-widget, id: b, position: {position}}}")
    assert ids_lines(check_yaml(text)) == [("layout/position", line_of_widget(1))]


def test_a_widget_without_position_fails_at_the_widget(check_yaml):
    text = layout(widget("a"), "{widget_type: queue-widget, id: b}")
    findings = check_yaml(text)
    assert ids_lines(findings) == [("layout/position", line_of_widget(1))]
    assert findings[0].message == "widget 'b' has no position"


def test_position_findings_point_at_the_scalar_or_the_position(check_yaml):
    findings = check_yaml("""
        apiVersion: genesys-compliance/v1
        kind: DesktopLayout
        metadata: {name: agent}
        spec:
          name: Agent
          grid: {columns: 24, rows: 16}
          widgets:
            - widget_type: queue-widget  # line 8
              id: a
              position:                  # line 10
                x: 0
                y: -1                    # line 12
                width: 2.5               # line 13
        """)
    assert ids_lines(findings) == [
        ("layout/position", 10),  # height is missing: the position itself
        ("layout/position", 12),  # y: -1
        ("layout/position", 13),  # width: 2.5
    ]
    assert [f.message for f in findings] == [
        "widget 'a': position.height is missing",
        "widget 'a': position.y is -1; it must be >= 0",
        "widget 'a': position.width must be an integer, not float",
    ]


def test_a_malformed_position_is_not_also_judged_for_bounds_or_overlap(check_yaml):
    text = layout(widget("a", 0, 0, 30, 2), widget("b", 0, 0, 2.0, 2))
    assert ids_lines(check_yaml(text)) == [
        ("layout/grid-bounds", line_of_widget(0)),
        ("layout/position", line_of_widget(1)),
    ]


# -- layout/grid-bounds -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("box", "expected"),
    [  # box: (x, y, width, height) on the 24 x 16 grid
        pytest.param((23, 0, 1, 1), [], id="last-column"),
        pytest.param((0, 15, 1, 1), [], id="last-row"),
        pytest.param((12, 8, 12, 8), [], id="bottom-right-quarter"),
        pytest.param((0, 0, 24, 16), [], id="whole-grid"),
        pytest.param((24, 0, 1, 1), ["layout/grid-bounds"], id="one-column-further"),
        pytest.param((23, 0, 2, 1), ["layout/grid-bounds"], id="one-column-too-wide"),
        pytest.param((0, 16, 1, 1), ["layout/grid-bounds"], id="one-row-further"),
        pytest.param((0, 15, 1, 2), ["layout/grid-bounds"], id="one-row-too-high"),
        pytest.param((0, 0, 25, 17), ["layout/grid-bounds"] * 2, id="both"),
    ],
)
def test_grid_bounds_on_the_default_grid(check_yaml, box, expected):
    text = layout(widget("a", *box))
    assert ids_lines(check_yaml(text)) == [(rule, line_of_widget(0)) for rule in expected]


@pytest.mark.parametrize(
    ("box", "fits"),
    [((3, 2, 1, 1), True), ((0, 0, 4, 3), True), ((3, 0, 2, 1), False), ((0, 2, 1, 2), False)],
)
def test_grid_bounds_follow_the_layouts_own_grid(check_yaml, box, fits):
    text = layout(widget("a", *box), columns=4, rows=3)
    expected = [] if fits else [("layout/grid-bounds", line_of_widget(0))]
    assert ids_lines(check_yaml(text)) == expected


def test_grid_bounds_points_at_the_widget_and_names_the_span(check_yaml):
    findings = check_yaml("""
        apiVersion: genesys-compliance/v1
        kind: DesktopLayout
        metadata: {name: agent}
        spec:
          name: Agent
          grid: {columns: 24, rows: 16}
          widgets:
            - widget_type: queue-widget  # line 8
              id: wide
              position:
                x: 20
                y: 0
                width: 5
                height: 1
        """)
    assert ids_lines(findings) == [("layout/grid-bounds", 8)]
    assert findings[0].message == ("widget 'wide' spans columns 20..24; the grid has columns 0..23")


# -- layout/overlap -----------------------------------------------------------------------------


def test_two_widgets_sharing_exactly_one_cell_overlap(check_yaml):
    findings = check_yaml(layout(widget("alpha", 0, 0, 2, 2), widget("beta", 1, 1, 2, 2)))
    assert ids_lines(findings) == [("layout/overlap", line_of_widget(1))]
    assert findings[0].message == "widget 'beta' overlaps widget 'alpha' at cell (x=1, y=1)"


@pytest.mark.parametrize(
    "widgets",
    [
        pytest.param([("a", 0, 0, 2, 2), ("b", 2, 0, 2, 2), ("c", 0, 2, 4, 1)], id="touching"),
        pytest.param([("a", 0, 0, 12, 16), ("b", 12, 0, 12, 16)], id="halves"),
        pytest.param([("a", 0, 0, 1, 1), ("b", 23, 15, 1, 1)], id="corners"),
    ],
)
def test_adjacent_widgets_do_not_overlap(check_yaml, widgets):
    assert check_yaml(layout(*(widget(*w) for w in widgets))) == []


@pytest.mark.parametrize(
    ("first", "second", "cell"),
    [
        pytest.param((0, 0, 4, 4), (0, 0, 4, 4), "(x=0, y=0)", id="identical"),
        pytest.param((0, 0, 24, 16), (5, 7, 1, 1), "(x=5, y=7)", id="contained"),
        pytest.param((0, 0, 3, 3), (2, 1, 3, 3), "(x=2, y=1)", id="first-cell-row-major"),
        pytest.param((3, 0, 1, 5), (0, 2, 6, 1), "(x=3, y=2)", id="crossing"),
    ],
)
def test_overlapping_widgets_name_both_and_a_shared_cell(check_yaml, first, second, cell):
    findings = check_yaml(layout(widget("first", *first), widget("second", *second)))
    assert ids_lines(findings) == [("layout/overlap", line_of_widget(1))]
    assert findings[0].message == f"widget 'second' overlaps widget 'first' at cell {cell}"


def test_each_overlapping_widget_is_reported_once_on_its_own_line(check_yaml):
    text = layout(
        widget("a", 0, 0, 4, 4),
        widget("b", 10, 0, 2, 2),
        widget("c", 3, 3, 8, 1),
        widget("d", 0, 10, 1, 1),
    )
    findings = check_yaml(text)
    assert ids_lines(findings) == [("layout/overlap", line_of_widget(2))]
    assert "'c' overlaps widget 'a' at cell (x=3, y=3)" in findings[0].message


def test_overlap_points_at_the_first_line_of_the_later_widget(check_yaml):
    findings = check_yaml("""
        apiVersion: genesys-compliance/v1
        kind: DesktopLayout
        metadata: {name: agent}
        spec:
          name: Agent
          grid: {columns: 24, rows: 16}
          widgets:
            - widget_type: queue-widget
              id: a
              position: {x: 0, y: 0, width: 2, height: 2}
            - widget_type: notes-widget  # line 11
              id: b
              position: {x: 1, y: 1, width: 2, height: 2}
        """)
    assert ids_lines(findings) == [("layout/overlap", 11)]


def test_overlap_in_a_json_layout_points_at_the_widget_object(check_files):
    findings = check_files(
        {
            "l.json": """
        {
          "apiVersion": "genesys-compliance/v1",
          "kind": "DesktopLayout",
          "metadata": {"name": "agent"},
          "spec": {
            "name": "Agent",
            "grid": {"columns": 24, "rows": 16},
            "widgets": [
              {"widget_type": "queue-widget", "id": "a",
               "position": {"x": 0, "y": 0, "width": 2, "height": 2}},
              {"widget_type": "queue-widget", "id": "b",
               "position": {"x": 1, "y": 1, "width": 2, "height": 2}}
            ]
          }
        }
        """
        }
    )
    assert ids_lines(findings) == [("layout/overlap", 11)]
    assert findings[0].file == "configs/l.json"


# -- layout/widget-id ---------------------------------------------------------------------------


def test_distinct_widget_ids_pass(check_yaml):
    assert check_yaml(layout(widget("a"), widget("A", 1), widget("a-2", 2))) == []


def test_a_repeated_widget_id_fails_at_the_later_id(check_yaml):
    findings = check_yaml("""
        apiVersion: genesys-compliance/v1
        kind: DesktopLayout
        metadata: {name: agent}
        spec:
          name: Agent
          grid: {columns: 24, rows: 16}
          widgets:
            - widget_type: queue-widget
              id: q-001
              position: {x: 0, y: 0, width: 1, height: 1}
            - widget_type: notes-widget
              position: {x: 1, y: 0, width: 1, height: 1}
              id: q-001                  # line 13
        """)
    assert ids_lines(findings) == [("layout/widget-id", 13)]
    assert findings[0].message == "widget id 'q-001' is already used by widgets[0]"


def test_every_repeat_of_an_id_is_reported(check_yaml):
    text = layout(widget("a"), widget("a", 1), widget("b", 2), widget("a", 3))
    assert ids_lines(check_yaml(text)) == [
        ("layout/widget-id", line_of_widget(1)),
        ("layout/widget-id", line_of_widget(3)),
    ]


# -- layout/visibility --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "condition",
    ["always", '"role:agent"', '"skill:billing"', '"queue:main-inbound"', '"role:team lead"'],
)
def test_supported_visibility_conditions_pass(check_yaml, condition):
    assert check_yaml(layout(widget("a", visibility=condition))) == []


@pytest.mark.parametrize(
    "condition",
    [
        '"role:"',
        '"role: "',
        "Always",
        "never",
        '"team:voice"',
        '"Role:agent"',
        '""',
        '"roles:agent"',
    ],
)
def test_other_visibility_conditions_fail(check_yaml, condition):
    text = layout(widget("a", visibility="always"), widget("b", 1, visibility=condition))
    assert ids_lines(check_yaml(text)) == [("layout/visibility", line_of_widget(1))]


def test_visibility_finding_points_at_the_condition(check_yaml):
    findings = check_yaml("""
        apiVersion: genesys-compliance/v1
        kind: DesktopLayout
        metadata: {name: agent}
        spec:
          name: Agent
          grid: {columns: 24, rows: 16}
          widgets:
            - widget_type: queue-widget
              id: a
              position: {x: 0, y: 0, width: 1, height: 1}
              visibility:
                state: always
                condition: "team:voice"  # line 13
        """)
    assert ids_lines(findings) == [("layout/visibility", 13)]


# -- layout/load-impact -------------------------------------------------------------------------


def test_twelve_widgets_at_exactly_the_load_limit_do_not_warn(check_yaml):
    # 12 x 0.15 is 1.8 exactly: "above 1.8" must not fire on a float rounding error.
    assert check_yaml(layout(*row_of(12))) == []
    assert check_yaml(layout(*row_of(12)), Policy(max_widgets=20)) == []


def test_load_above_the_limit_warns_on_the_widgets_list(check_yaml):
    findings = check_yaml(layout(*row_of(13)), Policy(max_widgets=20))
    assert ids_lines(findings) == [("layout/load-impact", WIDGETS_LINE)]
    [warning] = findings
    assert warning.severity == "warning"
    assert warning.message == "widget load 1.95 is above 1.80"
    assert not warning.fails()
    assert warning.fails(strict=True)


@pytest.mark.parametrize(
    ("count", "warns"),
    [(3, False), (4, True)],
)
def test_load_per_widget_type_comes_from_the_policy(check_yaml, count, warns):
    policy = Policy(**{"widget-load-by-type": {"custom-widget": 0.5}})
    text = layout(*row_of(count, kind="custom-widget"))
    assert ids_lines(check_yaml(text, policy)) == (
        [("layout/load-impact", WIDGETS_LINE)] if warns else []
    )
    # other types keep the default load
    assert check_yaml(layout(*row_of(count)), policy) == []


@pytest.mark.parametrize(("count", "warns"), [(2, False), (3, True)])
def test_load_limit_comes_from_the_policy(check_yaml, count, warns):
    policy = Policy(**{"max-load-impact": 0.3})  # 2 x 0.15 is exactly 0.3
    assert ids_lines(check_yaml(layout(*row_of(count)), policy)) == (
        [("layout/load-impact", WIDGETS_LINE)] if warns else []
    )
