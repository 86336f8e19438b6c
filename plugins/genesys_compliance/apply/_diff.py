"""Field-level comparison of a configuration with its resource, limited to the fields it manages.

The fields a file states are the fields it manages (SPEC 6.2): the walk goes
only where the file goes, so a field the org has and the file does not is
never a change and never dropped. :func:`diff` and :func:`overlay` share the
walk, so a plan's "no change" and an apply's write agree on every field.

Lists: a list the table declares a set compares unordered; other lists of
equal length compare element by element (an element's unstated fields stay
the org's); lists of different lengths are one change of the whole list,
written as the file states it (without keys, elements cannot be paired).

Derived fields (the table's ``derived``: a layout's user preferences) are
owned whole: their value is the source's, so a member the source no longer
holds is a change of the object that held it, and a write replaces the
field rather than laying the new value over the old.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from genesys_compliance.config import escape, key_text, pointer_tokens

if TYPE_CHECKING:
    from genesys_compliance.contract import ResourceType

__all__ = ["Change", "diff", "overlay", "same_set", "same_value"]


@dataclass(frozen=True, slots=True)
class Change:
    """One managed field whose value in the org differs from the file's.

    Attributes:
        pointer: JSON pointer into the spec (and the resource).
        file: The value the file states.
        org: The value in the org (``None`` when absent; see ``in_org``).
        in_org: Whether the org has the field at all.
    """

    pointer: str
    file: Any
    org: Any = None
    in_org: bool = True

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the plan file; ``org`` is left out when the org lacks the field."""
        out: dict[str, Any] = {"pointer": self.pointer, "file": self.file}
        if self.in_org:
            out["org"] = self.org
        return out


def diff(spec: Mapping[str, Any], resource: Mapping[str, Any], rtype: ResourceType) -> list[Change]:
    """The managed fields of ``spec`` whose value differs in ``resource``, in pointer order.

    Identity fields (equal by construction) and server-owned fields (the org's
    to set) are not compared.
    """
    out: list[Change] = []
    _Walk(rtype).diff("", spec, resource, True, out)
    return sorted(out, key=lambda c: _order(c.pointer))


def overlay(resource: Mapping[str, Any], spec: Mapping[str, Any], rtype: ResourceType) -> Any:
    """The resource with the managed fields of ``spec`` laid over it (SPEC 6.2).

    Every field the file does not state keeps the org's value; so do identity
    and server-owned fields. ``resource`` is not modified.
    """
    return _Walk(rtype).overlay("", resource, spec)


def same_set(file: list[Any], org: list[Any]) -> bool:
    """Whether two lists hold the same elements, as many times each, in any order."""
    return sorted(map(_canonical, file)) == sorted(map(_canonical, org))


def same_value(a: Any, b: Any, *, unordered: bool = False) -> bool:
    """Whether two JSON values are equal as the plan compares them (``unordered``: as sets)."""
    if unordered and isinstance(a, list) and isinstance(b, list):
        return same_set(a, b)
    return _canonical(a) == _canonical(b)


class _Walk:
    """The one walk over the fields a file states."""

    def __init__(self, rtype: ResourceType) -> None:
        self.rtype = rtype
        self.skip = frozenset(rtype.identity_pointers)

    def skipped(self, ptr: str) -> bool:
        return bool(ptr) and (ptr in self.skip or self.rtype.is_server_owned(ptr))

    def whole(self, ptr: str) -> bool:
        return bool(ptr) and self.rtype.derived_at(ptr) is not None

    def diff(self, ptr: str, file: Any, org: Any, in_org: bool, out: list[Change]) -> None:
        if self.skipped(ptr):
            return
        if not in_org:
            if file is not None:  # a stated null is met by an absent field
                out.append(Change(ptr, file, None, in_org=False))
            return
        if isinstance(file, Mapping) and isinstance(org, Mapping):
            if self.whole(ptr) and not {key_text(k) for k in org} <= {key_text(k) for k in file}:
                out.append(Change(ptr, file, org))  # a member left the source
                return
            for key, value in file.items():
                name = key_text(key)
                self.diff(_child(ptr, name), value, org.get(name), name in org, out)
            return
        if isinstance(file, list) and isinstance(org, list):
            if self.rtype.is_set(ptr):
                if not same_set(file, org):
                    out.append(Change(ptr, file, org))
            elif len(file) == len(org):
                for index, (mine, theirs) in enumerate(zip(file, org, strict=True)):
                    self.diff(f"{ptr}/{index}", mine, theirs, True, out)
            else:
                out.append(Change(ptr, file, org))
            return
        if _canonical(file) != _canonical(org):
            out.append(Change(ptr, file, org))

    def overlay(self, ptr: str, org: Any, file: Any) -> Any:
        if self.skipped(ptr):
            return copy.deepcopy(org)
        if self.whole(ptr):
            return copy.deepcopy(file)
        if isinstance(file, Mapping) and isinstance(org, Mapping):
            out = copy.deepcopy(dict(org))
            for key, value in file.items():
                name = key_text(key)
                if name in org:
                    out[name] = self.overlay(_child(ptr, name), org[name], value)
                elif value is not None and not self.skipped(_child(ptr, name)):
                    out[name] = copy.deepcopy(value)
            return out
        if isinstance(file, list) and isinstance(org, list):
            if self.rtype.is_set(ptr):
                return copy.deepcopy(org if same_set(file, org) else file)
            if len(file) == len(org):
                return [
                    self.overlay(f"{ptr}/{i}", theirs, mine)
                    for i, (mine, theirs) in enumerate(zip(file, org, strict=True))
                ]
        return copy.deepcopy(file)


def _child(ptr: str, name: str) -> str:
    return f"{ptr}/{escape(name)}"


def _canonical(value: Any) -> str:
    """Text equal for equal JSON values: keys sorted, ``1.0`` read as ``1``, ``true`` not ``1``."""
    return json.dumps(_normal(value), sort_keys=True, default=str)


def _normal(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {key_text(k): _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value


def _order(ptr: str) -> list[tuple[int, int, str]]:
    """Sort key of a pointer: step by step, indexes numerically."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in pointer_tokens(ptr)]
