"""The simulated org: one stateful ``httpx.Request -> httpx.Response`` handler."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import math
import secrets
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import httpx

from genesys_compliance.client import Clock, SystemClock
from genesys_compliance.contract import Contract
from genesys_compliance.simorg._audit import AuditTrail
from genesys_compliance.simorg._faults import Fault, FaultKind, FaultPlan
from genesys_compliance.simorg._journal import (
    ANSWERED,
    DROPPED_AFTER,
    DROPPED_BEFORE,
    RequestLog,
)
from genesys_compliance.simorg._ops import Call, Operations
from genesys_compliance.simorg._outside import OutsideWrites
from genesys_compliance.simorg._replies import Reply, RequestRejectedError, error_body, to_response
from genesys_compliance.simorg._seed import OrgSeed, load_seed
from genesys_compliance.simorg._state import OAuthClient, OrgState

if TYPE_CHECKING:
    from pathlib import Path

    from genesys_compliance.contract import Operation, RouteMatch

__all__ = ["SimOrg", "logger"]

logger = logging.getLogger("genesys_compliance.simorg")

DOCUMENT_PATH = "/openapi.json"
_TOKEN_OPERATION = "postOAuthToken"
# The org's own identity: answered here, from the seed's ``org``, not by an entity store.
_ORGANIZATION_OPERATION = "getOrganizationsMe"
_FAULT_CODES = {502: "bad.gateway", 503: "service.unavailable", 504: "gateway.timeout"}


@dataclass
class _TokenInfo:
    client_id: str
    scopes: frozenset[str]
    expires_at: float


@dataclass
class _Window:
    started: float
    count: int = 0


class SimOrg:
    """A Genesys Cloud org in memory, speaking the contract.

    Call it with an ``httpx.Request``; it answers like the platform would:
    the token endpoint, bearer tokens with scopes, 300 requests a minute per
    token, contract validation (400), 404, version and etag conflicts, an
    audit trail of every write, and ``ININ-Correlation-Id`` on every
    response. Use it as the side effect of respx routes (``simorg_router``),
    as an ``httpx.MockTransport`` handler, or over HTTP (``serve``).

    Attributes:
        faults: Faults to inject into coming requests (see ``FaultPlan``).
        requests: What the org did with each recent request (see ``RequestLog``).
        audit: The audit trail ``queryAudits`` answers from.

    Args:
        seed: The starting state; see ``load_seed`` and ``fixtures/org``.
        contract: The contract to serve; its relocated paths are served.
        clock: Time for token expiry, rate windows, latency and timestamps.
        rate_limit_per_minute: Requests a token may make per 60-second window.
        token_lifetime: Seconds a token is valid.
        latency: Seconds every request waits on ``clock`` before it is handled.
    """

    def __init__(
        self,
        seed: OrgSeed,
        *,
        contract: Contract | None = None,
        clock: Clock | None = None,
        rate_limit_per_minute: int = 300,
        token_lifetime: float = 86400.0,
        latency: float = 0.0,
    ) -> None:
        if rate_limit_per_minute < 1:
            raise ValueError("rate_limit_per_minute must be at least 1")
        self.contract = contract if contract is not None else Contract.load()
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.latency = latency
        self.state = OrgState.from_seed(seed)
        self.rate_limit_per_minute = rate_limit_per_minute
        self.token_lifetime = token_lifetime
        self._lock = threading.RLock()
        self._tokens: dict[str, _TokenInfo] = {}
        self._windows: dict[str, _Window] = {}
        self._epoch = datetime.now(UTC)
        self._started = self.clock.now()
        self.audit = AuditTrail(self.state.audits, self._timestamp)
        self._ops = Operations(self.state, self.contract, self._timestamp, self.audit)
        self._outside = OutsideWrites(
            self.state, self.contract, self._lock, self._timestamp, self.audit
        )
        self.faults = FaultPlan(check=self._outside.check)
        self.requests = RequestLog()

    @classmethod
    def from_path(cls, path: str | Path, **kwargs: Any) -> SimOrg:
        """Build an org from a seed folder (``fixtures/org``) or file."""
        contract = kwargs.get("contract") or Contract.load()
        kwargs["contract"] = contract
        return cls(load_seed(path, contract), **kwargs)

    # ------------------------------------------------------------ test helpers
    def add_client(self, client_id: str, secret: str, scopes: frozenset[str] | None = None) -> None:
        """Register an OAuth client (every scope of the contract when ``scopes`` is omitted)."""
        granted = scopes if scopes is not None else self.all_scopes()
        with self._lock:
            self.state.clients[client_id] = OAuthClient(client_id, client_id, secret, granted)

    def all_scopes(self) -> frozenset[str]:
        """Every scope some operation of the contract needs."""
        return frozenset(s for op in self.contract.operations for s in op.scopes)

    def issue_token(self, client_id: str) -> str:
        """Issue a token for a known client without the token endpoint (tests, schemathesis)."""
        with self._lock:
            return self._issue(
                self.state.clients[client_id].id, self.state.clients[client_id].scopes
            )

    def organization(self) -> dict[str, Any]:
        """The org as ``GET /api/v2/organizations/me`` shows it: the seed's ``org`` id and name."""
        return {
            "id": self.state.org_id,
            "name": self.state.org_name,
            "state": "active",
            "selfUri": "/api/v2/organizations/me",
        }

    def now(self) -> datetime:
        """The org's time: the wall time when it started, moved on by its clock.

        Every timestamp it writes (``modifiedDate``, the audit trail) reads this,
        so a caller comparing with them (``apply/interval``) shares its clock.
        """
        return self._epoch + timedelta(seconds=self.clock.now() - self._started)

    def issued_tokens(self) -> tuple[str, ...]:
        """Every bearer token issued so far: tests search a run's outputs for them."""
        with self._lock:
            return tuple(self._tokens)

    def expire_tokens(self) -> None:
        """Expire every token issued so far, as a day passing would."""
        with self._lock:
            for info in self._tokens.values():
                info.expires_at = min(info.expires_at, self.clock.now())

    @property
    def latency(self) -> float:
        """Seconds every request waits on the org's clock (``--latency``)."""
        return self._latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError("latency must be a finite number of seconds, at least 0")
        self._latency = float(seconds)

    def change(
        self,
        entity_type: str,
        entity_id: str,
        *,
        client_id: str,
        field: str | None = None,
        value: Any = None,
    ) -> dict[str, Any]:
        """Write one field of an entity as another client would, bypassing HTTP; audited.

        This is the colleague who edits a resource in the UI while apply runs:
        the field (a JSON pointer into the entity as a GET shows it) takes the
        value, the version or etag moves on, and the audit trail names
        ``client_id``. Without ``field`` only the token moves.

        Returns:
            The entity as stored afterwards (without ``selfUri``).

        Raises:
            ValueError: An unknown entity type, a bad pointer, or a value that
                would leave the entity outside its contract schema.
            LookupError: No such entity.
        """
        return self._outside.change(
            entity_type, entity_id, client_id=client_id, field=field, value=value
        )

    # ------------------------------------------------------------ the handler
    def __call__(self, request: httpx.Request) -> httpx.Response:
        """Answer one request (raises ``httpx`` transport errors for dropped connections)."""
        correlation_id = str(uuid.uuid4())
        raw_path = request.url.raw_path.decode("ascii").split("?", 1)[0]
        found = None if raw_path == DOCUMENT_PATH else self.contract.match(request.method, raw_path)
        op = found.operation if found is not None else None
        faults = (
            self.faults.take(op.operation_id, op.method, raw_path, write=_is_write(op))
            if op is not None
            else []
        )
        latency = self._wait(faults)

        def log(status: int | None, outcome: str) -> None:
            self.requests.add(
                correlation_id=correlation_id,
                method=request.method,
                path=raw_path,
                operation_id=op.operation_id if op is not None else None,
                status=status,
                outcome=outcome,
                latency=latency,
                faults=tuple(f.id for f in faults),
            )

        for fault in faults:
            if fault.kind is FaultKind.CONCURRENT_WRITE and found is not None:
                self._outside.race(fault, found)
        drop = next((f for f in faults if f.kind is FaultKind.DROP_CONNECTION), None)
        if drop is not None and not drop.after_processing:
            log(None, DROPPED_BEFORE)
            raise httpx.ConnectError("simulated: connection refused", request=request)
        response = self._answer(request, raw_path, found, faults, correlation_id)
        logger.debug("%s %s -> %d", request.method, raw_path, response.status_code)
        if drop is not None:
            log(response.status_code, DROPPED_AFTER)
            raise httpx.RemoteProtocolError(
                "simulated: server disconnected without sending a response", request=request
            )
        log(response.status_code, ANSWERED)
        return response

    # ------------------------------------------------------------ internals
    def _wait(self, faults: list[Fault]) -> float:
        delay = self._latency + sum(f.seconds for f in faults if f.kind is FaultKind.LATENCY)
        if delay <= 0:
            return 0.0
        started = self.clock.now()
        self.clock.sleep(delay)
        return self.clock.now() - started

    def _answer(
        self,
        request: httpx.Request,
        raw_path: str,
        found: RouteMatch | None,
        faults: list[Fault],
        correlation_id: str,
    ) -> httpx.Response:
        base = {"ININ-Correlation-Id": correlation_id}
        if raw_path == DOCUMENT_PATH and request.method == "GET":
            return httpx.Response(
                200,
                headers={**base, "Content-Type": "application/json"},
                content=self.contract.to_json().encode("utf-8"),
            )
        if found is None:
            return self._unrouted(request, raw_path, correlation_id)
        for fault in faults:
            if fault.kind is FaultKind.SERVER_ERROR:
                return self._fault_reply(fault.status, correlation_id)
            if fault.kind is FaultKind.RATE_LIMIT:
                return self._rate_limited(correlation_id, fault.retry_after, None)
        request.read()
        with self._lock:
            return self._handle(request, found, correlation_id)

    def _handle(
        self, request: httpx.Request, found: RouteMatch, correlation_id: str
    ) -> httpx.Response:
        op = found.operation
        base = {"ININ-Correlation-Id": correlation_id}
        if op.operation_id == _TOKEN_OPERATION:
            return self._token_endpoint(request, correlation_id)
        token = _bearer(request.headers.get("authorization"))
        if token is None:
            return self._error(
                401, "authentication.required", "No bearer token in the Authorization header.", base
            )
        info = self._tokens.get(token)
        if info is None:
            return self._error(401, "bad.credentials", "Invalid login credentials.", base)
        if self.clock.now() >= info.expires_at:
            return self._error(
                401, "authentication.required", "The access token has expired.", base
            )
        window, allowed, reset = self._count(token)
        limits = {
            **base,
            "inin-ratelimit-count": str(window.count),
            "inin-ratelimit-allowed": str(allowed),
            "inin-ratelimit-reset": str(reset),
        }
        if window.count > allowed:
            return self._rate_limited(correlation_id, reset, limits)
        if op.scopes and not info.scopes.intersection(op.scopes):
            failure = RequestRejectedError(
                403,
                "missing.scopes",
                "The token lacks the scope this operation needs: {scopes}.",
                {"scopes": " or ".join(op.scopes)},
            )
            return to_response(failure.reply(correlation_id), limits)
        problems = self.contract.validate_request(request)
        if problems:
            failure = RequestRejectedError(
                400,
                "bad.request",
                "The request does not fit the API contract: {problem}",
                {"problem": str(problems[0])},
                [
                    {"errorCode": "invalid.value", "fieldName": f"{p.location}{p.pointer}"}
                    for p in problems
                ],
            )
            return to_response(failure.reply(correlation_id), limits)
        call = Call(
            request=request,
            operation_id=op.operation_id,
            path_params=found.path_params,
            body=json.loads(request.content) if request.content else None,
            client_id=info.client_id,
            correlation_id=correlation_id,
        )
        try:
            if op.operation_id == _ORGANIZATION_OPERATION:
                reply = Reply(200, self.organization())
            else:
                reply = self._ops.dispatch(call)
        except RequestRejectedError as failure:
            reply = failure.reply(correlation_id)
        return to_response(reply, limits)

    def _token_endpoint(self, request: httpx.Request, correlation_id: str) -> httpx.Response:
        base = {"ININ-Correlation-Id": correlation_id}
        credentials = _basic(request.headers.get("authorization"))
        client = self.state.clients.get(credentials[0]) if credentials else None
        if (
            credentials is None
            or client is None
            or not hmac.compare_digest(client.secret.encode(), credentials[1].encode())
        ):
            # One answer for unknown client and wrong secret: never confirm a client id.
            refused = {
                "error": "invalid_client",
                "error_description": "client authentication failed",
            }
            return to_response(
                Reply(401, refused, {"WWW-Authenticate": 'Basic realm="oauth"'}), base
            )
        problems = self.contract.validate_request(request)
        if problems:
            grant = dict(_form(request)).get("grant_type")
            error = "unsupported_grant_type" if grant else "invalid_request"
            rejected = {"error": error, "error_description": str(problems[0])}
            return to_response(Reply(400, rejected), base)
        token = self._issue(client.id, client.scopes)
        body: dict[str, Any] = {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": int(self.token_lifetime),
        }
        return to_response(Reply(200, body, {"Cache-Control": "no-store"}), base)

    def _issue(self, client_id: str, scopes: frozenset[str]) -> str:
        token = "gcsim_" + secrets.token_urlsafe(32)
        self._tokens[token] = _TokenInfo(client_id, scopes, self.clock.now() + self.token_lifetime)
        return token

    def _count(self, token: str) -> tuple[_Window, int, int]:
        now = self.clock.now()
        window = self._windows.get(token)
        if window is None or now >= window.started + 60.0:
            window = _Window(started=now)
            self._windows[token] = window
        window.count += 1
        reset = max(0, math.ceil(window.started + 60.0 - now))
        return window, self.rate_limit_per_minute, reset

    def _rate_limited(
        self, correlation_id: str, retry_after: int, limits: dict[str, str] | None
    ) -> httpx.Response:
        headers = dict(limits or {"ININ-Correlation-Id": correlation_id})
        headers["Retry-After"] = str(retry_after)
        failure = RequestRejectedError(
            429,
            "too.many.requests",
            "Rate limit exceeded; retry after {retryAfter} seconds.",
            {"retryAfter": str(retry_after)},
        )
        return to_response(failure.reply(correlation_id), headers)

    def _fault_reply(self, status: int, correlation_id: str) -> httpx.Response:
        code = _FAULT_CODES.get(status, "internal.server.error")
        body = error_body(status, code, "The service is temporarily unavailable.", correlation_id)
        return to_response(Reply(status, body), {"ININ-Correlation-Id": correlation_id})

    def _unrouted(
        self, request: httpx.Request, raw_path: str, correlation_id: str
    ) -> httpx.Response:
        base = {"ININ-Correlation-Id": correlation_id}
        allowed = self.contract.allowed_methods(raw_path)
        if allowed:
            body = error_body(
                405, "method.not.allowed", f"{request.method} is not allowed here.", correlation_id
            )
            return to_response(Reply(405, body, {"Allow": ", ".join(allowed)}), base)
        body = error_body(404, "not.found", f"No resource at {raw_path}.", correlation_id)
        return to_response(Reply(404, body), base)

    def _error(
        self, status: int, code: str, message: str, headers: dict[str, str]
    ) -> httpx.Response:
        body = error_body(status, code, message, headers["ININ-Correlation-Id"])
        return to_response(Reply(status, body), headers)

    def _timestamp(self) -> str:
        return self.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _is_write(op: Operation) -> bool:
    # PUT and DELETE are idempotent writes; a POST or PATCH is a write unless
    # the contract marks it a query (x-genesys-idempotent).
    if op.server != "api":
        return False
    return op.method in ("PUT", "DELETE") or (op.method in ("POST", "PATCH") and not op.idempotent)


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def _basic(header: str | None) -> tuple[str, str] | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else None


def _form(request: httpx.Request) -> list[tuple[str, str]]:
    try:
        return parse_qsl(request.content.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return []
