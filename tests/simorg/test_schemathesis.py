"""Prove the simulated org against the contract with schemathesis over the WSGI app.

The first test fails whenever the org answers something the document does not
describe; the second shows it would, by breaking the org on purpose.
"""

import base64
import json
from collections.abc import Callable, Iterable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup
from schemathesis.openapi.checks import JsonSchemaError

from genesys_compliance.client import VirtualClock
from genesys_compliance.simorg import SimOrg, wsgi_app
from tests.api_support import CI_CLIENT, CI_SECRET, TECH_SUPPORT, seed

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

ORG = SimOrg(seed(), clock=VirtualClock(), rate_limit_per_minute=10**9)
TOKEN = ORG.issue_token(CI_CLIENT)
BASIC = "Basic " + base64.b64encode(f"{CI_CLIENT}:{CI_SECRET}".encode()).decode()
schema = schemathesis.openapi.from_wsgi("/openapi.json", wsgi_app(ORG))


def _auth(path: str) -> dict[str, str]:
    return {"Authorization": BASIC if path == "/oauth/token" else f"Bearer {TOKEN}"}


@schema.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_the_simulated_org_honours_the_contract(case: Any) -> None:
    case.call_and_validate(headers=_auth(case.operation.path), checks=CHECKS)


WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]


def _renaming_queue_names_to_numbers(app: WsgiApp) -> WsgiApp:
    """A regression an org could ship: a string field answered as a number."""

    def broken(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        body = b"".join(app(environ, start_response))
        if environ["PATH_INFO"].startswith("/api/v2/routing/queues/") and body:
            data = json.loads(body)
            data["name"] = 42
            body = json.dumps(data).encode().ljust(len(body))
        return [body]

    return broken


def test_schemathesis_catches_an_org_that_disagrees_with_the_contract() -> None:
    org = SimOrg(seed(), clock=VirtualClock())
    token = org.issue_token(CI_CLIENT)
    broken = schemathesis.openapi.from_wsgi(
        "/openapi.json", _renaming_queue_names_to_numbers(wsgi_app(org))
    )
    operation = broken["/api/v2/routing/queues/{queueId}"]["GET"]
    case = operation.Case(path_parameters={"queueId": TECH_SUPPORT})
    with pytest.raises(FailureGroup) as found:
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
    (failure,) = found.value.exceptions
    assert isinstance(failure, JsonSchemaError)
    assert '42 is not of type "string"' in str(failure)
    healthy = schema["/api/v2/routing/queues/{queueId}"]["GET"].Case(
        path_parameters={"queueId": TECH_SUPPORT}
    )
    healthy.call_and_validate(headers=_auth("/api/v2"), checks=CHECKS)
