import base64
import threading
import time
from urllib.parse import parse_qs

import httpx
import pytest

from genesys_compliance.client import VirtualClock
from genesys_compliance.errors import AuthError
from genesys_compliance.simorg import simorg_router
from tests.api_support import (
    CI_CLIENT,
    CI_SECRET,
    LOGIN,
    TECH_SUPPORT,
    issued_tokens,
    make_client,
    make_org,
)


def test_token_request_uses_basic_auth_and_a_form_body_on_the_login_host() -> None:
    org = make_org()
    client, router = make_client(org)
    client.get_queue(TECH_SUPPORT)
    (call,) = router.routes["postOAuthToken"].calls
    request = call.request
    assert str(request.url) == f"{LOGIN}/oauth/token"
    scheme, _, value = request.headers["authorization"].partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(value).decode() == f"{CI_CLIENT}:{CI_SECRET}"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.content.decode()) == {"grant_type": ["client_credentials"]}
    api_call = router.routes["getQueue"].calls.last.request
    assert api_call.headers["authorization"] == f"Bearer {issued_tokens(router)[0]}"


def test_the_token_is_cached_across_calls() -> None:
    org = make_org()
    client, router = make_client(org)
    for _ in range(5):
        client.get_queue(TECH_SUPPORT)
    assert client.token_fetches == 1
    assert router.routes["postOAuthToken"].call_count == 1
    assert router.routes["getQueue"].call_count == 5


def test_the_token_is_refreshed_before_it_expires() -> None:
    clock = VirtualClock()
    org = make_org(clock=clock, token_lifetime=3600)
    client, router = make_client(org, refresh_margin=60)
    client.get_queue(TECH_SUPPORT)
    clock.advance(3600 - 61)
    client.get_queue(TECH_SUPPORT)
    assert client.token_fetches == 1
    clock.advance(2)  # now inside the margin: refresh before the org would refuse it
    client.get_queue(TECH_SUPPORT)
    assert client.token_fetches == 2
    assert router.routes["getQueue"].call_count == 3
    assert all(c.response.status_code == 200 for c in router.routes["getQueue"].calls)


def test_a_401_refreshes_the_token_once_and_replays_the_request() -> None:
    org = make_org()
    client, router = make_client(org)
    client.get_queue(TECH_SUPPORT)
    org.expire_tokens()
    assert client.get_queue(TECH_SUPPORT)["name"] == "Technical Support"
    statuses = [c.response.status_code for c in router.routes["getQueue"].calls]
    assert statuses == [200, 401, 200]
    assert client.token_fetches == 2


def test_a_401_after_the_refresh_is_an_auth_error_not_a_loop() -> None:
    org = make_org(token_lifetime=0.5)
    clock = org.clock
    assert isinstance(clock, VirtualClock)

    def expiring(request: httpx.Request) -> httpx.Response:
        response = org(request)
        clock.advance(1)  # every token is dead by the time it is used
        return response

    router = simorg_router(org)
    for route in router.routes:
        route.side_effect = expiring
    client, _ = make_client(org, router=router, refresh_margin=0)
    with pytest.raises(AuthError) as info:
        client.get_queue(TECH_SUPPORT)
    assert info.value.status == 401
    assert info.value.code == "authentication.required"
    assert router.routes["getQueue"].call_count == 2


def test_wrong_secret_is_one_clear_auth_error() -> None:
    org = make_org()
    client, router = make_client(org, secret="not-the-secret-at-all")
    with pytest.raises(AuthError) as info:
        client.authenticate()
    assert info.value.status == 401
    assert info.value.code == "invalid_client"
    assert f"the token endpoint refused client '{CI_CLIENT}'" in str(info.value)
    assert "not-the-secret-at-all" not in str(info.value)
    assert router.routes["postOAuthToken"].call_count == 1  # refusals are not retried


def test_one_refresh_at_a_time_across_threads() -> None:
    org = make_org()
    # A slow token endpoint on the real clock makes the threads pile up behind the lock.
    real_org_call = org.__call__

    def slow_token(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            time.sleep(0.05)
        return real_org_call(request)

    router = simorg_router(org)
    for route in router.routes:
        route.side_effect = slow_token
    client, _ = make_client(org, router=router)
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            client.get_queue(TECH_SUPPORT)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert client.token_fetches == 1
    assert router.routes["postOAuthToken"].call_count == 1

    # Eight concurrent 401s on the same dead token also cost a single refresh.
    org.expire_tokens()
    threads = [threading.Thread(target=work) for _ in range(8)]
    barrier.reset()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert client.token_fetches == 2
