"""The apply stage's rule ids (SPEC 3) are in the catalogue, so SARIF's results point into it.

A SARIF result whose ``ruleId`` is missing from ``tool.driver.rules`` is shown
by code scanning without a description, help or default level (the writer adds
such an id bare). Every finding an apply can produce is made here, in process
and through both glues (``pytest --gc-apply`` and ``genesys-compliance
apply``), and every result of their SARIF must name a catalogued rule.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from genesys_compliance.apply import ResourceWritten
from genesys_compliance.applyrun import ApplyOutcome, ApplySettings, run_apply
from genesys_compliance.cli._rules import rules
from genesys_compliance.connect import OrgConnection
from genesys_compliance.kinds import builtin_registry
from genesys_compliance.reporting import write_sarif
from genesys_compliance.simorg import SimOrg, SimOrgControl, serve
from tests.api_support import seed
from tests.apply._support import CONFIGS, REPO, connection, load, plan
from tests.apply.test_apply import ESCALATION, PRIMARY_FLOW, conflict_on_escalation_priority
from tests.apply.test_interval_policy import flows, longer_wait
from tests.test_cli_apply import cli
from tests.test_plugin import QUIET, make_project

APPLY_RULES = ("apply/conflict", "apply/failed", "apply/rollback-conflict", "apply/interval")
CLIENT = "apply-rule-ids-client"
SECRET = "apply-rule-ids-secret-5Qw9x"
_FAST = 100_000  # requests a minute: far above what the tests send


# ------------------------------------------------------------------ the catalogue
def test_the_apply_rules_are_registered_as_spec_3_says() -> None:
    registry = builtin_registry()
    found = {r.id: r for r in registry if r.id.startswith("apply/")}
    assert sorted(found) == sorted(APPLY_RULES)
    for item in found.values():
        assert (item.severity, item.kind, item.check) == ("error", None, None), item.id
        assert item.stage == "apply", item.id  # reported by apply, against the org
        assert item.explanation, item.id
        assert item.example, item.id
    ids = [r.id for r in registry]
    first = ids.index("apply/conflict")
    assert ids[first : first + 4] == list(APPLY_RULES)  # together, in SPEC 3's order


def test_the_rules_command_lists_them_with_explanation_and_example() -> None:
    shown = json.loads(CliRunner().invoke(rules, ["--json"]).output)
    by_id = {r["id"]: r for r in shown}
    for rule_id in APPLY_RULES:
        assert by_id[rule_id]["severity"] == "error"
        assert by_id[rule_id]["explanation"]
        assert by_id[rule_id]["example"]
    assert "min-flow-update-interval" in by_id["apply/interval"]["example"]


def catalogued_rule_ids(log: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The ruleIds of the log's results, and the ids its catalogue describes in full.

    A rule the writer had to add bare (no description) is not catalogued.
    """
    [run] = log["runs"]
    driver = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert driver[result["ruleIndex"]]["id"] == result["ruleId"]
    described = {r["id"] for r in driver if "fullDescription" in r}
    return {r["ruleId"] for r in run["results"]}, described


# ------------------------------------------------------------------ in process: every apply rule
def _conflict(org: OrgConnection, tmp_path: Path) -> ApplyOutcome:
    made = plan(org, load(CONFIGS, REPO))
    conflict_on_escalation_priority(org)
    return run_apply(org, made, ApplySettings(tmp_path / "audit"))


class _Colleague:
    """Edits the primary flow in the UI while the run is busy with trigger rules."""

    def __init__(self, org: OrgConnection) -> None:
        self.org = org

    def on_event(self, event: Any) -> None:
        if isinstance(event, ResourceWritten) and event.subject.name == "credit-card-detection":
            assert self.org.org is not None
            self.org.org.change(
                "flows",
                PRIMARY_FLOW,
                client_id="ui-admin",
                field="/settings/routing/maxWaitTime",
                value=42,
            )


def _failed_and_left_alone(org: OrgConnection, tmp_path: Path) -> ApplyOutcome:
    assert org.org is not None
    made = plan(org, load(CONFIGS, REPO))
    org.org.faults.server_error(times=None, operation="createTriggerRule")
    return run_apply(org, made, ApplySettings(tmp_path / "audit"), listeners=[_Colleague(org)])


def _interval(org: OrgConnection, tmp_path: Path) -> ApplyOutcome:
    """Two runs on one org: its own audit knows the first run's update of the flows."""
    folder = flows(tmp_path)
    settings = ApplySettings(tmp_path / "audit", intervals={"FlowSettings": 60.0})
    assert run_apply(org, plan(org, load(folder)), settings).ok
    longer_wait(folder)
    return run_apply(org, plan(org, load(folder)), settings)


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        pytest.param(_conflict, {"apply/conflict"}, id="conflict"),
        pytest.param(
            _failed_and_left_alone,
            {"apply/failed", "apply/rollback-conflict"},
            id="failed-and-rollback-conflict",
        ),
        pytest.param(_interval, {"apply/interval"}, id="interval"),
    ],
)
def test_every_rule_id_of_an_apply_is_in_the_sarif_catalogue(
    tmp_path: Path,
    scenario: Callable[[OrgConnection, Path], ApplyOutcome],
    expected: set[str],
) -> None:
    outcome = scenario(connection(), tmp_path)
    assert {f.rule_id for f in outcome.findings} == expected
    target = tmp_path / "apply.sarif"
    write_sarif(target, list(outcome.findings), builtin_registry(), REPO)
    named, described = catalogued_rule_ids(json.loads(target.read_text(encoding="utf-8")))
    assert named == expected
    assert named <= described


# ------------------------------------------------------------------ through the glues, over HTTP
@pytest.fixture
def served_org() -> Iterator[tuple[str, SimOrgControl]]:
    """The simulated org over HTTP with its control interface, a client of this test's."""
    org = SimOrg(seed(), rate_limit_per_minute=_FAST)  # no pacing: the test is not about it
    org.add_client(CLIENT, SECRET)
    with serve(org, control=True) as server, SimOrgControl(server.url) as control:
        yield server.url, control


def _live(url: str) -> dict[str, str]:
    return {
        "GENESYSCLOUD_API_BASE_URL": url,
        "GENESYSCLOUD_OAUTHCLIENT_ID": CLIENT,
        "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET,
        "GENESYSCLOUD_REQUESTS_PER_MINUTE": str(_FAST),
    }


def _colleague_on_escalation(control: SimOrgControl) -> None:
    control.faults.concurrent_write(
        entity_type="routingRules",
        entity_id=ESCALATION,
        field="/priority",
        value=17,
        client_id="colleague-ui",
        path=f"/api/v2/routing/rules/{ESCALATION}",
    )


def test_a_pytest_apply_runs_sarif_names_only_catalogued_rules(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    served_org: tuple[str, SimOrgControl],
) -> None:
    url, control = served_org
    make_project(pytester, {})
    shutil.rmtree(pytester.path / "configs")
    shutil.copytree(CONFIGS, pytester.path / "configs")
    for name, value in _live(url).items():
        monkeypatch.setenv(name, value)
    _colleague_on_escalation(control)
    result = pytester.runpytest_subprocess(
        *QUIET,
        "--gc-config-dir",
        "configs",
        "--gc-org",
        "live",
        "--gc-apply",
        "--gc-sarif",
        "out.sarif",
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["apply conflict: *", "*apply/conflict*planned from 10, now 17*"])
    log = json.loads((pytester.path / "out.sarif").read_text(encoding="utf-8"))
    named, described = catalogued_rule_ids(log)
    assert "apply/conflict" in named
    assert named <= described


def test_a_command_line_apply_runs_sarif_names_only_catalogued_rules(
    tmp_path: Path, served_org: tuple[str, SimOrgControl]
) -> None:
    url, control = served_org
    root = tmp_path / "project"
    shutil.copytree(CONFIGS, root / "fixtures" / "configs")
    (root / "pyproject.toml").write_text(
        "[tool.genesys-compliance]\nmin-flow-update-interval = 0\n", encoding="utf-8"
    )
    _colleague_on_escalation(control)
    done = cli(root, "apply", "--org", "live", "--sarif", "out.sarif", env=_live(url))
    assert done.returncode == 3, done.stdout + done.stderr  # SPEC 9: stopped on apply/conflict
    log = json.loads((root / "out.sarif").read_text(encoding="utf-8"))
    named, described = catalogued_rule_ids(log)
    assert "apply/conflict" in named
    assert named <= described
