"""Drift: the org compared with the configurations in git (``org/drift``, ``org/unmanaged``).

Layer L3, above :mod:`genesys_compliance.apply`: the comparison is the plan's
(:func:`find_drift` reads the org and plans, and reads each field the plan
would change as a finding), and who changed a field and when comes from the
org's audit query, as for apply's conflicts. Read-only, and free of pytest and
of printing: the pytest glue (``suites/org/test_drift.py``) and the command
line (``genesys-compliance drift``) report what it returns.
"""

from genesys_compliance.drift._find import find_drift
from genesys_compliance.drift._report import DRIFT, UNMANAGED, Difference, DriftReport, Unmanaged
from genesys_compliance.drift._unmanaged import DEFAULT_EXPORT_FOLDER, export_command
from genesys_compliance.drift._values import HIDDEN, MAX_SHOWN

__all__ = [
    "DEFAULT_EXPORT_FOLDER",
    "DRIFT",
    "HIDDEN",
    "MAX_SHOWN",
    "UNMANAGED",
    "Difference",
    "DriftReport",
    "Unmanaged",
    "export_command",
    "find_drift",
]
