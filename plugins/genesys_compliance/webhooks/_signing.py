"""Standard Webhooks v1 signatures: the key a secret stands for, and the signature header.

A receiver's existing Standard Webhooks library must accept what we send, so
this follows the specification to the byte: HMAC-SHA256 over
``{id}.{timestamp}.{body}``, base64, prefixed ``v1,``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

__all__ = ["SECRET_PREFIX", "sign", "signing_key"]

#: A secret that starts with this is base64 after it (the Standard Webhooks serialisation).
SECRET_PREFIX = "whsec_"


def signing_key(secret: str) -> bytes:
    """The HMAC key ``secret`` stands for.

    ``whsec_`` + base64 decodes to the key (padding may be left off, as the
    reference libraries allow); any other secret is its UTF-8 bytes.

    Raises:
        ValueError: The secret cannot be a key. The message says why and never
            quotes the secret, so it can go into a delivery outcome as it is.
    """
    if secret != secret.strip():
        # A trailing newline from a secrets file signs with a key the receiver does not have.
        raise ValueError("has leading or trailing whitespace (a newline from a file?)")
    if secret.startswith(SECRET_PREFIX):
        encoded = secret[len(SECRET_PREFIX) :]
        try:
            key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("starts with whsec_ but the rest is not base64") from None
    else:
        try:
            key = secret.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("is not valid UTF-8") from None
    if not key:
        raise ValueError("is empty")
    return key


def sign(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value for one attempt: ``v1,`` + base64 HMAC-SHA256.

    Raises:
        ValueError: ``message_id`` holds a full stop, which would let one signed
            text be read as another (the specification forbids it).
    """
    if "." in message_id:
        raise ValueError("a webhook id cannot contain '.'")
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")
