"""Turn an error response into the typed, redacted exception callers catch."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from genesys_compliance.client._redact import redact, redact_json
from genesys_compliance.client._retry import parse_retry_after
from genesys_compliance.errors import (
    ApiError,
    AuthError,
    ConflictError,
    NotFoundError,
    RateLimitedError,
)

if TYPE_CHECKING:
    import httpx

__all__ = ["error_from_response"]

_BY_STATUS: dict[int, type[ApiError]] = {
    401: AuthError,
    403: AuthError,
    404: NotFoundError,
    409: ConflictError,
    412: ConflictError,
    429: RateLimitedError,
}


def error_from_response(response: httpx.Response) -> ApiError:
    """Read the Genesys (or OAuth) error body of ``response`` into an :class:`ApiError`."""
    body = _json(response)
    status = response.status_code
    code: str | None
    if "error" in body and "code" not in body:  # RFC 6749 5.2 body from the token endpoint
        code = str(body["error"])
        message = str(body.get("error_description") or body.get("description") or code)
    else:
        code = str(body["code"]) if body.get("code") is not None else None
        message = str(body.get("message") or _reason(status))
    details = body.get("details")
    correlation: Any = response.headers.get("inin-correlation-id") or body.get("contextId")
    request = response.request
    kwargs: dict[str, Any] = {
        "status": status,
        "code": redact(code) if code else None,
        "correlation_id": str(correlation) if correlation else None,
        "method": request.method,
        "url": redact(str(request.url)),
        "details": redact_json(details) if isinstance(details, list) else (),
    }
    cls = _BY_STATUS.get(status, ApiError)
    if cls is RateLimitedError:
        kwargs["retry_after"] = parse_retry_after(response.headers.get("retry-after"))
    return cls(redact(message), **kwargs)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = json.loads(response.content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"
