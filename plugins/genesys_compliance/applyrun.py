"""One apply run, for any glue: the listeners, the journal's refusals, the outcome as data.

The pytest plugin (``--gc-apply``, ``--gc-resume``, ``--gc-rollback``) and the
command line (``genesys-compliance apply``) write to an org the same way, so
the way is written once, here: the audit log first and then the webhooks as
listeners of apply's events (the last webhook carries the checkpoint's head),
the policy's ``apply/interval``, the journal's refusals (a failed gate, an
interrupted run, another apply holding the folder) turned into a status
rather than an exception, and the figures the reports show. The glue only
gates, plans, hands over the plan, and renders the :class:`ApplyOutcome` it
gets back; nothing here prints, exits or imports pytest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from genesys_compliance.apply import (
    ApplyEvent,
    ApplyListener,
    ApplyRefusedError,
    ApplyResult,
    Conflict,
    Failed,
    JournalError,
    Mode,
    Plan,
    ResourceWritten,
    RolledBack,
    Skipped,
    UnresolvedJournalError,
    apply_plan,
    new_run_id,
    resume,
    rollback,
    unresolved,
)
from genesys_compliance.audit import Governance, governance
from genesys_compliance.consumers import SUCCEEDED, AuditListener, WebhookListener
from genesys_compliance.webhooks import WebhookSender

if TYPE_CHECKING:
    from genesys_compliance.apply import Interrupted
    from genesys_compliance.connect import OrgConnection, OrgIdentity
    from genesys_compliance.rules import Finding, Policy
    from genesys_compliance.webhooks import Delivery, WebhookTarget

__all__ = [
    "ApplyOutcome",
    "ApplySettings",
    "Flags",
    "Settle",
    "Status",
    "Validation",
    "action_line",
    "run_apply",
    "run_settle",
]

Settle = Literal["resume", "rollback"]
Status = Literal[
    "applied",  # the run did what it set out to do (for a rollback: every write undone)
    "conflict",  # stopped at apply/conflict and rolled back
    "failed",  # apply/failed, apply/interval or apply/rollback-conflict
    "gate-failed",  # the plan holds configurations that failed their checks: nothing written
    "unresolved",  # an interrupted run must be resumed or rolled back first: nothing written
    "nothing-to-settle",  # resume or rollback asked for, and no run was interrupted
    "journal-error",  # the journal could not be read or written, or another apply holds it
]
# Outcomes of audit records that were not attempted (the success rate leaves them out).
_NOT_ATTEMPTED = ("refused", "skipped")


@dataclass(frozen=True)
class Flags:
    """How the caller spells the options its messages name: pytest's, or the command line's."""

    resume: str = "--gc-resume"
    rollback: str = "--gc-rollback"


@dataclass(frozen=True)
class ApplySettings:
    """Where a run keeps its journal and audit log, who hears of it, and what it may override.

    Attributes:
        audit_dir: The folder of ``audit.jsonl`` and ``journal.jsonl``.
        webhooks: The policy's receivers (SPEC 8).
        intervals: Kind to the least seconds between two updates of one resource.
        force: Write over ``apply/conflict`` (audited as forced).
        flags: The option names the refusals tell the user to run.
    """

    audit_dir: Path
    webhooks: tuple[WebhookTarget, ...] = ()
    intervals: Mapping[str, float] = field(default_factory=dict)
    force: bool = False
    flags: Flags = Flags()

    @classmethod
    def from_policy(
        cls, policy: Policy, audit_dir: Path, *, force: bool = False, flags: Flags = Flags()
    ) -> ApplySettings:
        """The settings a project's policy implies: its webhooks and its intervals."""
        return cls(audit_dir, tuple(policy.webhooks), policy.update_intervals, force, flags)


@dataclass(frozen=True)
class Validation:
    """How many configurations the gate judged, and how many it kept from the org."""

    configurations: int
    failed: int

    @property
    def error_rate(self) -> float | None:
        """Failed over judged; ``None`` when nothing was judged."""
        return self.failed / self.configurations if self.configurations else None


@dataclass(frozen=True)
class ApplyOutcome:
    """What one apply, resume or rollback did, for any report to render.

    Attributes:
        mode: ``apply``, ``resume`` or ``rollback``.
        status: How it ended (see :data:`Status`); only ``applied`` is a success.
        problem: Why it wrote nothing or stopped early, one line, for the refusals.
        plan: The plan applied (``None`` for a resume or rollback: the journal holds it).
        result: Apply's own result: every event and the ``apply/*`` findings.
        records: The audit records this run appended (its actions).
        head: The run's audit checkpoint head (what the last webhook carried).
        audit_log: The audit log file.
        deliveries: Every webhook delivery, as audited.
        org: Which org was written, as it named itself (``None`` when nothing started).
        org_mode: ``mock`` (the simulated org in process) or ``live``.
    """

    mode: Mode
    status: Status
    audit_log: Path
    problem: str | None = None
    plan: Plan | None = None
    result: ApplyResult | None = None
    records: tuple[Mapping[str, Any], ...] = ()
    head: str | None = None
    deliveries: tuple[Delivery, ...] = ()
    org: OrgIdentity | None = None
    org_mode: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the run did what it set out to do."""
        return self.status == "applied"

    @property
    def run(self) -> str | None:
        """The run's id, when it started."""
        return None if self.result is None else self.result.run

    @property
    def findings(self) -> tuple[Finding, ...]:
        """``apply/conflict``, ``apply/failed``, ``apply/interval``, ``apply/rollback-conflict``."""
        return () if self.result is None else self.result.findings

    @property
    def actions(self) -> tuple[ApplyEvent, ...]:
        """The events that are actions of the audit log, in order."""
        if self.result is None:
            return ()
        kinds = (ResourceWritten, Conflict, RolledBack, Skipped, Failed)
        return tuple(e for e in self.result.events if isinstance(e, kinds))

    @property
    def writes(self) -> int:
        """Resources the run changed (before any rollback)."""
        return 0 if self.result is None else self.result.writes

    @property
    def figures(self) -> Governance:
        """The governance figures of this run's actions (SPEC 7, issue 9)."""
        return governance(self.records, succeeded=SUCCEEDED, not_attempted=_NOT_ATTEMPTED)

    @property
    def validation(self) -> Validation | None:
        """The gate's figures, from the plan; ``None`` for a resume or rollback."""
        if self.plan is None:
            return None
        refused = len(self.plan.not_planned)
        return Validation(len(self.plan.resources) + refused, refused)

    def summary_lines(self, audit_log: str | None = None) -> list[str]:
        """The run in a few lines: outcome and counts, findings, figures, the log and its head.

        ``audit_log`` is the log's path as the user named it (default: as stored).
        """
        shown = audit_log or str(self.audit_log)
        if self.result is None:
            return [self.problem or f"{self.mode}: {self.status}"]
        counts = ", ".join(f"{n} {action}" for action, n in self.result.counts().items())
        lines = [f"{self.mode} {self.status}: {counts or 'nothing done'} (run {self.result.run})"]
        if self.problem is not None and not self.findings:
            lines.append(f"  {self.problem}")
        lines += [f"  {finding.render()}" for finding in self.findings]
        lines += [f"  listener: {error}" for error in self.result.listener_errors]
        lines += _figure_lines(self.figures, self.validation)
        undelivered = [d for d in self.deliveries if not d.delivered]
        if self.deliveries:
            lines.append(
                f"webhooks: {len(self.deliveries) - len(undelivered)} of "
                f"{len(self.deliveries)} delivered"
                + "".join(f"; {d.event_type} to {d.url}: {d.reason}" for d in undelivered[:3])
            )
        head = f" (checkpoint head {self.head})" if self.head else ""
        lines.append(f"audit log: {shown}{head}")
        if self.org is not None:
            where = "the simulated org" if self.org_mode == "mock" else "a live org"
            lines.append(f"  {self.org.describe()}; {where}")
        return lines

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON: the outcome, every action as audited, findings, figures, the head."""
        figures = self.figures
        validation = self.validation
        return {
            "mode": self.mode,
            "status": self.status,
            "ok": self.ok,
            "run": self.run,
            "problem": self.problem,
            "counts": {} if self.result is None else self.result.counts(),
            "writes": self.writes,
            "actions": [event.to_dict() for event in self.actions],
            "findings": [finding.to_dict() for finding in self.findings],
            "listenerErrors": [] if self.result is None else list(self.result.listener_errors),
            "governance": {
                "actions": figures.actions,
                "byOutcome": {k: dict(v) for k, v in figures.by_outcome.items()},
                "successRate": figures.success_rate,
                "latencyMs": {
                    kind: {"count": lat.count, "p50": lat.p50, "p95": lat.p95}
                    for kind, lat in figures.latency.items()
                },
                "validation": None
                if validation is None
                else {
                    "configurations": validation.configurations,
                    "failed": validation.failed,
                    "errorRate": validation.error_rate,
                },
            },
            "webhooks": [d.as_record() for d in self.deliveries],
            "audit": {"log": str(self.audit_log), "head": self.head},
            "orgMode": self.org_mode,
            "orgId": None if self.org is None else self.org.id,
        }


def run_apply(
    connection: OrgConnection,
    plan: Plan,
    settings: ApplySettings,
    *,
    listeners: Sequence[ApplyListener] = (),
    failures: Sequence[str] = (),
) -> ApplyOutcome:
    """Apply a plan made from a gate: every write audited, told to the webhooks, undone on failure.

    A plan whose gate failed, a run with ``failures``, or an unresolved or busy
    journal writes nothing and comes back as a status with its one-line
    reason, never as an exception.

    Args:
        connection: The org the plan was read from.
        plan: The plan (``build_plan`` over a ``gate``).
        settings: Journal and audit folder, webhooks, intervals, force.
        listeners: More consumers (a terminal's progress, Allure), after the
            audit log and the webhooks; one that raises stops the run.
        failures: What else failed in the caller's run that the plan cannot
            know (a test of the run, a finding that names no configuration):
            any of them keeps the run from writing, as a failed gate does.
    """
    run = new_run_id()
    audit, consumers, sender = _consumers(connection, run, settings)
    if failures:
        if sender is not None:
            sender.close()
        problem = "apply refused, nothing was written: " + "; ".join(failures)
        return _refused("apply", "gate-failed", problem, audit, plan)
    try:
        result = apply_plan(
            connection.client,
            plan,
            journal=settings.audit_dir,
            listeners=[*consumers, *listeners],
            force=settings.force,
            run_id=run,
            intervals=settings.intervals,
            now=connection.now,
        )
    except ApplyRefusedError as error:
        return _refused("apply", "gate-failed", str(error), audit, plan)
    except UnresolvedJournalError as error:
        return _refused(
            "apply", "unresolved", _interrupted(error.interrupted, settings), audit, plan
        )
    except JournalError as error:
        return _refused("apply", "journal-error", f"apply stopped: {error}", audit, plan)
    finally:
        if sender is not None:
            sender.close()
    return _ended(connection, result, audit, consumers, plan)


def run_settle(
    connection: OrgConnection,
    how: Settle,
    settings: ApplySettings,
    *,
    listeners: Sequence[ApplyListener] = (),
) -> ApplyOutcome:
    """Finish (``resume``) or undo (``rollback``) the interrupted apply of the audit folder.

    Runs under the interrupted run's id, so its records continue that run's
    story in the audit log. ``settings.force`` overrides the interrupted run's
    own force for a resume (it never forces a rollback).
    """
    flag = settings.flags.resume if how == "resume" else settings.flags.rollback
    log = settings.audit_dir / "audit.jsonl"
    try:
        interrupted = unresolved(settings.audit_dir)
    except JournalError as error:
        return ApplyOutcome(how, "journal-error", log, problem=f"{flag} did nothing: {error}")
    if interrupted is None:
        return ApplyOutcome(
            how,
            "nothing-to-settle",
            log,
            problem=f"{flag}: no interrupted apply in {settings.audit_dir}",
        )
    audit, consumers, sender = _consumers(connection, interrupted.run, settings)
    every = [*consumers, *listeners]
    try:
        if how == "resume":
            result = resume(
                connection.client,
                settings.audit_dir,
                listeners=every,
                force=True if settings.force else None,
            )
        else:
            result = rollback(connection.client, settings.audit_dir, listeners=every)
    except JournalError as error:
        return _refused(how, "journal-error", f"{flag} stopped: {error}", audit, None)
    finally:
        if sender is not None:
            sender.close()
    return _ended(connection, result, audit, consumers, None)


def _consumers(
    connection: OrgConnection, run: str, settings: ApplySettings
) -> tuple[AuditListener, list[ApplyListener], WebhookSender | None]:
    """The audit log first (so the last webhook carries its head), then the webhooks.

    The log names the org by its id (read from the org once), marks a rehearsal
    on the simulated org as one (``orgMode``), and keeps the org's time, so
    ``apply/interval`` compares times of one clock across runs.
    """
    client = connection.client
    audit = AuditListener(
        settings.audit_dir,
        run=run,
        org=connection.identity().audit_org,
        region=str(client.region),
        client=client.client_id,
        mode=connection.mode,
        clock=connection.now,
    )
    if not settings.webhooks:
        return audit, [audit], None
    sender = WebhookSender(settings.webhooks)
    return audit, [audit, WebhookListener(sender, audit)], sender


def _ended(
    connection: OrgConnection,
    result: ApplyResult,
    audit: AuditListener,
    consumers: Sequence[ApplyListener],
    plan: Plan | None,
) -> ApplyOutcome:
    deliveries = tuple(d for c in consumers if isinstance(c, WebhookListener) for d in c.deliveries)
    status: Status = "applied" if result.ok else result.outcome
    failure = result.failure
    return ApplyOutcome(
        mode=result.mode,
        status=status,
        audit_log=audit.directory / "audit.jsonl",
        problem=None if failure is None else f"{failure.rule}: {failure.reason}",
        plan=plan,
        result=result,
        records=tuple(audit.records),
        head=audit.head,
        deliveries=deliveries,
        org=connection.identity(),
        org_mode=connection.mode,
    )


def _refused(
    mode: Mode, status: Status, problem: str, audit: AuditListener, plan: Plan | None
) -> ApplyOutcome:
    return ApplyOutcome(
        mode,
        status,
        audit.directory / "audit.jsonl",
        problem=problem,
        plan=plan,
        records=tuple(audit.records),
        head=audit.head,
    )


def _interrupted(interrupted: Interrupted, settings: ApplySettings) -> str:
    """The one line naming both ways out (SPEC 6.6), in the caller's spelling of the flags."""
    return (
        f"apply refused: run {interrupted.run} was interrupted ({interrupted.done} write(s) "
        f"done, {interrupted.unknown} not known to have landed; journal {interrupted.path}); "
        f"finish it with {settings.flags.resume} or undo it with {settings.flags.rollback}"
    )


_SYMBOLS = {"create": "+", "update": "~", "rebase": "~", "no-op": "="}


def action_line(event: ApplyEvent) -> str | None:
    """One line for an action as it settles (the terminal's log of the run); ``None`` otherwise.

    Values of the org are left out: the plan shows the changes, the audit log keeps them.
    """
    if isinstance(event, ResourceWritten):
        where = _where(event.subject.resource)
        moved = ""
        if event.version_before is not None or event.version_after is not None:
            moved = f" @ {_token(event.version_before)} -> {_token(event.version_after)}"
        tail = " (forced)" if event.forced else ""
        tail += f" ({event.note})" if event.note else ""
        timing = f"  {event.latency_ms:.0f} ms" if event.wrote else ""
        return (
            f"  {_SYMBOLS.get(event.action, '~')} {event.action:<8} {_who(event)}"
            f"{where}{moved}{timing}{tail}"
        )
    if isinstance(event, Conflict):
        verdict = "written over (forced)" if event.forced else "stopped"
        return f"  ! conflict {_who(event)}: {verdict}: {event.message()}"
    if isinstance(event, Skipped):
        return f"  - skipped  {_who(event)}: {event.rule}: {event.reason}"
    if isinstance(event, RolledBack):
        why = f": {event.reason}" if event.reason else ""
        return f"  < rollback {_who(event)}{_where(event.subject.resource)}: {event.outcome}{why}"
    if isinstance(event, Failed):
        return f"  x {event.rule}: {event.reason}"
    return None


def _who(event: ResourceWritten | Conflict | Skipped | RolledBack) -> str:
    subject = event.subject
    return f"{subject.kind} {subject.name}  {subject.file}"


def _where(key: object | None) -> str:
    return "" if key is None else f"  {key}"


def _token(token: object | None) -> str:
    return "-" if token is None else str(token)


def _figure_lines(figures: Governance, validation: Validation | None) -> list[str]:
    outcomes = ", ".join(
        f"{outcome} {sum(actions.values())}" for outcome, actions in figures.by_outcome.items()
    )
    rate = "n/a" if figures.success_rate is None else f"{figures.success_rate:.0%}"
    lines = [f"audit: {figures.actions} action(s) ({outcomes or 'none'}), success rate {rate}"]
    lines += [
        f"  {kind}: write latency p50 {lat.p50:.1f} ms, p95 {lat.p95:.1f} ms ({lat.count})"
        for kind, lat in figures.latency.items()
    ]
    if validation is not None and validation.error_rate is not None:
        lines.append(
            f"validation: {validation.failed} of {validation.configurations} configuration(s) "
            f"failed their checks (error rate {validation.error_rate:.0%})"
        )
    return lines
