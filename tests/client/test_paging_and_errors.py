import httpx
import pytest

from genesys_compliance.client import GenesysClient, Page
from genesys_compliance.errors import (
    ApiError,
    AuthError,
    ConflictError,
    NotFoundError,
)
from tests.api_support import (
    BILLING,
    NOSCOPE_CLIENT,
    NOSCOPE_SECRET,
    READONLY_CLIENT,
    READONLY_SECRET,
    TECH_SUPPORT,
    TRIGGER_RULE,
    make_client,
    make_org,
)


def test_listings_follow_next_uri_page_by_page() -> None:
    org = make_org()
    client, router = make_client(org)
    names = [q["name"] for q in client.list_queues(page_size=1)]
    assert names == ["Technical Support", "Billing", "Sales Chat"]
    urls = [str(c.request.url) for c in router.routes["listQueues"].calls]
    assert len(urls) == 3
    assert urls[1].endswith("/api/v2/routing/queues?pageSize=1&pageNumber=2")


def test_pages_expose_the_paging_envelope() -> None:
    org = make_org()
    client, _ = make_client(org)
    pages = list(client.pages("listQueues", page_size=2))
    assert [(p.page_number, p.page_count, p.total, len(p.entities)) for p in pages] == [
        (1, 2, 3, 2),
        (2, 2, 3, 1),
    ]
    assert pages[-1].next_uri is None


def test_filters_are_kept_across_pages() -> None:
    org = make_org()
    client, router = make_client(org)
    assert [f["name"] for f in client.list_flows(name="*flow", page_size=1)] == [
        "Primary Architecture Flow",
        "After Hours Flow",
    ]
    assert all("name=%2Aflow" in str(c.request.url) for c in router.routes["listFlows"].calls)


def test_a_paging_loop_is_an_error_not_a_hang() -> None:
    def looping(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(
                200, json={"access_token": "t0k3n-value", "token_type": "bearer", "expires_in": 60}
            )
        body = {
            "entities": [{"id": "q"}],
            "pageSize": 1,
            "pageNumber": 1,
            "total": 9,
            "pageCount": 9,
            "nextUri": "/api/v2/routing/queues?pageNumber=2",
        }
        return httpx.Response(200, json=body)

    with (
        GenesysClient(
            client_id="c", client_secret="s3cret-value", transport=httpx.MockTransport(looping)
        ) as client,
        pytest.raises(ApiError, match="paging loops back"),
    ):
        list(client.list_queues())


def test_page_from_json_tolerates_missing_counts() -> None:
    page = Page.from_json({"entities": [{"id": "a"}, "junk"]})
    assert (page.entities, page.page_count, page.total, page.next_uri) == (
        ({"id": "a"},),
        1,
        1,
        None,
    )


def test_typed_reads_of_every_kind() -> None:
    org = make_org()
    client, _ = make_client(org)
    assert (
        client.get_user_preferences("2a4c6e8f-1b3d-4f5a-9c7e-0d2f4a6c8e10")["preferences"][
            "desktop"
        ]["layoutId"]
        == "lay-agent-default"
    )
    assert {t["id"] for t in client.list_assist_templates()} == {"tmpl_98765", "tmpl_12345"}
    assert client.get_trigger_rule(TRIGGER_RULE)["etag"] == "7"
    assert [r["name"] for r in client.list_routing_rules(queue_id=BILLING)] == [
        "Billing Language Rule"
    ]
    assert client.available_agents(TECH_SUPPORT) == 24
    assert client.available_agents(BILLING) == 18
    assert client.available_agents("no-such-queue") is None
    assert client.licence_count(["GenesysCloudCX3"]) == 120
    assert client.licence_count(["SomethingElse"]) == 0
    assert {f["id"] for f in client.list_flows()} == {
        "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
        "b7e2c9d1-4f3a-4c8e-9d2b-6a1f0e3c5d72",
    }
    assert len(list(client.list_layouts())) == 2
    assert len(list(client.list_trigger_rules())) == 2


def test_not_found_is_typed_and_carries_the_correlation_id() -> None:
    org = make_org()
    client, router = make_client(org)
    with pytest.raises(NotFoundError) as info:
        client.get_queue("no-such-queue")
    error = info.value
    response = router.routes["getQueue"].calls.last.response
    assert error.status == 404
    assert error.code == "not.found"
    assert error.correlation_id == response.headers["ININ-Correlation-Id"]
    assert "The queue no-such-queue was not found." in str(error)
    assert error.correlation_id in str(error)


def test_a_missing_scope_is_an_auth_error_with_the_scope_named() -> None:
    org = make_org()
    client, _ = make_client(org, client_id=READONLY_CLIENT, secret=READONLY_SECRET)
    assert client.get_queue(TECH_SUPPORT)["id"] == TECH_SUPPORT
    with pytest.raises(AuthError) as info:
        client.patch_queue_strategies(TECH_SUPPORT, [], version=3)
    assert info.value.status == 403
    assert info.value.code == "missing.scopes"
    assert "routing:queue:write" in info.value.message
    nothing, _ = make_client(org, client_id=NOSCOPE_CLIENT, secret=NOSCOPE_SECRET)
    with pytest.raises(AuthError, match="architect:read"):
        nothing.get_flow("a1b2c3d4-e5f6-7890-abcd-ef1234567890")


def test_a_bad_body_is_an_api_error_with_details() -> None:
    org = make_org()
    client, _ = make_client(org)
    with pytest.raises(ApiError) as info:
        client.create_layout({"name": "x", "grid": {"columns": 2, "rows": "two"}, "widgets": []})
    assert type(info.value) is ApiError
    assert info.value.status == 400
    assert info.value.code == "bad.request"
    assert {"errorCode": "invalid.value", "fieldName": "body/grid/rows"} in info.value.details


def test_conflicts_are_conflict_errors() -> None:
    org = make_org()
    client, _ = make_client(org)
    strategies = client.get_queue_strategies(TECH_SUPPORT)
    org.faults.concurrent_write(operation="patchQueueStrategies")
    with pytest.raises(ConflictError) as stale:
        client.patch_queue_strategies(
            TECH_SUPPORT, strategies["strategies"], version=strategies["version"]
        )
    assert (stale.value.status, stale.value.code) == (409, "version.mismatch")
    rule = {k: v for k, v in client.get_trigger_rule(TRIGGER_RULE).items() if k != "selfUri"}
    org.faults.concurrent_write(operation="updateTriggerRule")
    with pytest.raises(ConflictError) as precondition:
        client.update_trigger_rule(TRIGGER_RULE, rule, etag=rule["etag"])
    assert (precondition.value.status, precondition.value.code) == (412, "precondition.failed")
    fresh = client.get_trigger_rule(TRIGGER_RULE)
    body = {k: v for k, v in fresh.items() if k != "selfUri"}
    assert client.update_trigger_rule(TRIGGER_RULE, body, etag=fresh["etag"])["etag"] == str(
        int(fresh["etag"]) + 1
    )


def test_writes_of_every_kind_round_trip() -> None:
    org = make_org()
    client, _ = make_client(org)
    created = client.create_layout(
        {"name": "Tiny", "grid": {"columns": 4, "rows": 4}, "widgets": []}
    )
    assert client.get_layout(created["id"])["version"] == 1
    flow = client.get_flow("b7e2c9d1-4f3a-4c8e-9d2b-6a1f0e3c5d72")
    patched = client.patch_flow_settings(
        flow["id"],
        {
            "orgId": flow["orgId"],
            "flowId": flow["id"],
            "settings": {"routing": {"type": "longestAvailable"}},
            "version": flow["version"],
        },
    )
    assert patched["version"] == flow["version"] + 1
    assert client.reload_flows(flow["orgId"])["status"] == "accepted"
    new = client.create_trigger_rule(
        {
            "name": "Refund",
            "ruleType": "conversation",
            "conditions": [],
            "actions": [{"type": "display", "templateId": "tmpl_12345"}],
        }
    )
    assert new["etag"] == "1"
    rule = client.create_routing_rule(
        BILLING,
        {
            "name": "R",
            "expression": {
                "type": "condition",
                "field": "vip_flag",
                "operator": "eq",
                "value": True,
            },
        },
    )
    client.delete_routing_rule(rule["id"])
    with pytest.raises(NotFoundError):
        client.get_routing_rule(rule["id"])
    actions = [(a["action"], a["entityType"]) for a in client.query_audits(page_size=2)]
    assert actions == [
        ("create", "layouts"),
        ("update", "flows"),
        ("reload", "flows"),
        ("create", "triggerRules"),
        ("create", "routingRules"),
        ("delete", "routingRules"),
    ]
    only_flows = list(
        client.query_audits(filters=[{"name": "entityType", "op": "eq", "values": ["flows"]}])
    )
    assert [a["action"] for a in only_flows] == ["update", "reload"]
