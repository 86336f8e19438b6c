"""Faults a test schedules on the simulated org: 429s, 5xx, latency, drops, racing writers.

``FaultPlan`` is the in-process face (``org.faults``); ``RemoteFaultPlan``
(in ``_remote.py``) schedules the same ``Fault`` on a running server through
its control interface. Both inherit the scheduling methods below, so a fault
reads the same in a unit test and against a server in another process.
"""

from __future__ import annotations

import fnmatch
import math
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ["Fault", "FaultKind", "FaultPlan", "FaultScheduler"]

DEFAULT_RACER = "concurrent-writer"


class FaultKind(Enum):
    """What a fault does to the request it hits."""

    RATE_LIMIT = "rate_limit"
    SERVER_ERROR = "server_error"
    LATENCY = "latency"
    DROP_CONNECTION = "drop_connection"
    CONCURRENT_WRITE = "concurrent_write"


# Faults that replace the org's answer; at most one fires per request.
_TERMINAL = frozenset({FaultKind.RATE_LIMIT, FaultKind.SERVER_ERROR, FaultKind.DROP_CONNECTION})
_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"})
# JSON name -> attribute, for the control interface's wire format: the keys
# every fault takes, then those of each kind (a key of another kind is refused:
# {"kind": "rate_limit", "status": 502} is a mistake, not a 429).
_COMMON_WIRE = {
    "times": "remaining",
    "operation": "operation",
    "method": "method",
    "path": "path",
}
_KIND_WIRE: dict[FaultKind, dict[str, str]] = {
    FaultKind.RATE_LIMIT: {"retryAfter": "retry_after"},
    FaultKind.SERVER_ERROR: {"status": "status"},
    FaultKind.LATENCY: {"seconds": "seconds"},
    FaultKind.DROP_CONNECTION: {"afterProcessing": "after_processing"},
    FaultKind.CONCURRENT_WRITE: {
        "entityType": "entity_type",
        "entityId": "entity_id",
        "field": "field",
        "value": "value",
        "clientId": "client_id",
    },
}
_READ_ONLY_WIRE = {"id": "id", "fired": "fired"}


@dataclass
class Fault:
    """One scheduled fault; construction checks it, so a bad fault never waits silently.

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
        path: Only requests whose path fits this glob (``*`` matches ``/`` too).
        entity_type: A concurrent write's target type (``routingRules``, ...);
            ``None`` targets the entity the hit request writes.
        entity_id: A concurrent write's target id.
        field: The JSON pointer a concurrent write sets (``None``: it only
            moves the version or etag, like a save without edits).
        value: The value a concurrent write sets ``field`` to.
        client_id: The OAuth client the concurrent write is audited under.
        id: The plan's name for the fault, to cancel it or find it in the request log.
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
    path: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    field: str | None = None
    value: Any = None
    client_id: str = DEFAULT_RACER
    id: str = ""

    def __post_init__(self) -> None:
        if self.remaining is not None and self.remaining < 1:
            raise ValueError("times must be at least 1 (or None for always)")
        if self.method is not None:
            self.method = self.method.upper()
            if self.method not in _METHODS:
                raise ValueError(f"method {self.method!r} is not an HTTP method")
        if self.path is not None and not self.path.startswith("/"):
            raise ValueError(f"path {self.path!r} must start with '/'")
        if self.kind is FaultKind.SERVER_ERROR and not 500 <= self.status <= 599:
            raise ValueError("a server error has a 5xx status")
        if self.retry_after < 0:
            raise ValueError("retry_after is whole seconds, at least 0")
        if not math.isfinite(self.seconds) or self.seconds < 0:
            raise ValueError("seconds must be a finite number, at least 0")
        if (self.entity_type is None) != (self.entity_id is None):
            raise ValueError("a concurrent write names both entity_type and entity_id, or neither")
        if self.field is not None and not self.field.startswith("/"):
            raise ValueError(f"field {self.field!r} is not a JSON pointer (it starts with '/')")
        if not self.client_id:
            raise ValueError("client_id must name the writing client")

    def matches(
        self, operation_id: str, method: str, path: str = "", *, write: bool = True
    ) -> bool:
        """Whether the fault applies to this request (a concurrent writer races writes only)."""
        if self.kind is FaultKind.CONCURRENT_WRITE and not write:
            return False
        return (
            self.operation in (None, operation_id)
            and (self.method is None or self.method == method.upper())
            and (self.path is None or fnmatch.fnmatchcase(path, self.path))
        )

    def to_json(self) -> dict[str, Any]:
        """The fault in the control interface's JSON (camelCase, its kind's keys only)."""
        data: dict[str, Any] = {"id": self.id, "fired": self.fired, "kind": self.kind.value}
        for wire, attr in {**_COMMON_WIRE, **_KIND_WIRE[self.kind]}.items():
            data[wire] = getattr(self, attr)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Fault:
        """Read a fault from the control interface's JSON.

        Raises:
            ValueError: An unknown key (or one of another kind), a value of the
                wrong type, or a fault that makes no sense (see the attributes).
        """
        if "kind" not in data:
            kinds = ", ".join(k.value for k in FaultKind)
            raise ValueError(f"a fault needs a kind ({kinds})")
        try:
            kind = FaultKind(data["kind"])
        except ValueError:
            kinds = ", ".join(k.value for k in FaultKind)
            raise ValueError(f"unknown fault kind {data['kind']!r} (known: {kinds})") from None
        wire = {**_COMMON_WIRE, **_KIND_WIRE[kind], **_READ_ONLY_WIRE}
        unknown = sorted(set(data) - set(wire) - {"kind"})
        if unknown:
            known = ", ".join(k for k in wire if k not in _READ_ONLY_WIRE)
            raise ValueError(
                f"a {kind.value} fault takes no {', '.join(unknown)} (it takes: {known})"
            )
        values: dict[str, Any] = {"kind": kind}
        for key, attr in wire.items():
            if key in data:
                values[attr] = _typed(key, data[key])
        return cls(**values)


# The JSON type each wire key takes; None allowed where the attribute allows it.
_TYPES: dict[str, tuple[type, ...]] = {
    "times": (int, type(None)),
    "operation": (str, type(None)),
    "method": (str, type(None)),
    "path": (str, type(None)),
    "status": (int,),
    "retryAfter": (int,),
    "seconds": (int, float),
    "afterProcessing": (bool,),
    "entityType": (str, type(None)),
    "entityId": (str, type(None)),
    "field": (str, type(None)),
    "clientId": (str,),
    "id": (str,),
    "fired": (int,),
}


def _typed(wire: str, value: Any) -> Any:
    allowed = _TYPES.get(wire)
    if allowed is None:  # "value": any JSON
        return value
    if not _fits(value, allowed):
        names = " or ".join("null" if t is type(None) else t.__name__ for t in allowed)
        raise ValueError(f"{wire} must be {names}, not {value!r}")
    return float(value) if wire == "seconds" else value  # an int is a whole number of seconds


def _fits(value: Any, allowed: tuple[type, ...]) -> bool:
    # JSON true is not a number here, though Python's bool is an int.
    if isinstance(value, bool) and bool not in allowed:
        return False
    return isinstance(value, allowed)


class FaultScheduler(ABC):
    """The scheduling methods; subclasses decide where a fault goes (``schedule``)."""

    @abstractmethod
    def schedule(self, fault: Fault) -> Fault:
        """Add a fault; return it as scheduled (with its ``id``)."""

    def rate_limit(
        self,
        *,
        times: int | None = 1,
        retry_after: int = 1,
        operation: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> Fault:
        """Answer 429 with ``Retry-After: retry_after`` to the next matching requests."""
        return self.schedule(
            Fault(
                FaultKind.RATE_LIMIT, operation, method, times, retry_after=retry_after, path=path
            )
        )

    def server_error(
        self,
        *,
        times: int | None = 1,
        status: int = 503,
        operation: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> Fault:
        """Answer ``status`` (5xx) without carrying the request out."""
        return self.schedule(
            Fault(FaultKind.SERVER_ERROR, operation, method, times, status=status, path=path)
        )

    def latency(
        self,
        seconds: float,
        *,
        times: int | None = None,
        operation: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> Fault:
        """Delay matching requests by ``seconds`` on the org's clock."""
        return self.schedule(
            Fault(FaultKind.LATENCY, operation, method, times, seconds=seconds, path=path)
        )

    def drop_connection(
        self,
        *,
        times: int | None = 1,
        after_processing: bool = False,
        operation: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> Fault:
        """Fail the connection: before processing (``httpx.ConnectError``), or after it.

        After processing the org has applied the request but the client sees
        ``httpx.RemoteProtocolError`` (over HTTP: the socket closes without a
        response), exactly the ambiguity that forbids resending a POST or PATCH.
        """
        return self.schedule(
            Fault(
                FaultKind.DROP_CONNECTION,
                operation,
                method,
                times,
                after_processing=after_processing,
                path=path,
            )
        )

    def concurrent_write(
        self,
        *,
        times: int | None = 1,
        operation: str | None = None,
        method: str | None = None,
        path: str | None = None,
        entity_type: str | None = None,
        entity_id: str | None = None,
        field: str | None = None,
        value: Any = None,
        client_id: str = DEFAULT_RACER,
    ) -> Fault:
        """Let another client write just before the next matching write lands.

        The other client sets ``field`` (a JSON pointer into the entity as a GET
        shows it) to ``value`` on the named entity, or on the entity the hit
        request writes when none is named, and moves its version or etag; the
        org audits the change under ``client_id``. Without ``field`` only the
        token moves. Reads never trigger it.
        """
        return self.schedule(
            Fault(
                FaultKind.CONCURRENT_WRITE,
                operation,
                method,
                times,
                path=path,
                entity_type=entity_type,
                entity_id=entity_id,
                field=field,
                value=value,
                client_id=client_id,
            )
        )


class FaultPlan(FaultScheduler):
    """The faults pending on one simulated org; thread-safe.

    Args:
        check: Called with each fault before it is scheduled; raises
            ``ValueError`` for one the org could never honour (an unknown
            operation, a concurrent write to an entity that does not exist).
    """

    def __init__(self, check: Callable[[Fault], None] | None = None) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._check = check
        self._count = 0

    def schedule(self, fault: Fault) -> Fault:
        """Add a fault (after the org's check); return it with its ``id``."""
        if self._check is not None:
            self._check(fault)
        with self._lock:
            self._count += 1
            fault.id = f"fault-{self._count}"
            fault.fired = 0
            self._faults.append(fault)
        return fault

    def cancel(self, fault_id: str) -> bool:
        """Cancel one pending fault; ``False`` when none has that id."""
        with self._lock:
            for fault in self._faults:
                if fault.id == fault_id:
                    self._faults.remove(fault)
                    return True
        return False

    def clear(self) -> int:
        """Cancel every pending fault; return how many there were."""
        with self._lock:
            count = len(self._faults)
            self._faults.clear()
        return count

    @property
    def pending(self) -> tuple[Fault, ...]:
        """Faults that may still fire."""
        with self._lock:
            return tuple(self._faults)

    def take(
        self, operation_id: str, method: str, path: str = "", *, write: bool = True
    ) -> list[Fault]:
        """Claim the faults that hit this request: every delay and race, one terminal fault."""
        taken: list[Fault] = []
        terminal = False
        with self._lock:
            for fault in list(self._faults):
                if not fault.matches(operation_id, method, path, write=write):
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
