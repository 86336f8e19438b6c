"""The bytes of a record: one canonical JSON line, its hash, and what a signature covers.

Every line of ``audit.jsonl`` is the canonical JSON of its record (keys
sorted, no spaces, UTF-8, no NaN), so a line has exactly one spelling: a
verifier re-encodes each record and any byte that differs (an edit by hand, an
editor's reformatting, a duplicated key) is caught at that very line, not only
by the hash in the next one. The signature of a checkpoint covers the same
canonical encoding of the record without its ``signature`` field, so it can
be checked with nothing but ``jq -cS 'del(.signature)'`` and ``openssl``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Final

__all__ = [
    "CHECKPOINT",
    "FILE_NAME",
    "GENESIS",
    "KEY_ENV",
    "RESERVED",
    "canonical",
    "line_hash",
    "signed_bytes",
]

FILE_NAME: Final = "audit.jsonl"
# The ``prev`` of a file's first record: there is no line before it.
GENESIS: Final = "0" * 64
KEY_ENV: Final = "GENESYS_COMPLIANCE_AUDIT_KEY"
CHECKPOINT: Final = "checkpoint"
# Fields the log writes itself; a caller setting one could forge the chain or a run.
RESERVED: Final = frozenset(
    {"seq", "time", "run", "org", "region", "client", "prev", "head", "signature", "keyId"}
)


def canonical(record: Mapping[str, Any]) -> bytes:
    """The one spelling of ``record``: sorted keys, compact separators, UTF-8, finite numbers.

    Raises:
        ValueError: A float is NaN or infinite (not JSON).
        TypeError: A value is not JSON (a set, a datetime, ...).
    """
    return json.dumps(
        record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def line_hash(line: bytes) -> str:
    """Lowercase hex SHA-256 of a line as written, without its newline: the next ``prev``."""
    return hashlib.sha256(line).hexdigest()


def signed_bytes(record: Mapping[str, Any]) -> bytes:
    """What a checkpoint's Ed25519 signature covers: its canonical JSON without ``signature``."""
    return canonical({k: v for k, v in record.items() if k != "signature"})
