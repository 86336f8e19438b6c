from collections.abc import Callable

import httpx
import pytest
import respx

from genesys_compliance.client import GenesysClient, RetryPolicy, VirtualClock
from genesys_compliance.client._retry import parse_retry_after
from genesys_compliance.errors import ApiError, ConflictError, RateLimitedError, TransportError
from tests.api_support import BILLING, ESCALATION_RULE, TECH_SUPPORT, make_client, make_org


def _sleeps_after(clock: VirtualClock, start: int) -> list[float]:
    return list(clock.sleeps[start:])


def test_429_honours_retry_after_then_succeeds() -> None:
    org = make_org()
    client, router = make_client(org)
    client.authenticate()
    clock = org.clock
    assert isinstance(clock, VirtualClock)
    before, start = clock.now(), len(clock.sleeps)
    org.faults.rate_limit(times=2, retry_after=7, operation="getQueue")
    assert client.get_queue(TECH_SUPPORT)["id"] == TECH_SUPPORT
    assert [c.response.status_code for c in router.routes["getQueue"].calls] == [429, 429, 200]
    assert _sleeps_after(clock, start) == [7, 7]
    assert clock.now() - before == 14


def test_429_is_retried_for_writes_too_because_the_org_did_not_process_them() -> None:
    org = make_org()
    client, router = make_client(org)
    org.faults.rate_limit(times=1, retry_after=3, operation="createRoutingRule")
    rule = client.create_routing_rule(
        BILLING,
        {
            "name": "New",
            "expression": {"type": "condition", "field": "skill", "operator": "exists"},
        },
    )
    assert rule["version"] == 1
    assert router.routes["createRoutingRule"].call_count == 2
    assert sum(1 for r in org.state.routing_rules.values() if r["name"] == "New") == 1


def test_429_after_the_attempts_allowed_is_rate_limited_error() -> None:
    org = make_org()
    client, router = make_client(org, retry=RetryPolicy(max_attempts=3))
    org.faults.rate_limit(times=None, retry_after=2, operation="getQueue")
    with pytest.raises(RateLimitedError) as info:
        client.get_queue(TECH_SUPPORT)
    assert info.value.retry_after == 2
    assert info.value.status == 429
    assert info.value.correlation_id
    assert router.routes["getQueue"].call_count == 3


def test_a_retry_after_beyond_the_cap_is_not_waited_for() -> None:
    org = make_org()
    client, router = make_client(org, retry=RetryPolicy(max_retry_after=60))
    org.faults.rate_limit(times=1, retry_after=3600, operation="getQueue")
    with pytest.raises(RateLimitedError):
        client.get_queue(TECH_SUPPORT)
    assert router.routes["getQueue"].call_count == 1


def test_5xx_on_a_safe_request_backs_off_with_jitter() -> None:
    org = make_org()
    policy = RetryPolicy(max_attempts=4, backoff_base=0.5, backoff_cap=8.0)
    client, router = make_client(org, retry=policy)
    client.authenticate()
    clock = org.clock
    assert isinstance(clock, VirtualClock)
    start = len(clock.sleeps)
    org.faults.server_error(times=3, status=503, operation="getQueue")
    assert client.get_queue(TECH_SUPPORT)["name"] == "Technical Support"
    waits = _sleeps_after(clock, start)
    assert len(waits) == 3
    for retry, wait in enumerate(waits, start=1):
        assert 0 <= wait <= min(8.0, 0.5 * 2 ** (retry - 1))
    assert len(set(waits)) == 3  # jittered, not a fixed schedule
    assert router.routes["getQueue"].call_count == 4


def test_5xx_after_the_attempts_allowed_is_an_api_error() -> None:
    org = make_org()
    client, router = make_client(org, retry=RetryPolicy(max_attempts=2))
    org.faults.server_error(times=None, status=500, operation="getQueue")
    with pytest.raises(ApiError) as info:
        client.get_queue(TECH_SUPPORT)
    assert type(info.value) is ApiError
    assert info.value.status == 500
    assert info.value.code == "internal.server.error"
    assert router.routes["getQueue"].call_count == 2


EXPRESSION = {"type": "condition", "field": "skill", "operator": "exists"}
WRITES: dict[str, Callable[[GenesysClient], object]] = {
    "createRoutingRule": lambda c: c.create_routing_rule(
        BILLING, {"name": "N", "expression": EXPRESSION}
    ),
    "patchRoutingRule": lambda c: c.patch_routing_rule(
        ESCALATION_RULE, {"name": "N", "expression": EXPRESSION, "version": 4}
    ),
}


@pytest.mark.parametrize("operation", sorted(WRITES))
def test_5xx_on_a_write_is_not_resent(operation: str) -> None:
    org = make_org()
    client, router = make_client(org)
    org.faults.server_error(times=1, status=503, operation=operation)
    write = WRITES[operation]
    with pytest.raises(ApiError) as info:
        write(client)
    assert info.value.status == 503
    assert router.routes[operation].call_count == 1


def test_a_transport_error_on_a_safe_request_is_retried() -> None:
    org = make_org()
    client, router = make_client(org)
    org.faults.drop_connection(times=2, operation="getQueueStrategies")
    assert client.get_queue_strategies(TECH_SUPPORT)["version"] == 3
    assert router.routes["getQueueStrategies"].call_count == 3
    assert [
        e.error is not None for e in client.exchanges if e.operation_id == "getQueueStrategies"
    ] == [
        True,
        True,
        False,
    ]


def test_a_read_only_query_post_is_retried_after_a_transport_error() -> None:
    org = make_org()
    client, router = make_client(org)
    org.faults.drop_connection(times=1, operation="queryEntitlements")
    assert client.licence_count() == 120
    assert router.routes["queryEntitlements"].call_count == 2


def test_post_is_not_resent_after_a_dropped_connection() -> None:
    org = make_org()
    client, router = make_client(org)
    org.faults.drop_connection(times=1, after_processing=True, operation="createRoutingRule")
    with pytest.raises(TransportError) as info:
        client.create_routing_rule(
            BILLING,
            {
                "name": "Once",
                "expression": {"type": "condition", "field": "skill", "operator": "exists"},
            },
        )
    assert info.value.status is None
    assert "RemoteProtocolError" in str(info.value)
    assert router.routes["createRoutingRule"].call_count == 1
    # The org did create it: resending would have made a duplicate or a 409 the caller never caused.
    assert [r["name"] for r in org.state.routing_rules.values()].count("Once") == 1


def test_patch_is_not_resent_after_a_connect_error() -> None:
    org = make_org()
    client, router = make_client(org)
    flow = client.get_flow("a1b2c3d4-e5f6-7890-abcd-ef1234567890")
    org.faults.drop_connection(times=1, operation="patchFlowSettings")
    body = {
        "orgId": flow["orgId"],
        "flowId": flow["id"],
        "settings": flow["settings"],
        "version": flow["version"],
    }
    with pytest.raises(TransportError):
        client.patch_flow_settings(flow["id"], body)
    assert router.routes["patchFlowSettings"].call_count == 1
    assert org.state.flows[flow["id"]]["version"] == flow["version"]


def test_put_is_retried_after_a_5xx_because_its_version_guards_it() -> None:
    org = make_org()
    client, router = make_client(org)
    layout = client.get_layout("lay-agent-default")
    body = {k: v for k, v in layout.items() if k not in ("id", "selfUri", "modifiedDate")}
    org.faults.server_error(times=1, operation="updateDesktopLayout")
    assert client.update_layout("lay-agent-default", body)["version"] == layout["version"] + 1
    assert router.routes["updateDesktopLayout"].call_count == 2


def test_a_lost_put_response_surfaces_as_a_conflict_not_a_second_write() -> None:
    org = make_org()
    client, router = make_client(org)
    layout = client.get_layout("lay-agent-default")
    body = {k: v for k, v in layout.items() if k not in ("id", "selfUri", "modifiedDate")}
    org.faults.drop_connection(times=1, after_processing=True, operation="updateDesktopLayout")
    with pytest.raises(ConflictError) as info:
        client.update_layout("lay-agent-default", body)
    assert info.value.code == "version.mismatch"
    assert org.state.layouts["lay-agent-default"]["version"] == layout["version"] + 1
    assert router.routes["updateDesktopLayout"].call_count == 2


def test_token_endpoint_failures_are_retried() -> None:
    org = make_org()
    client, router = make_client(org)
    org.faults.server_error(times=1, operation="postOAuthToken")
    org.faults.drop_connection(times=1, operation="postOAuthToken")
    client.authenticate()
    assert router.routes["postOAuthToken"].call_count == 3
    assert client.token_fetches == 1


def test_a_token_endpoint_that_never_answers_is_a_transport_error() -> None:
    org = make_org()
    client, _ = make_client(org, retry=RetryPolicy(max_attempts=2))
    org.faults.drop_connection(times=None, operation="postOAuthToken")
    with pytest.raises(TransportError, match="token request failed"):
        client.authenticate()


def test_retry_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="negative"):
        RetryPolicy(backoff_base=-1)


def test_http_date_retry_after_is_understood() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", wall_now=1445412480.0) == 30.0
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def _answer_first(router: respx.MockRouter, operation: str, *responses: httpx.Response) -> None:
    """Make ``operation``'s first answers ``responses``, then let the org answer."""
    route = router.routes[operation]
    org_answer = route.side_effect
    queue = list(responses)

    def answer(request: httpx.Request) -> httpx.Response:
        if queue:
            return queue.pop(0)
        assert callable(org_answer)
        return org_answer(request)

    route.side_effect = answer


def test_503_on_a_safe_request_waits_as_retry_after_says() -> None:
    org = make_org()
    client, router = make_client(org)
    client.authenticate()
    clock = org.clock
    assert isinstance(clock, VirtualClock)
    start = len(clock.sleeps)
    _answer_first(router, "getQueue", httpx.Response(503, headers={"Retry-After": "9"}))
    assert client.get_queue(TECH_SUPPORT)["id"] == TECH_SUPPORT
    assert _sleeps_after(clock, start) == [9]
    assert router.routes["getQueue"].call_count == 2


def test_503_with_retry_after_on_a_write_is_still_not_resent() -> None:
    org = make_org()
    client, router = make_client(org)
    _answer_first(router, "createRoutingRule", httpx.Response(503, headers={"Retry-After": "1"}))
    with pytest.raises(ApiError) as info:
        WRITES["createRoutingRule"](client)
    assert info.value.status == 503
    assert router.routes["createRoutingRule"].call_count == 1


def test_a_token_429_waits_as_retry_after_says_through_the_limiter() -> None:
    org = make_org()
    client, router = make_client(org)
    clock = org.clock
    assert isinstance(clock, VirtualClock)
    _answer_first(router, "postOAuthToken", httpx.Response(429, headers={"Retry-After": "7"}))
    client.authenticate()
    assert clock.sleeps == (7,)
    assert router.routes["postOAuthToken"].call_count == 2
    assert client.token_fetches == 1


def test_a_token_429_beyond_the_cap_is_not_resent_early() -> None:
    """One retry loop: the token request honours ``Retry-After`` as API calls do."""
    org = make_org()
    client, router = make_client(org, retry=RetryPolicy(max_retry_after=60))
    _answer_first(router, "postOAuthToken", httpx.Response(429, headers={"Retry-After": "3600"}))
    with pytest.raises(RateLimitedError):
        client.authenticate()
    assert router.routes["postOAuthToken"].call_count == 1
