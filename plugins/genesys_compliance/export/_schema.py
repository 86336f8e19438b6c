"""The contract's schemas as export walks them: which members exist, in which order.

A configuration's ``spec`` is the kind's payload schema (``kindSchemas``), so
the schema decides both what an export keeps of a resource and the order its
keys are written in: declared properties in the document's order, then the
members of a map (``additionalProperties``) sorted by name. A value whose
schema declares nothing about it (``configuration: {type: object}``) is kept
whole, its keys sorted, so the bytes never depend on the org's key order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from genesys_compliance.config import pointer_tokens

__all__ = ["Node", "SchemaIndex"]

_MAX_DEPTH = 64


class Node:
    """The schemas that describe one value, references followed and combinators merged.

    Built once per distinct set of schemas (:class:`SchemaIndex` keeps them),
    so a walk over thousands of resources asks each question once.

    Attributes:
        schemas: Every schema object that applies; empty when none describes
            the value (it is then free: kept whole).
        properties: Declared members, in the order the document declares them.
    """

    __slots__ = ("_closed", "_items", "_maps", "properties", "schemas")

    def __init__(self, schemas: tuple[Mapping[str, Any], ...]) -> None:
        self.schemas = schemas
        self.properties: dict[str, Any] = {}
        for schema in schemas:
            for name, child in schema.get("properties", {}).items():
                self.properties.setdefault(name, child)
        self._maps = [
            s["additionalProperties"]
            for s in schemas
            if isinstance(s.get("additionalProperties"), Mapping)
        ]
        self._closed = any(s.get("additionalProperties") is False for s in schemas)
        self._items = [s["items"] for s in schemas if isinstance(s.get("items"), Mapping)]

    @property
    def free(self) -> bool:
        """Whether nothing is declared here: any value is kept as it is."""
        return not self.properties and not self._maps and not self._closed

    def allows_others(self) -> bool:
        """Whether members beyond the declared ones belong to the value."""
        return bool(self._maps) or not self._closed

    def item_schemas(self) -> list[Any]:
        """The schemas of a list's items."""
        return self._items

    def member_schemas(self, name: str) -> tuple[list[Any], bool]:
        """The schemas of one member, and whether it is declared by name (not a map's entry)."""
        declared = [
            s["properties"][name]
            for s in self.schemas
            if isinstance(s.get("properties"), Mapping) and name in s["properties"]
        ]
        return (declared, True) if declared else (self._maps, False)


class SchemaIndex:
    """Schema lookups over one contract document (a copy: the contract's stays untouched)."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self._document = document
        # Schema objects of the document by identity: the document lives as long as the index.
        self._nodes: dict[tuple[int, ...], Node] = {}
        self._empty = Node(())
        self._keep: list[Any] = []  # keeps the ids above from being reused by new objects

    def node(self, schemas: list[Any] | Any) -> Node:
        """The merged node of one schema or several."""
        items = schemas if isinstance(schemas, list) else [schemas]
        key = tuple(map(id, items))
        found = self._nodes.get(key)
        if found is None:
            out: list[Mapping[str, Any]] = []
            for schema in items:
                out.extend(self._expand(schema, 0))
            found = self._nodes[key] = Node(tuple(out))
            self._keep.append(items)
        return found

    def named(self, name: str) -> Node:
        """``components.schemas[name]``."""
        return self.node({"$ref": f"#/components/schemas/{name}"})

    def at(self, pointer: str) -> Node:
        """The schema at a pointer into the document (a response's ``.../schema``)."""
        return self.node({"$ref": "#" + pointer})

    def child(self, node: Node, token: str) -> Node:
        """A member's node (``*``: any item or map entry); empty when nothing declares it."""
        if token == "*" or token.isdigit():
            items = node.item_schemas()
            if items:
                return self.node(items)
            if token.isdigit():
                return self._empty
        schemas, _ = node.member_schemas(token)
        if token == "*" and not schemas:
            schemas = list(node.properties.values())
        return self.node(schemas)

    def descend(self, node: Node, pointer: str) -> Node:
        """The node at a data pointer below ``node``."""
        for token in pointer_tokens(pointer):
            node = self.child(node, token)
        return node

    def _expand(self, schema: Any, depth: int) -> list[Mapping[str, Any]]:
        if depth > _MAX_DEPTH or not isinstance(schema, Mapping):
            return []
        out: list[Mapping[str, Any]] = []
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            out.extend(self._expand(self._resolve(ref[1:]), depth + 1))
        out.append(schema)
        for keyword in ("allOf", "anyOf", "oneOf"):
            for branch in schema.get(keyword, ()):
                out.extend(self._expand(branch, depth + 1))
        return out

    def _resolve(self, pointer: str) -> Any:
        node: Any = self._document
        for token in pointer_tokens(pointer):
            if isinstance(node, Mapping) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                return None
        return node
