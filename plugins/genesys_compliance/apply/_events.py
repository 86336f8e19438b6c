"""What the apply stage tells its consumers: typed events, one stream per run.

Events, not calls: apply never writes the audit log, sends a webhook, prints or
attaches to Allure. It emits these values to :class:`ApplyListener` objects
that the glue hands it, and the consumers (the audit log, webhooks, the
terminal summary, Allure; all in layers above apply) render them. Every run's
stream is::

    Planned, Started, [Skipped*], (Writing, ResourceWritten | Conflict)*,
    [RolledBack*], Completed | Failed

``to_dict()`` is each event as plain JSON in the audit log's field names
(SPEC 7: ``kind``, ``name``, ``file``, ``resource``, ``action``,
``versionBefore``, ``versionAfter``, ``changes``, ``latencyMs``, ``outcome``,
``correlationId``); ``webhook`` is the SPEC 8 event type it is delivered as
(``None``: not a webhook event). No event holds a credential: values come
from the configuration files (which the ``config/secret`` rule keeps clean)
and from the org's resources, and error texts were redacted by the client.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

if TYPE_CHECKING:
    from collections.abc import Mapping

    from genesys_compliance.apply._diff import Change
    from genesys_compliance.apply._plan import Plan
    from genesys_compliance.contract import ResourceKey

__all__ = [
    "ApplyEvent",
    "ApplyListener",
    "Completed",
    "Conflict",
    "Failed",
    "FieldConflict",
    "Mode",
    "Planned",
    "ResourceWritten",
    "RolledBack",
    "Skipped",
    "Started",
    "Subject",
    "WriteAction",
    "Writing",
]

Token = int | str
WriteAction = Literal["create", "update", "no-op", "rebase"]
RollbackOutcome = Literal["restored", "deleted", "unchanged", "conflict", "kept", "failed"]
FailedRule = Literal["apply/failed", "apply/conflict", "apply/rollback-conflict", "apply/interval"]
Mode = Literal["apply", "resume", "rollback"]


def _now() -> datetime:
    return datetime.now(UTC)


class ApplyListener(Protocol):
    """A consumer of the apply stage's events (audit log, webhooks, summary, Allure).

    ``on_event`` is called synchronously, in order, for every event of the run.
    A listener that raises an ``Exception`` stops the run as a failure (an
    audit log that cannot be written must not let writes go on unrecorded):
    earlier writes are rolled back and the run ends with :class:`Failed`.
    Webhook senders report delivery problems as data and never raise.
    """

    def on_event(self, event: ApplyEvent) -> None:
        """Take one event."""


@dataclass(frozen=True, slots=True)
class Subject:
    """The configuration and resource an event is about.

    Attributes:
        kind: The configuration kind.
        name: ``metadata.name``.
        config: The configuration's test id.
        file: Its file, relative to the run's root.
        resource: Where the resource is; ``None`` for a create that has not landed.
    """

    kind: str
    name: str
    config: str
    file: str
    resource: ResourceKey | None = None

    def to_dict(self) -> dict[str, Any]:
        """The audit record's identifying fields."""
        return {
            "kind": self.kind,
            "name": self.name,
            "config": self.config,
            "file": self.file,
            "resource": None if self.resource is None else self.resource.to_dict(),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplyEvent:
    """Base of every event: which run, and when (UTC)."""

    type: ClassVar[str] = "apply.event"
    webhook: ClassVar[str | None] = None

    run: str
    at: datetime = field(default_factory=_now)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON in the audit log's field names."""
        return {"event": self.type, "run": self.run, "at": _rfc3339(self.at)}

    def audit_fields(self) -> dict[str, Any] | None:
        """The record ``AuditLog.append`` takes for this event; ``None`` if it is no action.

        Actions are ``ResourceWritten`` (create, update, rebase, no-op),
        ``Conflict``, ``RolledBack``, ``Skipped`` and ``Failed``; the log writes
        ``seq``, ``time``, ``run``, ``org``, ``region`` and ``client`` itself.
        """
        fields = self.to_dict()
        if "action" not in fields:
            return None
        for own in ("event", "run", "at"):
            fields.pop(own, None)
        return fields


@dataclass(frozen=True, slots=True, kw_only=True)
class Planned(ApplyEvent):
    """The plan apply works from (also emitted alone by a plan-only run's glue)."""

    type: ClassVar[str] = "apply.planned"

    plan: Plan

    def to_dict(self) -> dict[str, Any]:
        """The plan's summary; the plan itself is in ``plan.to_dict()``."""
        return {
            **ApplyEvent.to_dict(self),
            "summary": self.plan.counts(),
            "requests": self.plan.requests,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Started(ApplyEvent):
    """Apply begins writing, finishing an interrupted run, or undoing one.

    Attributes:
        resources: Configurations in the plan.
        writes: Of them, the creates and updates (for a rollback: the writes to undo).
        forced: ``--gc-force``: managed fields changed since the plan are overwritten.
        mode: ``apply``; ``resume`` (``--gc-resume``) or ``rollback``
            (``--gc-rollback``) of an interrupted run, under its run id.
    """

    type: ClassVar[str] = "apply.started"
    webhook: ClassVar[str | None] = "apply.started"

    resources: int
    writes: int
    forced: bool = False
    mode: Mode = "apply"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON."""
        return {
            **ApplyEvent.to_dict(self),
            "resources": self.resources,
            "writes": self.writes,
            "forced": self.forced,
            "mode": self.mode,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Writing(ApplyEvent):
    """A write's intent is durable in the journal; its request goes next.

    Progress for a terminal; the audit log records outcomes, not this.

    Attributes:
        subject: What is written.
        action: ``create``, ``update`` or ``rebase``; ``restore`` or
            ``delete`` during a rollback.
        token: The precondition the write carries.
    """

    type: ClassVar[str] = "apply.writing"

    subject: Subject
    action: str
    token: Token | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON."""
        return {
            **ApplyEvent.to_dict(self),
            **self.subject.to_dict(),
            "action": self.action,
            "token": self.token,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceWritten(ApplyEvent):
    """One configuration's resource is as its file states: written, or already so.

    Attributes:
        subject: Configuration and resource.
        action: ``create``, ``update``, ``rebase`` (an update written on a
            newer version, because only fields the file does not manage
            changed since the plan) or ``no-op`` (nothing sent).
        version_before: The version or etag the write was guarded by
            (``None`` for a create).
        version_after: The version or etag after it.
        changes: The managed fields that changed (pointer, org's value, file's).
        latency_ms: Time from the first send to the settled outcome.
        correlation_id: The org's ``ININ-Correlation-Id`` of the write (of the
            plan's read, for a no-op).
        forced: Written over a managed field someone else changed (``--gc-force``).
        note: How the outcome was learnt when it was not the write's own answer
            (a lost response read back, a create found by its natural key).
    """

    type: ClassVar[str] = "apply.resource"
    webhook: ClassVar[str | None] = "apply.resource"

    subject: Subject
    action: WriteAction
    version_before: Token | None = None
    version_after: Token | None = None
    changes: tuple[Change, ...] = ()
    latency_ms: float = 0.0
    correlation_id: str | None = None
    forced: bool = False
    note: str | None = None

    @property
    def wrote(self) -> bool:
        """Whether the org was changed (every action but ``no-op``)."""
        return self.action != "no-op"

    def to_dict(self) -> dict[str, Any]:
        """The audit record of the action."""
        out = {
            **ApplyEvent.to_dict(self),
            **self.subject.to_dict(),
            "action": self.action,
            "versionBefore": self.version_before,
            "versionAfter": self.version_after,
            "changes": [c.to_dict() for c in self.changes],
            "latencyMs": round(self.latency_ms, 3),
            "outcome": ("forced" if self.forced else "applied") if self.wrote else "unchanged",
            "correlationId": self.correlation_id,
        }
        if self.note is not None:
            out["note"] = self.note
        return out


@dataclass(frozen=True, slots=True)
class FieldConflict:
    """One managed field someone else changed since the plan.

    Attributes:
        pointer: JSON pointer into the spec (and the resource).
        git: The value the file states.
        planned: The org's value when the plan was made.
        org: The org's value now.
        planned_absent: The org lacked the field at plan time.
        org_absent: The org lacks it now.
        changed_by: Who made the last change, from the org's audit or this tool's
            audit log, whichever is later, if it can tell.
        changed_at: When (RFC 3339), from the same source, if it can tell.
    """

    pointer: str
    git: Any
    planned: Any
    org: Any
    planned_absent: bool = False
    org_absent: bool = False
    changed_by: str | None = None
    changed_at: str | None = None

    def describe(self) -> str:
        """One sentence: the field, its three values, who and when."""
        who = ""
        if self.changed_by or self.changed_at:
            who = f" by {self.changed_by or 'an unknown client'}"
            who += f" at {self.changed_at}" if self.changed_at else ""
        else:
            who = " (the org's audit does not say by whom)"
        return (
            f"{self.pointer} changed in the org since the plan{who}: "
            f"planned from {_shown(self.planned, self.planned_absent)}, "
            f"now {_shown(self.org, self.org_absent)}, "
            f"the file states {_shown(self.git, False)}"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON; an absent value is left out."""
        out: dict[str, Any] = {"pointer": self.pointer, "git": self.git}
        if not self.planned_absent:
            out["planned"] = self.planned
        if not self.org_absent:
            out["org"] = self.org
        out["changedBy"] = self.changed_by
        out["changedAt"] = self.changed_at
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Conflict(ApplyEvent):
    """Managed fields changed in the org since the plan (rule ``apply/conflict``).

    Without ``--gc-force`` the run stops here and rolls back; with it, the
    next event is the forced :class:`ResourceWritten`.

    Attributes:
        subject: Configuration and resource.
        fields: Each managed field that changed, with who and when.
        version_planned: The version or etag the plan read.
        version_now: The version or etag in the org now.
        forced: The write goes ahead anyway.
        correlation_id: The org's correlation id of the read that saw it.
    """

    type: ClassVar[str] = "apply.conflict"
    webhook: ClassVar[str | None] = "apply.conflict"
    rule: ClassVar[str] = "apply/conflict"

    subject: Subject
    fields: tuple[FieldConflict, ...]
    version_planned: Token | None = None
    version_now: Token | None = None
    forced: bool = False
    correlation_id: str | None = None

    def message(self) -> str:
        """What the finding says."""
        return "; ".join(f.describe() for f in self.fields)

    def to_dict(self) -> dict[str, Any]:
        """The audit record (action ``conflict``)."""
        return {
            **ApplyEvent.to_dict(self),
            **self.subject.to_dict(),
            "action": "conflict",
            "rule": self.rule,
            "versionBefore": self.version_planned,
            "versionAfter": self.version_now,
            "changes": [f.to_dict() for f in self.fields],
            "outcome": "forced" if self.forced else "stopped",
            "correlationId": self.correlation_id,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class RolledBack(ApplyEvent):
    """One earlier write of the run, undone (or why not).

    Attributes:
        subject: Configuration and resource.
        outcome: ``restored`` (the snapshot written back), ``deleted`` (a
            create removed), ``unchanged`` (the org already holds the prior
            state, e.g. the write never landed), ``conflict`` (changed again
            since this run wrote it: left alone, rule
            ``apply/rollback-conflict``), ``kept`` (a create the contract
            cannot delete: it stays) or ``failed`` (the restore itself failed).
        version_before: The version or etag the restore was guarded by.
        version_after: The version or etag after it.
        reason: Why, for every outcome but ``restored`` and ``deleted``.
        changed_by: For a conflict, the client the org's audit names.
        changed_at: For a conflict, when.
        correlation_id: The org's correlation id of the restore.
        latency_ms: Time the restore took.
    """

    type: ClassVar[str] = "apply.rolled-back"
    webhook: ClassVar[str | None] = "apply.rolled-back"

    subject: Subject
    outcome: RollbackOutcome
    version_before: Token | None = None
    version_after: Token | None = None
    reason: str | None = None
    changed_by: str | None = None
    changed_at: str | None = None
    correlation_id: str | None = None
    latency_ms: float = 0.0

    @property
    def rule(self) -> str | None:
        """``apply/rollback-conflict`` for a conflict, else ``None``."""
        return "apply/rollback-conflict" if self.outcome == "conflict" else None

    @property
    def settled(self) -> bool:
        """Whether the resource is back as it was before the run."""
        return self.outcome in ("restored", "deleted", "unchanged")

    def to_dict(self) -> dict[str, Any]:
        """The audit record (action ``rollback``)."""
        out = {
            **ApplyEvent.to_dict(self),
            **self.subject.to_dict(),
            "action": "rollback",
            "versionBefore": self.version_before,
            "versionAfter": self.version_after,
            "changes": [],
            "latencyMs": round(self.latency_ms, 3),
            "outcome": self.outcome,
            "correlationId": self.correlation_id,
        }
        if self.rule is not None:
            out["rule"] = self.rule
        if self.reason is not None:
            out["reason"] = self.reason
        if self.changed_by is not None or self.changed_at is not None:
            out["changedBy"] = self.changed_by
            out["changedAt"] = self.changed_at
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Skipped(ApplyEvent):
    """A configuration apply will not write now, and why (rule ``apply/interval``).

    Checked before the first write, so a run with any of these writes nothing
    and ends with :class:`Failed`.

    Attributes:
        subject: Configuration and resource.
        rule: The rule that holds it back.
        reason: One line: when it was last changed, by whom, and when it may be.
        changed_by: The client of the org's last change, if the org's audit says.
        changed_at: When (RFC 3339), as the org's audit says.
    """

    type: ClassVar[str] = "apply.skipped"

    subject: Subject
    rule: str
    reason: str
    changed_by: str | None = None
    changed_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The audit record (action ``skipped``)."""
        return {
            **ApplyEvent.to_dict(self),
            **self.subject.to_dict(),
            "action": "skipped",
            "rule": self.rule,
            "reason": self.reason,
            "versionBefore": None,
            "versionAfter": None,
            "changes": [],
            "outcome": "refused",
            "correlationId": None,
            "changedBy": self.changed_by,
            "changedAt": self.changed_at,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Failed(ApplyEvent):
    """The run failed; it ends here (after its rollback events).

    Attributes:
        rule: ``apply/failed`` (a write failed for good), ``apply/conflict``,
            ``apply/interval`` (nothing written: a resource changed too
            recently), or ``apply/rollback-conflict`` (a ``--gc-rollback``
            that had to leave resources as others changed them).
        reason: One line saying what failed.
        subject: The configuration whose write failed or conflicted, if one did.
        status: The HTTP status of the failed write, when there was one.
        correlation_id: The org's correlation id of the failed write.
        rolled_back: Earlier writes put back as they were.
        not_rolled_back: Earlier writes left as this run wrote them (rollback
            conflicts, creates that cannot be deleted, failed restores).
    """

    type: ClassVar[str] = "apply.failed"
    webhook: ClassVar[str | None] = "apply.failed"

    rule: FailedRule
    reason: str
    subject: Subject | None = None
    status: int | None = None
    correlation_id: str | None = None
    rolled_back: int = 0
    not_rolled_back: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The audit record (action ``failed``)."""
        out: dict[str, Any] = {**ApplyEvent.to_dict(self)}
        if self.subject is not None:
            out.update(self.subject.to_dict())
        out.update(
            action="failed",
            rule=self.rule,
            reason=self.reason,
            status=self.status,
            outcome="rolled-back" if not self.not_rolled_back else "partly-rolled-back",
            rolledBack=self.rolled_back,
            notRolledBack=self.not_rolled_back,
            correlationId=self.correlation_id,
        )
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Completed(ApplyEvent):
    """The run did what it set out to do; it ends here.

    For ``apply`` and ``resume``: every configuration of the plan is as its
    file states. For ``rollback``: every resource the interrupted run wrote
    is back as it was before it.

    Attributes:
        counts: Actions by name (``create``, ``update``, ``rebase``,
            ``no-op``; for a rollback the :class:`RolledBack` outcomes).
        writes: Resources this run changed.
        mode: ``apply``, ``resume`` or ``rollback``.
    """

    type: ClassVar[str] = "apply.completed"
    webhook: ClassVar[str | None] = "apply.completed"

    counts: Mapping[str, int]
    writes: int
    mode: Mode = "apply"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON (the glue adds the audit checkpoint's ``head`` for the webhook)."""
        return {
            **ApplyEvent.to_dict(self),
            "counts": dict(self.counts),
            "writes": self.writes,
            "mode": self.mode,
            "outcome": "rolled-back" if self.mode == "rollback" else "applied",
        }


def _rfc3339(moment: datetime) -> str:
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.removesuffix("+00:00") + "Z"


def _shown(value: Any, absent: bool) -> str:
    if absent:
        return "(absent)"
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
