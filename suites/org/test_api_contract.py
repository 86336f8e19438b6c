"""The API client against the org: every exchange fits the contract; errors behave as documented.

Runs against the simulated org by default and against a live org with
``--gc-org live``. Reads run everywhere; tests marked ``gc_writes`` (creates,
updates, stale versions) run only against the simulated org, and tests that
need fault injection or extra OAuth clients skip on a live org.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from genesys_compliance.client import GenesysClient
from genesys_compliance.connect import OrgConnection
from genesys_compliance.errors import AuthError, ConflictError, NotFoundError

Reader = Callable[[GenesysClient], Any]

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"

LISTS: dict[str, tuple[Reader, Callable[[GenesysClient, dict[str, Any]], Any]]] = {
    "DesktopLayout": (lambda c: c.list_layouts(), lambda c, e: c.get_layout(e["id"])),
    "FlowSettings": (lambda c: c.list_flows(), lambda c, e: c.get_flow(e["id"])),
    "RoutingStrategy": (lambda c: c.list_queues(), lambda c, e: c.get_queue_strategies(e["id"])),
    "TriggerRule": (lambda c: c.list_trigger_rules(), lambda c, e: c.get_trigger_rule(e["id"])),
    "RoutingRule": (lambda c: c.list_routing_rules(), lambda c, e: c.get_routing_rule(e["id"])),
}


def contract_problems(org: OrgConnection) -> list[str]:
    """Every way the recorded (redacted) exchanges miss the contract."""
    problems: list[str] = []
    for exchange in org.exchanges:
        request, response = exchange.to_httpx()
        where = f"{exchange.method} {exchange.url}"
        problems += [f"{where}: request {p}" for p in org.contract.validate_request(request)]
        if response is not None:
            problems += [
                f"{where}: response {p}" for p in org.contract.validate_response(request, response)
            ]
    return problems


def simulated(org: OrgConnection) -> None:
    if org.org is None:
        pytest.skip("needs the simulated org (fault injection or extra OAuth clients)")


@pytest.mark.parametrize("kind", sorted(LISTS))
def test_list_and_get_fit_the_contract(gc_org: OrgConnection, kind: str) -> None:
    list_entities, get_entity = LISTS[kind]
    entities = list(itertools.islice(list_entities(gc_org.client), 3))
    for entity in entities:
        get_entity(gc_org.client, entity)
    assert len(gc_org.exchanges) >= 1
    assert contract_problems(gc_org) == []


def test_an_unknown_resource_is_a_typed_404(gc_org: OrgConnection) -> None:
    with pytest.raises(NotFoundError) as caught:
        gc_org.client.get_queue(UNKNOWN_ID)
    assert caught.value.status == 404
    assert caught.value.correlation_id
    assert contract_problems(gc_org) == []


@pytest.mark.gc_writes
def test_create_and_update_fit_the_contract(gc_org: OrgConnection) -> None:
    client = gc_org.client
    created = client.create_layout(
        {
            "name": f"Contract probe {secrets.token_hex(3)}",
            "grid": {"columns": 24, "rows": 16},
            "widgets": [
                {
                    "widget_type": "notes-widget",
                    "id": "n-1",
                    "position": {"x": 0, "y": 0, "width": 4, "height": 4},
                }
            ],
        }
    )
    client.update_layout(created["id"], {**_writable(created), "description": "updated"})
    rule = client.create_trigger_rule(
        {
            "name": f"Contract probe {secrets.token_hex(3)}",
            "ruleType": "conversation",
            "enabled": False,
            "conditions": [
                {
                    "type": "keyword",
                    "field": "conversation.text",
                    "operator": "contains",
                    "value": "probe",
                }
            ],
            "actions": [{"type": "display", "templateId": "tmpl_98765", "priority": 1}],
        }
    )
    client.update_trigger_rule(
        rule["id"],
        {**_writable(rule, TRIGGER_FIELDS), "description": "updated"},
        etag=str(rule["etag"]),
    )
    queue = next(iter(client.list_queues()))
    routing = client.create_routing_rule(
        queue["id"],
        {
            "name": f"Contract probe {secrets.token_hex(3)}",
            "expression": {
                "type": "condition",
                "field": "language",
                "operator": "eq",
                "value": "en",
            },
        },
    )
    client.patch_routing_rule(
        routing["id"],
        {
            "name": routing["name"],
            "expression": routing["expression"],
            "version": routing["version"],
            "priority": 5,
        },
    )
    client.delete_routing_rule(routing["id"])
    assert contract_problems(gc_org) == []


LAYOUT_FIELDS = {"name", "description", "grid", "widgets", "inheritance", "version"}
TRIGGER_FIELDS = {
    "id",
    "etag",
    "name",
    "description",
    "ruleType",
    "enabled",
    "conditions",
    "actions",
}


def _writable(entity: dict[str, Any], fields: set[str] = LAYOUT_FIELDS) -> dict[str, Any]:
    """The fields a client sends back: server-owned ones such as selfUri stay behind."""
    return {k: v for k, v in entity.items() if k in fields}


@pytest.mark.gc_writes
def test_a_stale_layout_version_is_a_409(gc_org: OrgConnection) -> None:
    layout = next(iter(gc_org.client.list_layouts()))
    current = gc_org.client.get_layout(layout["id"])
    stale = {**_writable(current), "version": current["version"] - 1}
    with pytest.raises(ConflictError) as caught:
        gc_org.client.update_layout(layout["id"], stale)
    assert caught.value.status == 409


@pytest.mark.gc_writes
def test_a_stale_trigger_rule_etag_is_a_412(gc_org: OrgConnection) -> None:
    rule = next(iter(gc_org.client.list_trigger_rules()))
    current = gc_org.client.get_trigger_rule(rule["id"])
    with pytest.raises(ConflictError) as caught:
        gc_org.client.update_trigger_rule(
            rule["id"], _writable(current, TRIGGER_FIELDS), etag="stale-etag"
        )
    assert caught.value.status == 412


def test_an_expired_token_is_refreshed_once(gc_org: OrgConnection) -> None:
    simulated(gc_org)
    assert gc_org.org is not None
    fetches = gc_org.client.token_fetches
    gc_org.org.expire_tokens()
    queue = next(iter(gc_org.client.list_queues()))
    gc_org.client.get_queue(queue["id"])
    assert gc_org.client.token_fetches == fetches + 1
    assert [e.status for e in gc_org.exchanges][:3] == [401, 200, 200]


def test_a_token_without_the_scope_is_a_403(gc_org: OrgConnection) -> None:
    simulated(gc_org)
    assert gc_org.org is not None
    assert gc_org.router is not None
    client_id, secret = f"read-only-{secrets.token_hex(3)}", secrets.token_urlsafe(16)
    read_scopes = frozenset(s for s in gc_org.org.all_scopes() if s.endswith((":read", ":view")))
    gc_org.org.add_client(client_id, secret, scopes=read_scopes)
    reader = GenesysClient(
        client_id=client_id,
        client_secret=secret,
        contract=gc_org.contract,
        transport=httpx.MockTransport(gc_org.router.handler),
    )
    with reader, pytest.raises(AuthError) as caught:
        reader.create_trigger_rule(
            {"name": "nope", "ruleType": "conversation", "conditions": [], "actions": []}
        )
    assert caught.value.status == 403
    assert secret not in str(caught.value)
    assert secret not in repr(caught.value)


def test_a_429_is_retried_after_retry_after(gc_org: OrgConnection) -> None:
    simulated(gc_org)
    assert gc_org.org is not None
    assert gc_org.router is not None
    gc_org.org.faults.rate_limit(times=1, retry_after=7, operation="listQueues")
    before = gc_org.org.clock.now()
    assert list(itertools.islice(gc_org.client.list_queues(), 1))
    assert [e.status for e in gc_org.exchanges][:2] == [429, 200]
    assert gc_org.org.clock.now() - before >= 7
    assert gc_org.router.routes["listQueues"].call_count >= 2
