"""Fixtures and the marker of the report tests (``tests/reporting/``)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import suite_file

ALLURE_CLI = "gc_allure_cli"
REPO = Path(__file__).resolve().parents[2]
# Every kind's suite, the file suite and the contract/org suite: each stage has tests.
SUITES = (
    "test_files.py",
    "test_flows.py",
    "test_layouts.py",
    "test_routing_rules.py",
    "test_strategies.py",
    "test_trigger_rules.py",
    "test_contract.py",
)
LAYOUT = """\
apiVersion: genesys-compliance/v1
kind: DesktopLayout
metadata:
  name: {name}
spec:
  name: Wall board
  grid: {{columns: 4, rows: 4}}
"""
# The example configurations plus one failure of each reason the report sorts failures by.
BROKEN = {
    # a rule violation at the validate stage: two widgets share a cell
    "overlap.yaml": LAYOUT.format(name="wall-board")
    + "  widgets:\n"
    + "    - {widget_type: queue-widget, id: a, position: {x: 0, y: 0, width: 2, height: 2}}\n"
    + "    - {widget_type: queue-widget, id: b, position: {x: 1, y: 1, width: 2, height: 2}}\n",
    # a contract mismatch: the models accept a layout without widgets, the contract does not
    "bare.yaml": LAYOUT.format(name="bare"),
    # the file suite: not YAML
    "broken.yaml": "apiVersion: genesys-compliance/v1\nkind: DesktopLayout\nmetadata: {name: x\n",
}
QUIET = ("-p", "no:cacheprovider", "-p", "no:schemathesis")


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker of tests that run the real Allure command line (npm, Java).

    They never skip: CI has both, and a missing tool must fail loudly there. A
    developer without them deselects the tests with ``-m "not gc_allure_cli"``.
    """
    config.addinivalue_line(
        "markers",
        f"{ALLURE_CLI}: runs the Allure command line `npm ci` installs (needs Java); "
        f'fails without it; deselect with -m "not {ALLURE_CLI}"',
    )


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """The shipped suites over the example configurations and :data:`BROKEN`, on the mock org.

    The suites' module names are freed first: a run of this repository collects
    ``suites/`` too, and an in-process run of the copies would clash with them.
    """
    for name in SUITES:
        monkeypatch.delitem(sys.modules, name.removesuffix(".py"), raising=False)
        shutil.copy(suite_file(name), pytester.path / name)
    pytester.makepyprojecttoml(
        f"[tool.pytest.ini_options]\ngc_org_seed = [{json.dumps(str(REPO / 'fixtures' / 'org'))}]\n"
    )
    configs = pytester.path / "configs"
    shutil.copytree(REPO / "fixtures" / "configs", configs)
    for name, text in BROKEN.items():
        (configs / name).write_text(text, encoding="utf-8")
    return pytester


def run_with_allure(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """pytest over the project's configurations, Allure's results in ``results/``."""
    return pytester.runpytest(*QUIET, "--gc-config-dir", "configs", "--alluredir", "results", *args)


def allure_results(folder: Path) -> dict[str, dict[str, Any]]:
    """Allure's test results by test name (the node id's last part)."""
    results = {}
    for path in folder.glob("*-result.json"):
        result = json.loads(path.read_text(encoding="utf-8"))
        results[result["name"]] = result
    return results


def labels(result: dict[str, Any], name: str) -> list[str]:
    """The values of one kind of label of a result, sorted."""
    return sorted(label["value"] for label in result["labels"] if label["name"] == name)
