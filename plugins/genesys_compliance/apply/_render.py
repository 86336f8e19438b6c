"""The plan as terminal text: one line per action, its changes indented under it.

Returned as a string for the terminal summary (and the report's attachment);
apply code never prints. Values are compact JSON cut to a readable width, so
one long widget list cannot push the rest of the plan off the screen.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from genesys_compliance.apply._plan import Action

if TYPE_CHECKING:
    from genesys_compliance.apply._plan import Plan, PlannedResource

__all__ = ["render_plan"]

_SYMBOLS = {Action.CREATE: "+", Action.UPDATE: "~", Action.NO_OP: "=", Action.BLOCKED: "!"}
_MAX_VALUE = 70
_ABSENT = "(absent)"


def render_plan(plan: Plan, *, changes: bool = True) -> str:
    """The plan as lines of text; ``changes=False`` leaves out the indented fields."""
    counts = plan.counts()
    head = (
        f"plan: {counts['create']} to create, {counts['update']} to update, "
        f"{counts['no-op']} unchanged, {counts['blocked']} blocked"
    )
    if plan.not_planned:
        head += f"; {len(plan.not_planned)} not planned (failed their checks)"
    lines = [head]
    for entry in plan.resources:
        lines.append(_headline(entry))
        if entry.action is Action.BLOCKED and entry.target.blocked is not None:
            lines.append(f"      {entry.target.blocked}")
        if changes:
            lines.extend(
                f"      {c.change.pointer}: "
                f"{_value(c.change.org) if c.change.in_org else _ABSENT} -> {_value(c.change.file)}"
                for c in entry.changes
            )
    for refused in sorted(plan.not_planned, key=lambda r: (r.file, r.kind, r.name)):
        lines.append(
            f"  - not planned  {refused.kind} {refused.name}  {refused.file}"
            f"  ({', '.join(refused.reasons)})"
        )
    return "\n".join(lines) + "\n"


def _headline(entry: PlannedResource) -> str:
    named = entry.key if entry.key is not None else _named(entry.identity)
    where = f"  {named}" if named else ""
    token = f" @ {entry.token}" if entry.token is not None else ""
    n = len(entry.changes)
    count = f"  ({n} change{'' if n == 1 else 's'})" if entry.action is Action.UPDATE else ""
    return (
        f"  {_SYMBOLS[entry.action]} {entry.action.value:<7} {entry.kind} {entry.name}"
        f"  {entry.file}{where}{token}{count}"
    )


def _named(identity: dict[str, str]) -> str:
    return " ".join(f"{k}={v}" for k, v in identity.items())


def _value(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"
