"""What export needs to know about a kind that the resource table does not say (yet).

Kept here, small and named, so that it can move into
``x-genesys-compliance.resources`` without touching the export's logic:
nothing here names a kind.
"""

from __future__ import annotations

import re

__all__ = ["NAME_POINTER", "kind_folder"]

# Where a resource (and a container kind's parent) holds the name people gave it:
# the source of metadata.name. A resource without one is named by its parent and
# its match values (a queue's strategy: "<queue name> <mediaType>").
NAME_POINTER = "/name"

_WORD = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def kind_folder(kind: str) -> str:
    """Where a kind's files go: the kind in kebab case (``DesktopLayout``: ``desktop-layout``)."""
    return _WORD.sub("-", kind).lower()
