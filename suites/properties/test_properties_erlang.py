"""Erlang C (strategy/peak-load) against exact rational arithmetic and against monotonicity.

The library computes Erlang C with the stable Erlang B recurrence in floats;
the oracle here is the textbook formula in :class:`fractions.Fraction`, exact
for the small queues it can afford.
"""

from __future__ import annotations

import math
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from _properties import check, no_deadline
from genesys_compliance import Policy, erlang_c, mean_queue_length, service_level
from genesys_compliance.kinds import erlang_b
from genesys_compliance.strategies import routing_strategies

MAX_AGENTS = 40


def _terms(agents: int, load: Fraction) -> list[Fraction]:
    """``A**k / k!`` for k = 0..N, exactly."""
    out, term = [Fraction(1)], Fraction(1)
    for k in range(1, agents + 1):
        term = term * load / k
        out.append(term)
    return out


def exact_erlang_b(agents: int, load: Fraction) -> Fraction:
    terms = _terms(agents, load)
    return terms[-1] / sum(terms)


def exact_erlang_c(agents: int, load: Fraction) -> Fraction:
    """Textbook Erlang C: ``(A^N/N! · N/(N-A)) / (Σ_{k<N} A^k/k! + A^N/N! · N/(N-A))``."""
    terms = _terms(agents, load)
    top = terms[-1] * agents / (agents - load)
    return top / (sum(terms[:-1]) + top)


@st.composite
def stable_queues(draw: st.DrawFn) -> tuple[int, Fraction]:
    """``(agents, load)`` with ``0 < load < agents``, load a small fraction."""
    agents = draw(st.integers(1, MAX_AGENTS), label="agents")
    denominator = draw(st.integers(2, 8), label="load denominator")
    numerator = draw(st.integers(1, agents * denominator - 1), label="load numerator")
    return agents, Fraction(numerator, denominator)


def _close(got: float, exact: Fraction) -> bool:
    return math.isclose(got, float(exact), rel_tol=1e-9, abs_tol=1e-12)


@no_deadline
@given(stable_queues())
def test_erlang_c_matches_the_textbook_formula_exactly_computed(
    queue: tuple[int, Fraction],
) -> None:
    agents, load = queue
    assert _close(erlang_c(agents, float(load)), exact_erlang_c(agents, load))


@no_deadline
@given(stable_queues())
def test_erlang_b_and_queue_length_match_exact_arithmetic(queue: tuple[int, Fraction]) -> None:
    agents, load = queue
    assert _close(erlang_b(agents, float(load)), exact_erlang_b(agents, load))
    exact_lq = exact_erlang_c(agents, load) * load / (agents - load)
    assert _close(mean_queue_length(agents, float(load)), exact_lq)


@no_deadline
@given(stable_queues(), st.integers(0, 120), st.integers(1, 900))
def test_service_level_follows_from_exact_erlang_c(
    queue: tuple[int, Fraction], within: int, handle: int
) -> None:
    agents, load = queue
    waiting = float(exact_erlang_c(agents, load))
    expected = 1 - waiting * math.exp(-float(agents - load) * within / handle)
    got = service_level(agents, float(load), float(handle), float(within))
    assert math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-12)


@no_deadline
@given(st.integers(1, 200), st.floats(min_value=0, max_value=250, allow_nan=False))
def test_one_more_agent_never_raises_the_waiting_probability(agents: int, load: float) -> None:
    assert erlang_c(agents + 1, load) <= erlang_c(agents, load)
    assert mean_queue_length(agents + 1, load) <= mean_queue_length(agents, load)


@no_deadline
@given(
    st.integers(1, 200),
    st.floats(min_value=0, max_value=250, allow_nan=False),
    st.floats(min_value=0, max_value=250, allow_nan=False),
)
def test_more_load_never_lowers_the_waiting_probability(agents: int, a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert erlang_c(agents, low) <= erlang_c(agents, high)


@no_deadline
@given(data=st.data())
def test_peak_load_warns_unstable_iff_exact_load_reaches_the_agents(
    data: st.DataObject, gc_policy: Policy
) -> None:
    strategy = data.draw(routing_strategies(gc_policy), label="routing strategy")
    agents = data.draw(st.integers(1, MAX_AGENTS), label="agents")
    handle = data.draw(st.integers(1, 900), label="avgHandleSeconds")
    # Around the edge: arrivals that put the offered load just below, at and above the agents.
    edge = 3600 * agents // handle
    arrivals = data.draw(
        st.one_of(st.integers(max(1, edge - 2), edge + 2), st.integers(1, 20_000)),
        label="arrivalsPerHour",
    )
    strategy["metadata"].pop("waivers", None)
    strategy["metadata"]["peak"] = {
        "arrivalsPerHour": arrivals,
        "avgHandleSeconds": handle,
        "agents": agents,
    }
    warned = [
        f for f in check([strategy], gc_policy).ids("strategy/peak-load") if "unstable" in f.message
    ]
    assert bool(warned) == (Fraction(arrivals * handle, 3600) >= agents)
