"""Faults scheduled in process (``org.faults``): what they hit, what they leave, what they refuse.

The same ``Fault`` travels to a running server through the control interface,
so its matching, its checks and its JSON form are proved here once.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from genesys_compliance.client import VirtualClock
from genesys_compliance.simorg import Fault, FaultKind
from tests.api_support import (
    API,
    BILLING,
    ESCALATION_RULE,
    PRIMARY_FLOW,
    TECH_SUPPORT,
    bearer,
    make_org,
)
from tests.simorg._exchange import error, send

QUEUE = f"/api/v2/routing/queues/{TECH_SUPPORT}"
RULE = f"/api/v2/routing/rules/{ESCALATION_RULE}"


def _new_rule(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "queue": {"id": BILLING},
        "expression": {"type": "condition", "field": "skill", "operator": "exists"},
    }


def test_a_fault_hits_the_next_n_requests_its_method_and_path_pattern_match() -> None:
    org = make_org()
    auth = bearer(org)
    org.faults.rate_limit(times=2, retry_after=4, method="get", path="/api/v2/routing/queues/*")
    first = send(org, "GET", QUEUE, auth=auth)
    assert (first.status_code, first.headers["Retry-After"]) == (429, "4")
    assert send(org, "GET", f"/api/v2/architect/flows/{PRIMARY_FLOW}", auth=auth).status_code == 200
    assert send(org, "GET", "/api/v2/routing/queues", auth=auth).status_code == 200  # no '/'
    assert error(send(org, "GET", QUEUE, auth=auth)) == (429, "too.many.requests")
    assert send(org, "GET", QUEUE, auth=auth).status_code == 200
    assert org.faults.pending == ()


def test_a_server_error_carries_nothing_out_and_the_log_names_the_fault() -> None:
    org = make_org()
    auth = bearer(org)
    fault = org.faults.server_error(status=502, method="POST", path="/api/v2/routing/rules")
    refused = send(org, "POST", "/api/v2/routing/rules", auth=auth, json=_new_rule("Once"))
    assert error(refused) == (502, "bad.gateway")
    assert [r["name"] for r in org.state.routing_rules.values()].count("Once") == 0
    entry = org.requests.find(refused.headers["ININ-Correlation-Id"])
    assert entry is not None
    assert (entry.status, entry.outcome, entry.faults) == (502, "answered", (fault.id,))
    assert (
        send(org, "POST", "/api/v2/routing/rules", auth=auth, json=_new_rule("Once")).status_code
        == 201
    )


def test_dropped_connections_are_logged_with_whether_the_org_processed_them() -> None:
    org = make_org()
    auth = bearer(org)
    org.faults.drop_connection(operation="createRoutingRule")
    with pytest.raises(httpx.ConnectError):
        org(httpx.Request("POST", f"{API}/api/v2/routing/rules", headers=auth, json=_new_rule("A")))
    org.faults.drop_connection(operation="createRoutingRule", after_processing=True)
    with pytest.raises(httpx.RemoteProtocolError):
        org(httpx.Request("POST", f"{API}/api/v2/routing/rules", headers=auth, json=_new_rule("B")))
    names = [r["name"] for r in org.state.routing_rules.values()]
    assert ("A" in names, names.count("B")) == (False, 1)
    before, after = org.requests.entries()[-2:]
    assert (before.outcome, before.status) == ("dropped-before-processing", None)
    assert (after.outcome, after.status) == ("dropped-after-processing", 201)
    assert org.requests.entries(after=after.seq) == ()


def test_a_concurrent_writer_changes_the_named_field_just_before_the_next_matching_write() -> None:
    org = make_org()
    auth = bearer(org)
    read = send(org, "GET", RULE, auth=auth).json()
    org.faults.concurrent_write(
        entity_type="routingRules",
        entity_id=ESCALATION_RULE,
        field="/expression/children/1/value",
        value="fr",
        client_id="colleague-ui",
        method="PATCH",
        path="/api/v2/routing/rules/*",
    )
    send(org, "GET", RULE, auth=auth)  # a read never triggers it
    assert len(org.faults.pending) == 1
    body = {k: v for k, v in read.items() if k not in ("id", "selfUri")}
    assert error(send(org, "PATCH", RULE, auth=auth, json=body)) == (409, "version.mismatch")
    now = send(org, "GET", RULE, auth=auth).json()
    assert now["expression"]["children"][1]["value"] == "fr"
    assert now["version"] == read["version"] + 1
    record = org.state.audits[-1]
    assert (record["clientId"], record["entityId"]) == ("colleague-ui", ESCALATION_RULE)
    assert record["propertyChanges"] == [
        {"property": "/expression/children/1/value", "oldValues": ["en"], "newValues": ["fr"]}
    ]


def test_a_concurrent_writer_of_another_entity_leaves_the_write_itself_current() -> None:
    org = make_org()
    auth = bearer(org)
    org.faults.concurrent_write(
        entity_type="RoutingStrategy",
        entity_id=BILLING,
        field="/strategies/0/strategy",
        value="random",
    )
    body = {k: v for k, v in org.state.routing_rules[ESCALATION_RULE].items() if k != "id"}
    assert send(org, "PATCH", RULE, auth=auth, json=body).status_code == 200
    assert org.state.strategies[BILLING]["items"][0]["strategy"] == "random"


def _race(**fields: Any) -> dict[str, Any]:
    return {"kind": FaultKind.CONCURRENT_WRITE, **fields}


def _race_rule(field: str, value: Any) -> dict[str, Any]:
    return _race(entity_type="routingRules", entity_id=ESCALATION_RULE, field=field, value=value)


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ({"kind": FaultKind.RATE_LIMIT, "operation": "getQeue"}, "unknown operation"),
        ({"kind": FaultKind.SERVER_ERROR, "status": 404}, "5xx"),
        ({"kind": FaultKind.RATE_LIMIT, "remaining": 0}, "at least 1"),
        ({"kind": FaultKind.RATE_LIMIT, "method": "FETCH"}, "not an HTTP method"),
        ({"kind": FaultKind.RATE_LIMIT, "path": "api/v2/*"}, "start with '/'"),
        ({"kind": FaultKind.LATENCY, "seconds": float("inf")}, "finite"),
        (_race(operation="createRoutingRule"), "name entity_type and entity_id"),
        (_race(entity_type="queues", entity_id="q"), "unknown entity type"),
        (_race(entity_type="routingRules", entity_id="nope"), "no routingRules entity"),
        (_race(entity_type="routingRules"), "or neither"),
        (_race_rule("/priority", "high"), "outside RoutingRuleEntity"),
        (_race_rule("/version", 1), "owned by the org"),
        (_race_rule("/nothing/here", 1), "does not exist"),
        (_race_rule("/expression/children/9", {}), "past the list's end"),
        (_race_rule("priority", 1), "not a JSON pointer"),
    ],
)
def test_a_fault_that_could_never_fire_as_meant_is_refused_when_scheduled(
    schedule: dict[str, Any], message: str
) -> None:
    org = make_org()
    with pytest.raises(ValueError, match=message):
        org.faults.schedule(Fault(**schedule))
    assert org.faults.pending == ()


def test_faults_travel_as_json_and_back_unchanged() -> None:
    org = make_org()
    scheduled = [
        org.faults.rate_limit(times=3, retry_after=9, method="GET", path="/api/v2/*"),
        org.faults.server_error(status=504, operation="getQueue"),
        org.faults.latency(0.25, times=None),
        org.faults.drop_connection(after_processing=True, operation="createRoutingRule"),
        org.faults.concurrent_write(
            entity_type="triggerRules",
            entity_id="a1b2c3d4-e5f6-7890-abcd-ef1234567891",
            field="/enabled",
            value=False,
            client_id="someone",
        ),
    ]
    for fault in scheduled:
        assert Fault.from_json(fault.to_json()) == fault
    assert [f.id for f in scheduled] == [f"fault-{n}" for n in range(1, 6)]
    assert org.faults.cancel("fault-2") is True
    assert org.faults.cancel("fault-2") is False
    assert org.faults.clear() == 4


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "needs a kind"),
        ({"kind": "explode"}, "unknown fault kind"),
        ({"kind": "rate_limit", "retry": 3}, "takes no retry"),
        ({"kind": "rate_limit", "status": 502}, "rate_limit fault takes no status"),
        ({"kind": "rate_limit", "times": "2"}, "times must be int or null"),
        ({"kind": "drop_connection", "afterProcessing": "yes"}, "afterProcessing must be bool"),
        ({"kind": "latency", "seconds": True}, "seconds must be int or float"),
        ({"kind": "server_error", "status": 500.0}, "status must be int"),
    ],
)
def test_fault_json_is_read_strictly(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Fault.from_json(data)


def test_every_request_waits_the_org_latency_on_its_clock() -> None:
    org = make_org(latency=1.5)
    assert isinstance(org.clock, VirtualClock)
    auth = bearer(org)
    before = org.clock.now()
    answered = send(org, "GET", QUEUE, auth=auth)
    assert org.clock.now() - before == 1.5
    org.faults.latency(0.5, times=1, operation="getQueue")
    slower = send(org, "GET", QUEUE, auth=auth)
    token = send(org, "POST", "/oauth/token", auth={}, data={"grant_type": "client_credentials"})
    latencies = [
        entry.latency
        for response in (answered, slower, token)
        if (entry := org.requests.find(response.headers["ININ-Correlation-Id"])) is not None
    ]
    assert latencies == [1.5, 2.0, 1.5]  # the token endpoint waits too
    org.latency = 0
    send(org, "GET", QUEUE, auth=auth)
    assert org.requests.entries()[-1].latency == 0.0
    with pytest.raises(ValueError, match="at least 0"):
        org.latency = -1
