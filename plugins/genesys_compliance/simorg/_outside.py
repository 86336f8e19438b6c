"""Writes made behind the client's back: a colleague's edit, a scheduled concurrent writer.

They are what apply must never overwrite unseen, so they go through the same
tokens and the same audit trail as the API's own writes: the entity's
version or etag moves on and the record names the other client.
"""

from __future__ import annotations

import copy
import logging
from typing import TYPE_CHECKING, Any

from genesys_compliance.simorg._entities import (
    GUARDED,
    find_entity_type,
    next_token,
    set_field,
    store,
    view,
)
from genesys_compliance.simorg._faults import FaultKind

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable

    from genesys_compliance.contract import Contract, RouteMatch
    from genesys_compliance.simorg._audit import AuditTrail
    from genesys_compliance.simorg._entities import EntityType
    from genesys_compliance.simorg._faults import Fault
    from genesys_compliance.simorg._state import OrgState

__all__ = ["OutsideWrites"]

logger = logging.getLogger("genesys_compliance.simorg")


class OutsideWrites:
    """Change entities as another client would, and vet concurrent-write faults.

    Args:
        state: The org's state.
        contract: Every changed entity must still fit its schema.
        lock: The org's lock; an outside write is atomic with the API's writes.
        timestamp: The org's clock as RFC 3339 text (``modifiedDate``).
        audit: Where the change is recorded.
    """

    def __init__(
        self,
        state: OrgState,
        contract: Contract,
        lock: threading.RLock,
        timestamp: Callable[[], str],
        audit: AuditTrail,
    ) -> None:
        self._state = state
        self._contract = contract
        self._lock = lock
        self._timestamp = timestamp
        self._audit = audit
        self._operations = frozenset(op.operation_id for op in contract.operations)

    def change(
        self,
        entity_type: str,
        entity_id: str,
        *,
        client_id: str,
        field: str | None = None,
        value: Any = None,
    ) -> dict[str, Any]:
        """Set ``field`` of an entity to ``value`` under ``client_id``; see ``SimOrg.change``."""
        etype = find_entity_type(entity_type)
        with self._lock:
            before = view(self._state, etype, entity_id)
            if before is None:
                raise LookupError(f"no {etype.name} entity {entity_id!r}")
            after = self._changed(etype, before, field, value)
            store(self._state, etype, entity_id, after)
            self._audit.record(
                action="update",
                entity_type=etype.name,
                entity_id=entity_id,
                client_id=client_id,
                version=after[etype.token],
                before=before,
                after=after,
            )
            return copy.deepcopy(after)

    def race(self, fault: Fault, found: RouteMatch) -> None:
        """Carry out a concurrent-write fault just before the request it hit."""
        if fault.entity_type is not None and fault.entity_id is not None:
            target: tuple[str, str] | None = (fault.entity_type, fault.entity_id)
        else:
            guarded = GUARDED.get(found.operation.operation_id)
            target = None if guarded is None else (guarded[0], found.path_params[guarded[1]])
        if target is None:
            logger.info("%s: %s writes no guarded entity", fault.id, found.operation.operation_id)
            return
        entity_type, entity_id = target
        try:
            self.change(
                entity_type,
                entity_id,
                client_id=fault.client_id,
                field=fault.field,
                value=fault.value,
            )
        except (LookupError, ValueError) as exc:  # the entity went away since it was scheduled
            logger.warning("%s: the concurrent write did not happen: %s", fault.id, exc)

    def check(self, fault: Fault) -> None:
        """Refuse a fault that could never fire as meant, when it is scheduled, not later.

        Raises:
            ValueError: An unknown operation; a concurrent write naming an
                operation that writes no versioned entity, an entity that does
                not exist, or a change that would break the entity's schema.
        """
        if fault.operation is not None and fault.operation not in self._operations:
            raise ValueError(f"unknown operation {fault.operation!r}")
        if fault.kind is not FaultKind.CONCURRENT_WRITE:
            return
        if fault.entity_type is None or fault.entity_id is None:
            if fault.operation is not None and fault.operation not in GUARDED:
                raise ValueError(
                    f"{fault.operation} writes no versioned entity: name entity_type and entity_id"
                )
            return
        etype = find_entity_type(fault.entity_type)
        with self._lock:
            before = view(self._state, etype, fault.entity_id)
            if before is None:
                raise ValueError(f"no {etype.name} entity {fault.entity_id!r}")
            self._changed(etype, before, fault.field, fault.value)

    def _changed(
        self, etype: EntityType, before: dict[str, Any], field: str | None, value: Any
    ) -> dict[str, Any]:
        after = before if field is None else set_field(before, field, value)
        after = {**after, etype.token: next_token(etype, before[etype.token])}
        if etype.stamped:
            after["modifiedDate"] = self._timestamp()
        problems = self._contract.validate_schema(etype.schema, after)
        if problems:
            raise ValueError(
                f"{field} = {value!r} leaves the {etype.name} entity outside {etype.schema}: "
                + "; ".join(str(p) for p in problems)
            )
        return after
