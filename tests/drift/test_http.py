"""The nightly job: ``pytest --gc-org live`` against the simulated org served over real HTTP.

The org holds what git states (the examples were applied to it); then a
colleague changes one field through the org's API under another OAuth client.
The run reports exactly that field, at its line, naming that client, in the
terminal, SARIF and JUnit, with nothing but the environment's credentials.
"""

from __future__ import annotations

import json
import shutil
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.drift._support import (
    COLLEAGUE,
    CONFIGS,
    ESCALATION,
    ESCALATION_FILE,
    RUN_SECRET,
    Served,
    edit_routing_rule,
    line_of,
    served,
)
from tests.drift.test_pytest import ESCALATION_TEST, QUIET, located, results
from tests.helpers import suite_file


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.delitem(sys.modules, "test_drift", raising=False)
    shutil.copy(suite_file("test_drift.py"), pytester.path / "test_drift.py")
    shutil.copytree(CONFIGS, pytester.path / "fixtures" / "configs")
    pytester.makepyprojecttoml("[tool.pytest.ini_options]\n")
    for name in ("GENESYSCLOUD_REGION", "GENESYSCLOUD_LOGIN_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return pytester


@pytest.fixture
def org(tmp_path: Path) -> Iterator[Served]:
    with served(tmp_path / "audit") as found:
        yield found


def nightly(
    project: pytest.Pytester, org: Served, monkeypatch: pytest.MonkeyPatch, *args: str
) -> pytest.RunResult:
    for name, value in org.env().items():
        monkeypatch.setenv(name, value)
    return project.runpytest_subprocess(*QUIET, "--gc-org", "live", *args)


def test_a_field_a_colleague_changed_is_exactly_one_finding_naming_the_colleague(
    project, org, monkeypatch
):
    edit_routing_rule(org.colleague, ESCALATION, lambda rule: rule.update(priority=17))
    result = nightly(
        project, org, monkeypatch, "--gc-sarif", "out.sarif", "--junitxml", "junit.xml"
    )
    result.assert_outcomes(failed=1, passed=12)  # drift is on by default under --gc-org live
    priority = line_of(ESCALATION_FILE, "priority: 10")
    drift = [r for r in results(project) if r["ruleId"] == "org/drift"]
    assert [located(r) for r in drift] == [("org/drift", ESCALATION_FILE, priority)]
    [found] = drift
    assert found["message"]["text"].startswith("/spec/priority: git has 10, the org has 17")
    assert f"changed by {COLLEAGUE} at " in found["message"]["text"]
    cases = {c.get("name"): c for c in ET.parse(project.path / "junit.xml").iter("testcase")}
    failed = [name for name, case in cases.items() if case.find("failure") is not None]
    assert failed == [ESCALATION_TEST]
    result.stdout.fnmatch_lines([f"*{ESCALATION_FILE}:{priority}  org/drift  /spec/priority: *"])
    written = result.stdout.str() + (project.path / "out.sarif").read_text(encoding="utf-8")
    assert RUN_SECRET not in written
    assert RUN_SECRET not in (project.path / "junit.xml").read_text(encoding="utf-8")


def test_gc_no_drift_leaves_the_live_org_uncompared(project, org, monkeypatch):
    edit_routing_rule(org.colleague, ESCALATION, lambda rule: rule.update(priority=17))
    result = nightly(project, org, monkeypatch, "--gc-no-drift")
    result.assert_outcomes(skipped=13)


def test_a_live_org_that_refuses_the_reads_fails_the_drift_check_and_says_so(
    project, monkeypatch, tmp_path
):
    scopes = frozenset({"routing:queue:read"})  # a client that can read queues only
    with served(tmp_path / "audit", scopes=scopes) as limited:
        result = nightly(project, limited, monkeypatch, "--gc-sarif", "out.sarif")
    result.assert_outcomes(errors=1, skipped=12)
    result.stdout.fnmatch_lines(["*drift: reading the live org failed: 403*"])
    result.stdout.fnmatch_lines(["NOT CHECKED: 13 test(s) that need the org did not run: *"])
    log = json.loads((project.path / "out.sarif").read_text(encoding="utf-8"))
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is False
