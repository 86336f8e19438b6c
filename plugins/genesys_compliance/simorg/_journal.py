"""What the org did with each request: status, latency applied, faults that hit it.

A test on the other side of a socket cannot see inside the server; this log
is how it learns that a dropped response was in fact processed, which fault
fired on which request, and how long the org waited on its own clock.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

__all__ = ["HandledRequest", "RequestLog"]

ANSWERED = "answered"
DROPPED_BEFORE = "dropped-before-processing"
DROPPED_AFTER = "dropped-after-processing"


@dataclass(frozen=True)
class HandledRequest:
    """One request as the org handled it.

    Attributes:
        seq: 1, 2, ... in the order the org finished them.
        correlation_id: The ``ININ-Correlation-Id`` it was (or would have been) answered with.
        method: The HTTP method.
        path: The path, without the query.
        operation_id: The contract operation, ``None`` for a path the contract lacks.
        status: The status the org answered, also when the connection was then
            dropped; ``None`` when it never got that far.
        outcome: ``answered``, ``dropped-before-processing`` or ``dropped-after-processing``.
        latency: Seconds the org waited before answering, on its own clock.
        faults: Ids of the scheduled faults that hit it.
    """

    seq: int
    correlation_id: str
    method: str
    path: str
    operation_id: str | None
    status: int | None
    outcome: str
    latency: float
    faults: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The entry as the control interface shows it."""
        return {
            "seq": self.seq,
            "correlationId": self.correlation_id,
            "method": self.method,
            "path": self.path,
            "operationId": self.operation_id,
            "status": self.status,
            "outcome": self.outcome,
            "latency": self.latency,
            "faults": list(self.faults),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HandledRequest:
        """Read an entry the control interface sent."""
        return cls(
            seq=int(data["seq"]),
            correlation_id=str(data["correlationId"]),
            method=str(data["method"]),
            path=str(data["path"]),
            operation_id=data["operationId"],
            status=data["status"],
            outcome=str(data["outcome"]),
            latency=float(data["latency"]),
            faults=tuple(data["faults"]),
        )


class RequestLog:
    """The most recent requests, oldest first; bounded so a long benchmark stays small."""

    def __init__(self, limit: int = 5000) -> None:
        self._entries: deque[HandledRequest] = deque(maxlen=limit)
        self._lock = threading.Lock()
        self._seq = 0

    def add(
        self,
        *,
        correlation_id: str,
        method: str,
        path: str,
        operation_id: str | None,
        status: int | None,
        outcome: str,
        latency: float,
        faults: tuple[str, ...],
    ) -> HandledRequest:
        """Record one request and number it."""
        with self._lock:
            self._seq += 1
            entry = HandledRequest(
                self._seq,
                correlation_id,
                method,
                path,
                operation_id,
                status,
                outcome,
                latency,
                faults,
            )
            self._entries.append(entry)
        return entry

    def entries(self, after: int = 0) -> tuple[HandledRequest, ...]:
        """Entries with a ``seq`` above ``after`` (all that are kept, by default)."""
        with self._lock:
            return tuple(e for e in self._entries if e.seq > after)

    def find(self, correlation_id: str) -> HandledRequest | None:
        """The entry of the request answered with ``correlation_id``."""
        with self._lock:
            return next((e for e in self._entries if e.correlation_id == correlation_id), None)
