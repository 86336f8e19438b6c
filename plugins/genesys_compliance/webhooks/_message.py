"""One event as a webhook message: its id, its time and the exact bytes that are sent."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from genesys_compliance.rules._policy import WEBHOOK_EVENTS

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["WebhookMessage", "build_message", "canonical_json", "new_message_id", "rfc3339"]


@dataclass(frozen=True, slots=True)
class WebhookMessage:
    """An event ready to send: built once, sent to every receiver and on every retry.

    Attributes:
        id: ``webhook-id``: one per event, the same on every attempt and every
            receiver, so a receiver can drop a repeat.
        type: The event type, e.g. ``apply.completed``.
        timestamp: When the event happened (RFC 3339, UTC); attempts carry their own.
        body: The serialised JSON body, the bytes that are signed and sent.
    """

    id: str
    type: str
    timestamp: str
    body: bytes


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, ASCII only: one text per value, whatever the receiver decodes.

    Raises:
        TypeError: Something in ``value`` is not JSON (a datetime, a set, ...).
        ValueError: A float is NaN or infinite, which JSON cannot carry.
    """
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode("ascii")


def rfc3339(moment: datetime) -> str:
    """``2024-05-01T12:00:00.000Z``: UTC with milliseconds, as the audit log writes times."""
    if moment.tzinfo is None:
        raise ValueError("a webhook time must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_message_id() -> str:
    """A fresh, unguessable ``webhook-id`` (``msg_`` and 128 random bits)."""
    return f"msg_{secrets.token_hex(16)}"


def build_message(
    event_type: str, data: Mapping[str, Any], *, message_id: str, occurred_at: datetime
) -> WebhookMessage:
    """Serialise ``{"type", "timestamp", "data"}`` once, so every attempt signs the same bytes.

    Raises:
        ValueError: An unknown event type, an id with a full stop, or data JSON cannot hold.
        TypeError: ``data`` holds something that is not JSON.
    """
    if event_type not in WEBHOOK_EVENTS:
        raise ValueError(
            f"unknown event {event_type!r}; the events are {', '.join(WEBHOOK_EVENTS)}"
        )
    if not message_id or "." in message_id:
        raise ValueError("a webhook id must be non-empty and cannot contain '.'")
    timestamp = rfc3339(occurred_at)
    body = canonical_json({"type": event_type, "timestamp": timestamp, "data": dict(data)})
    return WebhookMessage(id=message_id, type=event_type, timestamp=timestamp, body=body)
