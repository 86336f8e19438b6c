"""One resource as the org holds it, turned into a configuration document (SPEC 2).

Everything comes from the resource table and the kind's payload schema:

- **identity**: each match field's value goes where the table's first config
  pointer for it says (``metadata.layoutId``, ``spec.flowId``,
  ``metadata.queueId`` of a rule's ``queue.id``), and a container item's
  parent to the container's config pointer; the resource field it came
  from is not repeated in the spec;
- **the spec** is the rest of the body as far as the payload schema has room
  for it, in the schema's property order; fields the org owns, fields the
  plan derives, nulls and fields the payload does not have are left out, and
  each is recorded with its reason;
- **sets** (the table's ``sets``) are sorted, so a reordering in the org is
  no change in the file; every other list keeps the org's order, because
  there order is meaning (widgets, conditions, overflow rules).

Since the plan compares exactly the fields a file states with the same
resource, and every stated value is the org's own, an export plans as no
change by construction.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from genesys_compliance.config import escape, key_text, pointer_tokens
from genesys_compliance.contract import lookup
from genesys_compliance.export._omitted import (
    NOT_IN_PAYLOAD,
    NULL,
    PARENT,
    UNSOURCED,
    Source,
    decide,
)
from genesys_compliance.export._schema import Node, SchemaIndex
from genesys_compliance.export._table import NAME_POINTER
from genesys_compliance.kinds import API_VERSION

if TYPE_CHECKING:
    from genesys_compliance.contract import ResourceType

__all__ = ["Shaper"]

_DROP = object()


class Shaper:
    """Documents of one kind, and what they left out.

    Attributes:
        left_out: ``(source, pointer pattern, reason)`` to the times met.
    """

    def __init__(self, rtype: ResourceType, index: SchemaIndex, payload: Node) -> None:
        self.rtype = rtype
        self.index = index
        self.payload = payload
        self.left_out: Counter[tuple[Source, str, str]] = Counter()
        self._placements = _placements(rtype)
        self._decided: dict[str, str | None] = {}

    def display_name(self, body: Mapping[str, Any], parent: Mapping[str, Any] | None) -> str:
        """What people call the resource: its name, else its parent's name and match values."""
        found, name = lookup(body, NAME_POINTER)
        if found and isinstance(name, str) and name.strip():
            return name
        parts: list[str] = []
        if parent is not None:
            found, parent_name = lookup(parent, NAME_POINTER)
            if found and isinstance(parent_name, str):
                parts.append(parent_name)
        values = self.rtype.resource_match(body) or ()
        return " ".join([*parts, *values])

    def document(self, body: Mapping[str, Any], name: str, parent: str | None) -> dict[str, Any]:
        """The configuration document of one resource, keys in their written order."""
        metadata: dict[str, Any] = {"name": name}
        source = dict(body)  # the walk builds new containers: only removals copy more
        stated: dict[str, Any] = {}
        for config, resource in self._placements:
            if resource is None:
                value: Any = parent
            else:
                _, value = lookup(body, resource)
                source = _without(source, resource)
            if value is None:
                continue
            if config.startswith("/metadata/"):
                _put(metadata, config[len("/metadata") :], value)
            elif config.startswith("/spec/"):
                stated[config[len("/spec") :]] = value
        for ptr, value in stated.items():
            _put(source, ptr, value)
        spec = self._walk(source, self.payload, "", "")
        document = {
            "apiVersion": API_VERSION,
            "kind": self.rtype.kind,
            "metadata": metadata,
            "spec": {} if spec is _DROP else spec,
        }
        self._unswitch(document)
        return document

    def _unswitch(self, document: dict[str, Any]) -> None:
        """Leave out a derivation's switch when no read of the org gives its source's parameters.

        A layout inheriting user preferences names its user in
        ``metadata.userId``, which the org's layout does not hold: stating
        ``inheritance: user-preference`` without it would block the plan, so
        the switch is left out (recorded), and the file plans as no change.
        """
        for derived in self.rtype.derived:
            if not derived.applies(document) or not derived.missing(document):
                continue
            if derived.when.startswith("/spec/"):
                document["spec"] = _without(document["spec"], derived.when[len("/spec") :])
                self.left_out[("resource", derived.when[len("/spec") :], UNSOURCED)] += 1

    def parent_fields(self, parent: Mapping[str, Any]) -> None:
        """Record the parent's fields no file holds (all but its id and its name)."""
        container = self.rtype.container
        assert container is not None
        kept = {container.parent_id, NAME_POINTER}
        for name in parent:
            ptr = "/" + escape(key_text(name))
            if ptr not in kept:
                self.left_out[("parent", ptr, PARENT)] += 1

    # ------------------------------------------------------------ the walk
    def _walk(self, value: Any, node: Node, ptr: str, pattern: str) -> Any:
        if value is None:
            self.left_out[("resource", pattern, NULL)] += 1
            return _DROP
        if isinstance(value, Mapping):
            return self._object(value, node, ptr, pattern)
        if isinstance(value, list):
            child = self.index.child(node, "*")
            items = [
                kept
                for i, item in enumerate(value)
                if (kept := self._walk(item, child, f"{ptr}/{i}", f"{pattern}/*")) is not _DROP
            ]
            if self.rtype.is_set(ptr):
                items.sort(key=_canonical)
            return _DROP if value and not items else items
        return value

    def _object(self, value: Mapping[str, Any], node: Node, ptr: str, pattern: str) -> Any:
        if node.free:
            return _sorted(value)
        declared = node.properties
        names = [n for n in declared if n in value]
        names += sorted((key_text(k) for k in value if key_text(k) not in declared), key=str)
        out: dict[str, Any] = {}
        for name in names:
            step = escape(name)
            schemas, by_name = node.member_schemas(name)
            at = f"{pattern}/{step if by_name or not schemas else '*'}"
            child_ptr = f"{ptr}/{step}"
            reason = self._decided.get(child_ptr, "")
            if reason == "":
                reason = self._decided[child_ptr] = decide(self.rtype, child_ptr)
            if reason is None and not by_name and not schemas and not node.allows_others():
                reason = NOT_IN_PAYLOAD
            if reason is not None:
                self.left_out[("resource", at, reason)] += 1
                continue
            kept = self._walk(value[name], self.index.node(schemas), child_ptr, at)
            if kept is not _DROP:
                out[name] = kept
        return _DROP if value and not out else out


def _placements(rtype: ResourceType) -> list[tuple[str, str | None]]:
    """``(config pointer, resource pointer)`` of each identity value; ``None``: the parent."""
    out: list[tuple[str, str | None]] = []
    if rtype.container is not None:
        out.append((rtype.container.config, None))
    out.extend((field.config[0], field.resource) for field in rtype.match)
    return out


def _without(data: dict[str, Any], ptr: str) -> dict[str, Any]:
    """``data`` without the member at ``ptr``, nor the objects that leaves empty.

    Only the objects on the way are copied; ``data`` itself is not changed.
    """
    tokens = pointer_tokens(ptr)
    if not tokens or tokens[0] not in data:
        return data
    out = dict(data)
    head, rest = tokens[0], tokens[1:]
    if rest and isinstance(out[head], dict):
        inner = _without(out[head], "".join("/" + escape(t) for t in rest))
        if inner:
            out[head] = inner
            return out
    elif rest:
        return data
    del out[head]
    return out


def _put(data: dict[str, Any], ptr: str, value: Any) -> None:
    tokens = pointer_tokens(ptr)
    node = data
    for token in tokens[:-1]:
        node = node.setdefault(token, {})
    node[tokens[-1]] = copy.deepcopy(value)


def _sorted(value: Any) -> Any:
    """A free value with every object's keys sorted: the org's key order never shows."""
    if isinstance(value, Mapping):
        return {key_text(k): _sorted(value[k]) for k in sorted(value, key=key_text)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
