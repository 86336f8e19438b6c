"""Erlang B/C (kinds/_erlang.py): published table values, exact rational arithmetic, large
staffing without overflow, and the monotonicity the peak-load rule relies on."""

import itertools
import math
from fractions import Fraction

import pytest

from genesys_compliance.kinds import erlang_b, erlang_c, mean_queue_length, service_level


def exact_erlang_c(agents: int, load: Fraction) -> Fraction:
    """The textbook formula, in exact rationals::

    C(N, A) = (A^N / N! * N / (N - A)) / (sum_{k<N} A^k / k!  +  A^N / N! * N / (N - A))
    """
    top = load**agents / math.factorial(agents) * Fraction(agents) / (agents - load)
    return top / (sum(load**k / math.factorial(k) for k in range(agents)) + top)


def exact_erlang_b(agents: int, load: Fraction) -> Fraction:
    """B(N, A) = (A^N / N!) / sum_{k<=N} A^k / k!"""
    terms = [load**k / math.factorial(k) for k in range(agents + 1)]
    return terms[-1] / sum(terms)


@pytest.mark.parametrize(
    ("agents", "published"),
    [(11, 0.6821), (12, 0.4494), (13, 0.2853), (14, 0.1741)],
)
def test_matches_the_published_table_for_ten_erlangs(agents, published):
    assert round(erlang_c(agents, 10.0), 4) == published
    assert erlang_c(agents, 10.0) == pytest.approx(published, abs=5e-5)


LOADS = [Fraction(1, 2), Fraction(1), Fraction(3), Fraction(15, 2), Fraction(10), Fraction(39, 2)]


@pytest.mark.parametrize("load", LOADS, ids=str)
def test_matches_exact_rational_arithmetic_for_small_teams(load):
    for agents in range(math.floor(load) + 1, 41):
        exact = exact_erlang_c(agents, load)
        assert erlang_c(agents, float(load)) == pytest.approx(float(exact), rel=1e-12, abs=1e-300)
        assert erlang_b(agents, float(load)) == pytest.approx(
            float(exact_erlang_b(agents, load)), rel=1e-12, abs=1e-300
        )


@pytest.mark.parametrize("load", LOADS, ids=str)
def test_queue_length_and_service_level_follow_from_erlang_c(load):
    agents, handle, within = math.floor(load) + 2, 300.0, 20.0
    exact = float(exact_erlang_c(agents, load))
    a = float(load)
    assert mean_queue_length(agents, a) == pytest.approx(exact * a / (agents - a), rel=1e-12)
    assert service_level(agents, a, handle, within) == pytest.approx(
        1 - exact * math.exp(-(agents - a) * within / handle), rel=1e-12
    )


def test_a_thousand_agents_at_load_980_does_not_overflow():
    with pytest.raises(OverflowError):
        math.pow(980.0, 1000)  # the textbook formula in floats overflows here
    probability = erlang_c(1000, 980.0)
    assert 0.0 < probability < 1.0
    exact = exact_erlang_c(1000, Fraction(980))
    assert probability == pytest.approx(float(exact), rel=1e-9)
    assert math.isfinite(mean_queue_length(1000, 980.0))
    assert 0.0 < service_level(1000, 980.0, 240.0, 20.0) < 1.0


@pytest.mark.parametrize(("load", "agents"), [(10.0, range(11, 60)), (980.0, range(981, 1100))])
def test_more_agents_never_make_it_worse(load, agents):
    waits = [erlang_c(n, load) for n in agents]
    queues = [mean_queue_length(n, load) for n in agents]
    levels = [service_level(n, load, 300.0, 20.0) for n in agents]
    assert all(a > b for a, b in itertools.pairwise(waits))
    assert all(a > b for a, b in itertools.pairwise(queues))
    # the service level climbs until it rounds to 1.0 in floats, and stays there
    assert all(a < b or a == b == 1.0 for a, b in itertools.pairwise(levels))
    assert all(0.0 < p < 1.0 for p in waits)


def test_more_load_on_the_same_team_makes_it_worse():
    waits = [erlang_c(20, load / 10) for load in range(1, 200)]
    assert all(a < b for a, b in itertools.pairwise(waits))


@pytest.mark.parametrize(("agents", "load"), [(10, 10.0), (10, 12.5), (1, 1.0), (0, 3.0)])
def test_an_unstable_queue_always_waits(agents, load):
    assert erlang_c(agents, load) == 1.0
    assert mean_queue_length(agents, load) == math.inf
    assert service_level(agents, load, 300.0, 20.0) == 0.0


@pytest.mark.parametrize("agents", [0, 1, 12])
def test_no_load_never_waits(agents):
    assert erlang_c(agents, 0.0) == 0.0
    assert mean_queue_length(agents, 0.0) == 0.0
    assert service_level(agents, 0.0, 300.0, 20.0) == 1.0


def test_erlang_b_edges():
    assert erlang_b(0, 5.0) == 1.0
    assert erlang_b(1, 1.0) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="agents"):
        erlang_b(-1, 1.0)
