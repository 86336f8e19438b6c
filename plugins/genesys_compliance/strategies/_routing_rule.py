"""RoutingRule strategies: condition expression trees built with ``st.recursive``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

from genesys_compliance.config import pointer
from genesys_compliance.strategies._change import Change, Mutator, pick, unallowed, variant
from genesys_compliance.strategies._common import (
    Doc,
    active,
    envelope,
    maybe_texts,
    memo,
    metadata,
    optional,
    ordered,
    plain_texts,
    policy_key,
    uuids,
    words,
)
from genesys_compliance.strategies._trigger import numbers, patterns

if TYPE_CHECKING:
    from genesys_compliance.rules import Policy

KIND = "RoutingRule"
OPERATORS = ("eq", "neq", "gt", "lt", "gte", "lte", "exists", "not_exists", "contains", "regex")
_NUMERIC = frozenset({"gt", "lt", "gte", "lte"})
_LEAVES_PER_LEVEL = 3


def depth(node: dict[str, Any]) -> int:
    """Levels of a tree: a lone condition is 1, each logical level adds 1."""
    return 1 + max((depth(child) for child in node.get("children", ())), default=0)


@st.composite
def conditions(draw: st.DrawFn, policy: Policy) -> dict[str, Any]:
    """One valid condition node; its value fits its operator."""
    fields = ordered(policy.routing_fields)
    op = draw(st.sampled_from(OPERATORS))
    node: dict[str, Any] = {
        "type": "condition",
        "field": draw(st.sampled_from(fields)) if fields else "skill",
        "operator": op,
    }
    if op in _NUMERIC:
        node["value"] = draw(numbers())
    elif op == "regex":
        node["value"] = draw(patterns())
    elif op in ("exists", "not_exists"):
        optional(node, "value", draw(st.none() | words()))
    else:
        node["value"] = draw(st.one_of(words(), st.booleans(), numbers(), plain_texts()))
    return node


def _logical(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.builds(
            lambda kind, kids: {"type": kind, "children": kids},
            st.sampled_from(("and", "or")),
            st.lists(children, min_size=1, max_size=_LEAVES_PER_LEVEL),
        ),
        st.builds(lambda kid: {"type": "not", "children": [kid]}, children),
    )


def _clip(node: dict[str, Any], limit: int, level: int = 1) -> dict[str, Any]:
    """Cut the tree at ``limit`` levels: a logical node there becomes its first leaf."""
    children = node.get("children")
    if children is None:
        return node
    if level >= limit:
        while "children" in node:
            node = node["children"][0]
        return node
    return {**node, "children": [_clip(child, limit, level + 1) for child in children]}


def expressions(
    policy: Policy | None = None, *, max_depth: int | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid expression trees of ``and``/``or``/``not`` over conditions, at most ``max_depth`` deep.

    ``max_depth`` defaults to the policy's ``max-expression-depth``; pass a
    larger one to get trees that break ``routing-rule/depth`` at a depth you
    control. Built with ``st.recursive``, then cut at the depth (a logical
    node on the last level is replaced by its first leaf), so every depth up
    to the limit is reachable.

    Shrinks towards a single ``eq`` condition on the first routing field.
    """
    policy = active(policy)
    limit = max(1, policy.max_expression_depth if max_depth is None else max_depth)

    def build() -> st.SearchStrategy[dict[str, Any]]:
        trees = st.recursive(conditions(policy), _logical, max_leaves=max(4, 2 * limit))
        return trees.map(lambda tree: _clip(tree, limit))

    return memo(build, "expression", policy_key(policy), limit)


@st.composite
def _routing_rule(draw: st.DrawFn, policy: Policy, max_depth: int | None) -> Doc:
    spec: dict[str, Any] = {"name": draw(plain_texts(min_size=1))}
    optional(spec, "description", draw(maybe_texts()))
    spec["expression"] = draw(expressions(policy, max_depth=max_depth))
    optional(spec, "priority", draw(st.none() | st.integers(0, 100)))
    optional(spec, "enabled", draw(st.none() | st.booleans()))
    return envelope(KIND, draw(metadata(KIND, queueId=uuids())), spec)


def routing_rules(
    policy: Policy | None = None, *, max_depth: int | None = None
) -> st.SearchStrategy[Doc]:
    """Valid ``RoutingRule`` documents whose expression is at most the depth limit.

    Every node is well-formed (``and``/``or`` with children, ``not`` with
    exactly one, conditions with a field from the policy's
    ``routing-fields``, a SPEC operator and a value that fits it). See
    :func:`expressions` for ``max_depth`` and for how trees shrink.
    """
    policy = active(policy)
    if max_depth is not None:
        max_depth = min(max_depth, policy.max_expression_depth)
    return memo(lambda: _routing_rule(policy, max_depth), KIND, policy_key(policy), max_depth)


# ---------------------------------------------------------------------------- mutators

Located = tuple[str, dict[str, Any], int]
"""``(pointer, node, level)`` of one expression node."""


def nodes(doc: Doc) -> list[Located]:
    """Every node of the expression in document order (pre-order), with pointer and level."""
    out: list[Located] = []
    stack: list[Located] = [(pointer("spec", "expression"), doc["spec"]["expression"], 1)]
    while stack:
        at, node, level = stack.pop()
        out.append((at, node, level))
        children = node.get("children", [])
        stack.extend(
            (f"{at}/children/{i}", child, level + 1)
            for i, child in reversed(list(enumerate(children)))
        )
    return out


def _of_type(doc: Doc, *types: str) -> list[Located]:
    return [found for found in nodes(doc) if found[1]["type"] in types]


def _choose(data: st.DataObject, found: list[Located], label: str) -> Located | None:
    return found[pick(data, len(found), label)] if found else None


def _depth(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    """Wrap one condition in single-child logical nodes until it sits one level past the limit."""
    limit = policy.max_expression_depth
    chosen = _choose(data, _of_type(doc, "condition"), "condition")
    if chosen is None:
        return None
    at, node, level = chosen
    wrapped = dict(node)
    for _ in range(limit + 1 - level):
        wrapped = {
            "type": data.draw(st.sampled_from(("not", "and", "or")), label="wrapper"),
            "children": [wrapped],
        }
    node.clear()
    node.update(wrapped)
    past = at + "/children/0" * (limit + 1 - level)
    return Change(past, f"condition at {at} deepened to level {limit + 1}, limit {limit}")


def _operator(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    chosen = _choose(data, _of_type(doc, "condition"), "condition")
    if chosen is None:
        return None
    at, node, _ = chosen
    node["operator"] = data.draw(unallowed(OPERATORS), label="operator")
    return Change(f"{at}/operator", f"operator at {at} set to an unknown operator")


def _structure(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    how = variant(
        data,
        "unknown type",
        "logical node with a field",
        "not with two children",
        "and/or without children",
        "condition with children",
        "condition without field",
        "condition without operator",
    )
    if how == "unknown type":
        at, node, _ = _choose(data, nodes(doc), "node") or ("", {}, 0)
        node["type"] = data.draw(unallowed(("and", "or", "not", "condition")), label="type")
        return Change(at, f"node type at {at} set to an unknown type")
    logical = how in (
        "logical node with a field",
        "not with two children",
        "and/or without children",
    )
    types = {"not with two children": ("not",), "and/or without children": ("and", "or")}.get(
        how, ("and", "or", "not") if logical else ("condition",)
    )
    chosen = _choose(data, _of_type(doc, *types), "node")
    if chosen is None:
        return None
    at, node, _ = chosen
    if how == "logical node with a field":
        stray = data.draw(st.sampled_from(("field", "operator", "value")), label="stray field")
        node[stray] = {"field": "skill", "operator": "exists", "value": "billing"}[stray]
    elif how == "not with two children":
        node["children"].append(node["children"][0])
    elif how in {"and/or without children", "condition with children"}:
        node["children"] = []
    else:
        del node["field" if how == "condition without field" else "operator"]
    return Change(at, f"{how} at {at}")


def _value(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    chosen = _choose(data, _of_type(doc, "condition"), "condition")
    if chosen is None:
        return None
    at, node, _ = chosen
    how = variant(data, "number expected", "bad pattern", "not a scalar", "missing value")
    if how == "number expected":
        node["operator"] = data.draw(st.sampled_from(sorted(_NUMERIC)), label="operator")
        node["value"] = data.draw(
            st.sampled_from(("5", "high", "true", True, False)), label="value"
        )
    elif how == "bad pattern":
        node["operator"] = "regex"
        node["value"] = data.draw(st.sampled_from(("(", "[a-", "*x", "a{2,1}", 7)), label="value")
    elif how == "not a scalar":
        node["value"] = data.draw(st.sampled_from((None, [], ["a"], {"a": 1})), label="value")
    else:
        node["operator"] = data.draw(
            st.sampled_from([op for op in OPERATORS if op not in ("exists", "not_exists")]),
            label="operator",
        )
        node.pop("value", None)
        return Change(at, f"condition at {at}: {node['operator']} without a value")
    return Change(f"{at}/value", f"condition at {at}: {how}")


def _field(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    chosen = _choose(data, _of_type(doc, "condition"), "condition")
    if chosen is None:
        return None
    at, node, _ = chosen
    node["field"] = data.draw(unallowed(policy.routing_fields), label="field")
    return Change(f"{at}/field", f"field at {at} set to an unknown field")


MUTATORS: dict[str, Mutator] = {
    "routing-rule/depth": _depth,
    "routing-rule/operator": _operator,
    "routing-rule/structure": _structure,
    "routing-rule/value": _value,
    "routing-rule/field": _field,
}
