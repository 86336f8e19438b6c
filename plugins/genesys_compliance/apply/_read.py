"""Read, in the fewest requests, every resource the approved configurations may target.

One listing per kind (at the largest page the contract allows), or one read
per parent document for kinds kept in containers: a plan of N resources
costs the listings, never N gets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from genesys_compliance.errors import NotFoundError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from genesys_compliance.apply._gate import Approved
    from genesys_compliance.client import GenesysClient, Listing

__all__ = ["OrgReading", "read_org"]


@dataclass(frozen=True)
class OrgReading:
    """What was read from the org for a plan.

    Attributes:
        listings: Per ``(kind, parent)`` (parent ``None`` outside containers),
            what the read returned.
        missing_parents: ``(kind, parent)`` pairs whose parent the org lacks.
    """

    listings: Mapping[tuple[str, str | None], Listing] = field(default_factory=dict)
    missing_parents: frozenset[tuple[str, str]] = frozenset()

    @property
    def requests(self) -> int:
        """Requests the reads made (pages and documents; retries not counted)."""
        return sum(len(listing.correlation_ids) for listing in self.listings.values())


def read_org(client: GenesysClient, approved: Sequence[Approved]) -> OrgReading:
    """Read what ``approved`` needs, kind by kind in the table's order.

    Raises:
        ApiError: A read failed (a missing parent is recorded, not raised).
    """
    table = client.contract.resources
    wanted = {a.kind for a in approved}
    listings: dict[tuple[str, str | None], Listing] = {}
    missing: set[tuple[str, str]] = set()
    for rtype in table:
        if rtype.kind not in wanted:
            continue
        resources = client.resources(rtype.kind)
        if rtype.container is None:
            listings[(rtype.kind, None)] = resources.list()
            continue
        parents = sorted(
            {
                parent
                for a in approved
                if a.kind == rtype.kind and (parent := rtype.parent_of(a.document)) is not None
            }
        )
        for parent in parents:
            try:
                listings[(rtype.kind, parent)] = resources.list(parent)
            except NotFoundError:
                missing.add((rtype.kind, parent))
    return OrgReading(listings, frozenset(missing))
