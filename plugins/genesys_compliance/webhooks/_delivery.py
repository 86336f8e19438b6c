"""What happened to one message at one receiver, as data the apply stage audits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Attempt", "Delivery", "Outcome"]

#: ``delivered``: a 2xx arrived. ``failed``: requests were sent, none was accepted.
#: ``not-sent``: nothing was sent (no usable secret, or the receiver said 410 Gone before).
Outcome = Literal["delivered", "failed", "not-sent"]


@dataclass(frozen=True, slots=True)
class Attempt:
    """One POST of a message.

    Attributes:
        number: 1 for the first send, 2 for the first retry, ...
        timestamp: The ``webhook-timestamp`` it carried (Unix seconds).
        waited: Seconds slept before it (backoff or ``Retry-After``).
        status: The HTTP status, or ``None`` when no response arrived.
        error: Why no response arrived (``ConnectError: ...``), else ``None``.
        latency_ms: Milliseconds from sending to the response headers, or to the failure.
    """

    number: int
    timestamp: int
    waited: float
    status: int | None
    error: str | None
    latency_ms: int

    @property
    def accepted(self) -> bool:
        """Whether the receiver answered 2xx."""
        return self.status is not None and 200 <= self.status <= 299

    def describe(self) -> str:
        """``HTTP 503`` or the transport error: the reason of a failed delivery."""
        return f"HTTP {self.status}" if self.status is not None else str(self.error)

    def as_record(self) -> dict[str, Any]:
        """JSON-ready, with the audit log's camelCase names."""
        return {
            "number": self.number,
            "timestamp": self.timestamp,
            "waited": self.waited,
            "status": self.status,
            "error": self.error,
            "latencyMs": self.latency_ms,
        }


@dataclass(frozen=True, slots=True)
class Delivery:
    """The outcome of one message at one receiver: every attempt, and how it ended.

    Holds no secret and no signature: it is made to be logged and audited.

    Attributes:
        url: The receiver.
        event_type: The event sent.
        webhook_id: The message's ``webhook-id`` (the same for every receiver).
        outcome: ``delivered``, ``failed`` or ``not-sent``.
        reason: One line for a person: ``HTTP 204``, ``gave up after 5 attempts: HTTP 503``,
            ``secret variable GC_WEBHOOK_SECRET is not set``.
        attempts: Every POST made, in order; empty when nothing was sent.
        latency_ms: Milliseconds from the first attempt to the end, waits included.
    """

    url: str
    event_type: str
    webhook_id: str
    outcome: Outcome
    reason: str
    attempts: tuple[Attempt, ...] = ()
    latency_ms: int = 0

    @property
    def delivered(self) -> bool:
        """Whether the receiver accepted the message."""
        return self.outcome == "delivered"

    @property
    def attempt_count(self) -> int:
        """How many POSTs were made."""
        return len(self.attempts)

    @property
    def status(self) -> int | None:
        """The last HTTP status received, ``None`` when no response arrived or nothing was sent."""
        return self.attempts[-1].status if self.attempts else None

    def as_record(self) -> dict[str, Any]:
        """JSON-ready, with the audit log's camelCase names, for the run's audit record."""
        return {
            "url": self.url,
            "event": self.event_type,
            "webhookId": self.webhook_id,
            "outcome": self.outcome,
            "status": self.status,
            "reason": self.reason,
            "attemptCount": self.attempt_count,
            "attempts": [attempt.as_record() for attempt in self.attempts],
            "latencyMs": self.latency_ms,
        }
