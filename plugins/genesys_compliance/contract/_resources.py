"""The resource table as typed values: what plan, apply and export know about each kind.

Declared once, as ``x-genesys-compliance.resources`` of the contract document,
read and checked by ``_resources_check``. Callers ask these values (which
operation lists a kind, where its token is, which lists are sets) instead of
branching on a kind's name.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

from genesys_compliance.config import pointer_tokens
from genesys_compliance.contract._schema_paths import WILDCARD

if TYPE_CHECKING:
    from genesys_compliance.contract._operations import Operation

__all__ = [
    "ROLES",
    "Container",
    "DerivedField",
    "MatchField",
    "ResourceKey",
    "ResourceTable",
    "ResourceType",
    "TokenSend",
    "TokenSpec",
    "WriteMode",
    "lookup",
    "value_text",
]

ROLES = ("list", "get", "create", "update", "delete")

TokenSend = Literal["body", "if-match", "none"]
WriteMode = Literal["replace", "merge"]
Scalar = str | int | float | bool | None


@dataclass(frozen=True, slots=True, order=True)
class ResourceKey:
    """Where one resource is on the org.

    Attributes:
        params: Path parameters of its get, update and delete, sorted by name.
        item: For an item of a container document, the item's match fields
            (resource pointer, value), sorted: which item of the document it is.
    """

    params: tuple[tuple[str, str], ...]
    item: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, params: Mapping[str, str], item: Mapping[str, str] | None = None) -> ResourceKey:
        """Build a key from mappings, in a canonical order."""
        return cls(tuple(sorted(params.items())), tuple(sorted((item or {}).items())))

    @property
    def path_params(self) -> dict[str, str]:
        """The path parameters as a mapping, as ``Operation.expand`` takes them."""
        return dict(self.params)

    def to_dict(self) -> dict[str, str]:
        """Plain data for plans and audit records: parameters, then item fields by name."""
        out = dict(self.params)
        for ptr, value in self.item:
            out[".".join(pointer_tokens(ptr))] = value
        return out

    def __str__(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.to_dict().items())


@dataclass(frozen=True, slots=True)
class MatchField:
    """One field by which a configuration finds its resource.

    Attributes:
        config: Pointers into the configuration document; the first present
            gives the value (``metadata.ruleId``, else ``spec.id``).
        resource: Pointer into the resource holding the same value.
        creatable: A create can give a resource this value; an id the org
            assigns is not, so a configuration naming a missing one cannot be
            created under it.
    """

    config: tuple[str, ...]
    resource: str
    creatable: bool = True

    def value_in(self, document: Any) -> str | None:
        """The field's value in a configuration document, as text; ``None`` when absent."""
        for ptr in self.config:
            found, value = lookup(document, ptr)
            if found and value is not None:
                return value_text(value)
        return None


@dataclass(frozen=True, slots=True)
class TokenSpec:
    """The concurrency token of a kind.

    Attributes:
        pointer: Where the resource (or its container) holds it.
        send: How a guarded write carries it: ``body`` (at ``pointer``),
            ``if-match`` (the header) or ``none``.
        header: The response header repeating it (``ETag``), if any.
    """

    pointer: str
    send: TokenSend
    header: str | None = None

    def read(self, body: Any, headers: Mapping[str, str] | None = None) -> int | str | None:
        """The token of a resource as read: from the body, else from the header."""
        found, value = lookup(body, self.pointer)
        if found and isinstance(value, int | str) and not isinstance(value, bool):
            return value
        if self.header and headers is not None:
            raw = headers.get(self.header)
            if raw:
                text = raw.strip()
                return (text[2:] if text.startswith("W/") else text).strip('"')
        return None


@dataclass(frozen=True, slots=True)
class Container:
    """Resources kept as items of one document per parent (a queue's strategies).

    Attributes:
        parameter: The parent's path parameter (``queueId``).
        config: Where a configuration names its parent (``/metadata/queueId``).
        items: Where the document lists its items (``/strategies``).
        parents: The listing of every parent, for reading all items (export).
        parent_id: Where a parent of that listing holds its id.
        page_size: The largest page the parents' listing allows.
    """

    parameter: str
    config: str
    items: str
    parents: Operation | None
    parent_id: str
    page_size: int

    def parent_in(self, entity: Any) -> str | None:
        """The id of a parent as its listing answers it."""
        found, value = lookup(entity, self.parent_id)
        return value_text(value) if found and value is not None else None

    def items_in(self, document: Any) -> list[dict[str, Any]]:
        """The items of a parent's document (none when it lists none)."""
        found, items = lookup(document, self.items)
        if not found or not isinstance(items, list):
            return []
        return [item for item in items if isinstance(item, dict)]


@dataclass(frozen=True, slots=True)
class DerivedField:
    """A managed field no file states: the plan reads its value from the org.

    A layout inheriting a user's preferences carries them in its body, so the
    desktop shows them; the file names the user, the org holds the
    preferences. The value is compared and written whole: what left the
    source leaves the resource too.

    Attributes:
        field: Payload pointer of the field (``/user_preference_override``).
        when: Configuration pointer whose value switches the derivation on.
        equals: The value ``when`` must hold (``user-preference``).
        source: The read the value comes from (``getUserPreferences``).
        params: The source's path parameters, each with the configuration
            pointer giving it, sorted by name.
        take: Pointer into the source's answer (``/preferences/desktop``).
        default: ``(value,)`` taken where the answer holds nothing at
            ``take``; ``()`` when it must hold something.
    """

    field: str
    when: str
    equals: Scalar
    source: Operation
    params: tuple[tuple[str, str], ...]
    take: str
    default: tuple[Any, ...] = ()

    def applies(self, document: Any) -> bool:
        """Whether a configuration document asks for the derivation."""
        found, value = lookup(document, self.when)
        return (
            found
            and isinstance(value, bool) == isinstance(self.equals, bool)
            and value == self.equals
        )

    def missing(self, document: Any) -> tuple[str, ...]:
        """The configuration pointers of source parameters the document does not state."""
        return tuple(ptr for _, ptr in self.params if _stated(document, ptr) is None)

    def path_params(self, document: Any) -> dict[str, str] | None:
        """The source's path parameters as the document gives them; ``None`` when one is missing."""
        out: dict[str, str] = {}
        for name, ptr in self.params:
            value = _stated(document, ptr)
            if value is None:
                return None
            out[name] = value
        return out

    def value_in(self, answer: Any) -> tuple[bool, Any]:
        """The field's value from the source's answer: ``(found, value)``, a copy."""
        found, value = lookup(answer, self.take)
        if found:
            return True, copy.deepcopy(value)
        if self.default:
            return True, copy.deepcopy(self.default[0])
        return False, None

    def covers(self, ptr: str) -> bool:
        """Whether a payload pointer is the field or lies inside it."""
        return ptr == self.field or ptr.startswith(self.field + "/")


@dataclass(frozen=True)
class ResourceType:
    """Everything the table says about one kind's resource.

    Attributes:
        kind: The configuration kind.
        operations: Operation per role (``list``, ``get``, ``create``,
            ``update``, ``delete``); roles the contract lacks are absent.
        id_pointer: Where a resource holds its id (``None`` for container items).
        id_parameter: The path parameter the id fills.
        container: Set when resources are items of a parent's document.
        match: How a configuration finds its resource.
        natural_key: How to find a resource without its id.
        token: The concurrency token.
        write: ``replace`` (the body becomes the resource) or ``merge``
            (items the body does not name keep theirs).
        sets: Payload pointer patterns of lists that compare unordered.
        server_owned: Resource pointers the org owns.
        page_size: The largest page the listing allows: fewest requests.
        guards: How each write role's operation carries the token (``body``
            or ``if-match``); a role absent here is unguarded.
        order: Position in the order writes go in.
        derived: Managed fields the plan reads from the org, not from the file.
    """

    kind: str
    operations: Mapping[str, Operation]
    id_pointer: str | None
    id_parameter: str | None
    container: Container | None
    match: tuple[MatchField, ...]
    natural_key: tuple[MatchField, ...]
    token: TokenSpec
    write: WriteMode
    sets: tuple[str, ...]
    server_owned: tuple[str, ...]
    page_size: int
    guards: Mapping[str, TokenSend]
    order: int
    derived: tuple[DerivedField, ...] = ()

    def has(self, role: str) -> bool:
        """Whether the contract has an operation for ``role``."""
        return role in self.operations

    def operation(self, role: str) -> Operation:
        """The operation serving ``role``.

        Raises:
            LookupError: The contract has none for this kind.
        """
        try:
            return self.operations[role]
        except KeyError:
            raise LookupError(f"the contract has no {role} operation for {self.kind}") from None

    def is_guarded(self, role: str) -> bool:
        """Whether the write of ``role`` carries the token (its precondition)."""
        return role in self.guards

    def is_set(self, ptr: str) -> bool:
        """Whether the list at a payload pointer compares unordered."""
        tokens = pointer_tokens(ptr)
        return any(_matches(pointer_tokens(pattern), tokens) for pattern in self.sets)

    def is_server_owned(self, ptr: str) -> bool:
        """Whether a pointer is, or lies inside, a field the org owns."""
        return any(ptr == owned or ptr.startswith(owned + "/") for owned in self.server_owned)

    def derived_at(self, ptr: str) -> DerivedField | None:
        """The derived field a payload pointer is, or lies inside; ``None`` for a stated one."""
        return next((d for d in self.derived if d.covers(ptr)), None)

    @property
    def identity_pointers(self) -> tuple[str, ...]:
        """Payload pointers that hold the identity (``/flowId``): equal by construction."""
        return tuple(
            ptr[len("/spec") :]
            for field in self.match
            for ptr in field.config
            if ptr.startswith("/spec/")
        )

    def parent_of(self, document: Any) -> str | None:
        """The parent a configuration names (container kinds only)."""
        if self.container is None:
            return None
        found, value = lookup(document, self.container.config)
        return value_text(value) if found and value is not None else None

    def match_values(self, document: Any) -> tuple[str, ...] | None:
        """A configuration's match values; ``None`` when it names no resource (create)."""
        return _values(self.match, document)

    def natural_key_values(self, document: Any) -> tuple[str, ...] | None:
        """A configuration's natural key; ``None`` when it states none."""
        return _values(self.natural_key, document)

    @property
    def creatable(self) -> bool:
        """Whether a configuration naming a missing resource may create it under that name."""
        return self.has("create") and all(field.creatable for field in self.match)

    def resource_match(self, body: Any) -> tuple[str, ...] | None:
        """A resource's values of the match fields."""
        return _resource_values(self.match, body)

    def resource_natural_key(self, body: Any) -> tuple[str, ...] | None:
        """A resource's natural key."""
        return _resource_values(self.natural_key, body)

    def key_of(self, body: Any, parent: str | None = None) -> ResourceKey:
        """Where a resource as read is.

        Raises:
            ValueError: The body lacks its id, or a container item its parent
                or match fields.
        """
        if self.container is not None:
            if parent is None:
                raise ValueError(
                    f"{self.kind}: an item needs its parent's {self.container.parameter}"
                )
            values = self.resource_match(body)
            if values is None:
                raise ValueError(f"{self.kind}: the item lacks its match fields")
            item = {f.resource: v for f, v in zip(self.match, values, strict=True)}
            return ResourceKey.of({self.container.parameter: parent}, item)
        assert self.id_pointer is not None
        assert self.id_parameter is not None
        found, value = lookup(body, self.id_pointer)
        if not found or value is None:
            raise ValueError(f"{self.kind}: the resource has no {self.id_pointer}")
        return ResourceKey.of({self.id_parameter: value_text(value)})

    def key_for(self, document: Any) -> ResourceKey | None:
        """Where a configuration's resource is, when the configuration alone says so.

        A container item is always placed (parent and match fields); another
        resource only when a match field is its id. ``None`` otherwise: the
        resource must be found in a listing, or created.
        """
        values = self.match_values(document)
        if values is None:
            return None
        if self.container is not None:
            parent = self.parent_of(document)
            if parent is None:
                return None
            item = {f.resource: v for f, v in zip(self.match, values, strict=True)}
            return ResourceKey.of({self.container.parameter: parent}, item)
        for field, value in zip(self.match, values, strict=True):
            if field.resource == self.id_pointer and self.id_parameter is not None:
                return ResourceKey.of({self.id_parameter: value})
        return None

    def token_of(self, body: Any, headers: Mapping[str, str] | None = None) -> int | str | None:
        """The token of a resource (or of a container document) as read."""
        return self.token.read(body, headers)


@dataclass(frozen=True)
class ResourceTable:
    """Every kind's :class:`ResourceType`, in the order writes go in."""

    types: tuple[ResourceType, ...]

    def __getitem__(self, kind: str) -> ResourceType:
        for rtype in self.types:
            if rtype.kind == kind:
                return rtype
        raise KeyError(f"no resource type for kind {kind!r}")

    def __contains__(self, kind: object) -> bool:
        return any(rtype.kind == kind for rtype in self.types)

    def __iter__(self) -> Iterator[ResourceType]:
        return iter(self.types)

    def __len__(self) -> int:
        return len(self.types)

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kinds, in the order writes go in."""
        return tuple(rtype.kind for rtype in self.types)

    def for_operation(self, operation_id: str) -> tuple[ResourceType, tuple[str, ...]] | None:
        """The resource type an operation serves and its roles there, if any."""
        for rtype in self.types:
            roles = tuple(
                r for r, op in rtype.operations.items() if op.operation_id == operation_id
            )
            if roles:
                return rtype, roles
        return None


# ---------------------------------------------------------------- values


def lookup(data: Any, ptr: str) -> tuple[bool, Any]:
    """The value at a pointer in plain data: ``(found, value)``."""
    node = data
    for token in pointer_tokens(ptr):
        if isinstance(node, Mapping) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False, None
    return True, node


def value_text(value: Any) -> str:
    """An identity value as text: strings as they are, anything else as canonical JSON."""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _stated(document: Any, ptr: str) -> str | None:
    """A value the document states at ``ptr``, as text; an empty one names nothing."""
    found, value = lookup(document, ptr)
    return value_text(value) if found and value is not None and value != "" else None


def _values(fields: tuple[MatchField, ...], document: Any) -> tuple[str, ...] | None:
    if not fields:
        return None
    values = tuple(f.value_in(document) for f in fields)
    return None if any(v is None for v in values) else cast("tuple[str, ...]", values)


def _resource_values(fields: tuple[MatchField, ...], body: Any) -> tuple[str, ...] | None:
    if not fields:
        return None
    out: list[str] = []
    for field in fields:
        found, value = lookup(body, field.resource)
        if not found or value is None:
            return None
        out.append(value_text(value))
    return tuple(out)


def _matches(pattern: list[str], tokens: list[str]) -> bool:
    return len(pattern) == len(tokens) and all(
        p in (WILDCARD, t) for p, t in zip(pattern, tokens, strict=True)
    )
