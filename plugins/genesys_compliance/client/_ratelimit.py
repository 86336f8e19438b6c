"""Stay under the org's request budget instead of discovering it through 429s."""

from __future__ import annotations

import collections
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from genesys_compliance.client._clock import Clock

__all__ = ["RateLimiter"]

DEFAULT_REQUESTS_PER_MINUTE = 300


class RateLimiter:
    """A sliding-window budget, tightened by what the org reports.

    Locally, at most ``requests_per_minute`` sends start in any ``window``
    seconds, which keeps every fixed window the org counts within budget too.
    The ``inin-ratelimit-*`` headers then correct for what we cannot see
    (other processes sharing the token, clock skew): when the org says the
    window is spent, nothing is sent until it resets.
    """

    def __init__(
        self,
        requests_per_minute: int = DEFAULT_REQUESTS_PER_MINUTE,
        *,
        clock: Clock,
        window: float = 60.0,
    ) -> None:
        if requests_per_minute < 1:
            raise ValueError("requests_per_minute must be at least 1")
        self._budget = requests_per_minute
        self._window = window
        self._clock = clock
        self._sent: collections.deque[float] = collections.deque()
        self._blocked_until = float("-inf")
        self._lock = threading.Lock()

    @property
    def budget(self) -> int:
        """Requests allowed per window, as last agreed with the org."""
        return self._budget

    def acquire(self) -> float:
        """Wait until a send fits the budget, then claim it; return the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock.now()
                while self._sent and self._sent[0] <= now - self._window:
                    self._sent.popleft()
                if now < self._blocked_until:
                    wait = self._blocked_until - now
                elif len(self._sent) >= self._budget:
                    wait = self._sent[0] + self._window - now
                else:
                    self._sent.append(now)
                    return waited
            # Sleep outside the lock so other threads can observe responses meanwhile.
            self._clock.sleep(wait)
            waited += wait

    def observe(self, headers: httpx.Headers) -> None:
        """Learn from a response's ``inin-ratelimit-count/allowed/reset`` headers."""
        count = _int(headers.get("inin-ratelimit-count"))
        allowed = _int(headers.get("inin-ratelimit-allowed"))
        reset = _int(headers.get("inin-ratelimit-reset"))
        if allowed is None:
            return
        with self._lock:
            if 0 < allowed < self._budget:
                self._budget = allowed
            if count is not None and reset is not None and count >= allowed:
                self._blocked_until = max(self._blocked_until, self._clock.now() + reset)

    def block_for(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (after a 429's ``Retry-After``)."""
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock.now() + seconds)


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None
