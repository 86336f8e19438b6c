"""``export_org``: every resource of the chosen kinds as one configuration file each.

Layout: ``<out>/<kind folder>/<metadata.name>.yaml``, the kind folder being
the kind in kebab case (``desktop-layout``, ``flow-settings``,
``routing-strategy``, ``trigger-rule``, ``routing-rule``), plus the hidden
manifest of the files the export owns. Each file holds one document with the
envelope keys in SPEC order (``apiVersion``, ``kind``, ``metadata``,
``spec``), ``metadata`` as ``name`` then the identity fields in the table's
order, and ``spec`` in the payload schema's property order.

The org is read completely before anything is written, and the tree is then
replaced in one step (``_tree``): an org that fails mid-read changes nothing
on disk. The bytes depend on the org's state alone (not on its listing
order, nor on the order it answers set-like lists or object keys), so two
exports of an unchanged org are identical.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genesys_compliance.export._names import assign_names, fold_name
from genesys_compliance.export._omitted import LeftOut
from genesys_compliance.export._read import KindRead, ProgressListener, read_kind, tally
from genesys_compliance.export._schema import SchemaIndex
from genesys_compliance.export._shape import Shaper
from genesys_compliance.export._table import kind_folder
from genesys_compliance.export._tree import write_tree
from genesys_compliance.export._yaml import dump

if TYPE_CHECKING:
    from genesys_compliance.client import GenesysClient
    from genesys_compliance.contract import ResourceKey, ResourceTable

__all__ = ["ExportResult", "ExportedFile", "Renamed", "export_org"]

_SUFFIX = ".yaml"


@dataclass(frozen=True, slots=True)
class ExportedFile:
    """One file an export wrote.

    Attributes:
        path: Relative to the export folder, with ``/``.
        kind: The configuration kind.
        name: ``metadata.name`` (the file's stem).
        key: Where its resource is on the org.
    """

    path: str
    kind: str
    name: str
    key: ResourceKey

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {"path": self.path, "kind": self.kind, "name": self.name, "key": self.key.to_dict()}


@dataclass(frozen=True, slots=True)
class Renamed:
    """A resource whose name collided with another's once folded, and the name it got instead.

    Attributes:
        kind: The kind.
        key: The resource.
        wanted: The folded name it shares with others.
        name: The name it got (``wanted`` plus a suffix from its key).
    """

    kind: str
    key: ResourceKey
    wanted: str
    name: str

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {
            "kind": self.kind,
            "key": self.key.to_dict(),
            "wanted": self.wanted,
            "name": self.name,
        }


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote and what it cost.

    Attributes:
        out: The export folder.
        files: Every file written, sorted by path.
        counts: Resources exported per kind (every kind asked for, zero included).
        requests: HTTP requests the export sent: every attempt, the token
            request and the retries included.
        retried_after_429: Requests the org answered 429 and the client sent
            again after waiting ``Retry-After`` (none of them failed: a
            request that failed for good raises instead).
        minimum_requests: The fewest reads the contract allows for this org:
            each listed kind's pages at the largest page size (at least one),
            each container kind's parents' pages and one read per parent.
        token_requests: Token requests among ``requests``.
        renamed: Names changed to avoid a collision.
        left_out: Fields the org answered that no file holds, with the times met.
        removed: Files of an earlier export whose resources are gone, deleted.
        carried: Files in the folder the export does not own, left as they were.
        by_operation: Requests per operationId.
    """

    out: Path
    files: tuple[ExportedFile, ...]
    counts: Mapping[str, int]
    requests: int
    retried_after_429: int
    minimum_requests: int
    token_requests: int = 0
    renamed: tuple[Renamed, ...] = ()
    left_out: tuple[LeftOut, ...] = ()
    removed: tuple[str, ...] = ()
    carried: tuple[str, ...] = ()
    by_operation: Mapping[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``export --json``: the same export, the same document."""
        return {
            "out": str(self.out),
            "counts": dict(self.counts),
            "requests": self.requests,
            "retriedAfter429": self.retried_after_429,
            "minimumRequests": self.minimum_requests,
            "tokenRequests": self.token_requests,
            "byOperation": dict(sorted(self.by_operation.items())),
            "files": [f.to_dict() for f in self.files],
            "renamed": [r.to_dict() for r in self.renamed],
            "leftOut": [item.to_dict() for item in self.left_out],
            "removed": list(self.removed),
            "carried": list(self.carried),
        }


def export_org(
    client: GenesysClient,
    out_dir: str | Path,
    *,
    kinds: Iterable[str] | None = None,
    progress: ProgressListener | None = None,
) -> ExportResult:
    """Export every resource of ``kinds`` (default: all five) into ``out_dir``, read-only.

    Args:
        client: A client of the org (simulated or live); only reads are sent.
        out_dir: The export folder: new, empty, or one an earlier export wrote.
        kinds: The kinds to export; the files of other kinds an earlier export
            wrote stay as they are.
        progress: Called after every read (see :class:`ExportProgress`).

    Raises:
        ValueError: An unknown kind.
        ApiError: The org refused or failed a read; nothing was written.
        ExportError: The folder cannot take the export; nothing was changed.
    """
    table = client.contract.resources
    chosen = _chosen(table, kinds)
    tokens = client.token_fetches
    with tally(client) as counted:
        reads = [read_kind(client, table[kind], progress) for kind in chosen]
    index = SchemaIndex(client.contract.document)
    schemas = client.contract.document["x-genesys-compliance"]["kindSchemas"]
    contents: dict[str, bytes] = {}
    files: list[ExportedFile] = []
    renamed: list[Renamed] = []
    left_out: list[LeftOut] = []
    for read in reads:
        kind = read.rtype.kind
        shaper = Shaper(read.rtype, index, index.named(schemas[kind]))
        for entry in _kind_files(read, shaper, renamed):
            files.append(entry[0])
            contents[entry[0].path] = entry[1]
        left_out.extend(
            LeftOut(kind, source, pointer, reason, count)
            for (source, pointer, reason), count in sorted(shaper.left_out.items())
        )
    written = write_tree(Path(out_dir), contents, {kind_folder(kind) for kind in chosen})
    return ExportResult(
        out=Path(out_dir),
        files=tuple(sorted(files, key=lambda f: f.path)),
        counts={read.rtype.kind: len(read.items) for read in reads},
        requests=counted.requests,
        retried_after_429=counted.by_status[429],
        minimum_requests=sum(_least_reads(read) for read in reads),
        token_requests=client.token_fetches - tokens,
        renamed=tuple(sorted(renamed, key=lambda r: (r.kind, r.name))),
        left_out=tuple(left_out),
        removed=written.removed,
        carried=written.carried,
        by_operation=dict(counted.by_operation),
    )


def _chosen(table: ResourceTable, kinds: Iterable[str] | None) -> list[str]:
    """The kinds asked for, in the table's order; every kind when none are named."""
    if kinds is None:
        return list(table.kinds)
    asked = set(kinds)
    unknown = sorted(asked - set(table.kinds))
    if unknown:
        raise ValueError(f"unknown kind {unknown[0]!r} (known: {', '.join(table.kinds)})")
    return [kind for kind in table.kinds if kind in asked]


def _kind_files(
    read: KindRead, shaper: Shaper, renamed: list[Renamed]
) -> list[tuple[ExportedFile, bytes]]:
    """One kind's files: names made unique, then each resource's document."""
    kind = read.rtype.kind
    folder = kind_folder(kind)
    wanted: dict[str, str] = {}
    for item in read.items:
        parent = read.parents.get(item.parent_id) if item.parent_id is not None else None
        display = shaper.display_name(item.resource.body, parent)
        wanted[str(item.resource.key)] = fold_name(display, folder)
    names = assign_names(wanted)
    for entity in read.parents.values():
        shaper.parent_fields(entity)
    out: list[tuple[ExportedFile, bytes]] = []
    for item in read.items:
        resource = item.resource
        text = str(resource.key)
        name = names[text]
        if name != wanted[text]:
            renamed.append(Renamed(kind, resource.key, wanted[text], name))
        document = shaper.document(resource.body, name, item.parent_id)
        path = f"{folder}/{name}{_SUFFIX}"
        out.append((ExportedFile(path, kind, name, resource.key), dump(document)))
    return out


def _least_reads(read: KindRead) -> int:
    """The fewest requests the contract allows for what this kind's reads found."""
    rtype = read.rtype
    if rtype.container is None:
        return max(1, math.ceil(len(read.items) / rtype.page_size))
    parents = len(read.parents)
    return max(1, math.ceil(parents / rtype.container.page_size)) + parents
