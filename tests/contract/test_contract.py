import json
from typing import Any

import httpx
import pytest

from genesys_compliance.contract import Contract, Problem
from genesys_compliance.errors import PolicyError

ISSUE_ENDPOINTS = {
    ("GET", "/api/v2/desktop/layouts"),
    ("POST", "/api/v2/desktop/layouts"),
    ("GET", "/api/v2/desktop/layouts/{layoutId}"),
    ("PUT", "/api/v2/desktop/layouts/{layoutId}"),
    ("GET", "/api/v2/users/{userId}/preferences"),
    ("GET", "/api/v2/architect/flows"),
    ("GET", "/api/v2/architect/flows/{flowId}"),
    ("PATCH", "/api/v2/architect/flows/{flowId}"),
    ("POST", "/api/v2/architect/flows/reload"),
    ("GET", "/api/v2/routing/queues/{queueId}/strategies"),
    ("PATCH", "/api/v2/routing/queues/{queueId}/strategies"),
    ("GET", "/api/v2/routing/queues"),
    ("GET", "/api/v2/routing/queues/{queueId}"),
    ("POST", "/api/v2/licensing/entitlements/query"),
    ("POST", "/api/v2/analytics/queues/realtime/query"),
    ("GET", "/api/v2/agent-assist/trigger-rules"),
    ("POST", "/api/v2/agent-assist/trigger-rules"),
    ("GET", "/api/v2/agent-assist/trigger-rules/{ruleId}"),
    ("PUT", "/api/v2/agent-assist/trigger-rules/{ruleId}"),
    ("GET", "/api/v2/agent-assist/templates"),
    ("GET", "/api/v2/routing/rules"),
    ("POST", "/api/v2/routing/rules"),
    ("GET", "/api/v2/routing/rules/{ruleId}"),
    ("PATCH", "/api/v2/routing/rules/{ruleId}"),
    ("DELETE", "/api/v2/routing/rules/{ruleId}"),
    ("POST", "/api/v2/audits/query"),
    ("GET", "/api/v2/organizations/me"),
    ("POST", "/oauth/token"),
}

LAYOUT: dict[str, Any] = {
    "name": "Agent Desktop Layout",
    "description": "Default layout",
    "grid": {"columns": 24, "rows": 16},
    "widgets": [
        {
            "widget_type": "queue-widget",
            "id": "q-001",
            "position": {"x": 0, "y": 0, "width": 12, "height": 8},
            "visibility": {"condition": "role:agent", "state": "always"},
            "configuration": {"queue_id": "main-inbound"},
        }
    ],
    "inheritance": "user-preference",
}
FLOW: dict[str, Any] = {
    "orgId": "5f1c2b7e-9a3d-4e8f-b6c1-2d7a9e4f3b10",
    "flowId": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
    "settings": {
        "routing": {
            "type": "longestAvailable",
            "maxWaitTime": 600,
            "scope": {"type": "org", "id": "5f1c2b7e-9a3d-4e8f-b6c1-2d7a9e4f3b10"},
        },
        "configurationMatrix": {"parameter_01": {"key": "queue_affinity", "value": True}},
        "scopeDirectives": {"applyTo": ["queue", "user", "team"], "enforceHierarchy": True},
    },
    "version": 14,
}
STRATEGY: dict[str, Any] = {
    "strategy": "mostSkilled",
    "mediaType": "voice",
    "overflow": {
        "rules": [{"condition": "queueDepth", "threshold": 15, "action": "routeToNextQueue"}]
    },
    "skills": {"required": ["support_tier1"], "preferred": ["escalation_capable"]},
}
TRIGGER: dict[str, Any] = {
    "id": "a1b2c3d4-e5f6-7890-abcd-ef1234567891",
    "name": "Credit Card Detection Rule",
    "ruleType": "conversation",
    "enabled": True,
    "conditions": [
        {"type": "keyword", "field": "conversation.text", "operator": "contains", "value": "x"}
    ],
    "actions": [{"type": "display", "templateId": "tmpl_98765", "priority": 1}],
}
ROUTING_RULE: dict[str, Any] = {
    "name": "Escalation",
    "description": "VIPs first",
    "expression": {
        "type": "and",
        "children": [
            {"type": "condition", "field": "skill", "operator": "exists", "value": "tech"},
            {
                "type": "not",
                "children": [
                    {"type": "condition", "field": "vip_flag", "operator": "eq", "value": "true"}
                ],
            },
        ],
    },
    "priority": 10,
    "enabled": True,
}


@pytest.fixture(scope="module")
def contract() -> Contract:
    return Contract.load()


def test_every_endpoint_of_the_issue_is_in_the_contract(contract: Contract) -> None:
    present = {(op.method, op.path) for op in contract.operations}
    assert present >= ISSUE_ENDPOINTS
    assert len(contract.operations) == len(ISSUE_ENDPOINTS)


def test_every_api_operation_documents_the_platform_errors(contract: Contract) -> None:
    for op in contract.operations:
        expected = {"429", "500", "503"} | ({"401", "403"} if op.scopes else set())
        assert expected <= set(op.responses), op.operation_id
        for spec in op.responses.values():
            names = {h.name for h in spec.headers if h.required}
            assert "ININ-Correlation-Id" in names, (op.operation_id, spec.status)
        assert op.responses["429"].media_types
        assert any(h.name == "Retry-After" and h.required for h in op.responses["429"].headers)


def test_bearer_operations_need_a_scope_and_the_token_endpoint_basic_auth(
    contract: Contract,
) -> None:
    token = contract.operation("postOAuthToken")
    assert token.server == "login"
    assert token.scopes == ()
    assert token.body is not None
    assert list(token.body.media_types) == ["application/x-www-form-urlencoded"]
    assert all(op.scopes for op in contract.operations if op is not token)
    assert contract.operation("patchQueueStrategies").scopes == ("routing:queue:write",)


def test_idempotency_follows_the_method_or_the_read_only_marker(contract: Contract) -> None:
    idempotent = {op.operation_id for op in contract.operations if op.idempotent}
    assert {
        "getQueue",
        "updateDesktopLayout",
        "updateTriggerRule",
        "deleteRoutingRule",
    } <= idempotent
    assert {"queryEntitlements", "queryQueueRealtime", "queryAudits"} <= idempotent
    assert (
        not {"createDesktopLayout", "patchFlowSettings", "createRoutingRule", "reloadFlows"}
        & idempotent
    )


@pytest.mark.parametrize(
    ("kind", "payload"),
    [
        ("DesktopLayout", LAYOUT),
        ("FlowSettings", FLOW),
        ("RoutingStrategy", STRATEGY),
        ("TriggerRule", TRIGGER),
        ("RoutingRule", ROUTING_RULE),
    ],
)
def test_valid_payloads_of_every_kind_fit(
    contract: Contract, kind: str, payload: dict[str, object]
) -> None:
    assert contract.validate_payload(kind, payload) == []


@pytest.mark.parametrize(
    ("kind", "payload", "expected"),
    [
        (
            "DesktopLayout",
            {**LAYOUT, "grid": {"columns": 24}},
            ("/grid/rows", "required property is missing"),
        ),
        ("DesktopLayout", {**LAYOUT, "colour": "red"}, ("/colour", "unexpected property")),
        (
            "DesktopLayout",
            {
                **LAYOUT,
                "widgets": [
                    {
                        **LAYOUT["widgets"][0],
                        "position": {"x": "0", "y": 0, "width": 1, "height": 1},
                    }
                ],
            },
            ("/widgets/0/position/x", "'0' is not of type 'integer'"),
        ),
        (
            "FlowSettings",
            {k: v for k, v in FLOW.items() if k != "orgId"},
            ("/orgId", "required property is missing"),
        ),
        (
            "FlowSettings",
            {
                **FLOW,
                "settings": {
                    **FLOW["settings"],
                    "configurationMatrix": {"p": {"key": "k", "value": [1]}},
                },
            },
            ("/settings/configurationMatrix/p/value", "is not of type"),
        ),
        (
            "RoutingStrategy",
            {**STRATEGY, "mediaType": "fax"},
            ("/mediaType", "'fax' is not one of"),
        ),
        (
            "TriggerRule",
            {**TRIGGER, "conditions": [{"field": "f", "operator": "like", "value": "x"}]},
            ("/conditions/0/operator", "'like' is not one of"),
        ),
        (
            "RoutingRule",
            {
                **ROUTING_RULE,
                "expression": {"type": "and", "children": [{"type": "condition", "op": "eq"}]},
            },
            ("/expression/children/0/op", "unexpected property"),
        ),
    ],
)
def test_invalid_payloads_name_the_pointer_and_the_problem(
    contract: Contract, kind: str, payload: dict[str, object], expected: tuple[str, str]
) -> None:
    problems = contract.validate_payload(kind, payload)
    pointer, fragment = expected
    assert any(p.pointer == pointer and fragment in p.message for p in problems), problems
    assert all(p.location == "body" for p in problems)


def test_each_unexpected_and_each_missing_property_is_its_own_problem(contract: Contract) -> None:
    # jsonschema reports both at the object; a report (and the one-finding rule) needs
    # the property, so a file line can be found for each and each is judged on its own.
    payload = {"colour": "red", **{k: v for k, v in STRATEGY.items() if k != "mediaType"}}
    payload["overflow"] = {"rules": [{"condition": "queueDepth", "size": 1, "shade": 2}]}
    found = contract.validate_payload("RoutingStrategy", payload)
    problems = [(p.pointer, p.message) for p in found]
    assert problems == [
        ("/colour", "unexpected property"),
        ("/mediaType", "required property is missing"),
        ("/overflow/rules/0/action", "required property is missing"),
        ("/overflow/rules/0/shade", "unexpected property"),
        ("/overflow/rules/0/size", "unexpected property"),
        ("/overflow/rules/0/threshold", "required property is missing"),
    ]
    # the keys as the payload holds them, for a caller that writes them its own way
    assert found[3].path == ("overflow", "rules", 0, "shade")


def test_a_property_matching_a_pattern_is_not_unexpected() -> None:
    document = Contract.load().document
    document["components"]["schemas"]["Tagged"] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"name": {"type": "string"}},
        "patternProperties": {"^x-": {}},
    }
    problems = Contract(document).validate_schema("Tagged", {"name": "n", "x-a": 1, "y": 2})
    assert [(p.pointer, p.message) for p in problems] == [("/y", "unexpected property")]


def test_unknown_kind_and_schema_are_key_errors(contract: Contract) -> None:
    with pytest.raises(KeyError, match="Queue"):
        contract.validate_payload("Queue", {})
    with pytest.raises(KeyError, match="Nope"):
        contract.validate_schema("Nope", {})


def test_problem_reads_as_location_pointer_message() -> None:
    assert str(Problem("body", "/grid/rows", "is required")) == "body/grid/rows: is required"
    assert str(Problem("header", "If-Match", "is required")) == "header If-Match: is required"
    assert str(Problem("status", "", "418 is not documented")) == "status: 418 is not documented"


def test_match_prefers_concrete_paths_and_decodes_parameters(contract: Contract) -> None:
    reload = contract.match("POST", "/api/v2/architect/flows/reload")
    assert reload is not None
    assert reload.operation.operation_id == "reloadFlows"
    flow = contract.match("GET", "/api/v2/architect/flows/a%2Fb?pageSize=1")
    assert flow is not None
    assert flow.operation.operation_id == "getFlow"
    assert flow.path_params == {"flowId": "a/b"}
    assert contract.match("DELETE", "/api/v2/desktop/layouts/x") is None
    assert contract.match("GET", "/api/v2/nowhere") is None
    assert contract.allowed_methods("/api/v2/desktop/layouts/x") == ("GET", "PUT")
    assert contract.allowed_methods("/api/v2/architect/flows/reload") == ("POST",)
    assert contract.allowed_methods("/api/v2/nowhere") == ()


def test_expand_encodes_values_and_requires_every_parameter(contract: Contract) -> None:
    op = contract.operation("getRoutingRule")
    assert op.expand({"ruleId": "a b/c"}) == "/api/v2/routing/rules/a%20b%2Fc"
    with pytest.raises(ValueError, match="ruleId"):
        op.expand({})


def _problems(contract: Contract, request: httpx.Request) -> list[str]:
    return [str(p) for p in contract.validate_request(request)]


def test_request_validation_covers_parameters_headers_and_body(contract: Contract) -> None:
    url = "https://api.mypurecloud.com/api/v2/agent-assist/trigger-rules/r1"
    ok = httpx.Request("PUT", url, json=TRIGGER, headers={"If-Match": '"7"'})
    assert contract.validate_request(ok) == []
    missing_header = httpx.Request("PUT", url, json=TRIGGER)
    assert _problems(contract, missing_header) == ["header If-Match: is required"]
    stray = httpx.Request("GET", "https://api.mypurecloud.com/api/v2/routing/queues?pagesize=5")
    assert _problems(contract, stray) == ["query pagesize: is not a parameter of this operation"]
    too_big = httpx.Request("GET", "https://api.mypurecloud.com/api/v2/routing/queues?pageSize=501")
    assert any("501 is greater than the maximum" in p for p in _problems(contract, too_big))
    not_int = httpx.Request(
        "GET", "https://api.mypurecloud.com/api/v2/routing/queues?pageNumber=one"
    )
    assert any("pageNumber" in p and "integer" in p for p in _problems(contract, not_int))
    text = httpx.Request(
        "PUT", url, content=b"{}", headers={"If-Match": "1", "Content-Type": "text/plain"}
    )
    assert _problems(contract, text) == ["content-type: text/plain is not application/json"]
    broken = httpx.Request(
        "PUT", url, content=b"{nope", headers={"If-Match": "1", "Content-Type": "application/json"}
    )
    assert _problems(contract, broken)[0].startswith("body: body is not valid JSON")
    empty = httpx.Request("POST", "https://api.mypurecloud.com/api/v2/routing/rules")
    assert _problems(contract, empty) == ["body: a body is required"]
    body_on_get = httpx.Request(
        "GET", "https://api.mypurecloud.com/api/v2/routing/queues", content=b"x"
    )
    assert _problems(contract, body_on_get) == ["body: this operation takes no body"]
    unknown = httpx.Request("GET", "https://api.mypurecloud.com/api/v2/unknown")
    assert _problems(contract, unknown) == ["operation: no operation for GET /api/v2/unknown"]


def test_routing_rule_create_needs_its_queue_and_patch_its_version(contract: Contract) -> None:
    create = httpx.Request(
        "POST", "https://api.mypurecloud.com/api/v2/routing/rules", json=ROUTING_RULE
    )
    assert _problems(contract, create) == ["body/queue: required property is missing"]
    patch = httpx.Request(
        "PATCH",
        "https://api.mypurecloud.com/api/v2/routing/rules/r1",
        json={**ROUTING_RULE, "queue": {"id": "q"}},
    )
    assert _problems(contract, patch) == ["body/version: required property is missing"]


def test_token_request_is_a_form_with_the_client_credentials_grant(contract: Contract) -> None:
    url = "https://login.mypurecloud.com/oauth/token"
    assert (
        contract.validate_request(
            httpx.Request("POST", url, data={"grant_type": "client_credentials"})
        )
        == []
    )
    wrong = httpx.Request("POST", url, data={"grant_type": "password"})
    assert any("'password' is not one of" in p for p in _problems(contract, wrong))
    as_json = httpx.Request("POST", url, json={"grant_type": "client_credentials"})
    assert _problems(contract, as_json) == [
        "content-type: application/json is not application/x-www-form-urlencoded"
    ]


def _response(status: int, body: object = None, **headers: str) -> httpx.Response:
    content = b"" if body is None else json.dumps(body).encode()
    base = (
        {"ININ-Correlation-Id": "c-1", "Content-Type": "application/json"}
        if body is not None
        else {"ININ-Correlation-Id": "c-1"}
    )
    return httpx.Response(status, content=content, headers={**base, **headers})


def test_response_validation_checks_status_headers_and_body(contract: Contract) -> None:
    request = httpx.Request("GET", "https://api.mypurecloud.com/api/v2/routing/queues/q1")
    good = _response(200, {"id": "q1", "name": "Billing", "extra": "tolerated"})
    assert contract.validate_response(request, good) == []
    wrong_type = _response(200, {"id": "q1", "name": 3})
    assert [str(p) for p in contract.validate_response(request, wrong_type)] == [
        "body/name: 3 is not of type 'string'"
    ]
    undocumented = _response(418, {"message": "x", "code": "y", "status": 418})
    assert "418 is not documented" in str(contract.validate_response(request, undocumented)[0])
    no_correlation = httpx.Response(404, json={"message": "m", "code": "not.found", "status": 404})
    assert "header ININ-Correlation-Id: is required" in [
        str(p) for p in contract.validate_response(request, no_correlation)
    ]
    rate_limited = _response(429, {"message": "m", "code": "too.many.requests", "status": 429})
    assert "header Retry-After: is required" in [
        str(p) for p in contract.validate_response(request, rate_limited)
    ]
    bad_header = _response(200, {"id": "q1", "name": "n"}, **{"inin-ratelimit-count": "many"})
    assert any(
        "inin-ratelimit-count" in str(p) for p in contract.validate_response(request, bad_header)
    )
    delete = httpx.Request("DELETE", "https://api.mypurecloud.com/api/v2/routing/rules/r1")
    assert contract.validate_response(delete, _response(204)) == []
    assert "documented without a body" in str(
        contract.validate_response(delete, _response(204, {"a": 1}))[0]
    )


def test_kind_endpoints_move_to_configured_prefixes() -> None:
    moved = Contract.load(
        {"DesktopLayout": "/api/v2/apps/desktop/layouts/", "RoutingRule": "/custom/rules"}
    )
    assert moved.operation("getDesktopLayout").path == "/api/v2/apps/desktop/layouts/{layoutId}"
    assert moved.operation("createRoutingRule").path == "/custom/rules"
    assert moved.operation("getUserPreferences").path == "/api/v2/users/{userId}/preferences"
    assert moved.operation("getQueue").path == "/api/v2/routing/queues/{queueId}"
    assert moved.kind_prefix("RoutingRule") == "/custom/rules"
    assert "/custom/rules/{ruleId}" in moved.document["paths"]
    assert Contract.load().operation("createRoutingRule").path == "/api/v2/routing/rules"
    assert Contract.load({"RoutingRule": "/custom/rules"}) is Contract.load(
        {"RoutingRule": "/custom/rules"}
    )


@pytest.mark.parametrize(
    ("endpoints", "message"),
    [
        ({"Queue": "/x"}, "unknown kind 'Queue'"),
        ({"DesktopLayout": "relative/path"}, "is not an absolute path"),
        ({"DesktopLayout": "/api/v2/routing/rules"}, "two operations would share"),
    ],
)
def test_bad_endpoint_overrides_are_policy_errors(endpoints: dict[str, str], message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        Contract.load(endpoints)


def test_document_is_openapi_3_1_and_round_trips_as_json(contract: Contract) -> None:
    document = json.loads(contract.to_json())
    assert document["openapi"].startswith("3.1")
    assert document == contract.document
    contract.document["paths"].clear()
    assert contract.document["paths"], "document returns a copy"


@pytest.mark.parametrize(
    "endpoints", [{}, {"TriggerRule": "/api/v3/assist", "RoutingRule": "/x/rules"}]
)
def test_the_document_fits_the_openapi_3_1_meta_schema(endpoints: dict[str, str]) -> None:
    # The OpenAPI 3.1 meta-schema as schemathesis ships it (no network needed).
    from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

    OPENAPI_31_VALIDATOR.validate(Contract.load(endpoints).document)
