"""Waivers: accepted, dated exceptions to one rule for one configuration.

A waiver needs a known rule id, a reason and an expiry date; anything less is
itself a ``config/waiver`` finding, so an exception can never be granted by
accident or outlive its review. An optional ``owner`` (a team, an e-mail
address) says who to ask when it comes up for review; when given, it must be text.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from genesys_compliance.config import pointer
from genesys_compliance.rules._finding import Violation
from genesys_compliance.rules._registry import Registry
from genesys_compliance.rules._spelling import unknown_id_hint

_FIELDS = frozenset({"rule", "reason", "expires", "owner"})
_UNWAIVABLE = frozenset({"config/waiver", "config/parse", "config/envelope"})
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})\Z", re.ASCII)
# Not calendar.month_name: that follows the locale.
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True, slots=True)
class Waivers:
    """The valid waivers of one configuration (rule id → reason, → owner) and the broken ones.

    ``owners`` holds only the rules whose granted waiver names an owner.
    """

    granted: dict[str, str]
    problems: tuple[Violation, ...]
    owners: dict[str, str] = field(default_factory=dict)


def read_waivers(raw: Any, known_rules: Container[str], today: date) -> Waivers:
    """Check ``metadata.waivers`` as written; never raises on malformed input."""
    granted: dict[str, str] = {}
    owners: dict[str, str] = {}
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
            hint = unknown_id_hint(rule_id, _ids(known_rules)) if isinstance(rule_id, str) else ""
            problems.append(Violation(at, f"waiver names unknown rule {str(rule_id)[:80]!r}{hint}"))
            continue
        if rule_id in _UNWAIVABLE:
            problems.append(Violation(at, f"{rule_id} cannot be waived"))
            continue
        if not isinstance(reason, str) or not reason.strip():
            problems.append(Violation(at, f"waiver of {rule_id} has no reason"))
            continue
        owner = item.get("owner")
        if "owner" in item and (not isinstance(owner, str) or not owner.strip()):
            problems.append(
                Violation(
                    pointer("metadata", "waivers", index, "owner"),
                    f"waiver of {rule_id}: owner must be a team or an e-mail address, "
                    f"not {_shown(owner)}",
                )
            )
            continue
        expiry = _as_date(expires, rule_id)
        if isinstance(expiry, str):
            problems.append(Violation(pointer("metadata", "waivers", index, "expires"), expiry))
            continue
        if expiry is None:
            problems.append(
                Violation(at, f"waiver of {rule_id} needs an expiry date as YYYY-MM-DD")
            )
            continue
        if expiry < today:
            problems.append(Violation(at, f"waiver of {rule_id} expired on {expiry.isoformat()}"))
            continue
        if rule_id not in granted:  # the first valid waiver of a rule speaks for it
            granted[rule_id] = reason.strip()
            if isinstance(owner, str):
                owners[rule_id] = owner.strip()
    return Waivers(granted, tuple(problems), owners)


def _shown(value: Any) -> str:
    """A written value as a message quotes it: text quoted, anything else by its type."""
    if isinstance(value, str):
        return repr(value[:40])
    return "null" if value is None else type(value).__name__


def _ids(known_rules: Container[str]) -> Iterable[str]:
    """The ids to suggest from: a registry's rule ids, or the strings of a plain collection."""
    if isinstance(known_rules, Registry):
        return [item.id for item in known_rules]
    if isinstance(known_rules, Iterable):
        return [item for item in known_rules if isinstance(item, str)]
    return ()


def _as_date(value: Any, rule_id: str) -> date | str | None:
    """The expiry date, or what is wrong with the value written (``None``: no value).

    Only ``YYYY-MM-DD`` is accepted, although :meth:`date.fromisoformat` takes more
    (``20270331``, week dates): it is the form reviewers read at a glance.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if value is None:
        return None
    text = value.strip() if isinstance(value, str) else ""
    match = _ISO_DATE.match(text)
    if match is None:
        shown = repr(text[:40]) if isinstance(value, str) else repr(value)[:40]
        return f"waiver of {rule_id} needs an expiry date as YYYY-MM-DD, not {shown}"
    year, month, day = (int(part) for part in match.groups())
    if year < 1:
        why = "year 0 does not exist"
    elif not 1 <= month <= 12:
        why = f"month {month} does not exist"
    else:
        days = calendar.monthrange(year, month)[1]
        if 1 <= day <= days:
            return date(year, month, day)
        why = f"{_MONTHS[month - 1]} {year} has {days} days" if day else "day 0 does not exist"
    return f"waiver of {rule_id}: expires {text!r} is not a date ({why})"
