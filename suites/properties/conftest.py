"""Shared by the property suites: how to reproduce a failure, and where a long example goes.

The policy the suites respect comes from the plugin's ``gc_policy`` fixture.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

import _properties


def pytest_configure(config: pytest.Config) -> None:
    """Remember ``--hypothesis-seed`` and the run's reports folder for failure notes."""
    _properties.SEED = config.getoption("--hypothesis-seed", None)
    _properties.COUNTEREXAMPLES = config.rootpath / "reports" / "counterexamples"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Write the whole of each long counterexample a failure's report names, then forget them.

    Only the start of a long example is printed (``_properties.show``); the
    file the note names is written here, once the test has failed, so passing
    runs write nothing.
    """
    report = yield
    if report.when != "call":
        return report
    if report.failed:
        text = report.longreprtext
        for path, whole in _properties.LONG.items():
            if str(path) in text:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(whole, encoding="utf-8")
    _properties.LONG.clear()
    return report
