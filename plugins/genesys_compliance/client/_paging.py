"""The platform's paging envelope as a value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["JsonObject", "Page"]

JsonObject = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a listing: ``{entities, pageSize, pageNumber, total, pageCount, nextUri}``."""

    entities: tuple[JsonObject, ...]
    page_number: int
    page_size: int
    total: int
    page_count: int
    next_uri: str | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Page:
        """Read a listing body; missing counts default to what the entities imply."""
        entities = tuple(e for e in data.get("entities") or () if isinstance(e, dict))
        next_uri = data.get("nextUri")
        return cls(
            entities=entities,
            page_number=int(data.get("pageNumber") or 1),
            page_size=int(data.get("pageSize") or len(entities)),
            total=int(data.get("total") or len(entities)),
            page_count=int(data.get("pageCount") or 1),
            next_uri=str(next_uri) if next_uri else None,
        )
