"""The marker of the pipeline tests that need the Allure command line (npm's install, Java)."""

from __future__ import annotations

import pytest

from tests.reporting.conftest import ALLURE_CLI


def pytest_configure(config: pytest.Config) -> None:
    """Register ``gc_allure_cli`` here too: ``pytest tests/pipelines`` loads no other conftest.

    As in ``tests/reporting``: such a test never skips; without the tools it fails
    saying what to do, and a developer without them deselects it with
    ``-m "not gc_allure_cli"``.
    """
    config.addinivalue_line(
        "markers",
        f"{ALLURE_CLI}: runs the Allure command line `npm ci` installs (needs Java); "
        f'fails without it; deselect with -m "not {ALLURE_CLI}"',
    )
