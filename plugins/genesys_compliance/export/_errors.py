"""The one error an export raises of its own: the output folder cannot take it."""

from __future__ import annotations

from genesys_compliance.errors import GenesysComplianceError

__all__ = ["ExportError"]


class ExportError(GenesysComplianceError):
    """The export folder cannot be written as asked; nothing in it was changed.

    Raised for a folder that is not an export (files, no manifest), a file of
    the user's where a configuration would go, or a file system that refused
    the write. Errors of the org (:class:`~genesys_compliance.errors.ApiError`)
    pass through unchanged, also before anything is written.
    """
