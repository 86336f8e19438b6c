"""Allure results for the plan and apply stages, which run at session finish where no test runs.

allure-pytest reports tests; the plan and the apply are made by the controller
after the last test, so nothing would show them. Their results are written
here, standalone, with allure's own result model and file writer into the same
``--alluredir``: epic = the kind, feature = ``plan`` or ``apply``, story = the
plan's action, or the ``apply/*`` rule of an action that failed, else the
action. Only the controller calls this (the stage runs there, also under ``-n``),
so every result is written once.

- :func:`write_plan_results`: one result per configuration of the plan, its
  diff attached as text (the terminal's lines for it) and as JSON (its entry of
  the plan file). It runs no test: a ``blocked`` entry is ``broken`` (the plan
  could not be made for it, and apply refuses the plan), the rest ``passed``;
  a configuration the gate refused is ``skipped`` (its own tests failed).
- :class:`AllureApplyListener`: a consumer of apply's events. It notes, per
  action, the HTTP exchanges of that resource's reads and writes (taken from
  the connection's exchange log as they happen; the client redacted them when
  it recorded them) and when the action began and settled. After the run,
  :meth:`AllureApplyListener.write` writes one result per action with its
  audit record attached exactly as the line in ``audit.jsonl`` reads, and a
  result for the run with its governance figures and checkpoint.

Statuses follow the outcome: a conflict, a write that failed, a rollback that
met a colleague's change or could not restore, and a flow held back by
``apply/interval`` are ``failed``; a write undone by the run's rollback is
``broken`` (it did not stick, and the cause is the failed result beside it); a
forced overwrite is ``passed``, tagged ``forced``. A failed result's message
lists its findings as a failed check does (``N finding(s) fail this
configuration``), so ``categories.json`` files it as a check's failure is filed:
``conflict`` for ``apply/conflict``, ``rate-limited`` for a write the org kept
refusing with 429, ``rule violation`` for the other ``apply/*`` findings.

Results hold no clock of their own: a plan result has no times (the plan is a
function of the files and the org, and its results are too, uuids aside), an
apply result's start and stop are its events' times.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from allure_commons.logger import AllureFileLogger
from allure_commons.model2 import (
    ATTACHMENT_PATTERN,
    Attachment,
    Label,
    Parameter,
    Status,
    StatusDetails,
    TestResult,
)
from allure_commons.types import AttachmentType

from genesys_compliance.apply import (
    Action,
    ApplyEvent,
    Conflict,
    Failed,
    ResourceWritten,
    RolledBack,
    Skipped,
    Started,
    Subject,
    Writing,
    render_plan,
)

if TYPE_CHECKING:
    from datetime import datetime

    from genesys_compliance.apply import Plan, PlannedResource, Refused
    from genesys_compliance.client import Exchange, ExchangeLog
    from genesys_compliance.reporting.stages import Stage
    from genesys_compliance.rules import Finding

__all__ = [
    "AUDIT_RECORD",
    "CHECKPOINT",
    "EXCHANGES",
    "FINDINGS",
    "GOVERNANCE",
    "PLAN_DIFF",
    "PLAN_ENTRY",
    "AllureApplyListener",
    "ApplyReport",
    "write_plan_results",
]

PLAN_DIFF = "plan diff"
PLAN_ENTRY = "plan entry"
AUDIT_RECORD = "audit record"
EXCHANGES = "http exchanges (redacted)"  # the name the contract and org tests' attachment has
FINDINGS = "findings"  # as a failed check's attachment is called
GOVERNANCE = "governance"
CHECKPOINT = "audit checkpoint"
SUMMARY = "apply summary"

_PLAN: Stage = "plan"
_APPLY: Stage = "apply"
_PARENT_SUITE = "genesys-compliance"
_PLAN_STATUS = {Action.BLOCKED: Status.BROKEN}
# A rollback's outcomes when a failed apply (or resume) undoes its writes: undone (broken: the
# write did not stick; the failed result beside it says why), or not undone (failed).
_ROLLBACK_STATUS = {
    "restored": Status.BROKEN,
    "deleted": Status.BROKEN,
    "unchanged": Status.BROKEN,
    "kept": Status.BROKEN,
    "conflict": Status.FAILED,
    "failed": Status.FAILED,
}
# The same outcomes under --gc-rollback, where undoing is what was asked for.
_SETTLED_ROLLBACK_STATUS = {
    **_ROLLBACK_STATUS,
    "restored": Status.PASSED,
    "deleted": Status.PASSED,
    "unchanged": Status.PASSED,
}
# How a run that did not do what it set out to do is shown: it failed, or it never started.
_RUN_STATUS = {
    "applied": Status.PASSED,
    "conflict": Status.FAILED,
    "failed": Status.FAILED,
    "gate-failed": Status.SKIPPED,  # the run's own failed tests say why
    "nothing-to-settle": Status.SKIPPED,
    "unresolved": Status.BROKEN,  # a person must settle the journal first
    "journal-error": Status.BROKEN,
}
_ACTIONS = (ResourceWritten, Conflict, RolledBack, Skipped, Failed)
_CHUNK = 64 * 1024


class ApplyReport(Protocol):
    """What :meth:`AllureApplyListener.write` reads of a run's outcome.

    ``genesys_compliance.applyrun.ApplyOutcome`` is one; the report layer sits
    below the glue that makes it, so it names only what it reads.
    """

    @property
    def mode(self) -> str:
        """``apply``, ``resume`` or ``rollback``."""

    @property
    def status(self) -> str:
        """How the run ended (``applied``, ``conflict``, ``failed``, a refusal)."""

    @property
    def run(self) -> str | None:
        """The run's id, when it started."""

    @property
    def problem(self) -> str | None:
        """Why it wrote nothing or stopped, one line."""

    @property
    def audit_log(self) -> Path:
        """The audit log file."""

    @property
    def records(self) -> Sequence[Mapping[str, Any]]:
        """The audit records the run appended, one per action, in order."""

    @property
    def findings(self) -> Sequence[Finding]:
        """The run's ``apply/*`` findings."""

    def to_dict(self) -> dict[str, Any]:
        """The outcome as plain JSON: counts, governance figures, the audit head."""

    def summary_lines(self, audit_log: str | None = None) -> list[str]:
        """The terminal's lines for the run."""


# ---------------------------------------------------------------- plan
def write_plan_results(folder: Path, plan: Plan) -> None:
    """Write one Allure result per configuration of ``plan`` into ``folder``.

    Entries come in the plan's order (write order, file, name), then the
    configurations the gate refused, as the terminal shows them.
    """
    writer = _Writer(folder)
    entries = json.loads(plan.to_json())
    for entry, data in zip(plan.resources, entries["resources"], strict=True):
        writer.report(_plan_result(writer, plan, entry, data))
    for refused, data in zip(
        sorted(plan.not_planned, key=lambda r: (r.file, r.kind, r.name)),
        entries["notPlanned"],
        strict=True,
    ):
        writer.report(_refused_result(writer, refused, data))


def _plan_result(
    writer: _Writer, plan: Plan, entry: PlannedResource, data: Mapping[str, Any]
) -> TestResult:
    """``plan <kind> <name>``: its action as story, its diff as text and JSON."""
    alone = dataclasses.replace(plan, resources=(entry,), not_planned=())
    diff = "\n".join(render_plan(alone).splitlines()[1:]) + "\n"  # without the plan's head line
    status = _PLAN_STATUS.get(entry.action, Status.PASSED)
    details = None
    if status != Status.PASSED:
        details = StatusDetails(message=f"{entry.config}: blocked: {entry.target.blocked}")
    where = entry.key if entry.key is not None else _named(entry.identity)
    return _result(
        name=f"plan {entry.kind} {entry.name}",
        full_name=f"genesys_compliance.plan#{entry.config}",
        stage=_PLAN,
        kind=entry.kind,
        story=entry.action.value,
        status=status,
        details=details,
        parameters={
            "file": entry.file,
            "resource": str(where) if where else None,
            "token": None if entry.token is None else str(entry.token),
        },
        attachments=[
            writer.attach(PLAN_DIFF, diff, AttachmentType.TEXT),
            writer.attach(PLAN_ENTRY, _json(data), AttachmentType.JSON),
        ],
    )


def _refused_result(writer: _Writer, refused: Refused, data: Mapping[str, Any]) -> TestResult:
    """``plan <kind> <name>`` of a configuration the gate kept out: skipped, with why."""
    return _result(
        name=f"plan {refused.kind} {refused.name}",
        full_name=f"genesys_compliance.plan#{refused.config}",
        stage=_PLAN,
        kind=refused.kind,
        story="not-planned",
        status=Status.SKIPPED,
        details=StatusDetails(
            message=f"{refused.config}: not planned: it failed its checks "
            f"({', '.join(refused.reasons)})"
        ),
        parameters={"file": refused.file},
        attachments=[writer.attach(PLAN_ENTRY, _json(data), AttachmentType.JSON)],
    )


# ---------------------------------------------------------------- apply
@dataclasses.dataclass
class _Action:
    """One action of the run as the listener saw it: the event, its exchanges, its times.

    ``mode`` is the run's (``Started``): a restore is the goal of ``rollback``, and
    the undoing of a write in a failed ``apply`` or ``resume``.
    """

    event: ApplyEvent
    exchanges: list[Exchange]
    start: datetime
    mode: str


class AllureApplyListener:
    """Consumes an apply run's events; :meth:`write` makes its Allure results after the run.

    Hand it to ``run_apply``/``run_settle`` as one of their ``listeners`` (they
    call it after the audit log and the webhooks). ``Planned`` is left to
    :func:`write_plan_results`, which the glue calls for every plan, applied or not.

    Each HTTP exchange is credited to the resource it was made for, by when it
    happened: from a ``Writing`` event until the next event it belongs to that
    write (its retries and read-backs included); between actions, to the next
    action (the reads apply makes before it writes or judges a resource: a
    re-read, the org's audit). Those made before the run's first action and
    after its last go to the run's result. A rollback that reads a resource
    before restoring it without a ``Writing`` between may have that read
    counted with the failed write before it: the log says when, not why.

    ``on_event`` does no I/O, so it cannot fail on a full disk: a listener that
    raises stops the run and rolls it back, and a report must never do that to
    an apply (the audit log is what must). It keeps the run's exchanges until
    :meth:`write`, which writes every file after the run has settled.

    Args:
        folder: The ``--alluredir`` folder.
        exchanges: The connection's exchange log; exchanges already in it (the
            plan's reads, earlier tests') are not this run's.
    """

    def __init__(self, folder: Path, *, exchanges: ExchangeLog | None = None) -> None:
        self.folder = folder
        self._log = exchanges
        self._last: Exchange | None = None
        if exchanges is not None:
            seen = exchanges.snapshot()
            self._last = seen[-1] if seen else None
        self._in_flight: str | None = None  # the config whose write is on the wire
        self._credit: defaultdict[str, list[Exchange]] = defaultdict(list)
        self._unclaimed: list[Exchange] = []
        self._run_exchanges: list[Exchange] = []
        self._actions: list[_Action] = []
        self._window: datetime | None = None  # when the current action's window opened
        self._first: datetime | None = None
        self._last_at: datetime | None = None
        self._mode = "apply"

    def on_event(self, event: ApplyEvent) -> None:
        """Credit the exchanges made since the last event, and note an action as it settles."""
        fresh = self._fresh()
        if self._in_flight is not None:
            self._credit[self._in_flight] += fresh
        else:
            self._unclaimed += fresh
        self._in_flight = None
        self._first = self._first or event.at
        self._last_at = event.at
        if isinstance(event, Writing):
            key = event.subject.config
            self._credit[key] += self._take_unclaimed()
            self._in_flight = key
            return
        if isinstance(event, _ACTIONS):
            subject = _subject(event)
            own = self._credit.pop(subject.config, []) if subject is not None else []
            window = self._window or event.at
            self._actions.append(_Action(event, own + self._take_unclaimed(), window, self._mode))
            self._window = event.at
            return
        if isinstance(event, Started):
            self._window = event.at
            self._mode = event.mode
        self._run_exchanges += self._take_unclaimed()

    def write(self, outcome: ApplyReport) -> None:
        """Write a result per action and one for the run into the folder.

        The audit record attached to an action is the line of ``audit.jsonl``
        the run appended for it (found by its ``seq``), byte for byte.
        """
        self._run_exchanges += self._fresh() + self._take_unclaimed()
        for left in self._credit.values():
            self._run_exchanges += left
        self._credit.clear()
        writer = _Writer(self.folder)
        lines = _log_lines(outcome.audit_log, outcome.records)
        records = _paired(self._actions, outcome.records)
        findings = list(outcome.findings)
        seen: defaultdict[str, int] = defaultdict(int)
        for action, record in zip(self._actions, records, strict=True):
            writer.report(_action_result(writer, action, record, lines, findings, seen))
        writer.report(self._run_result(writer, outcome, lines))

    # ------------------------------------------------------------ the run
    def _run_result(
        self, writer: _Writer, outcome: ApplyReport, lines: Mapping[int, str]
    ) -> TestResult:
        data = outcome.to_dict()
        figures = {
            key: data.get(key)
            for key in ("run", "mode", "status", "counts", "writes", "governance", "audit")
        }
        attachments = [
            writer.attach(GOVERNANCE, _json(figures), AttachmentType.JSON),
            writer.attach(SUMMARY, "\n".join(outcome.summary_lines()) + "\n", AttachmentType.TEXT),
        ]
        checkpoint = _checkpoint_line(lines, outcome.run)
        if checkpoint is not None:
            attachments.append(writer.attach(CHECKPOINT, checkpoint, AttachmentType.JSON))
        if outcome.findings:
            attachments.append(
                writer.attach(FINDINGS, _findings_json(outcome.findings), AttachmentType.JSON)
            )
        if self._run_exchanges:
            attachments.append(writer.exchanges(self._run_exchanges))
        status = _RUN_STATUS.get(outcome.status, Status.BROKEN)
        details = None
        if status != Status.PASSED:
            text = _failures_text(outcome.findings) or outcome.problem or outcome.status
            details = StatusDetails(message=f"{outcome.mode} {outcome.status}: {text}")
        head = (data.get("audit") or {}).get("head")
        return _result(
            name=_run_name(outcome),
            full_name=f"genesys_compliance.apply#run {outcome.mode}",
            stage=_APPLY,
            kind=None,
            story="run",
            status=status,
            details=details,
            parameters={"run": outcome.run, "mode": outcome.mode, "head": head},
            attachments=attachments,
            start=self._first,
            stop=self._last_at,
        )

    # ------------------------------------------------------------ exchanges
    def _fresh(self) -> list[Exchange]:
        """The exchanges logged since the last call, oldest first."""
        if self._log is None:
            return []
        snapshot = self._log.snapshot()
        start = 0
        if self._last is not None:
            # By identity: an equal exchange sent twice is still two exchanges. Gone from
            # the log (cleared, or fallen off its end): every exchange in it is newer.
            for index in range(len(snapshot) - 1, -1, -1):
                if snapshot[index] is self._last:
                    start = index + 1
                    break
        fresh = list(snapshot[start:])
        if fresh:
            self._last = fresh[-1]
        return fresh

    def _take_unclaimed(self) -> list[Exchange]:
        taken, self._unclaimed = self._unclaimed, []
        return taken


def _action_result(
    writer: _Writer,
    action: _Action,
    record: Mapping[str, Any] | None,
    lines: Mapping[int, str],
    findings: Sequence[Finding],
    seen: defaultdict[str, int],
) -> TestResult:
    """``apply <action> <kind> <name>``: status from the outcome, the audit line attached."""
    event = action.event
    subject = _subject(event)
    verb = _verb(event)
    status, story, details, tags = _verdict(event, findings, action.mode)
    attachments: list[Attachment] = []
    if record is not None:
        seq = record.get("seq")
        line = lines.get(seq) if isinstance(seq, int) else None
        text = line if line is not None else _canonical(record)
        attachments.append(writer.attach(AUDIT_RECORD, text, AttachmentType.JSON))
    own = _own_findings(event, findings)
    if own:
        attachments.append(writer.attach(FINDINGS, _findings_json(own), AttachmentType.JSON))
    if action.exchanges:
        attachments.append(writer.exchanges(action.exchanges))
    config = subject.config if subject is not None else f"run {event.run}"
    full_name = f"genesys_compliance.apply#{verb} {config}"
    seen[full_name] += 1
    return _result(
        name=f"apply {verb} {subject.kind} {subject.name}"
        if subject is not None
        else f"apply {verb} run {event.run}",
        full_name=full_name,
        history=f"{full_name}#{seen[full_name]}",
        stage=_APPLY,
        kind=subject.kind if subject is not None else None,
        story=story,
        status=status,
        details=details,
        parameters=_parameters(event, subject),
        attachments=attachments,
        tags=tags,
        start=action.start,
        stop=event.at,
    )


def _verdict(
    event: ApplyEvent, findings: Sequence[Finding], mode: str
) -> tuple[str, str, StatusDetails | None, list[str]]:
    """Status, story, status details and tags of an action."""
    own = _own_findings(event, findings)
    subject = _subject(event)
    config = subject.config if subject is not None else f"run {event.run}"
    if isinstance(event, ResourceWritten):
        tags = ["forced"] if event.forced else []
        details = StatusDetails(message=event.note) if event.note else None
        return Status.PASSED, event.action, details, tags
    if isinstance(event, Conflict):
        if event.forced:
            message = f"written over (forced): {event.message()}"
            return Status.PASSED, event.rule, StatusDetails(message=message), ["forced"]
        message = _failure_text(config, own) if own else f"{event.rule}: {event.message()}"
        return Status.FAILED, event.rule, StatusDetails(message=message), []
    if isinstance(event, RolledBack):
        table = _SETTLED_ROLLBACK_STATUS if mode == "rollback" else _ROLLBACK_STATUS
        status = table[event.outcome]
        why = f": {event.reason}" if event.reason else ""
        if own:
            message = _failure_text(config, own)
        elif mode == "rollback":
            message = f"rolled back ({event.outcome}), as the interrupted run's rollback{why}"
        else:
            message = f"rolled back ({event.outcome}): the run failed, so its write was undone{why}"
        details = None if status == Status.PASSED and not why else StatusDetails(message=message)
        return status, event.rule or "rollback", details, []
    if isinstance(event, Skipped | Failed):
        message = _failure_text(config, own) if own else f"{event.rule}: {event.reason}"
        return Status.FAILED, event.rule, StatusDetails(message=message), []
    raise TypeError(f"not an action: {event.type}")  # pragma: no cover - _ACTIONS only


def _own_findings(event: ApplyEvent, findings: Sequence[Finding]) -> list[Finding]:
    """The run's findings that this action made: its configuration's, under its rule."""
    subject = _subject(event)
    if subject is None or (isinstance(event, Conflict) and event.forced):
        return []
    rule = getattr(event, "rule", None)
    return [f for f in findings if f.config == subject.config and f.rule_id == rule]


def _parameters(event: ApplyEvent, subject: Subject | None) -> dict[str, str | None]:
    out: dict[str, str | None] = {"run": event.run}
    if subject is not None:
        out["file"] = subject.file
        out["resource"] = None if subject.resource is None else str(subject.resource)
    before = getattr(event, "version_before", getattr(event, "version_planned", None))
    after = getattr(event, "version_after", getattr(event, "version_now", None))
    if before is not None or after is not None:
        out["version"] = f"{_token(before)} -> {_token(after)}"
    return out


def _verb(event: ApplyEvent) -> str:
    """The audit log's ``action`` of an action event."""
    if isinstance(event, ResourceWritten):
        return event.action
    return {Conflict: "conflict", RolledBack: "rollback", Skipped: "skipped", Failed: "failed"}[
        type(event)
    ]


def _subject(event: ApplyEvent) -> Subject | None:
    subject = getattr(event, "subject", None)
    return subject if isinstance(subject, Subject) else None


def _paired(
    actions: Sequence[_Action], records: Sequence[Mapping[str, Any]]
) -> list[Mapping[str, Any] | None]:
    """Each action's audit record: the next record of the same action and configuration.

    The audit listener appends one record per action, in the order of the
    events; matching by action and configuration rather than by position
    keeps a record from being attached to the wrong action if the log held
    back one (an append that failed stops the run, so none follows it).
    """
    out: list[Mapping[str, Any] | None] = []
    at = 0
    for action in actions:
        subject = _subject(action.event)
        verb = _verb(action.event)
        config = subject.config if subject is not None else None
        found = None
        for index in range(at, len(records)):
            record = records[index]
            if record.get("action") == verb and record.get("config") == config:
                found, at = record, index + 1
                break
        out.append(found)
    return out


def _log_lines(path: Path, records: Sequence[Mapping[str, Any]]) -> dict[int, str]:
    """The lines of ``audit.jsonl`` from the run's first record on, by ``seq``, as written.

    The run's records are the last of the file but for its checkpoint (and a
    closing entry of webhook deliveries), so the file is read from its end,
    a chunk at a time, up to the run's first record: a log of years costs what
    the run wrote. A line that is not a record is passed over (``audit verify``
    judges the file; this only finds lines).
    """
    seqs = [r["seq"] for r in records if isinstance(r.get("seq"), int)]
    if not seqs:
        return {}
    first = min(seqs)
    out: dict[int, str] = {}
    try:
        for raw in _lines_backwards(path):
            try:
                record = json.loads(raw)
            except ValueError:
                continue
            seq = record.get("seq") if isinstance(record, dict) else None
            if isinstance(seq, int):
                out[seq] = raw.decode("utf-8")
                if seq <= first:
                    break
    except OSError:
        return {}
    return out


def _lines_backwards(path: Path) -> Iterator[bytes]:
    """The file's lines, last first, without their newlines."""
    with path.open("rb") as handle:
        end = handle.seek(0, 2)
        pending = b""
        while end > 0:
            start = max(0, end - _CHUNK)
            handle.seek(start)
            data = handle.read(end - start) + pending
            end = start
            first, *rest = data.split(b"\n")
            pending = first  # it may go on in the chunk before
            yield from reversed(rest)
        if pending:
            yield pending


def _checkpoint_line(lines: Mapping[int, str], run: str | None) -> str | None:
    """The run's checkpoint: its first ``checkpoint`` line after its records."""
    for seq in sorted(lines):
        record = json.loads(lines[seq])
        if record.get("action") == "checkpoint" and record.get("run") == run:
            return lines[seq]
    return None


def _run_name(outcome: ApplyReport) -> str:
    """``apply run <id>``; a resume or rollback says so, a run that never started too."""
    mode = "" if outcome.mode == "apply" else f" ({outcome.mode})"
    return f"apply run {outcome.run or '(not started)'}{mode}"


# ---------------------------------------------------------------- shared
def _failure_text(config: str, findings: Sequence[Finding]) -> str:
    """A failed check's message (the plugin's ``_failure_text``): what the categories match."""
    head = f"{config}: {len(findings)} finding(s) fail this configuration"
    return "\n".join([head, *(f"  {f.render()}" for f in findings)])


def _failures_text(findings: Sequence[Finding]) -> str:
    """Every configuration's failure, one block each, in the findings' order."""
    by_config: dict[str, list[Finding]] = {}
    for finding in findings:
        by_config.setdefault(finding.config or finding.file, []).append(finding)
    return "\n".join(_failure_text(config, found) for config, found in by_config.items())


def _findings_json(findings: Sequence[Finding]) -> str:
    return json.dumps([f.to_dict() for f in findings], indent=2) + "\n"


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"


def _canonical(record: Mapping[str, Any]) -> str:
    """The audit log's spelling of a record (sorted keys, compact), for one not found in it."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _named(identity: Mapping[str, str]) -> str:
    return " ".join(f"{k}={v}" for k, v in identity.items())


def _token(token: object | None) -> str:
    return "-" if token is None else str(token)


def _md5(text: str) -> str:
    """Allure's ids (``testCaseId``, ``historyId``): the hex MD5 of a name, as allure-pytest's."""
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def _millis(moment: datetime | None) -> int | None:
    return None if moment is None else round(moment.timestamp() * 1000)


def _result(
    *,
    name: str,
    full_name: str,
    stage: Stage,
    kind: str | None,
    story: str,
    status: str,
    details: StatusDetails | None,
    parameters: Mapping[str, str | None],
    attachments: list[Attachment],
    history: str | None = None,
    tags: Sequence[str] = (),
    start: datetime | None = None,
    stop: datetime | None = None,
) -> TestResult:
    """One standalone result: behaviours (epic, feature, story) and suites (stage, kind)."""
    labels = [Label(name="epic", value=kind)] if kind is not None else []
    labels += [
        Label(name="feature", value=stage),
        Label(name="story", value=story),
        Label(name="parentSuite", value=_PARENT_SUITE),
        Label(name="suite", value=stage),
    ]
    if kind is not None:
        labels.append(Label(name="subSuite", value=kind))
    labels += [Label(name="tag", value=tag) for tag in tags]
    return TestResult(
        uuid=str(uuid.uuid4()),
        name=name,
        fullName=full_name,
        testCaseId=_md5(full_name),
        historyId=_md5(history or full_name),
        status=status,
        statusDetails=details,
        stage="finished",
        labels=labels,
        parameters=[Parameter(name=k, value=v) for k, v in parameters.items() if v is not None],
        attachments=attachments,
        start=_millis(start),
        stop=_millis(stop),
    )


class _Writer:
    """Allure's own file writer: each file under a temporary name, then renamed into place."""

    def __init__(self, folder: Path) -> None:
        self._logger = AllureFileLogger(str(folder))  # type: ignore[no-untyped-call] # no hints

    def attach(self, name: str, body: str, kind: AttachmentType) -> Attachment:
        mime, extension = kind.value
        file_name = ATTACHMENT_PATTERN.format(prefix=uuid.uuid4(), ext=extension)
        self._logger.report_attached_data(body=body, file_name=file_name)  # type: ignore[no-untyped-call] # as above
        return Attachment(name=name, source=file_name, type=mime)

    def exchanges(self, exchanges: Sequence[Exchange]) -> Attachment:
        """As the contract and org tests attach theirs: one JSON list, redacted by the client."""
        body = "[\n" + ",\n".join(e.to_json() for e in exchanges) + "\n]"
        return self.attach(EXCHANGES, body, AttachmentType.JSON)

    def report(self, result: TestResult) -> None:
        self._logger.report_result(result)  # type: ignore[no-untyped-call] # as above
