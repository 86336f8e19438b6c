"""Never a false green: a run that did not check everything says so, in SARIF and the summary.

A SARIF log with no results reads as a clean repository to code scanning, and
"no findings" reads as a pass to a person; both must say when part of the run
never ran (collection errors, an org the org-stage tests could not use, a run
stopped early), and a live org asked for by name must be usable or stop the run.
Each run goes through pytester, serially and under ``-n 2`` where xdist changes
where the reports are made.
"""

from __future__ import annotations

import json
import shutil
import sys
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest
from jsonschema.validators import validator_for

from genesys_compliance import Finding, builtin_registry
from genesys_compliance.reporting import sarif_log, summary_lines
from genesys_compliance.simorg import SimOrg, serve
from tests.helpers import suite_file
from tests.test_plugin import (
    BROKEN_FOLDER,
    COMPLIANCE_SUITES,
    FLOW,
    QUIET,
    SARIF_SCHEMA,
    WAIVED_LAYOUT,
    make_project,
)

REPO = Path(__file__).resolve().parents[1]
CLIENT = "incomplete-run-client"
SECRET = "incomplete-run-secret-Hq7Vb2Nx"
WRONG_SECRET = "wrong-secret-Lp4Tz8Rc1"
CREDENTIAL_VARIABLES = (
    "GENESYSCLOUD_OAUTHCLIENT_ID",
    "GENESYSCLOUD_OAUTHCLIENT_SECRET",
    "GENESYSCLOUD_REGION",
    "GENESYSCLOUD_API_BASE_URL",
    "GENESYSCLOUD_LOGIN_BASE_URL",
)
MISSING = (
    "ERROR: genesys-compliance: --gc-org live: live-org credentials missing: set "
    "GENESYSCLOUD_OAUTHCLIENT_ID, GENESYSCLOUD_OAUTHCLIENT_SECRET, GENESYSCLOUD_REGION*"
)
BROKEN_SUITE = "def test_(:\n"  # a syntax error: the module cannot be collected
SERIAL_AND_XDIST = pytest.mark.parametrize("workers", [0, 2], ids=["serial", "xdist"])


@pytest.fixture(autouse=True)
def _fresh_suite_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    """Free the suites' module names for the in-process copies (see ``tests/test_plugin.py``)."""
    for name in (*COMPLIANCE_SUITES, "test_contract.py"):
        monkeypatch.delitem(sys.modules, name.removesuffix(".py"), raising=False)


@pytest.fixture(autouse=True)
def _no_live_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start every test from an environment without live-org credentials."""
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def run(pytester: pytest.Pytester, *args: str, workers: int = 0) -> pytest.RunResult:
    """The plugin over ``configs/`` with SARIF to ``out.sarif``; ``-n workers`` in a subprocess.

    In process, an interrupted inner run stays inside it instead of stopping this one.
    """
    argv = (*QUIET, "--gc-config-dir", "configs", "--gc-sarif", "out.sarif", *args)
    if workers:
        return pytester.runpytest_subprocess(*argv, "-n", str(workers))
    return pytester.runpytest(*argv, no_reraise_ctrlc=True)


def with_org_suite(pytester: pytest.Pytester) -> None:
    """Add the API-stage suite, whose ``test_org_has_what_it_names`` needs the org."""
    shutil.copy(suite_file("test_contract.py"), pytester.path / "test_contract.py")


def invocation(pytester: pytest.Pytester) -> dict[str, Any]:
    """The one invocation of the run's SARIF log, which must validate against the schema."""
    log = json.loads((pytester.path / "out.sarif").read_text(encoding="utf-8"))
    validator_for(SARIF_SCHEMA)(SARIF_SCHEMA).validate(log)
    [sarif_run] = log["runs"]
    [only] = sarif_run["invocations"]
    assert isinstance(only, dict)
    return only


def notifications(pytester: pytest.Pytester) -> list[str]:
    """The texts of the error notifications of an unsuccessful run."""
    only = invocation(pytester)
    assert only["executionSuccessful"] is False
    texts = []
    for note in only["toolExecutionNotifications"]:
        assert note["level"] == "error"
        texts.append(note["message"]["text"])
    return texts


def text(result: pytest.RunResult) -> str:
    return "\n".join(result.outlines + result.errlines)


def assert_reads_incomplete(result: pytest.RunResult) -> None:
    assert result.ret != pytest.ExitCode.OK
    assert "every configuration checked complies" not in text(result)


# -- collection errors -----------------------------------------------------------------------


@SERIAL_AND_XDIST
def test_a_collection_error_makes_the_run_incomplete(pytester, workers):
    make_project(pytester, {"flows/after-hours.yaml": FLOW})
    (pytester.path / "test_layouts.py").write_text(BROKEN_SUITE, encoding="utf-8")
    result = run(pytester, workers=workers)
    assert_reads_incomplete(result)
    gap = "1 collection error(s) in test_layouts.py: their tests did not run"
    assert gap in notifications(pytester)
    result.stdout.fnmatch_lines(["*= genesys-compliance findings =*", f"NOT CHECKED: {gap}"])


def test_collection_errors_that_stop_pytest_say_nothing_ran(pytester):
    make_project(pytester, {"flows/after-hours.yaml": FLOW})
    (pytester.path / "test_layouts.py").write_text(BROKEN_SUITE, encoding="utf-8")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    # the flow's test alone: a clean file has no file test, an empty kind no test at all
    assert notifications(pytester)[1:] == [
        "1 collected test(s) did not run (pytest stops at collection errors)"
    ]
    result.stdout.fnmatch_lines(
        [
            "0 configuration check(s): 0 file(s), 0 configuration(s)",
            "no findings in what was checked, but the run is incomplete",
            "NOT CHECKED: 1 collection error(s) in test_layouts.py: their tests did not run",
            "NOT CHECKED: 1 collected test(s) did not run (pytest stops at collection errors)",
        ]
    )


# -- the org stage ---------------------------------------------------------------------------


@SERIAL_AND_XDIST
def test_an_org_the_org_tests_cannot_use_makes_the_run_incomplete(pytester, workers):
    make_project(
        pytester, {"flows/after-hours.yaml": FLOW, "layouts/wall-board.yaml": WAIVED_LAYOUT}
    )
    with_org_suite(pytester)
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\ngc_org_seed = ["no-org-here"]\n')
    result = run(pytester, "-rs", workers=workers)
    assert_reads_incomplete(result)
    errors = result.parseoutcomes()["errors"]  # the first org test of each process fails
    assert errors == 1 if not workers else 1 <= errors <= workers
    result.stdout.fnmatch_lines(["SKIPPED * not run: no simulated org data at *"])
    gap = "2 test(s) that need the org did not run: no simulated org data at *no-org-here*"
    [note] = notifications(pytester)
    assert fnmatch(note, gap)
    result.stdout.fnmatch_lines([f"NOT CHECKED: {gap}"])


@SERIAL_AND_XDIST
def test_a_live_org_without_credentials_stops_the_run_with_one_message(pytester, workers):
    make_project(pytester, {"flows/after-hours.yaml": FLOW})
    with_org_suite(pytester)
    (pytester.path / "out.sarif").write_text('{"left": "by an earlier run"}\n', encoding="utf-8")
    result = run(pytester, "--gc-org", "live", workers=workers)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([MISSING])
    assert text(result).count("credentials missing") == 1
    assert "passed" not in text(result)
    [note] = notifications(pytester)  # the stale log was replaced
    assert fnmatch(note, "nothing was checked: --gc-org live: live-org credentials missing: *")


@SERIAL_AND_XDIST
def test_a_live_org_refusing_the_credentials_stops_the_run_with_one_message(
    pytester, monkeypatch, workers
):
    make_project(pytester, {"flows/after-hours.yaml": FLOW})
    with_org_suite(pytester)
    org = SimOrg.from_path(REPO / "fixtures" / "org")
    org.add_client(CLIENT, SECRET)
    with serve(org) as server:
        monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_ID", CLIENT)
        monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", WRONG_SECRET)
        monkeypatch.setenv("GENESYSCLOUD_API_BASE_URL", server.url)
        result = run(pytester, "--gc-org", "live", workers=workers)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: genesys-compliance: the live org refused the credentials: 401 *"
            "(check GENESYSCLOUD_OAUTHCLIENT_ID and GENESYSCLOUD_OAUTHCLIENT_SECRET)"
        ]
    )
    assert text(result).count("refused the credentials") == 1
    [note] = notifications(pytester)
    assert note.startswith("nothing was checked: the live org refused the credentials: 401 ")
    sarif = (pytester.path / "out.sarif").read_text(encoding="utf-8")
    for output in (text(result), sarif):
        assert WRONG_SECRET not in output
        assert SECRET not in output


# -- runs stopped early, and runs that are complete -----------------------------------------


def test_a_run_stopped_at_the_first_failure_is_incomplete(pytester):
    make_project(pytester, BROKEN_FOLDER)
    result = run(pytester, "-x")
    assert_reads_incomplete(result)
    [note] = notifications(pytester)
    assert fnmatch(note, "* collected test(s) did not run (stopping after 1 failures)")
    result.stdout.fnmatch_lines(["NOT CHECKED: * collected test(s) did not run (stopping after *"])


def test_an_interrupted_run_is_incomplete(pytester):
    make_project(pytester, BROKEN_FOLDER)
    pytester.makeconftest(
        """
        def pytest_runtest_call(item):
            if "wall-board" in item.nodeid:
                raise KeyboardInterrupt
        """
    )
    result = run(pytester)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    [note] = notifications(pytester)
    assert fnmatch(note, "* collected test(s) did not run (the run was interrupted)")


@SERIAL_AND_XDIST
def test_a_complete_clean_run_says_so(pytester, workers):
    make_project(pytester, {"flows/after-hours.yaml": FLOW})
    result = run(pytester, workers=workers)
    assert result.ret == pytest.ExitCode.OK
    assert invocation(pytester) == {"executionSuccessful": True}
    result.stdout.fnmatch_lines(
        [
            "1 configuration check(s): 0 file(s), 1 configuration(s)",
            "no findings: every configuration checked complies",
        ]
    )
    assert "NOT CHECKED" not in text(result)


def test_deselected_configurations_are_the_users_choice_not_a_gap(pytester):
    make_project(pytester, BROKEN_FOLDER)
    result = run(pytester, "-k", "after-hours")
    assert result.ret == pytest.ExitCode.OK
    assert invocation(pytester) == {"executionSuccessful": True}
    result.stdout.fnmatch_lines(["1 configuration check(s): 0 file(s), 1 configuration(s)"])
    assert "NOT CHECKED" not in text(result)


# -- the writers, called directly (the command line calls them too) --------------------------

FINDING = Finding(
    rule_id="layout/overlap",
    severity="error",
    message="widget 'b' overlaps widget 'a'",
    file="configs/layouts/bad.yaml",
    line=12,
    config="bad",
    pointer="/spec/widgets/1",
)


def test_sarif_log_is_complete_unless_told_otherwise(tmp_path):
    registry = builtin_registry()
    complete = sarif_log([FINDING], registry, tmp_path)
    incomplete = sarif_log([FINDING], registry, tmp_path, not_checked=["a", "b"])
    for log in (complete, incomplete):
        validator_for(SARIF_SCHEMA)(SARIF_SCHEMA).validate(log)
    assert complete["runs"][0]["invocations"] == [{"executionSuccessful": True}]
    assert incomplete["runs"][0]["invocations"] == [
        {
            "executionSuccessful": False,
            "toolExecutionNotifications": [
                {"level": "error", "message": {"text": "a"}},
                {"level": "error", "message": {"text": "b"}},
            ],
        }
    ]
    assert incomplete["runs"][0]["results"] == complete["runs"][0]["results"]


def test_summary_lines_say_what_was_not_checked():
    assert summary_lines([]) == ["no findings: every configuration checked complies"]
    assert summary_lines([], not_checked=["x did not run"]) == [
        "no findings in what was checked, but the run is incomplete",
        "NOT CHECKED: x did not run",
    ]
    lines = summary_lines([FINDING], not_checked=["x did not run", "y did not run"])
    assert lines[0] == "1 finding(s), 1 failing"
    assert lines[-2:] == ["NOT CHECKED: x did not run", "NOT CHECKED: y did not run"]
    assert summary_lines([FINDING]) == lines[:-2]


def test_a_missing_config_folder_replaces_a_stale_sarif_log(pytester):
    """A usage error at start leaves a log that says nothing was checked, not yesterday's."""
    make_project(pytester, {})
    (pytester.path / "out.sarif").write_text('{"left": "by an earlier run"}\n', encoding="utf-8")
    result = pytester.runpytest(*QUIET, "--gc-config-dir", "nowhere", "--gc-sarif", "out.sarif")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    [note] = notifications(pytester)
    assert fnmatch(note, "nothing was checked: configuration folder not found: *nowhere *")
