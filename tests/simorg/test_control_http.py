"""Faults scheduled from outside on a real server process, as apply's end-to-end tests will.

One server per module (``--control``, plus a colleague's OAuth client); each
test clears the faults it may leave and works on its own resources. Time is
never asserted from above: a request is shown to have waited at least the
latency, and the server reports the latency it applied.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from genesys_compliance.contract import Contract
from genesys_compliance.simorg import SimOrgControl
from tests.api_support import BILLING, ESCALATION_RULE, PRIMARY_FLOW, TECH_SUPPORT
from tests.simorg._served import api_client, audits_of, simorg_process

if TYPE_CHECKING:
    from collections.abc import Iterator

COLLEAGUE, COLLEAGUE_SECRET = "colleague-client", "colleague-secret-5e1f"
LATENCY = 0.25
# A float sum on one side, a monotonic difference on the other: allow a hair.
_EPSILON = 1e-3
CONTRACT = Contract.load()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    cwd = tmp_path_factory.mktemp("simorg")
    with simorg_process(cwd, "--control", "--client", f"{COLLEAGUE}:{COLLEAGUE_SECRET}") as url:
        yield url


@pytest.fixture
def control(server: str) -> Iterator[SimOrgControl]:
    with SimOrgControl(server) as remote:
        remote.faults.clear()
        yield remote
        remote.faults.clear()


@pytest.fixture
def api(server: str) -> Iterator[httpx.Client]:
    with api_client(server) as client:
        yield client


def _conforms(response: httpx.Response) -> httpx.Response:
    assert CONTRACT.validate_response(response.request, response) == [], response.text
    return response


def _new_rule(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "queue": {"id": BILLING},
        "expression": {"type": "condition", "field": "language", "operator": "eq", "value": "de"},
    }


def _rule_names(api: httpx.Client) -> list[str]:
    listing = _conforms(api.get("/api/v2/routing/rules", params={"queueId": BILLING}))
    return [r["name"] for r in listing.json()["entities"]]


def test_429_with_retry_after_for_the_next_n_requests_matching_method_and_path(
    control: SimOrgControl, api: httpx.Client
) -> None:
    control.faults.rate_limit(times=2, retry_after=4, method="GET", path="/api/v2/routing/queues/*")
    queue = f"/api/v2/routing/queues/{TECH_SUPPORT}"
    first = _conforms(api.get(queue))
    assert (first.status_code, first.headers["Retry-After"]) == (429, "4")
    assert _conforms(api.get(f"/api/v2/architect/flows/{PRIMARY_FLOW}")).status_code == 200
    assert _conforms(api.get(queue)).status_code == 429
    assert _conforms(api.get(queue)).status_code == 200
    assert control.faults.pending == ()


def test_5xx_for_the_next_request_carries_nothing_out(
    control: SimOrgControl, api: httpx.Client
) -> None:
    control.faults.server_error(status=503, method="POST", path="/api/v2/routing/rules")
    refused = _conforms(api.post("/api/v2/routing/rules", json=_new_rule("Refused once")))
    assert refused.status_code == 503
    assert "Refused once" not in _rule_names(api)
    assert api.post("/api/v2/routing/rules", json=_new_rule("Refused once")).status_code == 201
    assert _rule_names(api).count("Refused once") == 1


def test_a_connection_dropped_after_processing_leaves_the_resource_created(
    control: SimOrgControl, api: httpx.Client
) -> None:
    fault = control.faults.drop_connection(after_processing=True, operation="createRoutingRule")
    mark = control.requests()[-1].seq
    with pytest.raises(httpx.TransportError):
        api.post("/api/v2/routing/rules", json=_new_rule("Landed unseen"))
    assert _rule_names(api).count("Landed unseen") == 1
    (dropped,) = [e for e in control.requests(after=mark) if e.faults == (fault.id,)]
    assert (dropped.operation_id, dropped.status, dropped.outcome) == (
        "createRoutingRule",
        201,
        "dropped-after-processing",
    )


def test_a_connection_dropped_before_processing_leaves_nothing(
    control: SimOrgControl, api: httpx.Client
) -> None:
    control.faults.drop_connection(operation="createRoutingRule")
    with pytest.raises(httpx.TransportError):
        api.post("/api/v2/routing/rules", json=_new_rule("Never landed"))
    assert "Never landed" not in _rule_names(api)


def test_a_concurrent_writer_changes_the_field_and_the_audit_names_the_other_client(
    control: SimOrgControl, api: httpx.Client
) -> None:
    path = f"/api/v2/routing/rules/{ESCALATION_RULE}"
    read = _conforms(api.get(path)).json()
    control.faults.concurrent_write(
        entity_type="routingRules",
        entity_id=ESCALATION_RULE,
        field="/priority",
        value=read["priority"] + 7,
        client_id="colleague-ui",
        method="PATCH",
        path="/api/v2/routing/rules/*",
    )
    body = {k: v for k, v in read.items() if k not in ("id", "selfUri")} | {"priority": 1}
    stale = _conforms(api.patch(path, json=body))
    assert (stale.status_code, stale.json()["code"]) == (409, "version.mismatch")
    now = _conforms(api.get(path)).json()
    assert (now["priority"], now["version"]) == (read["priority"] + 7, read["version"] + 1)
    last = audits_of(api, ESCALATION_RULE)[-1]
    assert (last["clientId"], last["action"], last["version"]) == (
        "colleague-ui",
        "update",
        now["version"],
    )
    assert last["propertyChanges"] == [
        {"property": "/priority", "oldValues": [read["priority"]], "newValues": [now["priority"]]}
    ]


def test_a_colleague_client_writing_directly_shows_up_in_the_audit(server: str) -> None:
    with api_client(server, COLLEAGUE, COLLEAGUE_SECRET) as colleague:
        created = _conforms(colleague.post("/api/v2/routing/rules", json=_new_rule("By hand")))
        assert created.status_code == 201
        (record,) = audits_of(colleague, created.json()["id"])
    assert (record["clientId"], record["action"]) == (COLLEAGUE, "create")
    assert record["correlationId"] == created.headers["ININ-Correlation-Id"]


def test_a_fault_posted_as_plain_json_fires_like_one_scheduled_from_python(
    server: str, control: SimOrgControl, api: httpx.Client
) -> None:
    # The README's curl example, byte for byte the same request.
    posted = httpx.post(
        f"{server}/_simorg/faults",
        json={"kind": "server_error", "status": 502, "times": 1, "operation": "getFlow"},
    )
    assert posted.status_code == 201
    assert posted.json()["id"] in {f.id for f in control.faults.pending}
    assert _conforms(api.get(f"/api/v2/architect/flows/{PRIMARY_FLOW}")).status_code == 502
    assert control.faults.pending == ()


@pytest.fixture(scope="module")
def slow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    cwd = tmp_path_factory.mktemp("slow-simorg")
    with simorg_process(cwd, "--latency", str(LATENCY), "--control") as url:
        yield url


def test_latency_makes_every_request_wait_and_the_server_says_how_long(slow_server: str) -> None:
    with SimOrgControl(slow_server) as remote, api_client(slow_server) as api:
        assert remote.latency() == LATENCY
        started = time.monotonic()
        answer = api.get(f"/api/v2/routing/queues/{TECH_SUPPORT}")
        elapsed = time.monotonic() - started
        assert answer.status_code == 200
        assert elapsed >= LATENCY - _EPSILON
        entry = remote.handled(answer.headers["ININ-Correlation-Id"])
        assert entry is not None
        assert entry.latency >= LATENCY - _EPSILON
        token_entries = [e for e in remote.requests() if e.operation_id == "postOAuthToken"]
        assert token_entries
        assert all(e.latency >= LATENCY - _EPSILON for e in token_entries)
        remote.set_latency(0)
        try:
            quick = api.get(f"/api/v2/routing/queues/{TECH_SUPPORT}")
            quick_entry = remote.handled(quick.headers["ININ-Correlation-Id"])
            assert quick_entry is not None
            assert quick_entry.latency == 0.0
        finally:
            remote.set_latency(LATENCY)
