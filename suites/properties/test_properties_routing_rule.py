"""RoutingRule properties: depth against a direct count, operators and fields against their sets.

The SPEC's operator set is written out here, not imported: the property is
that the rule agrees with the SPEC, so the SPEC is the oracle.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, event, given
from hypothesis import strategies as st

from _properties import (
    UPPER,
    assert_breaks_exactly,
    assert_complies,
    at_edge,
    check,
    depth,
    edge_property,
    line_of,
    no_deadline,
)
from genesys_compliance import Policy
from genesys_compliance.strategies import expressions, mutable_rules, mutate, routing_rules

SPEC_OPERATORS = frozenset(
    {"eq", "neq", "gt", "lt", "gte", "lte", "exists", "not_exists", "contains", "regex"}
)


def _levels(
    node: dict[str, Any], at: str = "/spec/expression", level: int = 1
) -> list[tuple[str, dict[str, Any], int]]:
    """Every node in document order with its pointer and level, by plain recursion."""
    out = [(at, node, level)]
    for i, child in enumerate(node.get("children", [])):
        out += _levels(child, f"{at}/children/{i}", level + 1)
    return out


def _with_expression(rule: dict[str, Any], expression: dict[str, Any]) -> dict[str, Any]:
    return {**rule, "spec": {**rule["spec"], "expression": expression}}


def _a_value_for(op: str) -> object:
    return {"gt": 1, "lt": 1, "gte": 1, "lte": 1, "regex": "^a"}.get(op, "billing")


@no_deadline
@given(data=st.data())
def test_every_generated_routing_rule_complies(data: st.DataObject, gc_policy: Policy) -> None:
    rule = data.draw(routing_rules(gc_policy), label="routing rule")
    event(f"depth: {depth(rule['spec']['expression'])}")
    assert_complies(check([rule], gc_policy))


@no_deadline
@given(data=st.data())
def test_depth_at_the_limit_passes_and_one_more_fails(
    data: st.DataObject, gc_policy: Policy
) -> None:
    limit = gc_policy.max_expression_depth
    rule = data.draw(routing_rules(gc_policy), label="routing rule")
    tree = data.draw(expressions(gc_policy), label="expression")
    target = data.draw(
        st.one_of(st.sampled_from((limit, limit + 1)), st.integers(1, limit + 2)),
        label="deepen a leaf to level",
    )
    leaves = [found for found in _levels(tree) if "children" not in found[1]]
    _, leaf, level = leaves[data.draw(st.integers(0, len(leaves) - 1), label="leaf")]
    wrapped = dict(leaf)
    for _ in range(max(0, target - level)):
        wrapped = {"type": "not", "children": [wrapped]}
    leaf.clear()
    leaf.update(wrapped)

    deepest = depth(tree)
    event(f"depth {'within' if deepest <= limit else 'past'} the limit")
    checked = check([_with_expression(rule, tree)], gc_policy)
    found = checked.ids("routing-rule/depth")
    first_past = next((p for p, _, lv in _levels(tree) if lv > limit), None)
    if deepest <= limit:
        assert found == []
        assert_complies(checked)
    else:
        assert first_past is not None
        assert [(f.pointer, f.line) for f in found] == [
            (first_past, line_of(checked.text, 0, first_past))
        ]


@pytest.mark.parametrize("edge", UPPER)
@edge_property
@given(data=st.data())
def test_depth_at_its_edge(edge: str, data: st.DataObject, gc_policy: Policy) -> None:
    limit = gc_policy.max_expression_depth
    rule = data.draw(routing_rules(gc_policy), label="routing rule")
    tree = data.draw(expressions(gc_policy), label="expression")
    leaves = [found for found in _levels(tree) if "children" not in found[1]]
    at, leaf, level = leaves[data.draw(st.integers(0, len(leaves) - 1), label="leaf")]
    # Wrap one leaf in single-child nodes until it sits at the limit, or one level past it.
    wrapped = dict(leaf)
    for _ in range(at_edge(edge, 1, limit) - level):
        wrapped = {"type": "not", "children": [wrapped]}
    leaf.clear()
    leaf.update(wrapped)
    assert depth(tree) == at_edge(edge, 1, limit)
    checked = check([_with_expression(rule, tree)], gc_policy)
    first_past = next((p for p, _, lv in _levels(tree) if lv > limit), None)
    found = [(f.rule_id, f.pointer) for f in checked.failing()]
    assert found == ([] if first_past is None else [("routing-rule/depth", first_past)]), at


@no_deadline
@given(data=st.data())
def test_any_operator_text_is_accepted_iff_the_spec_allows_it(
    data: st.DataObject, gc_policy: Policy
) -> None:
    op = data.draw(st.one_of(st.sampled_from(sorted(SPEC_OPERATORS)), st.text()), label="operator")
    rule = data.draw(routing_rules(gc_policy), label="routing rule")
    conditions = [n for n in _levels(rule["spec"]["expression"]) if n[1]["type"] == "condition"]
    at, node, _ = conditions[data.draw(st.integers(0, len(conditions) - 1), label="condition")]
    node["operator"], node["value"] = op, _a_value_for(op)
    checked = check([rule], gc_policy)
    if op in SPEC_OPERATORS:
        assert_complies(checked)
    else:
        assert [(f.rule_id, f.pointer) for f in checked.failing()] == [
            ("routing-rule/operator", f"{at}/operator")
        ]


@no_deadline
@given(data=st.data())
def test_any_field_text_is_accepted_iff_the_policy_lists_it(
    data: st.DataObject, gc_policy: Policy
) -> None:
    allowed = sorted(gc_policy.routing_fields)
    field = data.draw(st.one_of(st.sampled_from(allowed), st.text()), label="field")
    rule = data.draw(routing_rules(gc_policy), label="routing rule")
    conditions = [n for n in _levels(rule["spec"]["expression"]) if n[1]["type"] == "condition"]
    at, node, _ = conditions[data.draw(st.integers(0, len(conditions) - 1), label="condition")]
    node["field"] = field
    failing = [(f.rule_id, f.pointer) for f in check([rule], gc_policy).failing()]
    assert failing == ([] if field in allowed else [("routing-rule/field", f"{at}/field")])


@pytest.mark.parametrize(
    "rule_id", [r for r in mutable_rules("RoutingRule") if r.startswith("routing-rule/")]
)
@no_deadline
@given(data=st.data())
def test_a_mutated_routing_rule_breaks_exactly_its_rule(
    rule_id: str, data: st.DataObject, gc_policy: Policy
) -> None:
    rule = data.draw(routing_rules(gc_policy), label="valid routing rule")
    mutation = mutate(rule, rule_id, data, policy=gc_policy)
    assume(mutation is not None)
    assert mutation is not None
    assert_breaks_exactly(mutation, gc_policy)
