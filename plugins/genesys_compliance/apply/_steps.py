"""One step per planned configuration: everything a write needs, as plain data the journal keeps.

The executor works from steps, not from the plan's objects, so a run that was
killed can be finished (``resume``) or undone (``rollback``) by another
process from the journal alone: the managed fields, where the resource is,
the values a create places outside the spec, the resource as the plan read
it and its token.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from genesys_compliance.apply._diff import Change
from genesys_compliance.apply._events import Subject
from genesys_compliance.apply._plan import Action
from genesys_compliance.contract import ResourceKey, lookup

if TYPE_CHECKING:
    from genesys_compliance.apply._gate import Approved
    from genesys_compliance.apply._plan import Plan, PlannedResource
    from genesys_compliance.contract import ResourceType

__all__ = ["Step", "StepAction", "key_from_json", "key_to_json", "steps_of"]

StepAction = Literal["create", "update", "no-op"]
Token = int | str


@dataclass(frozen=True, eq=False)
class Step:
    """What apply does for one configuration.

    Attributes:
        index: Position in write order (the journal's name for the step).
        subject: Configuration and (when known) resource.
        action: ``create``, ``update`` or ``no-op``, as planned.
        spec: The managed fields: the ``spec`` as the file states it.
        placed: Resource pointer to value, for fields the configuration
            gives a create outside the spec (``metadata.queueId``).
        parent: The container's id, for kinds kept in containers.
        natural: The natural key's values, to find a create whose answer was lost.
        planned: The resource as the plan read it (``None`` for a create).
        token: The precondition seen at plan time.
        correlation_id: The org's correlation id of the plan's read.
        changes: The plan's changes.
        line: The file line of the spec, for findings without a field.
        approved: The configuration, when the step comes from this process's
            plan (not kept in the journal): for findings' lines.
    """

    index: int
    subject: Subject
    action: StepAction
    spec: dict[str, Any]
    placed: dict[str, Any] = field(default_factory=dict)
    parent: str | None = None
    natural: tuple[str, ...] | None = None
    planned: dict[str, Any] | None = None
    token: Token | None = None
    correlation_id: str | None = None
    changes: tuple[Change, ...] = ()
    line: int = 1
    approved: Approved | None = None

    @property
    def kind(self) -> str:
        """The configuration kind."""
        return self.subject.kind

    @property
    def key(self) -> ResourceKey | None:
        """Where the resource is, when known."""
        return self.subject.resource

    def line_of(self, spec_pointer: str) -> int:
        """The file line of a field of the spec (the spec's line when unknown)."""
        if self.approved is None:
            return self.line
        try:
            return self.approved.line_of(spec_pointer)
        except (KeyError, LookupError, ValueError):
            return self.line

    def to_json(self) -> dict[str, Any]:
        """Plain data for the journal."""
        return {
            "index": self.index,
            "kind": self.subject.kind,
            "name": self.subject.name,
            "config": self.subject.config,
            "file": self.subject.file,
            "resource": key_to_json(self.subject.resource),
            "action": self.action,
            "spec": self.spec,
            "placed": self.placed,
            "parent": self.parent,
            "natural": None if self.natural is None else list(self.natural),
            "planned": self.planned,
            "token": self.token,
            "correlationId": self.correlation_id,
            "changes": [
                {"pointer": c.pointer, "file": c.file, "org": c.org, "inOrg": c.in_org}
                for c in self.changes
            ],
            "line": self.line,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Step:
        """Inverse of :meth:`to_json`.

        Raises:
            KeyError, TypeError, ValueError: The data is not a journal's step.
        """
        natural = data["natural"]
        return cls(
            index=int(data["index"]),
            subject=Subject(
                str(data["kind"]),
                str(data["name"]),
                str(data["config"]),
                str(data["file"]),
                key_from_json(data["resource"]),
            ),
            action=_action(data["action"]),
            spec=dict(data["spec"]),
            placed=dict(data["placed"]),
            parent=data["parent"],
            natural=None if natural is None else tuple(str(v) for v in natural),
            planned=data["planned"],
            token=data["token"],
            correlation_id=data["correlationId"],
            changes=tuple(
                Change(c["pointer"], c["file"], c["org"], bool(c["inOrg"])) for c in data["changes"]
            ),
            line=int(data["line"]),
        )


def steps_of(plan: Plan) -> list[Step]:
    """The plan's entries as steps, in write order.

    Raises:
        ValueError: An entry is blocked (apply refuses such a plan first).
    """
    return [_step(index, entry) for index, entry in enumerate(plan.resources)]


def _step(index: int, entry: PlannedResource) -> Step:
    if entry.action is Action.BLOCKED:
        raise ValueError(f"{entry.config} is blocked: {entry.target.blocked}")
    target = entry.target
    rtype = target.rtype
    approved = target.approved
    document = approved.document
    resource = target.resource
    try:
        line = approved.line_of("")
    except (KeyError, LookupError, ValueError):
        line = 1
    return Step(
        index=index,
        subject=Subject(entry.kind, entry.name, entry.config, entry.file, entry.key),
        action=_action(entry.action.value),
        spec=copy.deepcopy(dict(entry.spec)),  # the derived fields included
        placed=_placed(rtype, document),
        parent=rtype.parent_of(document),
        natural=rtype.natural_key_values(document),
        planned=None if resource is None else copy.deepcopy(resource.body),
        token=entry.token,
        correlation_id=entry.correlation_id,
        changes=tuple(c.change for c in entry.changes),
        line=line,
        approved=approved,
    )


def _placed(rtype: ResourceType, document: Any) -> dict[str, Any]:
    """The values a create takes from the configuration's match and natural-key fields."""
    out: dict[str, Any] = {}
    for match in (*(f for f in rtype.match if f.creatable), *rtype.natural_key):
        for ptr in match.config:
            found, value = lookup(document, ptr)
            if found and value is not None:
                out.setdefault(match.resource, copy.deepcopy(value))
                break
    return out


def key_to_json(key: ResourceKey | None) -> dict[str, Any] | None:
    """A key as journal data (parameters and item fields kept apart)."""
    if key is None:
        return None
    return {"params": dict(key.params), "item": dict(key.item)}


def key_from_json(data: Any) -> ResourceKey | None:
    """Inverse of :func:`key_to_json`."""
    if data is None:
        return None
    return ResourceKey.of(
        {str(k): str(v) for k, v in data["params"].items()},
        {str(k): str(v) for k, v in data["item"].items()},
    )


def _action(value: Any) -> StepAction:
    if value == "create":
        return "create"
    if value == "update":
        return "update"
    if value == "no-op":
        return "no-op"
    raise ValueError(f"a step's action is create, update or no-op, not {value!r}")
