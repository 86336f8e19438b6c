"""How hard one message is pushed: attempts, backoff, and the time bound around them."""

from __future__ import annotations

import email.utils
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import random

__all__ = ["DeliveryLimits", "is_retryable", "retry_after_seconds"]

# Statuses whose Retry-After says when to come back (RFC 9110 15.5.29, 15.6.4).
RETRY_AFTER_STATUSES = frozenset({429, 503})


@dataclass(frozen=True, slots=True)
class DeliveryLimits:
    """Bounds on the delivery of one message to one receiver.

    A webhook must never hold up an apply run for long, so the bounds are
    tight: by default at most 5 attempts within 30 s, waiting about 1, 2, 4
    and 8 s between them (each wait is shortened by up to ``jitter`` of
    itself, at random, so retries from several runs do not arrive in step).
    ``Retry-After`` on a 429 or 503 replaces the backoff; a wait that would end
    past the bound is not begun, the message is given up at once. Each attempt
    waits at most ``attempt_timeout`` (the low end of the 15-30 s Standard
    Webhooks recommends) and never past the bound for each phase of the request.

    Attributes:
        max_attempts: POSTs per message, the first included.
        backoff_base: Seconds before the first retry; doubles for each retry after.
        backoff_cap: Longest backoff in seconds.
        jitter: Fraction (0-1) by which a backoff may randomly be shortened.
        attempt_timeout: Seconds one attempt may take to connect, send or get its response.
        deadline: Seconds from the first attempt after which no attempt starts or waits.
    """

    max_attempts: int = 5
    backoff_base: float = 1.0
    backoff_cap: float = 8.0
    jitter: float = 0.25
    attempt_timeout: float = 15.0
    deadline: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.backoff_base, self.backoff_cap) < 0:
            raise ValueError("backoff cannot be negative")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter is a fraction between 0 and 1")
        if self.attempt_timeout <= 0 or self.deadline <= 0:
            raise ValueError("attempt_timeout and deadline must be positive")

    def backoff(self, retry: int, rng: random.Random) -> float:
        """Seconds to wait before retry number ``retry`` (1-based) when the receiver did not say."""
        nominal = min(self.backoff_cap, self.backoff_base * 2.0 ** (retry - 1))
        return nominal * (1 - self.jitter * rng.random())


def is_retryable(status: int | None) -> bool:
    """Whether an attempt that ended so may succeed if sent again.

    No response (connection refused or dropped, timeout), 429 and every 5xx
    may heal; any other status is the receiver's answer and repeating the
    message would only repeat it. 3xx counts as an answer: a redirect is not
    followed (the signed body would go somewhere the policy does not name).
    """
    return status is None or status == 429 or 500 <= status <= 599


def retry_after_seconds(value: str | None, *, wall_now: float) -> float | None:
    """Seconds a ``Retry-After`` value asks for: delta-seconds or an HTTP date; ``None`` if bad."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP date is GMT by definition
        return None
    return max(0.0, when.timestamp() - wall_now)
