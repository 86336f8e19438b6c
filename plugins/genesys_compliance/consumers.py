"""The apply stage's event consumers: the audit log and the webhooks, fed from one stream.

Apply never writes a record or sends a webhook itself; it emits events, and
these listeners turn them into the audit log's records (SPEC 7) and Standard
Webhooks deliveries (SPEC 8). Every delivery is audited too. The run's last
event (``apply.completed`` or ``apply.failed``) carries the checkpoint's
``head``, so a receiver can later prove with ``audit verify --head`` that the
log was not cut short; its delivery is audited after that checkpoint, in a
short closing entry of the same run with a checkpoint of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genesys_compliance.apply import ApplyEvent, Completed, Failed, Writing
from genesys_compliance.audit import AuditLog

if TYPE_CHECKING:
    from genesys_compliance.webhooks import Delivery, WebhookSender

__all__ = ["SUCCEEDED", "AuditListener", "WebhookListener"]

SUCCEEDED = ("applied", "unchanged", "forced", "restored", "deleted")
"""Outcomes of apply's records that count as a success in the governance figures."""


@dataclass
class AuditListener:
    """Appends each action to the audit log before the next one happens; checkpoints at the end.

    An append that fails raises, and apply then stops and rolls back: a write
    that cannot be recorded must not be followed by another.
    """

    directory: Path
    run: str
    org: str
    region: str
    client: str
    log: AuditLog | None = None
    head: str | None = None
    records: list[dict[str, Any]] = field(default_factory=list)

    def on_event(self, event: ApplyEvent) -> None:
        """Record the event's action (if it is one); close the run with its checkpoint."""
        log = self._open()
        # An intent is the journal's (crash safety); the log holds each action once, done.
        fields = None if isinstance(event, Writing) else event.audit_fields()
        if fields is not None:
            self.records.append(log.append(fields))
        if isinstance(event, Completed | Failed) and not log.closed:
            self.head = log.checkpoint()["head"]

    def audit_deliveries(self, deliveries: list[Delivery]) -> None:
        """Audit webhook deliveries: in the open run, or in a closing entry after its checkpoint."""
        if not deliveries:
            return
        log = self._open()
        if log.closed:
            log = AuditLog(
                self.directory, run=self.run, org=self.org, region=self.region, client=self.client
            )
            for delivery in deliveries:
                log.append({"action": "webhook", **delivery.as_record()})
            log.checkpoint()
            return
        for delivery in deliveries:
            log.append({"action": "webhook", **delivery.as_record()})

    def _open(self) -> AuditLog:
        if self.log is None:
            self.log = AuditLog(
                self.directory, run=self.run, org=self.org, region=self.region, client=self.client
            )
        return self.log


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
