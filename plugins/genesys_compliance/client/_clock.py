"""Time as a seam: the client and the simulated org never call ``time`` directly."""

from __future__ import annotations

import threading
import time
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "SystemClock", "VirtualClock"]


@runtime_checkable
class Clock(Protocol):
    """Monotonic seconds and a way to wait; all the client needs from time."""

    def now(self) -> float:
        """Seconds on a monotonic scale; only differences mean anything."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block for ``seconds`` of this clock's time."""
        ...


class SystemClock:
    """The real clock: ``time.monotonic`` and ``time.sleep``."""

    def now(self) -> float:
        """Return ``time.monotonic()``."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Sleep for real; negative waits are no waits."""
        if seconds > 0:
            time.sleep(seconds)


class VirtualClock:
    """A clock that only moves when slept on or advanced, for minute-long tests in milliseconds.

    Thread-safe: concurrent sleepers each advance the shared time by their
    own wait, which keeps the clock monotonic though not wall-like.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self._sleeps: list[float] = []

    def now(self) -> float:
        """Return the virtual time."""
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        """Advance the virtual time instead of blocking."""
        with self._lock:
            self._sleeps.append(seconds)
            if seconds > 0:
                self._now += seconds

    def advance(self, seconds: float) -> None:
        """Move time forward without recording a sleep, as the world would."""
        if seconds < 0:
            raise ValueError("a clock does not go backwards")
        with self._lock:
            self._now += seconds

    @property
    def sleeps(self) -> tuple[float, ...]:
        """Every wait requested so far, in order, for asserting backoff."""
        with self._lock:
            return tuple(self._sleeps)
