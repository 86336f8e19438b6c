"""FlowSettings properties: ids against the UUID grammar, maxWaitTime against its range."""

from __future__ import annotations

import re

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
    no_deadline,
)
from genesys_compliance import Policy
from genesys_compliance.strategies import flow_settings, mutable_rules, mutate

# RFC 4122 text form, lowercase, and nothing else: not even a trailing newline.
LOWERCASE_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@st.composite
def _id_texts(draw: st.DrawFn) -> str:
    """Any text, with valid UUIDs and their near misses well represented."""
    valid = str(draw(st.uuids()))
    return draw(
        st.one_of(
            st.just(valid),
            st.sampled_from((valid.upper(), valid + "\n", " " + valid, valid[:-1], valid + "0")),
            st.text(),
        )
    )


@no_deadline
@given(data=st.data())
def test_every_generated_flow_complies(data: st.DataObject, gc_policy: Policy) -> None:
    assert_complies(check([data.draw(flow_settings(gc_policy), label="flow")], gc_policy))


@no_deadline
@given(data=st.data())
def test_any_flow_id_is_accepted_iff_it_is_a_lowercase_uuid(
    data: st.DataObject, gc_policy: Policy
) -> None:
    flow = data.draw(flow_settings(gc_policy), label="flow")
    flow["spec"]["flowId"] = flow_id = data.draw(_id_texts(), label="flowId")
    failing = [(f.rule_id, f.pointer) for f in check([flow], gc_policy).failing()]
    expected = [] if LOWERCASE_UUID.fullmatch(flow_id) else [("flow/id-format", "/spec/flowId")]
    assert failing == expected


@no_deadline
@given(data=st.data())
def test_max_wait_is_accepted_iff_an_integer_within_range(
    data: st.DataObject, gc_policy: Policy
) -> None:
    limit = gc_policy.max_wait_seconds
    value = data.draw(
        st.one_of(
            st.sampled_from((0, 1, limit, limit + 1)),
            st.integers(),
            st.floats(allow_nan=False, allow_infinity=False),
            st.booleans(),
            st.text(),
        ),
        label="maxWaitTime",
    )
    flow = data.draw(flow_settings(gc_policy), label="flow")
    flow["spec"]["settings"]["routing"]["maxWaitTime"] = value
    valid = type(value) is int and 1 <= value <= limit
    failing = [(f.rule_id, f.pointer) for f in check([flow], gc_policy).failing()]
    assert failing == ([] if valid else [("flow/max-wait", "/spec/settings/routing/maxWaitTime")])


@pytest.mark.parametrize("edge", LOWER + UPPER)
@edge_property
@given(data=st.data())
def test_max_wait_at_each_edge(edge: str, data: st.DataObject, gc_policy: Policy) -> None:
    value = at_edge(edge, 1, gc_policy.max_wait_seconds)
    flow = data.draw(flow_settings(gc_policy), label="flow")
    flow["spec"]["settings"]["routing"]["maxWaitTime"] = value
    failing = [(f.rule_id, f.pointer) for f in check([flow], gc_policy).failing()]
    outside = [("flow/max-wait", "/spec/settings/routing/maxWaitTime")]
    assert failing == ([] if edge in ("lower", "upper") else outside), f"maxWaitTime {value}"


@pytest.mark.parametrize(
    "rule_id", [r for r in mutable_rules("FlowSettings") if r.startswith("flow/")]
)
@no_deadline
@given(data=st.data())
def test_a_mutated_flow_breaks_exactly_its_rule(
    rule_id: str, data: st.DataObject, gc_policy: Policy
) -> None:
    flow = data.draw(flow_settings(gc_policy), label="valid flow")
    mutation = mutate(flow, rule_id, data, policy=gc_policy)
    assume(mutation is not None)
    assert mutation is not None
    assert_breaks_exactly(mutation, gc_policy)
