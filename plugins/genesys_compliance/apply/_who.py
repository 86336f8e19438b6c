"""Who changed a resource's field, and when, as the org's audit query tells it.

Asked only when a conflict is found, so it costs nothing on the happy path.
The answer is a courtesy: an org (or a client without ``audit:read``) that
cannot answer makes the conflict say that it cannot tell, never fails it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from genesys_compliance.config import escape
from genesys_compliance.errors import ApiError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from genesys_compliance.client import GenesysClient
    from genesys_compliance.contract import ResourceKey, ResourceType

__all__ = ["Who", "last_changes", "who_changed"]

_PAGE = 100
_BATCH_PAGE = 500  # the contract's maximum: a batch reads many resources' records


@dataclass(frozen=True, slots=True)
class Who:
    """The org audit's last word on a field: the client and the time (RFC 3339)."""

    client: str | None
    at: str | None


_UNKNOWN = Who(None, None)


def who_changed(
    client: GenesysClient,
    rtype: ResourceType,
    key: ResourceKey,
    pointers: Iterable[str],
    *,
    item_index: int | None = None,
) -> dict[str, Who]:
    """For each resource pointer, the latest audit record that changed it (``""``: any field).

    Args:
        client: The run's client.
        rtype: The resource's type.
        key: Where it is; the audit names the entity by the key's one
            parameter (a container item: by its container).
        pointers: JSON pointers into the resource; ``""`` asks for the
            latest change of any field.
        item_index: For a container item, its position in the container's
            document (audit pointers are into the document).
    """
    wanted = list(pointers)
    params = dict(key.params)
    if len(params) != 1:
        return dict.fromkeys(wanted, _UNKNOWN)
    [entity] = params.values()
    prefix = ""
    if rtype.container is not None:
        if item_index is None:
            return dict.fromkeys(wanted, _UNKNOWN)
        prefix = f"{rtype.container.items}/{escape(str(item_index))}"
    try:
        records = list(
            client.query_audits(
                filters=[{"name": "entityId", "op": "eq", "values": [entity]}], page_size=_PAGE
            )
        )
    except ApiError:
        return dict.fromkeys(wanted, _UNKNOWN)
    out = dict.fromkeys(wanted, _UNKNOWN)
    for record in records:  # oldest first: later records overwrite
        touched = [
            str(c.get("property", ""))
            for c in record.get("propertyChanges", ())
            if isinstance(c, dict)
        ]
        for ptr in wanted:
            full = prefix + ptr
            if any(_touches(prop, full, prefix) for prop in touched) or (
                full == "" and not touched
            ):
                out[ptr] = Who(_text(record.get("clientId")), _text(record.get("timestamp")))
    return out


def last_changes(
    client: GenesysClient, rtype: ResourceType, keys: Iterable[ResourceKey]
) -> dict[ResourceKey, Who]:
    """The latest audit record of any field of each resource, in one query for all of them.

    ``apply/interval`` asks this of every update it holds to a minimum
    interval; one query with an ``in`` filter costs one request where a query
    per resource cost one per update. Keys the audit cannot name alone (a
    container's item, a key of several parameters) go through
    :func:`who_changed` one by one.
    """
    wanted = list(dict.fromkeys(keys))
    out = dict.fromkeys(wanted, _UNKNOWN)
    by_entity: dict[str, list[ResourceKey]] = {}
    for key in wanted:
        params = dict(key.params)
        if rtype.container is not None or len(params) != 1:
            out[key] = who_changed(client, rtype, key, [""])[""]
            continue
        [entity] = params.values()
        by_entity.setdefault(str(entity), []).append(key)
    if not by_entity:
        return out
    try:
        records = list(
            client.query_audits(
                filters=[{"name": "entityId", "op": "in", "values": sorted(by_entity)}],
                page_size=_BATCH_PAGE,
            )
        )
    except ApiError:
        return out
    for record in records:  # oldest first: later records overwrite
        for key in by_entity.get(str(record.get("entityId")), ()):
            out[key] = Who(_text(record.get("clientId")), _text(record.get("timestamp")))
    return out


def _touches(prop: str, ptr: str, prefix: str) -> bool:
    if ptr == prefix:  # any field of the resource (or of the item)
        return prop == prefix or prop.startswith(prefix + "/") or not prefix
    return prop == ptr or prop.startswith(ptr + "/") or ptr.startswith(prop + "/")


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
