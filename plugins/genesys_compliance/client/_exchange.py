"""Redacted records of what was sent and received, for reports and allure attachments."""

from __future__ import annotations

import collections
import json
import threading
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from genesys_compliance.client._redact import redact, redact_headers, redact_json

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

__all__ = ["Exchange", "ExchangeLog", "record_exchange"]

# Bodies beyond this are cut: an attachment is for reading, not for replay.
MAX_BODY_CHARS = 64 * 1024


@dataclass(frozen=True, slots=True)
class Exchange:
    """One HTTP attempt, redacted at creation so nothing unsafe is ever stored.

    Attributes:
        operation_id: The contract operation, when the request had one.
        attempt: 1 for the first send, 2 for the first retry, and so on.
        method: HTTP method.
        url: Full URL (query included).
        request_headers: Headers sent; credentials masked.
        request_body: Body sent as text; credential fields masked.
        status: Response status, ``None`` when no response arrived.
        response_headers: Headers received; credentials masked.
        response_body: Body received as text; credential fields masked.
        error: Why no response arrived (transport failures only).
        correlation_id: The response's ``ININ-Correlation-Id``.
        elapsed: Seconds from send to response or failure, on the client's clock.
    """

    operation_id: str | None
    attempt: int
    method: str
    url: str
    request_headers: Mapping[str, str] = field(default_factory=dict)
    request_body: str | None = None
    status: int | None = None
    response_headers: Mapping[str, str] = field(default_factory=dict)
    response_body: str | None = None
    error: str | None = None
    correlation_id: str | None = None
    elapsed: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping of the record."""
        data = asdict(self)
        data["request_headers"] = dict(self.request_headers)
        data["response_headers"] = dict(self.response_headers)
        return data

    def to_json(self) -> str:
        """The record as indented JSON, e.g. for an allure attachment."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    def to_httpx(self) -> tuple[httpx.Request, httpx.Response | None]:
        """Rebuild (redacted) httpx objects, so the contract can check a recorded exchange."""
        request = httpx.Request(
            self.method,
            self.url,
            headers=list(self.request_headers.items()),
            content=(self.request_body or "").encode("utf-8"),
        )
        if self.status is None:
            return request, None
        response = httpx.Response(
            self.status,
            headers=[
                (k, v) for k, v in self.response_headers.items() if k.lower() != "content-length"
            ],
            content=(self.response_body or "").encode("utf-8"),
            request=request,
        )
        return request, response


class ExchangeLog:
    """A thread-safe, bounded list of exchanges; the oldest fall off first."""

    def __init__(self, maxlen: int | None = 1000) -> None:
        self._items: collections.deque[Exchange] = collections.deque(maxlen=maxlen)
        self._lock = threading.Lock()

    def append(self, exchange: Exchange) -> None:
        """Record one exchange."""
        with self._lock:
            self._items.append(exchange)

    def clear(self) -> None:
        """Forget everything recorded so far."""
        with self._lock:
            self._items.clear()

    def snapshot(self) -> tuple[Exchange, ...]:
        """The exchanges recorded so far, oldest first."""
        with self._lock:
            return tuple(self._items)

    def __iter__(self) -> Iterator[Exchange]:
        return iter(self.snapshot())

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


def record_exchange(
    *,
    operation_id: str | None,
    attempt: int,
    request: httpx.Request,
    response: httpx.Response | None,
    error: BaseException | None,
    elapsed: float,
) -> Exchange:
    """Build a redacted :class:`Exchange` from live httpx objects."""
    return Exchange(
        operation_id=operation_id,
        attempt=attempt,
        method=request.method,
        url=redact(str(request.url)),
        request_headers=redact_headers(request.headers.multi_items()),
        request_body=_body_text(request.headers.get("content-type"), _content(request)),
        status=response.status_code if response is not None else None,
        response_headers=redact_headers(response.headers.multi_items())
        if response is not None
        else {},
        response_body=(
            _body_text(response.headers.get("content-type"), response.content)
            if response is not None
            else None
        ),
        error=redact(f"{type(error).__name__}: {error}") if error is not None else None,
        correlation_id=response.headers.get("inin-correlation-id")
        if response is not None
        else None,
        elapsed=elapsed,
    )


def _content(request: httpx.Request) -> bytes:
    try:
        return request.content
    except httpx.RequestNotRead:
        return b""


def _body_text(content_type: str | None, content: bytes) -> str | None:
    if not content:
        return None
    text = content.decode("utf-8", errors="replace")
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        try:
            text = json.dumps(redact_json(json.loads(text)), sort_keys=True)
        except ValueError:
            text = redact(text)
    else:
        text = redact(text)
    if len(text) > MAX_BODY_CHARS:
        text = text[:MAX_BODY_CHARS] + f"… [{len(text) - MAX_BODY_CHARS} more characters]"
    return text
