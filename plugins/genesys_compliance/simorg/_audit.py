"""The org's audit trail: who changed which entity, when, and which fields.

Apply reads it (through ``queryAudits``) to say who changed a resource and when
on a conflict, so every write lands here, whoever made it: the run's own
client, a colleague's client, or a fault standing in for one.
"""

from __future__ import annotations

import copy
import json
import uuid
from typing import TYPE_CHECKING, Any

from genesys_compliance.config import pointer
from genesys_compliance.simorg._entities import SERVER_OWNED

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["AuditTrail", "property_changes"]

_ABSENT = object()


class AuditTrail:
    """Append-only audit records in the shape ``queryAudits`` answers (oldest first).

    Args:
        records: The list the org state keeps them in (``OrgState.audits``).
        timestamp: The org's clock as RFC 3339 text.
    """

    def __init__(self, records: list[dict[str, Any]], timestamp: Callable[[], str]) -> None:
        self.records = records
        self._timestamp = timestamp

    def record(
        self,
        *,
        action: str,
        entity_type: str,
        entity_id: str,
        client_id: str,
        correlation_id: str | None = None,
        version: int | str | None = None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Append one record; ``before``/``after`` are the entity's views around the write."""
        record: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "timestamp": self._timestamp(),
            "action": action,
            "entityType": entity_type,
            "entityId": entity_id,
            "clientId": client_id,
            "correlationId": correlation_id or str(uuid.uuid4()),
        }
        if version is not None:
            record["version"] = version
        record["propertyChanges"] = property_changes(before, after)
        self.records.append(record)
        return record


def property_changes(before: Any, after: Any) -> list[dict[str, Any]]:
    """The fields that differ, as JSON pointers with their old and new values.

    Each change is ``{"property": "/priority", "oldValues": [10], "newValues": [11]}``
    (an empty list where the field was or is absent, as on a create or a
    delete). Objects are compared key by key and lists of equal length index
    by index, so a change names the deepest field that changed; the org's own
    fields (version, etag, timestamps) are left out.
    """
    changes: list[dict[str, Any]] = []
    _diff(_without_owned(before), _without_owned(after), (), changes)
    return changes


def _without_owned(entity: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (entity or {}).items() if k not in SERVER_OWNED}


def _diff(old: Any, new: Any, path: tuple[object, ...], out: list[dict[str, Any]]) -> None:
    if _same(old, new):
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in [*old, *(k for k in new if k not in old)]:
            _diff(old.get(key, _ABSENT), new.get(key, _ABSENT), (*path, key), out)
        return
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            _diff(a, b, (*path, index), out)
        return
    out.append(
        {
            "property": pointer(*path),
            "oldValues": [] if old is _ABSENT else [copy.deepcopy(old)],
            "newValues": [] if new is _ABSENT else [copy.deepcopy(new)],
        }
    )


def _same(old: Any, new: Any) -> bool:
    # JSON equality: Python's 1 == True and 1 == 1.0 would hide a real change.
    if old is _ABSENT or new is _ABSENT:
        return old is new
    return json.dumps(old, sort_keys=True) == json.dumps(new, sort_keys=True)
