"""What the executor and the rollback share: the event stream, reads, tokens, the run's writes.

Kept apart from both so that an in-run rollback, ``resume`` and ``rollback``
from a journal go through the same reads and the same token bookkeeping.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from genesys_compliance.apply._body import Shapes
from genesys_compliance.apply._events import Subject
from genesys_compliance.apply._who import Who, who_changed
from genesys_compliance.client import redact
from genesys_compliance.contract import ResourceKey
from genesys_compliance.errors import ApiError, NotFoundError, RateLimitedError, TransportError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from genesys_compliance.apply._events import ApplyEvent, ApplyListener
    from genesys_compliance.apply._journal import Journal
    from genesys_compliance.apply._steps import Step
    from genesys_compliance.client import GenesysClient, Resource
    from genesys_compliance.contract import ResourceType

__all__ = [
    "Context",
    "Emitter",
    "Seen",
    "Stop",
    "Tokens",
    "Written",
    "error_text",
    "outcome_unknown",
]

Token = int | str


class Stop(Exception):  # noqa: N818 - control flow inside the package, never raised out of it
    """The run stops here and rolls back; carries what the ``Failed`` event says."""

    def __init__(
        self,
        rule: str,
        reason: str,
        *,
        subject: Subject | None = None,
        status: int | None = None,
        correlation_id: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.rule = rule
        self.reason = reason
        self.subject = subject
        self.status = status
        self.correlation_id = correlation_id


class Emitter:
    """Hands each event to every listener, in order, and keeps the stream for the result.

    A listener's ``Exception`` is kept (redacted), the other listeners still
    get the event, and :attr:`failure` tells the executor to stop; a
    ``BaseException`` (a crash, an interrupt) goes straight through.
    """

    def __init__(self, listeners: Sequence[ApplyListener]) -> None:
        self._listeners = tuple(listeners)
        self.events: list[ApplyEvent] = []
        self.errors: list[str] = []
        self.failure: str | None = None

    @property
    def listeners(self) -> tuple[ApplyListener, ...]:
        """The consumers, in order; ``apply/interval`` asks those that remember past runs."""
        return self._listeners

    def emit(self, event: ApplyEvent) -> None:
        """Deliver one event."""
        self.events.append(event)
        for listener in self._listeners:
            try:
                listener.on_event(event)
            except Exception as error:  # a consumer's failure is data for the run
                text = f"{type(listener).__name__} failed on {event.type}: {error_text(error)}"
                self.errors.append(text)
                if self.failure is None:
                    self.failure = text


class Tokens:
    """The tokens this run moved: what a later write of the same holder must carry.

    Items of one container share its token, so after the run writes one
    strategy of a queue, the next strategy of that queue is written on the
    token that write returned, not the plan's (which is now stale by our own
    doing, not someone else's). Rollback follows the same chain backwards.
    """

    def __init__(self) -> None:
        self._moved: dict[tuple[ResourceKey, str], Token] = {}

    def moved(self, key: ResourceKey, before: Token | None, after: Token | None) -> None:
        """Record that this run's write took the holder of ``key`` from ``before`` to ``after``."""
        if before is not None and after is not None and _text(before) != _text(after):
            self._moved[(_holder(key), _text(before))] = after

    def current(self, key: ResourceKey | None, token: Token | None) -> Token | None:
        """The token to send now for a write planned (or last written) at ``token``."""
        if key is None or token is None:
            return token
        holder = _holder(key)
        seen: set[str] = set()
        while (holder, _text(token)) in self._moved and _text(token) not in seen:
            seen.add(_text(token))
            token = self._moved[(holder, _text(token))]
        return token


@dataclass
class Written:
    """One resource this run changed: what rollback needs to put it back.

    Attributes:
        step: The step that wrote it.
        key: Where it is (``None``: a create whose outcome was never learnt).
        created: This run created it (rollback deletes it, where it can).
        snapshot: The resource as read before the write that landed.
        token: The token after this run's write; ``None`` when the write's
            outcome was never learnt (a rollback reads first).
        sent: The body that was written (for "did it land?").
    """

    step: Step
    key: ResourceKey | None
    created: bool
    snapshot: dict[str, Any] | None
    token: Token | None
    sent: dict[str, Any]


@dataclass(frozen=True)
class Seen:
    """A resource as read now, or its absence.

    Attributes:
        resource: The resource; ``None`` when the org has none.
        token: Its token, or (absent, in a container) the container's.
        correlation_id: The org's correlation id of the read.
        index: A container item's position in its document.
    """

    resource: Resource | None
    token: Token | None = None
    correlation_id: str | None = None
    index: int | None = None


@dataclass
class Context:
    """One run's shared machinery."""

    client: GenesysClient
    run: str
    journal: Journal
    emitter: Emitter
    force: bool = False
    clock: Callable[[], float] = time.perf_counter
    tokens: Tokens = field(default_factory=Tokens)
    written: list[Written] = field(default_factory=list)
    stopping: bool = False
    shapes: Shapes = field(init=False)

    def __post_init__(self) -> None:
        self.shapes = Shapes(self.client.contract)

    def rtype(self, kind: str) -> ResourceType:
        """The kind's resource type."""
        return self.client.contract.resources[kind]

    def emit(self, event: ApplyEvent) -> None:
        """Deliver an event."""
        self.emitter.emit(event)

    def check(self) -> None:
        """Stop the run if a consumer failed (not once it is stopping or settled).

        Raises:
            Stop: A listener raised; the audit trail may miss what comes next.
        """
        if self.emitter.failure is not None and not self.stopping:
            raise Stop(
                "apply/failed",
                f"a consumer of the run's events failed, so the run stops: {self.emitter.failure}",
            )

    def find(self, step: Step, key: ResourceKey | None = None) -> Seen:
        """Read the step's resource now: by key, else by its natural key.

        Raises:
            Stop: Two resources have the natural key, or the read failed.
        """
        rtype = self.rtype(step.kind)
        resources = self.client.resources(step.kind)
        key = key if key is not None else step.key
        try:
            if rtype.container is not None:
                if step.parent is None:
                    raise Stop(
                        "apply/failed", "the configuration names no parent", subject=step.subject
                    )
                listing = resources.list(step.parent)
                correlation = listing.correlation_ids[-1] if listing.correlation_ids else None
                for index, found in enumerate(listing):
                    if (key is not None and found.key == key) or (
                        key is None and _natural(rtype, found.body) == step.natural
                    ):
                        return Seen(found, found.token, correlation, index)
                return Seen(None, listing.parent_token, correlation)
            if key is not None:
                found = resources.get(key)
                return Seen(found, found.token, found.correlation_id)
            if step.natural is None:
                return Seen(None)
            listing = resources.list()
            matches = [r for r in listing if _natural(rtype, r.body) == step.natural]
            correlation = listing.correlation_ids[-1] if listing.correlation_ids else None
            if len(matches) > 1:
                raise Stop(
                    "apply/failed",
                    f"{len(matches)} resources in the org have this configuration's natural key",
                    subject=step.subject,
                )
            if matches:
                return Seen(matches[0], matches[0].token, correlation)
            return Seen(None, None, correlation)
        except NotFoundError:
            return Seen(None)
        except ApiError as error:
            raise Stop(
                "apply/failed",
                f"reading the resource back failed: {error_text(error)}",
                subject=step.subject,
                status=error.status,
                correlation_id=error.correlation_id,
            ) from None

    def who(self, step: Step, seen: Seen, pointers: Iterable[str]) -> dict[str, Who]:
        """Who changed these fields of the resource last, and when (the org's audit)."""
        if seen.resource is None:
            return dict.fromkeys(pointers, Who(None, None))
        return who_changed(
            self.client,
            self.rtype(step.kind),
            seen.resource.key,
            pointers,
            item_index=seen.index,
        )


def outcome_unknown(error: ApiError) -> bool:
    """Whether the org may have carried the request out: no answer, or a server error."""
    if isinstance(error, TransportError):
        return True
    if isinstance(error, RateLimitedError):
        return False  # a 429 is never processed
    return error.status is None or error.status >= 500


def error_text(error: BaseException) -> str:
    """An error as one redacted line."""
    return redact(" ".join(str(error).split()))


def _natural(rtype: ResourceType, body: Any) -> tuple[str, ...] | None:
    return rtype.resource_natural_key(body)


def _holder(key: ResourceKey) -> ResourceKey:
    return ResourceKey(key.params)


def _text(token: Token) -> str:
    return json.dumps(token)
