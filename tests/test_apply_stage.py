"""``--gc-apply`` in a pytest run: gated on the whole run, audited, and settled after a crash."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from genesys_compliance.apply import apply_plan, unresolved
from genesys_compliance.audit import verify
from tests.apply._support import CONFIGS, REPO, Crash, CrashOn, connection, load, plan
from tests.test_plugin import QUIET, make_project

BAD_LAYOUT = """\
apiVersion: genesys-compliance/v1
kind: DesktopLayout
metadata: {name: broken-grid}
spec:
  name: Broken grid
  grid: {columns: 4, rows: 4}
  widgets:
    - {widget_type: queue-widget, id: a, position: {x: 3, y: 0, width: 3, height: 2}}
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """The configuration suites over the example configurations, beside the simulated org."""
    make_project(pytester, {})
    shutil.rmtree(pytester.path / "configs")
    shutil.copytree(CONFIGS, pytester.path / "configs")
    shutil.copytree(REPO / "fixtures" / "org", pytester.path / "fixtures" / "org")
    return pytester


def run(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    return project.runpytest_subprocess(*QUIET, "--gc-config-dir", "configs", *args)


def audit_records(folder: Path) -> list[dict[str, object]]:
    lines = (folder / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_apply_writes_every_planned_change_and_audits_each_action(project):
    result = run(project, "--gc-apply", "-n", "2")
    result.assert_outcomes(passed=12)
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "*= genesys-compliance apply =*",
            "apply applied: 3 create, 9 update (run *)",
            "audit: 12 action(s) (applied 12), success rate 100%",
        ]
    )
    folder = project.path / "reports" / "audit"
    assert verify(folder).ok
    actions = [r["action"] for r in audit_records(folder)]
    assert sorted(actions) == ["checkpoint"] + ["create"] * 3 + ["update"] * 9
    assert (project.path / "reports" / "plan.json").exists()


def test_apply_writes_nothing_when_a_check_failed_and_says_why(project):
    (project.path / "configs" / "layouts" / "broken.yaml").write_text(BAD_LAYOUT, encoding="utf-8")
    result = run(project, "--gc-apply")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["NOT CHECKED: apply wrote nothing: *"])
    assert not (project.path / "reports" / "audit" / "audit.jsonl").exists()


def test_a_killed_apply_blocks_the_next_until_it_is_rolled_back(project):
    folder = project.path / "reports" / "audit"
    org = connection()
    with pytest.raises(Crash):
        apply_plan(
            org.client,
            plan(org, load(CONFIGS, REPO)),
            journal=folder,
            listeners=[CrashOn("apply.writing", 3)],
        )
    refused = run(project, "--gc-apply")
    assert refused.ret == pytest.ExitCode.TESTS_FAILED
    refused.stdout.fnmatch_lines(["NOT CHECKED: apply wrote nothing: *--gc-resume*--gc-rollback*"])
    settled = run(project, "--gc-rollback")
    assert settled.ret == 0, "\n".join(settled.outlines[-30:])
    settled.stdout.fnmatch_lines(["rollback *"])
    assert unresolved(folder) is None
    assert verify(folder).ok
    assert run(project, "--gc-resume").ret == pytest.ExitCode.TESTS_FAILED  # nothing to settle


def test_resume_and_rollback_together_are_a_usage_error(project):
    result = run(project, "--gc-resume", "--gc-rollback")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--gc-resume and --gc-rollback exclude each other*"])
