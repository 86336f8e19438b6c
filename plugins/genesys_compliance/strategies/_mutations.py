"""Single-rule mutators: from a valid configuration, one that breaks exactly one named rule.

A mutation knows the rule it breaks and the element the finding must point
at (a JSON pointer), so a property can check the finding's rule id, pointer
and line without running the rule to find out.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from hypothesis import assume
from hypothesis import strategies as st

from genesys_compliance.kinds import KINDS, builtin_registry
from genesys_compliance.strategies import (
    _envelope,
    _flow,
    _layout,
    _routing_rule,
    _strategy,
    _trigger,
)
from genesys_compliance.strategies._common import FAR_FUTURE, Doc, active, to_yaml

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from genesys_compliance.rules import Policy
    from genesys_compliance.strategies._change import Mutator

GENERATORS: dict[str, Callable[[Policy], st.SearchStrategy[Doc]]] = {
    "DesktopLayout": _layout.desktop_layouts,
    "FlowSettings": _flow.flow_settings,
    "RoutingStrategy": _strategy.routing_strategies,
    "TriggerRule": _trigger.trigger_rules,
    "RoutingRule": _routing_rule.routing_rules,
}

_BY_KIND: dict[str, dict[str, Mutator]] = {
    "DesktopLayout": _layout.MUTATORS,
    "FlowSettings": _flow.MUTATORS,
    "RoutingStrategy": _strategy.MUTATORS,
    "TriggerRule": _trigger.MUTATORS,
    "RoutingRule": _routing_rule.MUTATORS,
}
_LOAD = "layout/load-impact"


@dataclass(frozen=True, slots=True)
class Mutation:
    """A configuration broken in exactly one place, and where the finding must point.

    Attributes:
        rule_id: The one rule the documents break.
        pointer: JSON pointer of the element the finding points at, in
            ``documents[document]``; for ``config/parse`` the collection at
            which parsing stops.
        documents: Everything to write to one file, in order (cross-file
            rules need a second configuration).
        document: Index of the document the finding is about.
        description: What was done, for people reading a failure.
        waived: Rules broken on the way and waived in the configuration
            itself (adding a widget past ``max-widgets`` also passes the
            SPEC's default load limit, so the mutation waives
            ``layout/load-impact``).
    """

    rule_id: str
    pointer: str
    documents: tuple[Doc, ...]
    document: int = 0
    description: str = ""
    waived: tuple[str, ...] = ()

    @property
    def config(self) -> Doc:
        """The document the finding is about."""
        return self.documents[self.document]

    def to_yaml(self) -> str:
        """The file to write: every document, ready to paste."""
        return to_yaml(*self.documents)

    def __repr__(self) -> str:
        return (
            f"Mutation({self.rule_id} at {_short(self.pointer) or '(line)'} of document "
            f"{self.document}: {self.description})"
        )


_POINTER_SHOWN = 120
"""Longest pointer a :class:`Mutation` repr shows whole: a 201-level one is 1,400 characters."""


def _short(ptr: str) -> str:
    """``ptr``, its middle elided when long, so a failure report stays one readable line."""
    if len(ptr) <= _POINTER_SHOWN:
        return ptr
    tokens = ptr.split("/")
    head, tail = "/".join(tokens[:4]), "/".join(tokens[-2:])
    return f"{head}/...({len(tokens) - 6} more)/{tail}"


def _shared_kinds(rule_id: str) -> frozenset[str]:
    return _envelope.KINDS_OF.get(rule_id, frozenset(KINDS))


def _kinds_for(rule_id: str) -> list[str]:
    if rule_id in _envelope.MUTATORS:
        return sorted(_shared_kinds(rule_id))
    return [kind for kind, table in _BY_KIND.items() if rule_id in table]


def _mutator(rule_id: str) -> Mutator | None:
    if rule_id in _envelope.MUTATORS:
        return _envelope.MUTATORS[rule_id]
    return next((table[rule_id] for table in _BY_KIND.values() if rule_id in table), None)


def mutable_rules(kind: str | None = None, *, policy: Policy | None = None) -> tuple[str, ...]:
    """Rule ids a mutator can break alone under ``policy``, in catalogue order.

    Every local rule of the catalogue is here except:

    * ``strategy/capacity`` and ``org/reference``: they need the org;
    * ``layout/load-impact`` whenever ``policy`` makes it unreachable without
      also breaking ``layout/widget-limit``: under the SPEC defaults twelve
      widgets at 0.15 load exactly 1.80, the limit, so only a policy with
      heavier widgets (``widget-load``, ``widget-load-by-type``) lets it be
      broken on its own.

    ``config/parse`` is broken one way only (nesting one level past
    ``max-nesting-depth``): mutations edit data, and syntax errors, duplicate
    keys, bad encodings and alias bombs exist only as text.
    """
    policy = active(policy)
    out = []
    for item in builtin_registry():
        if _mutator(item.id) is None or (kind is not None and kind not in _kinds_for(item.id)):
            continue
        if item.id == _LOAD and not _layout.can_overload(policy):
            continue
        out.append(item.id)
    return tuple(out)


def _strip_waivers(doc: Doc, rule_id: str) -> None:
    """Drop waivers of the rule about to be broken: a waived finding would not fail."""
    meta = doc["metadata"]
    kept = [w for w in meta.get("waivers") or [] if w.get("rule") != rule_id]
    if kept:
        meta["waivers"] = kept
    else:
        meta.pop("waivers", None)


def _waive_load(doc: Doc, policy: Policy) -> tuple[str, ...]:
    """Waive ``layout/load-impact`` when a layout mutation had to push the load over."""
    if _layout.load(doc["spec"], policy) <= Decimal(str(policy.max_load_impact)):
        return ()
    waivers = doc["metadata"].setdefault("waivers", [])
    if not any(w.get("rule") == _LOAD for w in waivers):
        waivers.append(
            {"rule": _LOAD, "reason": "Widget count under test, not load", "expires": FAR_FUTURE}
        )
    return (_LOAD,)


def mutate(
    config: Doc, rule_id: str, data: st.DataObject, *, policy: Policy | None = None
) -> Mutation | None:
    """Break ``rule_id``, and nothing else, in a copy of the valid ``config``.

    Choices (which widget, which text) are drawn from ``data``, so they
    shrink with the rest of the example. ``None`` means this configuration
    cannot be broken that way (a layout with one widget has no two widgets
    to overlap and no room to add one, for instance); skip it with
    ``assume``. How each rule is broken (one way drawn per call):

    * ``config/parse``: mappings nested one level past ``max-nesting-depth``;
      ``config/envelope``: apiVersion, unknown kind, a name outside the
      grammar (a trailing newline included), an unknown top-level or metadata field,
      ``ruleId`` differing from ``spec.id``; ``config/schema``: an unknown,
      mistyped or missing spec field, a malformed expression node;
      ``config/secret``: a literal under a credential key, a JWT or bearer
      token; ``config/waiver``: expired, without reason, of an unknown rule,
      with an unknown field; the duplicate rules: a second document aimed at
      the same resource.
    * ``layout/*``: grid one past the maximum; one widget past the limit (on
      free cells); a type or visibility condition from arbitrary text; a
      position negative, non-integer or missing; a widget one cell past the
      right or bottom edge over no other widget; two widgets sharing exactly
      one cell; a repeated id; every widget the heaviest type.
    * ``flow/*``: an id near a UUID; an org scope naming another org; an
      empty, unknown or repeated target; a blank key, nested value, extra
      field or repeated key in the matrix; ``maxWaitTime`` 0, one past the
      maximum, non-integer.
    * ``strategy/*``: unknown strategy or media; an overflow threshold that
      is not a positive integer, an unknown condition or action;
      ``mostSkilled`` without a required skill, a repeated skill, a skill
      both required and preferred; an unstable peak.
    * ``trigger/*``: no condition or one past the limit; an operator from
      arbitrary text; a value its operator does not take; no action, an
      unknown type, ``display`` without template, a priority not positive.
    * ``routing-rule/*``: a condition wrapped one level past the depth limit;
      an operator or field from arbitrary text; an unknown node type, a
      logical node with a condition's field, ``not`` with two children,
      ``and``/``or`` without children, a condition with children or without
      field or operator; a value its operator does not take.

    See :func:`mutable_rules` for the rules left out and why.

    Raises:
        ValueError: ``rule_id`` has no mutator, or none for ``config``'s kind.
    """
    policy = active(policy)
    mutator = _mutator(rule_id)
    if mutator is None:
        raise ValueError(f"no mutator breaks {rule_id!r}; see mutable_rules()")
    if config.get("kind") not in _kinds_for(rule_id):
        raise ValueError(f"{rule_id} cannot be broken in a {config.get('kind')!r}")
    doc = copy.deepcopy(config)
    _strip_waivers(doc, rule_id)
    change = mutator(doc, data, policy)
    if change is None:
        return None
    waived: tuple[str, ...] = ()
    if rule_id.startswith("layout/") and rule_id != _LOAD:
        waived = _waive_load(doc, policy)
    documents = (doc, *change.copies)
    index = 0 if change.in_copy is None else 1 + change.in_copy
    return Mutation(
        rule_id=rule_id,
        pointer=change.pointer,
        documents=documents,
        document=index,
        description=change.description,
        waived=waived,
    )


def mutations(
    rule_ids: Iterable[str] | None = None, *, policy: Policy | None = None
) -> st.SearchStrategy[Mutation]:
    """Mutations of valid configurations, each breaking one of ``rule_ids`` (default: all).

    Draws a rule id, a kind it applies to, a valid configuration of that kind
    and the mutation, retrying (with ``assume``) when the configuration cannot
    be broken that way.

    Shrinks towards the first rule id given, the first variant of its
    mutator, and the smallest configuration that still fails.
    """
    policy = active(policy)
    ids = list(mutable_rules(policy=policy) if rule_ids is None else rule_ids)
    unknown = [rule_id for rule_id in ids if _mutator(rule_id) is None]
    if unknown or not ids:
        raise ValueError(f"no mutator for {', '.join(unknown) or 'an empty list'}")

    @st.composite
    def draw_mutation(draw: st.DrawFn) -> Mutation:
        rule_id = draw(st.sampled_from(ids))
        kind = draw(st.sampled_from(_kinds_for(rule_id)))
        config = draw(GENERATORS[kind](policy))
        found = mutate(config, rule_id, draw(st.data()), policy=policy)
        assume(found is not None)
        assert found is not None
        return found

    return draw_mutation()


def configurations(
    policy: Policy | None = None, *, kinds: Iterable[str] | None = None
) -> st.SearchStrategy[Doc]:
    """Valid configurations of any of ``kinds`` (default: all five), valid under ``policy``.

    Shrinks towards the first kind in catalogue order (``DesktopLayout``) and
    then as that kind's strategy does.
    """
    policy = active(policy)
    chosen = list(KINDS) if kinds is None else [k for k in KINDS if k in set(kinds)]
    if not chosen:
        raise ValueError("no known kind asked for")
    return st.one_of([GENERATORS[kind](policy) for kind in chosen])
