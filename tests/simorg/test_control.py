"""The control interface in process: off unless asked for, loopback only, strict, and equal
to ``org.faults``.

Served through httpx's WSGI transport, so these tests need no socket; the
over-HTTP tests (``test_control_http.py``) run the same interface in a real
server process.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from genesys_compliance.simorg import SimOrgControl, wsgi_app
from tests.api_support import ESCALATION_RULE, TECH_SUPPORT, bearer, make_org

LOOPBACK = "http://127.0.0.1:8089"


def _control_http(org: Any, *, control: bool = True, peer: str = "127.0.0.1") -> httpx.Client:
    transport = httpx.WSGITransport(app=wsgi_app(org, control=control), remote_addr=peer)
    return httpx.Client(transport=transport, base_url=LOOPBACK)


def _remote(org: Any, *, control: bool = True) -> SimOrgControl:
    transport = httpx.WSGITransport(app=wsgi_app(org, control=control))
    return SimOrgControl(LOOPBACK, transport=transport)


def test_without_the_flag_the_control_paths_are_the_org_s_own_404() -> None:
    org = make_org()
    with _control_http(org, control=False) as http:
        answer = http.post("/_simorg/faults", json={"kind": "rate_limit"})
    assert answer.status_code == 404
    assert answer.json()["code"] == "not.found"
    assert "--control" in answer.json()["message"]
    assert answer.json()["contextId"] == answer.headers["ININ-Correlation-Id"]
    assert org.faults.pending == ()
    with _remote(org, control=False) as remote, pytest.raises(RuntimeError, match="--control"):
        remote.faults.rate_limit()


def test_only_loopback_peers_may_control_the_org() -> None:
    org = make_org()
    with _control_http(org, peer="192.0.2.7") as http:
        refused = http.post("/_simorg/faults", json={"kind": "rate_limit"})
    assert refused.status_code == 403
    assert org.faults.pending == ()
    with _control_http(org, peer="::1") as http:
        assert http.get("/_simorg/faults").status_code == 200


def test_the_control_client_refuses_an_address_that_is_not_loopback() -> None:
    with pytest.raises(ValueError, match="loopback only"):
        SimOrgControl("https://api.mypurecloud.com")
    with pytest.raises(ValueError, match="loopback only"):
        SimOrgControl("http://10.0.0.8:8089")
    for url in ("http://localhost:8089", "http://[::1]:8089", "http://127.0.0.2:1"):
        SimOrgControl(url).close()


def test_faults_scheduled_remotely_are_the_faults_org_faults_would_hold() -> None:
    org = make_org()
    with _remote(org) as remote:
        scheduled = [
            remote.faults.rate_limit(times=2, retry_after=5, method="GET", path="/api/v2/*"),
            remote.faults.server_error(status=500, operation="getQueue"),
            remote.faults.latency(0.1, times=3),
            remote.faults.drop_connection(after_processing=True, operation="createRoutingRule"),
            remote.faults.concurrent_write(
                entity_type="routingRules",
                entity_id=ESCALATION_RULE,
                field="/enabled",
                value=False,
                client_id="colleague-ui",
            ),
        ]
        assert [f.to_json() for f in scheduled] == [f.to_json() for f in org.faults.pending]
        assert remote.faults.pending == org.faults.pending
        assert remote.faults.cancel(scheduled[1].id) is True
        assert remote.faults.cancel(scheduled[1].id) is False
        with pytest.raises(ValueError, match="outside RoutingRuleEntity"):
            remote.faults.concurrent_write(
                entity_type="routingRules", entity_id=ESCALATION_RULE, field="/name", value=7
            )
        assert remote.faults.clear() == 4
        assert org.faults.pending == ()
        assert remote.set_latency(0.5) == 0.5
        assert (org.latency, remote.latency()) == (0.5, 0.5)


def test_the_request_log_is_read_through_the_control_interface() -> None:
    org = make_org()
    auth = bearer(org)
    org.faults.server_error(status=503, operation="getQueue")
    with _control_http(org) as http:
        answer = http.get(f"/api/v2/routing/queues/{TECH_SUPPORT}", headers=auth)
        assert answer.status_code == 503
        with _remote(org) as remote:
            entry = remote.handled(answer.headers["ININ-Correlation-Id"])
            assert entry is not None
            assert (entry.operation_id, entry.status, entry.faults) == (
                "getQueue",
                503,
                ("fault-1",),
            )
            assert remote.requests(after=entry.seq) == ()


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "says"),
    [
        ("POST", "/_simorg/faults", {"kind": "explode"}, 400, "unknown fault kind"),
        ("POST", "/_simorg/faults", {"kind": "latency", "operation": "x"}, 400, "unknown oper"),
        ("POST", "/_simorg/faults", [1], 400, "a JSON object"),
        ("PATCH", "/_simorg/faults", None, 405, "GET, POST, DELETE"),
        ("GET", "/_simorg/faults/fault-9", None, 404, "no pending fault"),
        ("DELETE", "/_simorg/faults/fault-9", None, 404, "no pending fault"),
        ("GET", "/_simorg/requests?after=x", None, 400, "sequence number"),
        ("PUT", "/_simorg/latency", {"seconds": -1}, 400, "at least 0"),
        ("PUT", "/_simorg/latency", {"seconds": "1"}, 400, "must be a number"),
        ("PUT", "/_simorg/latency", {"ms": 1}, 400, "seconds"),
        ("GET", "/_simorg/nothing", None, 404, "no control endpoint"),
        ("GET", "/_simorg", None, 200, "POST /_simorg/faults"),
    ],
)  # fmt: skip
def test_the_control_interface_answers_plainly(
    method: str, path: str, body: Any, status: int, says: str
) -> None:
    org = make_org()
    with _control_http(org) as http:
        answer = http.request(method, path, json=body)
    assert answer.status_code == status
    assert says in answer.text
    assert org.faults.pending == ()
    assert org.latency == 0.0
