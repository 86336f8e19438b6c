"""A webhook receiver on loopback for end-to-end tests: records, misbehaves on cue, verifies.

Its signature check is written here from the Standard Webhooks specification,
not borrowed from the package, so a mistake in the sender's signing cannot
cancel itself out.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import socket
import threading
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from collections.abc import Iterable


@dataclass(frozen=True)
class Received:
    """One request as it arrived: method, path, headers (lower-case names) and raw body."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Whether one ``v1`` signature in ``webhook-signature`` matches, by the specification."""
    try:
        message_id = headers["webhook-id"]
        timestamp = headers["webhook-timestamp"]
        signatures = headers["webhook-signature"]
    except KeyError:
        return False
    key = base64.b64decode(secret[6:]) if secret.startswith("whsec_") else secret.encode()
    signed = f"{message_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(expected, candidate.partition(",")[2])
        for candidate in signatures.split(" ")
        if candidate.startswith("v1,")
    )


class _Quiet(WSGIRequestHandler):
    def log(self, type: str, message: str, *args: Any) -> None:
        pass


class Receiver:
    """A threaded werkzeug server on ``127.0.0.1`` and a free port; use as a context manager.

    It answers 204 unless told otherwise: :meth:`answer` queues statuses (with
    ``Retry-After``), :meth:`drop` queues connections closed without a response.
    """

    def __init__(self, secret: str) -> None:
        self._secret = secret
        self._lock = threading.Lock()
        self._script: deque[tuple[int | None, str | None]] = deque()
        self._received: list[Received] = []
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True, request_handler=_Quiet)
        # A short poll so that stopping takes milliseconds, not serve_forever's default 0.5 s.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="webhook-receiver",
            daemon=True,
        )

    @property
    def url(self) -> str:
        """Where to send: ``http://127.0.0.1:<port>/hooks``."""
        return f"http://127.0.0.1:{self._server.server_port}/hooks"

    @property
    def received(self) -> list[Received]:
        """Every request so far, in arrival order."""
        with self._lock:
            return list(self._received)

    def answer(self, status: int, *, times: int = 1, retry_after: str | None = None) -> None:
        """Answer the next ``times`` requests with ``status`` (and ``Retry-After``)."""
        with self._lock:
            self._script.extend([(status, retry_after)] * times)

    def drop(self, *, times: int = 1) -> None:
        """Close the next ``times`` connections without answering."""
        with self._lock:
            self._script.extend([(None, None)] * times)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)
        self._server.server_close()

    def _app(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        body = request.get_data(cache=False)
        headers = {name.lower(): value for name, value in request.headers.items()}
        with self._lock:
            self._received.append(
                Received(
                    request.method, request.path, headers, body, verify(self._secret, headers, body)
                )
            )
            status, retry_after = self._script.popleft() if self._script else (204, None)
        if status is None:
            sock = environ.get("werkzeug.socket")
            if isinstance(sock, socket.socket):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            raise ConnectionResetError("dropped on purpose")
        response = Response(status=status)
        if retry_after is not None:
            response.headers["Retry-After"] = retry_after
        return response(environ, start_response)
