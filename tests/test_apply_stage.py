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


def example_project(pytester: pytest.Pytester) -> pytest.Pytester:
    """The configuration suites over the example configurations, beside the simulated org."""
    make_project(pytester, {})
    shutil.rmtree(pytester.path / "configs")
    shutil.copytree(CONFIGS, pytester.path / "configs")
    shutil.copytree(REPO / "fixtures" / "org", pytester.path / "fixtures" / "org")
    return pytester


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """The configuration suites over the example configurations, beside the simulated org."""
    return example_project(pytester)


def run(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    return project.runpytest_subprocess(*QUIET, "--gc-config-dir", "configs", *args)


def audit_records(folder: Path) -> list[dict[str, object]]:
    lines = (folder / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_apply_writes_every_planned_change_and_audits_each_action(project):
    result = run(project, "--gc-apply", "-n", "2")
    result.assert_outcomes(passed=12)
    assert result.ret == 0
    [checkpoint] = [r for r in audit_records(project.path / "reports" / "audit") if "head" in r]
    head = checkpoint["head"]
    result.stdout.fnmatch_lines(
        [
            "*= genesys-compliance apply =*",
            "apply applied: 3 create, 9 update (run *)",
            "audit: 12 action(s) (applied 12), success rate 100%",
            "  DesktopLayout: write latency p50 * ms, p95 * ms (*)",
            "validation: 0 of 12 configuration(s) failed their checks (error rate 0%)",
            f"audit log: reports/audit/audit.jsonl (checkpoint head {head})",
            "  org: * (Example Contact Centre); the simulated org",
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
    result.stdout.fnmatch_lines(
        ["NOT CHECKED: apply refused, nothing was written: *1 configuration(s) failed their checks"]
    )
    assert "genesys-compliance apply" not in result.stdout.str()  # the one line says it all
    assert not (project.path / "reports" / "audit" / "audit.jsonl").exists()


FAILING_TEST = """\
def test_the_teams_own_check():
    assert False, "the change board has not signed off"
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "xdist"])
def test_a_failed_test_that_names_no_configuration_keeps_apply_from_writing(project, workers):
    """Every configuration passes, so the plan's gate does too: the run's verdict still holds."""
    project.makepyfile(test_change_board=FAILING_TEST)
    result = run(project, "--gc-apply", *workers)
    result.assert_outcomes(passed=12, failed=1)
    result.stdout.fnmatch_lines(
        [
            "NOT CHECKED: apply refused, nothing was written: 1 test(s) of the run failed: "
            "test_change_board.py::test_the_teams_own_check"
        ]
    )
    assert not (project.path / "reports" / "audit" / "audit.jsonl").exists()
    plan_file = json.loads((project.path / "reports" / "plan.json").read_text(encoding="utf-8"))
    assert len(plan_file["resources"]) == 12  # planned (read-only), never applied


def test_a_collection_error_keeps_apply_from_writing(project):
    project.makepyfile(test_broken="import no_such_module_anywhere\n")
    result = run(project, "--gc-apply", "--continue-on-collection-errors")
    result.stdout.fnmatch_lines(
        ["NOT CHECKED: apply refused, nothing was written: 1 collection error(s) in *test_broken*"]
    )
    assert not (project.path / "reports" / "audit" / "audit.jsonl").exists()


@pytest.mark.parametrize("settle", ["--gc-rollback", "--gc-resume"])
def test_a_killed_apply_blocks_the_next_until_it_is_settled_under_its_own_run(project, settle):
    folder = project.path / "reports" / "audit"
    org = connection()
    with pytest.raises(Crash):
        apply_plan(
            org.client,
            plan(org, load(CONFIGS, REPO)),
            journal=folder,
            listeners=[CrashOn("apply.writing", 3)],
        )
    interrupted = unresolved(folder)
    assert interrupted is not None
    refused = run(project, "--gc-apply")
    assert refused.ret == pytest.ExitCode.TESTS_FAILED
    refused.stdout.fnmatch_lines(
        [
            f"NOT CHECKED: apply refused: run {interrupted.run} was interrupted (*); "
            "finish it with --gc-resume or undo it with --gc-rollback"
        ]
    )
    settled = run(project, settle)
    assert settled.ret == 0, "\n".join(settled.outlines[-30:])
    how = settle.removeprefix("--gc-")
    settled.stdout.fnmatch_lines(
        ["*= genesys-compliance apply =*", f"{how} applied: * (run {interrupted.run})"]
    )
    assert unresolved(folder) is None
    assert verify(folder).ok
    # One story in the audit log: the settling run wrote as the run it settled.
    assert {r["run"] for r in audit_records(folder)} == {interrupted.run}
    nothing = run(project, settle)
    assert nothing.ret == pytest.ExitCode.TESTS_FAILED
    nothing.stdout.fnmatch_lines([f"NOT CHECKED: {settle}: no interrupted apply in *audit"])


def test_resume_and_rollback_together_are_a_usage_error(project):
    result = run(project, "--gc-resume", "--gc-rollback")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--gc-resume and --gc-rollback exclude each other*"])
