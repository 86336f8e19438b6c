"""pytest glue for the apply stage: ``--gc-plan``, ``--gc-apply`` and settling an interrupted run.

Part of the one plugin, registered by :mod:`genesys_compliance.plugin`. The
stage runs once per run, in one process: the controller under xdist, after
every test has reported, because its gate is the verdict of the whole run (a
configuration whose checks, contract or org tests failed is not planned). A
plan reads the org and never writes, so it is safe against a live org at night.
A plan that could not be made is a gap of the run: the summary says so and the
run fails, and SARIF's ``executionSuccessful`` is false. ``--gc-apply`` writes
only when the whole run passed (SPEC 6): otherwise it writes nothing and the
summary says why. Applying and settling are :mod:`genesys_compliance.applyrun`'s,
as for ``genesys-compliance apply``: the audit log, the webhooks, the journal's
refusals and the figures are written once, there. This module hands over the
plan and the run's failures, and renders the outcome: its findings (``apply/*``)
join the run's, in the summary and SARIF; its lines and figures make the
"genesys-compliance apply" section. With ``--alluredir``, the plan and the apply
get Allure results of their own in the same folder
(:mod:`genesys_compliance.reporting.allure_stages`): no test runs them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from genesys_compliance.apply import Plan
    from genesys_compliance.applyrun import ApplyOutcome, ApplySettings, Settle
    from genesys_compliance.connect import OrgConnection
    from genesys_compliance.reporting.allure_stages import AllureApplyListener

DEFAULT_PLAN = "reports/plan.json"
DEFAULT_AUDIT = "reports/audit"
_PLAN = pytest.StashKey[tuple["Plan", str]]()
_APPLIED = pytest.StashKey[list[str]]()
_FAILED = pytest.StashKey["_FailedTests"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--gc-plan`` joins the plugin's option group."""
    group = parser.getgroup("genesys-compliance")
    group.addoption(
        "--gc-plan",
        nargs="?",
        const=DEFAULT_PLAN,
        default=None,
        dest="gc_plan",
        metavar="PATH",
        help=f"plan every configuration that passed its checks against the org (read-only) "
        f"and write the plan as JSON to PATH (default {DEFAULT_PLAN})",
    )
    group.addoption(
        "--gc-apply",
        action="store_true",
        default=False,
        dest="gc_apply",
        help="apply the plan to the org for real, only if every test of the run passed "
        "(implies --gc-plan)",
    )
    group.addoption(
        "--gc-force",
        action="store_true",
        default=False,
        dest="gc_force",
        help="with --gc-apply: write over apply/conflict (audited as forced)",
    )
    group.addoption(
        "--gc-resume",
        action="store_true",
        default=False,
        dest="gc_resume",
        help="finish an apply that was interrupted (reads each resource first)",
    )
    group.addoption(
        "--gc-rollback",
        action="store_true",
        default=False,
        dest="gc_rollback",
        help="undo an apply that was interrupted (restores its snapshots)",
    )
    group.addoption(
        "--gc-audit-dir",
        dest="gc_audit_dir",
        default=DEFAULT_AUDIT,
        metavar="DIR",
        help=f"where the audit log and the apply journal go (default {DEFAULT_AUDIT})",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Refuse ``--gc-resume`` with ``--gc-rollback``; under ``--gc-apply``, watch for failures.

    Settling is one way or the other, so asking for both is a usage error. An
    apply needs the whole run's verdict: the failed tests that name no
    configuration are gathered from the start (the gate knows the others).
    """
    if config.getoption("gc_resume") and config.getoption("gc_rollback"):
        raise pytest.UsageError(
            "genesys-compliance: --gc-resume and --gc-rollback exclude each other"
        )
    if config.getoption("gc_apply") and not hasattr(config, "workerinput"):
        config.stash[_FAILED] = _FailedTests()
        config.pluginmanager.register(config.stash[_FAILED], "genesys_compliance_failed_tests")


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Plan once, in the controller, before the run's gaps and SARIF are written."""
    config = session.config
    applying = config.getoption("gc_apply")
    settling = config.getoption("gc_resume") or config.getoption("gc_rollback")
    target = config.getoption("gc_plan") or (DEFAULT_PLAN if applying else None)
    if target is None and not settling:
        return
    if hasattr(config, "workerinput") or config.option.collectonly:
        return
    if exitstatus == pytest.ExitCode.INTERRUPTED:
        return  # the run's own gap says it stopped; no plan from half a verdict
    from genesys_compliance.plugin import gc_state

    state = gc_state(config)
    if settling:
        problem = _settle(config)
        if problem is not None:
            state.stage_gaps.append(problem)
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        return
    assert target is not None
    problem = _plan(config, Path(config.invocation_params.dir, target), target)
    if problem is not None:
        state.stage_gaps.append(f"the plan was not made: {problem}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        return
    if applying:
        problem = _apply(config)
        if problem is not None:
            state.stage_gaps.append(problem)
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _plan(config: pytest.Config, path: Path, shown: str) -> str | None:
    """Make and write the plan; why it could not be made, or ``None``."""
    from genesys_compliance.apply import build_plan, gate
    from genesys_compliance.errors import ApiError
    from genesys_compliance.orgplugin import org_connection
    from genesys_compliance.plugin import gc_state

    state = gc_state(config)
    problem = state.directory_problem()
    if problem is not None:
        return problem
    connection, problem = org_connection(config)
    if connection is None:
        return problem
    failed = {subject: sorted(rules) for subject, rules in state.failed_subjects.items()}
    admitted = gate(state.run, strict=state.strict, failed=failed)
    try:
        plan = build_plan(connection.client, admitted)
    except ApiError as error:  # redacted by the client
        return f"reading the org failed: {error}"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(plan.to_json(), encoding="utf-8")
    except OSError as error:
        return f"cannot write {path}: {error.strerror or error}"
    config.stash[_PLAN] = (plan, shown)
    folder = _allure_folder(config)
    if folder is not None:
        from genesys_compliance.reporting.allure_stages import write_plan_results

        write_plan_results(folder, plan)
    return None


def _audit_dir(config: pytest.Config) -> Path:
    return Path(config.invocation_params.dir, config.getoption("gc_audit_dir"))


def _settings(config: pytest.Config) -> ApplySettings:
    """The policy's webhooks and intervals, the audit folder, ``--gc-force``; pytest's flags."""
    from genesys_compliance.applyrun import ApplySettings
    from genesys_compliance.plugin import gc_state

    return ApplySettings.from_policy(
        gc_state(config).policy, _audit_dir(config), force=config.getoption("gc_force")
    )


def _apply(config: pytest.Config) -> str | None:
    """Apply the plan made for this run; why it wrote nothing or failed, or ``None``."""
    from genesys_compliance.applyrun import run_apply
    from genesys_compliance.orgplugin import org_connection

    plan, _ = config.stash[_PLAN]
    connection, problem = org_connection(config)
    if connection is None:
        return f"apply wrote nothing: {problem}"
    allure = _allure_listener(config, connection)
    outcome = run_apply(
        connection,
        plan,
        _settings(config),
        listeners=[] if allure is None else [allure],
        failures=_failures(config),
    )
    if allure is not None:
        allure.write(outcome)
    return _report(config, outcome)


def _settle(config: pytest.Config) -> str | None:
    """Resume or roll back the interrupted apply of the audit folder, under that run's id."""
    from genesys_compliance.applyrun import run_settle
    from genesys_compliance.orgplugin import org_connection

    how: Settle = "resume" if config.getoption("gc_resume") else "rollback"
    connection, problem = org_connection(config)
    if connection is None:
        return f"--gc-{how} did nothing: {problem}"
    allure = _allure_listener(config, connection)
    outcome = run_settle(
        connection, how, _settings(config), listeners=[] if allure is None else [allure]
    )
    if allure is not None:
        allure.write(outcome)
    return _report(config, outcome)


def _allure_folder(config: pytest.Config) -> Path | None:
    """allure-pytest's ``--alluredir``: the plan's and apply's results join the tests' there."""
    given = config.getoption("allure_report_dir", None)
    return None if not given else Path(config.invocation_params.dir, given)


def _allure_listener(
    config: pytest.Config, connection: OrgConnection
) -> AllureApplyListener | None:
    """With ``--alluredir``, the consumer of apply's events that makes its Allure results.

    Made just before the run, so the exchanges already in the connection's log
    (the plan's reads, the tests') are not counted as the run's.
    """
    folder = _allure_folder(config)
    if folder is None:
        return None
    from genesys_compliance.reporting.allure_stages import AllureApplyListener

    return AllureApplyListener(folder, exchanges=connection.exchanges)


def _failures(config: pytest.Config) -> list[str]:
    """What failed in this run that the plan's gate cannot see, one reason each.

    The gate refuses a configuration whose own tests failed; a failed test that
    names none (a team's own test, a setup error, a file suite's test), a
    collection error or a test that needed the org and did not run each mean
    the run did not pass, and apply writes only after a run that passed.
    """
    from genesys_compliance.plugin import gc_state

    state = gc_state(config)
    reasons: list[str] = []
    failed = list(config.stash[_FAILED].nodeids)
    if failed:
        named = ", ".join(failed[:3]) + (f" and {len(failed) - 3} more" if len(failed) > 3 else "")
        reasons.append(f"{len(failed)} test(s) of the run failed: {named}")
    if state.collection_errors:
        reasons.append(
            f"{len(state.collection_errors)} collection error(s) in "
            f"{', '.join(state.collection_errors)}: their tests did not run"
        )
    reasons += [
        f"{count} test(s) that need the org did not run: {reason}"
        for reason, count in state.not_run.items()
    ]
    return reasons


def _report(config: pytest.Config, outcome: ApplyOutcome) -> str | None:
    """Hand the outcome's findings to the run's reports and its lines to the summary.

    The apply section is shown once something started (its actions, figures and
    audit log); a refusal is one line, which the run's ``NOT CHECKED`` list
    already shows. Returns why the stage did not complete, or ``None``.
    """
    from genesys_compliance.plugin import gc_state

    state = gc_state(config)
    for finding in outcome.findings:
        state.collected.setdefault(tuple(finding.to_dict().values()), finding)
    if outcome.result is not None:
        shown = f"{config.getoption('gc_audit_dir')}/audit.jsonl"
        config.stash[_APPLIED] = outcome.summary_lines(shown)
    if outcome.ok:
        return None
    if outcome.result is None:
        return outcome.problem or f"the {outcome.mode} did not start: {outcome.status}"
    return f"the {outcome.mode} did not complete: {outcome.status}"


class _FailedTests:
    """The run's failed tests that name no configuration, gathered where reports end up.

    Registered for ``--gc-apply`` only; under xdist the controller hears every
    worker's reports, so it knows the whole run's verdict before it applies.
    """

    def __init__(self) -> None:
        self.nodeids: dict[str, None] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Remember a failed phase of a test unless it failed a configuration the gate refuses."""
        if report.failed and not _names_a_configuration(report):
            self.nodeids.setdefault(report.nodeid, None)


def _names_a_configuration(report: pytest.TestReport) -> bool:
    """Whether the report failed a configuration: the gate refuses it then, with its reasons."""
    return any(kind != "file" for kind, _ in getattr(report, "gc_subjects", ()))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """The plan, one line per configuration with its changed fields, and where it went."""
    made = config.stash.get(_PLAN, None)
    if made is not None:
        from genesys_compliance.apply import render_plan

        plan, path = made
        terminalreporter.section("genesys-compliance plan")
        for line in render_plan(plan).splitlines():
            terminalreporter.write_line(line)
        terminalreporter.write_line(f"plan written to {path}")
    applied = config.stash.get(_APPLIED, None)
    if applied:
        terminalreporter.section("genesys-compliance apply")
        for line in applied:
            terminalreporter.write_line(line)
