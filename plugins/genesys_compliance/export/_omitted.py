"""What an export leaves out of the org's answers, and why: never a field dropped silently.

Two views of one rule. :func:`omissions` reads the contract alone: every
field the org's answers declare that no configuration file will hold, with
its reason (the README's list is this list). An export records the same
reasons for what it actually met (:attr:`ExportResult.left_out`), so a test
can hold the two together: whatever the org returns and the export drops is
on the documented list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from genesys_compliance.config import escape, pointer_tokens
from genesys_compliance.export._schema import SchemaIndex
from genesys_compliance.export._table import NAME_POINTER

if TYPE_CHECKING:
    from collections.abc import Mapping

    from genesys_compliance.contract import Contract, ResourceType, ResponseSpec
    from genesys_compliance.export._schema import Node

__all__ = [
    "DERIVED",
    "DOCUMENT",
    "NOT_IN_PAYLOAD",
    "NULL",
    "PARENT",
    "REASONS",
    "SERVER_OWNED",
    "UNSOURCED",
    "LeftOut",
    "Source",
    "omissions",
    "omissions_markdown",
]

Source = Literal["resource", "parent", "document"]

SERVER_OWNED = "server-owned"
DERIVED = "derived"
NOT_IN_PAYLOAD = "not in the payload"
NULL = "null"
PARENT = "parent"
DOCUMENT = "document"
UNSOURCED = "unsourced derivation"

# What each reason means, for people (the README and ``--json``).
REASONS: dict[str, str] = {
    SERVER_OWNED: "the org sets it (the table's serverOwned): apply reads it, no file states it",
    DERIVED: "the plan derives it from another read (the table's derived): no file states it",
    NOT_IN_PAYLOAD: "the org answers it, but the payload schema of the kind (its spec) lacks it",
    NULL: "the org answered null: an absent field means the same to plan and apply",
    PARENT: "a field of the parent the items are read through, not of any one item",
    DOCUMENT: "a field of the parent's document of items (its token, its id), not of an item",
    UNSOURCED: "left out while it turns on a derived field whose read needs a metadata field "
    "no answer of the org holds: stated, the plan could not check the file",
}


@dataclass(frozen=True, slots=True, order=True)
class LeftOut:
    """One field of the org's answers that no exported file holds.

    Attributes:
        kind: The configuration kind whose reads answered it.
        source: ``resource`` (the resource's own body), ``parent`` (the
            entity a container kind's items are read through: the queue) or
            ``document`` (the parent's document that lists the items).
        pointer: Where, as a pattern: ``*`` stands for any list index or map key.
        reason: One of :data:`REASONS`.
        count: How many times an export met it (0 in :func:`omissions`).
    """

    kind: str
    source: Source
    pointer: str
    reason: str
    count: int = 0

    @property
    def where(self) -> tuple[str, str, str]:
        """Kind, source and pointer: what a recorded field and a documented one share."""
        return (self.kind, self.source, self.pointer)

    def to_dict(self) -> dict[str, object]:
        """Plain data for ``--json``."""
        return {
            "kind": self.kind,
            "source": self.source,
            "pointer": self.pointer,
            "reason": self.reason,
            "count": self.count,
        }


def omissions(contract: Contract) -> tuple[LeftOut, ...]:
    """Every field the contract says the org answers and an export leaves out, sorted.

    Read from each kind's listing (or parent document) response schema, the
    kind's payload schema and the resource table; the same decisions as an
    export makes on data (see ``_shape``), taken on the schemas.
    """
    index = SchemaIndex(contract.document)
    schemas = contract.document["x-genesys-compliance"]["kindSchemas"]
    out: list[LeftOut] = []
    for rtype in contract.resources:
        payload = index.named(schemas[rtype.kind])
        out.extend(_Walk(rtype, index, payload).resource())
    return tuple(sorted(set(out)))


def decide(rtype: ResourceType, pointer: str) -> str | None:
    """The reason a resource pointer is left out by the table alone, or ``None``."""
    if rtype.is_server_owned(pointer):
        return SERVER_OWNED
    if rtype.derived_at(pointer) is not None:
        return DERIVED
    return None


def omissions_markdown(found: tuple[LeftOut, ...]) -> str:
    """The README's table of fields left out: kind, where, field, why."""
    lines = ["| kind | read from | field | why it is left out |", "|---|---|---|---|"]
    for item in found:
        lines.append(f"| {item.kind} | {item.source} | `{item.pointer}` | {REASONS[item.reason]} |")
    return "\n".join(lines) + "\n"


class _Walk:
    """One kind's answers walked on the schemas, with the decisions of an export."""

    def __init__(self, rtype: ResourceType, index: SchemaIndex, payload: Node) -> None:
        self.rtype = rtype
        self.index = index
        self.payload = payload
        self.moved = {field.resource for field in rtype.match}
        self.path: set[tuple[tuple[int, ...], tuple[int, ...]]] = set()

    def resource(self) -> list[LeftOut]:
        rtype, index = self.rtype, self.index
        container = rtype.container
        placed = {field.config[0] for field in rtype.match}
        placed |= {container.config} if container is not None else set()
        out = [
            LeftOut(rtype.kind, "resource", derived.when[len("/spec") :], UNSOURCED)
            for derived in rtype.derived
            if derived.when.startswith("/spec/")
            and any(ptr not in placed for _, ptr in derived.params)
        ]
        if container is None:
            listing = index.at(_answer(rtype.operation("list").responses))
            self.fields(index.descend(listing, "/entities/*"), self.payload, "", out)
            return out
        document = index.at(_answer(rtype.operation("get").responses))
        self.fields(index.descend(document, container.items + "/*"), self.payload, "", out)
        first = pointer_tokens(container.items)[0]
        out.extend(
            LeftOut(rtype.kind, "document", "/" + escape(name), DOCUMENT)
            for name in document.properties
            if name != first
        )
        if container.parents is not None:
            parents = index.descend(index.at(_answer(container.parents.responses)), "/entities/*")
            kept = {container.parent_id, NAME_POINTER}
            out.extend(
                LeftOut(rtype.kind, "parent", "/" + escape(name), PARENT)
                for name in parents.properties
                if "/" + escape(name) not in kept
            )
        return out

    def fields(self, answered: Node, payload: Node, at: str, out: list[LeftOut]) -> None:
        seen = (tuple(map(id, answered.schemas)), tuple(map(id, payload.schemas)))
        if seen in self.path:
            return  # a recursive schema (an expression's children): its fields are listed above
        self.path.add(seen)
        for name, schema in answered.properties.items():
            ptr = f"{at}/{escape(name)}"
            if ptr in self.moved:
                continue  # kept in metadata (or the spec) under the table's config pointer
            reason = decide(self.rtype, ptr)
            below = _member(self.index, payload, name)
            if reason is None and below is None:
                reason = NOT_IN_PAYLOAD
            if reason is not None:
                out.append(LeftOut(self.rtype.kind, "resource", ptr, reason))
                continue
            assert below is not None
            self.inside(self.index.node(schema), below, ptr, out)
        self.path.discard(seen)

    def inside(self, answered: Node, payload: Node, at: str, out: list[LeftOut]) -> None:
        if answered.properties:
            self.fields(answered, payload, at, out)
            return
        items = answered.item_schemas()
        if items:
            self.inside(self.index.node(items), self.index.child(payload, "*"), f"{at}/*", out)


def _member(index: SchemaIndex, payload: Node, name: str) -> Node | None:
    """The payload's node for a member, or ``None`` when the payload has no place for it."""
    if payload.free:
        return payload
    schemas, declared = payload.member_schemas(name)
    if declared or schemas:
        return index.node(schemas)
    return payload if payload.allows_others() else None


def _answer(responses: Mapping[str, ResponseSpec]) -> str:
    """The pointer to an operation's 200 JSON schema.

    Raises:
        LookupError: The operation documents none (the resource table's check
            makes every listing and get document one).
    """
    found = responses.get("200")
    if found is None or "application/json" not in found.media_types:
        raise LookupError("the operation documents no 200 JSON answer")
    return found.media_types["application/json"]
