"""TriggerRule strategies: agent-assist conditions and actions."""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

from genesys_compliance.config import pointer
from genesys_compliance.strategies._change import (
    Change,
    Mutator,
    not_a_positive_int,
    pick,
    unallowed,
    variant,
)
from genesys_compliance.strategies._common import (
    Doc,
    active,
    envelope,
    maybe_texts,
    memo,
    metadata,
    optional,
    plain_texts,
    policy_key,
    uuids,
    words,
)

if TYPE_CHECKING:
    from genesys_compliance.rules import Policy

KIND = "TriggerRule"
OPERATORS = ("contains", "equals", "starts_with", "ends_with", "regex", "gt", "lt")
ACTION_TYPES = ("display", "call", "webhook")
CONDITION_TYPES = ("keyword", "metric", "intent")
FIELDS = ("conversation.text", "sentiment.score", "customer.tier")
PATTERNS = ("card (was )?(declined|rejected)", r"^\d{4}$", "refund|chargeback", "")


@cache
def numbers() -> st.SearchStrategy[int | float]:
    """Numbers as JSON has them: ints and finite floats, never booleans."""
    return st.one_of(
        st.integers(-1000, 1000), st.floats(allow_nan=False, allow_infinity=False, width=64)
    )


@cache
def patterns() -> st.SearchStrategy[str]:
    """Regular expressions that compile: written ones, or any text escaped."""
    return st.one_of(st.sampled_from(PATTERNS), plain_texts().map(re.escape))


@cache
@st.composite
def condition(draw: st.DrawFn) -> dict[str, Any]:
    """One valid condition: the value fits the operator."""
    op = draw(st.sampled_from(OPERATORS))
    if op in ("gt", "lt"):
        value: Any = draw(numbers())
    elif op == "regex":
        value = draw(patterns())
    else:
        value = draw(plain_texts())
    return {
        "type": draw(st.sampled_from(CONDITION_TYPES)),
        "field": draw(st.sampled_from(FIELDS)),
        "operator": op,
        "value": value,
    }


@cache
@st.composite
def action(draw: st.DrawFn) -> dict[str, Any]:
    """One valid action: ``display`` always names a template."""
    kind = draw(st.sampled_from(ACTION_TYPES))
    out: dict[str, Any] = {"type": kind}
    template = draw(words().map(lambda w: f"tmpl_{w}"))
    if kind == "display" or draw(st.booleans()):
        out["templateId"] = template
    optional(out, "priority", draw(st.none() | st.integers(1, 10)))
    return out


@st.composite
def _trigger(
    draw: st.DrawFn, policy: Policy, min_conditions: int, max_conditions: int | None
) -> Doc:
    limit = policy.max_conditions if max_conditions is None else max_conditions
    limit = min(limit, policy.max_conditions)
    low = max(1, min(min_conditions, limit))
    rule_id = draw(st.none() | uuids())
    spec: dict[str, Any] = {}
    if rule_id is not None and draw(st.booleans()):
        spec["id"] = rule_id
    spec["name"] = draw(plain_texts())
    optional(spec, "description", draw(maybe_texts()))
    spec["ruleType"] = draw(st.sampled_from(("conversation", "transcript")))
    optional(spec, "enabled", draw(st.none() | st.booleans()))
    spec["conditions"] = draw(st.lists(condition(), min_size=low, max_size=limit))
    spec["actions"] = draw(st.lists(action(), min_size=1, max_size=3))
    meta = draw(metadata(KIND, ruleId=st.just(rule_id)))
    return envelope(KIND, meta, spec)


def trigger_rules(
    policy: Policy | None = None, *, min_conditions: int = 1, max_conditions: int | None = None
) -> st.SearchStrategy[Doc]:
    """Valid ``TriggerRule`` documents: 1..``max-conditions`` conditions and at least one action.

    Operators from the SPEC set, each with a value it takes (a number for
    ``gt``/``lt``, a compiling pattern for ``regex``, text otherwise);
    ``display`` actions name a template; priorities are positive. Ask for
    ``min_conditions=policy.max_conditions`` to sit exactly at the limit.

    Shrinks towards one ``contains`` condition on empty text and one
    ``display`` action.
    """
    policy = active(policy)
    return memo(
        lambda: _trigger(policy, min_conditions, max_conditions),
        KIND,
        policy_key(policy),
        min_conditions,
        max_conditions,
    )


# ---------------------------------------------------------------------------- mutators

_BAD_PATTERNS = ("(", "[a-", "*x", "a{2,1}", "(?P<name", "\\")


def _condition_limit(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    conditions = doc["spec"]["conditions"]
    if variant(data, "one too many", "none") == "none":
        doc["spec"]["conditions"] = []
        return Change(pointer("spec", "conditions"), "every condition removed")
    limit = policy.max_conditions
    while len(conditions) <= limit:
        conditions.append(
            {
                "type": "keyword",
                "field": "conversation.text",
                "operator": "contains",
                "value": f"phrase {len(conditions) + 1}",
            }
        )
    return Change(
        pointer("spec", "conditions", limit),
        f"{limit + 1} conditions, one past the limit of {limit}",
    )


def _operator(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    conditions = doc["spec"]["conditions"]
    index = pick(data, len(conditions), "condition")
    conditions[index]["operator"] = data.draw(unallowed(OPERATORS), label="operator")
    return Change(
        pointer("spec", "conditions", index, "operator"),
        f"conditions[{index}].operator set to an unknown operator",
    )


def _value(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    conditions = doc["spec"]["conditions"]
    index = pick(data, len(conditions), "condition")
    op = data.draw(st.sampled_from(OPERATORS), label="operator")
    if op in ("gt", "lt"):
        value: Any = data.draw(
            st.one_of(
                st.sampled_from(("5", "high", True)), st.none(), st.lists(st.integers(), max_size=1)
            ),
            label="value",
        )
    elif op == "regex":
        value = data.draw(st.one_of(st.sampled_from(_BAD_PATTERNS), numbers()), label="value")
    else:
        value = data.draw(st.one_of(numbers(), st.booleans(), st.none()), label="value")
    conditions[index]["operator"], conditions[index]["value"] = op, value
    return Change(
        pointer("spec", "conditions", index, "value"), f"conditions[{index}]: {op} given {value!r}"
    )


def _action(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    actions = doc["spec"]["actions"]
    how = variant(data, "none", "unknown type", "display without template", "bad priority")
    if how == "none":
        doc["spec"]["actions"] = []
        return Change(pointer("spec", "actions"), "every action removed")
    index = pick(data, len(actions), "action")
    at = pointer("spec", "actions", index)
    if how == "unknown type":
        actions[index]["type"] = data.draw(unallowed(ACTION_TYPES), label="type")
    elif how == "display without template":
        actions[index]["type"] = "display"
        actions[index].pop("templateId", None)
    else:
        actions[index]["priority"] = data.draw(not_a_positive_int(), label="priority")
        at = f"{at}/priority"
    return Change(at, f"actions[{index}]: {how}")


MUTATORS: dict[str, Mutator] = {
    "trigger/condition-limit": _condition_limit,
    "trigger/operator": _operator,
    "trigger/value": _value,
    "trigger/action": _action,
}
