"""The executor (SPEC 6.2-6.5): write each planned change once, guarded, and settle every outcome.

Per step, in the table's write order: build the body from the resource as
read with the managed fields laid over it; journal the intent; send it with
the plan-time token as precondition. Then settle what happened:

- **done**: journal the outcome, emit ``ResourceWritten``;
- **stale** (409/412): read the resource again. Only unmanaged fields changed:
  lay the managed fields over the new read and write on its token (a
  *rebase*). A managed field changed: ``Conflict`` with who and when from the
  org's audit, then stop (or, with ``force``, write over it);
- **unknown** (no answer, or a 5xx): never send again blind. Read first: a
  write that landed is adopted (a create found by its natural key); one that
  did not may be sent again, since the read showed nothing happened;
- **failed** for good (a 4xx, a 429 after the client's retries): stop.

A stop rolls the run's earlier writes back (``_rollback``) and ends with
``Failed``. Apply never branches on a kind's name: operations, tokens,
containers and identity all come from the resource table.
"""

from __future__ import annotations

import copy
import dataclasses
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from genesys_compliance.apply._context import (
    Context,
    Emitter,
    Seen,
    Stop,
    Written,
    error_text,
    outcome_unknown,
)
from genesys_compliance.apply._diff import diff, same_value
from genesys_compliance.apply._errors import ApplyRefusedError, JournalError
from genesys_compliance.apply._events import (
    Completed,
    Conflict,
    Failed,
    FieldConflict,
    Planned,
    ResourceWritten,
    Skipped,
    Started,
    Writing,
)
from genesys_compliance.apply._interval import too_soon
from genesys_compliance.apply._journal import Journal
from genesys_compliance.apply._plan import Action
from genesys_compliance.apply._result import ApplyResult, build_result
from genesys_compliance.apply._rollback import undo
from genesys_compliance.apply._steps import key_to_json, steps_of
from genesys_compliance.contract import ResourceKey, lookup
from genesys_compliance.errors import ApiError, ConflictError

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Collection, Mapping, Sequence

    from genesys_compliance.apply._events import ApplyListener, Mode, Subject, WriteAction
    from genesys_compliance.apply._plan import Plan
    from genesys_compliance.apply._steps import Step
    from genesys_compliance.client import GenesysClient, Resource

__all__ = ["Pending", "apply_plan", "execute", "new_run_id"]

Token = int | str
# Sends of one write, when each earlier send was read back and had not landed.
_MAX_SENDS = 3
# Rebases of one write before the run gives up on a resource that keeps changing.
_MAX_REBASES = 3


def new_run_id() -> str:
    """A fresh run id (the audit log's ``run``)."""
    return uuid.uuid4().hex


def apply_plan(
    client: GenesysClient,
    plan: Plan,
    *,
    journal: str | os.PathLike[str],
    listeners: Sequence[ApplyListener] = (),
    force: bool = False,
    run_id: str | None = None,
    clock: Callable[[], float] | None = None,
    intervals: Mapping[str, float] | None = None,
    now: Callable[[], datetime] | None = None,
) -> ApplyResult:
    """Apply a plan to the org: every write guarded, journaled, and undone if the run fails.

    Args:
        client: The run's client (the one the plan was read with).
        plan: The plan; every entry must be planned (none blocked, none
            refused by the gate), or nothing is written.
        journal: The folder of ``journal.jsonl`` (the audit folder).
        listeners: The event consumers, called in order for every event.
        force: Write over managed fields changed since the plan (``--gc-force``).
        run_id: The run's id (the audit log's ``run``); a new one by default.
        clock: Seconds, for latencies (default: ``time.perf_counter``).
        intervals: Kind to the least seconds between two updates of one
            resource (``{"FlowSettings": policy's min-flow-update-interval}``),
            checked against the org's audit before any write (``apply/interval``).
        now: The current time (UTC), for ``intervals``; the wall clock by default.

    Returns:
        What happened: the outcome, every event, findings for failed configurations.

    Raises:
        ApplyRefusedError: The plan holds configurations apply must not write.
        UnresolvedJournalError: An interrupted run must be resumed or rolled back first.
        JournalBusyError: Another apply holds the journal's folder.
        JournalError: The journal cannot be written.
    """
    _refuse(plan)
    steps = steps_of(plan)
    run = run_id or new_run_id()
    book = Journal.begin(journal, run, steps, force=force)
    try:
        ctx = Context(
            client, run, book, Emitter(listeners), force=force, clock=clock or time.perf_counter
        )
        ctx.emit(Planned(run=run, plan=plan))
        return execute(ctx, steps, mode="apply", intervals=intervals, now=now)
    finally:
        book.close()


@dataclasses.dataclass(frozen=True)
class Pending:
    """A write an interrupted run sent (or was about to) without learning its outcome."""

    key: ResourceKey | None
    create: bool
    token: Token | None
    body: dict[str, Any]
    snapshot: dict[str, Any] | None


def execute(
    ctx: Context,
    steps: Sequence[Step],
    *,
    mode: Mode,
    skip: Collection[int] = (),
    pending: Mapping[int, Pending] | None = None,
    intervals: Mapping[str, float] | None = None,
    now: Callable[[], datetime] | None = None,
) -> ApplyResult:
    """Run the steps in order; on a stop, roll back and fail. The journal is ended either way.

    ``skip`` are steps an interrupted run finished; ``pending`` those whose
    last write's outcome it never learnt (read first). ``intervals`` are
    checked before the first write; a step held back by one fails the run
    before anything is written.
    """
    pending = pending or {}
    todo = [s for s in steps if s.index not in skip]
    ctx.emit(
        Started(
            run=ctx.run,
            resources=len(steps),
            writes=sum(1 for s in todo if s.action != "no-op"),
            forced=ctx.force,
            mode=mode,
        )
    )
    counts: Counter[str] = Counter()
    try:
        ctx.check()
        if intervals:
            held = too_soon(ctx, todo, intervals, now or _utcnow)
            if held:
                return _hold(ctx, steps, held, mode)
        for step in todo:
            counts[_Write(ctx, step).settle(pending.get(step.index))] += 1
            ctx.check()
    except Stop as stop:
        return _fail(ctx, steps, stop, mode)
    except JournalError:
        raise  # the journal cannot record a rollback either: it stays unresolved, as it must
    except Exception as error:  # a fault of ours must not leave half a run in the org
        reason = f"unexpected {type(error).__name__}: {error_text(error)}"
        return _fail(ctx, steps, Stop("apply/failed", reason), mode)
    ctx.journal.end("applied")
    ctx.stopping = True  # the run is settled: a consumer failing now changes nothing
    ctx.emit(
        Completed(
            run=ctx.run, counts=dict(sorted(counts.items())), writes=len(ctx.written), mode=mode
        )
    )
    return build_result(ctx, steps, mode, "applied")


def _fail(ctx: Context, steps: Sequence[Step], stop: Stop, mode: Mode) -> ApplyResult:
    ctx.stopping = True
    restored, left = undo(ctx)
    ctx.journal.end("rolled-back")
    ctx.emit(
        Failed(
            run=ctx.run,
            rule="apply/conflict" if stop.rule == "apply/conflict" else "apply/failed",
            reason=stop.reason,
            subject=stop.subject,
            status=stop.status,
            correlation_id=stop.correlation_id,
            rolled_back=restored,
            not_rolled_back=left,
        )
    )
    return build_result(ctx, steps, mode, "conflict" if stop.rule == "apply/conflict" else "failed")


def _hold(ctx: Context, steps: Sequence[Step], held: Sequence[Skipped], mode: Mode) -> ApplyResult:
    for event in held:
        ctx.emit(event)
    ctx.stopping = True
    ctx.journal.end("refused")
    ctx.emit(
        Failed(
            run=ctx.run,
            rule="apply/interval",
            reason=(
                f"nothing was written: {len(held)} resource(s) changed too recently "
                f"({held[0].subject.name}: {held[0].reason})"
            ),
            subject=held[0].subject,
        )
    )
    return build_result(ctx, steps, mode, "failed")


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _refuse(plan: Plan) -> None:
    problems: list[str] = []
    if not plan.gate_passed:
        problems.append("the run's checks failed")
    if plan.not_planned:
        problems.append(f"{len(plan.not_planned)} configuration(s) failed their checks")
    blocked = [e for e in plan.resources if e.action is Action.BLOCKED]
    if blocked:
        named = ", ".join(f"{e.config} ({e.target.blocked})" for e in blocked[:3])
        more = f" and {len(blocked) - 3} more" if len(blocked) > 3 else ""
        problems.append(f"{len(blocked)} configuration(s) cannot be planned: {named}{more}")
    if problems:
        raise ApplyRefusedError("apply refused, nothing was written: " + "; ".join(problems))


class _Write:
    """One step's write, from the first send to a settled outcome."""

    def __init__(self, ctx: Context, step: Step) -> None:
        self.ctx = ctx
        self.step = step
        self.rtype = ctx.rtype(step.kind)
        self.shape = ctx.shapes[step.kind]
        self.resources = ctx.client.resources(step.kind)
        self.creating = step.action == "create"
        self.key = step.key
        self.base = step.planned  # what the next write is laid over
        self.token = ctx.tokens.current(self._holder(), step.token)
        self.sends = 0
        self.rebases = 0
        self.rebased = False
        self.forced = False
        self.started = ctx.clock()

    # ------------------------------------------------------------ the loop
    def settle(self, pending: Pending | None = None) -> str:
        """Write until the outcome is settled; return the action (for the summary's counts).

        Raises:
            Stop: A conflict, or a write that failed for good.
        """
        step = self.step
        if step.action == "no-op" and pending is None:
            self.ctx.emit(
                ResourceWritten(
                    run=self.ctx.run,
                    subject=step.subject,
                    action="no-op",
                    version_before=step.token,
                    version_after=step.token,
                    correlation_id=step.correlation_id,
                )
            )
            return "no-op"
        if pending is not None:
            settled = self._resume(pending)
            if settled is not None:
                return settled
        while True:
            settled = self._send()
            if settled is not None:
                return settled

    def _resume(self, pending: Pending) -> str | None:
        """Settle a write an interrupted run left unknown: read it back first."""
        self.creating = pending.create
        self.key = pending.key if pending.key is not None else self.key
        self.token = self.ctx.tokens.current(self._holder(), pending.token)
        self.base = pending.snapshot if pending.snapshot is not None else self.base
        seen = self._read_back(pending.body, maybe_landed=True)
        return self._after_unknown(seen, pending.body, self.token, None, resend=True)

    def _send(self) -> str | None:
        ctx, step = self.ctx, self.step
        role = "create" if self.creating else "update"
        guarded = self.rtype.is_guarded(role)
        if not guarded and not self.creating:
            settled = self._check_unguarded()
            if settled is not None:
                return settled
        body = self._body()
        token = self.token if guarded else None
        seq = ctx.journal.intent(
            step=step.index,
            op=role,
            key=key_to_json(self.key),
            parent=step.parent,
            token=token,
            body=body,
            snapshot=self.base if not self.creating else None,
        )
        ctx.emit(
            Writing(
                run=ctx.run,
                subject=self._subject(self.key),
                action="rebase" if self.rebased else role,
                token=token,
            )
        )
        if ctx.emitter.failure is not None:
            ctx.journal.outcome(seq, "not-sent")
            ctx.check()
        self.sends += 1
        try:
            if self.creating:
                written = self.resources.create(body, parent=step.parent, token=token)
            else:
                assert self.key is not None
                written = self.resources.update(self.key, body, token=token)
        except ConflictError as error:
            ctx.journal.outcome(seq, "stale", error=error_text(error))
            seen = self._read_back(body, maybe_landed=self._resent(role))
            return self._after_stale(seen, body, token, error)
        except ApiError as error:
            if not (outcome_unknown(error) or self._client_resends(role)):
                ctx.journal.outcome(seq, "failed", error=error_text(error), http=error.status)
                raise self._failed(f"the {role} failed: {error_text(error)}", error) from None
            # No answer, or a server error; or the last answer to a write the client may
            # have sent more than once (a 429 after a lost answer): read before deciding.
            ctx.journal.outcome(seq, "unknown", error=error_text(error), http=error.status)
            seen = self._read_back(body, maybe_landed=True)
            return self._after_unknown(seen, body, token, error, seq=seq)
        ctx.journal.outcome(
            seq,
            "done",
            key=key_to_json(written.key),
            token=written.token,
            correlationId=written.correlation_id,
        )
        return self._landed(written, body, token)

    # ------------------------------------------------------------ outcomes
    def _after_stale(
        self, seen: Seen, sent: dict[str, Any], token: Token | None, error: ApiError
    ) -> str | None:
        current = seen.resource
        if current is None:
            if self.creating and self.rtype.container is not None and not _same(seen.token, token):
                # The container moved on and still lacks the item: create it on the new token.
                self._rebase(None, seen.token)
                return None
            what = "the org refused the create" if self.creating else "the resource is gone"
            raise self._failed(f"{what}: {error_text(error)}", error)
        role = "create" if self.creating else "update"
        if self._resent(role) and self.shape.same_state(current.body, sent):
            return self._landed(current, sent, token, note="an earlier send had landed; read back")
        if not self.creating and _same(seen.token, token):
            # Refused, but not for staleness (a name another resource holds, say).
            raise self._failed(f"the update was refused: {error_text(error)}", error)
        return self._judge(seen)

    def _after_unknown(
        self,
        seen: Seen,
        sent: dict[str, Any],
        token: Token | None,
        error: ApiError | None,
        *,
        seq: int | None = None,
        resend: bool = False,
    ) -> str | None:
        current = seen.resource
        role = "create" if self.creating else "update"
        if current is not None and self.shape.same_state(current.body, sent):
            if seq is not None:
                self.ctx.journal.outcome(
                    seq, "done", key=key_to_json(current.key), token=current.token, readBack=True
                )
            note = (
                "the answer was lost; found by its natural key and adopted"
                if self.creating
                else "the answer was lost; read back: it had landed"
            )
            return self._landed(current, sent, token, note=note)
        if current is None and not self.creating:
            raise self._failed("the resource is gone from the org", error)
        landed_nothing = current is None or _same(seen.token, token)
        if landed_nothing:
            again = resend or (
                not self.rtype.operation(role).idempotent and self.sends < _MAX_SENDS
            )
            if not again:
                why = error_text(error) if error is not None else "no answer"
                raise self._failed(f"the {role} failed for good: {why}", error)
            if self.creating and self.rtype.container is not None and seen.token is not None:
                self.token = seen.token
            return None  # read back: nothing landed, so sending again cannot duplicate
        return self._judge(seen)

    def _judge(self, seen: Seen) -> str | None:
        """The resource changed since it was read: rebase, accept, or conflict."""
        current = seen.resource
        assert current is not None
        spec, rtype = self.step.spec, self.rtype
        conflicts = self._conflicts(current.body)
        if not conflicts:
            if not diff(spec, current.body, rtype):
                return self._unchanged(
                    seen, "already as the file states: changed in the org since the plan"
                )
            self._rebase(current, seen.token)
            return None
        who = self.ctx.who(self.step, seen, [c.pointer for c in conflicts])
        fields = tuple(
            dataclasses.replace(c, changed_by=who[c.pointer].client, changed_at=who[c.pointer].at)
            for c in conflicts
        )
        event = Conflict(
            run=self.ctx.run,
            subject=self._subject(current.key),
            fields=fields,
            version_planned=self.step.token,
            version_now=seen.token,
            forced=self.ctx.force,
            correlation_id=seen.correlation_id,
        )
        self.ctx.emit(event)
        if not self.ctx.force:
            raise Stop(
                "apply/conflict",
                event.message(),
                subject=event.subject,
                correlation_id=seen.correlation_id,
            )
        self.ctx.check()
        self.forced = True
        self._take(current, seen.token)
        return None

    def _conflicts(self, current: dict[str, Any]) -> list[FieldConflict]:
        """Managed fields whose value now is neither the file's nor the one last read."""
        out: list[FieldConflict] = []
        for change in diff(self.step.spec, current, self.rtype):
            ptr = change.pointer
            if self.base is None:
                before_found, before = False, None
            else:
                before_found, before = lookup(self.base, ptr)
            same = before_found == change.in_org and (
                not before_found or same_value(before, change.org, unordered=self.rtype.is_set(ptr))
            )
            if not same:
                out.append(
                    FieldConflict(
                        pointer=ptr,
                        git=change.file,
                        planned=before,
                        org=change.org,
                        planned_absent=not before_found,
                        org_absent=not change.in_org,
                    )
                )
        return out

    def _rebase(self, current: Resource | None, token: Token | None) -> None:
        self.rebases += 1
        if self.rebases > _MAX_REBASES:
            raise Stop(
                "apply/failed",
                f"the resource changed again at each of {_MAX_REBASES} rebases; try later",
                subject=self._subject(self.key),
            )
        self.rebased = True
        if current is not None:
            self._take(current, token)
        else:
            self.token = token

    def _take(self, current: Resource, token: Token | None) -> None:
        """Write on what was just read from now on (it may be a create that appeared)."""
        self.base = copy.deepcopy(current.body)
        self.token = token
        self.key = current.key
        self.creating = False

    def _landed(
        self,
        written: Resource,
        sent: dict[str, Any],
        token: Token | None,
        *,
        note: str | None = None,
    ) -> str:
        ctx, step = self.ctx, self.step
        ctx.tokens.moved(written.key, token, written.token)
        action: WriteAction = (
            "create" if self.creating else ("rebase" if self.rebased else "update")
        )
        ctx.written.append(
            Written(
                step=step,
                key=written.key,
                created=self.creating,
                snapshot=None if self.creating or self.base is None else copy.deepcopy(self.base),
                token=written.token,
                sent=sent,
            )
        )
        if self.creating or not (self.rebased or self.forced) or self.base is None:
            changes = step.changes
        else:
            changes = tuple(diff(step.spec, self.base, self.rtype))
        ctx.emit(
            ResourceWritten(
                run=ctx.run,
                subject=self._subject(written.key),
                action=action,
                version_before=token,
                version_after=written.token,
                changes=changes,
                latency_ms=(ctx.clock() - self.started) * 1000,
                correlation_id=written.correlation_id,
                forced=self.forced,
                note=note,
            )
        )
        return action

    def _unchanged(self, seen: Seen, note: str) -> str:
        resource = seen.resource
        self.ctx.emit(
            ResourceWritten(
                run=self.ctx.run,
                subject=self._subject(resource.key if resource is not None else self.key),
                action="no-op",
                version_before=self.step.token,
                version_after=seen.token,
                latency_ms=(self.ctx.clock() - self.started) * 1000,
                correlation_id=seen.correlation_id,
                note=note,
            )
        )
        return "no-op"

    # ------------------------------------------------------------ helpers
    def _resent(self, role: str) -> bool:
        """Whether this write may have gone out more than once: an earlier send may have landed."""
        return self.sends > 1 or self._client_resends(role)

    def _client_resends(self, role: str) -> bool:
        """Whether the client itself may send this write again within one call.

        It sends an idempotent write (a PUT) again when its answer is lost, so
        the answer apply sees is the last send's: a refusal as stale (the first
        send moved the token) or a 429 says nothing about the sends before it.
        """
        return self.rtype.operation(role).idempotent

    def _read_back(self, sent: dict[str, Any], *, maybe_landed: bool) -> Seen:
        """Read the resource after a write; if that fails, leave the write to the rollback.

        A write that may have landed (no answer, or a refusal of a repeat) and
        cannot be read back is kept among the run's writes with no token, so
        the rollback reads it first and restores it, or says it could not: it
        must never stay in the org while the run reports itself rolled back.

        Raises:
            Stop: The read failed.
        """
        try:
            return self.ctx.find(self.step, self.key)
        except Stop:
            if maybe_landed:
                self.ctx.written.append(
                    Written(
                        step=self.step,
                        key=self.key,
                        created=self.creating,
                        snapshot=None
                        if self.creating or self.base is None
                        else copy.deepcopy(self.base),
                        token=None,
                        sent=sent,
                    )
                )
            raise

    def _check_unguarded(self) -> str | None:
        """An update without a token: re-read right before it and judge any change (SPEC 6.3)."""
        seen = self.ctx.find(self.step, self.key)
        if seen.resource is None:
            raise self._failed("the resource is gone from the org", None)
        if self.base is not None and self.shape.same_state(seen.resource.body, self.base):
            return None
        return self._judge(seen)

    def _body(self) -> dict[str, Any]:
        if self.creating:
            return self.shape.create_body(self.step.spec, self.step.placed)
        assert self.base is not None
        return self.shape.update_body(self.base, self.step.spec)

    def _holder(self) -> ResourceKey | None:
        """Whose token the write carries: the resource's, or its container's."""
        if self.key is not None:
            return self.key
        container = self.rtype.container
        if container is not None and self.step.parent is not None:
            return ResourceKey.of({container.parameter: self.step.parent})
        return None

    def _subject(self, key: ResourceKey | None) -> Subject:
        return dataclasses.replace(self.step.subject, resource=key)

    def _failed(self, reason: str, error: ApiError | None) -> Stop:
        return Stop(
            "apply/failed",
            reason,
            subject=self._subject(self.key),
            status=None if error is None else error.status,
            correlation_id=None if error is None else error.correlation_id,
        )


def _same(a: Token | None, b: Token | None) -> bool:
    return a is not None and b is not None and str(a) == str(b)
