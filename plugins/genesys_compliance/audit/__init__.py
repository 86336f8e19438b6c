"""The tamper-evident audit log of the apply stage (SPEC 7).

Layer L3': a consumer of what apply does. Apply (L3) cannot import it; it is
handed an :class:`AuditLog` (or anything with the same ``append(fields) ->
dict`` and ``checkpoint(fields) -> dict``) by the glue that runs it.

- :class:`AuditLog` appends one redacted, hash-chained, fsynced JSON line per
  action to ``DIR/audit.jsonl``, and closes a run with a checkpoint, signed
  with Ed25519 when a key is configured.
- :func:`verify` finds the first record that cannot be trusted and says why.
- :func:`governance` turns records into the run summary's figures.
- :func:`signed_bytes` is the exact message a checkpoint's signature covers.
"""

from genesys_compliance.audit._errors import AuditError, AuditKeyError, AuditLogError
from genesys_compliance.audit._governance import Governance, Latency, governance, percentile
from genesys_compliance.audit._keys import key_id, load_private_key, load_public_key
from genesys_compliance.audit._log import AuditLog, Record
from genesys_compliance.audit._record import (
    FILE_NAME,
    GENESIS,
    KEY_ENV,
    canonical,
    line_hash,
    signed_bytes,
)
from genesys_compliance.audit._verify import Problem, ProblemKind, Verification, verify

__all__ = [
    "FILE_NAME",
    "GENESIS",
    "KEY_ENV",
    "AuditError",
    "AuditKeyError",
    "AuditLog",
    "AuditLogError",
    "Governance",
    "Latency",
    "Problem",
    "ProblemKind",
    "Record",
    "Verification",
    "canonical",
    "governance",
    "key_id",
    "line_hash",
    "load_private_key",
    "load_public_key",
    "percentile",
    "signed_bytes",
    "verify",
]
