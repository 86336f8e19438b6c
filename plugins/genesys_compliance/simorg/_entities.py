"""The org's writable entity types: where each lives, which token guards it, its public view.

One table, so that the operations, the audit trail and the faults that change
an entity behind a client's back all agree on what "the entity" and "its
version" are.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from genesys_compliance.config import pointer_tokens

if TYPE_CHECKING:
    from genesys_compliance.simorg._state import OrgState

__all__ = [
    "ENTITY_TYPES",
    "GUARDED",
    "SERVER_OWNED",
    "EntityType",
    "find_entity_type",
    "next_token",
    "set_field",
    "store",
    "view",
]


@dataclass(frozen=True)
class EntityType:
    """One writable entity type of the org.

    Attributes:
        name: The audit trail's ``entityType`` (and the control interface's).
        kind: The configuration kind whose resource it is.
        collection: The ``OrgState`` map holding the entities, by id.
        token: The field a write must quote: ``version`` (an integer) or ``etag``.
        schema: The contract schema the public view fits.
        stamped: Whether a write sets ``modifiedDate``.
    """

    name: str
    kind: str
    collection: str
    token: str
    schema: str
    stamped: bool = False


ENTITY_TYPES: dict[str, EntityType] = {
    t.name: t
    for t in (
        EntityType("layouts", "DesktopLayout", "layouts", "version", "DesktopLayoutEntity", True),
        EntityType("flows", "FlowSettings", "flows", "version", "Flow", True),
        EntityType("strategies", "RoutingStrategy", "strategies", "version", "QueueStrategies"),
        EntityType("triggerRules", "TriggerRule", "trigger_rules", "etag", "TriggerRuleEntity"),
        EntityType("routingRules", "RoutingRule", "routing_rules", "version", "RoutingRuleEntity"),
    )
}

# operationId -> (entity type, path parameter naming the entity) of every guarded write.
GUARDED: dict[str, tuple[str, str]] = {
    "updateDesktopLayout": ("layouts", "layoutId"),
    "patchFlowSettings": ("flows", "flowId"),
    "patchQueueStrategies": ("strategies", "queueId"),
    "updateTriggerRule": ("triggerRules", "ruleId"),
    "patchRoutingRule": ("routingRules", "ruleId"),
    "deleteRoutingRule": ("routingRules", "ruleId"),
}

# Top-level fields the org owns: no client (nor a simulated colleague) sets them.
SERVER_OWNED = frozenset(
    {"id", "version", "etag", "selfUri", "modifiedDate", "createdDate", "queueId"}
)


def find_entity_type(name: str) -> EntityType:
    """The entity type named by its audit name (``routingRules``) or kind (``RoutingRule``).

    Raises:
        ValueError: No writable entity type has that name.
    """
    found = ENTITY_TYPES.get(name) or next(
        (t for t in ENTITY_TYPES.values() if t.kind == name), None
    )
    if found is None:
        raise ValueError(f"unknown entity type {name!r} (known: {', '.join(ENTITY_TYPES)})")
    return found


def view(state: OrgState, etype: EntityType, ident: str) -> dict[str, Any] | None:
    """A deep copy of the entity as a GET shows it (without ``selfUri``), or ``None``."""
    collection: dict[str, dict[str, Any]] = getattr(state, etype.collection)
    stored = collection.get(ident)
    if stored is None:
        return None
    if etype.name == "strategies":
        return {
            "queueId": ident,
            "version": stored["version"],
            "strategies": copy.deepcopy(stored["items"]),
        }
    return copy.deepcopy(stored)


def store(state: OrgState, etype: EntityType, ident: str, public: dict[str, Any]) -> None:
    """Keep ``public`` (a view) as the entity's new state."""
    collection: dict[str, dict[str, Any]] = getattr(state, etype.collection)
    if etype.name == "strategies":
        collection[ident] = {"version": public["version"], "items": public["strategies"]}
    else:
        collection[ident] = {k: v for k, v in public.items() if k != "selfUri"}


def next_token(etype: EntityType, current: Any) -> int | str:
    """The token after ``current``: the next version, or the next etag."""
    if etype.token == "etag":
        return str(int(current) + 1)
    return int(current) + 1


def set_field(public: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    """A copy of ``public`` with the JSON pointer ``field`` set to ``value``.

    The parent of the field must exist; a list index must be inside the list
    (``-`` appends), as RFC 6902's ``add`` would have it.

    Raises:
        ValueError: The pointer is malformed, names a server-owned field, or
            has no parent to hold the value.
    """
    if not field.startswith("/"):
        raise ValueError(f"field {field!r} is not a JSON pointer (it starts with '/')")
    tokens = pointer_tokens(field)
    if tokens[0] in SERVER_OWNED:
        raise ValueError(f"field {field!r} is owned by the org; a write never sets it")
    changed = copy.deepcopy(public)
    parent: Any = changed
    for depth, token in enumerate(tokens[:-1]):
        parent = _step(parent, token, field, depth)
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = copy.deepcopy(value)
    elif isinstance(parent, list):
        if last == "-":
            parent.append(copy.deepcopy(value))
        else:
            index = _index(parent, last, field)
            parent[index] = copy.deepcopy(value)
    else:
        raise ValueError(f"field {field!r}: its parent is not an object or a list")
    return changed


def _step(node: Any, token: str, field: str, depth: int) -> Any:
    if isinstance(node, dict):
        if token not in node:
            raise ValueError(f"field {field!r}: {token!r} does not exist (step {depth + 1})")
        return node[token]
    if isinstance(node, list):
        return node[_index(node, token, field)]
    raise ValueError(f"field {field!r}: step {depth + 1} walks into a scalar")


def _index(items: list[Any], token: str, field: str) -> int:
    if not token.isdigit() or (len(token) > 1 and token.startswith("0")):
        raise ValueError(f"field {field!r}: {token!r} is not a list index")
    index = int(token)
    if index >= len(items):
        raise ValueError(f"field {field!r}: index {index} is past the list's end")
    return index
