"""Fixtures for the project's own tests (helpers live in tests/helpers.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from genesys_compliance import Finding, Policy
from tests.helpers import run_files

CheckFiles = Callable[..., list[Finding]]


@pytest.fixture
def check_files(tmp_path: Path) -> CheckFiles:
    """Write files under tmp_path/configs, run every rule, return all findings, sorted."""

    def check(files: dict[str, str | bytes], policy: Policy | None = None) -> list[Finding]:
        return run_files(tmp_path, files, policy).all_findings()

    return check


@pytest.fixture
def check_yaml(check_files: CheckFiles) -> CheckFiles:
    """Check one YAML text written as ``configs/c.yaml`` (dedented, leading newline dropped)."""

    def check(text: str, policy: Policy | None = None) -> list[Finding]:
        return check_files({"c.yaml": text}, policy)

    return check
