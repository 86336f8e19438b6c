"""FlowSettings strategies: routing settings, a configuration matrix and scope directives."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

from genesys_compliance.config import pointer
from genesys_compliance.kinds import find_secrets
from genesys_compliance.strategies._change import Change, Mutator, pick, unallowed, variant
from genesys_compliance.strategies._common import (
    Doc,
    active,
    envelope,
    fresh,
    memo,
    metadata,
    optional,
    ordered,
    policy_key,
    scalars,
    uuids,
    words,
)

if TYPE_CHECKING:
    from genesys_compliance.rules import Policy

KIND = "FlowSettings"
ROUTING_TYPES = ("longestAvailable", "mostSkilled", "roundRobin", "bullseye")
SCOPE_TYPES = ("org", "division", "queue", "team")


@st.composite
def _matrix(draw: st.DrawFn) -> dict[str, Any]:
    """Entries with unique keys and non-null scalar values, none naming a credential."""
    keys = draw(st.lists(words(), max_size=3, unique=True))
    entries = {
        f"parameter_{n:02d}": {"key": key, "value": draw(scalars().filter(lambda v: v is not None))}
        for n, key in enumerate(keys, start=1)
    }
    return {name: entry for name, entry in entries.items() if not any(find_secrets(entry))}


@st.composite
def _flow(draw: st.DrawFn, policy: Policy) -> Doc:
    org_id = draw(uuids())
    routing: dict[str, Any] = {"type": draw(st.sampled_from(ROUTING_TYPES))}
    optional(routing, "maxWaitTime", draw(st.none() | st.integers(1, policy.max_wait_seconds)))
    scope_type = draw(st.none() | st.sampled_from(SCOPE_TYPES))
    if scope_type is not None:
        routing["scope"] = {
            "type": scope_type,
            "id": org_id if scope_type == "org" else draw(uuids()),
        }
    settings: dict[str, Any] = {"routing": routing}
    found = draw(_matrix())
    if found:
        settings["configurationMatrix"] = found
    targets = ordered(policy.apply_targets)
    if bool(targets) and draw(st.booleans()):
        directives: dict[str, Any] = {
            "applyTo": draw(st.lists(st.sampled_from(targets), min_size=1, unique=True))
        }
        optional(directives, "enforceHierarchy", draw(st.none() | st.booleans()))
        settings["scopeDirectives"] = directives
    spec: dict[str, Any] = {"orgId": org_id, "flowId": draw(uuids()), "settings": settings}
    optional(spec, "version", draw(st.none() | st.integers(1, 1000)))
    return envelope(KIND, draw(metadata(KIND)), spec)


def flow_settings(policy: Policy | None = None) -> st.SearchStrategy[Doc]:
    """Valid ``FlowSettings`` documents for an Architect flow.

    Ids are lowercase UUIDs; an ``org`` scope names the ``orgId``;
    ``maxWaitTime`` (when present) is within 1..``max-wait-seconds``;
    matrix entries are ``{key, value}`` with unique keys and scalar values;
    ``applyTo`` (when present) is a non-empty, repeat-free choice of the
    policy's ``apply-targets``.

    Shrinks towards the nil UUID, no scope, no matrix and no directives.
    """
    policy = active(policy)
    return memo(lambda: _flow(policy), KIND, policy_key(policy))


# ---------------------------------------------------------------------------- mutators

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ROUTING = ("spec", "settings", "routing")


def _not_a_uuid(data: st.DataObject, valid: str) -> str:
    """A near miss of ``valid`` (upper case, braces, a trailing newline) or any text."""
    near = [valid.upper(), "{" + valid + "}", valid + "\n", valid[:-1]]
    return data.draw(
        st.one_of(st.sampled_from(near), st.text()).filter(lambda text: not _UUID.fullmatch(text)),
        label="id",
    )


def _id_format(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    """Break one id; ``orgId`` only when no org scope repeats it (that would be flow/scope too)."""
    spec = doc["spec"]
    scope = spec["settings"]["routing"].get("scope")
    fields: list[tuple[str, ...]] = [("flowId",)]
    if scope is None or scope["type"] != "org":
        fields.append(("orgId",))
    if scope is not None and scope["type"] != "org":
        fields.append(("settings", "routing", "scope", "id"))
    path = fields[pick(data, len(fields), "id field")]
    holder: dict[str, Any] = spec
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] = _not_a_uuid(data, holder[path[-1]])
    return Change(pointer("spec", *path), f"spec.{'.'.join(path)} is no longer a lowercase UUID")


def _scope(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    org_id = doc["spec"]["orgId"]
    other = data.draw(uuids().filter(lambda u: u != org_id), label="scope id")
    doc["spec"]["settings"]["routing"]["scope"] = {"type": "org", "id": other}
    return Change(pointer(*_ROUTING, "scope", "id"), "an org scope names another org")


def _apply_target(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    settings = doc["spec"]["settings"]
    targets = ordered(policy.apply_targets)
    directives = settings.setdefault("scopeDirectives", {"applyTo": targets[:1]})
    at = pointer("spec", "settings", "scopeDirectives", "applyTo")
    how = variant(data, "empty", "unknown target", "repeated target")
    listed = directives["applyTo"]
    if how == "empty" or not listed:
        directives["applyTo"] = []
        return Change(at, "scopeDirectives.applyTo emptied")
    if how == "unknown target":
        index = pick(data, len(listed), "target")
        listed[index] = data.draw(unallowed(policy.apply_targets), label="target")
        return Change(f"{at}/{index}", f"applyTo[{index}] set to an unknown target")
    listed.append(listed[pick(data, len(listed), "target repeated")])
    return Change(f"{at}/{len(listed) - 1}", "an applyTo target repeated")


def _matrix_broken(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    settings = doc["spec"]["settings"]
    entries = settings.setdefault("configurationMatrix", {})
    how = variant(data, "empty key", "nested value", "extra field", "repeated key")
    if how == "repeated key" and entries:
        copied = list(entries.values())[pick(data, len(entries), "entry copied")]["key"]
        name = fresh("parameter_99", set(entries))
        entries[name] = {"key": copied, "value": 1}
        return Change(
            pointer("spec", "settings", "configurationMatrix", name, "key"),
            f"matrix entry {name} repeats key {copied!r}",
        )
    name = fresh("parameter_99", set(entries))
    at = pointer("spec", "settings", "configurationMatrix", name)
    key = fresh("extra", {str(entry["key"]) for entry in entries.values()})
    if how == "empty key":
        entries[name] = {
            "key": data.draw(st.sampled_from(("", " ", "\t")), label="key"),
            "value": 1,
        }
        return Change(f"{at}/key", f"matrix entry {name} has a blank key")
    if how == "nested value":
        entries[name] = {
            "key": key,
            "value": data.draw(st.sampled_from(([1, 2], {"a": 1}, [])), label="value"),
        }
        return Change(f"{at}/value", f"matrix entry {name} has a non-scalar value")
    entries[name] = {"key": key, "value": 1, "note": "not allowed"}
    return Change(at, f"matrix entry {name} has a field besides key and value")


def _max_wait(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    limit = policy.max_wait_seconds
    value = data.draw(
        st.one_of(
            st.sampled_from((0, limit + 1)),
            st.integers(max_value=0),
            st.integers(min_value=limit + 1),
            st.floats(allow_nan=False, allow_infinity=False),
            st.sampled_from(("600", True)),
        ),
        label="maxWaitTime",
    )
    doc["spec"]["settings"]["routing"]["maxWaitTime"] = value
    return Change(pointer(*_ROUTING, "maxWaitTime"), f"maxWaitTime set to {value!r}")


MUTATORS: dict[str, Mutator] = {
    "flow/id-format": _id_format,
    "flow/scope": _scope,
    "flow/apply-target": _apply_target,
    "flow/matrix": _matrix_broken,
    "flow/max-wait": _max_wait,
}
