"""TriggerRule properties: operators against the SPEC's set, the condition limit, mutations."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from _properties import assert_breaks_exactly, assert_complies, check, line_of
from genesys_compliance import Policy
from genesys_compliance.strategies import mutable_rules, mutate, trigger_rules

SPEC_OPERATORS = frozenset({"contains", "equals", "starts_with", "ends_with", "regex", "gt", "lt"})


def _a_value_for(op: str) -> object:
    return {"gt": 1, "lt": 1, "regex": "^a"}.get(op, "card declined")


@given(data=st.data())
def test_every_generated_trigger_rule_complies(data: st.DataObject, gc_policy: Policy) -> None:
    assert_complies(check([data.draw(trigger_rules(gc_policy), label="trigger rule")], gc_policy))


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


@pytest.mark.parametrize(
    "rule_id", [r for r in mutable_rules("TriggerRule") if r.startswith("trigger/")]
)
@given(data=st.data())
def test_a_mutated_trigger_rule_breaks_exactly_its_rule(
    rule_id: str, data: st.DataObject, gc_policy: Policy
) -> None:
    rule = data.draw(trigger_rules(gc_policy), label="valid trigger rule")
    mutation = mutate(rule, rule_id, data, policy=gc_policy)
    assume(mutation is not None)
    assert mutation is not None
    assert_breaks_exactly(mutation, gc_policy)
