"""Send one request to an in-process org and hold its answer to the contract."""

from __future__ import annotations

from typing import Any

import httpx

from genesys_compliance.simorg import SimOrg
from tests.api_support import API, LOGIN


def send(
    org: SimOrg, method: str, path: str, *, auth: dict[str, str] | None = None, **kwargs: Any
) -> httpx.Response:
    base = LOGIN if path == "/oauth/token" else API
    request = httpx.Request(
        method, base + path, headers={**(auth or {}), **kwargs.pop("headers", {})}, **kwargs
    )
    response = org(request)
    # Whatever the org answers, it must be what the contract documents.
    if org.contract.match(method, path) is not None:
        assert org.contract.validate_response(request, response) == [], (
            method,
            path,
            response.text,
        )
    assert response.headers["ININ-Correlation-Id"]
    return response


def error(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    assert body["status"] == response.status_code
    assert body["contextId"] == response.headers["ININ-Correlation-Id"]
    assert set(body) == {
        "message",
        "code",
        "status",
        "messageWithParams",
        "messageParams",
        "contextId",
        "details",
        "errors",
    }
    return body["status"], body["code"]
