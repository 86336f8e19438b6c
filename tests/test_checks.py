"""The suites' configuration checks: one item per configuration, the short protocol, ``-n auto``."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from genesys_compliance.checks import _declares_checks_only, compliance_suite
from tests.test_plugin import BROKEN_FOLDER, FLOW, QUIET, make_project

# Records, per configuration check, whether pytest's own setup phase ran for it: the
# logging plugin's setup hook leaves its records in the item's stash, the short protocol
# runs no setup hook at all.
_SPY = """
import json
from pathlib import Path

import pytest
from _pytest.logging import caplog_records_key

SEEN = {}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if call.when == "call":  # logging's setup hook stores it, its teardown hook removes it
        SEEN[item.nodeid] = caplog_records_key in item.stash
    return report


def pytest_sessionfinish(session):
    Path("protocol.json").write_text(json.dumps(SEEN))
"""


def protocols(pytester: pytest.Pytester) -> set[str]:
    seen = json.loads((pytester.path / "protocol.json").read_text())
    assert seen
    return {"pytest" if phases else "short" for phases in seen.values()}


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    make_project(pytester, BROKEN_FOLDER)
    return pytester


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(*QUIET, "--gc-config-dir", "configs", *args)


def test_checks_take_the_short_protocol_when_nothing_hooks_their_phases(project):
    (project.path / "conftest.py").write_text(_SPY, encoding="utf-8")
    result = run(project, "-rA")
    result.assert_outcomes(passed=2, failed=3)
    assert protocols(project) == {"short"}
    result.stdout.fnmatch_lines(
        [
            "PASSED test_flows.py::test_flow_settings_complies[[]flows/after-hours.yaml::*[]]",
            "FAILED test_files.py::test_file_is_readable[[]broken.yaml[]] - Failed: broken.yam*",
        ]
    )


@pytest.mark.parametrize(
    ("extra", "args"),
    [
        ("def pytest_runtest_call(item):\n    pass\n", ()),  # another plugin hooks a phase
        ("", ("--setup-show",)),
        ("", ("--alluredir", "allure")),
    ],
    ids=["a-plugin-hooks-a-phase", "setup-show", "allure"],
)
def test_checks_take_pytest_protocol_when_a_phase_matters(project, extra, args):
    (project.path / "conftest.py").write_text(_SPY + extra, encoding="utf-8")
    result = run(project, *args)
    result.assert_outcomes(passed=2, failed=3)
    assert protocols(project) == {"pytest"}


def test_a_marked_suite_takes_pytest_protocol_and_its_marker_applies(project):
    (project.path / "conftest.py").write_text(_SPY, encoding="utf-8")
    suite = project.path / "test_layouts.py"
    suite.write_text(
        "import pytest\n\n"
        + suite.read_text()
        + '\npytestmark = pytest.mark.skip(reason="layouts are reviewed")\n',
        encoding="utf-8",
    )
    result = run(project, "-rs")
    result.assert_outcomes(passed=1, failed=2, skipped=2)
    result.stdout.fnmatch_lines(["SKIPPED * layouts are reviewed"])


def test_selection_by_name_last_failed_and_deselect_work_per_configuration(project):
    run(project, "-k", "after-hours").assert_outcomes(passed=1)
    with_cache = ("-p", "no:schemathesis", "--gc-config-dir", "configs")
    project.runpytest_subprocess(*with_cache).assert_outcomes(passed=2, failed=3)
    project.runpytest_subprocess(*with_cache, "--lf").assert_outcomes(failed=3)
    flow = "test_flows.py::test_flow_settings_complies[flows/after-hours.yaml::after-hours]"
    run(project, "--deselect", flow).assert_outcomes(passed=1, failed=3)


def test_a_kind_without_configurations_has_no_test_rather_than_a_skip(pytester):
    make_project(pytester, {"flows/after-hours.yaml": FLOW})
    result = run(pytester)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["collected 1 item"])


def test_a_declaration_of_an_unknown_kind_is_a_collection_error_naming_the_kinds(project):
    (project.path / "test_typo.py").write_text(
        'from genesys_compliance import compliance_suite\n\ntest_x = compliance_suite("Layout")\n',
        encoding="utf-8",
    )
    result = run(project)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*compliance_suite('Layout'): expected one of DesktopLayout*"])


def test_compliance_suite_refuses_what_is_not_a_kind():
    with pytest.raises(ValueError, match="expected one of DesktopLayout, FlowSettings"):
        compliance_suite("desktop_layout")
    assert compliance_suite("file").subject == "file"


# -- -n auto ------------------------------------------------------------------------------------


def test_n_auto_over_configuration_checks_alone_starts_no_worker(project):
    result = run(project, "-n", "auto")
    result.assert_outcomes(passed=2, failed=3)
    assert not any("workers [" in line for line in result.outlines)
    result.stdout.fnmatch_lines(["collected 5 items"])


def test_n_auto_beside_other_tests_starts_workers(project):
    project.makepyfile(test_other="def test_other():\n    pass\n")
    result = run(project, "-n", "auto")
    result.assert_outcomes(passed=3, failed=3)
    result.stdout.fnmatch_lines(["*workers [[]6 items[]]*"])


def test_n_auto_keeps_an_explicit_worker_count(project, monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_AUTO_NUM_WORKERS", "2")
    result = run(project, "-n", "auto")
    result.assert_outcomes(passed=2, failed=3)
    result.stdout.fnmatch_lines(["*2 workers [[]5 items[]]*"])


@pytest.mark.parametrize(
    ("source", "checks_only"),
    [
        ('from genesys_compliance import compliance_suite\ntest_a = compliance_suite("x")\n', True),
        ('import genesys_compliance as gc\ntest_a = gc.compliance_suite("file")\n', True),
        ('"""No tests at all."""\nHELPER = 1\n', False),
        ('test_a = compliance_suite("file")\ndef test_b():\n    pass\n', False),
        ('test_a = compliance_suite("file")\nclass TestB:\n    pass\n', False),
        ('test_a = compliance_suite("file")\nfrom elsewhere import test_b\n', False),
        ('test_a = compliance_suite("file")\ntest_b = make_a_test()\n', False),
        ("def broken(:\n", False),
    ],
)
def test_what_counts_as_configuration_checks_alone(tmp_path: Path, source, checks_only):
    module = tmp_path / "test_module.py"
    module.write_text(textwrap.dedent(source), encoding="utf-8")
    assert _declares_checks_only(module) is checks_only
