"""TriggerRule: agent-assist trigger rules (conditions that surface assist actions)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pydantic import Field

from genesys_compliance.config import pointer
from genesys_compliance.kinds._base import Config, Kind, Metadata, Scalar, Strict
from genesys_compliance.rules import RuleContext, Violation, rule

KIND = "TriggerRule"
OPERATORS = frozenset({"contains", "equals", "starts_with", "ends_with", "regex", "gt", "lt"})
ACTION_TYPES = frozenset({"display", "call", "webhook"})
_NUMERIC = frozenset({"gt", "lt"})
_STRING = frozenset({"contains", "equals", "starts_with", "ends_with"})


class Condition(Strict):
    """One condition; ``trigger/operator`` and ``trigger/value`` own its operator and value."""

    type: str
    field: str
    operator: str
    value: Any = None


class Action(Strict):
    """What the assist engine does when the rule matches."""

    type: str
    templateId: str | None = None  # noqa: N815 - the API's own spelling
    priority: Scalar = None


class TriggerSpec(Strict):
    """The PUT body of ``/api/v2/agent-assist/trigger-rules/{ruleId}``."""

    id: str | None = None
    etag: str | None = None
    name: str
    description: str | None = None
    ruleType: str  # noqa: N815
    enabled: bool = True
    conditions: list[Condition] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)


class TriggerMetadata(Metadata):
    """``ruleId`` names the rule on the org; it must equal ``spec.id`` when both are given."""

    ruleId: str | None = None  # noqa: N815


Trigger = Config[TriggerMetadata, TriggerSpec]


def is_number(value: object) -> bool:
    """Numbers as JSON means them: booleans are not numbers."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def regex_problem(value: object) -> str | None:
    """Why ``value`` is not a usable pattern, or ``None`` when it compiles."""
    if not isinstance(value, str):
        return f"a regex needs a pattern string, not {type(value).__name__}"
    try:
        re.compile(value)
    except (re.error, OverflowError, RecursionError) as error:
        return f"pattern does not compile: {error}"
    return None


def _cond_at(index: int, *rest: str) -> str:
    return pointer("spec", "conditions", index, *rest)


@rule(
    "trigger/condition-limit",
    kind=KIND,
    severity="error",
    summary="a trigger rule has 1..50 conditions (policy: max-conditions)",
    example="conditions:\n  - {type: keyword, field: conversation.text, operator: contains,\n"
    "     value: credit card declined}",
)
def condition_limit(trigger: Trigger, ctx: RuleContext) -> Iterator[Violation]:
    """No condition matches every utterance; too many blow the assist engine's latency budget."""
    count, limit = len(trigger.spec.conditions), ctx.policy.max_conditions
    if count == 0:
        yield Violation(
            pointer("spec", "conditions"), "a trigger rule needs at least one condition"
        )
    elif count > limit:
        yield Violation(_cond_at(limit), f"{count} conditions; at most {limit} are allowed")


@rule(
    "trigger/operator",
    kind=KIND,
    severity="error",
    summary="operator is contains, equals, starts_with, ends_with, regex, gt or lt",
    example="operator: contains",
)
def operator(trigger: Trigger, ctx: RuleContext) -> Iterator[Violation]:
    """The assist engine skips conditions with other operators, so the rule never fires."""
    for index, condition in enumerate(trigger.spec.conditions):
        if condition.operator not in OPERATORS:
            yield Violation(
                _cond_at(index, "operator"),
                f"condition {index}: operator {condition.operator[:60]!r} is not one "
                f"of {', '.join(sorted(OPERATORS))}",
            )


@rule(
    "trigger/value",
    kind=KIND,
    severity="error",
    summary="gt/lt take a number, regex a pattern that compiles, the string operators a string",
    example="- {type: metric, field: sentiment.score, operator: lt, value: -0.5}",
)
def value(trigger: Trigger, ctx: RuleContext) -> Iterator[Violation]:
    """A mistyped value is compared as text or not at all; the rule misfires silently."""
    for index, condition in enumerate(trigger.spec.conditions):
        op, found = condition.operator, condition.value
        at = _cond_at(index, "value")
        if op in _NUMERIC and not is_number(found):
            yield Violation(
                at, f"condition {index}: {op} takes a number, not {type(found).__name__}"
            )
        elif op == "regex":
            problem = regex_problem(found)
            if problem is not None:
                yield Violation(at, f"condition {index}: {problem}")
        elif op in _STRING and not isinstance(found, str):
            yield Violation(
                at, f"condition {index}: {op} takes a string, not {type(found).__name__}"
            )


@rule(
    "trigger/action",
    kind=KIND,
    severity="error",
    summary="at least one action; type display, call or webhook; display needs templateId; "
    "priority is a positive integer",
    example="actions:\n  - {type: display, templateId: tmpl_98765, priority: 1}",
)
def action(trigger: Trigger, ctx: RuleContext) -> Iterator[Violation]:
    """A rule without a working action matches and then does nothing for the agent."""
    actions = trigger.spec.actions
    if not actions:
        yield Violation(pointer("spec", "actions"), "a trigger rule needs at least one action")
    for index, item in enumerate(actions):
        at = pointer("spec", "actions", index)
        if item.type not in ACTION_TYPES:
            yield Violation(
                at,
                f"action {index}: type {item.type[:60]!r} is not one of "
                f"{', '.join(sorted(ACTION_TYPES))}",
            )
        if item.type == "display" and not item.templateId:
            yield Violation(at, f"action {index}: a display action needs a templateId")
        priority = item.priority
        given = priority is not None or "priority" in item.model_fields_set
        if given and (not isinstance(priority, int) or isinstance(priority, bool) or priority < 1):
            yield Violation(
                f"{at}/priority",
                f"action {index}: priority must be a positive integer, not {priority!r}"[:200],
            )


def _identity(trigger: Config[Any, Any]) -> tuple[str, str] | None:
    if trigger.metadata.ruleId is not None:
        return pointer("metadata", "ruleId"), trigger.metadata.ruleId
    if trigger.spec.id is not None:
        return pointer("spec", "id"), trigger.spec.id
    return None


def _consistent(trigger: Config[Any, Any]) -> Iterator[Violation]:
    """metadata.ruleId and spec.id name the same rule twice; they must agree."""
    rule_id, spec_id = trigger.metadata.ruleId, trigger.spec.id
    if rule_id is not None and spec_id is not None and rule_id != spec_id:
        yield Violation(
            pointer("metadata", "ruleId"),
            f"metadata.ruleId {rule_id[:60]!r} differs from spec.id {spec_id[:60]!r}",
        )


TRIGGER_RULE = Kind(
    name=KIND,
    fixture="trigger_rule",
    metadata_model=TriggerMetadata,
    spec_model=TriggerSpec,
    rules=(condition_limit, operator, value, action),
    identity=_identity,
    envelope_check=_consistent,
    description="agent-assist trigger rule",
)
