"""Waivers: accepted, dated exceptions to one rule for one configuration.

A waiver needs a known rule id, a reason and an expiry date; anything less is
itself a ``config/waiver`` finding, so an exception can never be granted by
accident or outlive its review.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from datetime import date
from typing import Any

from genesys_compliance.config import pointer
from genesys_compliance.rules._finding import Violation

_FIELDS = frozenset({"rule", "reason", "expires"})
_UNWAIVABLE = frozenset({"config/waiver", "config/parse", "config/envelope"})


@dataclass(frozen=True, slots=True)
class Waivers:
    """The valid waivers of one configuration (rule id → reason) and the broken ones."""

    granted: dict[str, str]
    problems: tuple[Violation, ...]


def read_waivers(raw: Any, known_rules: Container[str], today: date) -> Waivers:
    """Check ``metadata.waivers`` as written; never raises on malformed input."""
    granted: dict[str, str] = {}
    problems: list[Violation] = []
    if raw is None:
        return Waivers(granted, ())
    if not isinstance(raw, list):
        return Waivers(
            granted,
            (
                Violation(
                    pointer("metadata", "waivers"),
                    "waivers must be a list of {rule, reason, expires}",
                ),
            ),
        )
    for index, item in enumerate(raw):
        at = pointer("metadata", "waivers", index)
        if not isinstance(item, dict):
            problems.append(Violation(at, "a waiver must be a mapping of rule, reason, expires"))
            continue
        unknown = sorted(str(k) for k in item if k not in _FIELDS)
        if unknown:
            problems.append(Violation(at, f"unknown waiver field(s): {', '.join(unknown)}"))
            continue
        rule_id, reason, expires = item.get("rule"), item.get("reason"), item.get("expires")
        if not isinstance(rule_id, str) or rule_id not in known_rules:
            problems.append(Violation(at, f"waiver names unknown rule {str(rule_id)[:80]!r}"))
            continue
        if rule_id in _UNWAIVABLE:
            problems.append(Violation(at, f"{rule_id} cannot be waived"))
            continue
        if not isinstance(reason, str) or not reason.strip():
            problems.append(Violation(at, f"waiver of {rule_id} has no reason"))
            continue
        expiry = _as_date(expires)
        if expiry is None:
            problems.append(
                Violation(at, f"waiver of {rule_id} needs an expiry date as YYYY-MM-DD")
            )
            continue
        if expiry < today:
            problems.append(Violation(at, f"waiver of {rule_id} expired on {expiry.isoformat()}"))
            continue
        granted.setdefault(rule_id, reason.strip())
    return Waivers(granted, tuple(problems))


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None
