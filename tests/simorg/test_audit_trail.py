"""The org's audit query names who changed what and when, whoever wrote.

Apply's conflict finding says "changed by X at T"; it can only be as right as
these records, so each is checked for the client, the org's time, the entity
and the fields that changed.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from genesys_compliance.client import VirtualClock
from genesys_compliance.simorg._audit import property_changes
from tests.api_support import (
    BILLING,
    CI_CLIENT,
    ESCALATION_RULE,
    TECH_SUPPORT,
    bearer,
    make_org,
)
from tests.simorg._exchange import send

if TYPE_CHECKING:
    from genesys_compliance.simorg import SimOrg

COLLEAGUE = "colleague-client"


def _query(org: SimOrg, **equal: str) -> list[dict[str, Any]]:
    filters = [{"name": k, "op": "eq", "values": [v]} for k, v in equal.items()]
    response = send(
        org, "POST", "/api/v2/audits/query", auth=bearer(org), json={"filters": filters}
    )
    assert response.status_code == 200
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def _patch_rule(org: SimOrg, client_id: str, **fields: Any) -> dict[str, Any]:
    current = org.state.routing_rules[ESCALATION_RULE]
    body = {k: v for k, v in current.items() if k != "id"} | fields
    response = send(
        org,
        "PATCH",
        f"/api/v2/routing/rules/{ESCALATION_RULE}",
        auth=bearer(org, client_id),
        json=body,
    )
    assert response.status_code == 200, response.text
    answered: dict[str, Any] = response.json()
    return answered


def test_writes_by_every_client_name_the_client_the_time_and_the_fields() -> None:
    org = make_org()
    assert isinstance(org.clock, VirtualClock)
    org.add_client(COLLEAGUE, "colleague-secret-0c9a")
    _patch_rule(org, CI_CLIENT, priority=11)
    org.clock.advance(90)
    _patch_rule(org, COLLEAGUE, description="Edited by a colleague")

    ours, theirs = _query(org, entityId=ESCALATION_RULE)
    assert (ours["clientId"], theirs["clientId"]) == (CI_CLIENT, COLLEAGUE)
    assert (ours["entityType"], ours["action"], ours["version"]) == ("routingRules", "update", 5)
    assert theirs["version"] == 6
    elapsed = datetime.fromisoformat(theirs["timestamp"]) - datetime.fromisoformat(
        ours["timestamp"]
    )
    assert elapsed.total_seconds() == 90  # the org's clock, not the machine's
    assert ours["propertyChanges"] == [
        {"property": "/priority", "oldValues": [10], "newValues": [11]}
    ]
    assert theirs["propertyChanges"] == [
        {
            "property": "/description",
            "oldValues": ["Routes high-priority or VIP technical calls to specialised agents"],
            "newValues": ["Edited by a colleague"],
        }
    ]
    assert _query(org, clientId=COLLEAGUE) == [theirs]


def test_a_colleague_writing_straight_into_the_org_is_audited_too() -> None:
    org = make_org()
    stored = org.change(
        "strategies",
        TECH_SUPPORT,
        client_id="ui-admin",
        field="/strategies/0/skills/required",
        value=["support_tier2"],
    )
    assert stored["version"] == 4
    assert org.state.strategies[TECH_SUPPORT]["items"][0]["skills"]["required"] == ["support_tier2"]
    (record,) = _query(org, clientId="ui-admin")
    assert (record["entityType"], record["entityId"], record["version"]) == (
        "strategies",
        TECH_SUPPORT,
        4,
    )
    assert record["propertyChanges"] == [
        {
            "property": "/strategies/0/skills/required/0",
            "oldValues": ["support_tier1"],
            "newValues": ["support_tier2"],
        }
    ]
    assert _query(org, correlationId=record["correlationId"]) == [record]


def test_a_create_records_each_field_it_set() -> None:
    org = make_org()
    body = {
        "name": "Billing VIP",
        "queue": {"id": BILLING},
        "priority": 3,
        "expression": {"type": "condition", "field": "vip_flag", "operator": "eq", "value": True},
    }
    created = send(org, "POST", "/api/v2/routing/rules", auth=bearer(org), json=body).json()
    (record,) = _query(org, entityId=created["id"])
    assert record["action"] == "create"
    assert {c["property"]: c["newValues"] for c in record["propertyChanges"]} == {
        "/name": ["Billing VIP"],
        "/queue": [{"id": BILLING}],
        "/priority": [3],
        "/expression": [body["expression"]],
    }
    assert all(c["oldValues"] == [] for c in record["propertyChanges"])


def test_property_changes_name_the_deepest_field_and_keep_json_types_apart() -> None:
    before = {
        "id": "r1",
        "version": 1,
        "enabled": 1,
        "settings": {"routing": {"type": "a", "maxWaitTime": 30}},
        "tags": ["x", "y"],
        "skills": ["s"],
    }
    after = {
        "id": "r1",
        "version": 2,
        "enabled": True,
        "settings": {"routing": {"type": "b", "maxWaitTime": 30}},
        "tags": ["x", "z"],
        "skills": ["s", "t"],
        "added": {"k": 1},
    }
    assert property_changes(before, after) == [
        {"property": "/enabled", "oldValues": [1], "newValues": [True]},
        {"property": "/settings/routing/type", "oldValues": ["a"], "newValues": ["b"]},
        {"property": "/tags/1", "oldValues": ["y"], "newValues": ["z"]},
        {"property": "/skills", "oldValues": [["s"]], "newValues": [["s", "t"]]},
        {"property": "/added", "oldValues": [], "newValues": [{"k": 1}]},
    ]
    assert property_changes({"a/b": 1, "version": 1}, {"a/b": 2, "version": 9}) == [
        {"property": "/a~1b", "oldValues": [1], "newValues": [2]}
    ]
    assert property_changes(after, None)[0] == {
        "property": "/enabled",
        "oldValues": [True],
        "newValues": [],
    }
