import collections
import itertools

import httpx
import pytest

from genesys_compliance.client import RateLimiter, VirtualClock
from genesys_compliance.simorg import simorg_router
from tests.api_support import TECH_SUPPORT, make_client, make_org


def _max_in_any_window(times: list[float], window: float = 60.0) -> int:
    best = 0
    recent: collections.deque[float] = collections.deque()
    for t in sorted(times):
        recent.append(t)
        while recent[0] <= t - window:
            recent.popleft()
        best = max(best, len(recent))
    return best


def _schedule(limiter: RateLimiter, clock: VirtualClock, sends: int) -> list[float]:
    starts = []
    for _ in range(sends):
        limiter.acquire()
        starts.append(clock.now())
    return starts


def test_limiter_alone_never_exceeds_its_budget_in_any_minute() -> None:
    clock = VirtualClock()
    limiter = RateLimiter(300, clock=clock)
    starts = _schedule(limiter, clock, 1000)
    assert _max_in_any_window(starts) == 300
    # Evenly spaced after a burst of 10: 990 intervals of 60/291 s, not three bursts of 300.
    assert (limiter.share, limiter.interval) == (300, pytest.approx(60 / 291))
    assert clock.now() == pytest.approx(990 * 60 / 291)


def test_the_budget_is_spread_over_the_minute_not_sent_at_once() -> None:
    clock = VirtualClock()
    limiter = RateLimiter(300, clock=clock)
    starts = _schedule(limiter, clock, 300)
    assert starts.count(0.0) == 10  # a small burst, then spacing
    assert _max_in_any_window(starts, window=10.0) <= 10 + 50
    gaps = [b - a for a, b in itertools.pairwise(starts[9:])]
    assert max(gaps) == pytest.approx(min(gaps)) == pytest.approx(60 / 291)
    assert starts[-1] == pytest.approx(290 * 60 / 291)  # the minute's budget takes the minute


def test_two_workers_on_one_oauth_client_keep_to_its_budget_together() -> None:
    """Two processes, each with its own clock and limiter, started at the same instant."""
    arrivals: list[float] = []
    limiters = []
    for _ in range(2):
        clock = VirtualClock()
        limiter = RateLimiter(300, clock=clock, processes=2)
        arrivals += _schedule(limiter, clock, 300)
        limiters.append(limiter)
    assert [lim.share for lim in limiters] == [150, 150]
    assert _max_in_any_window(arrivals) <= 300
    assert max(arrivals) >= 120  # 600 requests at 300 a minute take two minutes
    # The first 300 are not sent at once: a burst of 5 each, then about 5 a second in all.
    assert arrivals.count(0.0) == 10
    assert sum(1 for t in arrivals if t < 1.0) <= 15
    assert _max_in_any_window(arrivals, window=10.0) <= 60


def test_a_share_that_does_not_divide_rounds_down_so_the_sum_stays_in_budget() -> None:
    arrivals: list[float] = []
    for _ in range(7):
        clock = VirtualClock()
        limiter = RateLimiter(300, clock=clock, processes=7)
        assert limiter.share == 42
        arrivals += _schedule(limiter, clock, 100)
    assert _max_in_any_window(arrivals) <= 300


def test_the_orgs_limit_is_shared_too() -> None:
    limiter = RateLimiter(300, clock=VirtualClock(), processes=2)
    limiter.observe(httpx.Headers({"inin-ratelimit-allowed": "120"}))
    assert (limiter.budget, limiter.share) == (120, 60)


def test_limiter_rejects_nonsense() -> None:
    clock = VirtualClock()
    with pytest.raises(ValueError, match="processes"):
        RateLimiter(300, clock=clock, processes=0)
    with pytest.raises(ValueError, match="burst"):
        RateLimiter(300, clock=clock, burst=0)
    with pytest.raises(ValueError, match="exceeds"):
        RateLimiter(300, clock=clock, processes=10, burst=31)


def test_limiter_obeys_the_orgs_headers() -> None:
    clock = VirtualClock()
    limiter = RateLimiter(300, clock=clock)
    limiter.observe(
        httpx.Headers(
            {
                "inin-ratelimit-count": "120",
                "inin-ratelimit-allowed": "120",
                "inin-ratelimit-reset": "42",
            }
        )
    )
    assert limiter.budget == 120  # the org allows less than we assumed
    assert limiter.acquire() == 42  # and says this window is spent
    limiter.observe(
        httpx.Headers({"inin-ratelimit-count": "oops", "inin-ratelimit-allowed": "120"})
    )
    assert limiter.acquire() == 0


def test_client_stays_under_300_a_minute_against_the_org_on_a_virtual_clock() -> None:
    org = make_org()
    arrivals: list[float] = []

    def timed(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/api/"):
            arrivals.append(org.clock.now())
        return org(request)

    router = simorg_router(org)
    for route in router.routes:
        route.side_effect = timed
    client, _ = make_client(org, router=router)
    for _ in range(700):
        client.get_queue(TECH_SUPPORT)
    statuses = collections.Counter(c.response.status_code for c in router.routes["getQueue"].calls)
    assert statuses == {200: 700}, statuses  # not one 429
    assert _max_in_any_window(arrivals) <= 300
    assert org.clock.now() >= 120  # 700 requests cannot fit in less than two full windows


def test_without_the_limiter_the_org_answers_429() -> None:
    """The control for the test above: the org really enforces 300 a minute."""
    org = make_org()
    token = org.issue_token("0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e")
    statuses: collections.Counter[int] = collections.Counter()
    for _ in range(301):
        response = org(
            httpx.Request(
                "GET",
                f"https://api.mypurecloud.com/api/v2/routing/queues/{TECH_SUPPORT}",
                headers={"Authorization": f"Bearer {token}"},
            )
        )
        statuses[response.status_code] += 1
    assert statuses == {200: 300, 429: 1}


def test_token_requests_count_against_the_budget() -> None:
    """Short-lived tokens make a token request every few calls; they share the budget."""
    org = make_org(token_lifetime=10)
    arrivals: list[float] = []

    def timed(request: httpx.Request) -> httpx.Response:
        arrivals.append(org.clock.now())
        return org(request)

    router = simorg_router(org)
    for route in router.routes:
        route.side_effect = timed
    client, _ = make_client(org, router=router, requests_per_minute=60)
    for _ in range(200):
        client.get_queue(TECH_SUPPORT)
    assert _max_in_any_window(arrivals) <= 60
    assert router.routes["getQueue"].call_count == 200
    assert client.token_fetches >= 30  # evenly spaced calls outlive a 10 s token often


def test_a_client_keeps_to_its_share_of_the_budget() -> None:
    org = make_org()
    client, _ = make_client(org, processes=4)
    assert (client.rate_limiter.budget, client.rate_limiter.share) == (300, 75)
