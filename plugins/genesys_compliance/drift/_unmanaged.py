"""Resources of a managed kind that no configuration names: ``org/unmanaged`` warnings.

A kind is managed when the run holds a configuration of it, so a project that
keeps no trigger rules in git is not told about every trigger rule of the org.
A resource is named by a configuration the way the plan finds it: by the match
fields the configuration states or, when it states none, by its natural key,
within the parent it names for container items. Every configuration of the run
names its resource, those not compared included, so a file that fails its
checks does not make its resource look unmanaged as well.

SARIF needs a file for every result, and an org resource has none. The warning
is placed at the ``kind:`` line of the kind's first configuration file: in a
code-scanning view it sits beside the files that manage that kind, which is
where its own file belongs once exported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from genesys_compliance.config import dotted
from genesys_compliance.drift._report import UNMANAGED, Unmanaged
from genesys_compliance.errors import NotFoundError
from genesys_compliance.rules import Finding

if TYPE_CHECKING:
    from genesys_compliance.client import GenesysClient, Listing, Resource
    from genesys_compliance.contract import ResourceType
    from genesys_compliance.engine import Entry, Run

__all__ = ["DEFAULT_EXPORT_FOLDER", "export_command", "find_unmanaged"]

DEFAULT_EXPORT_FOLDER = "reports/export"
"""Where the suggested export writes: apart from the configuration folders, so exporting a
whole kind never puts a second file for a managed resource beside the first."""

_MAX_NAME = 60
_Claim = tuple[str | None, str, tuple[str, ...]]


def export_command(kind: str, folder: str = DEFAULT_EXPORT_FOLDER) -> str:
    """The command that writes every resource of ``kind`` as configuration files (SPEC 9)."""
    return f"genesys-compliance export --out {folder} --kind {kind}"


def find_unmanaged(
    client: GenesysClient,
    run: Run,
    read: Mapping[tuple[str, str | None], Listing],
    *,
    folder: str = DEFAULT_EXPORT_FOLDER,
) -> tuple[list[Unmanaged], list[str]]:
    """Every resource of a managed kind that no configuration names, and what could not be listed.

    Args:
        client: The run's client.
        run: The configurations.
        read: What the plan read, by ``(kind, parent)``: a kind's listing, or
            one parent's items; none of it is read again.
        folder: The export folder the warnings suggest.

    Returns:
        The unmanaged resources in table order, then the org's; and one reason
        per managed kind whose resources could not all be listed.

    Raises:
        ApiError: A listing failed.
    """
    by_kind: dict[str, list[Entry]] = {}
    for entry in run.entries:
        by_kind.setdefault(entry.kind.name, []).append(entry)
    found: list[Unmanaged] = []
    unlisted: list[str] = []
    rule = run.registry.get(UNMANAGED)
    for rtype in client.contract.resources:
        entries = by_kind.get(rtype.kind)
        if not entries:
            continue
        try:
            listing = _every(client, rtype, read)
        except LookupError as error:
            unlisted.append(str(error))
            continue
        claims = _claims(rtype, (e.document.data for e in entries))
        home = min(entries, key=lambda e: (e.file, e.document.index))
        line = home.document.line_of("/kind")
        for resource in listing:
            if _claimed(rtype, resource, claims):
                continue
            names = _names(rtype, resource)
            command = export_command(rtype.kind, folder)
            message = (
                f"{rtype.kind} {_described(resource, names)} is in the org and no "
                f"configuration manages it; bring it into git with `{command}`"
            )
            finding = Finding(
                rule_id=rule.id,
                severity=rule.severity,
                message=message,
                file=home.file,
                line=line,
            )
            found.append(Unmanaged(finding, rtype.kind, resource.key, names, command))
    return found, unlisted


def _every(
    client: GenesysClient, rtype: ResourceType, read: Mapping[tuple[str, str | None], Listing]
) -> list[Resource]:
    """Every resource of a kind; a container's parents the plan read are not read twice.

    Raises:
        LookupError: The contract lists no parents of a container kind.
        ApiError: A read failed.
    """
    resources = client.resources(rtype.kind)
    container = rtype.container
    if container is None:
        done = read.get((rtype.kind, None))
        return list(done if done is not None else resources.list())
    if container.parents is None:
        raise LookupError(f"{rtype.kind}: the contract lists no parents to read items of")
    out: list[Resource] = []
    pages = client.listing(container.parents.operation_id, page_size=container.page_size)
    for page, _ in pages:
        for entity in page.entities:
            parent = container.parent_in(entity)
            if parent is None:
                continue
            listing = read.get((rtype.kind, parent))
            if listing is None:
                try:
                    listing = resources.list(parent)
                except NotFoundError:
                    continue  # removed since the parents were listed: it has no items
            out.extend(listing)
    return out


def _claims(rtype: ResourceType, documents: Iterable[object]) -> set[_Claim]:
    """What the configurations name: match values, else the natural key, with the parent."""
    out: set[_Claim] = set()
    for document in documents:
        parent = rtype.parent_of(document)
        if rtype.container is not None and parent is None:
            continue  # names no parent: it names no resource
        match = rtype.match_values(document)
        if match is not None:
            out.add((parent, "match", match))
            continue
        natural = rtype.natural_key_values(document)
        if natural is not None:
            out.add((parent, "natural", natural))
    return out


def _claimed(rtype: ResourceType, resource: Resource, claims: set[_Claim]) -> bool:
    parent = None
    if rtype.container is not None:
        parent = resource.key.path_params.get(rtype.container.parameter)
    match = rtype.resource_match(resource.body)
    natural = rtype.resource_natural_key(resource.body)
    return (match is not None and (parent, "match", match) in claims) or (
        natural is not None and (parent, "natural", natural) in claims
    )


def _names(rtype: ResourceType, resource: Resource) -> dict[str, str]:
    values = rtype.resource_natural_key(resource.body) or ()
    return {
        dotted(field.config[0]): value
        for field, value in zip(rtype.natural_key, values, strict=False)
    }


def _described(resource: Resource, names: Mapping[str, str]) -> str:
    shown = ", ".join(f"{k}={_cut(v)}" for k, v in names.items())
    return f"{resource.key}" + (f" ({shown})" if shown else "")


def _cut(text: str) -> str:
    return text if len(text) <= _MAX_NAME else text[: _MAX_NAME - 1] + "…"
