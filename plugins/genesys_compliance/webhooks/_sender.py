"""Deliver apply's events to the policy's receivers: sign, POST, retry within bounds, report."""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from genesys_compliance.client import Clock, SystemClock
from genesys_compliance.webhooks._delivery import Attempt, Delivery, Outcome
from genesys_compliance.webhooks._message import WebhookMessage, build_message, new_message_id
from genesys_compliance.webhooks._retry import (
    RETRY_AFTER_STATUSES,
    DeliveryLimits,
    is_retryable,
    retry_after_seconds,
)
from genesys_compliance.webhooks._signing import sign, signing_key

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from genesys_compliance.rules._policy import WebhookTarget

__all__ = ["WebhookSender"]

logger = logging.getLogger("genesys_compliance.webhooks")

_USER_AGENT = "genesys-compliance"
_ERROR_CHARS = 200


class WebhookSender:
    """Send each event to the receivers that asked for it; the apply stage's event consumer.

    ``send`` never raises for what the network, a receiver or the environment
    does: a refused connection, a 500, a missing secret variable are all in the
    returned :class:`Delivery` records, for the audit log. A failed delivery
    changes nothing else: what was applied and the run's result stay as they
    are. Only a caller's mistake raises (an unknown event type, data that is not
    JSON), before anything is sent.

    Receivers are served one after the other, each within ``limits`` (by default
    5 attempts in 30 s). Two rules keep a broken receiver from stalling a run
    of many events: after a message to a receiver fails for good, the next
    messages to it get one attempt each until one is delivered; after a
    ``410 Gone`` it gets nothing more from this sender.

    Args:
        targets: The receivers, usually ``policy.webhooks``.
        environ: Where ``secret-env`` variables are read, at each message.
        client: An ``httpx.Client`` to send with (left open); by default the
            sender makes one (over ``transport``, if given) and closes it in
            :meth:`close`.
        transport: The transport of the sender's own client, e.g. a mock.
        limits: Attempts, backoff and the time bound per message.
        clock: Monotonic time and sleep, for the waits and the bound.
        wall_clock: Unix time, for the message and attempt timestamps.
        new_id: Makes each message's ``webhook-id``.
        rng: Randomness for the backoff jitter.
    """

    def __init__(
        self,
        targets: Iterable[WebhookTarget],
        *,
        environ: Mapping[str, str] = os.environ,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        limits: DeliveryLimits | None = None,
        clock: Clock | None = None,
        wall_clock: Callable[[], float] = time.time,
        new_id: Callable[[], str] = new_message_id,
        rng: random.Random | None = None,
    ) -> None:
        if client is not None and transport is not None:
            raise ValueError("pass a client or a transport, not both")
        self._targets = tuple(targets)
        self._environ = environ
        self._limits = limits or DeliveryLimits()
        self._owns_client = client is None
        self._client = client or httpx.Client(
            transport=transport, timeout=self._limits.attempt_timeout
        )
        self._clock: Clock = clock or SystemClock()
        self._wall_clock = wall_clock
        self._new_id = new_id
        self._rng = rng or random.Random()  # jitter, not cryptography
        self._lock = threading.Lock()
        self._failing: set[str] = set()  # receivers whose last message failed for good
        self._gone: set[str] = set()  # receivers that answered 410 Gone

    @property
    def targets(self) -> tuple[WebhookTarget, ...]:
        """The receivers this sender serves."""
        return self._targets

    def send(
        self,
        event_type: str,
        data: Mapping[str, Any],
        *,
        occurred_at: datetime | None = None,
    ) -> list[Delivery]:
        """Deliver one event to every receiver whose ``events`` include it.

        Args:
            event_type: One of the SPEC's events, e.g. ``apply.completed``.
            data: The event's ``data`` object; serialised now, so later changes
                to it are not sent.
            occurred_at: When the event happened (timezone-aware); now by default.

        Returns:
            One :class:`Delivery` per receiver that wants the event, in policy
            order; empty when none does.

        Raises:
            ValueError: An unknown event type, a naive ``occurred_at``, or data
                JSON cannot carry (NaN).
            TypeError: ``data`` holds something that is not JSON.
        """
        moment = occurred_at or datetime.fromtimestamp(self._wall_clock(), tz=UTC)
        message = build_message(event_type, data, message_id=self._new_id(), occurred_at=moment)
        return [
            self._deliver(target, message) for target in self._targets if target.wants(event_type)
        ]

    def close(self) -> None:
        """Close the HTTP client if this sender made it."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> WebhookSender:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        # Never the environment: it holds the secrets.
        return f"WebhookSender(targets={[target.url for target in self._targets]!r})"

    # -- one message, one receiver -------------------------------------------------------------

    def _deliver(self, target: WebhookTarget, message: WebhookMessage) -> Delivery:
        def not_sent(reason: str) -> Delivery:
            logger.warning(
                "webhook %s %s to %s not sent: %s", message.type, message.id, target.url, reason
            )
            return Delivery(target.url, message.type, message.id, "not-sent", reason)

        with self._lock:
            gone, failing = target.url in self._gone, target.url in self._failing
        if gone:
            return not_sent("the receiver answered 410 Gone to an earlier message")
        secret = self._environ.get(target.secret_env)
        if secret is None:
            return not_sent(f"secret variable {target.secret_env} is not set")
        try:
            key = signing_key(secret)
        except ValueError as problem:
            return not_sent(f"secret variable {target.secret_env} {problem}")

        started = self._clock.now()
        attempts, outcome, reason = self._push(target, message, key, started, paused=failing)
        delivery = Delivery(
            url=target.url,
            event_type=message.type,
            webhook_id=message.id,
            outcome=outcome,
            reason=reason,
            attempts=tuple(attempts),
            latency_ms=_ms(self._clock.now() - started),
        )
        self._remember(target, delivery)
        return delivery

    def _push(
        self,
        target: WebhookTarget,
        message: WebhookMessage,
        key: bytes,
        started: float,
        *,
        paused: bool,
    ) -> tuple[list[Attempt], Outcome, str]:
        """Attempt until accepted, refused, or out of attempts or time; how it ended, and why."""
        limits = self._limits
        max_attempts = 1 if paused else limits.max_attempts
        attempts: list[Attempt] = []
        wait = 0.0
        while True:
            left = limits.deadline - (self._clock.now() - started)
            attempt, retry_after = self._attempt(
                target,
                message,
                key,
                number=len(attempts) + 1,
                waited=wait,
                timeout=max(0.01, min(limits.attempt_timeout, left)),
            )
            attempts.append(attempt)
            count = len(attempts)
            if attempt.accepted:
                return (
                    attempts,
                    "delivered",
                    attempt.describe() + (f" after {count} attempts" if count > 1 else ""),
                )
            if not is_retryable(attempt.status):
                return (
                    attempts,
                    "failed",
                    f"not retried: {attempt.describe()}" + _why_final(attempt.status),
                )
            gave_up = f"gave up after {_attempts(count)}: {attempt.describe()}"
            if count >= max_attempts:
                paused_note = (
                    "; retries paused: the previous message to it failed" if paused else ""
                )
                return attempts, "failed", gave_up + paused_note
            wait = retry_after if retry_after is not None else limits.backoff(count, self._rng)
            if self._clock.now() - started + wait >= limits.deadline:
                asked = "Retry-After" if retry_after is not None else "backoff"
                return (
                    attempts,
                    "failed",
                    (
                        f"{gave_up}; waiting {wait:.1f} s ({asked}) would pass the "
                        f"{limits.deadline:g} s bound"
                    ),
                )
            self._clock.sleep(wait)
            wait = round(wait, 3)

    def _attempt(
        self,
        target: WebhookTarget,
        message: WebhookMessage,
        key: bytes,
        *,
        number: int,
        waited: float,
        timeout: float,
    ) -> tuple[Attempt, float | None]:
        """POST once with a fresh timestamp and signature; the attempt and any Retry-After."""
        timestamp = int(self._wall_clock())
        headers = {
            "content-type": "application/json",
            "user-agent": _USER_AGENT,
            "webhook-id": message.id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(key, message.id, timestamp, message.body),
        }
        status: int | None = None
        error: str | None = None
        retry_after: float | None = None
        began = self._clock.now()
        try:
            request = self._client.build_request(
                "POST", target.url, content=message.body, headers=headers, timeout=timeout
            )
            # Only the status line and headers matter; a body is never read, however large.
            response = self._client.send(request, stream=True, follow_redirects=False)
            try:
                status = response.status_code
                if status in RETRY_AFTER_STATUSES:
                    retry_after = retry_after_seconds(
                        response.headers.get("retry-after"), wall_now=self._wall_clock()
                    )
            finally:
                response.close()
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as failure:
            error = _describe(failure)
        latency = _ms(self._clock.now() - began)
        attempt = Attempt(number, timestamp, waited, status, error, latency)
        logger.debug(
            "webhook %s %s to %s, attempt %d: %s in %d ms",
            message.type,
            message.id,
            target.url,
            number,
            attempt.describe(),
            latency,
        )
        return attempt, retry_after

    def _remember(self, target: WebhookTarget, delivery: Delivery) -> None:
        """Track which receivers are failing or gone, and log the outcome once."""
        with self._lock:
            if delivery.delivered:
                self._failing.discard(target.url)
            elif delivery.status == 410:
                self._gone.add(target.url)
            elif is_retryable(delivery.status):
                self._failing.add(target.url)
        log = logger.info if delivery.delivered else logger.warning
        log(
            "webhook %s %s to %s %s: %s",
            delivery.event_type,
            delivery.webhook_id,
            delivery.url,
            delivery.outcome,
            delivery.reason,
        )


def _why_final(status: int | None) -> str:
    if status == 410:
        return " Gone; nothing more is sent to this receiver"
    if status is not None and 300 <= status <= 399:
        return " (redirects are not followed: set url to the final address)"
    return ""


def _attempts(count: int) -> str:
    return "1 attempt" if count == 1 else f"{count} attempts"


def _describe(failure: BaseException) -> str:
    text = f"{type(failure).__name__}: {failure}" if str(failure) else type(failure).__name__
    return text if len(text) <= _ERROR_CHARS else text[: _ERROR_CHARS - 1] + "…"


def _ms(seconds: float) -> int:
    return round(seconds * 1000)
