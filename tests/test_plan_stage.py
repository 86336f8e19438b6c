"""``--gc-plan`` in a pytest run: once, in the controller, gated on the whole run's verdict."""

from __future__ import annotations

import json

import pytest

from tests import test_custom_rules
from tests.test_custom_rules import HEADROOM_RULE, QUIET

org_project = test_custom_rules.org_project  # the contract suite over two configurations

PLAN = "reports/plan.json"


def run(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    return project.runpytest_subprocess(*QUIET, "--gc-config-dir", "configs", *args)


def test_the_plan_is_written_and_shown_and_the_same_under_workers(org_project):
    serial = run(org_project, "--gc-plan")
    serial.assert_outcomes(passed=4)
    serial.stdout.fnmatch_lines(
        [
            "*= genesys-compliance plan =*",
            "plan: * to create, * to update, *",
            f"plan written to {PLAN}",
        ]
    )
    first = (org_project.path / PLAN).read_bytes()
    plan = json.loads(first)
    assert {r["kind"] for r in plan["resources"]} == {"RoutingStrategy", "DesktopLayout"}
    assert plan["notPlanned"] == []
    run(org_project, "--gc-plan", "-n", "2").assert_outcomes(passed=4)
    assert (org_project.path / PLAN).read_bytes() == first  # once, in the controller, same bytes


def test_a_configuration_whose_org_test_failed_is_not_planned(org_project):
    org_project.makeconftest(HEADROOM_RULE)
    result = run(org_project, "--gc-plan", "other.json")
    result.assert_outcomes(passed=3, failed=1)
    plan = json.loads((org_project.path / "other.json").read_text(encoding="utf-8"))
    [refused] = plan["notPlanned"]
    assert (refused["name"], refused["reasons"]) == ("tech-voice", ["acme/queue-headroom"])
    assert [r["kind"] for r in plan["resources"]] == ["DesktopLayout"]


def test_a_plan_that_cannot_be_made_fails_the_run_and_says_so(org_project):
    pyproject = org_project.path / "pyproject.toml"
    pyproject.write_text('[tool.pytest.ini_options]\ngc_org_seed = ["nowhere"]\n', encoding="utf-8")
    result = run(org_project, "--gc-plan", "--gc-sarif", "out.sarif", "-p", "no:randomly")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["NOT CHECKED: the plan was not made: no simulated org data at *"])
    assert not (org_project.path / PLAN).exists()
    log = json.loads((org_project.path / "out.sarif").read_text(encoding="utf-8"))
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is False


def test_without_gc_plan_nothing_is_planned(org_project):
    result = run(org_project)
    result.assert_outcomes(passed=4)
    assert "genesys-compliance plan" not in result.stdout.str()
    assert not (org_project.path / PLAN).exists()
