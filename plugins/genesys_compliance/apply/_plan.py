"""The plan (SPEC 6.1): per configuration, create, update with its changes, no-op, or blocked.

Pure once the org is read: :func:`build_plan` reads through the client (the
listings, and each source of a derived field once), then :func:`plan_from`
decides from what was read. The plan's JSON is a function of the
configurations and the org's state alone (no clock, no correlation ids,
keys sorted, entries in write order, then file, then name), so the same
inputs give the same bytes.

Derived fields (the resource table's ``derived``) are managed fields the
file does not state: a layout with ``inheritance: user-preference`` carries
the desktop preferences of its ``metadata.userId``. The plan reads them and
lays them into the managed fields, so they are diffed, written and journalled
as the file's own; a source the org does not have, or a parameter the file
does not give, blocks the entry with the reason (nothing is guessed, and
apply refuses a plan with a blocked entry).
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from genesys_compliance.apply._body import with_derived
from genesys_compliance.apply._diff import Change, diff
from genesys_compliance.apply._read import OrgReading, read_org
from genesys_compliance.apply._resolve import MatchedBy, Target, resolve
from genesys_compliance.config import dotted, escape, key_text
from genesys_compliance.contract import lookup, value_text
from genesys_compliance.errors import NotFoundError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from genesys_compliance.apply._gate import Approved, Gate, Refused
    from genesys_compliance.client import GenesysClient, JsonObject
    from genesys_compliance.contract import ResourceKey, ResourceTable
    from genesys_compliance.contract._resources import DerivedField

__all__ = [
    "PLAN_FORMAT",
    "Action",
    "Plan",
    "PlannedChange",
    "PlannedResource",
    "Sources",
    "build_plan",
    "plan_from",
    "read_sources",
]

PLAN_FORMAT = "genesys-compliance/plan/v1"

# A derived field's source: its operationId and path parameters, sorted.
SourceKey = tuple[str, tuple[tuple[str, str], ...]]


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
        intended: The managed fields when derived ones were laid in;
            ``None`` when they are the file's spec as it stands.
    """

    target: Target
    action: Action
    changes: tuple[PlannedChange, ...] = ()
    intended: Mapping[str, Any] | None = None

    @property
    def spec(self) -> Mapping[str, Any]:
        """The managed fields apply writes: the file's spec and the derived fields read."""
        if self.intended is not None:
            return self.intended
        spec: Mapping[str, Any] = self.target.approved.spec
        return spec

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


@dataclass(frozen=True)
class Sources:
    """What the derived fields are read from: each source once, however many configurations name it.

    Attributes:
        answers: Per source, its answer; ``None`` where the org has none (404).
    """

    answers: Mapping[SourceKey, JsonObject | None] = dataclasses.field(default_factory=dict)

    @property
    def requests(self) -> int:
        """Requests the reads made (one per source; retries not counted)."""
        return len(self.answers)


def build_plan(client: GenesysClient, admitted: Gate) -> Plan:
    """Read the org and plan every configuration the gate approved.

    Raises:
        ApiError: A read failed (a missing source is recorded, not raised); a
            plan is never built from part of the org.
    """
    reading = read_org(client, admitted.approved)
    sources = read_sources(client, admitted.approved)
    return plan_from(client.contract.resources, reading, admitted, sources)


def read_sources(client: GenesysClient, approved: Sequence[Approved]) -> Sources:
    """Read the source of every derived field the approved configurations ask for.

    Raises:
        ApiError: A read failed other than with 404.
    """
    table = client.contract.resources
    answers: dict[SourceKey, JsonObject | None] = {}
    for item in approved:
        for derived in table[item.kind].derived:
            params = derived.path_params(item.document)
            if not derived.applies(item.document) or params is None:
                continue
            key = _source_key(derived, params)
            if key in answers:
                continue
            try:
                answers[key] = client.resources(item.kind).source(derived, params)
            except NotFoundError:
                answers[key] = None
    return Sources(answers)


def plan_from(
    table: ResourceTable, reading: OrgReading, admitted: Gate, sources: Sources | None = None
) -> Plan:
    """Plan from what was read: no I/O.

    A derived field whose source is not in ``sources`` blocks its entry.
    """
    read = sources if sources is not None else Sources()
    entries = [_entry(target, read) for target in resolve(table, reading, admitted.approved)]
    entries.sort(key=PlannedResource.sort_key)
    requests = reading.requests + read.requests
    return Plan(tuple(entries), admitted.refused, requests, admitted.passed)


def _entry(target: Target, sources: Sources) -> PlannedResource:
    if target.blocked is not None:
        return PlannedResource(target, Action.BLOCKED)
    values, blocked = _derive(target, sources)
    if blocked is not None:
        return PlannedResource(dataclasses.replace(target, blocked=blocked), Action.BLOCKED)
    spec = with_derived(target.approved.spec, values) if values else None
    managed: Mapping[str, Any] = target.approved.spec if spec is None else spec
    if target.resource is None:
        changes = _creates(target, managed)
        return PlannedResource(target, Action.CREATE, _lined(target, changes), spec)
    found = diff(managed, target.resource.body, target.rtype)
    action = Action.UPDATE if found else Action.NO_OP
    return PlannedResource(target, action, _lined(target, found), spec)


def _derive(target: Target, sources: Sources) -> tuple[dict[str, Any], str | None]:
    """The derived fields' values by payload pointer, or why the entry is blocked."""
    document = target.approved.document
    out: dict[str, Any] = {}
    for derived in target.rtype.derived:
        if not derived.applies(document):
            continue
        field_name = dotted("/spec" + derived.field)
        why = f"{dotted(derived.when)} is {derived.equals}: {field_name} is read from"
        params = derived.path_params(document)
        if params is None:
            missing = ", ".join(dotted(p) for p in derived.missing(document))
            return out, (
                f"{why} {derived.source.operation_id} by {missing}, which the configuration"
                f" does not state: add {missing}, or change {dotted(derived.when)}"
            )
        key = _source_key(derived, params)
        named = f"{derived.source.operation_id} {_described(derived, params)}"
        if key not in sources.answers:
            return out, f"{why} {named}, which the plan did not read"
        answer = sources.answers[key]
        if answer is None:
            return out, (
                f"{why} {named}, which the org does not have (404): name one that exists,"
                f" or change {dotted(derived.when)}"
            )
        found, value = derived.value_in(answer)
        if not found:
            return out, f"{why} {named}, which answers nothing at {derived.take}"
        out[derived.field] = value
    return out, None


def _source_key(derived: DerivedField, params: Mapping[str, str]) -> SourceKey:
    return (derived.source.operation_id, tuple(sorted(params.items())))


def _described(derived: DerivedField, params: Mapping[str, str]) -> str:
    """``userId=… (metadata.userId)``: each parameter with where the file gives it."""
    return ", ".join(f"{name}={params[name]} ({dotted(ptr)})" for name, ptr in derived.params)


def _creates(target: Target, spec: Mapping[str, Any]) -> list[Change]:
    """A create's changes: every top-level managed field, the org having none."""
    rtype = target.rtype
    out = []
    for key, value in spec.items():
        ptr = "/" + escape(key_text(key))
        if rtype.is_server_owned(ptr) or value is None:
            continue
        out.append(Change(ptr, value, None, in_org=False))
    return sorted(out, key=lambda c: c.pointer)


def _lined(target: Target, changes: list[Change]) -> tuple[PlannedChange, ...]:
    return tuple(PlannedChange(c, _line(target, c.pointer)) for c in changes)


def _line(target: Target, ptr: str) -> int:
    """The file line stating a change; for a derived field, the line that asks for it."""
    approved = target.approved
    derived = target.rtype.derived_at(ptr)
    if derived is None:
        return approved.line_of(ptr)
    line: int = approved.entry.document.line_of(derived.when)
    return line


def _refused_key(refused: Refused) -> tuple[str, str, str]:
    return (refused.file, refused.kind, refused.name)
