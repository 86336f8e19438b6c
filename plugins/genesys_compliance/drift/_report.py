"""What the nightly check found: each difference and each unmanaged resource, with its finding.

The findings are what every report shows (terminal, SARIF, JUnit, Allure); the
typed records beside them are what ``--json`` and callers read, so no one has
to parse a message to learn a value or who changed it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from genesys_compliance.drift._values import public

if TYPE_CHECKING:
    from genesys_compliance.apply import Refused
    from genesys_compliance.contract import ResourceKey
    from genesys_compliance.rules import Finding

__all__ = ["DRIFT", "UNMANAGED", "Difference", "DriftReport", "Unmanaged"]

DRIFT = "org/drift"
UNMANAGED = "org/unmanaged"


@dataclass(frozen=True, slots=True)
class Difference:
    """One managed field whose value in the org is not the file's, or a resource the org lacks.

    Attributes:
        finding: The ``org/drift`` finding, at the field's line.
        kind: The configuration's kind.
        resource: Where the resource is (``None`` when the org has none and the
            file alone does not say where it would be).
        identity: What the configuration names its resource by, as it states it.
        git: The value the file states (for a missing resource: ``None``).
        org: The value in the org (``None`` when absent; see ``in_org``).
        in_org: Whether the org has the field.
        missing: The org lacks the resource itself (or it cannot be told which
            one it is): no field was compared.
        changed_by: The client the org's audit names for the last change, if it can tell.
        changed_at: When (RFC 3339), if it can tell.
    """

    finding: Finding
    kind: str
    resource: ResourceKey | None
    identity: Mapping[str, str]
    git: Any
    org: Any
    in_org: bool
    missing: bool = False
    changed_by: str | None = None
    changed_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON for ``--json``; credentials are replaced by a note, absent values left out."""
        ptr = self.finding.pointer
        out: dict[str, Any] = {
            "config": self.finding.config,
            "kind": self.kind,
            "file": self.finding.file,
            "line": self.finding.line,
            "pointer": ptr,
            "resource": None if self.resource is None else self.resource.to_dict(),
            "identity": dict(self.identity),
            "missing": self.missing,
            "changedBy": self.changed_by,
            "changedAt": self.changed_at,
            "message": self.finding.message,
            "waived": self.finding.waived,
        }
        if not self.missing:
            out["git"] = public(ptr, self.git)
        if self.in_org:
            out["org"] = public(ptr, self.org)
        return out


@dataclass(frozen=True, slots=True)
class Unmanaged:
    """A resource of a managed kind that no configuration of the run names.

    Attributes:
        finding: The ``org/unmanaged`` warning.
        kind: Its kind.
        resource: Where it is.
        names: Its natural key (configuration pointer, dotted, to value): how a
            person recognises it.
        command: The export command that writes it as a configuration file.
    """

    finding: Finding
    kind: str
    resource: ResourceKey
    names: Mapping[str, str]
    command: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON for ``--json``."""
        return {
            "kind": self.kind,
            "resource": self.resource.to_dict(),
            "names": dict(self.names),
            "command": self.command,
            "file": self.finding.file,
            "line": self.finding.line,
            "message": self.finding.message,
        }


@dataclass(frozen=True)
class DriftReport:
    """The org compared with the configurations of one run.

    Attributes:
        differences: One per managed field that differs, and one per
            configuration whose resource the org lacks, in file and line order.
        unmanaged: Resources of managed kinds that no configuration names.
        compared: The test ids of the configurations compared with the org.
        not_compared: Configurations that fail their own checks: what they
            state is not trusted as the org's intended state, so they are not
            compared (their failing tests say why).
        unlisted: Why a managed kind's resources could not all be listed (its
            unmanaged resources are then not known); empty when all were.
    """

    differences: tuple[Difference, ...] = ()
    unmanaged: tuple[Unmanaged, ...] = ()
    compared: tuple[str, ...] = ()
    not_compared: tuple[Refused, ...] = ()
    unlisted: tuple[str, ...] = ()
    _by_config: dict[str, list[Finding]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for difference in self.differences:
            config = difference.finding.config or ""
            self._by_config.setdefault(config, []).append(difference.finding)

    @property
    def findings(self) -> list[Finding]:
        """Every finding, ``org/drift`` and ``org/unmanaged``, in report order."""
        found = [d.finding for d in self.differences] + [u.finding for u in self.unmanaged]
        return sorted(found, key=lambda f: f.sort_key())

    def for_config(self, config: str) -> list[Finding]:
        """The ``org/drift`` findings of one configuration (its test id)."""
        return list(self._by_config.get(config, ()))

    def unmanaged_findings(self) -> list[Finding]:
        """The ``org/unmanaged`` warnings, in report order."""
        return sorted((u.finding for u in self.unmanaged), key=lambda f: f.sort_key())

    def refused(self, config: str) -> Refused | None:
        """Why a configuration was not compared, or ``None`` when it was."""
        return next((r for r in self.not_compared if r.config == config), None)

    def failed(self, *, strict: bool = False) -> bool:
        """Whether any finding fails (``org/unmanaged`` only under ``strict``)."""
        return any(f.fails(strict=strict) for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON: every difference, unmanaged resource and configuration left out."""
        return {
            "differences": [d.to_dict() for d in self.differences],
            "unmanaged": [u.to_dict() for u in self.unmanaged],
            "compared": list(self.compared),
            "notCompared": [r.to_dict() for r in self.not_compared],
            "unlisted": list(self.unlisted),
        }
