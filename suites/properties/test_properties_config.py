"""Rules every kind shares (config/*): valid files pass, each mutation fails exactly once.

Configurations of every kind go through the same loader and envelope
checks; these properties draw the kind too. The kinds' own duplicate rules
(strategy/duplicate-media, routing-rule/duplicate-name) are in their suites.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, event, given
from hypothesis import strategies as st

from _properties import assert_breaks_exactly, assert_complies, check, no_deadline
from genesys_compliance import Policy
from genesys_compliance.strategies import configurations, mutable_rules, mutate

# SPEC 2: metadata.name is [a-z0-9][a-z0-9-]{0,62}, the whole of it.
NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
SHARED = [r for r in mutable_rules() if r.startswith("config/")]
KINDS = ("DesktopLayout", "FlowSettings", "RoutingStrategy", "TriggerRule", "RoutingRule")
KINDS_OF = {rule_id: [k for k in KINDS if rule_id in mutable_rules(k)] for rule_id in SHARED}


@no_deadline
@given(data=st.data())
def test_every_generated_configuration_complies(data: st.DataObject, gc_policy: Policy) -> None:
    config = data.draw(configurations(gc_policy), label="configuration")
    event(config["kind"])
    assert_complies(check([config], gc_policy))


@no_deadline
@given(data=st.data())
def test_any_name_is_accepted_iff_it_fits_the_name_grammar(
    data: st.DataObject, gc_policy: Policy
) -> None:
    config = data.draw(configurations(gc_policy), label="configuration")
    name = data.draw(
        st.one_of(
            st.from_regex(NAME, fullmatch=True),
            st.sampled_from(("agent\n", "Agent", "-agent", "a" * 64, "agent default")),
            st.text(),
        ),
        label="name",
    )
    config["metadata"]["name"] = name
    failing = [(f.rule_id, f.pointer) for f in check([config], gc_policy).failing()]
    assert failing == ([] if NAME.fullmatch(name) else [("config/envelope", "/metadata/name")])


@pytest.mark.parametrize("rule_id", SHARED)
@no_deadline
@given(data=st.data())
def test_a_mutated_configuration_breaks_exactly_its_rule(
    rule_id: str, data: st.DataObject, gc_policy: Policy
) -> None:
    config = data.draw(
        configurations(gc_policy, kinds=KINDS_OF[rule_id]), label="valid configuration"
    )
    mutation = mutate(config, rule_id, data, policy=gc_policy)
    assume(mutation is not None)
    assert mutation is not None
    assert_breaks_exactly(mutation, gc_policy)
