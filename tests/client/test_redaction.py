import base64
import json
import logging
from typing import TYPE_CHECKING

import pytest

from genesys_compliance.client import (
    ExchangeLog,
    RedactingFilter,
    RetryPolicy,
    Secret,
    redact,
    redact_headers,
    redact_json,
)
from genesys_compliance.errors import ApiError, AuthError, TransportError
from tests.api_support import (
    BILLING,
    CI_CLIENT,
    CI_SECRET,
    TECH_SUPPORT,
    issued_tokens,
    make_client,
    make_org,
)

if TYPE_CHECKING:
    from collections.abc import Callable


def test_a_secret_never_shows_itself() -> None:
    secret = Secret("hunter2-but-longer")
    assert "hunter2" not in repr(secret)
    assert "hunter2" not in str(secret)
    assert "hunter2" not in f"{secret!r} {secret}"
    assert secret.reveal() == "hunter2-but-longer"
    assert secret == Secret("hunter2-but-longer")
    with pytest.raises(TypeError, match="not pickled"):
        __import__("pickle").dumps(secret)


def test_redact_masks_remembered_values_and_credential_shapes() -> None:
    Secret("remembered-value-123")
    text = (
        "x remembered-value-123 y Authorization: Bearer abc.def-ghi Basic Zm9vOmJhcg== "
        '{"access_token": "tok-123456", "client_secret": "cs"} client_secret=zzz '
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    )
    cleaned = redact(text)
    for leaked in (
        "remembered-value-123",
        "abc.def-ghi",
        "Zm9vOmJhcg",
        "tok-123456",
        '"cs"',
        "zzz",
        "eyJhbGci",
    ):
        assert leaked not in cleaned
    assert "Bearer [REDACTED]" in cleaned
    assert redact_headers([("Authorization", "Bearer x1y2z3"), ("Accept", "a")]) == {
        "Authorization": "Bearer [REDACTED]",
        "Accept": "a",
    }
    assert redact_json(
        {"access_token": "t", "nested": [{"clientSecret": "s", "pageToken": "p"}]}
    ) == {
        "access_token": "[REDACTED]",
        "nested": [{"clientSecret": "[REDACTED]", "pageToken": "p"}],
    }


def test_the_log_filter_rewrites_records_of_its_logger(caplog: pytest.LogCaptureFixture) -> None:
    Secret("filtered-secret-value")
    log = logging.getLogger("tests.redaction.filtered")
    log.addFilter(RedactingFilter())
    with caplog.at_level(logging.DEBUG, logger="tests.redaction.filtered"):
        log.warning("sending %s", "filtered-secret-value")
        try:
            raise ValueError("boom filtered-secret-value")
        except ValueError:
            log.exception("failed")
    assert "filtered-secret-value" not in caplog.text
    assert "sending [REDACTED]" in caplog.text


def _library_traceback(info: pytest.ExceptionInfo[BaseException]) -> str:
    """The library's frames as pytest prints them, arguments and locals included.

    The test's own frames are left out: their source holds the literals under test.
    """
    info.traceback = info.traceback.filter(lambda entry: "genesys_compliance" in str(entry.path))
    assert len(info.traceback) > 0
    return str(info.getrepr(funcargs=True, showlocals=True))


def test_no_secret_or_token_in_logs_exceptions_or_exchanges(
    caplog: pytest.LogCaptureFixture,
) -> None:
    org = make_org()
    exchanges = ExchangeLog()
    client, router = make_client(org, exchange_log=exchanges, retry=RetryPolicy(max_attempts=2))
    failures: list[BaseException] = []
    reprs: list[str] = []
    with caplog.at_level(logging.DEBUG):
        client.get_queue(TECH_SUPPORT)
        org.expire_tokens()  # 401, refresh, replay
        client.get_queue(TECH_SUPPORT)
        org.faults.rate_limit(times=1, operation="getQueue")  # 429, retry
        client.get_queue(TECH_SUPPORT)
        org.faults.drop_connection(times=None, operation="getQueue")  # transport errors
        calls: list[Callable[[], object]] = [
            lambda: client.get_queue(TECH_SUPPORT),
            lambda: client.get_queue("missing"),
            lambda: client.create_layout({"name": 1}),
        ]
        for call in calls:
            with pytest.raises((TransportError, ApiError)) as info:
                call()
            failures.append(info.value)
            reprs.append(_library_traceback(info))
        org.faults.clear()
        wrong, _ = make_client(org, secret="a-wrong-secret-of-some-length")
        with pytest.raises(AuthError) as refused:
            wrong.get_queue(BILLING)
        failures.append(refused.value)
        reprs.append(_library_traceback(refused))
    tokens = issued_tokens(router)
    assert len(tokens) == 2
    basic = base64.b64encode(f"{CI_CLIENT}:{CI_SECRET}".encode()).decode()
    forbidden = [CI_SECRET, "a-wrong-secret-of-some-length", basic, *tokens]
    outputs = {
        "log": caplog.text,
        "exceptions": "\n".join(f"{e}\n{e!r}\n{e.args}" for e in failures),
        "tracebacks": "\n".join(reprs),
        "exchanges": "\n".join(e.to_json() for e in exchanges),
        "client": repr(client),
    }
    assert len(exchanges) >= 8
    assert "Bearer [REDACTED]" in outputs["exchanges"]
    assert "Basic [REDACTED]" in outputs["exchanges"]
    token_bodies = [e.response_body or "" for e in exchanges if e.operation_id == "postOAuthToken"]
    assert any('"access_token": "[REDACTED]"' in body for body in token_bodies)
    for name, text in outputs.items():
        for value in forbidden:
            assert value not in text, f"{name} leaks a credential"


def test_a_recorded_exchange_still_validates_against_the_contract() -> None:
    org = make_org()
    client, _ = make_client(org)
    client.get_queue(TECH_SUPPORT)
    exchange = next(e for e in client.exchanges if e.operation_id == "getQueue")
    request, response = exchange.to_httpx()
    assert response is not None
    assert org.contract.validate_request(request) == []
    assert org.contract.validate_response(request, response) == []
    data = json.loads(exchange.to_json())
    assert data["status"] == 200
    assert data["correlation_id"] == response.headers["inin-correlation-id"]
