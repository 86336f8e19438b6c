"""The HTTP face: the simulated org as a WSGI app, served on loopback by werkzeug."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from genesys_compliance.simorg._control import control_app, control_disabled, is_control_path

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from genesys_compliance.simorg._handler import SimOrg

__all__ = ["SimOrgServer", "serve", "wsgi_app"]

logger = logging.getLogger("genesys_compliance.simorg")


def wsgi_app(
    org: SimOrg, *, control: bool = False
) -> Callable[[dict[str, Any], Any], Iterable[bytes]]:
    """Wrap the handler as a WSGI application (also what schemathesis loads).

    Args:
        org: The org to serve.
        control: Serve the control interface under ``/_simorg`` (see ``_control``);
            off, those paths answer 404 like any path the org lacks.
    """
    controls = control_app(org) if control else control_disabled

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if is_control_path(environ.get("PATH_INFO", "")):
            return controls(environ, start_response)
        request = _to_request(environ)
        try:
            response = org(request)
        except httpx.TransportError:
            _drop(environ)
            raise ConnectionResetError("simulated dropped connection") from None
        reason = _reason(response.status_code)
        headers = [
            (k, v)
            for k, v in response.headers.multi_items()
            if k.lower() not in ("content-length", "transfer-encoding", "connection")
        ]
        headers.append(("Content-Length", str(len(response.content))))
        start_response(f"{response.status_code} {reason}", headers)
        return [response.content]

    return app


class SimOrgServer:
    """A running loopback server; a context manager that stops it on exit."""

    def __init__(self, server: BaseWSGIServer) -> None:
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name="simorg-http", daemon=True
        )

    @property
    def host(self) -> str:
        """The bound address."""
        return str(self._server.host)

    @property
    def port(self) -> int:
        """The bound port (the real one when 0 was asked for)."""
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        """Base URL for ``api_base_url`` (the same server issues tokens)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> SimOrgServer:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted."""
        self._server.serve_forever()

    def close(self) -> None:
        """Stop serving and release the port."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def __enter__(self) -> SimOrgServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def serve(
    org: SimOrg, host: str = "127.0.0.1", port: int = 0, *, control: bool = False
) -> SimOrgServer:
    """Bind the org to ``host:port`` (0 picks a free port) and serve it in a thread.

    Werkzeug's threaded server keeps a slow (latency-injected) request from
    stalling the others and binds port 0 cleanly; the standard library's
    ``wsgiref`` server is single-threaded and speaks HTTP/1.0 only. With
    ``control`` the fault-control interface is served under ``/_simorg``.
    """
    return bind(org, host, port, control=control).start()


def bind(org: SimOrg, host: str, port: int, *, control: bool = False) -> SimOrgServer:
    """Bind without starting, for a foreground ``serve_forever``."""
    app = wsgi_app(org, control=control)
    return SimOrgServer(make_server(host, port, app, threaded=True, request_handler=_QuietHandler))


class _QuietHandler(WSGIRequestHandler):
    """Log requests through our logger at DEBUG instead of werkzeug's stderr handler."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        logger.debug('"%s" %s %s', self.requestline, code, size)


def _to_request(environ: dict[str, Any]) -> httpx.Request:
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    raw = environ.get("REQUEST_URI") or environ.get("RAW_URI")
    if raw and raw.startswith("/"):
        target = raw
    else:
        path = quote(environ.get("PATH_INFO", "").encode("latin-1"), safe="/:@!$&'()*+,;=-._~")
        query = environ.get("QUERY_STRING", "")
        target = f"{path}?{query}" if query else path
    headers = [
        (key[5:].replace("_", "-").title(), str(value))
        for key, value in environ.items()
        if key.startswith("HTTP_")
    ]
    if environ.get("CONTENT_TYPE"):
        headers.append(("Content-Type", environ["CONTENT_TYPE"]))
    body = _read_body(environ)
    return httpx.Request(
        environ["REQUEST_METHOD"], f"{scheme}://{host}{target}", headers=headers, content=body
    )


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH")
    if length:
        try:
            return bytes(stream.read(int(length)))
        except ValueError:
            return b""
    if environ.get("wsgi.input_terminated"):
        return bytes(stream.read())
    return b""


def _drop(environ: dict[str, Any]) -> None:
    # Werkzeug exposes the socket; closing it abruptly is what a crashed peer looks like.
    sock = environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
