"""pytest glue for the apply stage: ``--gc-plan`` (and, to come, ``--gc-apply``).

Part of the one plugin, registered by :mod:`genesys_compliance.plugin`. The
stage runs once per run, in one process: the controller under xdist, after
every test has reported, because its gate is the verdict of the whole run (a
configuration whose checks, contract or org tests failed is not planned). A
plan reads the org and never writes, so it is safe against a live org at night.
A plan that could not be made is a gap of the run: the summary says so and the
run fails, and SARIF's ``executionSuccessful`` is false.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from genesys_compliance.apply import Plan

DEFAULT_PLAN = "reports/plan.json"
_PLAN = pytest.StashKey[tuple["Plan", str]]()


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


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Plan once, in the controller, before the run's gaps and SARIF are written."""
    config = session.config
    target = config.getoption("gc_plan")
    if target is None or hasattr(config, "workerinput") or config.option.collectonly:
        return
    if exitstatus == pytest.ExitCode.INTERRUPTED:
        return  # the run's own gap says it stopped; no plan from half a verdict
    from genesys_compliance.plugin import gc_state

    state = gc_state(config)
    problem = _plan(config, Path(config.invocation_params.dir, target), target)
    if problem is not None:
        state.stage_gaps.append(f"the plan was not made: {problem}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _plan(config: pytest.Config, path: Path, shown: str) -> str | None:
    """Make and write the plan; why it could not be made, or ``None``."""
    from genesys_compliance.apply import build_plan, gate
    from genesys_compliance.errors import ApiError
    from genesys_compliance.orgplugin import org_connection
    from genesys_compliance.plugin import gc_state

    state = gc_state(config)
    if state.directory_problem() is not None:
        return state.directory_problem()
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


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """The plan, one line per configuration with its changed fields, and where it went."""
    made = config.stash.get(_PLAN, None)
    if made is None:
        return
    from genesys_compliance.apply import render_plan

    plan, path = made
    terminalreporter.section("genesys-compliance plan")
    for line in render_plan(plan).splitlines():
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"plan written to {path}")
