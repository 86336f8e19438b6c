"""The sender over respx: signing per attempt, retries and their bounds, outcomes as data."""

from __future__ import annotations

import base64
import json
import logging
import random

import httpx
import pytest
import respx

from genesys_compliance.client import VirtualClock
from genesys_compliance.webhooks import Delivery, DeliveryLimits, WebhookSender, WebhookTarget
from tests.webhooks.conftest import EPOCH, RAW_SECRET, SECRET_ENV, URL, WHSEC, MakeSender
from tests.webhooks.receiver import verify

OTHER = "https://wfm.example.com/hooks"


def ok() -> httpx.Response:
    return httpx.Response(204)


def headers_of(route: respx.Route) -> list[httpx.Headers]:
    return [call.request.headers for call in route.calls]


# -- what is sent ------------------------------------------------------------------------------


def test_one_post_with_the_standard_webhooks_headers_and_the_canonical_body(
    make_sender: MakeSender, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(URL).mock(return_value=ok())
    (delivery,) = make_sender().send("apply.completed", {"head": "ab12", "run": "r-1"})
    (call,) = route.calls
    request = call.request
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == "msg_1"
    assert request.headers["webhook-timestamp"] == str(EPOCH)
    assert request.content == (
        b'{"data":{"head":"ab12","run":"r-1"},"timestamp":"2023-11-14T22:13:20.000Z",'
        b'"type":"apply.completed"}'
    )
    assert verify(RAW_SECRET, dict(request.headers), request.content)
    assert delivery == Delivery(
        url=URL,
        event_type="apply.completed",
        webhook_id="msg_1",
        outcome="delivered",
        reason="HTTP 204",
        attempts=delivery.attempts,
        latency_ms=0,
    )
    assert (delivery.delivered, delivery.status, delivery.attempt_count) == (True, 204, 1)


def test_a_whsec_secret_signs_with_its_decoded_key(
    make_sender: MakeSender, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(URL).mock(return_value=ok())
    make_sender(environ={SECRET_ENV: WHSEC}).send("apply.started", {})
    request = route.calls.last.request
    assert verify(WHSEC, dict(request.headers), request.content)
    # ... and not with the prefixed text taken as bytes.
    assert not verify("raw:" + WHSEC, dict(request.headers), request.content)


def test_the_body_is_serialised_when_sent_so_later_changes_to_the_data_are_not(
    make_sender: MakeSender, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(URL).mock(side_effect=[httpx.Response(503), ok()])
    data = {"names": ["a"]}
    make_sender().send("apply.resource", data)
    data["names"].append("b")
    assert {call.request.content for call in route.calls} == {
        b'{"data":{"names":["a"]},"timestamp":"2023-11-14T22:13:20.000Z","type":"apply.resource"}'
    }


def test_the_id_is_the_same_on_every_retry_while_timestamp_and_signature_are_per_attempt(
    make_sender: MakeSender, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(URL).mock(
        side_effect=[httpx.Response(500), httpx.ConnectError("refused"), httpx.Response(502), ok()]
    )
    (delivery,) = make_sender().send("apply.completed", {"head": "ab"})
    sent = headers_of(route)
    assert [h["webhook-id"] for h in sent] == ["msg_1"] * 4
    assert [int(h["webhook-timestamp"]) for h in sent] == [EPOCH, EPOCH + 1, EPOCH + 3, EPOCH + 7]
    assert len({h["webhook-signature"] for h in sent}) == 4
    assert all(verify(RAW_SECRET, dict(c.request.headers), c.request.content) for c in route.calls)
    assert len({c.request.content for c in route.calls}) == 1
    assert [a.timestamp for a in delivery.attempts] == [EPOCH, EPOCH + 1, EPOCH + 3, EPOCH + 7]
    assert (delivery.outcome, delivery.reason) == ("delivered", "HTTP 204 after 4 attempts")


def test_each_event_gets_its_own_id_and_every_receiver_the_same_one(
    make_sender: MakeSender, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(URL).mock(return_value=ok())
    respx_mock.post(OTHER).mock(return_value=ok())
    sender = make_sender(
        [
            WebhookTarget(url=URL, secret_env=SECRET_ENV),
            WebhookTarget(url=OTHER, secret_env=SECRET_ENV),
        ]
    )
    first = sender.send("apply.started", {})
    second = sender.send("apply.completed", {})
    assert [d.webhook_id for d in first] == ["msg_1", "msg_1"]
    assert [d.webhook_id for d in second] == ["msg_2", "msg_2"]


# -- which receivers ---------------------------------------------------------------------------


def test_only_receivers_that_asked_for_the_event_get_it(
    make_sender: MakeSender, respx_mock: respx.MockRouter
) -> None:
    board = respx_mock.post(URL).mock(return_value=ok())
    wfm = respx_mock.post(OTHER).mock(return_value=ok())
    sender = make_sender(
        [
            WebhookTarget(
                url=URL, events=("apply.completed", "apply.failed"), secret_env=SECRET_ENV
            ),
            WebhookTarget(url=OTHER, secret_env=SECRET_ENV),
        ]
    )
    assert [d.url for d in sender.send("apply.resource", {"name": "x"})] == [OTHER]
    assert [d.url for d in sender.send("apply.completed", {"head": "h"})] == [URL, OTHER]
    assert [json.loads(c.request.content)["type"] for c in board.calls] == ["apply.completed"]
    assert [json.loads(c.request.content)["type"] for c in wfm.calls] == [
        "apply.resource",
        "apply.completed",
    ]


def test_an_event_nobody_wants_sends_nothing(
    make_sender: MakeSender, respx_mock: respx.MockRouter
) -> None:
    target = WebhookTarget(url=URL, events=("apply.failed",), secret_env=SECRET_ENV)
    assert make_sender([target]).send("apply.started", {}) == []
    assert make_sender([]).send("apply.started", {}) == []
    assert not respx_mock.calls


def test_an_unknown_event_or_non_json_data_is_a_caller_error_raised_before_sending(
    make_sender: MakeSender, respx_mock: respx.MockRouter
) -> None:
    sender = make_sender()
    with pytest.raises(ValueError, match=r"unknown event 'apply\.done'"):
        sender.send("apply.done", {})
    with pytest.raises(TypeError):
        sender.send("apply.started", {"ids": {"a", "b"}})
    assert not respx_mock.calls


# -- retries, and their bounds -----------------------------------------------------------------


def test_backoff_doubles_from_one_second_and_five_attempts_are_the_most(
    make_sender: MakeSender, respx_mock: respx.MockRouter, clock: VirtualClock
) -> None:
    route = respx_mock.post(URL).mock(return_value=httpx.Response(503))
    (delivery,) = make_sender().send("apply.failed", {})
    assert route.call_count == 5
    assert clock.sleeps == (1.0, 2.0, 4.0, 8.0)
    assert [a.waited for a in delivery.attempts] == [0.0, 1.0, 2.0, 4.0, 8.0]
    assert [a.status for a in delivery.attempts] == [503] * 5
    assert delivery.outcome == "failed"
    assert delivery.reason == "gave up after 5 attempts: HTTP 503"
    assert delivery.latency_ms == 15_000


def test_jitter_only_shortens_a_wait_by_up_to_a_quarter(
    make_sender: MakeSender, respx_mock: respx.MockRouter, clock: VirtualClock
) -> None:
    respx_mock.post(URL).mock(return_value=httpx.Response(500))
    make_sender(limits=DeliveryLimits(), rng=random.Random(7)).send("apply.failed", {})
    nominal = (1.0, 2.0, 4.0, 8.0)
    assert all(0.75 * n <= s <= n for s, n in zip(clock.sleeps, nominal, strict=True))
    assert clock.sleeps != nominal


def test_no_attempt_starts_past_the_thirty_second_bound(
    make_sender: MakeSender, respx_mock: respx.MockRouter, clock: VirtualClock
) -> None:
    def slow_timeout(request: httpx.Request) -> httpx.Response:
        timeout = request.extensions["timeout"]
        clock.advance(timeout["read"])  # the receiver never answers within the timeout
        raise httpx.ReadTimeout("timed out", request=request)

    route = respx_mock.post(URL).mock(side_effect=slow_timeout)
    (delivery,) = make_sender().send("apply.completed", {})
    # 15 s timeout, wait 1, then only the 14 s left for the second attempt.
    assert [r.request.extensions["timeout"]["read"] for r in route.calls] == [15.0, 14.0]
    assert clock.now() == 30.0
    assert delivery.reason == (
        "gave up after 2 attempts: ReadTimeout: timed out; "
        "waiting 2.0 s (backoff) would pass the 30 s bound"
    )
    assert delivery.latency_ms == 30_000


def test_the_bounds_are_the_callers_to_set(
    make_sender: MakeSender, respx_mock: respx.MockRouter, clock: VirtualClock
) -> None:
    route = respx_mock.post(URL).mock(return_value=httpx.Response(500))
    limits = DeliveryLimits(max_attempts=3, backoff_base=0.5, backoff_cap=0.75, jitter=0)
    make_sender(limits=limits).send("apply.failed", {})
    assert route.call_count == 3
    assert clock.sleeps == (0.5, 0.75)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413, 422])
def test_a_4xx_is_the_receivers_answer_and_is_not_retried(
    make_sender: MakeSender, respx_mock: respx.MockRouter, clock: VirtualClock, status: int
) -> None:
    route = respx_mock.post(URL).mock(return_value=httpx.Response(status))
    (delivery,) = make_sender().send("apply.completed", {})
    assert route.call_count == 1
    assert clock.sleeps == ()
    assert (delivery.outcome, delivery.status, delivery.reason) == (
        "failed",
        status,
        f"not retried: HTTP {status}",
    )


def test_a_redirect_is_not_followed_nor_retried(
    make_sender: MakeSender, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(URL).mock(
        return_value=httpx.Response(307, headers={"location": "https://elsewhere.example.com/"})
    )
    elsewhere = respx_mock.post("https://elsewhere.example.com/").mock(return_value=ok())
    (delivery,) = make_sender().send("apply.completed", {})
    assert (route.call_count, elsewhere.call_count) == (1, 0)
    assert delivery.reason == (
        "not retried: HTTP 307 (redirects are not followed: set url to the final address)"
    )


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_429_and_5xx_are_retried(
    make_sender: MakeSender, respx_mock: respx.MockRouter, status: int
) -> None:
    route = respx_mock.post(URL).mock(side_effect=[httpx.Response(status), ok()])
    (delivery,) = make_sender().send("apply.completed", {})
    assert route.call_count == 2
    assert [a.status for a in delivery.attempts] == [status, 204]


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.ConnectTimeout("timed out"),
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
    ],
    ids=type,
)
def test_connection_failures_and_timeouts_are_retried(
    make_sender: MakeSender, respx_mock: respx.MockRouter, failure: Exception
) -> None:
    route = respx_mock.post(URL).mock(side_effect=[failure, ok()])
    (delivery,) = make_sender().send("apply.completed", {})
    assert route.call_count == 2
    first = delivery.attempts[0]
    assert (first.status, first.error) == (None, f"{type(failure).__name__}: {failure}")
    assert delivery.delivered


def test_retry_after_is_waited_for_instead_of_the_backoff(
    make_sender: MakeSender, respx_mock: respx.MockRouter, clock: VirtualClock
) -> None:
    route = respx_mock.post(URL).mock(
        side_effect=[
            httpx.Response(429, headers={"retry-after": "7"}),
            httpx.Response(503, headers={"retry-after": "3"}),
            ok(),
        ]
    )
    (delivery,) = make_sender().send("apply.completed", {})
    assert route.call_count == 3
    assert clock.sleeps == (7.0, 3.0)
    assert delivery.delivered


def test_retry_after_as_an_http_date(
    make_sender: MakeSender, respx_mock: respx.MockRouter, clock: VirtualClock
) -> None:
    # EPOCH is 2023-11-14T22:13:20Z; the receiver asks us back 5 s later.
    respx_mock.post(URL).mock(
        side_effect=[
            httpx.Response(503, headers={"retry-after": "Tue, 14 Nov 2023 22:13:25 GMT"}),
            ok(),
        ]
    )
    make_sender().send("apply.completed", {})
    assert clock.sleeps == (5.0,)


def test_an_unreadable_retry_after_falls_back_to_the_backoff(
    make_sender: MakeSender, respx_mock: respx.MockRouter, clock: VirtualClock
) -> None:
    respx_mock.post(URL).mock(
        side_effect=[httpx.Response(429, headers={"retry-after": "soon"}), ok()]
    )
    make_sender().send("apply.completed", {})
    assert clock.sleeps == (1.0,)


def test_a_retry_after_past_the_bound_gives_up_at_once_instead_of_waiting_in_vain(
    make_sender: MakeSender, respx_mock: respx.MockRouter, clock: VirtualClock
) -> None:
    route = respx_mock.post(URL).mock(
        return_value=httpx.Response(429, headers={"retry-after": "120"})
    )
    (delivery,) = make_sender().send("apply.completed", {})
    assert route.call_count == 1
    assert clock.sleeps == ()
    assert delivery.reason == (
        "gave up after 1 attempt: HTTP 429; waiting 120.0 s (Retry-After) would pass the 30 s bound"
    )


def test_retry_after_counts_against_the_bound(
    make_sender: MakeSender, respx_mock: respx.MockRouter, clock: VirtualClock
) -> None:
    route = respx_mock.post(URL).mock(
        return_value=httpx.Response(503, headers={"retry-after": "12"})
    )
    (delivery,) = make_sender().send("apply.completed", {})
    assert route.call_count == 3  # at 0, 12 and 24 s; a third wait would end at 36 s
    assert clock.sleeps == (12.0, 12.0)
    assert delivery.outcome == "failed"


# -- secrets -----------------------------------------------------------------------------------


def test_a_missing_secret_variable_is_an_outcome_and_nothing_is_sent(
    make_sender: MakeSender, respx_mock: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="genesys_compliance.webhooks")
    (delivery,) = make_sender(environ={}).send("apply.completed", {})
    assert not respx_mock.calls
    assert delivery == Delivery(
        url=URL,
        event_type="apply.completed",
        webhook_id="msg_1",
        outcome="not-sent",
        reason="secret variable GC_WEBHOOK_SECRET is not set",
    )
    assert (delivery.attempt_count, delivery.status, delivery.delivered) == (0, None, False)
    assert "secret variable GC_WEBHOOK_SECRET is not set" in caplog.text


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        ("", "secret variable GC_WEBHOOK_SECRET is empty"),
        (
            "whsec_!!",
            "secret variable GC_WEBHOOK_SECRET starts with whsec_ but the rest is not base64",
        ),
        (RAW_SECRET + "\n", "secret variable GC_WEBHOOK_SECRET has leading or trailing whitespace"),
    ],
    ids=["empty", "bad-base64", "newline"],
)
def test_an_unusable_secret_is_an_outcome_and_nothing_is_sent(
    make_sender: MakeSender, respx_mock: respx.MockRouter, secret: str, reason: str
) -> None:
    (delivery,) = make_sender(environ={SECRET_ENV: secret}).send("apply.completed", {})
    assert not respx_mock.calls
    assert delivery.outcome == "not-sent"
    assert delivery.reason.startswith(reason)


def test_the_secret_is_read_when_a_message_is_sent_not_when_the_sender_is_made(
    make_sender: MakeSender, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(URL).mock(return_value=ok())
    environ: dict[str, str] = {}
    sender = make_sender(environ=environ)
    assert sender.send("apply.started", {})[0].outcome == "not-sent"
    environ[SECRET_ENV] = RAW_SECRET
    assert sender.send("apply.completed", {})[0].delivered
    environ[SECRET_ENV] = WHSEC  # rotated between messages
    sender.send("apply.completed", {})
    last = route.calls.last.request
    assert verify(WHSEC, dict(last.headers), last.content)
    assert environ == {SECRET_ENV: WHSEC}  # read, never written


@pytest.mark.parametrize("secret", [RAW_SECRET, WHSEC], ids=["raw", "whsec"])
def test_no_secret_byte_reaches_a_delivery_a_repr_or_a_log_record(
    make_sender: MakeSender,
    respx_mock: respx.MockRouter,
    caplog: pytest.LogCaptureFixture,
    secret: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    respx_mock.post(URL).mock(
        side_effect=[httpx.Response(500), httpx.ConnectError("refused"), httpx.Response(404), ok()]
    )
    respx_mock.post(OTHER).mock(return_value=ok())
    sender = make_sender(
        [
            WebhookTarget(url=URL, secret_env=SECRET_ENV),
            WebhookTarget(url=OTHER, secret_env=SECRET_ENV),
        ],
        environ={SECRET_ENV: secret},
    )
    deliveries = sender.send("apply.completed", {"head": "ab"})
    deliveries += sender.send("apply.failed", {"reason": "x"})
    key = secret.removeprefix("whsec_")
    forms = {
        secret,
        key,
        base64.b64encode(key.encode()).decode(),
        repr(key.encode()),
        key.encode().hex(),
    }
    if secret.startswith("whsec_"):
        raw = base64.b64decode(key)
        forms |= {repr(raw), raw.hex(), raw.decode("latin-1")}
    texts = [
        repr(deliveries),
        str(deliveries),
        json.dumps([d.as_record() for d in deliveries]),
        repr(sender),
        repr(sender.targets),
        caplog.text,
        *(repr(r.__dict__) for r in caplog.records),
    ]
    assert [d.outcome for d in deliveries] == ["failed", "delivered", "delivered", "delivered"]
    for text in texts:
        for form in forms:
            assert form not in text


# -- a receiver that keeps failing -------------------------------------------------------------


def test_after_a_message_fails_for_good_the_next_get_one_attempt_until_one_is_delivered(
    make_sender: MakeSender, respx_mock: respx.MockRouter, clock: VirtualClock
) -> None:
    route = respx_mock.post(URL).mock(
        side_effect=[httpx.ConnectError("refused")] * 6 + [ok(), httpx.Response(500), ok()]
    )
    sender = make_sender()
    first = sender.send("apply.resource", {"n": 1})[0]
    second = sender.send("apply.resource", {"n": 2})[0]
    third = sender.send("apply.resource", {"n": 3})[0]  # receiver is back: delivered
    fourth = sender.send("apply.resource", {"n": 4})[0]  # retried normally again
    assert [d.attempt_count for d in (first, second, third, fourth)] == [5, 1, 1, 2]
    assert second.reason == (
        "gave up after 1 attempt: ConnectError: refused; "
        "retries paused: the previous message to it failed"
    )
    assert [third.outcome, fourth.outcome] == ["delivered", "delivered"]
    assert route.call_count == 9


def test_after_410_gone_a_receiver_gets_nothing_more(
    make_sender: MakeSender, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(URL).mock(return_value=httpx.Response(410))
    sender = make_sender()
    first = sender.send("apply.started", {})[0]
    later = sender.send("apply.completed", {})[0]
    assert route.call_count == 1
    assert first.reason == "not retried: HTTP 410 Gone; nothing more is sent to this receiver"
    assert (later.outcome, later.reason) == (
        "not-sent",
        "the receiver answered 410 Gone to an earlier message",
    )


def test_one_receiver_failing_does_not_stop_the_others(
    make_sender: MakeSender, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(URL).mock(side_effect=httpx.ConnectError("refused"))
    respx_mock.post(OTHER).mock(return_value=ok())
    sender = make_sender(
        [
            WebhookTarget(url=URL, secret_env="MISSING"),
            WebhookTarget(url=OTHER, secret_env=SECRET_ENV),
        ]
    )
    assert [d.outcome for d in sender.send("apply.completed", {})] == ["not-sent", "delivered"]


# -- the records and the client ----------------------------------------------------------------


def test_a_delivery_is_a_json_ready_audit_record(
    make_sender: MakeSender, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(URL).mock(side_effect=[httpx.Response(503), ok()])
    (delivery,) = make_sender().send("apply.completed", {})
    assert json.loads(json.dumps(delivery.as_record())) == {
        "url": URL,
        "event": "apply.completed",
        "webhookId": "msg_1",
        "outcome": "delivered",
        "status": 204,
        "reason": "HTTP 204 after 2 attempts",
        "attemptCount": 2,
        "attempts": [
            {
                "number": 1,
                "timestamp": EPOCH,
                "waited": 0.0,
                "status": 503,
                "error": None,
                "latencyMs": 0,
            },
            {
                "number": 2,
                "timestamp": EPOCH + 1,
                "waited": 1.0,
                "status": 204,
                "error": None,
                "latencyMs": 0,
            },
        ],
        "latencyMs": 1000,
    }


def test_a_given_client_is_used_and_left_open(make_sender: MakeSender) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return ok()

    client = httpx.Client(transport=httpx.MockTransport(handler), follow_redirects=True)
    with make_sender(client=client) as sender:
        assert sender.send("apply.started", {})[0].delivered
    assert not client.is_closed
    assert [r.headers["user-agent"] for r in seen] == ["genesys-compliance"]
    client.close()


def test_a_transport_is_used_by_the_senders_own_client() -> None:
    transport = httpx.MockTransport(lambda request: ok())
    target = WebhookTarget(url=URL, secret_env=SECRET_ENV)
    with WebhookSender([target], environ={SECRET_ENV: RAW_SECRET}, transport=transport) as sender:
        assert sender.send("apply.started", {})[0].delivered


def test_a_client_and_a_transport_together_are_refused() -> None:
    with httpx.Client() as client, pytest.raises(ValueError, match="a client or a transport"):
        WebhookSender([], client=client, transport=httpx.MockTransport(lambda r: ok()))


def test_the_default_environment_is_the_process_environment(
    monkeypatch: pytest.MonkeyPatch, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(URL).mock(return_value=ok())
    monkeypatch.setenv(SECRET_ENV, RAW_SECRET)
    with WebhookSender([WebhookTarget(url=URL, secret_env=SECRET_ENV)]) as sender:
        assert sender.send("apply.started", {})[0].delivered
        monkeypatch.delenv(SECRET_ENV)
        assert sender.send("apply.started", {})[0].outcome == "not-sent"


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"max_attempts": 0}, "max_attempts must be at least 1"),
        ({"backoff_base": -1}, "backoff cannot be negative"),
        ({"jitter": 1.5}, "jitter is a fraction between 0 and 1"),
        ({"attempt_timeout": 0}, "attempt_timeout and deadline must be positive"),
        ({"deadline": -1}, "attempt_timeout and deadline must be positive"),
    ],
)
def test_limits_that_make_no_sense_are_refused(limits: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DeliveryLimits(**limits)  # type: ignore[arg-type]
