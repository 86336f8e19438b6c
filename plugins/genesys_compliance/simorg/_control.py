"""The control interface: schedule faults on a running server from another process.

Served under ``/_simorg`` by the same WSGI app as the org, and only when the
server was started with ``--control`` (``serve(..., control=True)``). An admin
path was chosen over a control file because a POST is synchronous: when it
returns, the fault is scheduled and the next request sees it, with no polling
and no race between the test and the server. The prefix lies outside
``/api/v2`` and ``/oauth``, so no URL the client builds from the contract can
reach it, and a real Genesys org answers it with a plain 404. It answers
loopback peers only. Endpoints (JSON in and out)::

    GET    /_simorg/faults             pending faults
    POST   /_simorg/faults             schedule one (Fault.from_json); 201 with its id
    GET    /_simorg/faults/{id}        one pending fault
    DELETE /_simorg/faults/{id}        cancel it
    DELETE /_simorg/faults             cancel all
    GET    /_simorg/requests?after=N   what the org did with each recent request
    GET    /_simorg/latency            the latency every request waits
    PUT    /_simorg/latency            change it: {"seconds": 0.5}
"""

from __future__ import annotations

import ipaddress
import json
import uuid
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from genesys_compliance.simorg._faults import Fault
from genesys_compliance.simorg._replies import error_body

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from genesys_compliance.simorg._handler import SimOrg

    WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]

__all__ = ["CONTROL_PREFIX", "control_app", "control_disabled", "is_control_path"]

CONTROL_PREFIX = "/_simorg"
_ENDPOINTS = [
    "GET /_simorg/faults",
    "POST /_simorg/faults",
    "GET /_simorg/faults/{id}",
    "DELETE /_simorg/faults/{id}",
    "DELETE /_simorg/faults",
    "GET /_simorg/requests?after=N",
    "GET /_simorg/latency",
    "PUT /_simorg/latency",
]


def is_control_path(path: str) -> bool:
    """Whether a request path belongs to the control interface."""
    return path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")


def control_app(org: SimOrg) -> WsgiApp:
    """The control interface of ``org`` as a WSGI application."""

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        response = _dispatch(org, Request(environ))
        return response(environ, start_response)

    return app


def control_disabled(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """The org's own 404, with a hint, for a server started without ``--control``."""
    correlation_id = str(uuid.uuid4())
    path = environ.get("PATH_INFO", "")
    body = error_body(
        404,
        "not.found",
        f"No resource at {path}; the control interface is off (start the server with --control).",
        correlation_id,
    )
    response = Response(
        json.dumps(body),
        status=404,
        mimetype="application/json",
        headers={"ININ-Correlation-Id": correlation_id},
    )
    return response(environ, start_response)


def _dispatch(org: SimOrg, request: Request) -> Response:
    if not _loopback(request.remote_addr):
        return _json(403, {"error": "the control interface answers loopback clients only"})
    path = request.path[len(CONTROL_PREFIX) :].rstrip("/") or "/"
    method = request.method
    try:
        if path == "/":
            return _only(method, "GET") or _json(200, {"endpoints": _ENDPOINTS})
        if path == "/faults":
            return _faults(org, request)
        if path.startswith("/faults/"):
            return _one_fault(org, method, path[len("/faults/") :])
        if path == "/requests":
            return _only(method, "GET") or _requests(org, request)
        if path == "/latency":
            return _latency(org, request)
    except ValueError as exc:
        return _json(400, {"error": str(exc)})
    return _json(404, {"error": f"no control endpoint {path!r}", "endpoints": _ENDPOINTS})


def _faults(org: SimOrg, request: Request) -> Response:
    if request.method == "GET":
        return _json(200, {"faults": [f.to_json() for f in org.faults.pending]})
    if request.method == "POST":
        fault = org.faults.schedule(Fault.from_json(_body(request)))
        return _json(201, fault.to_json())
    if request.method == "DELETE":
        return _json(200, {"cancelled": org.faults.clear()})
    return _not_allowed("GET, POST, DELETE")


def _one_fault(org: SimOrg, method: str, fault_id: str) -> Response:
    found = next((f for f in org.faults.pending if f.id == fault_id), None)
    if method == "GET":
        if found is None:
            return _json(404, {"error": f"no pending fault {fault_id!r}"})
        return _json(200, found.to_json())
    if method == "DELETE":
        if not org.faults.cancel(fault_id):
            return _json(404, {"error": f"no pending fault {fault_id!r}"})
        return Response(status=204)
    return _not_allowed("GET, DELETE")


def _requests(org: SimOrg, request: Request) -> Response:
    raw = request.args.get("after", "0")
    if not raw.isdigit():
        raise ValueError(f"after must be a sequence number, not {raw!r}")
    entries = org.requests.entries(after=int(raw))
    return _json(200, {"requests": [e.to_json() for e in entries]})


def _latency(org: SimOrg, request: Request) -> Response:
    if request.method == "PUT":
        body = _body(request)
        seconds = body.get("seconds")
        if set(body) != {"seconds"} or isinstance(seconds, bool):
            raise ValueError('the body is {"seconds": <number>}')
        if not isinstance(seconds, int | float):
            raise ValueError(f"seconds must be a number, not {seconds!r}")
        org.latency = float(seconds)
    elif request.method != "GET":
        return _not_allowed("GET, PUT")
    return _json(200, {"seconds": org.latency})


def _body(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(request.get_data() or b"null")
    except ValueError:
        raise ValueError("the body is not JSON") from None
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


def _only(method: str, allowed: str) -> Response | None:
    return None if method == allowed else _not_allowed(allowed)


def _not_allowed(allowed: str) -> Response:
    response = _json(405, {"error": f"allowed: {allowed}"})
    response.headers["Allow"] = allowed
    return response


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _loopback(address: str | None) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback
