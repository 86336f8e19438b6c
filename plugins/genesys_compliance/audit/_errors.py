"""Errors of the audit log, under the package's one base error.

::

    GenesysComplianceError
    └── AuditError             the audit log cannot be written as SPEC 7 asks
        ├── AuditLogError      the file cannot be chained onto (torn or foreign last line, I/O)
        └── AuditKeyError      the signing or verifying key cannot be read or is not Ed25519

A broken log found by :func:`~genesys_compliance.audit.verify` is a result,
not an error: verification reports what is wrong and where.
"""

from __future__ import annotations

from genesys_compliance.errors import GenesysComplianceError

__all__ = ["AuditError", "AuditKeyError", "AuditLogError"]


class AuditError(GenesysComplianceError):
    """The audit log could not do what it promised; nothing was applied on its behalf."""


class AuditLogError(AuditError):
    """The log file cannot take another record without breaking its chain.

    Raised before anything is written, so the caller can stop before it acts
    on the org with no record of the action.
    """


class AuditKeyError(AuditError):
    """A key file cannot be used; the message names the file and who named it, never its bytes."""
