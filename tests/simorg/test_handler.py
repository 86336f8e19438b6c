import base64
import json
from typing import Any

import httpx
import pytest

from genesys_compliance.client import VirtualClock
from genesys_compliance.contract import Contract
from genesys_compliance.simorg import SimOrg
from tests.api_support import (
    API,
    CI_CLIENT,
    CI_SECRET,
    ESCALATION_RULE,
    NOSCOPE_CLIENT,
    READONLY_CLIENT,
    TECH_SUPPORT,
    TRIGGER_RULE,
    bearer,
    make_org,
    seed,
)
from tests.simorg._exchange import error, send


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def test_token_endpoint_issues_scoped_expiring_tokens() -> None:
    org = make_org(token_lifetime=120)
    ok = send(
        org,
        "POST",
        "/oauth/token",
        auth=basic(CI_CLIENT, CI_SECRET),
        data={"grant_type": "client_credentials"},
    )
    assert ok.status_code == 200
    token = ok.json()
    assert token["token_type"] == "bearer"
    assert token["expires_in"] == 120
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    assert send(org, "GET", f"/api/v2/routing/queues/{TECH_SUPPORT}", auth=auth).status_code == 200
    assert isinstance(org.clock, VirtualClock)
    org.clock.advance(121)
    assert error(send(org, "GET", f"/api/v2/routing/queues/{TECH_SUPPORT}", auth=auth)) == (
        401,
        "authentication.required",
    )


@pytest.mark.parametrize(
    ("headers", "data", "status", "code"),
    [
        ({}, {"grant_type": "client_credentials"}, 401, "invalid_client"),
        (basic(CI_CLIENT, "wrong"), {"grant_type": "client_credentials"}, 401, "invalid_client"),
        (basic("nobody", CI_SECRET), {"grant_type": "client_credentials"}, 401, "invalid_client"),
        (
            {"Authorization": "Basic not-base64!"},
            {"grant_type": "client_credentials"},
            401,
            "invalid_client",
        ),
        (basic(CI_CLIENT, CI_SECRET), {"grant_type": "password"}, 400, "unsupported_grant_type"),
        (basic(CI_CLIENT, CI_SECRET), {}, 400, "invalid_request"),
    ],
)
def test_token_endpoint_refusals(
    headers: dict[str, str], data: dict[str, str], status: int, code: str
) -> None:
    org = make_org()
    response = send(org, "POST", "/oauth/token", auth=headers, data=data)
    assert response.status_code == status
    assert response.json()["error"] == code


def test_401_without_or_with_an_unknown_token() -> None:
    org = make_org()
    assert error(send(org, "GET", "/api/v2/routing/queues")) == (401, "authentication.required")
    unknown = {"Authorization": "Bearer gcsim_made_up"}
    assert error(send(org, "GET", "/api/v2/routing/queues", auth=unknown)) == (
        401,
        "bad.credentials",
    )
    basic_on_api = basic(CI_CLIENT, CI_SECRET)
    assert error(send(org, "GET", "/api/v2/routing/queues", auth=basic_on_api)) == (
        401,
        "authentication.required",
    )


def test_403_when_the_token_lacks_the_scope() -> None:
    org = make_org()
    readonly = bearer(org, READONLY_CLIENT)
    assert (
        send(
            org, "GET", f"/api/v2/routing/queues/{TECH_SUPPORT}/strategies", auth=readonly
        ).status_code
        == 200
    )
    strategies = {"strategies": [{"strategy": "random", "mediaType": "voice"}]}
    path = f"/api/v2/routing/queues/{TECH_SUPPORT}/strategies"
    response = send(org, "PATCH", path, auth=readonly, headers={"If-Match": "3"}, json=strategies)
    assert error(response) == (403, "missing.scopes")
    assert response.json()["messageParams"] == {"scopes": "routing:queue:write"}
    assert org.state.strategies[TECH_SUPPORT]["version"] == 3
    nothing = bearer(org, NOSCOPE_CLIENT)
    assert error(send(org, "GET", "/api/v2/audits/query", auth=nothing)) == (
        405,
        "method.not.allowed",
    )
    assert error(send(org, "POST", "/api/v2/audits/query", auth=nothing, json={})) == (
        403,
        "missing.scopes",
    )


def test_404_and_405() -> None:
    org = make_org()
    auth = bearer(org)
    assert error(send(org, "GET", "/api/v2/desktop/layouts/nope", auth=auth)) == (404, "not.found")
    assert error(send(org, "GET", "/api/v2/no/such/thing", auth=auth)) == (404, "not.found")
    response = send(org, "DELETE", "/api/v2/desktop/layouts/lay-supervisor", auth=auth)
    assert error(response) == (405, "method.not.allowed")
    assert response.headers["Allow"] == "GET, PUT"


def test_400_names_every_problem_and_changes_nothing() -> None:
    org = make_org()
    response = send(
        org, "POST", "/api/v2/desktop/layouts", auth=bearer(org),
        json={"name": "x", "grid": {"columns": "wide"}, "widgets": [], "colour": "red"},
    )  # fmt: skip
    assert error(response) == (400, "bad.request")
    fields = {d["fieldName"] for d in response.json()["details"]}
    assert fields == {"body/colour", "body/grid/rows", "body/grid/columns"}
    assert len(org.state.layouts) == 2
    not_json = send(
        org,
        "POST",
        "/api/v2/desktop/layouts",
        auth=bearer(org),
        content=b"{",
        headers={"Content-Type": "application/json"},
    )
    assert error(not_json) == (400, "bad.request")


def _layout_body(org: SimOrg, layout_id: str) -> dict[str, Any]:
    stored = org.state.layouts[layout_id]
    return {k: v for k, v in stored.items() if k not in ("id", "modifiedDate")}


def test_409_on_a_stale_layout_flow_or_routing_rule_version() -> None:
    org = make_org()
    auth = bearer(org)
    body = _layout_body(org, "lay-supervisor")
    assert (
        send(org, "PUT", "/api/v2/desktop/layouts/lay-supervisor", auth=auth, json=body).json()[
            "version"
        ]
        == 3
    )
    stale = send(org, "PUT", "/api/v2/desktop/layouts/lay-supervisor", auth=auth, json=body)
    assert error(stale) == (409, "version.mismatch")
    assert stale.json()["messageParams"] == {"sent": "2", "current": "3", "what": "layout"}

    flow = org.state.flows["b7e2c9d1-4f3a-4c8e-9d2b-6a1f0e3c5d72"]
    patch = {
        "orgId": flow["orgId"],
        "flowId": flow["id"],
        "settings": flow["settings"],
        "version": 2,
    }
    assert error(
        send(org, "PATCH", f"/api/v2/architect/flows/{flow['id']}", auth=auth, json=patch)
    ) == (409, "version.mismatch")

    rule = {k: v for k, v in org.state.routing_rules[ESCALATION_RULE].items() if k != "id"}
    rule["version"] = 3
    assert error(
        send(org, "PATCH", f"/api/v2/routing/rules/{ESCALATION_RULE}", auth=auth, json=rule)
    ) == (409, "version.mismatch")


def test_409_on_a_duplicate_routing_rule_name_in_a_queue() -> None:
    org = make_org()
    auth = bearer(org)
    body = {
        "name": "Technical Support Escalation Rule",
        "queue": {"id": TECH_SUPPORT},
        "expression": {"type": "condition", "field": "skill", "operator": "exists"},
    }
    response = send(org, "POST", "/api/v2/routing/rules", auth=auth, json=body)
    assert error(response) == (409, "duplicate.name")
    other_queue = {**body, "queue": {"id": "6c2d9e4f-1a3b-4c5d-8e7f-0a1b2c3d4e5f"}}
    assert (
        send(org, "POST", "/api/v2/routing/rules", auth=auth, json=other_queue).status_code == 201
    )
    missing_queue = {**body, "queue": {"id": "no-queue"}}
    assert error(send(org, "POST", "/api/v2/routing/rules", auth=auth, json=missing_queue)) == (
        400,
        "invalid.value",
    )


def test_strategies_take_if_match_and_answer_409_when_stale() -> None:
    org = make_org()
    auth = bearer(org)
    path = f"/api/v2/routing/queues/{TECH_SUPPORT}/strategies"
    current = send(org, "GET", path, auth=auth)
    assert current.headers["ETag"] == '"3"'
    body = {"strategies": [{"strategy": "random", "mediaType": "callback"}]}
    updated = send(org, "PATCH", path, auth=auth, headers={"If-Match": '"3"'}, json=body)
    assert updated.json()["version"] == 4
    assert [s["mediaType"] for s in updated.json()["strategies"]] == ["voice", "chat", "callback"]
    assert error(send(org, "PATCH", path, auth=auth, headers={"If-Match": "3"}, json=body)) == (
        409,
        "version.mismatch",
    )
    assert error(send(org, "PATCH", path, auth=auth, json=body)) == (400, "bad.request")


def test_trigger_rules_take_if_match_and_answer_412_when_stale() -> None:
    org = make_org()
    auth = bearer(org)
    path = f"/api/v2/agent-assist/trigger-rules/{TRIGGER_RULE}"
    rule = send(org, "GET", path, auth=auth)
    assert rule.headers["ETag"] == '"7"'
    body = {k: v for k, v in rule.json().items() if k not in ("selfUri",)}
    assert (
        send(org, "PUT", path, auth=auth, headers={"If-Match": "7"}, json=body).json()["etag"]
        == "8"
    )
    assert error(send(org, "PUT", path, auth=auth, headers={"If-Match": "7"}, json=body)) == (
        412,
        "precondition.failed",
    )
    unknown_template = {**body, "actions": [{"type": "display", "templateId": "tmpl_00000"}]}
    response = send(org, "PUT", path, auth=auth, headers={"If-Match": "8"}, json=unknown_template)
    assert error(response) == (400, "invalid.value")
    assert response.json()["details"][0]["fieldName"] == "actions[0].templateId"


def test_429_past_300_requests_a_minute_with_retry_after_and_headers() -> None:
    org = make_org()
    assert isinstance(org.clock, VirtualClock)
    auth = bearer(org)
    path = f"/api/v2/routing/queues/{TECH_SUPPORT}"
    for n in range(1, 301):
        response = send(org, "GET", path, auth=auth)
        assert response.headers["inin-ratelimit-count"] == str(n)
    assert response.headers["inin-ratelimit-allowed"] == "300"
    org.clock.advance(20)
    limited = send(org, "GET", path, auth=auth)
    assert error(limited) == (429, "too.many.requests")
    assert limited.headers["Retry-After"] == "40"
    assert limited.headers["inin-ratelimit-reset"] == "40"
    other = bearer(org)  # the limit is per token
    assert send(org, "GET", path, auth=other).status_code == 200
    org.clock.advance(40)
    assert send(org, "GET", path, auth=auth).headers["inin-ratelimit-count"] == "1"


def test_paging_envelope_and_filters() -> None:
    org = make_org()
    auth = bearer(org)
    first = send(org, "GET", "/api/v2/routing/queues?pageSize=2", auth=auth).json()
    assert (first["pageNumber"], first["pageCount"], first["total"]) == (1, 2, 3)
    assert first["nextUri"] == "/api/v2/routing/queues?pageSize=2&pageNumber=2"
    last = send(org, "GET", first["nextUri"], auth=auth).json()
    assert [q["name"] for q in last["entities"]] == ["Sales Chat"]
    assert "nextUri" not in last
    assert last["previousUri"] == "/api/v2/routing/queues?pageSize=2&pageNumber=1"
    named = send(org, "GET", "/api/v2/routing/queues?name=billing", auth=auth).json()
    assert [q["id"] for q in named["entities"]] == ["6c2d9e4f-1a3b-4c5d-8e7f-0a1b2c3d4e5f"]
    beyond = send(org, "GET", "/api/v2/routing/queues?pageNumber=9", auth=auth).json()
    assert beyond["entities"] == []


def test_scheduled_faults() -> None:
    org = make_org()
    assert isinstance(org.clock, VirtualClock)
    auth = bearer(org)
    path = f"/api/v2/routing/queues/{TECH_SUPPORT}"
    org.faults.server_error(status=502, operation="getQueue")
    assert error(send(org, "GET", path, auth=auth)) == (502, "bad.gateway")
    org.faults.rate_limit(retry_after=9, method="GET")
    limited = send(org, "GET", path, auth=auth)
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "9")
    org.faults.latency(2.5, times=2)
    before = org.clock.now()
    send(org, "GET", path, auth=auth)
    assert org.clock.now() - before == 2.5
    org.faults.drop_connection(operation="getQueue")
    with pytest.raises(httpx.ConnectError):
        org(httpx.Request("GET", API + path, headers=auth))
    assert send(org, "GET", path, auth=auth).status_code == 200
    assert org.faults.pending == ()
    with pytest.raises(ValueError, match="5xx"):
        org.faults.server_error(status=404)


def test_a_drop_after_processing_keeps_the_write() -> None:
    org = make_org()
    org.faults.drop_connection(after_processing=True, operation="deleteRoutingRule")
    with pytest.raises(httpx.RemoteProtocolError):
        org(
            httpx.Request(
                "DELETE", f"{API}/api/v2/routing/rules/{ESCALATION_RULE}", headers=bearer(org)
            )
        )
    assert ESCALATION_RULE not in org.state.routing_rules


def test_a_concurrent_writer_makes_the_next_write_stale() -> None:
    org = make_org()
    auth = bearer(org)
    body = _layout_body(org, "lay-agent-default")
    org.faults.concurrent_write(operation="updateDesktopLayout")
    assert error(
        send(org, "PUT", "/api/v2/desktop/layouts/lay-agent-default", auth=auth, json=body)
    ) == (409, "version.mismatch")
    assert org.state.audits[-1]["clientId"] == "concurrent-writer"
    assert org.state.layouts["lay-agent-default"]["version"] == body["version"] + 1


def test_writes_are_audited_with_client_and_correlation_id() -> None:
    org = make_org()
    auth = bearer(org)
    created = send(
        org,
        "POST",
        "/api/v2/desktop/layouts",
        auth=auth,
        json={"name": "n", "grid": {"columns": 1, "rows": 1}, "widgets": []},
    )
    audits = send(
        org,
        "POST",
        "/api/v2/audits/query",
        auth=auth,
        json={"filters": [{"name": "entityType", "op": "eq", "values": ["layouts"]}]},
    ).json()
    (record,) = audits["results"]
    assert record["entityId"] == created.json()["id"]
    assert record["clientId"] == CI_CLIENT
    assert record["correlationId"] == created.headers["ININ-Correlation-Id"]
    bad_filter = send(
        org,
        "POST",
        "/api/v2/audits/query",
        auth=auth,
        json={"filters": [{"name": "secret", "op": "eq", "values": ["x"]}]},
    )
    assert error(bad_filter) == (400, "invalid.value")
    bad_token = send(org, "POST", "/api/v2/audits/query", auth=auth, json={"pageToken": "!!"})
    assert error(bad_token) == (400, "invalid.value")


def test_orgs_from_one_seed_do_not_share_state() -> None:
    first, second = make_org(), make_org()
    first.state.layouts.clear()
    assert len(second.state.layouts) == 2
    assert json.loads(second.contract.to_json())["openapi"].startswith("3.1")


def test_relocated_endpoints_are_served_where_the_contract_says() -> None:
    contract = Contract.load({"DesktopLayout": "/api/v2/apps/layouts"})
    org = SimOrg(seed(), contract=contract, clock=VirtualClock())
    auth = bearer(org)
    assert (
        send(org, "GET", "/api/v2/apps/layouts/lay-supervisor", auth=auth).json()["selfUri"]
        == "/api/v2/apps/layouts/lay-supervisor"
    )
    assert error(send(org, "GET", "/api/v2/desktop/layouts/lay-supervisor", auth=auth)) == (
        404,
        "not.found",
    )


def test_the_document_is_served() -> None:
    org = make_org()
    response = org(httpx.Request("GET", f"{API}/openapi.json"))
    assert response.json() == org.contract.document
