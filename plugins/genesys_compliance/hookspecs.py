"""Hooks genesys-compliance offers to conftest.py files and other plugins."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from genesys_compliance.rules import Registry


@pytest.hookspec
def pytest_gc_register_rules(registry: Registry, config: pytest.Config) -> None:
    """Called once per process before any configuration is checked; register custom rules.

    Example (in ``conftest.py``)::

        def pytest_gc_register_rules(registry):
            registry.register(layout_has_notes)
    """
