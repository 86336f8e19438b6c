"""The org's answers: JSON bodies, the Genesys error shape, the headers every response has."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["Reply", "RequestRejectedError", "error_body", "to_response"]


@dataclass(frozen=True)
class Reply:
    """What an operation answers, before the handler adds the common headers."""

    status: int
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


class RequestRejectedError(Exception):
    """Raised by an operation to answer with the Genesys error body."""

    def __init__(
        self,
        status: int,
        code: str,
        template: str,
        params: Mapping[str, str] | None = None,
        details: Sequence[Mapping[str, str]] = (),
    ) -> None:
        super().__init__(template)
        self.status = status
        self.code = code
        self.template = template
        self.params = dict(params or {})
        self.details = list(details)

    def reply(self, correlation_id: str) -> Reply:
        """The error as a reply carrying the request's correlation id."""
        return Reply(
            self.status,
            error_body(
                self.status,
                self.code,
                self.template,
                correlation_id,
                params=self.params,
                details=self.details,
            ),
        )


def error_body(
    status: int,
    code: str,
    template: str,
    correlation_id: str,
    *,
    params: Mapping[str, str] | None = None,
    details: Sequence[Mapping[str, str]] = (),
) -> dict[str, Any]:
    """The platform's error body; ``template`` names parameters as ``{name}``."""
    values = dict(params or {})
    return {
        "message": template.format(**values) if values else template,
        "code": code,
        "status": status,
        "messageWithParams": template,
        "messageParams": values,
        "contextId": correlation_id,
        "details": [dict(d) for d in details],
        "errors": [],
    }


def to_response(reply: Reply, headers: Mapping[str, str]) -> httpx.Response:
    """Serialise a reply; ``headers`` are the ones every response carries."""
    merged = {**headers, **reply.headers}
    if reply.body is None:
        return httpx.Response(reply.status, headers=merged)
    merged.setdefault("Content-Type", "application/json")
    content = json.dumps(reply.body).encode("utf-8")
    return httpx.Response(reply.status, headers=merged, content=content)
