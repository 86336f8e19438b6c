"""The apply stage (SPEC 6): gate, plan and the field-level diff; apply and rollback to come.

Layer L3: reads the org through the client's generic resource interface and
learns every fact about a kind (operations, identity, token, sets, write
order) from the contract's resource table; it never branches on a kind's
name, never imports pytest, and never prints: it returns values (and will
emit events) that the reporting layer renders.
"""

from genesys_compliance.apply._diff import Change, diff, overlay, same_set
from genesys_compliance.apply._gate import Approved, Gate, Refused, gate
from genesys_compliance.apply._plan import (
    PLAN_FORMAT,
    Action,
    Plan,
    PlannedChange,
    PlannedResource,
    build_plan,
    plan_from,
)
from genesys_compliance.apply._read import OrgReading, read_org
from genesys_compliance.apply._render import render_plan
from genesys_compliance.apply._resolve import MatchedBy, Target, resolve

__all__ = [
    "PLAN_FORMAT",
    "Action",
    "Approved",
    "Change",
    "Gate",
    "MatchedBy",
    "OrgReading",
    "Plan",
    "PlannedChange",
    "PlannedResource",
    "Refused",
    "Target",
    "build_plan",
    "diff",
    "gate",
    "overlay",
    "plan_from",
    "read_org",
    "render_plan",
    "resolve",
    "same_set",
]
