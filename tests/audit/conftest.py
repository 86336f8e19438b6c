"""Fixtures of the audit log tests: keys on disk, logs written by the real writer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from genesys_compliance.audit import KEY_ENV
from tests.audit.helpers import KeyPair, action, open_log, write_key_pair


@pytest.fixture(autouse=True)
def _no_audit_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A key configured where the tests run must not sign their logs."""
    monkeypatch.delenv(KEY_ENV, raising=False)


@pytest.fixture
def keys(tmp_path: Path) -> KeyPair:
    return write_key_pair(tmp_path / "keys")


WriteLog = Callable[..., Path]


@pytest.fixture
def write_log(tmp_path: Path) -> WriteLog:
    """Write ``runs`` runs of ``per_run`` actions each (with checkpoints), return the folder."""

    def write(
        runs: int = 2, per_run: int = 3, key: KeyPair | None = None, name: str = "audit"
    ) -> Path:
        directory = tmp_path / name
        for r in range(runs):
            key_path = key.private if key is not None else None
            with open_log(directory, run=f"run-{r + 1}", key_path=key_path) as log:
                for n in range(per_run):
                    log.append(action(n))
        return directory

    return write
