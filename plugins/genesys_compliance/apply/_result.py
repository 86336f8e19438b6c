"""What an apply run returns: its outcome, its whole event stream, and the findings it makes.

The result is the same stream the listeners saw, so the glue can render a
run after the fact (or in tests) exactly as the consumers did, plus the
``apply/*`` findings, located in the configuration files, that fail the
configurations' tests.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from genesys_compliance.apply._events import (
    Conflict,
    Failed,
    ResourceWritten,
    RolledBack,
    Skipped,
)
from genesys_compliance.rules import Finding

if TYPE_CHECKING:
    from collections.abc import Sequence

    from genesys_compliance.apply._context import Context
    from genesys_compliance.apply._events import ApplyEvent, Mode
    from genesys_compliance.apply._steps import Step

__all__ = ["ApplyResult", "Outcome", "build_result"]

Outcome = Literal["applied", "conflict", "failed"]


@dataclass(frozen=True)
class ApplyResult:
    """One apply, resume or rollback run, as it ended.

    Attributes:
        run: The run's id.
        mode: ``apply``, ``resume`` or ``rollback``.
        outcome: ``applied`` (for a rollback: every write undone),
            ``conflict`` (stopped at ``apply/conflict``, rolled back) or
            ``failed`` (a write failed for good and the run was rolled back,
            or a rollback left resources as others changed them).
        events: Every event, in the order the listeners got them.
        findings: ``apply/conflict``, ``apply/failed``, ``apply/interval`` and
            ``apply/rollback-conflict`` findings, in the configurations' files.
        journal: The journal file.
        listener_errors: What listeners raised (redacted); the first one
            stopped the run.
    """

    run: str
    mode: Mode
    outcome: Outcome
    events: tuple[ApplyEvent, ...]
    findings: tuple[Finding, ...]
    journal: Path
    listener_errors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the run did what it set out to do."""
        return self.outcome == "applied"

    @property
    def resources(self) -> tuple[ResourceWritten, ...]:
        """One event per configuration that settled (written or already so)."""
        return tuple(e for e in self.events if isinstance(e, ResourceWritten))

    @property
    def writes(self) -> int:
        """Resources the run changed (before any rollback)."""
        return sum(1 for e in self.resources if e.wrote)

    @property
    def conflicts(self) -> tuple[Conflict, ...]:
        """The conflicts met (forced ones included)."""
        return tuple(e for e in self.events if isinstance(e, Conflict))

    @property
    def rollbacks(self) -> tuple[RolledBack, ...]:
        """What the rollback did, per resource, newest write first."""
        return tuple(e for e in self.events if isinstance(e, RolledBack))

    @property
    def failure(self) -> Failed | None:
        """The ``Failed`` event that ended the run, if it failed."""
        return next((e for e in self.events if isinstance(e, Failed)), None)

    def counts(self) -> dict[str, int]:
        """Settled configurations by action (``create``, ``update``, ``rebase``, ``no-op``)."""
        return dict(sorted(Counter(e.action for e in self.resources).items()))


def build_result(ctx: Context, steps: Sequence[Step], mode: Mode, outcome: Outcome) -> ApplyResult:
    """The result of the run ``ctx`` ran over ``steps``."""
    events = tuple(ctx.emitter.events)
    return ApplyResult(
        run=ctx.run,
        mode=mode,
        outcome=outcome,
        events=events,
        findings=tuple(sorted(_findings(events, steps), key=Finding.sort_key)),
        journal=ctx.journal.path,
        listener_errors=tuple(ctx.emitter.errors),
    )


def _findings(events: Sequence[ApplyEvent], steps: Sequence[Step]) -> list[Finding]:
    by_config = {s.subject.config: s for s in steps}
    out: list[Finding] = []
    for event in events:
        if isinstance(event, Conflict) and not event.forced:
            step = by_config.get(event.subject.config)
            for field in event.fields:
                out.append(
                    Finding(
                        rule_id=event.rule,
                        severity="error",
                        message=field.describe(),
                        file=event.subject.file,
                        line=step.line_of(field.pointer) if step is not None else 1,
                        pointer="/spec" + field.pointer,
                        config=event.subject.config,
                    )
                )
        elif isinstance(event, RolledBack) and event.rule is not None:
            step = by_config.get(event.subject.config)
            out.append(
                Finding(
                    rule_id=event.rule,
                    severity="error",
                    message=f"rollback left {event.subject.resource or 'the resource'} as it is: "
                    f"{event.reason}" + _who(event.changed_by, event.changed_at),
                    file=event.subject.file,
                    line=step.line if step is not None else 1,
                    pointer="/spec",
                    config=event.subject.config,
                )
            )
        elif isinstance(event, Skipped):
            step = by_config.get(event.subject.config)
            out.append(
                Finding(
                    rule_id=event.rule,
                    severity="error",
                    message=event.reason,
                    file=event.subject.file,
                    line=step.line if step is not None else 1,
                    pointer="/spec",
                    config=event.subject.config,
                )
            )
        elif isinstance(event, Failed) and event.rule == "apply/failed" and event.subject:
            step = by_config.get(event.subject.config)
            out.append(
                Finding(
                    rule_id="apply/failed",
                    severity="error",
                    message=f"{event.reason}; the run was rolled back"
                    + (
                        f" ({event.not_rolled_back} write(s) could not be)"
                        if event.not_rolled_back
                        else ""
                    ),
                    file=event.subject.file,
                    line=step.line if step is not None else 1,
                    pointer="/spec",
                    config=event.subject.config,
                )
            )
    return out


def _who(client: str | None, at: str | None) -> str:
    if client is None and at is None:
        return ""
    return f" (by {client or 'an unknown client'}{' at ' + at if at else ''})"
