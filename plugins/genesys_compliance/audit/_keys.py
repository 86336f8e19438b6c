"""Ed25519 keys of the audit log: the signer's private key and the verifier's public key.

Keys are read once, when the log is opened or verification starts, so a bad
key stops a run before it changes the org rather than at its closing
checkpoint. Messages name the file and who named it; they never hold the
file's bytes, and the ``cryptography`` errors behind them are not chained.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)

from genesys_compliance.audit._errors import AuditKeyError
from genesys_compliance.audit._record import KEY_ENV

__all__ = ["key_id", "load_private_key", "load_public_key"]

# A PEM Ed25519 key is about 120 bytes; never read a mistaken path (a log, /dev/zero) whole.
_MAX_KEY_BYTES = 64 * 1024


def load_private_key(key_path: str | os.PathLike[str] | None = None) -> Ed25519PrivateKey | None:
    """The signing key: ``key_path``, else the file ``GENESYS_COMPLIANCE_AUDIT_KEY`` names.

    An unset or empty variable means checkpoints are not signed (``None``);
    verification with ``--public-key`` then fails on them, so a pipeline that
    lost its secret is found out.

    Raises:
        AuditKeyError: The file cannot be read, is encrypted, or holds no Ed25519 private key.
    """
    if key_path is not None:
        path, named_by = Path(key_path), "the audit key"
    else:
        value = os.environ.get(KEY_ENV, "")
        if not value:
            return None
        path, named_by = Path(value), f"{KEY_ENV}"
    data = _read(path, named_by)
    try:
        key = load_pem_private_key(data, password=None)
    except TypeError:
        raise AuditKeyError(
            f"{named_by} {path} is encrypted; the audit key must be an unencrypted PEM "
            "private key file (keep the file itself in a secret store)"
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise AuditKeyError(
            f"{named_by} {path} is not a PEM private key "
            "(create one with: openssl genpkey -algorithm ed25519 -out audit.pem)"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise AuditKeyError(
            f"{named_by} {path} is a {type(key).__name__.removeprefix('_')}, "
            "not an Ed25519 private key (openssl genpkey -algorithm ed25519 -out audit.pem)"
        )
    return key


def load_public_key(
    path: str | os.PathLike[str], named_by: str = "--public-key"
) -> Ed25519PublicKey:
    """The verifying key from a PEM ``SubjectPublicKeyInfo`` file (``openssl pkey -pubout``).

    A private key is refused rather than used: the verifier should never hold it.

    Raises:
        AuditKeyError: The file cannot be read or holds no Ed25519 public key.
    """
    path = Path(path)
    data = _read(path, named_by)
    if b"PRIVATE KEY" in data:
        raise AuditKeyError(
            f"{named_by} {path} holds a private key; pass the public key instead "
            f"(openssl pkey -in {path} -pubout -out audit.pub.pem) and keep the private one secret"
        )
    try:
        key = load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise AuditKeyError(
            f"{named_by} {path} is not a PEM public key "
            "(make one with: openssl pkey -in audit.pem -pubout -out audit.pub.pem)"
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise AuditKeyError(f"{named_by} {path} is not an Ed25519 public key")
    return key


def key_id(key: Ed25519PublicKey) -> str:
    """Lowercase hex SHA-256 of the raw 32-byte public key: names a key, reveals nothing."""
    return hashlib.sha256(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()


def _read(path: Path, named_by: str) -> bytes:
    try:
        with path.open("rb") as file:
            data = file.read(_MAX_KEY_BYTES + 1)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise AuditKeyError(f"{named_by} {path} cannot be read: {reason}") from None
    if len(data) > _MAX_KEY_BYTES:
        raise AuditKeyError(f"{named_by} {path} is too large to be a key file")
    return data
