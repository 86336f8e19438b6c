"""The sender against a real HTTP receiver on loopback: what arrives is what was signed."""

from __future__ import annotations

import json

import pytest

from genesys_compliance.client import VirtualClock
from genesys_compliance.webhooks import DeliveryLimits, WebhookSender, WebhookTarget
from tests.webhooks.conftest import EPOCH, RAW_SECRET, SECRET_ENV, WHSEC
from tests.webhooks.receiver import Receiver, verify


@pytest.fixture(params=[WHSEC, RAW_SECRET], ids=["whsec", "raw"])
def secret(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def receiver(secret: str) -> Receiver:
    with Receiver(secret) as running:
        yield running  # type: ignore[misc]


def sender_for(
    receiver: Receiver, secret: str, clock: VirtualClock, **events: object
) -> WebhookSender:
    # The real network and the sender's own client; only the waits are virtual.
    target = WebhookTarget(url=receiver.url, secret_env=SECRET_ENV, **events)  # type: ignore[arg-type]
    return WebhookSender(
        [target],
        environ={SECRET_ENV: secret},
        clock=clock,
        wall_clock=lambda: EPOCH + clock.now(),
        limits=DeliveryLimits(jitter=0),
    )


def test_a_message_arrives_as_signed_and_verifies_over_the_exact_bytes_received(
    receiver: Receiver, secret: str, clock: VirtualClock
) -> None:
    data = {"run": "r-20240501", "head": "9f" * 32, "org": "acme-prod", "note": "Zürich ☎"}
    with sender_for(receiver, secret, clock) as sender:
        (delivery,) = sender.send("apply.completed", data)
    (got,) = receiver.received
    assert (got.method, got.path) == ("POST", "/hooks")
    assert got.verified
    assert got.headers["content-type"] == "application/json"
    assert got.headers["content-length"] == str(len(got.body))
    assert got.headers["webhook-id"] == delivery.webhook_id
    assert got.headers["webhook-timestamp"] == str(EPOCH)
    # Canonical: parsing and re-serialising the received body gives the same bytes.
    body = json.loads(got.body)
    assert got.body == json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    assert body == {
        "type": "apply.completed",
        "timestamp": "2023-11-14T22:13:20.000Z",
        "data": data,
    }
    # One byte different and the signature no longer holds.
    assert not verify(secret, got.headers, got.body.replace(b"acme-prod", b"acme-prot"))
    assert (delivery.outcome, delivery.status, delivery.attempt_count) == ("delivered", 204, 1)


def test_failures_then_success_one_id_fresh_signatures_each_verifying(
    receiver: Receiver, secret: str, clock: VirtualClock
) -> None:
    receiver.drop(times=1)
    receiver.answer(500)
    receiver.answer(429, retry_after="3")
    with sender_for(receiver, secret, clock) as sender:
        (delivery,) = sender.send("apply.resource", {"action": "update", "name": "Support"})
    got = receiver.received
    assert len(got) == 4
    assert all(r.verified for r in got)
    assert {r.headers["webhook-id"] for r in got} == {delivery.webhook_id}
    assert len({r.headers["webhook-signature"] for r in got}) == 4
    assert len({r.body for r in got}) == 1
    assert [a.status for a in delivery.attempts] == [None, 500, 429, 204]
    assert delivery.attempts[0].error is not None
    assert clock.sleeps == (1.0, 2.0, 3.0)  # backoff, backoff, Retry-After
    assert [int(r.headers["webhook-timestamp"]) - EPOCH for r in got] == [0, 1, 3, 6]
    assert delivery.delivered


def test_a_receiver_that_keeps_failing_gets_five_attempts(
    receiver: Receiver, secret: str, clock: VirtualClock
) -> None:
    receiver.answer(503, times=10)
    with sender_for(receiver, secret, clock) as sender:
        (delivery,) = sender.send("apply.failed", {"reason": "apply/conflict"})
    assert len(receiver.received) == 5
    assert delivery.outcome == "failed"
    assert delivery.reason == "gave up after 5 attempts: HTTP 503"


def test_a_4xx_is_not_retried_over_http(
    receiver: Receiver, secret: str, clock: VirtualClock
) -> None:
    receiver.answer(401)
    with sender_for(receiver, secret, clock) as sender:
        (delivery,) = sender.send("apply.completed", {})
    assert len(receiver.received) == 1
    assert (delivery.outcome, delivery.status) == ("failed", 401)


def test_only_wanted_events_arrive(receiver: Receiver, secret: str, clock: VirtualClock) -> None:
    with sender_for(receiver, secret, clock, events=("apply.completed", "apply.failed")) as sender:
        for event in ("apply.started", "apply.resource", "apply.completed"):
            sender.send(event, {})
    assert [json.loads(r.body)["type"] for r in receiver.received] == ["apply.completed"]


def test_a_missing_secret_sends_nothing_over_http(receiver: Receiver, clock: VirtualClock) -> None:
    target = WebhookTarget(url=receiver.url, secret_env=SECRET_ENV)
    with WebhookSender([target], environ={}, clock=clock) as sender:
        (delivery,) = sender.send("apply.completed", {})
    assert receiver.received == []
    assert delivery.reason == f"secret variable {SECRET_ENV} is not set"


def test_nobody_listening_is_an_outcome_not_an_exception(clock: VirtualClock) -> None:
    with Receiver(RAW_SECRET) as gone:
        url = gone.url  # a port that was just free and is closed again
    target = WebhookTarget(url=url, secret_env=SECRET_ENV)
    with WebhookSender([target], environ={SECRET_ENV: RAW_SECRET}, clock=clock) as sender:
        (delivery,) = sender.send("apply.completed", {})
    assert delivery.outcome == "failed"
    assert delivery.attempt_count == 5
    assert all(
        a.status is None and a.error and "ConnectError" in a.error for a in delivery.attempts
    )
