"""RoutingStrategy properties: valid strategies comply, each mutation breaks exactly its rule."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from _properties import (
    LOWER,
    assert_breaks_exactly,
    assert_complies,
    at_edge,
    check,
    edge_property,
    no_deadline,
)
from genesys_compliance import Policy
from genesys_compliance.strategies import mutable_rules, mutate, routing_strategies


@no_deadline
@given(data=st.data())
def test_every_generated_routing_strategy_complies(data: st.DataObject, gc_policy: Policy) -> None:
    strategy = data.draw(routing_strategies(gc_policy), label="routing strategy")
    assert_complies(check([strategy], gc_policy))


@no_deadline
@given(data=st.data())
def test_overflow_threshold_is_accepted_iff_a_positive_integer(
    data: st.DataObject, gc_policy: Policy
) -> None:
    threshold = data.draw(
        st.one_of(st.integers(), st.floats(), st.booleans(), st.text(), st.none()),
        label="threshold",
    )
    strategy = data.draw(routing_strategies(gc_policy), label="routing strategy")
    strategy["metadata"].pop("peak", None)
    strategy["spec"]["overflow"] = {
        "rules": [{"condition": "waitTime", "threshold": threshold, "action": "routeToNextQueue"}]
    }
    valid = type(threshold) is int and threshold >= 1
    failing = [(f.rule_id, f.pointer) for f in check([strategy], gc_policy).failing()]
    if isinstance(threshold, float) and not math.isfinite(threshold):
        # NaN and infinity cannot travel in the API's JSON: the loader refuses the file
        assert failing == [("config/parse", "")]
    else:
        assert failing == ([] if valid else [("strategy/overflow", "/spec/overflow/rules/0")])


@pytest.mark.parametrize("edge", LOWER)
@edge_property
@given(data=st.data())
def test_overflow_threshold_at_its_floor(edge: str, data: st.DataObject, gc_policy: Policy) -> None:
    strategy = data.draw(routing_strategies(gc_policy), label="routing strategy")
    strategy["metadata"].pop("peak", None)
    rules = strategy["spec"].setdefault("overflow", {"rules": []})["rules"]
    if not rules:
        rules.append({"condition": "waitTime", "threshold": 30, "action": "routeToNextQueue"})
    index = data.draw(st.integers(0, len(rules) - 1), label="overflow rule")
    rules[index]["threshold"] = value = at_edge(edge, 1)
    failing = [(f.rule_id, f.pointer) for f in check([strategy], gc_policy).failing()]
    below = [("strategy/overflow", f"/spec/overflow/rules/{index}")]
    assert failing == ([] if edge == "lower" else below), f"threshold {value}"


@pytest.mark.parametrize(
    "rule_id", [r for r in mutable_rules("RoutingStrategy") if r.startswith("strategy/")]
)
@no_deadline
@given(data=st.data())
def test_a_mutated_routing_strategy_breaks_exactly_its_rule(
    rule_id: str, data: st.DataObject, gc_policy: Policy
) -> None:
    strategy = data.draw(routing_strategies(gc_policy), label="valid routing strategy")
    mutation = mutate(strategy, rule_id, data, policy=gc_policy)
    assume(mutation is not None)
    assert mutation is not None
    assert_breaks_exactly(mutation, gc_policy)
