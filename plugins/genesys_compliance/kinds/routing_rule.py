"""RoutingRule: routing rules whose condition is an expression tree.

Trees are walked with an explicit stack, never by recursion: the nesting limit
is a policy setting, and no setting may turn a deep tree into a RecursionError.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from genesys_compliance.config import pointer
from genesys_compliance.kinds._base import Config, Kind, Metadata, Strict
from genesys_compliance.kinds.trigger import is_number, regex_problem
from genesys_compliance.rules import RuleContext, Violation, rule

KIND = "RoutingRule"
NODE_FIELDS = frozenset({"type", "field", "operator", "value", "children"})
LOGICAL = frozenset({"and", "or", "not"})
NODE_TYPES = LOGICAL | {"condition"}
OPERATORS = frozenset(
    {"eq", "neq", "gt", "lt", "gte", "lte", "exists", "not_exists", "contains", "regex"}
)
_NUMERIC = frozenset({"gt", "lt", "gte", "lte"})
_PRESENCE = frozenset({"exists", "not_exists"})
_MAX_SCHEMA_PROBLEMS = 20


class RoutingRuleSpec(Strict):
    """The body of ``POST /api/v2/routing/rules``; the tree is checked node by node."""

    name: str
    description: str | None = None
    expression: dict[str, Any]
    priority: int | None = None
    enabled: bool = True
    version: int | None = None
    id: str | None = None


class RoutingRuleMetadata(Metadata):
    """The queue the rule routes for; names are unique per queue."""

    queueId: str  # noqa: N815 - the API's own spelling


RoutingRule = Config[RoutingRuleMetadata, RoutingRuleSpec]


@dataclass(eq=False, slots=True)
class Node:
    """One expression node, with its pointer and level (the root is level 1)."""

    type: str
    pointer: str
    level: int
    field: str | None = None
    operator: str | None = None
    value: Any = None
    has_value: bool = False
    has_children: bool = False
    children: list[Node] = dataclasses.field(default_factory=list)


def walk(root: Node) -> Iterator[Node]:
    """Every node in document order (pre-order), iteratively."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


def _build(raw: dict[str, Any], at: str) -> Node:
    root = Node(type=raw["type"], pointer=at, level=1)
    stack: list[tuple[dict[str, Any], Node]] = [(raw, root)]
    while stack:
        data, node = stack.pop()
        node.field = data.get("field")
        node.operator = data.get("operator")
        node.has_value = "value" in data
        node.value = data.get("value")
        node.has_children = "children" in data
        for index, child in enumerate(data.get("children") or []):
            built = Node(
                type=child["type"], pointer=f"{node.pointer}/children/{index}", level=node.level + 1
            )
            node.children.append(built)
            stack.append((child, built))
    return root


@lru_cache(maxsize=256)
def tree(config: RoutingRule) -> Node:
    """The expression as :class:`Node` objects; only for configurations that passed the schema."""
    return _build(config.spec.expression, pointer("spec", "expression"))


def expression_schema(spec: dict[str, Any]) -> Iterator[Violation]:
    """Check the tree's shape iteratively: mappings, known fields, field types.

    The shape is the API's contract (``config/schema``); what the values mean
    is left to the ``routing-rule/*`` rules.
    """
    raw = spec.get("expression")
    if not isinstance(raw, dict):
        return  # missing or not a mapping: the spec model reports it
    problems = 0
    stack: list[tuple[Any, str]] = [(raw, pointer("spec", "expression"))]
    while stack and problems < _MAX_SCHEMA_PROBLEMS:
        node, at = stack.pop()
        found: list[Violation] = []
        if not isinstance(node, dict):
            found.append(
                Violation(at, f"expression node must be a mapping, not {type(node).__name__}")
            )
        else:
            unknown = sorted(str(k) for k in node if k not in NODE_FIELDS)
            if unknown:
                found.append(
                    Violation(
                        at,
                        f"unknown field(s) in expression node: "
                        f"{', '.join(u[:40] for u in unknown[:5])}",
                    )
                )
            if "type" not in node:
                found.append(Violation(at, "expression node has no type"))
            for name in ("type", "field", "operator"):
                if name in node and not isinstance(node[name], str):
                    found.append(
                        Violation(
                            f"{at}/{name}",
                            f"{name} must be a string, not {type(node[name]).__name__}",
                        )
                    )
            children = node.get("children")
            if "children" in node and not isinstance(children, list):
                found.append(Violation(f"{at}/children", "children must be a list"))
            elif isinstance(children, list):
                stack.extend(
                    (child, f"{at}/children/{i}")
                    for i, child in reversed(list(enumerate(children)))
                )
        problems += len(found)
        yield from found


@rule(
    "routing-rule/depth",
    kind=KIND,
    severity="error",
    summary="expression depth is at most 10: a lone condition is depth 1, each logical level "
    "adds 1 (policy: max-expression-depth)",
    example="expression:\n  type: and\n  children:\n    - {type: condition, field: skill, "
    "operator: exists, value: technical_support}",
)
def depth(routing_rule: RoutingRule, ctx: RuleContext) -> Iterator[Violation]:
    """Deep trees time out in the routing engine under load; the call then routes by default.

    The finding points at the first node (in document order) past the limit.
    """
    limit = ctx.policy.max_expression_depth
    deepest, first_past = 0, None
    for node in walk(tree(routing_rule)):
        deepest = max(deepest, node.level)
        if node.level > limit and first_past is None:
            first_past = node
    if first_past is not None:
        yield Violation(
            first_past.pointer, f"expression depth {deepest} exceeds the limit of {limit}"
        )


@rule(
    "routing-rule/operator",
    kind=KIND,
    severity="error",
    summary="operator is eq, neq, gt, lt, gte, lte, exists, not_exists, contains or regex",
    example="{type: condition, field: language, operator: eq, value: en}",
)
def operator(routing_rule: RoutingRule, ctx: RuleContext) -> Iterator[Violation]:
    """The routing engine rejects the whole rule for one unknown operator."""
    for node in walk(tree(routing_rule)):
        if (
            node.type == "condition"
            and node.operator is not None
            and (node.operator not in OPERATORS)
        ):
            yield Violation(
                f"{node.pointer}/operator",
                f"operator {node.operator[:60]!r} is not one of {', '.join(sorted(OPERATORS))}",
            )


@rule(
    "routing-rule/structure",
    kind=KIND,
    severity="error",
    summary="type is and/or/not/condition; and/or have children, not exactly one; conditions "
    "have field and operator and no children; logical nodes no field/operator/value",
    example="{type: not, children: [{type: condition, field: vip_flag, operator: eq, "
    "value: true}]}",
)
def structure(routing_rule: RoutingRule, ctx: RuleContext) -> Iterator[Violation]:
    """A malformed tree evaluates differently from what its author reads."""
    for node in walk(tree(routing_rule)):
        if node.type not in NODE_TYPES:
            yield Violation(
                node.pointer, f"node type {node.type[:60]!r} is not one of and, or, not, condition"
            )
        elif node.type == "condition":
            missing = [
                n for n, v in (("field", node.field), ("operator", node.operator)) if v is None
            ]
            if missing:
                yield Violation(node.pointer, f"condition has no {' and no '.join(missing)}")
            if node.has_children:
                yield Violation(node.pointer, "a condition has no children")
        else:
            stray = [
                n for n, v in (("field", node.field), ("operator", node.operator)) if v is not None
            ] + (["value"] if node.has_value else [])
            if stray:
                yield Violation(
                    node.pointer,
                    f"logical node {node.type!r} has {', '.join(stray)}; only conditions do",
                )
            count = len(node.children)
            if node.type == "not" and count != 1:
                yield Violation(node.pointer, f"'not' takes exactly one child, not {count}")
            elif node.type in ("and", "or") and count < 1:
                yield Violation(node.pointer, f"{node.type!r} needs at least one child")


def _is_bool_text(value: object) -> bool:
    return isinstance(value, str) and value.lower() in ("true", "false")


@rule(
    "routing-rule/value",
    kind=KIND,
    severity="error",
    summary="gt/lt/gte/lte take a number, regex a pattern that compiles; values are scalars; "
    "'true'/'false' count as booleans; exists/not_exists may name a value",
    example="{type: condition, field: priority, operator: gte, value: 5}",
)
def value(routing_rule: RoutingRule, ctx: RuleContext) -> Iterator[Violation]:
    """The engine casts values by operator; a value it cannot cast makes the condition false."""
    for node in walk(tree(routing_rule)):
        if node.type != "condition" or node.operator not in OPERATORS:
            continue
        at, found, op = f"{node.pointer}/value", node.value, node.operator
        if not node.has_value:
            if op not in _PRESENCE:
                yield Violation(node.pointer, f"operator {op} needs a value")
            continue
        if found is None or isinstance(found, dict | list):
            kind = "null" if found is None else type(found).__name__
            yield Violation(at, f"value must be a string, number or boolean, not {kind}")
        elif op in _NUMERIC and not is_number(found):
            shown = (
                "a boolean"
                if _is_bool_text(found) or isinstance(found, bool)
                else (type(found).__name__)
            )
            yield Violation(at, f"{op} takes a number, not {shown}")
        elif op == "regex":
            problem = regex_problem(found)
            if problem is not None:
                yield Violation(at, problem)


@rule(
    "routing-rule/field",
    kind=KIND,
    severity="error",
    summary="field is skill, language, priority, wrapupcode or vip_flag (policy: routing-fields)",
    example="{type: condition, field: skill, operator: exists, value: technical_support}",
)
def field_name(routing_rule: RoutingRule, ctx: RuleContext) -> Iterator[Violation]:
    """Conditions on attributes the interaction does not carry are always false."""
    allowed = ctx.policy.routing_fields
    for node in walk(tree(routing_rule)):
        if node.type == "condition" and node.field is not None and node.field not in allowed:
            yield Violation(
                f"{node.pointer}/field",
                f"field {node.field[:60]!r} is not one of {', '.join(sorted(allowed))}",
            )


def _identity(routing_rule: Config[Any, Any]) -> tuple[str, str] | None:
    return pointer("spec", "name"), f"{routing_rule.metadata.queueId}/{routing_rule.spec.name}"


ROUTING_RULE = Kind(
    name=KIND,
    fixture="routing_rule",
    metadata_model=RoutingRuleMetadata,
    spec_model=RoutingRuleSpec,
    rules=(depth, operator, structure, value, field_name),
    identity=_identity,
    duplicate_rule="routing-rule/duplicate-name",
    extra_schema=expression_schema,
    description="routing rule with a condition expression tree",
)
