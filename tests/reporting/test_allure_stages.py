"""The plan and apply stages in Allure: results of their own, written by the controller.

No test runs the plan or the apply (they run at session finish), so
``reporting/allure_stages.py`` writes their results into ``--alluredir``: one
per planned configuration with its diff, one per apply action with its audit
line and HTTP exchanges, one for the run with its figures and checkpoint. Each
is checked here through real ``pytest --gc-plan``/``--gc-apply`` runs on the
simulated org, and, for what the event stream decides (which exchanges belong
to which action, the status of each outcome, the category a failure is filed
under), through the listener fed by an apply in process.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from genesys_compliance.applyrun import ApplySettings, run_apply
from genesys_compliance.cli import main
from genesys_compliance.client import VirtualClock
from genesys_compliance.connect import OrgConnection
from genesys_compliance.reporting.allure_categories import category_of
from genesys_compliance.reporting.allure_stages import (
    AUDIT_RECORD,
    CHECKPOINT,
    EXCHANGES,
    GOVERNANCE,
    PLAN_DIFF,
    PLAN_ENTRY,
    AllureApplyListener,
    write_plan_results,
)
from genesys_compliance.simorg import SimOrg, SimOrgControl, serve
from tests.api_support import seed
from tests.apply._support import CONFIGS, REPO, Crash, CrashOn, connection, load, plan
from tests.apply.test_apply import ESCALATION, conflict_on_escalation_priority
from tests.reporting.conftest import ALLURE_CLI, labels
from tests.reporting.test_allure_report import _attachments, allure_launcher, report_data, tree
from tests.test_apply_stage import example_project
from tests.test_no_secrets_in_apply import Needle, leaks, spellings
from tests.test_plugin import QUIET

GENESIS = "0" * 64
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
# A colleague changes a managed field of the escalation rule just before apply writes it.
COLLEAGUE = f"""\
import pytest

from genesys_compliance.orgplugin import org_connection


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session):
    connection, problem = org_connection(session.config)
    assert connection is not None and connection.org is not None, problem
    connection.org.faults.concurrent_write(
        entity_type="routingRules",
        entity_id="{ESCALATION}",
        field="/priority",
        value=17,
        client_id="colleague-ui",
        path="/api/v2/routing/rules/{ESCALATION}",
    )
"""
CLIENT = "allure-stages-client"
_FAST = 100_000  # requests a minute: the served org never paces these runs
_WRITES = {"POST", "PATCH", "PUT", "DELETE"}
_SYMBOLS = {"create": "+", "update": "~", "no-op": "=", "blocked": "!"}


# ---------------------------------------------------------------- helpers
@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """The configuration suites over the example configurations, beside the simulated org."""
    return example_project(pytester)


def run(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    return project.runpytest_subprocess(
        *QUIET, "--gc-config-dir", "configs", "--alluredir", "results", *args
    )


def results(folder: Path, feature: str | None = None) -> list[dict[str, Any]]:
    """Every Allure result in ``folder`` (of one feature), by name."""
    found = [json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*-result.json")]
    if feature is not None:
        found = [r for r in found if labels(r, "feature") == [feature]]
    return sorted(found, key=lambda r: r["name"])


def by_name(found: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    named = {r["name"]: r for r in found}
    assert len(named) == len(found), "a result name is used twice"
    return named


def label(result: dict[str, Any], name: str) -> str | None:
    values = labels(result, name)
    assert len(values) <= 1, values
    return values[0] if values else None


def attachment(folder: Path, result: dict[str, Any], name: str) -> str | None:
    """The text of a result's attachment of that name (at most one), or ``None``."""
    found = [a for a in result.get("attachments", []) if a["name"] == name]
    assert len(found) <= 1, f"{result['name']}: {len(found)} attachments named {name!r}"
    return (folder / found[0]["source"]).read_text(encoding="utf-8") if found else None


def message(result: dict[str, Any]) -> str:
    return str(result.get("statusDetails", {}).get("message", ""))


def category(result: dict[str, Any]) -> str | None:
    """The category Allure files the result under, as ``categories.json`` says."""
    return category_of(result["status"], message(result))


def exchanges(folder: Path, result: dict[str, Any]) -> list[dict[str, Any]]:
    text = attachment(folder, result, EXCHANGES)
    return [] if text is None else json.loads(text)


def assert_audit_lines(folder: Path, found: list[dict[str, Any]], log: Path) -> None:
    """Each action's audit record is a line of the log as written, chained onto the one before."""
    lines = log.read_text(encoding="utf-8").splitlines()
    for result in found:
        record = attachment(folder, result, AUDIT_RECORD)
        assert record is not None, result["name"]
        assert record in lines, result["name"]
        at = lines.index(record)
        before = hashlib.sha256(lines[at - 1].encode()).hexdigest() if at else GENESIS
        assert json.loads(record)["prev"] == before, result["name"]


# ---------------------------------------------------------------- plan
def test_a_plan_is_one_result_per_configuration_with_its_diff(project: pytest.Pytester) -> None:
    """Planned ones pass, a blocked one is broken, one refused by the gate is skipped."""
    layout = project.path / "configs" / "layouts" / "agent-default.yaml"
    text = layout.read_text(encoding="utf-8")
    layout.write_text(re.sub(r"\n  userId: .*", "", text), encoding="utf-8")  # blocks it
    (project.path / "configs" / "layouts" / "broken.yaml").write_text(BAD_LAYOUT, encoding="utf-8")
    result = run(project, "--gc-apply")
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # broken-grid fails its checks
    folder = project.path / "results"
    planned = json.loads((project.path / "reports" / "plan.json").read_text(encoding="utf-8"))
    found = by_name(results(folder, "plan"))
    assert set(found) == {f"plan {e['kind']} {e['name']}" for e in planned["resources"]} | {
        "plan DesktopLayout broken-grid"
    }
    terminal = "\n".join(result.outlines)
    for entry in planned["resources"]:
        item = found[f"plan {entry['kind']} {entry['name']}"]
        assert (label(item, "epic"), label(item, "story")) == (entry["kind"], entry["action"])
        assert item["status"] == ("broken" if entry["action"] == "blocked" else "passed")
        assert json.loads(attachment(folder, item, PLAN_ENTRY) or "") == entry
        diff = attachment(folder, item, PLAN_DIFF) or ""
        assert diff.startswith(f"  {_SYMBOLS[entry['action']]} {entry['action']} ")
        assert diff.rstrip("\n") in terminal  # the terminal's lines for it, together
        assert len(diff.splitlines()) == 1 + len(entry["changes"]) + ("reason" in entry)
    blocked = found["plan DesktopLayout agent-default"]
    assert label(blocked, "story") == "blocked"
    assert "add metadata.userId" in message(blocked)
    refused = found["plan DesktopLayout broken-grid"]
    assert (refused["status"], label(refused, "story")) == ("skipped", "not-planned")
    assert "not planned: it failed its checks (layout/grid-bounds" in message(refused)
    # apply wrote nothing, and its one result says why
    [applied] = results(folder, "apply")
    assert (applied["name"], applied["status"]) == ("apply run (not started)", "skipped")
    assert "apply refused, nothing was written" in message(applied)


def test_plan_results_are_a_function_of_the_plan(tmp_path: Path) -> None:
    """The same plan, the same results and attachments, byte for byte (uuids aside)."""
    org = connection()
    made = plan(org, load(CONFIGS, REPO))
    written = []
    for name in ("first", "second"):
        write_plan_results(tmp_path / name, made)
        written.append(_normalised(tmp_path / name))
    assert written[0] == written[1]
    assert len(written[0]) == len(made.resources) == 12


def _normalised(folder: Path) -> list[str]:
    """Each result with its uuid dropped and each attachment's source replaced by its text."""
    out = []
    for result in results(folder):
        result.pop("uuid")
        for item in result["attachments"]:
            item["source"] = (folder / item["source"]).read_text(encoding="utf-8")
        out.append(json.dumps(result, sort_keys=True))
    return sorted(out)


# ---------------------------------------------------------------- apply through pytest
def test_an_apply_is_one_result_per_action_once_under_xdist(project: pytest.Pytester) -> None:
    result = run(project, "--gc-apply", "-n", "2")
    result.assert_outcomes(passed=12)
    folder = project.path / "results"
    log = project.path / "reports" / "audit" / "audit.jsonl"
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    [checkpoint] = [r for r in records if r["action"] == "checkpoint"]
    assert len(results(folder, "plan")) == 12  # once, by the controller
    found = by_name(results(folder, "apply"))
    run_id = checkpoint["run"]
    actions = {n: r for n, r in found.items() if n != f"apply run {run_id}"}
    assert len(actions) == 12 == len(records) - 1
    assert_audit_lines(folder, list(actions.values()), log)
    for name, item in actions.items():
        record = json.loads(attachment(folder, item, AUDIT_RECORD) or "")
        assert name == f"apply {record['action']} {record['kind']} {record['name']}"
        assert item["status"] == "passed"
        assert (label(item, "epic"), label(item, "story")) == (record["kind"], record["action"])
        writes = [e for e in exchanges(folder, item) if e["method"] in _WRITES]
        assert writes, f"{name}: its write is attached"
        assert writes[-1]["correlation_id"] == record["correlationId"]
        assert 0 < item["start"] <= item["stop"]
    whole = found[f"apply run {run_id}"]
    assert whole["status"] == "passed"
    assert label(whole, "epic") is None
    figures = json.loads(attachment(folder, whole, GOVERNANCE) or "")
    assert figures["audit"]["head"] == checkpoint["head"]
    assert figures["governance"]["successRate"] == 1.0
    assert figures["governance"]["actions"] == 12
    assert set(figures["governance"]["latencyMs"]) == {
        "DesktopLayout",
        "FlowSettings",
        "RoutingRule",
        "RoutingStrategy",
        "TriggerRule",
    }
    assert attachment(folder, whole, CHECKPOINT) == log.read_text(encoding="utf-8").splitlines()[-1]
    assert {"name": "head", "value": checkpoint["head"]} in whole["parameters"]


def test_a_colleagues_change_is_a_failed_apply_conflict_filed_as_a_conflict(
    project: pytest.Pytester,
) -> None:
    project.makeconftest(COLLEAGUE)
    result = run(project, "--gc-apply")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["apply conflict: *"])
    folder = project.path / "results"
    found = by_name(results(folder, "apply"))
    conflict = found["apply conflict RoutingRule technical-support-escalation"]
    assert conflict["status"] == "failed"
    assert (label(conflict, "epic"), label(conflict, "story")) == ("RoutingRule", "apply/conflict")
    assert category(conflict) == "conflict"
    assert "/priority changed in the org since the plan by colleague-ui" in message(conflict)
    assert "planned from 10, now 17, the file states 10" in message(conflict)
    record = json.loads(attachment(folder, conflict, AUDIT_RECORD) or "")
    assert (record["action"], record["outcome"], record["rule"]) == (
        "conflict",
        "stopped",
        "apply/conflict",
    )
    assert [e["status"] for e in exchanges(folder, conflict) if e["method"] == "PATCH"] == [409]
    # every earlier write was undone: broken, it did not stick; the failure is the run's
    written = {n.split(" ", 2)[2] for n in found if n.startswith(("apply update", "apply create"))}
    undone = {n.split(" ", 2)[2]: r for n, r in found.items() if n.startswith("apply rollback")}
    assert written
    assert set(undone) == written
    assert {r["status"] for r in undone.values()} == {"broken"}
    assert {category(r) for r in undone.values()} == {None}
    failed = found["apply failed RoutingRule technical-support-escalation"]
    assert (failed["status"], label(failed, "story"), category(failed)) == (
        "failed",
        "apply/conflict",
        "conflict",
    )
    [whole] = [r for n, r in found.items() if n.startswith("apply run ")]
    assert (whole["status"], category(whole)) == ("failed", "conflict")
    log = project.path / "reports" / "audit" / "audit.jsonl"
    assert_audit_lines(folder, [r for r in found.values() if r is not whole], log)
    categories = json.loads((folder / "categories.json").read_text(encoding="utf-8"))
    assert "conflict" in {c["name"] for c in categories}


def test_a_settled_rollback_passes_each_restore_under_the_interrupted_runs_id(
    project: pytest.Pytester,
) -> None:
    folder = project.path / "reports" / "audit"
    org = connection()
    with pytest.raises(Crash):
        run_apply(
            org,
            plan(org, load(CONFIGS, REPO)),
            ApplySettings(folder),
            listeners=[CrashOn("apply.writing", 3)],
        )
    lines = (folder / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    [interrupted] = {json.loads(line)["run"] for line in lines}
    result = run(project, "--gc-rollback")
    assert result.ret == 0, "\n".join(result.outlines[-30:])
    found = by_name(results(project.path / "results", "apply"))
    whole = found.pop(f"apply run {interrupted} (rollback)")
    assert whole["status"] == "passed"
    assert {"name": "mode", "value": "rollback"} in whole["parameters"]
    assert found, "the rollback's actions have results"
    assert all(n.startswith("apply rollback ") for n in found)
    assert {r["status"] for r in found.values()} == {"passed"}
    assert not results(project.path / "results", "plan")  # a rollback plans nothing


# ---------------------------------------------------------------- the listener, in process
def applied(org: OrgConnection, folder: Path, *, force: bool = False) -> dict[str, dict[str, Any]]:
    """Plan the examples, apply with the listener, write its results; them by name."""
    made = plan(org, load(CONFIGS, REPO))
    listener = AllureApplyListener(folder / "allure", exchanges=org.exchanges)
    outcome = run_apply(
        org, made, ApplySettings(folder / "audit", force=force), listeners=[listener]
    )
    listener.write(outcome)
    return by_name(results(folder / "allure"))


def test_each_action_carries_the_exchanges_made_for_its_resource(tmp_path: Path) -> None:
    org = connection()
    conflict_on_escalation_priority(org)
    found = applied(org, tmp_path)
    folder = tmp_path / "allure"
    conflict = found["apply conflict RoutingRule technical-support-escalation"]
    sent = [(e["method"], e["operation_id"], e["status"]) for e in exchanges(folder, conflict)]
    # the stale write, the re-read, and the org's audit asked who changed it
    assert sent == [
        ("PATCH", "patchRoutingRule", 409),
        ("GET", "getRoutingRule", 200),
        ("POST", "queryAudits", 200),
    ]
    for name, item in found.items():
        if name.startswith(("apply update", "apply rollback")):
            resource = next(p["value"] for p in item["parameters"] if p["name"] == "resource")
            ids = [value.split("=", 1)[1] for value in resource.split(" ")]
            urls = [e["url"] for e in exchanges(folder, item)]
            assert urls, name
            assert all(any(i in url for i in ids) for url in urls), (name, urls)
    [whole] = [r for n, r in found.items() if n.startswith("apply run ")]
    assert [e["operation_id"] for e in exchanges(folder, whole)] == ["getOrganizationsMe"]


def test_a_forced_write_passes_tagged_as_forced(tmp_path: Path) -> None:
    org = connection()
    conflict_on_escalation_priority(org)
    found = applied(org, tmp_path, force=True)
    conflict = found["apply conflict RoutingRule technical-support-escalation"]
    update = found["apply update RoutingRule technical-support-escalation"]
    for item in (conflict, update):
        assert item["status"] == "passed"
        assert labels(item, "tag") == ["forced"]
    assert label(conflict, "story") == "apply/conflict"
    assert message(conflict).startswith("written over (forced): /priority changed")
    assert not [n for n in found if n.startswith(("apply rollback", "apply failed"))]


@pytest.mark.parametrize(
    ("fault", "filed"), [("server_error", "rule violation"), ("rate_limit", "rate-limited")]
)
def test_a_write_that_fails_for_good_is_filed_by_its_cause(
    tmp_path: Path, fault: str, filed: str
) -> None:
    org = connection()
    assert org.org is not None
    getattr(org.org.faults, fault)(times=None, operation="createTriggerRule")
    found = applied(org, tmp_path)
    failed = found["apply failed TriggerRule negative-sentiment"]
    assert (failed["status"], label(failed, "story"), category(failed)) == (
        "failed",
        "apply/failed",
        filed,
    )
    attempts = [e for e in exchanges(tmp_path / "allure", failed) if e["method"] == "POST"]
    assert attempts, "the failed create's attempts are attached"
    assert {e["status"] for e in attempts} == {429 if fault == "rate_limit" else 503}
    [whole] = [r for n, r in found.items() if n.startswith("apply run ")]
    assert (whole["status"], category(whole)) == ("failed", filed)


# ---------------------------------------------------------------- no credential
@pytest.fixture
def served_org() -> Iterator[tuple[SimOrg, str, SimOrgControl]]:
    """The simulated org over HTTP on a virtual clock (its waits are instant), and its control."""
    org = SimOrg(seed(), clock=VirtualClock(), rate_limit_per_minute=_FAST)
    with serve(org, control=True) as server, SimOrgControl(server.url) as control:
        yield org, server.url, control


def test_no_token_or_client_secret_in_any_result_or_attachment(
    project: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    served_org: tuple[SimOrg, str, SimOrgControl],
) -> None:
    """A live-style run whose token expires mid-apply: the new one is fetched in an action."""
    org, url, control = served_org
    secret = "allure-stages-secret-+/=~%&-" + hashlib.sha256(url.encode()).hexdigest()[:12]
    org.add_client(CLIENT, secret)
    monkeypatch.setenv("GENESYSCLOUD_API_BASE_URL", url)
    monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_ID", CLIENT)
    monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", secret)
    monkeypatch.setenv("GENESYSCLOUD_REQUESTS_PER_MINUTE", str(_FAST))
    # Two days pass on the org's clock while it takes the first flow's write: the token expires.
    control.faults.latency(2 * 86400, times=1, operation="patchFlowSettings")
    result = run(project, "--gc-org", "live", "--gc-no-drift", "--gc-apply")
    assert result.ret == 0, "\n".join(result.outlines[-30:])
    folder = project.path / "results"
    tokens = org.issued_tokens()
    assert len(tokens) >= 2, "the run authenticated again during the apply"
    searched = [Needle("the client secret", spellings(secret.encode()))]
    searched += [Needle(f"bearer token #{n}", spellings(t.encode())) for n, t in enumerate(tokens)]
    outputs = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}
    found = leaks(outputs, searched)
    assert not found, found  # labels only: a failure must not print what it found
    # The search looked where credentials would be: sent and received in the attachments.
    sent = [e for r in results(folder, "apply") for e in exchanges(folder, r)]
    assert any(e["operation_id"] == "postOAuthToken" for e in sent)
    assert any(e["status"] == 401 for e in sent)
    shown = {e["request_headers"].get("authorization") for e in sent}
    assert shown <= {"Bearer [REDACTED]", "Basic [REDACTED]"}
    assert "Basic [REDACTED]" in shown
    assert len(results(folder, "apply")) == 13


# ---------------------------------------------------------------- the HTML
@pytest.mark.gc_allure_cli  # conftest.ALLURE_CLI
def test_the_report_command_makes_one_offline_page_with_the_plan_and_apply(
    project: pytest.Pytester,
) -> None:
    assert ALLURE_CLI == "gc_allure_cli"
    launcher = allure_launcher()
    project.makeconftest(COLLEAGUE)
    assert run(project, "--gc-apply").ret == pytest.ExitCode.TESTS_FAILED
    out = project.path / "report.html"
    done = CliRunner().invoke(
        main,
        ["report", str(project.path / "results"), "--out", str(out), "--allure", str(launcher)],
        prog_name="genesys-compliance",
    )
    assert done.exit_code == 0, done.output
    data = report_data(out.read_text(encoding="utf-8"))
    behaviours = tree(data["data/behaviors.json"])
    assert {"validate", "plan", "apply"} <= set(behaviours["RoutingRule"])
    assert behaviours["RoutingRule"]["apply"]["apply/conflict"] == {
        "apply conflict RoutingRule technical-support-escalation": "failed",
        "apply failed RoutingRule technical-support-escalation": "failed",
    }
    assert set(behaviours["DesktopLayout"]["plan"]) == {"create", "update"}
    assert "apply" in behaviours  # the run's own result: no kind, under the feature
    conflicts = set(_leaves(tree(data["data/categories.json"])["conflict"]))  # under each message
    assert {
        "apply conflict RoutingRule technical-support-escalation",
        "apply failed RoutingRule technical-support-escalation",
    } < conflicts
    assert [n for n in conflicts if n.startswith("apply run ")]
    names = {
        a["name"]
        for name, case in data.items()
        if name.startswith("data/test-cases/")
        for a in _attachments(case)
    }
    assert {PLAN_DIFF, PLAN_ENTRY, AUDIT_RECORD, EXCHANGES, GOVERNANCE, CHECKPOINT} <= names


def _leaves(node: dict[str, Any]) -> list[str]:
    """The test names at the leaves of an Allure tree as :func:`tree` makes it."""
    return [
        n for n, child in node.items() for n in (_leaves(child) if isinstance(child, dict) else [n])
    ]
