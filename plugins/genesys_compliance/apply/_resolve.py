"""Which resource each approved configuration targets, found in what the org read returned.

A configuration that names its resource (the table's match fields) targets
the one resource with those values, or creates it when the table says it can
be created under them. One that names none (a layout without ``layoutId``)
adopts the one resource with its natural key, so applying it twice never
creates twice; with none it creates. Anything else is blocked with a reason:
an id the org does not have and cannot be given, two resources with one
natural key, a resource another configuration of the run already targets.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from genesys_compliance.config import dotted

if TYPE_CHECKING:
    from collections.abc import Sequence

    from genesys_compliance.apply._gate import Approved
    from genesys_compliance.apply._read import OrgReading
    from genesys_compliance.client import Resource
    from genesys_compliance.contract import MatchField, ResourceKey, ResourceTable, ResourceType

__all__ = ["MatchedBy", "Target", "resolve"]

MatchedBy = Literal["identity", "naturalKey"]


@dataclass(frozen=True, slots=True, eq=False)
class Target:
    """What one configuration targets.

    Attributes:
        approved: The configuration.
        rtype: Its kind's resource type.
        resource: The resource found, or ``None`` (create, or blocked).
        matched_by: How it was found.
        key: Where the resource is or will be, when known.
        token: The precondition of the write: the resource's token, or for a
            new item of a container, the container's.
        correlation_id: The org's correlation id of the read that saw it.
        blocked: Why nothing can be planned, when nothing can.
    """

    approved: Approved
    rtype: ResourceType
    resource: Resource | None = None
    matched_by: MatchedBy | None = None
    key: ResourceKey | None = None
    token: int | str | None = None
    correlation_id: str | None = None
    blocked: str | None = None


def resolve(
    table: ResourceTable, reading: OrgReading, approved: Sequence[Approved]
) -> list[Target]:
    """Find each configuration's resource; configurations in, targets out, same order."""
    by_kind: dict[str, list[Approved]] = defaultdict(list)
    for item in approved:
        by_kind[item.kind].append(item)
    found: dict[int, Target] = {}
    for kind, members in by_kind.items():
        for target in _Kind(table[kind], reading).resolve(members):
            found[id(target.approved)] = target
    return [found[id(a)] for a in approved]


class _Kind:
    """Resolution of one kind's configurations against one kind's reads."""

    def __init__(self, rtype: ResourceType, reading: OrgReading) -> None:
        self.rtype = rtype
        self.reading = reading
        self.by_match: dict[tuple[str | None, tuple[str, ...]], list[Resource]] = defaultdict(list)
        self.by_natural: dict[tuple[str | None, tuple[str, ...]], list[Resource]] = defaultdict(
            list
        )
        for (kind, parent), listing in reading.listings.items():
            if kind != rtype.kind:
                continue
            for resource in listing:
                values = rtype.resource_match(resource.body)
                if values is not None:
                    self.by_match[(parent, values)].append(resource)
                natural = rtype.resource_natural_key(resource.body)
                if natural is not None:
                    self.by_natural[(parent, natural)].append(resource)
        self.claims: dict[ResourceKey, str] = {}
        self.creating: dict[tuple[str | None, tuple[str, ...]], str] = {}

    def resolve(self, members: list[Approved]) -> list[Target]:
        named = [m for m in members if self.rtype.match_values(m.document) is not None]
        unnamed = [m for m in members if self.rtype.match_values(m.document) is None]
        return [self.by_identity(m) for m in named] + [self.by_natural_key(m) for m in unnamed]

    def parent(self, item: Approved) -> tuple[str | None, Target | None]:
        rtype = self.rtype
        if rtype.container is None:
            return None, None
        parent = rtype.parent_of(item.document)
        if parent is None or (rtype.kind, parent) in self.reading.missing_parents:
            where = dotted(rtype.container.config)
            return parent, Target(
                item,
                rtype,
                blocked=f"the org has no {rtype.container.parameter} {parent} ({where})",
            )
        return parent, None

    def by_identity(self, item: Approved) -> Target:
        rtype = self.rtype
        parent, blocked = self.parent(item)
        if blocked is not None:
            return blocked
        values = rtype.match_values(item.document)
        assert values is not None
        candidates = self.by_match.get((parent, values), [])
        described = _describe(rtype.match, values)
        if len(candidates) > 1:
            return Target(item, rtype, blocked=f"{len(candidates)} resources have {described}")
        if candidates:
            return self.found(item, candidates[0], "identity")
        if not rtype.has("create"):
            return Target(
                item,
                rtype,
                blocked=f"the org has no {described} and the contract cannot create one",
            )
        if not rtype.creatable:
            return Target(
                item,
                rtype,
                blocked=f"the org has no {described}; the org assigns it, so a create cannot",
            )
        return self.create(item, parent, rtype.key_for(item.document))

    def by_natural_key(self, item: Approved) -> Target:
        rtype = self.rtype
        parent, blocked = self.parent(item)
        if blocked is not None:
            return blocked
        natural = rtype.natural_key_values(item.document)
        if natural is None:
            return self.create(item, parent, None)
        candidates = self.by_natural.get((parent, natural), [])
        described = _describe(rtype.natural_key, natural)
        if len(candidates) > 1:
            hint = dotted(rtype.match[0].config[0])
            return Target(
                item,
                rtype,
                blocked=f"{len(candidates)} resources have {described}; name one with {hint}",
            )
        if candidates:
            return self.found(item, candidates[0], "naturalKey")
        other = self.creating.get((parent, natural))
        if other is not None:
            return Target(item, rtype, blocked=f"{other} creates a resource with {described} too")
        self.creating[(parent, natural)] = item.id
        return self.create(item, parent, None)

    def found(self, item: Approved, resource: Resource, how: MatchedBy) -> Target:
        other = self.claims.get(resource.key)
        if other is not None:
            return Target(
                item, self.rtype, blocked=f"{resource.key} is already targeted by {other}"
            )
        self.claims[resource.key] = item.id
        return Target(
            item,
            self.rtype,
            resource=resource,
            matched_by=how,
            key=resource.key,
            token=resource.token,
            correlation_id=resource.correlation_id,
        )

    def create(self, item: Approved, parent: str | None, key: ResourceKey | None) -> Target:
        listing = self.reading.listings.get((self.rtype.kind, parent))
        token = listing.parent_token if listing is not None and parent is not None else None
        correlation = listing.correlation_ids[-1] if listing and listing.correlation_ids else None
        return Target(item, self.rtype, key=key, token=token, correlation_id=correlation)


def _describe(fields: tuple[MatchField, ...], values: tuple[str, ...]) -> str:
    return ", ".join(f"{dotted(f.config[0])}={v}" for f, v in zip(fields, values, strict=True))
