"""pytest glue for the apply stage: ``--gc-plan``, ``--gc-apply`` and settling an interrupted run.

Part of the one plugin, registered by :mod:`genesys_compliance.plugin`. The
stage runs once per run, in one process: the controller under xdist, after
every test has reported, because its gate is the verdict of the whole run (a
configuration whose checks, contract or org tests failed is not planned). A
plan reads the org and never writes, so it is safe against a live org at night.
A plan that could not be made is a gap of the run: the summary says so and the
run fails, and SARIF's ``executionSuccessful`` is false. ``--gc-apply`` writes
only when the whole run passed (SPEC 6): otherwise it writes nothing and the
summary says why. Its actions go to the audit log and the webhooks through the
listeners of :mod:`genesys_compliance.consumers`; its findings (``apply/*``) join
the run's, in the summary and SARIF.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from genesys_compliance.apply import ApplyResult, Plan
    from genesys_compliance.connect import OrgConnection

DEFAULT_PLAN = "reports/plan.json"
DEFAULT_AUDIT = "reports/audit"
_PLAN = pytest.StashKey[tuple["Plan", str]]()
_APPLIED = pytest.StashKey[list[str]]()


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
    """``--gc-resume`` and ``--gc-rollback`` settle one run: asking for both is a usage error."""
    if config.getoption("gc_resume") and config.getoption("gc_rollback"):
        raise pytest.UsageError(
            "genesys-compliance: --gc-resume and --gc-rollback exclude each other"
        )


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
    return None


def _audit_dir(config: pytest.Config) -> Path:
    return Path(config.invocation_params.dir, config.getoption("gc_audit_dir"))


def _listeners(config: pytest.Config, connection: OrgConnection, run: str) -> list[Any]:
    """The audit log first (so the last webhook carries its head), then the webhooks.

    The audit log names the org by its id, read from the org; it also answers
    ``apply/interval`` from earlier runs' records, on the org's clock.
    """
    from genesys_compliance.consumers import AuditListener, WebhookListener
    from genesys_compliance.plugin import gc_state

    client = connection.client
    audit = AuditListener(
        _audit_dir(config),
        run=run,
        org=connection.identity().audit_org,
        region=str(client.region),
        client=client.client_id,
        mode=connection.mode,
        clock=connection.now,
    )
    listeners: list[Any] = [audit]
    targets = gc_state(config).policy.webhooks
    if targets:
        from genesys_compliance.webhooks import WebhookSender

        listeners.append(WebhookListener(WebhookSender(targets), audit))
    return listeners


def _apply(config: pytest.Config) -> str | None:
    """Apply the plan made for this run; why it wrote nothing or failed, or ``None``."""
    from genesys_compliance.apply import ApplyError, apply_plan, new_run_id
    from genesys_compliance.orgplugin import org_connection
    from genesys_compliance.plugin import gc_state

    plan, _ = config.stash[_PLAN]
    connection, problem = org_connection(config)
    if connection is None:
        return f"apply wrote nothing: {problem}"
    run = new_run_id()
    listeners = _listeners(config, connection, run)
    try:
        result = apply_plan(
            connection.client,
            plan,
            journal=_audit_dir(config),
            listeners=listeners,
            force=config.getoption("gc_force"),
            run_id=run,
            intervals=gc_state(config).policy.update_intervals,
            now=connection.now,
        )
    except ApplyError as error:
        return f"apply wrote nothing: {error}"
    return _report(config, result, listeners[0].records, connection)


def _settle(config: pytest.Config) -> str | None:
    """Resume or roll back the interrupted apply of the audit folder's journal."""
    from genesys_compliance.apply import ApplyError, new_run_id, resume, rollback, unresolved
    from genesys_compliance.orgplugin import org_connection

    flag = "--gc-resume" if config.getoption("gc_resume") else "--gc-rollback"
    if unresolved(_audit_dir(config)) is None:
        return f"{flag}: no interrupted apply in {config.getoption('gc_audit_dir')}"
    connection, problem = org_connection(config)
    if connection is None:
        return f"{flag} did nothing: {problem}"
    listeners = _listeners(config, connection, new_run_id())
    settle = resume if flag == "--gc-resume" else rollback
    try:
        result = settle(connection.client, _audit_dir(config), listeners=listeners)
    except ApplyError as error:
        return f"{flag} did nothing: {error}"
    return _report(config, result, listeners[0].records, connection)


def _report(
    config: pytest.Config,
    result: ApplyResult,
    records: list[dict[str, Any]],
    connection: OrgConnection,
) -> str | None:
    """Hand the result's findings to the run's reports; its lines and figures to the summary."""
    from genesys_compliance.audit import governance
    from genesys_compliance.plugin import gc_state

    state = gc_state(config)
    for finding in result.findings:
        state.collected.setdefault(tuple(finding.to_dict().values()), finding)
    counts = ", ".join(f"{count} {action}" for action, count in sorted(result.counts().items()))
    lines = [f"{result.mode} {result.outcome}: {counts} (run {result.run})"]
    lines += [f"  {finding.render()}" for finding in result.findings]
    lines += [f"  listener: {error}" for error in result.listener_errors]
    from genesys_compliance.consumers import SUCCEEDED

    figures = governance(records, succeeded=SUCCEEDED, not_attempted=("refused", "skipped"))
    outcomes = ", ".join(
        f"{outcome} {sum(actions.values())}" for outcome, actions in figures.by_outcome.items()
    )
    rate = "n/a" if figures.success_rate is None else f"{figures.success_rate:.0%}"
    lines.append(f"audit: {figures.actions} action(s) ({outcomes or 'none'}), success rate {rate}")
    lines += [
        f"  {kind}: write latency p50 {latency.p50} ms, p95 {latency.p95} ms ({latency.count})"
        for kind, latency in figures.latency.items()
    ]
    lines.append(f"audit log: {config.getoption('gc_audit_dir')}/audit.jsonl")
    where = "the simulated org" if connection.mode == "mock" else "a live org"
    lines.append(f"  {connection.identity().describe()}; {where}")
    config.stash[_APPLIED] = lines
    return None if result.ok else f"the {result.mode} did not complete: {result.outcome}"


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
