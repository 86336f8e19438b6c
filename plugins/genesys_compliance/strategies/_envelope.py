"""Mutators for the rules every kind shares: ``config/*`` and the cross-file duplicate rules."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

from genesys_compliance.config import pointer
from genesys_compliance.kinds import KINDS, NAME_PATTERN, builtin_registry
from genesys_compliance.strategies._change import Change, Mutator, pick, unallowed, variant
from genesys_compliance.strategies._common import FAR_FUTURE, LONG_AGO, Doc, names, uuids

if TYPE_CHECKING:
    from genesys_compliance.rules import Policy

_ENVELOPE = ("apiVersion", "kind", "metadata", "spec")
# A quoted "<<" is still read as a YAML merge key by the loader; keep clear of it.
_MERGE = "<<"
# Required spec fields whose type the model (not a rule) owns, per kind.
_TYPED = {
    "DesktopLayout": ("name", "grid"),
    "FlowSettings": ("orgId", "flowId", "settings"),
    "RoutingStrategy": ("strategy", "mediaType"),
    "TriggerRule": ("name", "ruleType"),
    "RoutingRule": ("name", "expression"),
}
_NODE_FIELDS = {"type", "field", "operator", "value", "children"}
_UNWAIVABLE = frozenset({"config/waiver", "config/parse", "config/envelope"})


def _new_key(taken: set[str] | dict[str, Any]) -> st.SearchStrategy[str]:
    """A mapping key not in ``taken``: arbitrary text, so odd keys get written and read too."""
    return st.one_of(st.just("extra"), st.text(min_size=1)).filter(
        lambda key: key not in taken and key != _MERGE
    )


def _envelope(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    ways = ["apiVersion", "unknown kind", "name", "top-level field", "metadata field"]
    if doc["kind"] == "TriggerRule":
        ways.append("ruleId differs from spec.id")
    how = variant(data, *ways)
    if how == "apiVersion":
        doc["apiVersion"] = data.draw(unallowed((doc["apiVersion"],)), label="apiVersion")
        return Change(pointer("apiVersion"), "apiVersion changed")
    if how == "unknown kind":
        doc["kind"] = data.draw(unallowed(KINDS), label="kind")
        return Change(pointer("kind"), "kind changed to an unknown kind")
    if how == "name":
        doc["metadata"]["name"] = data.draw(
            st.one_of(
                st.sampled_from(("Agent-Default", "agent_default", "-agent", "agent\n", "a" * 64)),
                st.text(),
            ).filter(lambda text: not NAME_PATTERN.match(text)),
            label="name",
        )
        return Change(pointer("metadata", "name"), "metadata.name made invalid")
    if how == "top-level field":
        key = data.draw(_new_key(set(_ENVELOPE)), label="key")
        doc[key] = 1
        return Change(pointer(key), f"unknown top-level field {key!r} added")
    if how == "metadata field":
        fields = set(KINDS[doc["kind"]].metadata_model.model_fields)
        key = data.draw(_new_key(fields | set(doc["metadata"])), label="key")
        doc["metadata"][key] = 1
        return Change(pointer("metadata", key), f"unknown metadata field {key!r} added")
    rule_id = doc["metadata"].get("ruleId") or data.draw(uuids(), label="ruleId")
    doc["metadata"]["ruleId"] = rule_id
    doc["spec"]["id"] = data.draw(uuids().filter(lambda u: u != rule_id), label="spec.id")
    return Change(pointer("metadata", "ruleId"), "metadata.ruleId and spec.id name two rules")


def _schema(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    spec, kind = doc["spec"], doc["kind"]
    ways = ["unknown field", "wrong type", "missing field"]
    if kind == "RoutingRule":
        ways.append("bad expression node")
    how = variant(data, *ways)
    if how == "unknown field":
        key = data.draw(_new_key(set(KINDS[kind].spec_model.model_fields)), label="key")
        spec[key] = 1
        return Change(pointer("spec", key), f"unknown spec field {key!r} added")
    field = data.draw(st.sampled_from(_TYPED[kind]), label="field")
    if how == "wrong type":
        spec[field] = data.draw(
            st.one_of(st.integers(), st.booleans(), st.lists(st.integers(), max_size=2)),
            label=field,
        )
        return Change(pointer("spec", field), f"spec.{field} given the wrong type")
    if how == "missing field":
        del spec[field]
        return Change(pointer("spec", field), f"spec.{field} removed")
    node = spec["expression"]
    if "children" in node and data.draw(st.booleans(), label="not a mapping"):
        index = pick(data, len(node["children"]), "child")
        node["children"][index] = data.draw(st.sampled_from(("skill", 1, None, [])), label="child")
        return Change(
            pointer("spec", "expression", "children", index), "an expression child is not a mapping"
        )
    node[data.draw(_new_key(set(node) | _NODE_FIELDS), label="key")] = 1
    return Change(pointer("spec", "expression"), "expression node has an unknown field")


def _secret(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    labels = doc["metadata"].setdefault("labels", {})
    if variant(data, "credential key", "token-shaped value") == "credential key":
        key = data.draw(
            st.sampled_from(("apiToken", "password", "clientSecret", "api_key")), label="key"
        )
        labels[key] = data.draw(
            st.from_regex(r"[A-Za-z0-9]{8,24}", fullmatch=True), label="literal"
        )
    else:
        key = "note"
        labels[key] = data.draw(
            st.sampled_from(
                (
                    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VudCJ9.c2lnbmF0dXJl",
                    "Bearer abcdefghijklmnop0123456789",
                )
            ),
            label="literal",
        )
    return Change(pointer("metadata", "labels", key), f"a literal credential under labels.{key}")


def _waiver(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    registry = builtin_registry()
    waivable = [r.id for r in registry if r.kind in (None, doc["kind"]) and r.id not in _UNWAIVABLE]
    waivers = doc["metadata"].setdefault("waivers", [])
    rule_id = data.draw(st.sampled_from(waivable), label="rule")
    how = variant(data, "expired", "no reason", "unknown rule", "unknown field")
    waiver: dict[str, Any] = {"rule": rule_id, "reason": "Reviewed", "expires": FAR_FUTURE}
    if how == "expired":
        waiver["expires"] = LONG_AGO
    elif how == "no reason":
        waiver["reason"] = data.draw(st.sampled_from(("", "  ", None)), label="reason")
    elif how == "unknown rule":
        waiver["rule"] = data.draw(unallowed({r.id for r in registry}), label="rule")
    else:
        waiver["approvedBy"] = "cx-ops"
    waivers.append(waiver)
    return Change(pointer("metadata", "waivers", len(waivers) - 1), f"a waiver: {how}")


def _parse(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    """Nest mappings under ``metadata.labels`` until one sits one level past the limit.

    The document itself is three levels down at ``labels``; the mapping at
    level ``max-nesting-depth + 1`` is where parsing stops.
    """
    limit = policy.max_nesting_depth
    if limit < 4:
        return None
    deepest: dict[str, Any] = {}
    for _ in range(limit - 3):
        deepest = {"deeper": deepest}
    doc["metadata"].setdefault("labels", {})["nesting"] = deepest
    return Change(
        pointer("metadata", "labels", "nesting") + "/deeper" * (limit - 3),
        f"labels nested {limit + 1} levels deep, one past the limit of {limit}",
    )


def _duplicate(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    """A second document in the same file aiming at the same resource."""
    kind = doc["kind"]
    if kind == "DesktopLayout":
        doc["metadata"].setdefault("layoutId", "lay-shared")
        at = pointer("metadata", "layoutId")
    elif kind == "TriggerRule":
        if doc["metadata"].get("ruleId") is None:
            doc["metadata"]["ruleId"] = doc["spec"].get("id") or data.draw(uuids(), label="id")
        at = pointer("metadata", "ruleId")
    elif kind == "FlowSettings":
        at = pointer("spec", "flowId")
    else:
        at = pointer("spec", "mediaType" if kind == "RoutingStrategy" else "name")
    twin = copy.deepcopy(doc)
    name = doc["metadata"]["name"]
    twin["metadata"]["name"] = data.draw(names().filter(lambda n: n != name), label="twin name")
    return Change(at, f"a second {kind} targets the same resource", copies=(twin,), in_copy=0)


def duplicate_rule(kind: str) -> str:
    """The rule that reports two configurations of ``kind`` aimed at one resource."""
    return KINDS[kind].duplicate_rule


MUTATORS: dict[str, Mutator] = {
    "config/parse": _parse,
    "config/envelope": _envelope,
    "config/schema": _schema,
    "config/secret": _secret,
    "config/waiver": _waiver,
    "config/duplicate-target": _duplicate,
    "strategy/duplicate-media": _duplicate,
    "routing-rule/duplicate-name": _duplicate,
}

# Which kinds each shared mutator applies to (absent: every kind).
KINDS_OF: dict[str, frozenset[str]] = {
    rule_id: frozenset(k for k in KINDS if duplicate_rule(k) == rule_id)
    for rule_id in (
        "config/duplicate-target",
        "strategy/duplicate-media",
        "routing-rule/duplicate-name",
    )
}
