"""The apply stage (SPEC 6): gate, plan, apply with rollback, and the crash-safe journal.

Layer L3: reads and writes the org through the client's generic resource
interface and learns every fact about a kind (operations, identity, token,
sets, write order) from the contract's resource table; it never branches on
a kind's name, never imports pytest, and never prints. It emits typed events
(:mod:`._events`) to the listeners the glue hands it: the audit log, the
webhooks, the terminal summary and Allure, all in layers above, consume them.

The glue's calls: :func:`gate`, :func:`build_plan`, then :func:`apply_plan`
(``--gc-apply``); :func:`unresolved` before it, and :func:`resume`
(``--gc-resume``) or :func:`rollback` (``--gc-rollback``) to settle a run
that was interrupted.
"""

from genesys_compliance.apply._diff import Change, diff, overlay, same_set, same_value
from genesys_compliance.apply._errors import (
    ApplyError,
    ApplyRefusedError,
    JournalBusyError,
    JournalError,
    UnresolvedJournalError,
)
from genesys_compliance.apply._events import (
    ApplyEvent,
    ApplyListener,
    Completed,
    Conflict,
    Failed,
    FieldConflict,
    Mode,
    Planned,
    ResourceWritten,
    RolledBack,
    Skipped,
    Started,
    Subject,
    WriteAction,
    Writing,
)
from genesys_compliance.apply._execute import apply_plan, new_run_id
from genesys_compliance.apply._gate import Approved, Gate, Refused, gate
from genesys_compliance.apply._interval import LastWrite, WriteHistory
from genesys_compliance.apply._journal import (
    JOURNAL_FILE,
    JOURNAL_FORMAT,
    Interrupted,
    read_journal,
    unresolved,
)
from genesys_compliance.apply._plan import (
    PLAN_FORMAT,
    Action,
    Plan,
    PlannedChange,
    PlannedResource,
    Sources,
    build_plan,
    plan_from,
    read_sources,
)
from genesys_compliance.apply._read import OrgReading, read_org
from genesys_compliance.apply._recover import resume, rollback
from genesys_compliance.apply._render import render_plan
from genesys_compliance.apply._resolve import MatchedBy, Target, resolve
from genesys_compliance.apply._result import ApplyResult, Outcome
from genesys_compliance.apply._who import Who, who_changed

__all__ = [
    "JOURNAL_FILE",
    "JOURNAL_FORMAT",
    "PLAN_FORMAT",
    "Action",
    "ApplyError",
    "ApplyEvent",
    "ApplyListener",
    "ApplyRefusedError",
    "ApplyResult",
    "Approved",
    "Change",
    "Completed",
    "Conflict",
    "Failed",
    "FieldConflict",
    "Gate",
    "Interrupted",
    "JournalBusyError",
    "JournalError",
    "LastWrite",
    "MatchedBy",
    "Mode",
    "OrgReading",
    "Outcome",
    "Plan",
    "Planned",
    "PlannedChange",
    "PlannedResource",
    "Refused",
    "ResourceWritten",
    "RolledBack",
    "Skipped",
    "Sources",
    "Started",
    "Subject",
    "Target",
    "UnresolvedJournalError",
    "Who",
    "WriteAction",
    "WriteHistory",
    "Writing",
    "apply_plan",
    "build_plan",
    "diff",
    "gate",
    "new_run_id",
    "overlay",
    "plan_from",
    "read_journal",
    "read_org",
    "read_sources",
    "render_plan",
    "resolve",
    "resume",
    "rollback",
    "same_set",
    "same_value",
    "unresolved",
    "who_changed",
]
