"""Why apply will not start: a plan it must not write, or a journal it must not write over.

These are refusals before any write, raised to the glue; everything that
happens once writing has begun is an event and part of the result, never an
exception (a failed write is rolled back and reported as ``apply/failed``)::

    GenesysComplianceError
    └── ApplyError                  the apply stage cannot start, or cannot settle a journal
        ├── ApplyRefusedError       the plan has configurations apply must not touch
        └── JournalError            the journal cannot be read or written
            ├── UnresolvedJournalError  an interrupted run must be resumed or rolled back first
            └── JournalBusyError        another apply holds the journal's folder
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from genesys_compliance.errors import GenesysComplianceError

if TYPE_CHECKING:
    from genesys_compliance.apply._journal import Interrupted

__all__ = [
    "ApplyError",
    "ApplyRefusedError",
    "JournalBusyError",
    "JournalError",
    "UnresolvedJournalError",
]


class ApplyError(GenesysComplianceError):
    """The apply stage cannot start (or cannot settle an interrupted run)."""


class ApplyRefusedError(ApplyError):
    """The plan holds configurations that failed their gate or are blocked: nothing is written."""


class JournalError(ApplyError):
    """The journal cannot be read or written; nothing more is written to the org."""


class UnresolvedJournalError(JournalError):
    """An interrupted run is unresolved; the message names ``--gc-resume`` and ``--gc-rollback``.

    Attributes:
        interrupted: What the journal says about the run.
    """

    def __init__(self, message: str, interrupted: Interrupted) -> None:
        super().__init__(message)
        self.interrupted = interrupted


class JournalBusyError(JournalError):
    """Another apply holds the journal's folder: two runs never write one org at once."""
