"""The rule registry: ids are public, so each is claimed once and looked up by name.

A rule is a small function over a typed model that yields
:class:`~genesys_compliance.rules.Violation`. The :func:`rule` decorator turns
the function into a :class:`Rule` carrying its catalogue entry; a
:class:`Registry` collects rules explicitly (nothing registers itself on
import), which is how the built-in catalogue and users' own rules meet.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from genesys_compliance.errors import DuplicateRuleError, PolicyError
from genesys_compliance.rules._finding import Severity, Violation
from genesys_compliance.rules._spelling import non_ascii_note

Stage = Literal["file", "document", "run", "org", "apply"]
# Stages whose checks are called: per configuration, and per configuration with the org.
# ``file`` and ``run`` findings are computed by the engine itself (parsing, envelope,
# duplicates across files), ``apply`` findings by the apply stage; a check declared
# there would never be called.
CHECKED_STAGES: tuple[Stage, ...] = ("document", "org")
_STAGES: tuple[Stage, ...] = get_args(Stage)
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9-]*)+\Z")

Check = Callable[..., Iterable[Violation]]


@dataclass(frozen=True, slots=True)
class Rule:
    """A catalogue entry and the check that enforces it.

    ``kind`` limits a rule to one configuration kind (``None``: any).
    ``stage`` says when the check runs and what it sees:

    * ``document``: ``check(config, ctx)`` once per configuration, in every
      suite and on the command line; ``ctx`` is a
      :class:`~genesys_compliance.rules.RuleContext` (``policy``, ``today``).
    * ``org``: ``check(config, ctx)`` once per configuration in the org stage
      (the contract suite's org test); ``ctx`` is an
      :class:`~genesys_compliance.orgrules.OrgRuleContext`, which adds ``org``,
      the read-only, cached :class:`~genesys_compliance.orgrules.OrgView`.
    * ``file`` and ``run``: reported by the engine itself (parsing and envelope,
      duplicates across files); such rules carry no check.
    """

    id: str
    severity: Severity
    summary: str
    explanation: str
    example: str = ""
    kind: str | None = None
    stage: Stage = "document"
    check: Check | None = field(default=None, compare=False, repr=False)

    def __call__(self, *args: Any, **kwargs: Any) -> Iterable[Violation]:
        if self.check is None:
            raise PolicyError(f"rule {self.id} is reported by the engine and has no check")
        return self.check(*args, **kwargs)


def rule(
    id: str,
    *,
    severity: Severity,
    summary: str,
    kind: str | None = None,
    stage: Stage = "document",
    example: str = "",
) -> Callable[[Check], Rule]:
    """Turn a check function into a :class:`Rule`; its docstring is the explanation.

    Example::

        @rule("acme/layout-has-notes", severity="error", kind="DesktopLayout",
              summary="every agent layout has a notes widget")
        def layout_has_notes(layout, ctx):
            \"\"\"Agents lose wrap-up notes without one.\"\"\"
            if not any(w.widget_type == "notes-widget" for w in layout.spec.widgets):
                yield Violation("/spec/widgets", "no notes-widget in the layout")

    A rule that needs the org declares ``stage="org"``; its context carries the
    org's cached view as ``ctx.org``::

        @rule("acme/queue-staffed", severity="error", kind="RoutingStrategy", stage="org",
              summary="the strategy's queue has agents available")
        def queue_staffed(strategy, ctx):
            \"\"\"An unstaffed queue routes into silence.\"\"\"
            if not ctx.org.available_agents(strategy.metadata.queueId):
                yield Violation("/metadata/queueId", "no agent is available on the queue")

    The stage is checked when the rule is registered (:meth:`Registry.register`).
    """
    if not _ID.match(id):
        raise PolicyError(
            f"rule id {id!r} must look like 'family/what-it-checks'{non_ascii_note(id)}"
        )
    if severity not in ("error", "warning"):
        raise PolicyError(f"rule {id}: severity must be 'error' or 'warning', not {severity!r}")

    def decorate(check: Check) -> Rule:
        return Rule(
            id=id,
            severity=severity,
            summary=summary,
            explanation=inspect.cleandoc(check.__doc__ or summary),
            example=inspect.cleandoc(example) if example else "",
            kind=kind,
            stage=stage,
            check=check,
        )

    return decorate


class Registry:
    """An ordered set of rules keyed by id; registering an id twice is an error."""

    def __init__(self, rules: Iterable[Rule] = ()) -> None:
        self._rules: dict[str, Rule] = {}
        for item in rules:
            self.register(item)

    def register(self, item: Rule) -> Rule:
        """Add ``item``; return it so the call can sit under a decorator.

        A check is refused where it would never be called: a stage outside
        :data:`CHECKED_STAGES` (or no stage at all) would register a rule that
        silently checks nothing, which reads as compliance.
        """
        if not isinstance(item, Rule):
            raise PolicyError(f"only rules made with @rule can be registered, not {item!r}")
        allowed = " or ".join(repr(s) for s in CHECKED_STAGES)
        if item.stage not in _STAGES:
            raise PolicyError(
                f"rule {item.id}: unknown stage {item.stage!r}; a rule's stage is {allowed}"
            )
        if item.check is not None and item.stage not in CHECKED_STAGES:
            raise PolicyError(
                f"rule {item.id}: stage {item.stage!r} is reported by the engine itself and "
                f"never calls a check; a rule's stage is {allowed}"
            )
        if item.id in self._rules:
            raise DuplicateRuleError(f"rule id {item.id!r} is already registered")
        self._rules[item.id] = item
        return item

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules.values())

    def __len__(self) -> int:
        return len(self._rules)

    def get(self, rule_id: str) -> Rule:
        """Look a rule up by id; ``KeyError`` names the unknown id."""
        return self._rules[rule_id]

    def for_kind(self, kind: str, stage: Stage = "document") -> tuple[Rule, ...]:
        """The rules with a check that apply to ``kind`` at ``stage``."""
        return tuple(
            r
            for r in self._rules.values()
            if r.stage == stage and r.check is not None and r.kind in (None, kind)
        )
