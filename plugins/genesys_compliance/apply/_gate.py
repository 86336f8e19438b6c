"""Which configurations the apply stage may touch: typed, and no finding of theirs fails.

The plan and the apply take a :class:`Gate`, never bare entries, so a
configuration that failed validation (or a contract or org test the caller
ran) cannot be planned by accident: it is refused here, with its reasons, and
the plan lists it as not planned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from genesys_compliance.engine import Entry, Run
    from genesys_compliance.rules import Finding

__all__ = ["Approved", "Gate", "Refused", "gate"]


@dataclass(frozen=True, slots=True, eq=False)
class Approved:
    """A configuration cleared for the apply stage.

    Construct it through :func:`gate`; the constructor checks again that the
    entry is typed and that none of ``findings`` fails, so an ``Approved``
    never holds a failing configuration.

    Attributes:
        entry: The engine's entry.
        findings: The findings it was judged by (all of them, waived included).
        strict: Whether warnings counted as failures.
    """

    entry: Entry
    findings: tuple[Finding, ...] = ()
    strict: bool = False

    def __post_init__(self) -> None:
        if self.entry.config is None:
            raise ValueError(f"{self.entry.id}: only a typed configuration can be approved")
        failing = sorted({f.rule_id for f in self.findings if f.fails(strict=self.strict)})
        if failing:
            raise ValueError(f"{self.entry.id}: fails {', '.join(failing)}; it cannot be approved")

    @property
    def kind(self) -> str:
        """The configuration's kind."""
        return self.entry.kind.name

    @property
    def name(self) -> str:
        """``metadata.name``."""
        return self.entry.name

    @property
    def id(self) -> str:
        """The configuration's test id (``label::name``)."""
        return self.entry.id

    @property
    def file(self) -> str:
        """Its file, relative to the run's root."""
        return self.entry.file

    @property
    def document(self) -> Any:
        """The configuration document as the file states it (the table's pointers read it)."""
        return self.entry.document.data

    @property
    def spec(self) -> Any:
        """The ``spec`` as the file states it: exactly the fields it manages."""
        return self.entry.document.data["spec"]

    def line_of(self, spec_pointer: str) -> int:
        """The file line of a field of the spec."""
        return self.entry.document.line_of("/spec" + spec_pointer)


@dataclass(frozen=True, slots=True)
class Refused:
    """A configuration the apply stage leaves alone, and why.

    Attributes:
        config: Its test id.
        kind: Its kind.
        name: ``metadata.name``.
        file: Its file, relative to the run's root.
        reasons: What failed: rule ids, and the caller's reasons.
    """

    config: str
    kind: str
    name: str
    file: str
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the plan file."""
        return {
            "config": self.config,
            "file": self.file,
            "kind": self.kind,
            "name": self.name,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True, slots=True)
class Gate:
    """The run split into what apply may touch and what it may not.

    Attributes:
        approved: Configurations cleared for plan and apply, in run order.
        refused: Configurations that failed, with their reasons.
        file_failures: Failing findings of files that yielded no configuration
            (parse errors, broken envelopes): they name no resource, but a run
            with any of them has failed its gate.
    """

    approved: tuple[Approved, ...]
    refused: tuple[Refused, ...] = ()
    file_failures: tuple[Finding, ...] = ()

    @property
    def passed(self) -> bool:
        """Whether the whole run passed: the condition for apply to write anything."""
        return not self.refused and not self.file_failures


def gate(
    run: Run,
    *,
    strict: bool = False,
    failed: Mapping[str, Sequence[str]] | None = None,
    entries: Sequence[Entry] | None = None,
) -> Gate:
    """Judge every configuration of a run for the apply stage.

    Args:
        run: The loaded run.
        strict: Warnings fail too (``--gc-strict``).
        failed: Configuration id to reasons, for tests the caller ran beyond
            the engine's (the contract and org suites): those are refused too.
        entries: Judge only these entries of the run (default: all).
    """
    failed = failed or {}
    approved: list[Approved] = []
    refused: list[Refused] = []
    for entry in run.entries if entries is None else entries:
        findings = tuple(run.check(entry))
        reasons = sorted({f.rule_id for f in findings if f.fails(strict=strict)})
        reasons.extend(sorted(set(failed.get(entry.id, ())) - set(reasons)))
        if entry.config is None and not reasons:
            reasons.append("config/schema")
        if reasons:
            refused.append(
                Refused(entry.id, entry.kind.name, entry.name, entry.file, tuple(reasons))
            )
        else:
            approved.append(Approved(entry, findings, strict))
    file_failures = tuple(
        finding
        for found in run.file_findings.values()
        for finding in found
        if finding.fails(strict=strict)
    )
    return Gate(tuple(approved), tuple(refused), file_failures)
