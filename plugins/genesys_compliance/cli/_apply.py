"""``apply``: the apply of SPEC 6 from the command line, with its audit log and webhooks.

The same orchestration as ``pytest --gc-apply`` (:mod:`genesys_compliance.applyrun`):
check, gate, plan, then write only if every configuration passed. This module
only reads options, prints and chooses the exit code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from genesys_compliance.apply import (
    ApplyEvent,
    Plan,
    ResourceWritten,
    Skipped,
    Started,
    build_plan,
    render_plan,
)
from genesys_compliance.applyrun import (
    ApplyOutcome,
    ApplySettings,
    Flags,
    Status,
    action_line,
    run_apply,
    run_settle,
)
from genesys_compliance.cli._main import main
from genesys_compliance.cli._progress import Progress, progress
from genesys_compliance.cli._project import (
    FAILED,
    Checked,
    Project,
    check_paths,
    finding_json,
    open_org,
    org_options,
    org_unreadable,
    output_options,
    project_options,
    save_sarif,
)
from genesys_compliance.errors import ApiError

__all__ = ["CONFLICT", "apply"]

CONFLICT = 3
"""SPEC 9: the apply stopped on ``apply/conflict`` (and rolled its writes back)."""
_USAGE = 2
_EXIT: dict[Status, int] = {
    "applied": 0,
    "conflict": CONFLICT,
    "failed": FAILED,
    "gate-failed": FAILED,
    "unresolved": FAILED,
    "journal-error": FAILED,
    "nothing-to-settle": _USAGE,
}
_FLAGS = Flags(resume="--resume", rollback="--rollback")
_EPHEMERAL = (
    "note: --org mock applies to a simulated org inside this process; what it wrote is gone "
    "when the command exits (the audit log stays). To keep the org between commands, run "
    "`genesys-compliance serve-org` and apply to it with --org live and "
    "GENESYSCLOUD_API_BASE_URL=http://127.0.0.1:8089"
)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="write over apply/conflict (audited as forced)")
@click.option(
    "--resume",
    is_flag=True,
    help="finish the interrupted apply of --audit-dir (reads each resource first)",
)
@click.option(
    "--rollback", is_flag=True, help="undo the interrupted apply of --audit-dir (its snapshots)"
)
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("reports/plan.json"),
    show_default=True,
    help="where the plan applied is written as JSON",
)
@click.option(
    "--audit-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports/audit"),
    show_default=True,
    help="the audit log (audit.jsonl) and the crash-safe journal (journal.jsonl)",
)
@org_options
@output_options
@project_options
@click.option("--strict", is_flag=True, help="warnings fail too (and keep a configuration out)")
def apply(
    paths: tuple[Path, ...],
    force: bool,
    resume: bool,
    rollback: bool,
    plan_file: Path,
    audit_dir: Path,
    org: str,
    seed: Path | None,
    as_json: bool,
    sarif: Path | None,
    root: Path | None,
    config_file: Path | None,
    strict: bool,
) -> None:
    """Apply the configurations to the org: audited, atomic, never after a failed check.

    Checks PATHS as validate does and plans them as plan does; only if every
    configuration passed does it write, each write guarded by the version the
    plan read. A managed field someone changed since the plan stops the run
    (apply/conflict) and every earlier write is rolled back; a write that fails
    for good does the same (apply/failed). Every action goes to the audit log
    in --audit-dir and to the webhooks of the policy; the run ends with a
    checkpoint whose head is printed. A run that was killed leaves its journal
    behind: the next apply refuses until --resume or --rollback settles it (with
    either, PATHS are not read: the journal holds the plan).

    --org mock writes to a simulated org that lives only in this process. To try
    apply for real without a live org, serve the simulated org and point --org
    live at it (see the examples).

    Exits 0 when everything was applied (or nothing needed to be), 1 on failing
    findings, a failed gate, apply/failed, apply/interval or an unresolved
    journal, 2 on a usage error (also --resume with --rollback, or either with
    nothing to settle), 3 when it stopped on apply/conflict, 4 when the org
    refused the credentials or could not be reached.

    \b
    Examples:
      genesys-compliance serve-org --port 8089 &
      export GENESYSCLOUD_API_BASE_URL=http://127.0.0.1:8089
      export GENESYSCLOUD_OAUTHCLIENT_ID=...      # the CI client of fixtures/org/README.md
      export GENESYSCLOUD_OAUTHCLIENT_SECRET=...  # its fixture secret, same file
      genesys-compliance apply fixtures/configs --org live
      genesys-compliance apply --org live --resume     # after a killed run
    """  # noqa: D301 (click's \b keeps the example lines as written)
    if resume and rollback:
        raise click.UsageError("--resume and --rollback exclude each other: settle one way")
    project = Project(root, config_file)
    settings = ApplySettings.from_policy(project.policy, audit_dir, force=force, flags=_FLAGS)
    if resume or rollback:
        _settle("resume" if resume else "rollback", paths, org, seed, project, settings, as_json)
    checked = check_paths(project, paths, strict=strict)
    connection = open_org(org, seed, project)
    try:
        try:
            made = build_plan(connection.client, checked.gate())
        except ApiError as error:  # redacted by the client
            org_unreadable(org, error)
        _write_plan(made, plan_file)
        if not as_json:
            click.echo(render_plan(made), nl=False)
            click.echo(f"plan written to {plan_file}")
            if org == "mock":
                click.echo(_EPHEMERAL)
        failing = sum(1 for f in checked.findings if f.fails(strict=strict))
        with progress("applying", quiet=as_json) as shown:
            outcome = run_apply(
                connection,
                made,
                settings,
                listeners=[_Actions(shown)],
                failures=[f"{failing} finding(s) failed the checks"] if failing else [],
            )
    finally:
        connection.close()
    findings = [*checked.findings, *outcome.findings]
    save_sarif(sarif, findings, project)
    code = FAILED if checked.failed else _EXIT[outcome.status]
    _report(outcome, code, checked, made, plan_file, org, audit_dir, as_json)
    sys.exit(code)


def _settle(
    how: str,
    paths: tuple[Path, ...],
    org: str,
    seed: Path | None,
    project: Project,
    settings: ApplySettings,
    as_json: bool,
) -> NoReturn:
    """``--resume`` or ``--rollback``: settle the journal's run, report it, exit."""
    connection = open_org(org, seed, project)
    try:
        with progress("resuming" if how == "resume" else "rolling back", quiet=as_json) as shown:
            if paths:
                shown.line(f"note: {how} settles the journal's run; PATHS are not read")
            outcome = run_settle(
                connection,
                "resume" if how == "resume" else "rollback",
                settings,
                listeners=[_Actions(shown)],
            )
    finally:
        connection.close()
    code = _EXIT[outcome.status]
    if code == _USAGE:
        raise click.UsageError(outcome.problem or f"nothing to {how}")
    _report(outcome, code, None, None, None, org, settings.audit_dir, as_json)
    sys.exit(code)


class _Actions:
    """The terminal's log of the run: one line per action, a step of the bar per configuration."""

    def __init__(self, shown: Progress) -> None:
        self._shown = shown

    def on_event(self, event: ApplyEvent) -> None:
        """Advance on each configuration settled; print each action."""
        if isinstance(event, Started):
            self._shown.start(event.resources)
        if isinstance(event, ResourceWritten | Skipped):
            self._shown.advance(current=f"{event.subject.kind} {event.subject.name}")
        line = action_line(event)
        if line is not None:
            self._shown.line(line)


def _write_plan(made: Plan, path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(made.to_json(), encoding="utf-8")
    except OSError as error:
        raise click.UsageError(
            f"cannot write the plan to {path}: {error.strerror or error}"
        ) from None


def _report(
    outcome: ApplyOutcome,
    code: int,
    checked: Checked | None,
    made: Plan | None,
    plan_file: Path | None,
    org: str,
    audit_dir: Path,
    as_json: bool,
) -> None:
    """The run's figures and head as text, or the whole run as one JSON document."""
    shown_log = str(audit_dir / "audit.jsonl")
    if not as_json:
        for line in outcome.summary_lines(shown_log):
            click.echo(line)
        if checked is not None and checked.failed:
            failing = [f for f in checked.findings if f.fails(strict=checked.strict)]
            click.echo(f"{len(failing)} finding(s) failed the checks:")
            for finding in failing:
                click.echo(f"  {finding.render()}")
        return
    document: dict[str, Any] = {
        "exitCode": code,
        "org": org,
        "ephemeral": org == "mock",
        "planFile": None if plan_file is None else str(plan_file),
        "plan": None if made is None else made.to_dict(),
        "checks": None
        if checked is None
        else {
            "strict": checked.strict,
            "failed": checked.failed,
            "findings": [finding_json(f) for f in checked.findings],
        },
        "apply": {**outcome.to_dict(), "findings": [finding_json(f) for f in outcome.findings]},
    }
    click.echo(json.dumps(document, indent=2, sort_keys=True, default=str))
