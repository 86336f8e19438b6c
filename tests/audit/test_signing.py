"""Signed checkpoints: which key signs, exactly which bytes, and keys that cannot be used."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
)

from genesys_compliance.audit import (
    FILE_NAME,
    KEY_ENV,
    AuditKeyError,
    key_id,
    load_public_key,
    signed_bytes,
    verify,
)
from tests.audit.helpers import KeyPair, action, lines_of, open_log


def _signed_checkpoint(directory: Path, key_path: Path | None = None) -> dict[str, object]:
    log = open_log(directory, key_path=key_path)
    log.append(action(1))
    return log.checkpoint()


def test_the_signature_covers_the_canonical_json_without_signature(
    tmp_path: Path, keys: KeyPair
) -> None:
    """The definition, re-derived here without the package: sorted keys, compact, UTF-8."""
    checkpoint = _signed_checkpoint(tmp_path, keys.private)
    line = lines_of(tmp_path)[-1]
    record = json.loads(line)
    signature = base64.b64decode(record.pop("signature"), validate=True)
    message = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    keys.key.public_key().verify(signature, message.encode("utf-8"))  # raises when not
    assert signed_bytes(checkpoint) == message.encode("utf-8")
    assert record["keyId"] == key_id(keys.key.public_key())


def test_the_key_can_come_from_the_environment(
    tmp_path: Path, keys: KeyPair, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, str(keys.private))
    checkpoint = _signed_checkpoint(tmp_path)
    assert "signature" in checkpoint
    assert verify(tmp_path, public_key=keys.public).signatures_checked == 1


def test_the_key_path_argument_wins_over_the_environment(
    tmp_path: Path, keys: KeyPair, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, str(tmp_path / "nowhere.pem"))
    assert "signature" in _signed_checkpoint(tmp_path, keys.private)


def test_an_empty_variable_means_unsigned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "")
    log = open_log(tmp_path)
    assert not log.signed
    assert "signature" not in log.checkpoint()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_openssl_verifies_a_checkpoint_as_the_readme_shows(tmp_path: Path) -> None:
    private, public = tmp_path / "audit.pem", tmp_path / "audit.pub.pem"
    subprocess.run(
        ["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(private)], check=True
    )
    subprocess.run(
        ["openssl", "pkey", "-in", str(private), "-pubout", "-out", str(public)], check=True
    )
    log = open_log(tmp_path / "logs", key_path=private)
    log.append(action(1))
    checkpoint = log.checkpoint()
    (tmp_path / "signed.bin").write_bytes(signed_bytes(checkpoint))
    (tmp_path / "sig.bin").write_bytes(base64.b64decode(str(checkpoint["signature"])))
    done = subprocess.run(
        [
            "openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(public), "-rawin",
            "-in", str(tmp_path / "signed.bin"), "-sigfile", str(tmp_path / "sig.bin"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert verify(tmp_path / "logs", public_key=public).signatures_checked == 1


# -- keys that cannot be used: a clear error naming the file, never its bytes ----------------------


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_a_missing_key_file_named_by_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "missing.pem"
    monkeypatch.setenv(KEY_ENV, str(missing))
    with pytest.raises(AuditKeyError) as raised:
        open_log(tmp_path / "logs")
    assert str(raised.value) == f"{KEY_ENV} {missing} cannot be read: No such file or directory"
    assert raised.value.__cause__ is None
    assert not (tmp_path / "logs" / FILE_NAME).exists()  # stopped before the log was opened


def test_a_folder_as_key(tmp_path: Path) -> None:
    with pytest.raises(AuditKeyError, match="cannot be read: Is a directory"):
        open_log(tmp_path / "logs", key_path=tmp_path)


def test_a_file_that_is_not_a_key_is_named_without_its_content(tmp_path: Path) -> None:
    key = _write(tmp_path / "k.pem", b"-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWJ5dGVz\n")
    with pytest.raises(AuditKeyError) as raised:
        open_log(tmp_path / "logs", key_path=key)
    assert f"{key} is not a PEM private key" in str(raised.value)
    assert "c2VjcmV0" not in str(raised.value)
    assert "openssl genpkey -algorithm ed25519" in str(raised.value)


def test_an_rsa_key_is_refused(tmp_path: Path) -> None:
    rsa = generate_private_key(public_exponent=65537, key_size=2048)
    key = _write(
        tmp_path / "rsa.pem",
        rsa.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()),
    )
    with pytest.raises(AuditKeyError, match="not an Ed25519 private key"):
        open_log(tmp_path / "logs", key_path=key)


def test_an_encrypted_key_is_refused(tmp_path: Path, keys: KeyPair) -> None:
    key = _write(
        tmp_path / "enc.pem",
        keys.key.private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(b"passphrase")
        ),
    )
    with pytest.raises(AuditKeyError, match="is encrypted"):
        open_log(tmp_path / "logs", key_path=key)


def test_a_huge_file_is_not_read_as_a_key(tmp_path: Path) -> None:
    key = _write(tmp_path / "big.pem", b"x" * 100_000)
    with pytest.raises(AuditKeyError, match="too large to be a key file"):
        open_log(tmp_path / "logs", key_path=key)


def test_a_private_key_is_not_taken_as_the_public_one(keys: KeyPair) -> None:
    with pytest.raises(AuditKeyError, match="holds a private key; pass the public key"):
        load_public_key(keys.private)


def test_a_public_key_file_that_is_not_one(tmp_path: Path) -> None:
    with pytest.raises(AuditKeyError, match="is not a PEM public key"):
        load_public_key(_write(tmp_path / "p.pem", b"hello"))
