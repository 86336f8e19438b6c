"""Stay under the org's request budget instead of discovering it through 429s.

The budget belongs to the OAuth client, not to a process: under ``pytest -n``
every worker holds a client for the same OAuth client, so each limiter keeps to
its share (``budget // processes``) and the run as a whole keeps to the budget
without the workers talking to each other.

Sends are spaced evenly (a generic cell rate algorithm, GCRA): one every
``window / rate`` seconds, with a small burst so a handful of calls (a token
and the first reads) need not queue. A sliding-window log would instead let a
whole minute's budget out at once and then stall for the rest of the minute.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from genesys_compliance.client._clock import Clock

__all__ = ["DEFAULT_REQUESTS_PER_MINUTE", "RateLimiter"]

# Genesys Cloud's published limit for an OAuth client's token.
DEFAULT_REQUESTS_PER_MINUTE = 300

# The default burst is this many seconds' worth of a share (10 of 300 a minute).
_BURST_SECONDS = 2.0

# Waits shorter than this are float noise: sleeping them could never move the clock.
_EPSILON = 1e-9

# Spacing a hair wider than exact, so rounding never squeezes one send too many into a window.
_GUARD = 1 + 1e-9


class RateLimiter:
    """Even spacing within this process's share of the budget, tightened by the org's headers.

    With ``share = budget // processes`` and a burst of ``b``, sends are spaced
    ``window / (share - b + 1)`` seconds apart once the burst is spent, which
    is the fastest even rate that still never starts more than ``share`` sends
    in any ``window`` seconds. ``processes`` limiters with the same arguments
    therefore never exceed ``budget`` together, whatever their interleaving.

    The ``inin-ratelimit-*`` headers then correct for what we cannot see (a
    smaller limit than assumed, other users of the same OAuth client, clock
    skew): when the org says the window is spent, nothing is sent until it
    resets.

    Args:
        requests_per_minute: The OAuth client's whole budget per ``window``.
        clock: Time source; a ``VirtualClock`` makes schedules testable.
        window: Seconds the budget is counted over.
        processes: Processes of one run sharing the OAuth client (xdist
            workers); each takes an equal share.
        burst: Sends allowed back to back before spacing applies; by default
            about two seconds' worth of the share, at least one.

    Raises:
        ValueError: A budget, process count or burst below one, or a burst
            larger than the share.
    """

    def __init__(
        self,
        requests_per_minute: int = DEFAULT_REQUESTS_PER_MINUTE,
        *,
        clock: Clock,
        window: float = 60.0,
        processes: int = 1,
        burst: int | None = None,
    ) -> None:
        if requests_per_minute < 1:
            raise ValueError("requests_per_minute must be at least 1")
        if processes < 1:
            raise ValueError("processes must be at least 1")
        if burst is not None and burst < 1:
            raise ValueError("burst must be at least 1")
        self._budget = requests_per_minute
        self._processes = processes
        self._window = window
        self._clock = clock
        self._burst_asked = burst
        self._lock = threading.Lock()
        # GCRA state: the theoretical arrival time of the next send.
        self._tat = float("-inf")
        self._blocked_until = float("-inf")
        self._set_rate()

    def _set_rate(self) -> None:
        share = max(1, self._budget // self._processes)
        burst = self._burst_asked
        if burst is None:
            burst = max(1, int(share * _BURST_SECONDS / self._window))
        if burst > share:
            raise ValueError(f"burst {burst} exceeds this process's share of {share} a window")
        self._share = share
        self._burst = burst
        self._interval = self._window / (share - burst + 1) * _GUARD
        self._tolerance = (burst - 1) * self._interval

    @property
    def budget(self) -> int:
        """Requests the OAuth client may make per window, as last agreed with the org."""
        return self._budget

    @property
    def share(self) -> int:
        """Requests this process may make per window: its part of the budget."""
        return self._share

    @property
    def interval(self) -> float:
        """Seconds between sends once the burst is spent."""
        return self._interval

    def acquire(self) -> float:
        """Wait until a send fits the schedule, then claim it; return the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock.now()
                if now < self._blocked_until:
                    wait = self._blocked_until - now
                else:
                    wait = max(self._tat, now) - self._tolerance - now
                    if wait <= _EPSILON:
                        self._tat = max(self._tat, now) + self._interval
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
                if self._burst_asked is not None:
                    self._burst_asked = min(self._burst_asked, max(1, allowed // self._processes))
                self._set_rate()
            if count is not None and reset is not None and count >= allowed:
                self._blocked_until = max(self._blocked_until, self._clock.now() + reset)

    def block_for(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (after a 429's or 503's ``Retry-After``)."""
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock.now() + seconds)


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None
