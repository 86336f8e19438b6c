"""The plan (SPEC 6.1): per configuration, create, update with its changes, no-op, or blocked.

Pure once the org is read: :func:`build_plan` reads through the client, then
:func:`plan_from` decides from what was read. The plan's JSON is a function of
the configurations and the org's state alone (no clock, no correlation ids,
keys sorted, entries in write order, then file, then name), so the same
inputs give the same bytes.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from genesys_compliance.apply._diff import Change, diff
from genesys_compliance.apply._read import OrgReading, read_org
from genesys_compliance.apply._resolve import MatchedBy, Target, resolve
from genesys_compliance.config import dotted, escape, key_text
from genesys_compliance.contract import lookup, value_text

if TYPE_CHECKING:
    from genesys_compliance.apply._gate import Gate, Refused
    from genesys_compliance.client import GenesysClient
    from genesys_compliance.contract import ResourceKey, ResourceTable

__all__ = [
    "PLAN_FORMAT",
    "Action",
    "Plan",
    "PlannedChange",
    "PlannedResource",
    "build_plan",
    "plan_from",
]

PLAN_FORMAT = "genesys-compliance/plan/v1"


class Action(StrEnum):
    """What apply will do to one resource."""

    CREATE = "create"
    UPDATE = "update"
    NO_OP = "no-op"
    BLOCKED = "blocked"


@dataclass(frozen=True, slots=True)
class PlannedChange:
    """A :class:`Change` with the file line that states it."""

    change: Change
    line: int

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the plan file."""
        return {**self.change.to_dict(), "line": self.line}


@dataclass(frozen=True, slots=True, eq=False)
class PlannedResource:
    """The plan for one configuration.

    Attributes:
        target: What it targets: configuration, resource type, the resource
            as read, its key and token (the write's precondition), the
            correlation id of the read.
        action: What apply will do.
        changes: The managed fields that differ (for a create: every field
            the file states).
    """

    target: Target
    action: Action
    changes: tuple[PlannedChange, ...] = ()

    @property
    def kind(self) -> str:
        """The configuration's kind."""
        return self.target.approved.kind

    @property
    def name(self) -> str:
        """``metadata.name``."""
        return self.target.approved.name

    @property
    def config(self) -> str:
        """The configuration's test id."""
        return self.target.approved.id

    @property
    def file(self) -> str:
        """The configuration's file."""
        return self.target.approved.file

    @property
    def key(self) -> ResourceKey | None:
        """Where the resource is (or will be, when known before the create)."""
        return self.target.key

    @property
    def token(self) -> int | str | None:
        """The version or etag seen at plan time: the write's precondition."""
        return self.target.token

    @property
    def matched_by(self) -> MatchedBy | None:
        """How the resource was found: ``identity`` or ``naturalKey``."""
        return self.target.matched_by

    @property
    def correlation_id(self) -> str | None:
        """The org's correlation id of the read (for audit; not in the JSON)."""
        return self.target.correlation_id

    @property
    def identity(self) -> dict[str, str]:
        """What the configuration names its resource by, as the file states it.

        The match fields when it states them, else its natural key; for a
        container item, its parent too. Says where a create will land.
        """
        rtype = self.target.rtype
        document = self.target.approved.document
        out: dict[str, str] = {}
        if rtype.container is not None:
            parent = rtype.parent_of(document)
            if parent is not None:
                out[dotted(rtype.container.config)] = parent
        named = rtype.match_values(document) is not None
        for field in rtype.match if named else rtype.natural_key:
            for ptr in field.config:
                found, value = lookup(document, ptr)
                if found and value is not None:
                    out[dotted(ptr)] = value_text(value)
                    break
        return out

    def sort_key(self) -> tuple[int, str, str, str]:
        """Write order, then file, then name."""
        return (self.target.rtype.order, self.file, self.name, self.config)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the plan file."""
        out: dict[str, Any] = {
            "action": self.action.value,
            "changes": [c.to_dict() for c in self.changes],
            "config": self.config,
            "file": self.file,
            "identity": self.identity,
            "kind": self.kind,
            "matchedBy": self.matched_by,
            "name": self.name,
            "resource": None if self.key is None else self.key.to_dict(),
            "token": self.token,
        }
        if self.target.blocked is not None:
            out["reason"] = self.target.blocked
        return out


@dataclass(frozen=True, slots=True, eq=False)
class Plan:
    """What apply would do, per configuration, in write order.

    Attributes:
        resources: One entry per approved configuration, sorted.
        not_planned: The configurations the gate refused.
        requests: Requests the plan's reads made.
        gate_passed: Whether the whole run passed its gate (no refused
            configuration, no failing file): apply writes nothing otherwise.
    """

    resources: tuple[PlannedResource, ...]
    not_planned: tuple[Refused, ...] = ()
    requests: int = 0
    gate_passed: bool = True

    def counts(self) -> dict[str, int]:
        """Entries per action, every action present."""
        found = Counter(entry.action.value for entry in self.resources)
        return {action.value: found.get(action.value, 0) for action in Action}

    @property
    def writes(self) -> tuple[PlannedResource, ...]:
        """The entries that write: creates and updates."""
        return tuple(e for e in self.resources if e.action in (Action.CREATE, Action.UPDATE))

    def to_dict(self) -> dict[str, Any]:
        """Plain data: what ``--gc-plan`` holds."""
        return {
            "format": PLAN_FORMAT,
            "notPlanned": [r.to_dict() for r in sorted(self.not_planned, key=_refused_key)],
            "resources": [e.to_dict() for e in self.resources],
            "summary": self.counts(),
        }

    def to_json(self) -> str:
        """The plan file's text: identical inputs, identical bytes."""
        return (
            json.dumps(self.to_dict(), indent=2, sort_keys=True, ensure_ascii=False, default=str)
            + "\n"
        )


def build_plan(client: GenesysClient, admitted: Gate) -> Plan:
    """Read the org and plan every configuration the gate approved.

    Raises:
        ApiError: A read failed; a plan is never built from part of the org.
    """
    reading = read_org(client, admitted.approved)
    return plan_from(client.contract.resources, reading, admitted)


def plan_from(table: ResourceTable, reading: OrgReading, admitted: Gate) -> Plan:
    """Plan from what was read: no I/O."""
    entries = [_entry(target) for target in resolve(table, reading, admitted.approved)]
    entries.sort(key=PlannedResource.sort_key)
    return Plan(tuple(entries), admitted.refused, reading.requests, admitted.passed)


def _entry(target: Target) -> PlannedResource:
    approved = target.approved
    if target.blocked is not None:
        return PlannedResource(target, Action.BLOCKED)
    if target.resource is None:
        changes = _creates(target)
        return PlannedResource(target, Action.CREATE, _lined(target, changes))
    found = diff(approved.spec, target.resource.body, target.rtype)
    action = Action.UPDATE if found else Action.NO_OP
    return PlannedResource(target, action, _lined(target, found))


def _creates(target: Target) -> list[Change]:
    """A create's changes: every top-level field the file states, the org having none."""
    rtype = target.rtype
    out = []
    for key, value in target.approved.spec.items():
        ptr = "/" + escape(key_text(key))
        if rtype.is_server_owned(ptr) or value is None:
            continue
        out.append(Change(ptr, value, None, in_org=False))
    return sorted(out, key=lambda c: c.pointer)


def _lined(target: Target, changes: list[Change]) -> tuple[PlannedChange, ...]:
    return tuple(PlannedChange(c, target.approved.line_of(c.pointer)) for c in changes)


def _refused_key(refused: Refused) -> tuple[str, str, str]:
    return (refused.file, refused.kind, refused.name)
