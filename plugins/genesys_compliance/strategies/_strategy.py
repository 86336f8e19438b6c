"""RoutingStrategy strategies: strategy, media, overflow, skills and a peak the queue survives."""

from __future__ import annotations

import math
from functools import cache
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

from genesys_compliance.config import pointer
from genesys_compliance.kinds import mean_queue_length, service_level
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
    fresh,
    memo,
    metadata,
    policy_key,
    uuids,
    words,
)

if TYPE_CHECKING:
    from genesys_compliance.rules import Policy

KIND = "RoutingStrategy"
STRATEGIES = ("longestIdleAgent", "mostSkilled", "random", "custom")
MEDIA_TYPES = ("voice", "chat", "callback")
CONDITIONS = ("queueDepth", "waitTime")
ACTIONS = ("routeToNextQueue", "addSkillToInteraction")
_MAX_EXTRA_AGENTS = 400


@cache
def _overflow_rule() -> st.SearchStrategy[dict[str, Any]]:
    # Built explicitly: key order is part of what a round trip must keep.
    return st.builds(
        lambda condition, threshold, action: {
            "condition": condition,
            "threshold": threshold,
            "action": action,
        },
        st.sampled_from(CONDITIONS),
        st.integers(1, 600),
        st.sampled_from(ACTIONS),
    )


def comfortable_agents(
    arrivals: int, handle: int, queue_limit: int | None, level: tuple[float, float] | None
) -> int | None:
    """The fewest agents that keep ``strategy/peak-load`` quiet, or ``None`` past the search.

    Uses the library's Erlang C on purpose: generation must agree with the
    rule bit for bit; the Erlang functions are proven separately against exact
    arithmetic.
    """
    load = float(arrivals) * float(handle) / 3600.0
    agents = max(1, math.floor(load) + 1)
    for candidate in range(agents, agents + _MAX_EXTRA_AGENTS):
        if load >= candidate:
            continue
        if queue_limit is not None and mean_queue_length(candidate, load) > queue_limit:
            continue
        if level is not None and service_level(candidate, load, float(handle), level[0]) < level[1]:
            continue
        return candidate
    return None


@st.composite
def _strategy(draw: st.DrawFn, policy: Policy) -> Doc:
    strategy = draw(st.sampled_from(STRATEGIES))
    spec: dict[str, Any] = {"strategy": strategy, "mediaType": draw(st.sampled_from(MEDIA_TYPES))}
    rules = draw(st.lists(_overflow_rule(), max_size=3))
    if bool(rules) or draw(st.booleans()):
        spec["overflow"] = {"rules": rules}
    required = draw(
        st.lists(words(), min_size=1 if strategy == "mostSkilled" else 0, max_size=3, unique=True)
    )
    preferred = draw(st.lists(words().filter(lambda s: s not in required), max_size=2, unique=True))
    if bool(required or preferred) or draw(st.booleans()):
        skills: dict[str, Any] = {}
        if bool(required) or draw(st.booleans()):
            skills["required"] = required
        if preferred:
            skills["preferred"] = preferred
        spec["skills"] = skills
    meta = draw(metadata(KIND, queueId=uuids(), requiredAgents=st.none() | st.integers(0, 500)))
    if draw(st.booleans()):
        arrivals, handle = draw(st.integers(1, 600)), draw(st.integers(10, 900))
        level = None
        if draw(st.booleans()):
            level = (float(draw(st.integers(0, 60))), draw(st.sampled_from((0.5, 0.7, 0.8, 0.9))))
        depths = [r["threshold"] for r in rules if r["condition"] == "queueDepth"]
        agents = comfortable_agents(arrivals, handle, min(depths) if depths else None, level)
        if agents is not None:
            peak: dict[str, Any] = {
                "arrivalsPerHour": arrivals,
                "avgHandleSeconds": handle,
                "agents": agents,
            }
            if level is not None:
                peak["serviceLevelSeconds"], peak["serviceLevelTarget"] = level
            meta["peak"] = peak
    return envelope(KIND, meta, spec)


def routing_strategies(policy: Policy | None = None) -> st.SearchStrategy[Doc]:
    """Valid ``RoutingStrategy`` documents for one queue and media type.

    Strategy and media from the SPEC enums; overflow rules with a known
    condition, a positive integer threshold and a known action; ``mostSkilled``
    always has a required skill, and no skill repeats or is both required and
    preferred. About half carry ``metadata.peak``, staffed with the fewest
    agents for which Erlang C keeps the queue under the ``queueDepth``
    thresholds and meets the service-level target, so ``strategy/peak-load``
    stays quiet at its boundary.

    Shrinks towards ``longestIdleAgent`` on ``voice`` without overflow, skills
    or peak.
    """
    policy = active(policy)
    return memo(lambda: _strategy(policy), KIND, policy_key(policy))


# ---------------------------------------------------------------------------- mutators


def _enum(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    field = variant(data, "strategy", "mediaType")
    allowed = STRATEGIES if field == "strategy" else MEDIA_TYPES
    doc["spec"][field] = data.draw(unallowed(allowed), label=field)
    return Change(pointer("spec", field), f"spec.{field} set to an unknown value")


def _overflow(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    """Break one field of one overflow rule (adding a harmless waitTime rule when none)."""
    rules = doc["spec"].setdefault("overflow", {"rules": []})["rules"]
    if not rules:
        rules.append({"condition": "waitTime", "threshold": 30, "action": "routeToNextQueue"})
    index = pick(data, len(rules), "overflow rule")
    how = variant(data, "threshold", "condition", "action", "no threshold")
    if how == "threshold":
        rules[index]["threshold"] = data.draw(not_a_positive_int(), label="threshold")
    elif how == "no threshold":
        del rules[index]["threshold"]
    else:
        rules[index][how] = data.draw(
            unallowed(CONDITIONS if how == "condition" else ACTIONS), label=how
        )
    return Change(
        pointer("spec", "overflow", "rules", index), f"overflow rule {index}: {how} broken"
    )


def _skills(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    spec = doc["spec"]
    how = variant(
        data,
        "mostSkilled without required",
        "mostSkilled without skills",
        "repeated skill",
        "required and preferred",
    )
    if how == "mostSkilled without skills":
        spec["strategy"] = "mostSkilled"
        spec.pop("skills", None)
        return Change(pointer("spec", "strategy"), "mostSkilled without any skills block")
    skills = spec.setdefault("skills", {})
    if how == "mostSkilled without required":
        spec["strategy"] = "mostSkilled"
        skills["required"] = []
        return Change(pointer("spec", "skills"), "mostSkilled with no required skill")
    required = skills.setdefault("required", [])
    preferred = skills.get("preferred", [])
    if how == "repeated skill":
        group = data.draw(st.sampled_from(("required", "preferred")), label="group")
        listed = skills.setdefault(group, [])
        if not listed:
            listed.append(fresh("escalation", set(required) | set(preferred)))
        listed.append(listed[pick(data, len(listed), "skill repeated")])
        return Change(
            pointer("spec", "skills", group, len(listed) - 1), f"a skill repeated in skills.{group}"
        )
    if not required:
        required.append(fresh("escalation", set(preferred)))
    preferred = skills.setdefault("preferred", [])
    preferred.append(required[pick(data, len(required), "required skill")])
    return Change(
        pointer("spec", "skills", "preferred", len(preferred) - 1),
        "a required skill is also preferred",
    )


def _peak_load(doc: Doc, data: st.DataObject, policy: Policy) -> Change | None:
    """A peak whose offered load reaches the agents: unstable, which always warns."""
    agents = data.draw(st.integers(1, 50), label="agents")
    times = data.draw(st.integers(1, 3), label="load / agents")
    doc["metadata"]["peak"] = {
        "arrivalsPerHour": 10 * agents * times,
        "avgHandleSeconds": 360,
        "agents": agents,
    }
    return Change(
        pointer("metadata", "peak"), f"peak load {agents * times} Erlangs on {agents} agents"
    )


MUTATORS: dict[str, Mutator] = {
    "strategy/enum": _enum,
    "strategy/overflow": _overflow,
    "strategy/skills": _skills,
    "strategy/peak-load": _peak_load,
}
