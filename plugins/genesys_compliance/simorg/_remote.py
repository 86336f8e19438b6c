"""The control interface from Python: the same fault methods as ``org.faults``, over HTTP.

A test that runs the org in another process (``genesys-compliance-simorg
--control``) schedules faults with ``SimOrgControl(url).faults.rate_limit(...)``
exactly as an in-process test calls ``org.faults.rate_limit(...)``.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

import httpx

from genesys_compliance.simorg._control import CONTROL_PREFIX
from genesys_compliance.simorg._faults import Fault, FaultScheduler
from genesys_compliance.simorg._journal import HandledRequest

if TYPE_CHECKING:
    from types import TracebackType

__all__ = ["RemoteFaultPlan", "SimOrgControl"]


class RemoteFaultPlan(FaultScheduler):
    """The pending faults of a server in another process (``SimOrgControl.faults``)."""

    def __init__(self, http: httpx.Client) -> None:
        self._http = http

    def schedule(self, fault: Fault) -> Fault:
        """Schedule a fault on the server; return it as the server holds it (with its ``id``).

        Raises:
            ValueError: The server refused the fault (the message says why).
        """
        return Fault.from_json(_answer(self._http.post("/faults", json=fault.to_json()), 201))

    @property
    def pending(self) -> tuple[Fault, ...]:
        """Faults that may still fire."""
        data = _answer(self._http.get("/faults"), 200)
        return tuple(Fault.from_json(f) for f in data["faults"])

    def cancel(self, fault_id: str) -> bool:
        """Cancel one pending fault; ``False`` when none has that id."""
        response = self._http.delete(f"/faults/{fault_id}")
        if response.status_code == 404:
            return False
        _answer(response, 204)
        return True

    def clear(self) -> int:
        """Cancel every pending fault; return how many there were."""
        return int(_answer(self._http.delete("/faults"), 200)["cancelled"])


class SimOrgControl:
    """A running simulated org's control interface.

    Refuses any host but loopback, where the server answers control requests:
    pointed at a real org's URL by mistake, a test fails at once instead of
    believing it injected faults that never happened.

    Args:
        base_url: The server's URL, as it announces it (``http://127.0.0.1:PORT``).
        transport: An httpx transport, for tests.
        timeout: Seconds to wait for the server.
    """

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        url = httpx.URL(base_url)
        if not _is_loopback_host(url.host):
            raise ValueError(
                f"{base_url}: the control interface is served on loopback only; "
                "this is not a simulated org's address"
            )
        self._http = httpx.Client(
            base_url=str(url).rstrip("/") + CONTROL_PREFIX, transport=transport, timeout=timeout
        )
        self.faults = RemoteFaultPlan(self._http)

    def requests(self, after: int = 0) -> tuple[HandledRequest, ...]:
        """What the org did with each recent request whose ``seq`` is above ``after``."""
        data = _answer(self._http.get("/requests", params={"after": after}), 200)
        return tuple(HandledRequest.from_json(e) for e in data["requests"])

    def handled(self, correlation_id: str) -> HandledRequest | None:
        """The log entry of the request answered (or dropped) with ``correlation_id``."""
        return next((e for e in self.requests() if e.correlation_id == correlation_id), None)

    def latency(self) -> float:
        """Seconds every request waits before the org handles it."""
        return float(_answer(self._http.get("/latency"), 200)["seconds"])

    def set_latency(self, seconds: float) -> float:
        """Change the latency every request waits; return it as the server now holds it."""
        response = self._http.put("/latency", json={"seconds": seconds})
        return float(_answer(response, 200)["seconds"])

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> SimOrgControl:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _answer(response: httpx.Response, expected: int) -> dict[str, Any]:
    if response.status_code == expected:
        return {} if expected == 204 else dict(response.json())
    if response.status_code == 400:
        raise ValueError(response.json().get("error", response.text))
    if response.status_code == 404 and "--control" in response.text:
        raise RuntimeError(f"{response.url}: the server was started without --control")
    raise RuntimeError(
        f"{response.request.method} {response.url}: {response.status_code} {response.text[:200]}"
    )


def _is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
