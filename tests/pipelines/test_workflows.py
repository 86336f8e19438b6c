"""The ready-made pipelines of ``examples/ci/github/``, checked as files and run step by step.

Each workflow is held to least privilege and to secrets by reference only, and
then run by ``_runner.LocalRunner`` in a copy of a small user project
(``_org.make_project``) against the simulated org served over HTTP, with the
repository's secrets pointing at the seeded OAuth clients of
``fixtures/org/README.md``: the read-only client for the nightly and plan jobs,
the CI client (every scope) as the ``genesys-production`` environment's. The
runner's docstring lists the steps it stands in for and why.

Hypothesis: the nightly workflow's ``HYPOTHESIS_PROFILE`` is ``nightly``
(2,000 examples per property); the nightly test sets it to ``dev`` (10), so
the property suites run in seconds while every other step runs as written.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from genesys_compliance.simorg import SimOrgControl
from genesys_compliance.strategies._profiles import NIGHTLY_DATABASE
from tests.api_support import (
    CI_CLIENT,
    CI_SECRET,
    ESCALATION_RULE,
    NOSCOPE_SECRET,
    READONLY_CLIENT,
    READONLY_SECRET,
)
from tests.drift._support import edit_routing_rule
from tests.pipelines import _org
from tests.pipelines._org import COLLEAGUE, COLLEAGUE_SECRET, CONFIGS
from tests.pipelines._runner import (
    WORKFLOWS,
    LocalRunner,
    RunResult,
    StepResult,
    Workflow,
    load_workflow,
    structure_problems,
)

PUSH, NIGHTLY, APPLY = "push.yml", "nightly.yml", "apply-on-merge.yml"
CREDENTIALS = (CI_SECRET, READONLY_SECRET, NOSCOPE_SECRET, COLLEAGUE_SECRET)
READ_ONLY = {
    "GENESYSCLOUD_OAUTHCLIENT_ID": READONLY_CLIENT,
    "GENESYSCLOUD_OAUTHCLIENT_SECRET": READONLY_SECRET,
}
WRITE_SCOPED = {
    "GENESYSCLOUD_OAUTHCLIENT_ID": CI_CLIENT,
    "GENESYSCLOUD_OAUTHCLIENT_SECRET": CI_SECRET,
}
VARIABLES = {"GENESYSCLOUD_REGION": "mypurecloud.ie"}
ESCALATION_FILE = f"{CONFIGS}/routing-rules/technical-support-escalation.yaml"
OVERLAP = """\
apiVersion: genesys-compliance/v1
kind: DesktopLayout
metadata: {name: wall-board}
spec:
  name: Wall board
  grid: {columns: 4, rows: 4}
  widgets:
    - {widget_type: queue-widget, id: a, position: {x: 0, y: 0, width: 2, height: 2}}
    - {widget_type: queue-widget, id: b, position: {x: 1, y: 1, width: 2, height: 2}}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return _org.make_project(tmp_path / "team-repo")


def workflow(project: Path, name: str) -> Workflow:
    """The workflow as the team's repository holds it."""
    return load_workflow(project / ".github" / "workflows" / name)


def sarif_results(path: Path) -> list[dict[str, Any]]:
    log = json.loads(path.read_text(encoding="utf-8"))
    results: list[dict[str, Any]] = log["runs"][0]["results"]
    return results


def located(result: dict[str, Any]) -> tuple[str, int]:
    location = result["locations"][0]["physicalLocation"]
    return location["artifactLocation"]["uri"], location["region"]["startLine"]


def junit_suites(path: Path) -> set[str]:
    """The test modules a JUnit file has cases of (``test_contract``, ...)."""
    cases = ET.parse(path).getroot().iter("testcase")
    return {str(case.get("classname")).rsplit(".", 1)[-1] for case in cases}


def checks_of(run: RunResult) -> StepResult:
    return run.step("Check the configurations and contract-test them on the simulated org")


def files_under(folder: Path) -> Iterator[Path]:
    return (p for p in folder.rglob("*") if p.is_file())


def assert_no_secret_anywhere(result: RunResult, project: Path) -> None:
    """No credential in any step's output, any report, the summaries or a comment."""
    texts = [result.log(), *result.summaries.values(), *result.comments]
    texts += [
        p.read_text(encoding="utf-8", errors="replace") for p in files_under(project / "reports")
    ]
    for secret in CREDENTIALS:
        assert not any(secret in text for text in texts), "a credential reached the output"


# ---------------------------------------------------------------- the files


@pytest.mark.parametrize("name", [PUSH, NIGHTLY, APPLY])
def test_the_workflow_holds_least_privilege_and_secrets_only_by_reference(name: str) -> None:
    assert structure_problems(load_workflow(WORKFLOWS / name), CREDENTIALS) == []


def test_push_needs_no_secret_and_writes_only_code_scanning_alerts() -> None:
    push = load_workflow(WORKFLOWS / PUSH)
    assert set(push.on) == {"push", "pull_request"}
    [job] = push.jobs.values()
    assert job.permissions == {"contents": "read", "security-events": "write"}
    assert job.environment is None
    assert "secrets." not in push.text
    assert "vars." not in push.text
    assert [s.uses.partition("@")[0] for s in job.steps if s.uses][-2:] == [
        "github/codeql-action/upload-sarif",
        "actions/upload-artifact",
    ]


def test_nightly_is_scheduled_read_only_and_keeps_the_nightly_database() -> None:
    nightly = load_workflow(WORKFLOWS / NIGHTLY)
    assert set(nightly.on) == {"schedule", "workflow_dispatch"}
    [job] = nightly.jobs.values()
    assert job.environment is None  # the repository's read-only client, never the write one
    assert job.env["HYPOTHESIS_PROFILE"] == "nightly"
    commands = " ".join(s.run or "" for s in job.steps)
    assert "apply" not in commands
    assert "--gc-apply" not in commands
    assert "--gc-org live --gc-drift" in commands
    restore, save = (s for s in job.steps if (s.uses or "").startswith("actions/cache/"))
    # The database the plugin gives the nightly profile, restored by prefix and saved anew.
    assert restore.with_["path"] == save.with_["path"] == NIGHTLY_DATABASE.as_posix()
    assert restore.with_["key"] == save.with_["key"]
    assert save.with_["key"].startswith(restore.with_["restore-keys"])
    assert "github.run_id" in save.with_["key"]  # a new entry each night: caches are immutable
    assert save.if_ is not None
    assert "cancelled()" in save.if_


def test_apply_waits_for_approval_in_a_protected_environment_after_the_plan() -> None:
    flow = load_workflow(WORKFLOWS / APPLY)
    assert set(flow.on) == {"pull_request", "push"}
    plan, apply = flow.jobs["plan"], flow.jobs["apply"]
    assert plan.environment is None
    assert apply.environment == "genesys-production"
    assert apply.needs == ("plan",)
    assert apply.if_ == "github.event_name == 'push'"
    assert apply.permissions == {"contents": "read"}
    writers = [
        j.id for j in flow.jobs.values() for s in j.steps if "compliance apply" in (s.run or "")
    ]
    assert writers == ["apply"]
    runs = [s.run for s in apply.steps if s.run]
    assert runs.index(next(r for r in runs if r.startswith("diff "))) < runs.index(
        next(r for r in runs if "compliance apply" in r)
    )


_SECRET = "${{ secrets.GENESYSCLOUD_OAUTHCLIENT_SECRET }}"
_SUMMARY = 'cat reports/plan.md >> "$GITHUB_STEP_SUMMARY"'
_VERIFY = "run: genesys-compliance audit verify reports/audit"
_PLAN_ARTIFACT = "        with:\n          name: genesys-compliance-plan\n"


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        pytest.param(_SECRET, READONLY_SECRET, "in clear text", id="literal-secret"),
        pytest.param(
            _SUMMARY,
            "echo ${{ secrets.GENESYSCLOUD_OAUTHCLIENT_ID }}",
            "a secret only goes into an env entry",
            id="secret-in-run",
        ),
        pytest.param(
            "secrets.GENESYSCLOUD_OAUTHCLIENT_ID",
            "secrets.ORG_ADMIN_PASSWORD",
            "not a SPEC 5 name",
            id="other-secret",
        ),
        pytest.param(
            "      contents: read\n    env:",
            "      contents: write\n    env:",
            "permissions must name contents: read",
            id="contents-write",
        ),
        pytest.param(
            "pull-requests: write", "pull-requests: read", "needs pull-requests: write", id="no-pr"
        ),
        pytest.param(
            "permissions:\n  contents: read\n\njobs:",
            "permissions:\n  contents: read\n  id-token: write\n\njobs:",
            "top-level permissions",
            id="top-level-write",
        ),
        pytest.param(
            _PLAN_ARTIFACT,
            "        with:\n          nam: x\n",
            "does not declare",
            id="unknown-input",
        ),
        pytest.param(
            "actions/download-artifact@v8", "actions/download-artifact@v3", "expected", id="old"
        ),
        pytest.param(_VERIFY, f"run: ls && {_VERIFY[5:]}", "one command", id="two-commands"),
        pytest.param(
            "if: github.event_name == 'push'",
            "if: github.actor == 'me'",
            "not one this runner knows",
            id="condition",
        ),
    ],
)
def test_the_structure_check_finds_what_it_is_there_to_find(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    text = (WORKFLOWS / APPLY).read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / APPLY
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    found = structure_problems(load_workflow(broken), CREDENTIALS)
    assert any(problem in p for p in found), found


# ---------------------------------------------------------------- the runs


@pytest.mark.gc_allure_cli  # conftest.ALLURE_CLI: the report step runs the real Allure
def test_push_passes_on_the_examples_and_fails_on_a_broken_configuration(project: Path) -> None:
    with LocalRunner(project, secrets={}) as runner:
        clean = runner.run(workflow(project, PUSH), "push")
        assert clean.ok, clean.log()
        assert clean.sarif == [("reports/findings.sarif", "genesys-compliance")]
        errors = [
            r for r in sarif_results(project / "reports/findings.sarif") if r["level"] == "error"
        ]
        assert errors == []
        [upload] = clean.uploads
        assert upload.paths == {"reports/junit.xml": True, "reports/allure-report.html": True}
        suites = junit_suites(project / "reports/junit.xml")
        assert {"test_layouts", "test_flows", "test_contract", "test_api_contract"} <= suites
        assert (project / "reports/allure-report.html").stat().st_size > 100_000

        (project / CONFIGS / "layouts" / "wall-board.yaml").write_text(OVERLAP, encoding="utf-8")
        broken = runner.run(workflow(project, PUSH), "pull_request", pull_request=3)
    assert not broken.ok
    assert checks_of(broken).returncode == 1, broken.log()
    # The reports are made, uploaded and kept when the checks fail: that is when they matter.
    after = [broken.step(s.name) for s in clean.steps[clean.steps.index(checks_of(clean)) + 1 :]]
    assert [(s.kind, s.returncode) for s in after] == [("run", 0), ("action", 0), ("action", 0)]
    assert broken.sarif == clean.sarif
    assert broken.uploads[0].paths == upload.paths
    overlap = [
        r for r in sarif_results(project / "reports/findings.sarif") if r["level"] == "error"
    ]
    assert [(r["ruleId"], located(r)) for r in overlap] == [
        ("layout/overlap", (f"{CONFIGS}/layouts/wall-board.yaml", 9))
    ]


def test_nightly_reports_a_colleagues_change_as_drift_and_writes_nothing(project: Path) -> None:
    with (
        _org.served(project, f"{COLLEAGUE}:{COLLEAGUE_SECRET}") as url,
        SimOrgControl(url) as control,
    ):
        _org.apply_examples(project, url)
        with _org.client(url, COLLEAGUE, COLLEAGUE_SECRET) as colleague:
            edit_routing_rule(colleague, ESCALATION_RULE, lambda rule: rule.update(priority=17))
        seen = _org.last_seq(control)
        with LocalRunner(
            project,
            secrets=READ_ONLY,
            variables=VARIABLES,
            stand_ins=_org.stand_ins(url),
            overrides={"HYPOTHESIS_PROFILE": "dev"},
        ) as runner:
            # Last night's database, as the cache holds it.
            last_night = runner._store / "last-night"
            (last_night / NIGHTLY_DATABASE / "a1b2").mkdir(parents=True)
            (last_night / NIGHTLY_DATABASE / "a1b2" / "c3d4").write_bytes(b"\x00saved example")
            runner.caches["hypothesis-nightly-4100-1"] = last_night
            night = runner.run(workflow(project, NIGHTLY), "schedule")
            tonight = f"hypothesis-nightly-{night.run_id}-1"
            assert list(runner.caches) == ["hypothesis-nightly-4100-1", tonight]
            kept = runner.caches[tonight] / NIGHTLY_DATABASE / "a1b2" / "c3d4"
            assert kept.read_bytes() == b"\x00saved example"  # restored, then saved for tomorrow
        # Read-only: the org was asked for no write, and its audit holds none by this client.
        assert _org.write_operations(control, seen) == []
        assert _org.audited_writes(url, READONLY_CLIENT) == []

    checks = night.step("Drift, contract and property checks against the live org (read-only)")
    assert checks.returncode == 1, night.log()  # drift is an error: the night fails
    assert [s.name for s in night.steps if not s.ok] == [checks.name], night.log()
    suites = junit_suites(project / "reports/nightly.xml")
    assert {"test_drift", "test_contract", "test_properties_layout"} <= suites, suites
    drift = [
        r for r in sarif_results(project / "reports/nightly.sarif") if r["ruleId"] == "org/drift"
    ]
    assert len(drift) == 1, drift
    [finding] = drift
    assert located(finding) == (ESCALATION_FILE, 10)  # the line of `priority: 10`
    message = finding["message"]["text"]
    assert re.search(
        r"/spec/priority: git has 10, the org has 17 .*changed by " + COLLEAGUE, message
    )
    assert night.sarif == [("reports/nightly.sarif", "genesys-compliance-nightly")]
    exported = project / "reports/org-export/routing-rule"
    assert any(exported.glob("*.yaml")), night.log()
    [upload] = night.uploads
    assert {p for p, exists in upload.paths.items() if not exists} == {"reports/counterexamples/"}
    assert_no_secret_anywhere(night, project)


def test_apply_on_merge_plans_on_the_pull_request_then_applies_once_after_approval(
    project: Path,
) -> None:
    flow = workflow(project, APPLY)
    with (
        _org.served(project) as url,
        SimOrgControl(url) as control,
        LocalRunner(
            project,
            secrets=READ_ONLY,
            environments={"genesys-production": WRITE_SCOPED},
            variables=VARIABLES,
            stand_ins=_org.stand_ins(url),
        ) as runner,
    ):
        review = runner.run(flow, "pull_request", pull_request=7)
        assert review.ok, review.log()
        assert review.skipped_jobs == ["apply"]
        markdown = (project / "reports/plan.md").read_text(encoding="utf-8")
        assert markdown.startswith("### genesys-compliance plan\n")
        assert "**3 to create, 9 to update, 0 unchanged, 0 blocked**" in markdown
        assert review.comments == [markdown]
        assert review.summaries["plan"] == markdown
        assert _org.write_operations(control) == []

        merged = runner.run(flow, "push")
        assert merged.ok, merged.log()
        writes = _org.write_operations(control)
        assert len(writes) == 12, writes
        assert len(_org.audited_writes(url, CI_CLIENT)) == 12  # by the environment's client
        assert _org.audited_writes(url, READONLY_CLIENT) == []
        assert merged.step("Verify the audit log").ok
        assert "intact" in merged.step("Verify the audit log").output
        assert merged.uploads[-1].name == "genesys-compliance-audit"
        assert all(merged.uploads[-1].paths.values())

        seen = _org.last_seq(control)
        again = runner.run(flow, "push")
        assert again.ok, again.log()
        assert _org.write_operations(control, seen) == []
        assert (
            "No changes: applying this plan writes nothing to the org." in again.summaries["plan"]
        )
        assert "intact" in again.step("Verify the audit log").output
    assert_no_secret_anywhere(again, project)


def test_apply_on_merge_stops_when_the_org_changed_while_the_approval_waited(
    project: Path,
) -> None:
    flow = workflow(project, APPLY)
    with (
        _org.served(project, f"{COLLEAGUE}:{COLLEAGUE_SECRET}") as url,
        SimOrgControl(url) as control,
        LocalRunner(
            project,
            secrets=READ_ONLY,
            environments={"genesys-production": WRITE_SCOPED},
            variables=VARIABLES,
            stand_ins=_org.stand_ins(url),
        ) as runner,
    ):

        def meanwhile(job: str) -> None:
            if job == "apply":
                with _org.client(url, COLLEAGUE, COLLEAGUE_SECRET) as colleague:
                    edit_routing_rule(colleague, ESCALATION_RULE, lambda r: r.update(priority=3))

        merged = runner.run(flow, "push", before_job=meanwhile)
        assert _org.write_operations(control) == ["patchRoutingRule"]  # the colleague's alone
    assert not merged.ok
    stop = merged.step("Stop if the org changed since the approved plan")
    assert stop.returncode == 1, merged.log()
    assert '+          "org": 3,' in stop.output  # diff -u shows the colleague's value
    assert merged.step("Apply (writes to the org, audited)").kind == "skipped"
