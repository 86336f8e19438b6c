"""TriggerRule rules: condition limit, operators, values and actions.

Most cases use :func:`trigger`: ``actions:`` is on line 8 and action ``j`` on line ``9 + j``;
with the default single action, ``conditions:`` is on line 10 and condition ``i`` on line
``11 + i`` (one flow mapping per line).
"""

import pytest

from genesys_compliance import Policy
from tests.helpers import ids_lines

ACTIONS_LINE, CONDITIONS_LINE = 8, 10
DISPLAY = "{type: display, templateId: tmpl_98765, priority: 1}"


def line_of_action(index: int) -> int:
    return ACTIONS_LINE + 1 + index


def line_of_condition(index: int) -> int:
    return CONDITIONS_LINE + 1 + index


def cond(operator: str = "contains", value: str | None = "card declined") -> str:
    """One condition as a flow mapping; ``value=None`` leaves the value out."""
    tail = "" if value is None else f", value: {value}"
    return f"{{type: keyword, field: conversation.text, operator: {operator}{tail}}}"


def trigger(*conditions: str, actions: tuple[str, ...] = (DISPLAY,)) -> str:
    lines = [
        "apiVersion: genesys-compliance/v1",
        "kind: TriggerRule",
        "metadata: {name: credit-card}",
        "spec:",
        "  name: Credit Card Detection",
        "  ruleType: conversation",
        "  enabled: true",
        "  actions:" if actions else "  actions: []",  # line 8
    ]
    lines += [f"    - {a}" for a in actions]  # line 9 onwards
    lines.append("  conditions:" if conditions else "  conditions: []")
    lines += [f"    - {c}" for c in conditions]
    return "\n".join(lines) + "\n"


def test_helper_places_lines_as_documented():
    lines = trigger(cond(), cond("equals")).splitlines()
    assert lines[ACTIONS_LINE - 1] == "  actions:"
    assert lines[line_of_action(0) - 1] == f"    - {DISPLAY}"
    assert lines[CONDITIONS_LINE - 1] == "  conditions:"
    assert "equals" in lines[line_of_condition(1) - 1]


def test_a_complete_trigger_rule_is_compliant(check_yaml):
    findings = check_yaml("""
        # Surfaces the card-payment article when a customer mentions a declined card.
        apiVersion: genesys-compliance/v1
        kind: TriggerRule
        metadata:
          name: credit-card-detection
          ruleId: a1b2c3d4-e5f6-7890-abcd-ef1234567891
        spec:
          id: a1b2c3d4-e5f6-7890-abcd-ef1234567891
          name: Credit Card Detection Rule
          description: Triggers assist when customer mentions payment failure
          ruleType: conversation
          enabled: true
          conditions:
            - {type: keyword, field: conversation.text, operator: contains,
               value: credit card declined}
            - {type: keyword, field: conversation.text, operator: regex,
               value: "card (was )?(declined|rejected)"}
            - {type: metric, field: sentiment.score, operator: lt, value: -0.5}
          actions:
            - {type: display, templateId: tmpl_98765, priority: 1}
            - {type: webhook, priority: 2}
            - {type: call}
        """)
    assert findings == []


def test_the_helper_document_is_compliant(check_yaml):
    assert check_yaml(trigger(cond())) == []


# -- trigger/condition-limit --------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 2, 50])
def test_one_to_fifty_conditions_pass(check_yaml, count):
    assert check_yaml(trigger(*[cond()] * count)) == []


def test_fifty_one_conditions_fail_at_the_fifty_first(check_yaml):
    findings = check_yaml(trigger(*[cond()] * 51))
    assert ids_lines(findings) == [("trigger/condition-limit", line_of_condition(50))]
    assert findings[0].message == "51 conditions; at most 50 are allowed"


def test_no_conditions_fail_at_the_list(check_yaml):
    findings = check_yaml(trigger())
    assert ids_lines(findings) == [("trigger/condition-limit", CONDITIONS_LINE)]
    assert findings[0].message == "a trigger rule needs at least one condition"


def test_a_missing_conditions_list_fails_at_the_spec(check_yaml):
    findings = check_yaml("""
        apiVersion: genesys-compliance/v1
        kind: TriggerRule
        metadata: {name: credit-card}
        spec:                       # line 4
          name: Credit Card Detection
          ruleType: conversation
          actions: [{type: call}]
        """)
    assert ids_lines(findings) == [("trigger/condition-limit", 4)]


@pytest.mark.parametrize(
    ("count", "expected"),
    [(5, []), (6, [("trigger/condition-limit", line_of_condition(5))])],
)
def test_condition_limit_comes_from_the_policy(check_yaml, count, expected):
    text = trigger(*[cond()] * count)
    assert ids_lines(check_yaml(text, Policy(**{"max-conditions": 5}))) == expected


# -- trigger/operator ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "value"),
    [
        ("contains", "declined"),
        ("equals", "declined"),
        ("starts_with", '"I want to"'),
        ("ends_with", "cancel"),
        ("regex", '"card (was )?declined"'),
        ("gt", "0.5"),
        ("lt", "-0.5"),
    ],
)
def test_known_operators_pass(check_yaml, operator, value):
    assert check_yaml(trigger(cond(operator, value))) == []


@pytest.mark.parametrize("operator", ["matches", "EQUALS", "eq", "not_contains", "gte", '""'])
def test_unknown_operators_fail(check_yaml, operator):
    findings = check_yaml(trigger(cond(), cond(operator, "declined")))
    assert ids_lines(findings) == [("trigger/operator", line_of_condition(1))]
    assert findings[0].message.startswith("condition 1: operator ")


def test_operator_finding_points_at_the_operator(check_yaml):
    findings = check_yaml("""
        apiVersion: genesys-compliance/v1
        kind: TriggerRule
        metadata: {name: credit-card}
        spec:
          name: Credit Card Detection
          ruleType: conversation
          actions: [{type: call}]
          conditions:
            - type: keyword
              field: conversation.text
              operator: includes   # line 11
              value: declined
        """)
    assert ids_lines(findings) == [("trigger/operator", 11)]


# -- trigger/value ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "value"),
    [
        ("gt", "0"),
        ("gt", "3"),
        ("lt", "-0.5"),
        ("lt", "1e3"),
        ("regex", r"'^\d{4}$'"),
        ("regex", '"(?i)cancel"'),
        ("regex", '""'),
        ("contains", "credit card declined"),
        ("equals", '"42"'),
        ("starts_with", '""'),
        ("ends_with", '"!"'),
    ],
)
def test_values_that_fit_their_operator_pass(check_yaml, operator, value):
    assert check_yaml(trigger(cond(operator, value))) == []


@pytest.mark.parametrize(
    ("operator", "value", "message"),
    [
        pytest.param("gt", '"5"', "gt takes a number, not str", id="gt-string"),
        pytest.param("lt", "true", "lt takes a number, not bool", id="lt-boolean"),
        pytest.param("gt", "null", "gt takes a number, not NoneType", id="gt-null"),
        pytest.param("lt", None, "lt takes a number, not NoneType", id="lt-missing"),
        pytest.param("gt", "[1]", "gt takes a number, not list", id="gt-list"),
        pytest.param("regex", '"card (declined"', "pattern does not compile: ", id="regex-paren"),
        pytest.param("regex", '"[a-"', "pattern does not compile: ", id="regex-class"),
        pytest.param("regex", "5", "a regex needs a pattern string, not int", id="regex-number"),
        pytest.param(
            "regex", None, "a regex needs a pattern string, not NoneType", id="regex-missing"
        ),
        pytest.param("contains", "5", "contains takes a string, not int", id="contains-number"),
        pytest.param("equals", "true", "equals takes a string, not bool", id="equals-boolean"),
        pytest.param(
            "starts_with",
            None,
            "starts_with takes a string, not NoneType",
            id="starts-with-missing",
        ),
        pytest.param(
            "ends_with", "{a: 1}", "ends_with takes a string, not dict", id="ends-with-mapping"
        ),
    ],
)
def test_values_that_do_not_fit_their_operator_fail(check_yaml, operator, value, message):
    findings = check_yaml(trigger(cond(), cond(operator, value)))
    assert ids_lines(findings) == [("trigger/value", line_of_condition(1))]
    assert findings[0].message.startswith(f"condition 1: {message}")


def test_an_unknown_operator_is_not_also_a_value_finding(check_yaml):
    assert ids_lines(check_yaml(trigger(cond("between", "[1, 2]")))) == [
        ("trigger/operator", line_of_condition(0))
    ]


def test_value_finding_points_at_the_value(check_yaml):
    findings = check_yaml("""
        apiVersion: genesys-compliance/v1
        kind: TriggerRule
        metadata: {name: negative-sentiment}
        spec:
          name: Negative Sentiment
          ruleType: conversation
          actions: [{type: call}]
          conditions:
            - type: metric
              field: sentiment.score
              operator: lt
              value: "-0.5"        # line 12
        """)
    assert ids_lines(findings) == [("trigger/value", 12)]


# -- trigger/action -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "actions",
    [
        pytest.param((DISPLAY,), id="display"),
        pytest.param(("{type: call}",), id="call-without-template"),
        pytest.param(("{type: webhook, priority: 2}",), id="webhook"),
        pytest.param(("{type: display, templateId: t, priority: 100}",), id="high-priority"),
        pytest.param((DISPLAY, "{type: call, templateId: t}", "{type: webhook}"), id="three"),
    ],
)
def test_well_formed_actions_pass(check_yaml, actions):
    assert check_yaml(trigger(cond(), actions=actions)) == []


def test_no_actions_fail_at_the_list(check_yaml):
    findings = check_yaml(trigger(cond(), actions=()))
    assert ids_lines(findings) == [("trigger/action", ACTIONS_LINE)]
    assert findings[0].message == "a trigger rule needs at least one action"


@pytest.mark.parametrize(
    ("action", "message"),
    [
        pytest.param(
            "{type: email, priority: 1}",
            "action 1: type 'email' is not one of call, display, webhook",
            id="email",
        ),
        pytest.param(
            "{type: Display, templateId: t}",
            "action 1: type 'Display' is not one of call, display, webhook",
            id="wrong-case",
        ),
        pytest.param(
            "{type: display, priority: 1}",
            "action 1: a display action needs a templateId",
            id="no-template",
        ),
        pytest.param(
            '{type: display, templateId: ""}',
            "action 1: a display action needs a templateId",
            id="empty-template",
        ),
        pytest.param(
            "{type: call, priority: 0}",
            "action 1: priority must be a positive integer, not 0",
            id="priority-0",
        ),
        pytest.param(
            "{type: call, priority: -1}",
            "action 1: priority must be a positive integer, not -1",
            id="priority-neg",
        ),
        pytest.param(
            '{type: call, priority: "1"}',
            "action 1: priority must be a positive integer, not '1'",
            id="priority-str",
        ),
        pytest.param(
            "{type: call, priority: 1.5}",
            "action 1: priority must be a positive integer, not 1.5",
            id="priority-float",
        ),
        pytest.param(
            "{type: call, priority: true}",
            "action 1: priority must be a positive integer, not True",
            id="priority-bool",
        ),
    ],
)
def test_malformed_actions_fail(check_yaml, action, message):
    findings = check_yaml(trigger(cond(), actions=(DISPLAY, action)))
    assert ids_lines(findings) == [("trigger/action", line_of_action(1))]
    assert findings[0].message == message


def test_action_findings_point_at_the_action_or_its_priority(check_yaml):
    findings = check_yaml("""
        apiVersion: genesys-compliance/v1
        kind: TriggerRule
        metadata: {name: credit-card}
        spec:
          name: Credit Card Detection
          ruleType: conversation
          conditions: [{type: keyword, field: conversation.text, operator: contains, value: x}]
          actions:
            - type: display         # line 9: no templateId
              priority: 1
            - type: webhook
              templateId: tmpl_1
              priority: 0           # line 13
        """)
    assert ids_lines(findings) == [("trigger/action", 9), ("trigger/action", 13)]


def test_a_missing_actions_list_fails_at_the_spec(check_yaml):
    findings = check_yaml("""
        apiVersion: genesys-compliance/v1
        kind: TriggerRule
        metadata: {name: credit-card}
        spec:                       # line 4
          name: Credit Card Detection
          ruleType: conversation
          conditions: [{type: keyword, field: conversation.text, operator: contains, value: x}]
        """)
    assert ids_lines(findings) == [("trigger/action", 4)]


# -- identity: metadata.ruleId and spec.id ------------------------------------------------------


def test_rule_id_and_spec_id_must_agree(check_yaml):
    findings = check_yaml("""
        apiVersion: genesys-compliance/v1
        kind: TriggerRule
        metadata:
          name: credit-card
          ruleId: a1b2c3d4-e5f6-7890-abcd-ef1234567891   # line 5
        spec:
          id: a1b2c3d4-e5f6-7890-abcd-ef1234567892
          name: Credit Card Detection
          ruleType: conversation
          conditions: [{type: keyword, field: conversation.text, operator: contains, value: x}]
          actions: [{type: call}]
        """)
    assert ids_lines(findings) == [("config/envelope", 5)]
    assert "differs from spec.id" in findings[0].message


def test_an_explicit_null_priority_fails_while_an_absent_one_passes(check_yaml):
    absent = check_yaml(trigger(cond(), actions=("{type: display, templateId: tmpl_98765}",)))
    assert absent == []
    findings = check_yaml(
        trigger(cond(), actions=("{type: display, templateId: tmpl_98765, priority: null}",))
    )
    assert ids_lines(findings) == [("trigger/action", line_of_action(0))]
    assert "priority must be a positive integer" in findings[0].message
