"""Settle an interrupted apply from its journal: ``resume`` finishes it, ``rollback`` undoes it.

Both read the journal only: the steps, and for each the writes it sent and
what became of them. A write recorded ``done`` is the run's, with the token
it left. A write with no outcome (the process died between the send and the
answer), or an ``unknown`` one, is read back from the org before anything
else is done with it. Both run under the interrupted run's id, so the audit
log tells one story, and both end the journal, so the next apply may start.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from genesys_compliance.apply._context import Context, Emitter, Written
from genesys_compliance.apply._events import Completed, Failed, RolledBack, Started
from genesys_compliance.apply._execute import Pending, execute
from genesys_compliance.apply._journal import Journal, JournalRun
from genesys_compliance.apply._result import ApplyResult, build_result
from genesys_compliance.apply._rollback import undo
from genesys_compliance.apply._steps import key_from_json

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Sequence

    from genesys_compliance.apply._events import ApplyListener
    from genesys_compliance.client import GenesysClient

__all__ = ["resume", "rollback"]


def resume(
    client: GenesysClient,
    journal: str | os.PathLike[str],
    *,
    listeners: Sequence[ApplyListener] = (),
    force: bool | None = None,
    clock: Callable[[], float] | None = None,
) -> ApplyResult:
    """Finish an interrupted apply: read each unsettled resource, then write what is left.

    Writes recorded as done are kept; a write whose outcome is unknown is read
    back (adopted if it landed, sent again on a fresh read if it did not);
    steps never reached run as in the apply, guarded by the plan's tokens, so
    a change made meanwhile rebases or conflicts as it would have. If the
    resumed run fails, every write of the run, before and after the
    interruption, is rolled back.

    Args:
        client: A client of the same org.
        journal: The folder of ``journal.jsonl``.
        listeners: The event consumers.
        force: Override the interrupted run's ``--gc-force``; by default it is kept.
        clock: Seconds, for latencies.

    Raises:
        JournalError: There is no interrupted run, or the journal cannot be read.
        JournalBusyError: Another apply holds the journal's folder.
    """
    book, run = Journal.reopen(journal)
    try:
        ctx = _context(client, book, run, listeners, force, clock)
        replay = _replay(ctx, run)
        last = max(replay.touched, default=-1)
        skip = set(replay.done) | {
            s.index for s in run.steps if s.action == "no-op" and s.index < last
        }
        return execute(ctx, run.steps, mode="resume", skip=skip, pending=replay.pending)
    finally:
        book.close()


def rollback(
    client: GenesysClient,
    journal: str | os.PathLike[str],
    *,
    listeners: Sequence[ApplyListener] = (),
    clock: Callable[[], float] | None = None,
) -> ApplyResult:
    """Undo an interrupted apply: restore every snapshot it took, newest write first.

    A write whose outcome is unknown is read first: nothing is done where the
    org already holds the snapshot, and a resource changed by someone else
    since is left as it is (``apply/rollback-conflict``).

    Raises:
        JournalError: There is no interrupted run, or the journal cannot be read.
        JournalBusyError: Another apply holds the journal's folder.
    """
    book, run = Journal.reopen(journal)
    try:
        ctx = _context(client, book, run, listeners, False, clock)
        _replay(ctx, run, pending_written=True)
        ctx.emit(
            Started(run=ctx.run, resources=len(run.steps), writes=len(ctx.written), mode="rollback")
        )
        settled, left = undo(ctx)
        book.end("rolled-back")
        if left:
            ctx.emit(
                Failed(
                    run=ctx.run,
                    rule="apply/rollback-conflict",
                    reason=f"{left} resource(s) could not be put back; see the rollback events",
                    rolled_back=settled,
                    not_rolled_back=left,
                )
            )
            return build_result(ctx, run.steps, "rollback", "failed")
        counts = Counter(e.outcome for e in ctx.emitter.events if isinstance(e, RolledBack))
        ctx.emit(
            Completed(
                run=ctx.run, counts=dict(sorted(counts.items())), writes=settled, mode="rollback"
            )
        )
        return build_result(ctx, run.steps, "rollback", "applied")
    finally:
        book.close()


@dataclass
class _Replay:
    done: set[int] = field(default_factory=set)
    pending: dict[int, Pending] = field(default_factory=dict)
    touched: set[int] = field(default_factory=set)


def _context(
    client: GenesysClient,
    book: Journal,
    run: JournalRun,
    listeners: Sequence[ApplyListener],
    force: bool | None,
    clock: Callable[[], float] | None,
) -> Context:
    return Context(
        client,
        run.run,
        book,
        Emitter(listeners),
        force=run.force if force is None else force,
        clock=clock or time.perf_counter,
    )


def _replay(ctx: Context, run: JournalRun, *, pending_written: bool = False) -> _Replay:
    """Rebuild the run's writes and token moves from the journal, in write order.

    ``pending_written``: count writes of unknown outcome as the run's (with no
    token, so a rollback reads them first) instead of leaving them pending.
    """
    out = _Replay()
    by_index = {s.index: s for s in run.steps}
    for index in sorted(run.attempts):
        step = by_index.get(index)
        tries = run.attempts[index]
        if step is None or not tries:
            continue
        out.touched.add(index)
        done = [a for a in tries if a.status == "done"]
        if done:
            attempt = done[-1]
            assert attempt.outcome is not None
            key = key_from_json(attempt.outcome.get("key")) or key_from_json(
                attempt.intent.get("key")
            )
            if key is not None:
                ctx.tokens.moved(key, attempt.intent.get("token"), attempt.outcome.get("token"))
            ctx.written.append(
                Written(
                    step=step,
                    key=key,
                    created=attempt.intent.get("op") == "create",
                    snapshot=attempt.intent.get("snapshot"),
                    token=attempt.outcome.get("token"),
                    sent=dict(attempt.intent.get("body") or {}),
                )
            )
            out.done.add(index)
            continue
        last = tries[-1]
        if last.status != "unknown":
            continue  # refused or stale: it never landed; resume writes it afresh
        key = key_from_json(last.intent.get("key"))
        create = last.intent.get("op") == "create"
        body = dict(last.intent.get("body") or {})
        snapshot = last.intent.get("snapshot")
        if pending_written:
            ctx.written.append(
                Written(
                    step=step, key=key, created=create, snapshot=snapshot, token=None, sent=body
                )
            )
        else:
            out.pending[index] = Pending(key, create, last.intent.get("token"), body, snapshot)
    return out
