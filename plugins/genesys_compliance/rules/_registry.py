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
from typing import Any, Literal

from genesys_compliance.errors import DuplicateRuleError, PolicyError
from genesys_compliance.rules._finding import Severity, Violation

Stage = Literal["file", "document", "run", "org"]
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9-]*)+\Z")

Check = Callable[..., Iterable[Violation]]


@dataclass(frozen=True, slots=True)
class Rule:
    """A catalogue entry and the check that enforces it.

    ``kind`` limits a document rule to one configuration kind (``None``: any).
    ``stage`` says what the check sees: one document, the whole run (cross-file
    rules), or the org. Stages ``file`` and ``org`` are reported by the engine
    and the org checks, not called per document.
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
    """
    if not _ID.match(id):
        raise PolicyError(f"rule id {id!r} must look like 'family/what-it-checks'")
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
        """Add ``item``; return it so the call can sit under a decorator."""
        if not isinstance(item, Rule):
            raise PolicyError(f"only rules made with @rule can be registered, not {item!r}")
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
