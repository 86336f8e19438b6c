"""Helpers of the audit log tests: key pairs on disk, actions, logs read and rewritten as bytes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from genesys_compliance.audit import FILE_NAME, AuditLog

FIXED = datetime(2026, 1, 2, 3, 4, 5, 678_000, tzinfo=UTC)


@dataclass(frozen=True)
class KeyPair:
    private: Path
    public: Path
    key: Ed25519PrivateKey


def write_key_pair(folder: Path, name: str = "audit") -> KeyPair:
    folder.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    private = folder / f"{name}.pem"
    public = folder / f"{name}.pub.pem"
    private.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    public.write_bytes(
        key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    return KeyPair(private, public, key)


def action(n: int, **extra: object) -> dict[str, object]:
    """The fields of one apply action, as the apply stage will write them."""
    return {
        "kind": "DesktopLayout",
        "name": f"layout-{n}",
        "file": f"configs/layout-{n}.yaml",
        "resource": f"id-{n}",
        "action": "update",
        "versionBefore": n,
        "versionAfter": n + 1,
        "changes": [{"pointer": "/spec/name", "org": "Old", "file": "New"}],
        "latencyMs": 10 + n,
        "outcome": "success",
        "correlationId": f"corr-{n}",
        **extra,
    }


def open_log(directory: Path, run: str = "run-1", *, key_path: Path | None = None) -> AuditLog:
    """A log of one run of org-1, its times fixed."""
    return AuditLog(
        directory,
        run=run,
        org="org-1",
        region="mypurecloud.ie",
        client="client-1",
        key_path=key_path,
        clock=lambda: FIXED,
    )


def lines_of(directory: Path) -> list[bytes]:
    """The lines of the log, without their newlines (the file must end in one)."""
    data = (directory / FILE_NAME).read_bytes()
    assert data.endswith(b"\n")
    return data[:-1].split(b"\n")


def write_lines(directory: Path, lines: list[bytes]) -> None:
    (directory / FILE_NAME).write_bytes(b"".join(line + b"\n" for line in lines))


def records_of(directory: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in lines_of(directory)]
