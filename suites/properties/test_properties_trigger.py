"""TriggerRule properties: operators against the SPEC's set, the condition limit, mutations."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given
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
from genesys_compliance.strategies import mutable_rules, mutate, trigger_rules

SPEC_OPERATORS = frozenset({"contains", "equals", "starts_with", "ends_with", "regex", "gt", "lt"})


def _a_value_for(op: str) -> object:
    return {"gt": 1, "lt": 1, "regex": "^a"}.get(op, "card declined")


@no_deadline
@given(data=st.data())
def test_every_generated_trigger_rule_complies(data: st.DataObject, gc_policy: Policy) -> None:
    assert_complies(check([data.draw(trigger_rules(gc_policy), label="trigger rule")], gc_policy))


@no_deadline
@given(data=st.data())
def test_any_operator_text_is_accepted_iff_the_spec_allows_it(
    data: st.DataObject, gc_policy: Policy
) -> None:
    op = data.draw(st.one_of(st.sampled_from(sorted(SPEC_OPERATORS)), st.text()), label="operator")
    rule = data.draw(trigger_rules(gc_policy), label="trigger rule")
    conditions = rule["spec"]["conditions"]
    index = data.draw(st.integers(0, len(conditions) - 1), label="condition")
    conditions[index]["operator"], conditions[index]["value"] = op, _a_value_for(op)
    checked = check([rule], gc_policy)
    if op in SPEC_OPERATORS:
        assert_complies(checked)
    else:
        assert [(f.rule_id, f.pointer) for f in checked.failing()] == [
            ("trigger/operator", f"/spec/conditions/{index}/operator")
        ]


@no_deadline
@given(data=st.data())
def test_condition_count_passes_within_the_limit_and_fails_outside(
    data: st.DataObject, gc_policy: Policy
) -> None:
    limit = gc_policy.max_conditions
    count = data.draw(
        st.one_of(st.sampled_from((limit, limit + 1, 0, 1)), st.integers(0, limit + 2)),
        label="conditions",
    )
    rule = data.draw(trigger_rules(gc_policy, max_conditions=1), label="trigger rule")
    one: dict[str, Any] = rule["spec"]["conditions"][0]
    rule["spec"]["conditions"] = [dict(one) for _ in range(count)]
    checked = check([rule], gc_policy)
    expected = (
        "/spec/conditions" if count == 0 else f"/spec/conditions/{limit}" if count > limit else None
    )
    found = [(f.rule_id, f.pointer, f.line) for f in checked.failing()]
    if expected is None:
        assert found == []
    else:
        assert found == [("trigger/condition-limit", expected, line_of(checked.text, 0, expected))]


@no_deadline
@given(data=st.data())
def test_action_priority_is_accepted_iff_a_positive_integer(
    data: st.DataObject, gc_policy: Policy
) -> None:
    priority = data.draw(
        st.one_of(
            st.integers(),
            st.floats(allow_nan=False, allow_infinity=False),
            st.booleans(),
            st.text(),
        ),
        label="priority",
    )
    rule = data.draw(trigger_rules(gc_policy), label="trigger rule")
    actions = rule["spec"]["actions"]
    index = data.draw(st.integers(0, len(actions) - 1), label="action")
    actions[index]["priority"] = priority
    valid = type(priority) is int and priority >= 1
    failing = [(f.rule_id, f.pointer) for f in check([rule], gc_policy).failing()]
    assert failing == ([] if valid else [("trigger/action", f"/spec/actions/{index}/priority")])


@pytest.mark.parametrize("edge", LOWER + UPPER)
@edge_property
@given(data=st.data())
def test_condition_count_at_each_edge(edge: str, data: st.DataObject, gc_policy: Policy) -> None:
    limit = gc_policy.max_conditions
    count = at_edge(edge, 1, limit)
    rule = data.draw(trigger_rules(gc_policy, max_conditions=1), label="trigger rule")
    one: dict[str, Any] = rule["spec"]["conditions"][0]
    rule["spec"]["conditions"] = [dict(one) for _ in range(count)]
    checked = check([rule], gc_policy)
    found = [(f.rule_id, f.pointer) for f in checked.failing()]
    at = {"lower-1": "/spec/conditions", "upper+1": f"/spec/conditions/{limit}"}.get(edge)
    assert found == ([] if at is None else [("trigger/condition-limit", at)]), f"{count} conditions"


@pytest.mark.parametrize("edge", LOWER)
@edge_property
@given(data=st.data())
def test_action_priority_at_its_floor(edge: str, data: st.DataObject, gc_policy: Policy) -> None:
    rule = data.draw(trigger_rules(gc_policy), label="trigger rule")
    actions = rule["spec"]["actions"]
    index = data.draw(st.integers(0, len(actions) - 1), label="action")
    actions[index]["priority"] = value = at_edge(edge, 1)
    failing = [(f.rule_id, f.pointer) for f in check([rule], gc_policy).failing()]
    below = [("trigger/action", f"/spec/actions/{index}/priority")]
    assert failing == ([] if edge == "lower" else below), f"priority {value}"


@pytest.mark.parametrize(
    "rule_id", [r for r in mutable_rules("TriggerRule") if r.startswith("trigger/")]
)
@no_deadline
@given(data=st.data())
def test_a_mutated_trigger_rule_breaks_exactly_its_rule(
    rule_id: str, data: st.DataObject, gc_policy: Policy
) -> None:
    rule = data.draw(trigger_rules(gc_policy), label="valid trigger rule")
    mutation = mutate(rule, rule_id, data, policy=gc_policy)
    assume(mutation is not None)
    assert mutation is not None
    assert_breaks_exactly(mutation, gc_policy)
