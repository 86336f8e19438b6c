"""Every guarded write refuses a stale token with the contract's status and takes a fresh one.

Apply's promise not to lose a colleague's change rests on these answers: a
token read before someone else's write must be refused, and nothing of the
refused write may land.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.api_support import (
    AFTER_HOURS_FLOW,
    API,
    CI_CLIENT,
    ESCALATION_RULE,
    TECH_SUPPORT,
    TRIGGER_RULE,
    bearer,
    make_org,
)
from tests.simorg._exchange import error, send

if TYPE_CHECKING:
    from collections.abc import Callable

    from genesys_compliance.simorg import SimOrg


def _versioned(drop: tuple[str, ...]) -> Callable[..., tuple[dict[str, str], dict[str, Any]]]:
    def build(read: dict[str, Any], token: str) -> tuple[dict[str, str], dict[str, Any]]:
        body = {k: v for k, v in read.items() if k not in drop}
        body["version"] = int(token)
        return {}, body

    return build


def _flow(read: dict[str, Any], token: str) -> tuple[dict[str, str], dict[str, Any]]:
    body = {
        "orgId": read["orgId"],
        "flowId": read["id"],
        "settings": read["settings"],
        "version": int(token),
    }
    return {}, body


def _strategies(read: dict[str, Any], token: str) -> tuple[dict[str, str], dict[str, Any]]:
    return {"If-Match": f'"{token}"'}, {"strategies": read["strategies"]}


def _trigger_rule(read: dict[str, Any], token: str) -> tuple[dict[str, str], dict[str, Any]]:
    return {"If-Match": token}, {k: v for k, v in read.items() if k not in ("etag", "selfUri")}


@dataclass(frozen=True)
class _Guarded:
    """One guarded write: where to read and write it, and what a stale token earns.

    ``build`` makes the write's (headers, body) from the entity as read and the
    token to quote.
    """

    entity_type: str
    entity_id: str
    path: str
    method: str
    token: str
    build: Callable[[dict[str, Any], str], tuple[dict[str, str], dict[str, Any]]]
    stale: tuple[int, str]
    etag_header: bool
    colleague_field: str
    colleague_value: Any


CASES = [
    _Guarded(
        "layouts",
        "lay-supervisor",
        "/api/v2/desktop/layouts/lay-supervisor",
        "PUT",
        "version",
        _versioned(("id", "selfUri", "modifiedDate", "version")),
        (409, "version.mismatch"),
        etag_header=False,
        colleague_field="/description",
        colleague_value="edited in the UI",
    ),
    _Guarded(
        "flows",
        AFTER_HOURS_FLOW,
        f"/api/v2/architect/flows/{AFTER_HOURS_FLOW}",
        "PATCH",
        "version",
        _flow,
        (409, "version.mismatch"),
        etag_header=False,
        colleague_field="/settings/routing/type",
        colleague_value="roundRobin",
    ),
    _Guarded(
        "routingRules",
        ESCALATION_RULE,
        f"/api/v2/routing/rules/{ESCALATION_RULE}",
        "PATCH",
        "version",
        _versioned(("id", "selfUri", "version")),
        (409, "version.mismatch"),
        etag_header=False,
        colleague_field="/priority",
        colleague_value=1,
    ),
    _Guarded(
        "strategies",
        TECH_SUPPORT,
        f"/api/v2/routing/queues/{TECH_SUPPORT}/strategies",
        "PATCH",
        "version",
        _strategies,
        (409, "version.mismatch"),
        etag_header=True,
        colleague_field="/strategies/1/strategy",
        colleague_value="random",
    ),
    _Guarded(
        "triggerRules",
        TRIGGER_RULE,
        f"/api/v2/agent-assist/trigger-rules/{TRIGGER_RULE}",
        "PUT",
        "etag",
        _trigger_rule,
        (412, "precondition.failed"),
        etag_header=True,
        colleague_field="/enabled",
        colleague_value=False,
    ),
]


def _read(org: SimOrg, case: _Guarded, auth: dict[str, str]) -> tuple[dict[str, Any], str]:
    response = send(org, "GET", case.path, auth=auth)
    assert response.status_code == 200
    read: dict[str, Any] = response.json()
    return read, str(read[case.token])


@pytest.mark.parametrize("case", CASES, ids=[c.entity_type for c in CASES])
def test_a_stale_token_is_refused_and_a_fresh_one_accepted(case: _Guarded) -> None:
    org = make_org()
    auth = bearer(org)
    read, token = _read(org, case, auth)
    org.change(
        case.entity_type,
        case.entity_id,
        client_id="colleague",
        field=case.colleague_field,
        value=case.colleague_value,
    )
    after_colleague, _ = _read(org, case, auth)
    audits = len(org.state.audits)

    headers, body = case.build(read, token)
    stale = send(org, case.method, case.path, auth=auth, headers=headers, json=body)
    assert error(stale) == case.stale
    assert _read(org, case, auth)[0] == after_colleague  # nothing of the stale write landed
    assert len(org.state.audits) == audits

    fresh_read, fresh_token = _read(org, case, auth)
    headers, body = case.build(fresh_read, fresh_token)
    accepted = send(org, case.method, case.path, auth=auth, headers=headers, json=body)
    assert accepted.status_code == 200
    new_token = str(accepted.json()[case.token])
    assert int(new_token) == int(fresh_token) + 1
    if case.etag_header:
        assert accepted.headers["ETag"] == f'"{new_token}"'
    assert org.state.audits[-1]["clientId"] == CI_CLIENT
    assert org.state.audits[-1]["version"] == accepted.json()[case.token]


def test_the_contract_documents_the_status_each_stale_write_gets() -> None:
    # The statuses above are the contract's, not the simulated org's own idea.
    contract = make_org().contract
    for case in CASES:
        found = contract.match(case.method, case.path)
        assert found is not None
        assert str(case.stale[0]) in found.operation.responses, found.operation.operation_id


def _delete(org: SimOrg, rule_id: str, if_match: str | None) -> httpx.Response:
    headers = bearer(org) if if_match is None else {**bearer(org), "If-Match": if_match}
    request = httpx.Request("DELETE", f"{API}/api/v2/routing/rules/{rule_id}", headers=headers)
    response = org(request)
    assert org.contract.validate_response(request, response) == [], response.text
    return response


def test_a_delete_with_a_stale_version_is_refused_and_with_the_current_one_done() -> None:
    org = make_org()
    version = org.state.routing_rules[ESCALATION_RULE]["version"]
    stale = _delete(org, ESCALATION_RULE, str(version - 1))
    assert error(stale) == (409, "version.mismatch")
    assert stale.json()["messageParams"]["current"] == str(version)
    assert ESCALATION_RULE in org.state.routing_rules
    assert _delete(org, ESCALATION_RULE, f'W/"{version}"').status_code == 204
    assert ESCALATION_RULE not in org.state.routing_rules
    (record,) = [r for r in org.state.audits if r["entityId"] == ESCALATION_RULE]
    assert (record["action"], record["version"]) == ("delete", version)
    assert {c["property"] for c in record["propertyChanges"]} >= {"/name", "/expression"}


def test_a_delete_without_a_precondition_stays_unconditional() -> None:
    org = make_org()
    assert _delete(org, ESCALATION_RULE, None).status_code == 204
    assert _delete(org, ESCALATION_RULE, None).status_code == 404


def test_every_write_answer_carries_its_own_correlation_id() -> None:
    org = make_org()
    auth = bearer(org)
    answers = []
    for case in CASES:
        read, token = _read(org, case, auth)
        headers, body = case.build(read, token)
        answers.append(send(org, case.method, case.path, auth=auth, headers=headers, json=body))
        answers.append(send(org, case.method, case.path, auth=auth, headers=headers, json=body))
    layout = {"name": "New", "grid": {"columns": 2, "rows": 2}, "widgets": []}
    answers.append(send(org, "POST", "/api/v2/desktop/layouts", auth=auth, json=layout))
    answers.append(_delete(org, ESCALATION_RULE, None))
    ids = [a.headers["ININ-Correlation-Id"] for a in answers]
    assert len(set(ids)) == len(ids) == 2 * len(CASES) + 2
    # Each accepted write is audited under the id its answer carried, once.
    accepted = [a for a in answers if a.status_code in (200, 201, 204)]
    audited = [r["correlationId"] for r in org.state.audits]
    assert sorted(audited) == sorted(a.headers["ININ-Correlation-Id"] for a in accepted)
