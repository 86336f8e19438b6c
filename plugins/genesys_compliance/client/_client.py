"""The client core: one send path with auth, rate limiting, retries and recording."""

from __future__ import annotations

import base64
import json
import logging
import random
from typing import TYPE_CHECKING, Any, Self

import httpx

from genesys_compliance.client._auth import IssuedToken, TokenManager
from genesys_compliance.client._clock import Clock, SystemClock
from genesys_compliance.client._errors import error_from_response
from genesys_compliance.client._exchange import ExchangeLog, record_exchange
from genesys_compliance.client._paging import JsonObject, Page
from genesys_compliance.client._ratelimit import DEFAULT_REQUESTS_PER_MINUTE, RateLimiter
from genesys_compliance.client._redact import Secret, install_log_redaction, redact
from genesys_compliance.client._regions import DEFAULT_REGION, Region, base_urls, resolve_region
from genesys_compliance.client._resources import correlation_of
from genesys_compliance.client._retry import RETRYABLE_STATUSES, RetryPolicy, parse_retry_after
from genesys_compliance.contract import Contract, Operation
from genesys_compliance.errors import ApiError, AuthError, TransportError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

__all__ = ["BaseClient", "logger"]

# One logger for the whole client: logger filters do not apply to records of child loggers.
logger = logging.getLogger("genesys_compliance.client")

_TOKEN_OPERATION = "postOAuthToken"
_MAX_PAGES = 10_000


class BaseClient:
    """Everything but the typed per-kind methods (see ``GenesysClient``).

    Args:
        client_id: OAuth client id.
        client_secret: OAuth client secret; wrapped in :class:`Secret` at once.
        region: Region name, domain or URL (see ``resolve_region``); ignored for
            URLs given explicitly below.
        api_base_url: Where the API is, for a private endpoint or the local
            simulated org; overrides the region's ``https://api.<domain>``.
        login_base_url: Where ``/oauth/token`` is; defaults to
            ``api_base_url`` when that is given (one local server serves both),
            else the region's ``https://login.<domain>``.
        contract: The contract to take paths from; ``Contract.load(endpoints)``
            when omitted.
        endpoints: Kind to path prefix, when ``contract`` is omitted.
        transport: httpx transport; the seam tests use (``httpx.MockTransport``).
        timeout: Seconds for each send.
        retry: Attempts and backoff.
        requests_per_minute: The OAuth client's budget, token requests
            included; Genesys Cloud allows 300.
        processes: Processes sharing this OAuth client at the same time (the
            workers of one ``pytest -n`` run); this client keeps to
            ``requests_per_minute // processes``, so together they keep to
            the budget.
        clock: Time source for token expiry, backoff and the rate limiter.
        rng: Randomness for backoff jitter (seed it for reproducible tests).
        exchange_log: Where redacted exchanges go; a bounded log by default.
        refresh_margin: Refresh the token this many seconds before it expires.
    """

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str | Secret,
        region: str | Region = DEFAULT_REGION,
        api_base_url: str | None = None,
        login_base_url: str | None = None,
        contract: Contract | None = None,
        endpoints: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        requests_per_minute: int = DEFAULT_REQUESTS_PER_MINUTE,
        processes: int = 1,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        exchange_log: ExchangeLog | None = None,
        refresh_margin: float = 60.0,
    ) -> None:
        if not client_id:
            raise ValueError("client_id is empty")
        self._client_id = client_id
        self._secret = client_secret if isinstance(client_secret, Secret) else Secret(client_secret)
        self.region = region if isinstance(region, Region) else resolve_region(region)
        self.api_base_url, self.login_base_url = base_urls(
            self.region, api_base_url=api_base_url, login_base_url=login_base_url
        )
        self.contract = contract if contract is not None else Contract.load(endpoints)
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._rng = rng if rng is not None else random.Random()
        self._retry = retry if retry is not None else RetryPolicy()
        self.rate_limiter = RateLimiter(requests_per_minute, clock=self._clock, processes=processes)
        self.exchanges = exchange_log if exchange_log is not None else ExchangeLog()
        self._tokens = TokenManager(
            self._fetch_token, clock=self._clock, refresh_margin=refresh_margin
        )
        self._http = httpx.Client(
            transport=transport,
            timeout=timeout,
            headers={"Accept": "application/json", "User-Agent": "genesys-compliance"},
        )
        install_log_redaction(logger)

    @property
    def client_id(self) -> str:
        """The OAuth client's id: not a secret, named in audit records."""
        return self._client_id

    def __repr__(self) -> str:
        return f"{type(self).__name__}(client_id={self._client_id!r}, api={self.api_base_url!r})"

    # ------------------------------------------------------------ lifecycle
    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def token_fetches(self) -> int:
        """Tokens requested so far; a test's view of refresh behaviour."""
        return self._tokens.fetches

    def authenticate(self) -> None:
        """Fetch a token now, so wrong credentials fail before any real work.

        Raises:
            AuthError: The token endpoint refused the credentials.
        """
        self._tokens.current()

    # ------------------------------------------------------------ calls
    def request(
        self,
        operation_id: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one contract operation and return its successful response.

        Raises:
            ApiError: A subclass for the error the org answered with, or
                ``TransportError`` when no response arrived.
        """
        op = self.contract.operation(operation_id)
        url = self.api_base_url + op.expand(path_params)
        return self._send(op, url, params=params, json_body=json_body, headers=headers)

    def call(
        self,
        operation_id: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Like :meth:`request`, returning the decoded JSON body (``None`` when empty)."""
        response = self.request(
            operation_id,
            path_params=path_params,
            params=params,
            json_body=json_body,
            headers=headers,
        )
        return _decode(response)

    def pages(
        self,
        operation_id: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        page_size: int = 100,
    ) -> Iterator[Page]:
        """Yield every page of a listing, following ``nextUri`` until it is absent."""
        for page, _ in self.listing(
            operation_id, path_params=path_params, params=params, page_size=page_size
        ):
            yield page

    def listing(
        self,
        operation_id: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        page_size: int = 100,
    ) -> Iterator[tuple[Page, str | None]]:
        """Every page with its ``ININ-Correlation-Id``: the one paging loop of the client.

        ``nextUri`` is followed until absent, through the one retry loop and the
        rate limiter; the correlation id is what an audit record of a no-op quotes.
        """
        op = self.contract.operation(operation_id)
        url = self.api_base_url + op.expand(path_params)
        query: dict[str, Any] | None = {**(params or {}), "pageSize": page_size, "pageNumber": 1}
        seen: set[str] = set()
        for _ in range(_MAX_PAGES):
            response = self._send(op, url, params=query, json_body=None, headers=None)
            page = Page.from_json(_decode(response) or {})
            yield page, correlation_of(response)
            if not page.next_uri or not page.entities:
                return
            if page.next_uri in seen:
                raise ApiError(f"paging loops back to {redact(page.next_uri)}", url=redact(url))
            seen.add(page.next_uri)
            url = self._absolute(page.next_uri)
            query = None
        raise ApiError(f"more than {_MAX_PAGES} pages", url=redact(url))

    def iter_entities(
        self,
        operation_id: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        page_size: int = 100,
    ) -> Iterator[JsonObject]:
        """Yield the entities of every page of a listing."""
        for page in self.pages(
            operation_id, path_params=path_params, params=params, page_size=page_size
        ):
            yield from page.entities

    # ------------------------------------------------------------ internals
    def _absolute(self, uri: str) -> str:
        if uri.startswith(("http://", "https://")):
            return uri
        return self.api_base_url + (uri if uri.startswith("/") else "/" + uri)

    def _send(
        self,
        op: Operation,
        url: str,
        *,
        params: Mapping[str, Any] | None,
        json_body: Any,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response:
        def bearer() -> tuple[httpx.Request, Secret]:
            token = self._tokens.current()
            request = self._http.build_request(
                op.method, url, params=params, json=json_body, headers=headers
            )
            request.headers["Authorization"] = "Bearer " + token.reveal()
            return request, token

        response = self._deliver(op, bearer, resend=op.idempotent)
        if response.status_code >= 400:
            raise error_from_response(response)
        return response

    def _deliver(
        self,
        op: Operation,
        build: Callable[[], tuple[httpx.Request, Secret | None]],
        *,
        resend: bool,
        failure_prefix: str = "",
    ) -> httpx.Response:
        """Send until the answer is final; the one retry loop, for tokens and API calls alike.

        Every send, token requests included, waits for the rate limiter. A 429
        is retried for any request (the org did not process it); a 503 or
        another retryable 5xx, and a transport failure, only when ``resend``
        says sending twice is harmless, because a POST or PATCH whose outcome
        is unknown must be re-read by the caller, not repeated. 429 and 503
        wait as ``Retry-After`` says, and stop when it asks more than the
        policy allows. A 401 to a bearer token refreshes it once and replays.

        Args:
            op: The contract operation, for logs and the exchange log.
            build: Makes each attempt's request afresh, with the token (when
                it carries one) whose 401 should refresh it.
            resend: Whether the request may be sent again when its outcome is
                unknown.
            failure_prefix: Opens the message of a final transport failure.

        Returns:
            The last response, successful or not: the caller decides what an
            error status means.

        Raises:
            TransportError: No response arrived, after the attempts allowed.
        """
        attempt = 0
        retries = 0
        replayed_after_401 = False
        while True:
            attempt += 1
            request, token = build()
            self.rate_limiter.acquire()
            response, failure = self._transmit(op, request, attempt)
            can_retry = retries + 1 < self._retry.max_attempts
            if failure is not None:
                if resend and can_retry:
                    retries += 1
                    self._back_off(op, retries, f"{type(failure).__name__}")
                    continue
                raise TransportError(
                    redact(f"{failure_prefix}{type(failure).__name__}: {failure}"),
                    method=op.method,
                    url=redact(str(request.url)),
                ) from None  # httpcore frames in the chain print raw headers
            assert response is not None
            self.rate_limiter.observe(response.headers)
            status = response.status_code
            if status == 401 and token is not None and not replayed_after_401:
                # The org rejected the token unprocessed: one fresh token, one replay.
                replayed_after_401 = True
                self._tokens.invalidate(token)
                logger.info("%s %s: 401, refreshing the token once", op.method, op.path)
                continue
            if not can_retry:
                return response
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            if status == 429 or (status == 503 and resend and retry_after is not None):
                # Unprocessed (429) or told how long (503): every thread of this client waits.
                wait = (
                    self._retry.backoff(retries + 1, self._rng)
                    if retry_after is None
                    else retry_after
                )
                if wait > self._retry.max_retry_after:
                    return response
                retries += 1
                logger.warning(
                    "%s %s: %d, waiting %.1f s (retry %d)",
                    op.method,
                    op.path,
                    status,
                    wait,
                    retries,
                )
                self.rate_limiter.block_for(wait)
                continue
            if status in RETRYABLE_STATUSES and resend:
                retries += 1
                self._back_off(op, retries, str(status))
                continue
            return response

    def _back_off(self, op: Operation, retry: int, reason: str) -> None:
        wait = self._retry.backoff(retry, self._rng)
        logger.warning("%s %s: %s, retry %d in %.2f s", op.method, op.path, reason, retry, wait)
        self._clock.sleep(wait)

    def _transmit(
        self, op: Operation, request: httpx.Request, attempt: int
    ) -> tuple[httpx.Response | None, httpx.TransportError | None]:
        started = self._clock.now()
        response: httpx.Response | None = None
        failure: httpx.TransportError | None = None
        try:
            response = self._http.send(request)
        except httpx.TransportError as exc:
            failure = exc
        elapsed = self._clock.now() - started
        exchange = record_exchange(
            operation_id=op.operation_id,
            attempt=attempt,
            request=request,
            response=response,
            error=failure,
            elapsed=elapsed,
        )
        self.exchanges.append(exchange)
        logger.debug(
            "%s %s -> %s (attempt %d, correlation id %s)",
            exchange.method,
            exchange.url,
            exchange.status if exchange.status is not None else exchange.error,
            attempt,
            exchange.correlation_id,
        )
        return response, failure

    def _fetch_token(self) -> IssuedToken:
        op = self.contract.operation(_TOKEN_OPERATION)
        url = self.login_base_url + op.path

        def basic() -> tuple[httpx.Request, None]:
            request = self._http.build_request(
                "POST", url, data={"grant_type": "client_credentials"}
            )
            request.headers["Authorization"] = _basic(self._client_id, self._secret)
            return request, None

        # Asking for a token twice is harmless, so every failure may be resent.
        response = self._deliver(op, basic, resend=True, failure_prefix="token request failed: ")
        if response.status_code != 200:
            error = error_from_response(response)
            if isinstance(error, AuthError) or response.status_code in (400, 401, 403):
                raise AuthError(
                    f"the token endpoint refused client {self._client_id!r}: {error.message}",
                    status=error.status,
                    code=error.code,
                    correlation_id=error.correlation_id,
                    method="POST",
                    url=url,
                )
            raise error
        return _issued(response)


def _basic(client_id: str, secret: Secret) -> str:
    pair = f"{client_id}:{secret.reveal()}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def _issued(response: httpx.Response) -> IssuedToken:
    try:
        payload = json.loads(response.content)
        value = Secret(str(payload["access_token"]))
        expires_in = float(payload.get("expires_in", 86400))
    except (ValueError, KeyError, TypeError):
        raise AuthError(
            "the token endpoint answered 200 without a usable access_token",
            status=response.status_code,
            correlation_id=response.headers.get("inin-correlation-id"),
        ) from None
    return IssuedToken(value=value, expires_in=expires_in)


def _decode(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return json.loads(response.content)
    except ValueError:
        raise ApiError(
            "the org answered with a body that is not JSON",
            status=response.status_code,
            correlation_id=response.headers.get("inin-correlation-id"),
            method=response.request.method,
            url=redact(str(response.request.url)),
        ) from None
