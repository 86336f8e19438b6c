"""The client's generic resource interface, built from the contract's resource table."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import pytest

from genesys_compliance.client import Exchange, Resource
from genesys_compliance.connect import OrgConnection, connect_mock
from genesys_compliance.contract import ResourceKey
from genesys_compliance.errors import ApiError, ConflictError, NotFoundError

REPO = Path(__file__).resolve().parents[2]
TECH = "3f7c1a2e-8b4d-4e6f-9a1c-5d2e7f8b9c01"
SALES = "9e8d7c6b-5a49-4382-a1b0-c9d8e7f6a5b4"
TRIGGER = "a1b2c3d4-e5f6-7890-abcd-ef1234567891"
ESCALATION = "d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f70"


@pytest.fixture
def org() -> OrgConnection:
    return connect_mock(REPO / "fixtures" / "org")


def sent(org: OrgConnection, operation_id: str) -> list[Exchange]:
    return [e for e in org.exchanges if e.operation_id == operation_id]


def test_list_reads_every_resource_with_its_token_and_correlation_id(org: OrgConnection) -> None:
    listing = org.client.resources("DesktopLayout").list()
    assert [(str(r.key), r.token) for r in listing] == [
        ("layoutId=lay-agent-default", 5),
        ("layoutId=lay-supervisor", 2),
    ]
    [page] = sent(org, "listDesktopLayouts")
    assert "pageSize=500" in page.url
    assert listing.correlation_ids == (page.correlation_id,)
    assert all(r.correlation_id == page.correlation_id for r in listing)
    rules = org.client.resources("TriggerRule").list()
    assert {r.token for r in rules} == {"7", "2"}  # etags, as the listing carries them


def test_a_listing_pages_at_the_largest_page_the_contract_allows(org: OrgConnection) -> None:
    assert org.org is not None
    rules = org.org.state.routing_rules
    template = rules[ESCALATION]
    for i in range(1200):
        rules[f"r-{i}"] = {**template, "id": f"r-{i}", "name": f"Rule {i}"}
    listing = org.client.resources("RoutingRule").list()
    assert len(listing) == 1202
    assert len(sent(org, "listRoutingRules")) == math.ceil(1202 / 500) == 3
    assert len(listing.correlation_ids) == 3
    assert len({r.key for r in listing}) == 1202


def test_strategies_are_items_of_their_queue_s_document(org: OrgConnection) -> None:
    strategies = org.client.resources("RoutingStrategy")
    listing = strategies.list(TECH)
    assert [str(r.key) for r in listing] == [
        f"queueId={TECH} mediaType=voice",
        f"queueId={TECH} mediaType=chat",
    ]
    assert listing.parent_token == 3
    assert {r.token for r in listing} == {3}
    voice = strategies.get(ResourceKey.of({"queueId": TECH}, {"/mediaType": "voice"}))
    assert voice.body["strategy"] == "mostSkilled"
    with pytest.raises(NotFoundError):
        strategies.get(ResourceKey.of({"queueId": TECH}, {"/mediaType": "callback"}))
    with pytest.raises(NotFoundError):
        strategies.list("00000000-0000-4000-8000-000000000000")
    everything = strategies.list()  # every queue, through the queues' listing
    assert len(everything) == 3
    assert Counter(e.operation_id for e in org.exchanges)["listQueues"] == 1


def test_get_reads_one_resource_and_its_token_from_the_header_when_needed(
    org: OrgConnection,
) -> None:
    rule = org.client.resources("TriggerRule").get(ResourceKey.of({"ruleId": TRIGGER}))
    assert (rule.token, rule.body["name"]) == ("7", "Credit Card Detection Rule")
    assert rule.correlation_id == sent(org, "getTriggerRule")[0].correlation_id
    with pytest.raises(NotFoundError):
        org.client.resources("DesktopLayout").get(ResourceKey.of({"layoutId": "nowhere"}))


def body_of(exchange: Exchange) -> dict[str, object]:
    assert exchange.request_body is not None
    loaded: dict[str, object] = json.loads(exchange.request_body)
    return loaded


def test_a_body_token_travels_in_the_body(org: OrgConnection) -> None:
    layouts = org.client.resources("DesktopLayout")
    current = layouts.get(ResourceKey.of({"layoutId": "lay-supervisor"}))
    body = {k: v for k, v in current.body.items() if k in ("name", "grid", "widgets")}
    written = layouts.update(current.key, {**body, "name": "Renamed", "version": 99}, token=2)
    assert (written.token, written.body["name"]) == (3, "Renamed")
    [put] = sent(org, "updateDesktopLayout")
    assert body_of(put)["version"] == 2  # the token given, not the body's stale one
    assert "if-match" not in {k.lower() for k in put.request_headers}
    with pytest.raises(ConflictError):
        layouts.update(current.key, body, token=2)  # stale now
    assert len(sent(org, "updateDesktopLayout")) == 2, "a stale write is never resent"


def test_an_etag_travels_in_if_match_and_leaves_the_body(org: OrgConnection) -> None:
    rules = org.client.resources("TriggerRule")
    current = rules.get(ResourceKey.of({"ruleId": TRIGGER}))
    body = {k: v for k, v in current.body.items() if k != "selfUri"}
    written = rules.update(current.key, body, token=current.token)
    assert written.token == "8"
    [put] = sent(org, "updateTriggerRule")
    assert put.request_headers["if-match"] == "7"
    assert "etag" not in body_of(put)
    with pytest.raises(ConflictError):
        rules.update(current.key, body, token="7")


def test_a_container_item_is_written_in_its_document_under_the_document_s_token(
    org: OrgConnection,
) -> None:
    strategies = org.client.resources("RoutingStrategy")
    voice = strategies.get(ResourceKey.of({"queueId": TECH}, {"/mediaType": "voice"}))
    changed = {**voice.body, "strategy": "random"}
    written = strategies.update(voice.key, changed, token=voice.token)
    assert (written.token, written.body["strategy"]) == (4, "random")
    [patch] = sent(org, "patchQueueStrategies")
    assert patch.request_headers["if-match"] == "3"
    assert body_of(patch) == {"strategies": [changed]}
    assert len(strategies.list(TECH)) == 2, "the chat strategy keeps its own"
    with pytest.raises(ValueError, match="the body names"):
        strategies.update(voice.key, {**changed, "mediaType": "chat"}, token=4)
    created = strategies.create(
        {"strategy": "longestIdleAgent", "mediaType": "chat"}, parent=SALES, token=1
    )
    assert (str(created.key), created.token) == (f"queueId={SALES} mediaType=chat", 2)


def test_create_answers_the_new_resource_with_its_key_and_token(org: OrgConnection) -> None:
    layouts = org.client.resources("DesktopLayout")
    created = layouts.create(
        {"name": "New", "grid": {"columns": 2, "rows": 2}, "widgets": []},
    )
    assert isinstance(created, Resource)
    assert created.token == 1
    assert created.key == ResourceKey.of({"layoutId": created.body["id"]})
    assert layouts.get(created.key).body["name"] == "New"


def test_writes_refuse_to_go_unguarded_or_to_carry_a_token_they_cannot(
    org: OrgConnection,
) -> None:
    layouts = org.client.resources("DesktopLayout")
    key = ResourceKey.of({"layoutId": "lay-supervisor"})
    with pytest.raises(ValueError, match="updateDesktopLayout needs the token"):
        layouts.update(key, {"name": "x"}, token=None)
    with pytest.raises(ValueError, match="createDesktopLayout carries no token"):
        layouts.create({"name": "x"}, token=3)
    with pytest.raises(LookupError, match="no delete operation for DesktopLayout"):
        layouts.delete(key)
    assert not [e for e in org.exchanges if e.operation_id != "postOAuthToken"]


def test_a_delete_carries_its_precondition(org: OrgConnection) -> None:
    rules = org.client.resources("RoutingRule")
    key = ResourceKey.of({"ruleId": ESCALATION})
    with pytest.raises(ValueError, match="deleteRoutingRule needs the token"):
        rules.delete(key)
    with pytest.raises(ConflictError):
        rules.delete(key, token=3)
    correlation = rules.delete(key, token=4)
    assert correlation == sent(org, "deleteRoutingRule")[-1].correlation_id
    assert sent(org, "deleteRoutingRule")[-1].request_headers["if-match"] == "4"
    with pytest.raises(NotFoundError):
        rules.get(key)


def test_writes_go_through_the_client_s_one_retry_loop(org: OrgConnection) -> None:
    assert org.org is not None
    rules = org.client.resources("RoutingRule")
    key = ResourceKey.of({"ruleId": ESCALATION})
    current = rules.get(key)
    body = {k: v for k, v in current.body.items() if k not in ("id", "selfUri", "queue")}
    org.org.faults.rate_limit(times=1, retry_after=2, operation="patchRoutingRule")
    written = rules.update(key, body, token=current.token)  # a 429 was not processed: resent
    assert written.token == 5
    assert [e.status for e in sent(org, "patchRoutingRule")] == [429, 200]
    org.org.faults.server_error(times=1, status=503, operation="patchRoutingRule")
    with pytest.raises(ApiError) as failed:
        rules.update(key, body, token=written.token)  # a PATCH may have landed: not resent
    assert failed.value.status == 503
    assert [e.status for e in sent(org, "patchRoutingRule")] == [429, 200, 503]
