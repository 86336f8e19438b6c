"""The minimum interval between updates of one resource (``apply/interval``), from the org's audit.

Some resources must not change too often: a flow's routing settings are
reloaded by every call in flight, so the policy asks a pause between updates
(``min-flow-update-interval``, 60 s). The interval is read from the org's own
audit trail, not from this tool's memory, so it holds across runs, machines
and other writers (a colleague's save in the UI counts too). Apply takes the
intervals per kind from its caller and checks them all before its first
write: a run that must wait writes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from genesys_compliance.apply._events import Skipped
from genesys_compliance.apply._who import who_changed

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from genesys_compliance.apply._context import Context
    from genesys_compliance.apply._steps import Step

__all__ = ["RULE", "too_soon"]

RULE = "apply/interval"


def too_soon(
    ctx: Context,
    steps: Sequence[Step],
    intervals: Mapping[str, float],
    now: Callable[[], datetime],
) -> list[Skipped]:
    """The updates that would come sooner after the resource's last change than their kind allows.

    One audit query per update of a kind with an interval; none otherwise.
    A resource whose last change the org's audit cannot date is not held back.
    """
    out: list[Skipped] = []
    for step in steps:
        seconds = intervals.get(step.kind)
        if not seconds or step.action != "update" or step.key is None:
            continue
        last = who_changed(ctx.client, ctx.rtype(step.kind), step.key, [""])[""]
        changed = _parse(last.at)
        if changed is None:
            continue
        age = (now() - changed).total_seconds()
        if age >= seconds:
            continue
        allowed = (changed + timedelta(seconds=seconds)).astimezone(UTC)
        who = f" by {last.client}" if last.client else ""
        out.append(
            Skipped(
                run=ctx.run,
                subject=step.subject,
                rule=RULE,
                reason=(
                    f"last changed {max(age, 0):.0f} s ago{who} (at {last.at}); the policy asks "
                    f"{seconds:g} s between updates of a {step.kind}: apply again after "
                    f"{allowed.isoformat(timespec='seconds').replace('+00:00', 'Z')}"
                ),
                changed_by=last.client,
                changed_at=last.at,
            )
        )
    return out


def _parse(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
