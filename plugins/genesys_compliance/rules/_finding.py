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
    """One violation of one rule, located in a file, as every report shows it."""

    rule_id: str
    severity: Severity
    message: str
    file: str
    line: int
    pointer: str = ""
    config: str | None = None
    waived: str | None = None

    def fails(self, *, strict: bool = False) -> bool:
        """Whether this finding fails its test: errors always, warnings under --gc-strict."""
        if self.waived is not None:
            return False
        return self.severity == "error" or strict

    def render(self) -> str:
        """One line as the test failure shows it: ``file:line  rule-id  message``."""
        tail = f"  (waived: {self.waived})" if self.waived is not None else ""
        level = "" if self.severity == "error" else " [warning]"
        return f"{self.file}:{self.line}  {self.rule_id}{level}  {self.message}{tail}"

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
