"""The minimum interval between updates of one resource (``apply/interval``), across runs.

Some resources must not change too often: a flow's routing settings are
reloaded by every call in flight, so the policy asks a pause between updates
(``min-flow-update-interval``, 60 s). A run remembers nothing, so the last
update is read from two records that outlive it, and the later one counts:

- this tool's audit log (SPEC 7), through any listener of the run that is a
  :class:`WriteHistory` (the audit log's): it holds every write of every run
  into the same audit folder, also where the org's audit cannot answer (a
  client without the audit scope, an org whose audit lags behind its writes);
- the org's own audit trail, which also knows other writers (a colleague's
  save in the UI counts too).

Apply takes the intervals per kind from its caller and checks them all before
its first write: a run that must wait writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from genesys_compliance.apply._context import Stop, error_text
from genesys_compliance.apply._events import Skipped
from genesys_compliance.apply._who import Who, last_changes

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from genesys_compliance.apply._context import Context
    from genesys_compliance.apply._steps import Step
    from genesys_compliance.contract import ResourceKey

__all__ = ["RULE", "LastWrite", "WriteHistory", "too_soon"]

RULE = "apply/interval"


@dataclass(frozen=True, slots=True)
class LastWrite:
    """A write of this tool to one resource, as its audit log remembers it.

    Attributes:
        at: When it was recorded (timezone-aware).
        client: The OAuth client id that wrote it.
        run: The run that wrote it.
    """

    at: datetime
    client: str | None = None
    run: str | None = None


@runtime_checkable
class WriteHistory(Protocol):
    """A listener that remembers this tool's writes across runs: the audit log's.

    Apply asks it, never writes to it: it stays a consumer of events that also
    answers one question about earlier runs.
    """

    def last_write(
        self, kind: str, resource: Mapping[str, str], *, since: datetime
    ) -> LastWrite | None:
        """The latest write of ``resource`` recorded at or after ``since``, or ``None``."""


@dataclass(frozen=True, slots=True)
class _Change:
    at: datetime
    shown: str
    client: str | None
    source: str


def too_soon(
    ctx: Context,
    steps: Sequence[Step],
    intervals: Mapping[str, float],
    now: Callable[[], datetime],
) -> list[Skipped]:
    """The updates that would come sooner after the resource's last change than their kind allows.

    One audit query per kind with an interval for all its updates, and one
    look into each history per update; none otherwise. A resource whose last change neither can
    date is not held back.

    Raises:
        Stop: A history cannot be read: without it the interval cannot be shown
            to hold, so nothing is written.
    """
    histories = [
        listener for listener in ctx.emitter.listeners if isinstance(listener, WriteHistory)
    ]
    moment = now()
    held = [
        step
        for step in steps
        if intervals.get(step.kind) and step.action == "update" and step.key is not None
    ]
    audited: dict[str, dict[ResourceKey, Who]] = {}
    for kind in dict.fromkeys(step.kind for step in held):
        keys = [step.key for step in held if step.kind == kind and step.key is not None]
        audited[kind] = last_changes(ctx.client, ctx.rtype(kind), keys)
    out: list[Skipped] = []
    for step in held:
        assert step.key is not None  # for mypy: held only takes steps with a key
        seconds = intervals[step.kind]
        since = moment - timedelta(seconds=seconds)
        last = _last_change(step, audited[step.kind][step.key], histories, since)
        if last is None:
            continue
        age = (moment - last.at).total_seconds()
        if age >= seconds:
            continue
        allowed = (last.at + timedelta(seconds=seconds)).astimezone(UTC)
        who = f" by {last.client}" if last.client else ""
        out.append(
            Skipped(
                run=ctx.run,
                subject=step.subject,
                rule=RULE,
                reason=(
                    f"last changed {max(age, 0):.0f} s ago{who} (at {last.shown}, {last.source}); "
                    f"the policy asks {seconds:g} s between updates of a {step.kind}: apply "
                    f"again after {_rfc3339(allowed, 'seconds')}"
                ),
                changed_by=last.client,
                changed_at=last.shown,
            )
        )
    return out


def _last_change(
    step: Step, org: Who, histories: Sequence[WriteHistory], since: datetime
) -> _Change | None:
    """The later of the org audit's last change and the histories' last write."""
    assert step.key is not None  # for mypy: the caller skips steps without a key
    found: list[_Change] = []
    changed = _parse(org.at)
    if changed is not None and org.at is not None:
        found.append(_Change(changed, org.at, org.client, "the org's audit"))
    resource = step.key.to_dict()
    for history in histories:
        try:
            written = history.last_write(step.kind, resource, since=since)
        except Exception as error:  # a history of ours that fails must not let a write through
            raise Stop(
                "apply/failed",
                f"the record of earlier runs' writes cannot be read: {error_text(error)}",
                subject=step.subject,
            ) from None
        if written is not None:
            run = f", run {written.run}" if written.run else ""
            found.append(
                _Change(
                    written.at,
                    _rfc3339(written.at, "milliseconds"),
                    written.client,
                    f"this tool's audit log{run}",
                )
            )
    return max(found, key=lambda change: change.at, default=None)


def _parse(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _rfc3339(moment: datetime, timespec: str) -> str:
    return moment.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")
