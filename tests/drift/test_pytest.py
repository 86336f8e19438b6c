"""``suites/org/test_drift.py`` in a pytest run: when it runs, and where its findings go.

Against the simulated org drift runs only when asked (``--gc-drift``): the
examples differ from its seed on purpose, so the findings below are the seed's
differences, reported as every other finding is (terminal, SARIF, JUnit, Allure).
"""

from __future__ import annotations

import json
import shutil
import sys
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from tests.drift._support import CONFIGS, ESCALATION_FILE, REPO, line_of
from tests.helpers import suite_file

QUIET = ("-p", "no:cacheprovider", "-p", "no:schemathesis", "-p", "no:randomly")
ESCALATION_TEST = (
    "test_org_holds_what_git_states[routing-rules/technical-support-escalation.yaml::"
    "technical-support-escalation]"
)


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.delitem(sys.modules, "test_drift", raising=False)
    shutil.copy(suite_file("test_drift.py"), pytester.path / "test_drift.py")
    shutil.copytree(CONFIGS, pytester.path / "fixtures" / "configs")
    shutil.copytree(REPO / "fixtures" / "org", pytester.path / "fixtures" / "org")
    pytester.makepyprojecttoml("[tool.pytest.ini_options]\n")
    return pytester


def results(project: pytest.Pytester, name: str = "out.sarif") -> list[dict[str, Any]]:
    log = json.loads((project.path / name).read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = log["runs"][0]["results"]
    return found


def located(result: dict[str, Any]) -> tuple[str, str, int]:
    where = result["locations"][0]["physicalLocation"]
    return result["ruleId"], where["artifactLocation"]["uri"], where["region"]["startLine"]


def test_without_gc_drift_the_simulated_org_is_not_compared_and_the_run_passes(project):
    result = project.runpytest(*QUIET, "-rs")
    result.assert_outcomes(skipped=13)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*drift is checked under --gc-org live, or with --gc-drift*"])
    assert "NOT CHECKED" not in result.stdout.str()


def test_gc_drift_reports_each_difference_in_sarif_junit_and_allure(project):
    result = project.runpytest_subprocess(
        *QUIET,
        "--gc-drift",
        "--gc-sarif",
        "out.sarif",
        "--junitxml",
        "junit.xml",
        "--alluredir",
        "allure",
    )
    result.assert_outcomes(failed=12, passed=1)  # the seed differs from every example
    # The unmanaged test speaks for the org, not for a configuration of its own.
    result.stdout.fnmatch_lines(
        ["13 configuration check(s): 0 file(s), 12 configuration(s), the org's unmanaged resources"]
    )
    found = results(project)
    description = line_of(ESCALATION_FILE, "description:")
    assert [
        located(r)
        for r in found
        if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == ESCALATION_FILE
    ] == [("org/drift", ESCALATION_FILE, description)]
    unmanaged = [r for r in found if r["ruleId"] == "org/unmanaged"]
    assert len(unmanaged) == 2
    assert {r["level"] for r in unmanaged} == {"warning"}
    assert all(
        "genesys-compliance export --out reports/export --kind" in r["message"]["text"]
        for r in unmanaged
    )
    assert {r["level"] for r in found if r["ruleId"] == "org/drift"} == {"error"}
    rules = {
        r["id"]
        for r in json.loads((project.path / "out.sarif").read_text())["runs"][0]["tool"]["driver"][
            "rules"
        ]
    }
    assert {"org/drift", "org/unmanaged"} <= rules
    # JUnit: the configuration's test case fails with its finding.
    cases = {c.get("name"): c for c in ET.parse(project.path / "junit.xml").iter("testcase")}
    failure = cases[ESCALATION_TEST].find("failure")
    assert failure is not None
    assert f"{ESCALATION_FILE}:{description}  org/drift  /spec/description" in (
        failure.get("message", "") + (failure.text or "")
    )
    assert cases["test_org_holds_nothing_unmanaged"].find("failure") is None
    # Allure: the org stage, a story per rule, the findings attached.
    labelled = [
        json.loads(p.read_text(encoding="utf-8"))
        for p in (project.path / "allure").glob("*-result.json")
    ]
    escalation = next(r for r in labelled if r["name"] == ESCALATION_TEST)
    labels = {(label["name"], label["value"]) for label in escalation["labels"]}
    assert {("epic", "RoutingRule"), ("feature", "org"), ("story", "org/drift")} <= labels


def test_workers_report_the_same_findings(project):
    project.runpytest_subprocess(*QUIET, "--gc-drift", "--gc-sarif", "out.sarif")
    project.runpytest_subprocess(*QUIET, "--gc-drift", "--gc-sarif", "two.sarif", "-n", "2")
    assert sorted(map(located, results(project, "two.sarif"))) == sorted(
        map(located, results(project))
    )


def test_drift_asked_for_against_an_org_that_cannot_be_used_fails_and_says_so(project):
    (project.path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\ngc_org_seed = ["nowhere"]\n', encoding="utf-8"
    )
    result = project.runpytest_subprocess(*QUIET, "--gc-drift", "--gc-sarif", "out.sarif")
    result.assert_outcomes(errors=1, skipped=12)  # the first says why, the rest are not run
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["NOT CHECKED: 13 test(s) that need the org did not run: *"])
    log = json.loads((project.path / "out.sarif").read_text(encoding="utf-8"))
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is False


def test_gc_drift_in_a_run_without_a_drift_test_fails_and_says_so(project):
    (project.path / "test_drift.py").unlink()
    project.makepyfile(test_other="def test_nothing_of_the_org():\n    pass\n")
    result = project.runpytest_subprocess(*QUIET, "--gc-drift", "--gc-sarif", "out.sarif")
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["NOT CHECKED: --gc-drift: no drift check ran*"])
    log = json.loads((project.path / "out.sarif").read_text(encoding="utf-8"))
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is False


def test_a_configuration_failing_its_checks_is_not_compared_and_the_run_says_so(project):
    broken = project.path / "fixtures" / "configs" / "layouts" / "supervisor.yaml"
    broken.write_text(
        broken.read_text(encoding="utf-8").replace("columns: 24", "columns: 99"), encoding="utf-8"
    )
    result = project.runpytest_subprocess(*QUIET, "--gc-drift", "-rs")
    result.assert_outcomes(failed=11, passed=1, skipped=1)
    result.stdout.fnmatch_lines(
        ["*not compared with the org: the configuration fails layout/grid-size*"]
    )
    result.stdout.fnmatch_lines(
        [
            "NOT CHECKED: 1 test(s) that need the org did not run: drift: configurations "
            "that fail their own checks"
        ]
    )


def test_strict_makes_unmanaged_resources_fail(project):
    result = project.runpytest_subprocess(
        *QUIET, "--gc-drift", "--gc-strict", "test_drift.py::test_org_holds_nothing_unmanaged"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*org/unmanaged [[]warning[]]  TriggerRule ruleId=*"])


def test_gc_no_drift_wins_over_gc_drift_given_before_it(project):
    result = project.runpytest(*QUIET, "--gc-drift", "--gc-no-drift")
    result.assert_outcomes(skipped=13)
    assert result.ret == pytest.ExitCode.OK


UNLISTED = """
import dataclasses

import genesys_compliance.drift as drift

_find = drift.find_drift


def _without_a_listing(client, run, **kwargs):
    report = _find(client, run, **kwargs)
    return dataclasses.replace(report, unlisted=("RoutingStrategy: no listing of its parents",))


drift.find_drift = _without_a_listing
"""


def test_a_managed_kind_that_could_not_be_listed_fails_the_unmanaged_test(project):
    project.makeconftest(UNLISTED)
    result = project.runpytest(
        *QUIET, "--gc-drift", "test_drift.py::test_org_holds_nothing_unmanaged"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*unmanaged resources not listed: RoutingStrategy: no listing of its parents*",
        ]
    )
    result.stdout.fnmatch_lines(
        ["NOT CHECKED: 1 test(s) that need the org did not run: unmanaged resources not listed*"]
    )
