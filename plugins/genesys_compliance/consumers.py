"""The apply stage's event consumers: the audit log and the webhooks, fed from one stream.

Apply never writes a record or sends a webhook itself; it emits events, and
these listeners turn them into the audit log's records (SPEC 7) and Standard
Webhooks deliveries (SPEC 8). Every delivery is audited too. The run's last
event (``apply.completed`` or ``apply.failed``) carries the checkpoint's
``head``, so a receiver can later prove with ``audit verify --head`` that the
log was not cut short; its delivery is audited after that checkpoint, in a
short closing entry of the same run with a checkpoint of its own.

The audit listener also remembers: it answers ``apply/interval``'s question
of when an earlier run last wrote a resource (a ``WriteHistory``), from the
log's records of the same org, so the interval holds across runs against a
live org; a simulated org in process is rebuilt for every run and has no
history to hold it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genesys_compliance.apply import ApplyEvent, Completed, Failed, LastWrite, Writing
from genesys_compliance.audit import AuditLog
from genesys_compliance.client import redact_json
from genesys_compliance.connect import UNKNOWN_ORG

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from genesys_compliance.webhooks import Delivery, WebhookSender

__all__ = ["SUCCEEDED", "AuditListener", "WebhookListener"]

SUCCEEDED = ("applied", "unchanged", "forced", "restored", "deleted")
"""Outcomes of apply's records that count as a success in the governance figures."""

# A record changed its resource when one of these actions had one of these outcomes: a write
# (``applied``, ``forced``) or a rollback's restore or delete. A forced ``conflict`` is not
# itself a write: the forced ``update`` after it is.
_WRITE_ACTIONS = frozenset({"create", "update", "rebase", "rollback"})
_WRITE_OUTCOMES = frozenset({"applied", "forced", "restored", "deleted"})
# The ``orgMode`` of a simulated org in process: rebuilt for every run, it has no history.
_IN_PROCESS = "mock"


@dataclass
class AuditListener:
    """Appends each action to the audit log before the next one happens; checkpoints at the end.

    An append that fails raises, and apply then stops and rolls back: a write
    that cannot be recorded must not be followed by another.

    Attributes:
        org: The org's id (``OrgIdentity.audit_org``), in every record.
        mode: ``mock`` or ``live`` (``--gc-org``), in every record as ``orgMode``:
            a simulated org's id looks like any other, and an auditor must tell
            a rehearsal from a change to production.
        clock: The time records carry; the org's (``OrgConnection.now``), so
            that ``apply/interval`` compares times of one clock.
    """

    directory: Path
    run: str
    org: str
    region: str
    client: str
    mode: str | None = None
    clock: Callable[[], datetime] | None = None
    log: AuditLog | None = None
    head: str | None = None
    records: list[dict[str, Any]] = field(default_factory=list)

    def on_event(self, event: ApplyEvent) -> None:
        """Record the event's action (if it is one); close the run with its checkpoint."""
        log = self._open()
        # An intent is the journal's (crash safety); the log holds each action once, done.
        fields = None if isinstance(event, Writing) else event.audit_fields()
        if fields is not None:
            self.records.append(log.append(self._with_mode(fields)))
        if isinstance(event, Completed | Failed) and not log.closed:
            self.head = log.checkpoint()["head"]

    def last_write(
        self, kind: str, resource: Mapping[str, str], *, since: datetime
    ) -> LastWrite | None:
        """When a run into this folder last wrote ``resource`` of this org (``apply/interval``).

        Only records of the same org and region count (and of the same OAuth
        client where the org's id is not known): another org's flow is not
        this one. Nor does a simulated org in process (``orgMode`` ``mock``):
        it is built afresh from its seed for every run, so the flow an earlier
        run wrote is gone with that run, and its records would hold back a
        write to an org that has never seen one. So a ``mock`` listener finds
        no history at all, and ``mock`` records count for no other listener.
        (A simulated org that lives across runs is served over HTTP and
        reached as ``live``; within one run, the org's own audit still
        answers.) A record without ``orgMode`` counts: unsure where it was
        written, the interval errs on the side of waiting. Among the records
        that count, the latest write or rollback of the resource recorded at
        or after ``since``.
        """
        if self.mode == _IN_PROCESS:
            return None
        wanted = redact_json({"resource": dict(resource)})["resource"]
        latest: LastWrite | None = None
        for record in self._open().history(since=since):
            if (
                record.get("kind") != kind
                or record.get("resource") != wanted
                or record.get("action") not in _WRITE_ACTIONS
                or record.get("outcome") not in _WRITE_OUTCOMES
                or not self._same_org(record)
            ):
                continue
            moment = _moment(record.get("time"))
            if moment is None or moment < since or (latest is not None and moment <= latest.at):
                continue
            latest = LastWrite(moment, _text(record.get("client")), _text(record.get("run")))
        return latest

    def audit_deliveries(self, deliveries: list[Delivery]) -> None:
        """Audit webhook deliveries: in the open run, or in a closing entry after its checkpoint."""
        if not deliveries:
            return
        log = self._open()
        if log.closed:
            log = self._new_log()
            for delivery in deliveries:
                log.append(self._with_mode({"action": "webhook", **delivery.as_record()}))
            log.checkpoint()
            return
        for delivery in deliveries:
            log.append(self._with_mode({"action": "webhook", **delivery.as_record()}))

    def _open(self) -> AuditLog:
        if self.log is None:
            self.log = self._new_log()
        return self.log

    def _new_log(self) -> AuditLog:
        return AuditLog(
            self.directory,
            run=self.run,
            org=self.org,
            region=self.region,
            client=self.client,
            clock=self.clock,
        )

    def _with_mode(self, fields: dict[str, Any]) -> dict[str, Any]:
        return fields if self.mode is None else {**fields, "orgMode": self.mode}

    def _same_org(self, record: Mapping[str, Any]) -> bool:
        if record.get("org") != self.org or record.get("region") != self.region:
            return False
        if record.get("orgMode") == _IN_PROCESS:
            return False
        return self.org != UNKNOWN_ORG or record.get("client") == self.client


@dataclass
class WebhookListener:
    """Sends each event that has a webhook type to the targets that asked for it.

    Registered after the audit listener, so ``apply.completed`` and
    ``apply.failed`` carry the checkpoint's head. A delivery never raises and
    never changes the run's result; its outcome goes to the audit log.
    """

    sender: WebhookSender
    audit: AuditListener
    deliveries: list[Delivery] = field(default_factory=list)

    def on_event(self, event: ApplyEvent) -> None:
        """Deliver the event, then audit what became of it."""
        if event.webhook is None:
            return
        data = event.to_dict()
        if isinstance(event, Completed | Failed) and self.audit.head is not None:
            data["head"] = self.audit.head
        sent = self.sender.send(event.webhook, data)
        self.deliveries.extend(sent)
        self.audit.audit_deliveries(sent)


def _moment(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
