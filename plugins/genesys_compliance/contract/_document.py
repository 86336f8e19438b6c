"""Load the shipped OpenAPI document and move kind endpoints where a project says."""

from __future__ import annotations

import copy
import functools
from importlib import resources
from typing import TYPE_CHECKING, Any

import yaml

from genesys_compliance.errors import PolicyError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["DOCUMENT_NAME", "base_document", "relocate"]

DOCUMENT_NAME = "openapi.yaml"

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@functools.cache
def _shipped() -> dict[str, Any]:
    """Parse the document once per process; callers get deep copies."""
    text = resources.files(__package__).joinpath(DOCUMENT_NAME).read_text(encoding="utf-8")
    loaded = yaml.safe_load(text)
    if not isinstance(loaded, dict) or not str(loaded.get("openapi", "")).startswith("3.1"):
        raise PolicyError(f"{DOCUMENT_NAME} is not an OpenAPI 3.1 document")
    # Round-trip through a deep copy so YAML aliases become independent objects:
    # relocating one path must not move another that shared its mapping.
    return copy.deepcopy(loaded)


def base_document() -> dict[str, Any]:
    """Return a private copy of the document as shipped."""
    return copy.deepcopy(_shipped())


def kind_prefixes(document: Mapping[str, Any]) -> dict[str, str]:
    """Return the default path prefix of each kind's endpoints."""
    extension = document.get("x-genesys-compliance", {})
    return dict(extension.get("kindPrefixes", {}))


def relocate(document: dict[str, Any], endpoints: Mapping[str, str]) -> dict[str, Any]:
    """Move each kind's endpoints under the prefix the project configured.

    Only paths of operations tagged with the kind and starting with the kind's
    default prefix move, so shared endpoints (users, licensing, audit) stay put.

    Raises:
        PolicyError: An unknown kind, a prefix that is not an absolute path, or
            two operations that would end up on the same method and path.
    """
    prefixes = kind_prefixes(document)
    for kind, prefix in endpoints.items():
        if kind not in prefixes:
            known = ", ".join(sorted(prefixes))
            raise PolicyError(f"endpoints: unknown kind {kind!r} (known: {known})")
        if not isinstance(prefix, str) or not prefix.startswith("/") or "?" in prefix:
            raise PolicyError(f"endpoints.{kind}: {prefix!r} is not an absolute path")
    if not endpoints:
        return document
    moved: dict[str, Any] = {}
    for path, item in document["paths"].items():
        new_path = path
        for kind, prefix in endpoints.items():
            old = prefixes[kind]
            if _tagged(item, kind) and (path == old or path.startswith(old + "/")):
                new_path = prefix.rstrip("/") + path[len(old) :]
                break
        if new_path in moved:
            clash = sorted(set(moved[new_path]) & set(item) & set(_METHODS))
            if clash:
                raise PolicyError(f"endpoints: two operations would share {clash[0]} {new_path}")
            moved[new_path].update(item)
        else:
            moved[new_path] = item
    document["paths"] = moved
    document["x-genesys-compliance"]["kindPrefixes"] = {**prefixes, **endpoints}
    return document


def _tagged(item: Mapping[str, Any], kind: str) -> bool:
    return any(kind in item[m].get("tags", ()) for m in _METHODS if m in item)
