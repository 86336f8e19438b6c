"""When to send again, and how long to wait first."""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import random

__all__ = ["RetryPolicy", "parse_retry_after"]

# Statuses a retry can plausibly outlive; a 501 or 505 never heals.
RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How persistent the client is.

    Which requests are retried is not configurable, because getting it wrong
    writes twice: a 429 is retried for every method (the org rejected the
    request unprocessed), a 5xx or a transport failure only for idempotent
    operations (GET, PUT, DELETE, the read-only query POSTs and the token
    request). A POST or PATCH whose response was lost is never sent again;
    the caller re-reads and decides. 429 and 503 wait as ``Retry-After``
    says, other 5xx and transport failures back off.

    Attributes:
        max_attempts: Sends per call, the first included.
        backoff_base: First backoff ceiling in seconds; doubles per retry.
        backoff_cap: Largest backoff ceiling in seconds.
        max_retry_after: A 429 or 503 asking for a longer wait is not waited
            for; the caller gets the error (for a 429,
            :class:`~genesys_compliance.errors.RateLimitedError`).
    """

    max_attempts: int = 4
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    max_retry_after: float = 120.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.backoff_base < 0 or self.backoff_cap < 0 or self.max_retry_after < 0:
            raise ValueError("waits cannot be negative")

    def backoff(self, retry: int, rng: random.Random) -> float:
        """Full-jitter exponential backoff before retry number ``retry`` (1-based).

        Jitter spreads the retries of many clients hit by one outage, so they
        do not come back in lockstep and knock the org over again.
        """
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** (retry - 1)))
        return rng.uniform(0, ceiling)


def parse_retry_after(value: str | None, *, wall_now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP date."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        now = time.time() if wall_now is None else wall_now
        seconds = when.timestamp() - now
    return max(0.0, seconds)
