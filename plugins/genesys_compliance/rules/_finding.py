"""What a rule reports: a violation inside one document, and the finding it becomes."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Violation:
    """What a rule yields: where (a JSON pointer into the document) and what is wrong.

    Rules never compute lines or files; the engine resolves the pointer, so a
    rule stays a pure function of the typed configuration.
    """

    pointer: str
    message: str


@dataclass(frozen=True, slots=True)
class Finding:
    """One violation of one rule, located in a file, as every report shows it.

    ``waived`` is the reason of the configuration's waiver of the rule, and
    ``waiver_owner`` who answers for it; ``known`` says the run's baseline
    accepts the finding. Neither kind fails a test, and both stay in every report.
    """

    rule_id: str
    severity: Severity
    message: str
    file: str
    line: int
    pointer: str = ""
    config: str | None = None
    waived: str | None = None
    waiver_owner: str | None = None
    known: bool = False

    def fails(self, *, strict: bool = False) -> bool:
        """Whether this finding fails its test: errors always, warnings under --gc-strict."""
        if self.waived is not None or self.known:
            return False
        return self.severity == "error" or strict

    def render(self) -> str:
        """One line as the test failure shows it: ``file:line  rule-id  message``."""
        level = "" if self.severity == "error" else " [warning]"
        return f"{self.file}:{self.line}  {self.rule_id}{level}  {self.message}{self._tail()}"

    def _tail(self) -> str:
        """Why the finding does not fail, where it does not: the waiver and its owner, or known."""
        if self.waived is not None:
            owner = f"; owner: {self.waiver_owner}" if self.waiver_owner else ""
            return f"  (waived: {self.waived}{owner})"
        return "  (known: in the baseline)" if self.known else ""

    def to_dict(self) -> dict[str, Any]:
        """Plain data for xdist transport and JSON outputs."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """Inverse of :meth:`to_dict`."""
        return cls(**data)

    def sort_key(self) -> tuple[str, int, str, str]:
        """Stable report order: by file, line, rule, message."""
        return (self.file, self.line, self.rule_id, self.message)
