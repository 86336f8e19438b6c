"""Shared by the property suites: how to reproduce a failure.

The policy the suites respect comes from the plugin's ``gc_policy`` fixture.
"""

from __future__ import annotations

import pytest

import _properties


def pytest_configure(config: pytest.Config) -> None:
    """Remember ``--hypothesis-seed`` so a failure can say how to reproduce it."""
    _properties.SEED = config.getoption("--hypothesis-seed", None)
