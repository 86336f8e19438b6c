import base64
import hashlib
import hmac

import pytest

from genesys_compliance.webhooks import sign, signing_key

# The Standard Webhooks reference vector, as published by the project itself in
# standard-webhooks/standard-webhooks, libraries/python/tests/test_webhooks.py
# (test_sign_function; the same values are in every language's test suite there).
REFERENCE_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
REFERENCE_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
REFERENCE_TIMESTAMP = 1614265330
REFERENCE_PAYLOAD = b'{"test": 2432232314}'
REFERENCE_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_standard_webhooks_reference_vector() -> None:
    key = signing_key(REFERENCE_SECRET)
    assert sign(key, REFERENCE_ID, REFERENCE_TIMESTAMP, REFERENCE_PAYLOAD) == REFERENCE_SIGNATURE


def test_a_whsec_secret_is_base64_after_the_prefix() -> None:
    assert signing_key(REFERENCE_SECRET) == base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")


def test_a_whsec_secret_may_leave_off_its_padding_as_the_reference_libraries_allow() -> None:
    key = bytes(range(20))  # 20 bytes: base64 ends in one '='
    encoded = base64.b64encode(key).decode()
    assert encoded.endswith("=")
    assert signing_key("whsec_" + encoded.rstrip("=")) == key == signing_key("whsec_" + encoded)


def test_any_other_secret_is_its_utf8_bytes() -> None:
    assert signing_key("correct horse battery staple") == b"correct horse battery staple"
    assert signing_key("clé-secrète") == "clé-secrète".encode()
    # Only the exact prefix means base64: this is a raw secret that happens to look alike.
    assert signing_key("WHSEC_abc") == b"WHSEC_abc"


def test_a_raw_secret_signs_with_hmac_sha256_over_id_timestamp_and_body() -> None:
    body = b'{"data":{},"timestamp":"2024-01-01T00:00:00.000Z","type":"apply.started"}'
    digest = hmac.new(b"s3cret", b"msg_1.1700000000." + body, hashlib.sha256).digest()
    assert sign(signing_key("s3cret"), "msg_1", 1700000000, body) == (
        "v1," + base64.b64encode(digest).decode()
    )


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        pytest.param("", "is empty", id="empty"),
        pytest.param("whsec_", "is empty", id="whsec-nothing"),
        pytest.param(
            "whsec_not base64!", "starts with whsec_ but the rest is not base64", id="b64"
        ),
        pytest.param("whsec_abcde", "starts with whsec_ but the rest is not base64", id="length"),
        pytest.param("s3cret\n", "has leading or trailing whitespace", id="newline"),
        pytest.param(" s3cret", "has leading or trailing whitespace", id="space"),
        pytest.param("s3cr\udcffet", "is not valid UTF-8", id="undecodable-environ-bytes"),
    ],
)
def test_an_unusable_secret_says_why_without_quoting_it(secret: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as raised:
        signing_key(secret)
    if secret.strip():
        assert secret.strip() not in str(raised.value)


def test_an_id_with_a_full_stop_is_refused_since_it_would_make_the_signed_text_ambiguous() -> None:
    with pytest.raises(ValueError, match=r"cannot contain '\.'"):
        sign(b"key", "msg.1", 1, b"{}")
