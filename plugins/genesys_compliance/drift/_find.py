"""The nightly check: the plan's field changes, read as findings about the org.

Drift is the plan seen from the other side. Where the plan says "update these
fields", the org differs from git in exactly those fields, so the org is read
and compared by the plan itself (:func:`~genesys_compliance.apply.read_org`,
:func:`~genesys_compliance.apply.plan_from`): one walk over the managed fields,
sets unordered, server-owned and unstated fields never compared. A second diff
would sooner or later disagree with the plan, and a nightly report that says
"drift" where apply would change nothing (or the reverse) is worse than none.

Read-only: listings, one document per container parent, each source of a
derived field once (as the plan reads them), and one audit query per resource
that differs (who changed it and when), so an org that matches git costs the
listings alone.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

# The derived fields' reads and the audit query of apply's conflicts, imported from their
# modules until the apply package exports them (asked of its owner).
from genesys_compliance.apply import (
    Action,
    Who,
    gate,
    plan_from,
    read_org,
    read_sources,
    who_changed,
)
from genesys_compliance.contract import lookup
from genesys_compliance.drift._report import DRIFT, Difference, DriftReport
from genesys_compliance.drift._unmanaged import DEFAULT_EXPORT_FOLDER, find_unmanaged
from genesys_compliance.drift._values import MAX_SHOWN, shown
from genesys_compliance.rules import Violation

if TYPE_CHECKING:
    from collections.abc import Mapping

    from genesys_compliance.apply import OrgReading, PlannedChange, PlannedResource
    from genesys_compliance.client import GenesysClient
    from genesys_compliance.engine import Run
    from genesys_compliance.rules import Rule

__all__ = ["find_drift"]

_UNKNOWN = Who(None, None)


def find_drift(
    client: GenesysClient, run: Run, *, export_folder: str = DEFAULT_EXPORT_FOLDER
) -> DriftReport:
    """Compare the org with every configuration of ``run`` that passes its own checks.

    Args:
        client: The run's client; nothing is written through it.
        run: The configurations (the engine's loaded run).
        export_folder: The folder the ``org/unmanaged`` warnings' export command names.

    Returns:
        One ``org/drift`` finding per managed field that differs and per
        configuration whose resource the org lacks; one ``org/unmanaged``
        warning per resource of a managed kind that no configuration names.

    Raises:
        ApiError: A read failed (or the org refused the credentials): a report
            is never made from part of the org.
    """
    admitted = gate(run)
    reading = read_org(client, admitted.approved)
    sources = read_sources(client, admitted.approved)
    plan = plan_from(client.contract.resources, reading, admitted, sources)
    rule = run.registry.get(DRIFT)
    differences: list[Difference] = []
    for entry in plan.resources:
        if entry.action is Action.UPDATE:
            differences += _changed(client, rule, reading, entry)
        elif entry.action is not Action.NO_OP:
            differences.append(_missing(client, rule, entry))
    differences.sort(key=lambda d: d.finding.sort_key())
    unmanaged, unlisted = find_unmanaged(client, run, reading.listings, folder=export_folder)
    return DriftReport(
        differences=tuple(differences),
        unmanaged=tuple(unmanaged),
        compared=tuple(e.config for e in plan.resources),
        not_compared=admitted.refused,
        unlisted=tuple(unlisted),
    )


def _changed(
    client: GenesysClient, rule: Rule, reading: OrgReading, entry: PlannedResource
) -> list[Difference]:
    """One difference per changed field, each with the audit's last word on it."""
    target = entry.target
    assert target.resource is not None
    pointers = [c.change.pointer for c in entry.changes]
    who = who_changed(
        client,
        target.rtype,
        target.resource.key,
        pointers,
        item_index=_index(reading, entry),
    )
    return [_field(rule, entry, c, who.get(c.change.pointer, _UNKNOWN)) for c in entry.changes]


def _field(rule: Rule, entry: PlannedResource, planned: PlannedChange, who: Who) -> Difference:
    change = planned.change
    at = "/spec" + change.pointer
    message = (
        f"{at}: git has {shown(at, change.file)}, the org has "
        f"{shown(at, change.org, present=change.in_org)} "
        f"({entry.kind} {entry.key}); {_who(who)}"
    )
    located = entry.target.approved.entry.located(rule, Violation(at, message))
    # The plan's line: a derived field, which the file does not state, is at the line asking for it.
    finding = dataclasses.replace(located, line=planned.line)
    return Difference(
        finding=finding,
        kind=entry.kind,
        resource=entry.key,
        identity=entry.identity,
        git=change.file,
        org=change.org,
        in_org=change.in_org,
        changed_by=who.client,
        changed_at=who.at,
    )


def _missing(client: GenesysClient, rule: Rule, entry: PlannedResource) -> Difference:
    """A configuration whose resource the org lacks, or cannot be told apart: at its identity."""
    target = entry.target
    named = _identity_text(entry.identity)
    who = _UNKNOWN
    if target.blocked is not None:
        message = f"{entry.kind} {named} cannot be compared with the org: {target.blocked}"
    else:
        if target.key is not None:
            who = who_changed(client, target.rtype, target.key, [""]).get("", _UNKNOWN)
        message = (
            f"{entry.kind} {named} is not in the org: git has it, the org does not; "
            f"{_who(who, last=True, missing=True)}"
        )
    at = _identity_pointer(entry)
    finding = target.approved.entry.located(rule, Violation(at, message))
    return Difference(
        finding=finding,
        kind=entry.kind,
        resource=target.key,
        identity=entry.identity,
        git=None,
        org=None,
        in_org=False,
        missing=True,
        changed_by=who.client,
        changed_at=who.at,
    )


def _identity_pointer(entry: PlannedResource) -> str:
    """Where the file names its resource: the parent, a match field, else the natural key."""
    rtype = entry.target.rtype
    document = entry.target.approved.document
    candidates: list[str] = []
    if rtype.container is not None:
        candidates.append(rtype.container.config)
    fields = rtype.match if rtype.match_values(document) is not None else rtype.natural_key
    candidates += [ptr for field in fields for ptr in field.config]
    for ptr in candidates:
        found, value = lookup(document, ptr)
        if found and value is not None:
            return ptr
    return "/metadata/name"


def _index(reading: OrgReading, entry: PlannedResource) -> int | None:
    """For a container item, its position in the parent's document (the audit's pointers)."""
    target = entry.target
    rtype = target.rtype
    if rtype.container is None or target.resource is None:
        return None
    listing = reading.listings.get((rtype.kind, rtype.parent_of(target.approved.document)))
    for index, resource in enumerate(listing or ()):
        if resource.key == target.resource.key:
            return index
    return None


def _identity_text(identity: Mapping[str, str]) -> str:
    shown = " ".join(f"{k}={_cut(v)}" for k, v in identity.items())
    return shown or "(named by nothing)"


def _cut(text: str) -> str:
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def _who(who: Who, *, last: bool = False, missing: bool = False) -> str:
    if who.client is None and who.at is None:
        return f"the org's audit does not say who {'removed' if missing else 'changed'} it"
    verb = "last changed" if last else "changed"
    return f"{verb} by {who.client or 'an unknown client'}" + (f" at {who.at}" if who.at else "")
