"""Faults a test schedules on the simulated org: 429s, 5xx, latency, drops, racing writers."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import Enum

__all__ = ["Fault", "FaultKind", "FaultPlan"]


class FaultKind(Enum):
    """What a fault does to the request it hits."""

    RATE_LIMIT = "rate_limit"
    SERVER_ERROR = "server_error"
    LATENCY = "latency"
    DROP_CONNECTION = "drop_connection"
    CONCURRENT_WRITE = "concurrent_write"


# Faults that replace the org's answer; at most one fires per request.
_TERMINAL = frozenset({FaultKind.RATE_LIMIT, FaultKind.SERVER_ERROR, FaultKind.DROP_CONNECTION})


@dataclass
class Fault:
    """One scheduled fault.

    Attributes:
        kind: What it does.
        operation: Only requests for this ``operationId`` (any when ``None``).
        method: Only requests with this method (any when ``None``).
        remaining: Requests it still hits; ``None`` for every matching request.
        status: The 5xx status of a server error.
        retry_after: ``Retry-After`` seconds of a scheduled 429.
        seconds: Delay of a latency fault, on the org's clock.
        after_processing: A dropped connection loses the response of a request
            the org did carry out, the case a client must never blindly resend.
        fired: Requests it has hit so far.
    """

    kind: FaultKind
    operation: str | None = None
    method: str | None = None
    remaining: int | None = 1
    status: int = 503
    retry_after: int = 1
    seconds: float = 0.0
    after_processing: bool = False
    fired: int = 0

    def matches(self, operation_id: str, method: str) -> bool:
        """Whether the fault applies to this request."""
        return (self.operation in (None, operation_id)) and (
            self.method is None or self.method.upper() == method
        )


class FaultPlan:
    """The faults pending on one simulated org; thread-safe."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def rate_limit(
        self,
        *,
        times: int | None = 1,
        retry_after: int = 1,
        operation: str | None = None,
        method: str | None = None,
    ) -> Fault:
        """Answer 429 with ``Retry-After: retry_after`` to the next matching requests."""
        return self._add(
            Fault(FaultKind.RATE_LIMIT, operation, method, times, retry_after=retry_after)
        )

    def server_error(
        self,
        *,
        times: int | None = 1,
        status: int = 503,
        operation: str | None = None,
        method: str | None = None,
    ) -> Fault:
        """Answer ``status`` (5xx) without carrying the request out."""
        if not 500 <= status <= 599:
            raise ValueError("a server error has a 5xx status")
        return self._add(Fault(FaultKind.SERVER_ERROR, operation, method, times, status=status))

    def latency(
        self,
        seconds: float,
        *,
        times: int | None = None,
        operation: str | None = None,
        method: str | None = None,
    ) -> Fault:
        """Delay matching requests by ``seconds`` on the org's clock."""
        return self._add(Fault(FaultKind.LATENCY, operation, method, times, seconds=seconds))

    def drop_connection(
        self,
        *,
        times: int | None = 1,
        after_processing: bool = False,
        operation: str | None = None,
        method: str | None = None,
    ) -> Fault:
        """Fail the connection: before processing (``httpx.ConnectError``), or after it.

        After processing the org has applied the request but the client sees
        ``httpx.RemoteProtocolError``, exactly the ambiguity that forbids
        resending a POST or PATCH.
        """
        fault = Fault(
            FaultKind.DROP_CONNECTION, operation, method, times, after_processing=after_processing
        )
        return self._add(fault)

    def concurrent_write(self, *, times: int | None = 1, operation: str | None = None) -> Fault:
        """Let another admin bump the target's version or etag just before the request lands."""
        return self._add(Fault(FaultKind.CONCURRENT_WRITE, operation, None, times))

    def clear(self) -> None:
        """Cancel every pending fault."""
        with self._lock:
            self._faults.clear()

    @property
    def pending(self) -> tuple[Fault, ...]:
        """Faults that may still fire."""
        with self._lock:
            return tuple(self._faults)

    def take(self, operation_id: str, method: str) -> list[Fault]:
        """Claim the faults that hit this request: every delay and race, one terminal fault."""
        taken: list[Fault] = []
        terminal = False
        with self._lock:
            for fault in list(self._faults):
                if not fault.matches(operation_id, method):
                    continue
                if fault.kind in _TERMINAL:
                    if terminal:
                        continue
                    terminal = True
                fault.fired += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                taken.append(fault)
        return taken

    def _add(self, fault: Fault) -> Fault:
        if fault.remaining is not None and fault.remaining < 1:
            raise ValueError("times must be at least 1 (or None for always)")
        with self._lock:
            self._faults.append(fault)
        return fault
