"""Read every resource of a kind in the fewest requests the contract allows, telling progress.

A listed kind is read page by page at the contract's largest page size; a
kind kept in its parents' documents (a queue's strategies) by listing the
parents and reading each one's document, the only way the contract offers.
Every request goes through the client's one send path, so the rate limiter
spaces them and a 429 is waited out as ``Retry-After`` says. Where the org
keeps refusing past the client's attempts, the read is made again after the
wait the org asked for (a read changes nothing, and a 429 means "later", not
"no"): an export does not fail for the limit, it takes longer. Patience is
bounded, so an org that never lets the client in fails the export at last.
"""

from __future__ import annotations

import functools
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from genesys_compliance.client import Exchange, ExchangeLog, Resource
from genesys_compliance.errors import NotFoundError, RateLimitedError

if TYPE_CHECKING:
    from genesys_compliance.client import GenesysClient, Listing, Page
    from genesys_compliance.contract import ResourceType

_T = TypeVar("_T")
# Reads made again after the client gave up on a 429 (each after the org's Retry-After).
_PATIENCE = 8
# The wait when a 429 names none.
_DEFAULT_WAIT = 1.0

__all__ = ["ExportProgress", "KindRead", "ProgressListener", "Tally", "read_kind", "tally"]


@dataclass(frozen=True, slots=True)
class ExportProgress:
    """How far the reads of one kind have got; sent after every request that read something.

    Attributes:
        kind: The kind being read.
        done: Reads of it made so far.
        total: Reads it needs, as far as the answers so far tell (a listing's
            page count, a parents' listing's total); it only grows.
        resources: Resources of the kind read so far.
    """

    kind: str
    done: int
    total: int
    resources: int

    @property
    def finished(self) -> bool:
        """Whether this is the kind's last read."""
        return self.done >= self.total


ProgressListener = Callable[[ExportProgress], None]


@dataclass(frozen=True, slots=True)
class Item:
    """One resource read, with the parent it was read through (container kinds only)."""

    resource: Resource
    parent_id: str | None = None


@dataclass(frozen=True)
class KindRead:
    """Everything one kind's reads returned.

    Attributes:
        rtype: The kind's resource type.
        items: Its resources, once each, in the org's order.
        parents: For a container kind, each parent's entity as its listing
            answered it, by id; empty otherwise.
        reads: Requests that answered (pages and parents' documents).
    """

    rtype: ResourceType
    items: tuple[Item, ...]
    parents: Mapping[str, Mapping[str, Any]]
    reads: int


def read_kind(
    client: GenesysClient, rtype: ResourceType, progress: ProgressListener | None = None
) -> KindRead:
    """Read every resource of one kind.

    Raises:
        ApiError: A read failed after the retries the client allows.
        LookupError: A container kind whose contract lists no parents.
    """
    reader = _Reader(rtype, progress)
    if rtype.container is None:
        op = rtype.operation("list").operation_id
        for page, correlation in _pages(client, op, rtype.page_size):
            reader.pages = max(page.page_count, reader.done + 1)
            for entity in page.entities:
                key = rtype.key_of(entity)
                reader.add(Resource(rtype.kind, key, entity, rtype.token_of(entity), correlation))
            reader.tell()
        return reader.result()
    container = rtype.container
    if container.parents is None:
        raise LookupError(f"{rtype.kind}: the contract lists no parents to read items of")
    resources = client.resources(rtype.kind)
    for page, _ in _pages(client, container.parents.operation_id, container.page_size):
        reader.pages = max(page.page_count, reader.done + 1)
        reader.expected = max(reader.expected, page.total)
        reader.tell()
        for entity in page.entities:
            parent = container.parent_in(entity)
            if parent is None or parent in reader.parents:
                continue
            try:
                listing: Listing = _patiently(client, functools.partial(resources.list, parent))
            except NotFoundError:
                continue  # deleted between the listing and its read: it is not in the org
            reader.parents[parent] = entity
            for resource in listing:
                reader.add(resource, parent)
            reader.tell()
    return reader.result()


def _pages(client: GenesysClient, operation_id: str, size: int) -> Iterator[tuple[Page, Any]]:
    """A listing's pages; refused for the limit, it is read again, each page yielded once.

    ``nextUri`` paging can only start over, so the pages already yielded are
    read again and skipped (a resource that moved meanwhile is kept once by key).
    """
    yielded = 0
    for attempt in range(_PATIENCE + 1):
        try:
            for index, found in enumerate(client.listing(operation_id, page_size=size)):
                if index >= yielded:
                    yielded += 1
                    yield found
            return
        except RateLimitedError as error:
            if attempt == _PATIENCE:
                raise
            client.rate_limiter.block_for(error.retry_after or _DEFAULT_WAIT)


def _patiently(client: GenesysClient, read: Callable[[], _T]) -> _T:
    """One read, made again after the org's wait while it answers 429 (bounded)."""
    for _ in range(_PATIENCE):
        try:
            return read()
        except RateLimitedError as error:
            client.rate_limiter.block_for(error.retry_after or _DEFAULT_WAIT)
    return read()


class _Reader:
    """One kind's reads so far."""

    def __init__(self, rtype: ResourceType, progress: ProgressListener | None) -> None:
        self.rtype = rtype
        self.progress = progress
        self.items: dict[Any, Item] = {}
        self.parents: dict[str, Mapping[str, Any]] = {}
        self.done = 0
        self.pages = 0
        self.expected = 0
        self.told = 0

    def add(self, resource: Resource, parent: str | None = None) -> None:
        # A resource moved between pages while they were read is seen twice: keep it once.
        self.items.setdefault(resource.key, Item(resource, parent))

    def tell(self) -> None:
        self.done += 1
        self._send(max(self.done, self.pages + max(self.expected, len(self.parents))))

    def _send(self, total: int) -> None:
        self.told = total
        if self.progress is not None:
            self.progress(ExportProgress(self.rtype.kind, self.done, total, len(self.items)))

    def result(self) -> KindRead:
        if self.told != self.done:  # parents that vanished, or had no id: fewer reads than said
            self._send(self.done)
        return KindRead(self.rtype, tuple(self.items.values()), dict(self.parents), self.done)


# ---------------------------------------------------------------- counting requests


class Tally(ExchangeLog):
    """The client's exchange log, passed through, with every attempt counted.

    The client's own log is bounded (it keeps the last thousand exchanges),
    so counting what it holds would undercount a large export; this sees
    each attempt as it is recorded, token requests and retries included.
    """

    def __init__(self, inner: ExchangeLog) -> None:
        super().__init__(maxlen=0)
        self._inner = inner
        self._count = threading.Lock()
        self.by_operation: Counter[str] = Counter()
        self.by_status: Counter[int | None] = Counter()

    def append(self, exchange: Exchange) -> None:
        """Count one attempt, and keep it in the client's own log."""
        with self._count:
            self.by_operation[exchange.operation_id or exchange.method] += 1
            self.by_status[exchange.status] += 1
        self._inner.append(exchange)

    def clear(self) -> None:
        """Clear the client's own log (the counts stay)."""
        self._inner.clear()

    def snapshot(self) -> tuple[Exchange, ...]:
        """The client's own log."""
        return self._inner.snapshot()

    def __iter__(self) -> Iterator[Exchange]:
        return iter(self._inner.snapshot())

    def __len__(self) -> int:
        return len(self._inner)

    @property
    def requests(self) -> int:
        """Attempts sent."""
        return sum(self.by_operation.values())


@contextmanager
def tally(client: GenesysClient) -> Iterator[Tally]:
    """Count the client's requests for the length of the block."""
    inner = client.exchanges
    counting = Tally(inner)
    client.exchanges = counting
    try:
        yield counting
    finally:
        client.exchanges = inner
