"""Rollback (SPEC 6.5): put the run's writes back, newest first, each guarded by the token it left.

An update is undone by writing its snapshot (the resource as read before the
write that landed) back, with the token this run's write returned as the
precondition: if someone changed the resource since, the org refuses, and the
resource is left as they made it (``apply/rollback-conflict``). A refusal
where only the token moved (another item of the same container changed, or a
save without edits) is no one's change to keep: the resource still holds what
this run wrote, so it is restored on the token read. A create is
undone by a delete, guarded the same way where the contract's delete takes a
precondition; a kind the contract cannot delete keeps what the run created,
and the event says so (``kept``), so the run's failure names it.

A write whose outcome was never learnt (from an interrupted run's journal)
is read first: back at the snapshot already (it never landed), at what the
run sent (it landed: restore it on the token read), or anything else (someone
changed it since: leave it).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from genesys_compliance.apply._context import Seen, Stop, error_text, outcome_unknown
from genesys_compliance.apply._events import RolledBack, Writing
from genesys_compliance.apply._steps import key_to_json
from genesys_compliance.errors import ApiError, ConflictError, NotFoundError

if TYPE_CHECKING:
    from genesys_compliance.apply._context import Context, Written
    from genesys_compliance.apply._events import RollbackOutcome, Subject
    from genesys_compliance.client import Resource
    from genesys_compliance.contract import ResourceKey

__all__ = ["undo"]

Token = int | str
_MAX_SENDS = 2
# Restores of one write on a token that moved while the resource stayed as this run wrote it.
_MAX_MOVES = 3


def undo(ctx: Context) -> tuple[int, int]:
    """Undo every write of ``ctx.written``, newest first; (settled, left as they are)."""
    ctx.stopping = True
    settled = left = 0
    for written in reversed(ctx.written):
        event = _Undo(ctx, written).run()
        ctx.emit(event)
        if event.settled:
            settled += 1
        else:
            left += 1
    return settled, left


class _Undo:
    """The undoing of one write."""

    def __init__(self, ctx: Context, written: Written) -> None:
        self.ctx = ctx
        self.written = written
        self.step = written.step
        self.rtype = ctx.rtype(written.step.kind)
        self.shape = ctx.shapes[written.step.kind]
        self.resources = ctx.client.resources(written.step.kind)
        self.started = ctx.clock()

    def run(self) -> RolledBack:
        try:
            return self._run()
        except Stop as stop:  # a read back failed: say so, and go on with the others
            if self.written.token is None:
                return self._event(
                    "failed",
                    reason=(
                        f"this run's write may have landed and cannot be read back "
                        f"({stop.reason}); check it in the org"
                    ),
                )
            return self._event("failed", reason=stop.reason)

    def _run(self) -> RolledBack:
        if self.written.created:
            if not self.rtype.has("delete"):
                where = self.written.key or "its natural key"
                return self._event(
                    "kept",
                    reason=(
                        f"the contract has no delete for {self.step.kind}: the resource this run "
                        f"created stays ({where}); remove it by hand if it must go"
                    ),
                )
            return self._delete()
        return self._restore()

    # ------------------------------------------------------------ updates
    def _restore(self) -> RolledBack:
        written, ctx = self.written, self.ctx
        snapshot = written.snapshot
        if snapshot is None or written.key is None:
            return self._event("failed", reason="no snapshot of the resource before the run")
        token = ctx.tokens.current(written.key, written.token)
        if token is None:
            seen = self._find()
            early = self._by_reading(seen)
            if early is not None:
                return early
            token = seen.token
        body = self.shape.restore_body(snapshot, self.step.spec)
        guarded = self.rtype.is_guarded("update")
        sends = moves = 0
        while True:
            seq = ctx.journal.intent(
                step=self.step.index,
                op="restore",
                key=key_to_json(written.key),
                token=token,
                body=body,
            )
            ctx.emit(Writing(run=ctx.run, subject=self._subject(), action="restore", token=token))
            sends += 1
            try:
                restored = self.resources.update(
                    written.key, body, token=token if guarded else None
                )
            except ConflictError as error:
                ctx.journal.outcome(seq, "stale", error=error_text(error))
                seen = self._find()
                if moves < _MAX_MOVES and self._only_token_moved(seen):
                    moves += 1
                    token = seen.token
                    continue
                return self._refused(seen)
            except ApiError as error:
                # The client sends an idempotent restore again when its answer is lost, so
                # its last answer (a 429, say) does not tell whether an earlier send landed.
                resent = self.rtype.operation("update").idempotent
                if not (outcome_unknown(error) or resent):
                    ctx.journal.outcome(seq, "failed", error=error_text(error))
                    return self._event("failed", reason=f"the restore failed: {error_text(error)}")
                ctx.journal.outcome(seq, "unknown", error=error_text(error))
                seen = self._find()
                if seen.resource is not None and self.shape.same_state(
                    seen.resource.body, snapshot
                ):
                    return self._done(seen.resource, token, seq)
                again = not self.rtype.operation("update").idempotent and sends < _MAX_SENDS
                if seen.resource is not None and _same(seen.token, token) and again:
                    continue
                return self._event("failed", reason=f"the restore failed: {error_text(error)}")
            return self._done(restored, token, seq)

    def _by_reading(self, seen: Seen) -> RolledBack | None:
        """For a write whose outcome is unknown: settled already, ours to restore, or someone's."""
        current = seen.resource
        snapshot = self.written.snapshot
        if current is None:
            return self._conflict(seen, "the resource is gone from the org")
        if snapshot is not None and self.shape.same_state(current.body, snapshot):
            return self._event("unchanged", reason="the org holds the state before the run")
        if self.shape.same_state(current.body, self.written.sent):
            return None
        return self._refused(seen)

    def _only_token_moved(self, seen: Seen) -> bool:
        """Whether the resource still holds what this run wrote, though its token moved on.

        A container's items share one token, so a colleague's change of
        another item (or a save without edits) makes this run's guard stale
        while nobody touched what it wrote. Restoring on the new token then
        overwrites no one; anything else is theirs to keep.
        """
        current = seen.resource
        snapshot = self.written.snapshot
        return (
            current is not None
            and seen.token is not None
            and self.shape.same_state(current.body, self.written.sent)
            and not (snapshot is not None and self.shape.same_state(current.body, snapshot))
        )

    def _refused(self, seen: Seen) -> RolledBack:
        current = seen.resource
        snapshot = self.written.snapshot
        if (
            current is not None
            and snapshot is not None
            and self.shape.same_state(current.body, snapshot)
        ):
            return self._event("unchanged", reason="the org holds the state before the run")
        if current is None:
            return self._conflict(seen, "the resource is gone from the org")
        return self._conflict(seen, "changed in the org since this run wrote it; left as it is")

    def _done(self, restored: Resource, token: Token | None, seq: int) -> RolledBack:
        self.ctx.journal.outcome(seq, "done", token=restored.token)
        self.ctx.tokens.moved(restored.key, token, restored.token)
        return self._event(
            "restored",
            before=token,
            after=restored.token,
            correlation_id=restored.correlation_id,
        )

    # ------------------------------------------------------------ creates
    def _delete(self) -> RolledBack:
        written, ctx = self.written, self.ctx
        guarded = self.rtype.is_guarded("delete")
        key = written.key
        token = ctx.tokens.current(key, written.token) if key is not None else None
        if key is None or token is None or not guarded:
            seen = self._find()
            if seen.resource is None:
                return self._event("unchanged", reason="not in the org: nothing to delete")
            if not self.shape.same_state(seen.resource.body, written.sent):
                return self._conflict(seen, "changed in the org since this run created it")
            key, token = seen.resource.key, seen.token
        moves = 0
        while True:
            seq = ctx.journal.intent(
                step=self.step.index, op="delete", key=key_to_json(key), token=token
            )
            ctx.emit(Writing(run=ctx.run, subject=self._subject(key), action="delete", token=token))
            try:
                correlation = self.resources.delete(key, token=token if guarded else None)
            except NotFoundError:
                ctx.journal.outcome(seq, "done", gone=True)
                return self._event("unchanged", reason="already deleted in the org")
            except ConflictError as error:
                ctx.journal.outcome(seq, "stale", error=error_text(error))
                seen = self._find()
                if moves < _MAX_MOVES and self._only_token_moved(seen):
                    assert seen.resource is not None
                    moves += 1
                    key, token = seen.resource.key, seen.token
                    continue
                return self._refused(seen)
            except ApiError as error:
                ctx.journal.outcome(seq, "unknown" if outcome_unknown(error) else "failed")
                if outcome_unknown(error) and self._find().resource is None:
                    return self._event("deleted", before=token)
                return self._event("failed", reason=f"the delete failed: {error_text(error)}")
            ctx.journal.outcome(seq, "done")
            return self._event("deleted", before=token, correlation_id=correlation)

    # ------------------------------------------------------------ events
    def _conflict(self, seen: Seen, reason: str) -> RolledBack:
        who = self.ctx.who(self.step, seen, [""])[""]
        return self._event("conflict", reason=reason, changed_by=who.client, changed_at=who.at)

    def _event(
        self,
        outcome: RollbackOutcome,
        *,
        reason: str | None = None,
        before: Token | None = None,
        after: Token | None = None,
        correlation_id: str | None = None,
        changed_by: str | None = None,
        changed_at: str | None = None,
    ) -> RolledBack:
        return RolledBack(
            run=self.ctx.run,
            subject=self._subject(),
            outcome=outcome,
            version_before=before,
            version_after=after,
            reason=reason,
            changed_by=changed_by,
            changed_at=changed_at,
            correlation_id=correlation_id,
            latency_ms=(self.ctx.clock() - self.started) * 1000,
        )

    def _subject(self, key: ResourceKey | None = None) -> Subject:
        resource = key if key is not None else self.written.key
        return dataclasses.replace(self.step.subject, resource=resource)

    def _find(self) -> Seen:
        return self.ctx.find(self.step, self.written.key)


def _same(a: Token | None, b: Token | None) -> bool:
    return a is not None and b is not None and str(a) == str(b)
