"""Which schema describes the value at a data pointer: how the resource table is checked.

A pointer the table names must be one the contract declares, so a typo or a
renamed field fails when the contract loads, not as a silent no-change in a
plan. Only declared members count: ``properties``, ``patternProperties`` and a
schema-valued ``additionalProperties``; an open object names nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from genesys_compliance.config import escape, pointer_tokens

__all__ = ["WILDCARD", "node_at", "requires", "schemas_at", "types_of"]

# In a pattern, one step that matches any key or index.
WILDCARD = "*"
_MAX_DEPTH = 64


def node_at(document: Mapping[str, Any], pointer: str) -> Any:
    """The document's node at a JSON pointer into the document itself.

    Raises:
        KeyError: The pointer leads nowhere.
    """
    node: Any = document
    for token in pointer_tokens(pointer):
        if isinstance(node, list) and token.isdigit():
            node = node[int(token)]
        elif isinstance(node, Mapping) and token in node:
            node = node[token]
        else:
            raise KeyError(f"no {pointer!r} in the document")
    return node


def schemas_at(
    document: Mapping[str, Any], schema: Any, data_pointer: str
) -> list[Mapping[str, Any]]:
    """Every schema that constrains the value at ``data_pointer``; empty when none declares it.

    Digits step into ``items``, ``*`` into ``items`` or any declared member,
    other steps into the member they name.
    ``$ref`` and the ``allOf``/``anyOf``/``oneOf`` branches are followed.
    """
    current = _expand(document, schema, 0)
    for token in pointer_tokens(data_pointer):
        following: list[Mapping[str, Any]] = []
        for node in current:
            for child in _children(node, token):
                following.extend(_expand(document, child, 0))
        if not following:
            return []
        current = following
    return current


def requires(document: Mapping[str, Any], schema: Any, data_pointer: str) -> bool:
    """Whether the schema makes the member at ``data_pointer`` required in its parent."""
    tokens = pointer_tokens(data_pointer)
    if not tokens:
        return True
    parent = "".join("/" + escape(t) for t in tokens[:-1])
    return any(
        tokens[-1] in node.get("required", ()) for node in schemas_at(document, schema, parent)
    )


def types_of(schemas: list[Mapping[str, Any]]) -> set[str]:
    """The JSON types the schemas name (``array`` when only ``items`` says so)."""
    found: set[str] = set()
    for node in schemas:
        declared = node.get("type")
        if isinstance(declared, str):
            found.add(declared)
        elif isinstance(declared, list):
            found.update(str(t) for t in declared)
        elif "items" in node:
            found.add("array")
    return found


def _expand(document: Mapping[str, Any], schema: Any, depth: int) -> list[Mapping[str, Any]]:
    """The schema, its reference followed, with the branches of its combinators."""
    if depth > _MAX_DEPTH or not isinstance(schema, Mapping):
        return []
    out: list[Mapping[str, Any]] = []
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#"):
        out.extend(_expand(document, node_at(document, ref[1:]), depth + 1))
    out.append(schema)
    for keyword in ("allOf", "anyOf", "oneOf"):
        for branch in schema.get(keyword, ()):
            out.extend(_expand(document, branch, depth + 1))
    return out


def _children(node: Mapping[str, Any], token: str) -> list[Any]:
    items = node.get("items")
    extra = node.get("additionalProperties")
    if token == WILDCARD:  # any one step: an item, or any declared member
        found = [items] if isinstance(items, Mapping) else []
        found.extend(node.get("properties", {}).values())
        found.extend(node.get("patternProperties", {}).values())
        found.extend([extra] if isinstance(extra, Mapping) else [])
        return found
    if token.isdigit() and isinstance(items, Mapping):
        return [items]
    properties = node.get("properties", {})
    if token in properties:
        return [properties[token]]
    matched = [
        child
        for pattern, child in node.get("patternProperties", {}).items()
        if re.search(pattern, token)
    ]
    if matched:
        return matched
    return [extra] if isinstance(extra, Mapping) else []
