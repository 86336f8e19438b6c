"""Fixtures the property suites share: the project's policy, read once per session.

Session-scoped on purpose: hypothesis runs every example of a test inside one
call of it, so a function-scoped fixture would be shared by all examples
without being reset (hypothesis' ``function_scoped_fixture`` health check).
"""

from __future__ import annotations

import pytest

import _properties
from genesys_compliance import Policy, load_policy


@pytest.fixture(scope="session")
def gc_policy(pytestconfig: pytest.Config) -> Policy:
    """The project's ``[tool.genesys-compliance]`` policy, read as the plugin reads it."""
    return load_policy(pytestconfig.rootpath / "pyproject.toml")


def pytest_configure(config: pytest.Config) -> None:
    """Remember ``--hypothesis-seed`` so a failure can say how to reproduce it."""
    _properties.SEED = config.getoption("--hypothesis-seed", None)
