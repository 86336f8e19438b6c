import collections

import httpx

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


def test_limiter_alone_never_exceeds_its_budget_in_any_minute() -> None:
    clock = VirtualClock()
    limiter = RateLimiter(300, clock=clock)
    starts = []
    for _ in range(1000):
        limiter.acquire()
        starts.append(clock.now())
    assert _max_in_any_window(starts) == 300
    # 1000 sends at 300/min need a bit over three minutes, and no more.
    assert 180 <= clock.now() <= 181


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
