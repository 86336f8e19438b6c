"""RoutingStrategy: the pure-play routing strategy of one queue and media type."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import Field

from genesys_compliance.config import pointer
from genesys_compliance.kinds._base import Config, Kind, Metadata, Scalar, Strict
from genesys_compliance.kinds._erlang import erlang_c, mean_queue_length, service_level
from genesys_compliance.rules import RuleContext, Violation, rule

KIND = "RoutingStrategy"
STRATEGIES = frozenset({"longestIdleAgent", "mostSkilled", "random", "custom"})
MEDIA_TYPES = frozenset({"voice", "chat", "callback"})
OVERFLOW_CONDITIONS = frozenset({"queueDepth", "waitTime"})
OVERFLOW_ACTIONS = frozenset({"routeToNextQueue", "addSkillToInteraction"})


class OverflowRule(Strict):
    """One overflow rule; ``strategy/overflow`` owns the values, including the threshold type."""

    condition: str
    threshold: Scalar = None
    action: str


class Overflow(Strict):
    """Overflow rules, evaluated in order by the routing engine."""

    rules: list[OverflowRule] = Field(default_factory=list)


class Skills(Strict):
    """Skills an agent must have, and skills that rank agents who have them."""

    required: list[str] = Field(default_factory=list)
    preferred: list[str] = Field(default_factory=list)


class StrategySpec(Strict):
    """The strategy payload for ``PATCH /api/v2/routing/queues/{queueId}/strategies``.

    No ``version``: the org versions a queue's strategies as a set, sent as ``If-Match``.
    """

    strategy: str
    mediaType: str  # noqa: N815 - the API's own spelling
    overflow: Overflow | None = None
    skills: Skills | None = None


class Peak(Strict):
    """The busiest hour the queue must survive, for ``strategy/peak-load``."""

    arrivalsPerHour: float = Field(gt=0)  # noqa: N815
    avgHandleSeconds: float = Field(gt=0)  # noqa: N815
    agents: int = Field(ge=1, le=100_000)
    serviceLevelSeconds: float | None = Field(default=None, ge=0)  # noqa: N815
    serviceLevelTarget: float | None = Field(default=None, gt=0, le=1)  # noqa: N815


class StrategyMetadata(Metadata):
    """The queue the strategy belongs to, and the staffing it is planned for."""

    queueId: str  # noqa: N815
    requiredAgents: int | None = Field(default=None, ge=0)  # noqa: N815
    peak: Peak | None = None


Strategy = Config[StrategyMetadata, StrategySpec]


def _rules_at(index: int, *rest: str) -> str:
    return pointer("spec", "overflow", "rules", index, *rest)


@rule(
    "strategy/enum",
    kind=KIND,
    severity="error",
    summary="strategy is longestIdleAgent, mostSkilled, random or custom; mediaType is voice, "
    "chat or callback",
    example="strategy: mostSkilled\nmediaType: voice",
)
def enum(strategy: Strategy, ctx: RuleContext) -> Iterator[Violation]:
    """The routing service rejects other values, after the change is already half applied."""
    spec = strategy.spec
    if spec.strategy not in STRATEGIES:
        yield Violation(
            pointer("spec", "strategy"),
            f"strategy {spec.strategy[:60]!r} is not one of {', '.join(sorted(STRATEGIES))}",
        )
    if spec.mediaType not in MEDIA_TYPES:
        yield Violation(
            pointer("spec", "mediaType"),
            f"mediaType {spec.mediaType[:60]!r} is not one of {', '.join(sorted(MEDIA_TYPES))}",
        )


@rule(
    "strategy/overflow",
    kind=KIND,
    severity="error",
    summary="each overflow rule has condition queueDepth|waitTime, a positive integer threshold "
    "and action routeToNextQueue|addSkillToInteraction",
    example="overflow:\n  rules:\n    - {condition: queueDepth, threshold: 15, "
    "action: routeToNextQueue}",
)
def overflow(strategy: Strategy, ctx: RuleContext) -> Iterator[Violation]:
    """A malformed overflow rule never fires, so the queue has no relief valve at peak."""
    if strategy.spec.overflow is None:
        return
    for index, item in enumerate(strategy.spec.overflow.rules):
        if item.condition not in OVERFLOW_CONDITIONS:
            yield Violation(
                _rules_at(index),
                f"overflow rule {index}: condition "
                f"{item.condition[:60]!r} is not queueDepth or "
                "waitTime",
            )
        threshold = item.threshold
        if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 1:
            shown = (
                repr(threshold)
                if isinstance(threshold, int | float)
                else (type(threshold).__name__)
            )
            yield Violation(
                _rules_at(index),
                f"overflow rule {index}: threshold must be a positive integer, not {shown}",
            )
        if item.action not in OVERFLOW_ACTIONS:
            yield Violation(
                _rules_at(index),
                f"overflow rule {index}: action "
                f"{item.action[:60]!r} is not routeToNextQueue or "
                "addSkillToInteraction",
            )


@rule(
    "strategy/skills",
    kind=KIND,
    severity="error",
    summary="mostSkilled needs a required skill; skills are not repeated nor both required "
    "and preferred",
    example="skills: {required: [support_tier1], preferred: [escalation_capable]}",
)
def skills(strategy: Strategy, ctx: RuleContext) -> Iterator[Violation]:
    """MostSkilled without a required skill degrades to random routing, silently."""
    found = strategy.spec.skills or Skills()
    if strategy.spec.strategy == "mostSkilled" and not found.required:
        yield Violation(
            pointer("spec", "skills") if strategy.spec.skills else pointer("spec", "strategy"),
            "mostSkilled routing needs at least one required skill",
        )
    for group in ("required", "preferred"):
        seen: set[str] = set()
        for index, skill in enumerate(getattr(found, group)):
            if skill in seen:
                yield Violation(
                    pointer("spec", "skills", group, index),
                    f"skill {skill[:60]!r} is repeated in skills.{group}",
                )
            seen.add(skill)
    required = set(found.required)
    for index, skill in enumerate(found.preferred):
        if skill in required:
            yield Violation(
                pointer("spec", "skills", "preferred", index),
                f"skill {skill[:60]!r} is both required and preferred",
            )


@rule(
    "strategy/peak-load",
    kind=KIND,
    severity="warning",
    summary="at metadata.peak load, Erlang C keeps the mean queue under the queueDepth overflow "
    "threshold and meets the service-level target; an unstable queue always warns",
    example="peak: {arrivalsPerHour: 45, avgHandleSeconds: 240, agents: 6,\n"
    "       serviceLevelSeconds: 20, serviceLevelTarget: 0.8}",
)
def peak_load(strategy: Strategy, ctx: RuleContext) -> Iterator[Violation]:
    """Catches a strategy that is valid on paper but drowns at the planned peak.

    Offered load is ``arrivalsPerHour × avgHandleSeconds / 3600`` Erlangs; see
    :mod:`genesys_compliance.kinds._erlang` for the formulas.
    """
    peak = strategy.metadata.peak
    if peak is None:
        return
    at = pointer("metadata", "peak")
    load = peak.arrivalsPerHour * peak.avgHandleSeconds / 3600.0
    agents = peak.agents
    if load >= agents:
        yield Violation(
            at, f"unstable queue: offered load {load:.2f} Erlangs needs more than {agents} agents"
        )
        return
    thresholds = [
        r.threshold
        for r in (strategy.spec.overflow.rules if strategy.spec.overflow else [])
        if r.condition == "queueDepth"
        and isinstance(r.threshold, int)
        and not isinstance(r.threshold, bool)
        and r.threshold >= 1
    ]
    queue = mean_queue_length(agents, load)
    if thresholds and queue > min(thresholds):
        yield Violation(
            at,
            f"at peak, Erlang C gives a mean queue of {queue:.1f} callers "
            f"(P(wait) {erlang_c(agents, load):.2f}), above the queueDepth "
            f"overflow threshold {min(thresholds)}",
        )
    if peak.serviceLevelSeconds is not None and peak.serviceLevelTarget is not None:
        level = service_level(agents, load, peak.avgHandleSeconds, peak.serviceLevelSeconds)
        if level < peak.serviceLevelTarget:
            yield Violation(
                at,
                f"at peak, {level:.1%} of callers are answered within "
                f"{peak.serviceLevelSeconds:g}s; the target is "
                f"{peak.serviceLevelTarget:.0%}",
            )


def _identity(strategy: Config[Any, Any]) -> tuple[str, str] | None:
    return (pointer("spec", "mediaType"), f"{strategy.metadata.queueId}/{strategy.spec.mediaType}")


ROUTING_STRATEGY = Kind(
    name=KIND,
    fixture="routing_strategy",
    metadata_model=StrategyMetadata,
    spec_model=StrategySpec,
    rules=(enum, overflow, skills, peak_load),
    identity=_identity,
    duplicate_rule="strategy/duplicate-media",
    description="pure-play routing strategy of one queue and media type",
)
