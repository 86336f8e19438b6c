"""The bodies apply writes: the resource as read, managed fields laid over, as the write takes it.

A resource as the org answers it holds more than its write accepts (the
org's own fields; a flow's name beside its settings), and a write's schema
is closed, so each body is the overlay (SPEC 6.2) projected onto the
operation's request schema, with the org-owned fields taken out (the client
places the token where the operation wants it). The identity fields a file
states (``flowId``) go in as stated: a resource need not repeat its id
under that name. Comparing two states ("did this write land?", "is this the
snapshot?") goes through the same projection, so fields a write cannot set
never make two states differ.

The managed fields are the file's spec plus the derived fields the plan read
(:func:`with_derived`): a layout inheriting its user's preferences writes
them, and the journal keeps them, so a resumed run writes the same body.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from genesys_compliance.apply._diff import diff, overlay
from genesys_compliance.config import pointer_tokens
from genesys_compliance.contract import lookup

if TYPE_CHECKING:
    from genesys_compliance.contract import Contract, ResourceType

__all__ = ["Shape", "Shapes", "with_derived"]

_JSON = "application/json"
_MAX_DEPTH = 64

Nodes = list[Mapping[str, Any]]


class Shapes:
    """Each kind's :class:`Shape`, read from one contract once."""

    def __init__(self, contract: Contract) -> None:
        self._contract = contract
        self._document: dict[str, Any] | None = None
        self._shapes: dict[str, Shape] = {}

    def __getitem__(self, kind: str) -> Shape:
        shape = self._shapes.get(kind)
        if shape is None:
            if self._document is None:
                self._document = self._contract.document
            shape = Shape(self._contract.resources[kind], self._document)
            self._shapes[kind] = shape
        return shape


class Shape:
    """How one kind's writes are built and its states compared."""

    def __init__(self, rtype: ResourceType, document: Mapping[str, Any]) -> None:
        self.rtype = rtype
        self._document = document
        self._update = self._write_nodes("update") if rtype.has("update") else []
        self._create = self._write_nodes("create") if rtype.has("create") else self._update

    def update_body(self, resource: Mapping[str, Any], spec: Mapping[str, Any]) -> dict[str, Any]:
        """The update of ``resource`` (as read) to the file's managed fields."""
        return self._finish(
            self._update, _with_identity(self.rtype, overlay(resource, spec, self.rtype), spec)
        )

    def restore_body(self, snapshot: Mapping[str, Any], spec: Mapping[str, Any]) -> dict[str, Any]:
        """The update that puts ``snapshot`` (the resource before the run) back."""
        return self._finish(self._update, _with_identity(self.rtype, dict(snapshot), spec))

    def create_body(self, spec: Mapping[str, Any], placed: Mapping[str, Any]) -> dict[str, Any]:
        """A create of the file's fields, with the values the configuration places elsewhere.

        ``placed`` maps resource pointers to values the configuration gives
        them outside the spec (``metadata.queueId`` at ``/queue/id``).
        """
        body = {k: copy.deepcopy(v) for k, v in spec.items() if v is not None}
        for ptr, value in sorted(placed.items()):
            _set(body, ptr, value)
        return self._finish(self._create, body)

    def state(self, body: Mapping[str, Any]) -> Any:
        """What a write can set of a resource: the comparable part of its state."""
        out = _project(self._document, self._update, dict(body), 0)
        for ptr in (
            *self.rtype.server_owned,
            *self.rtype.identity_pointers,
            self.rtype.token.pointer,
        ):
            _remove(out, ptr)
        return out

    def same_state(self, a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
        """Whether two bodies hold the same writable state (sets unordered, ``1.0 == 1``)."""
        left, right = self.state(a), self.state(b)
        return not diff(left, right, self.rtype) and not diff(right, left, self.rtype)

    # ------------------------------------------------------------ internals
    def _finish(self, nodes: Nodes, body: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = _project(self._document, nodes, body, 0)
        for ptr in self.rtype.server_owned:
            _remove(out, ptr)
        return out

    def _write_nodes(self, role: str) -> Nodes:
        """The schema nodes of what the operation's body holds per resource."""
        op = self.rtype.operation(role)
        if op.body is None or _JSON not in op.body.media_types:
            return []
        found, schema = lookup(self._document, op.body.media_types[_JSON])
        nodes = _expand(self._document, schema, 0) if found else []
        container = self.rtype.container
        if container is not None:  # the body is the container's document: step to one item
            for token in pointer_tokens(container.items):
                nodes = _member(self._document, nodes, token)
            nodes = _items(self._document, nodes)
        return nodes


def with_derived(spec: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """The managed fields: ``spec`` with each derived field (payload pointer) set to its value.

    ``spec`` is not modified; a value replaces whatever the spec holds there.
    """
    out = copy.deepcopy(dict(spec))
    for ptr, value in sorted(values.items()):
        _set(out, ptr, value)
    return out


def _with_identity(rtype: ResourceType, body: Any, spec: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = dict(body)
    for ptr in rtype.identity_pointers:
        found, value = lookup(spec, ptr)
        if found and value is not None:
            _set(out, ptr, value)
    return out


def _expand(document: Mapping[str, Any], node: Any, depth: int) -> Nodes:
    """A schema and its ``allOf`` branches, ``$ref`` followed."""
    if depth > _MAX_DEPTH:
        raise ValueError("the contract's schemas nest too deep to project a body")
    while isinstance(node, Mapping) and "$ref" in node:
        ref = str(node["$ref"])
        found, node = lookup(document, ref[1:]) if ref.startswith("#/") else (False, None)
        if not found:
            raise ValueError(f"the contract's reference {ref!r} leads nowhere")
        depth += 1
    if not isinstance(node, Mapping):
        return []
    out: Nodes = [node]
    for branch in node.get("allOf", ()):
        out.extend(_expand(document, branch, depth + 1))
    return out


def _member(document: Mapping[str, Any], nodes: Nodes, name: str) -> Nodes:
    out: Nodes = []
    for node in nodes:
        props = node.get("properties")
        if isinstance(props, Mapping) and name in props:
            out.extend(_expand(document, props[name], 0))
    return out


def _items(document: Mapping[str, Any], nodes: Nodes) -> Nodes:
    return [e for node in nodes if "items" in node for e in _expand(document, node["items"], 0)]


def _project(document: Mapping[str, Any], nodes: Nodes, value: Any, depth: int) -> Any:
    """``value`` with every member the schema closes out left out, at every level."""
    if depth > _MAX_DEPTH or not nodes:
        return copy.deepcopy(value)
    if isinstance(value, Mapping):
        declared: dict[str, Nodes] = {}
        extra: Nodes = []
        closed = False
        described = False
        for node in nodes:
            props = node.get("properties")
            if isinstance(props, Mapping):
                described = True
                for key, schema in props.items():
                    declared.setdefault(key, []).extend(_expand(document, schema, 0))
            more = node.get("additionalProperties")
            if more is False:
                closed = True
            elif isinstance(more, Mapping):
                described = True
                extra.extend(_expand(document, more, 0))
        if not described and not closed:
            return copy.deepcopy(value)
        out: dict[str, Any] = {}
        for key, member in value.items():
            if key in declared:
                out[key] = _project(document, declared[key], member, depth + 1)
            elif extra:
                out[key] = _project(document, extra, member, depth + 1)
            elif not closed:
                out[key] = copy.deepcopy(member)
        return out
    if isinstance(value, list):
        items = _items(document, nodes)
        return [_project(document, items, v, depth + 1) for v in value]
    return value


def _set(body: dict[str, Any], ptr: str, value: Any) -> None:
    tokens = pointer_tokens(ptr)
    node = body
    for step in tokens[:-1]:
        child = node.get(step)
        if not isinstance(child, dict):
            child = {}
            node[step] = child
        node = child
    node[tokens[-1]] = copy.deepcopy(value)


def _remove(body: Any, ptr: str) -> None:
    tokens = pointer_tokens(ptr)
    node = body
    for step in tokens[:-1]:
        node = node.get(step) if isinstance(node, dict) else None
    if isinstance(node, dict) and tokens:
        node.pop(tokens[-1], None)
