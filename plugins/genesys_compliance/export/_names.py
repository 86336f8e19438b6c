"""``metadata.name``s from the names people typed: valid, unique per kind, and stable.

A name is folded to ASCII (accents dropped, ``ß`` to ``ss``, ``ø`` to ``o``), lowercased,
every run of other characters turned into one dash, and cut to fit the
kinds' name syntax (``NAME_PATTERN``, at most ``MAX_NAME`` characters). A name
that folds to nothing (another script, emoji only) becomes the kind's folder
name.

Names that collide are told apart by a suffix taken from a hash of the
resource's key, never from its position: the one whose key sorts first keeps
the bare name, the others get ``-<6 hex>`` (longer only if even that is
taken). The outcome depends on the set of resources alone, so an org that
lists them in another order exports the same names, and a new resource can
rename at most the resources that share its name.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Mapping

from genesys_compliance.kinds import NAME_PATTERN

__all__ = ["MAX_NAME", "assign_names", "fold_name"]

MAX_NAME = 63
_SUFFIX = 6
_OTHER = re.compile(r"[^a-z0-9]+")
# Latin letters Unicode does not decompose into a base letter and a mark.
_LETTERS = str.maketrans(
    {
        "æ": "ae",
        "ø": "o",
        "œ": "oe",
        "đ": "d",
        "ð": "d",
        "ł": "l",
        "þ": "th",
        "ħ": "h",
        "\u0131": "i",
    }
)


def fold_name(text: str, fallback: str) -> str:
    """A valid ``metadata.name`` made from ``text``; ``fallback`` when nothing of it is left.

    Raises:
        ValueError: ``fallback`` itself is not a valid name.
    """
    if not NAME_PATTERN.match(fallback):
        raise ValueError(f"fallback {fallback!r} is not a valid metadata.name")
    ascii_text = (
        unicodedata.normalize("NFKD", text.casefold().translate(_LETTERS))
        .encode("ascii", "ignore")
        .decode("ascii")
    )
    folded = _OTHER.sub("-", ascii_text).strip("-")
    return _cut(folded, MAX_NAME) or fallback


def assign_names(wanted: Mapping[str, str]) -> dict[str, str]:
    """A unique name per key: ``wanted`` maps a resource's key text to its folded name.

    Returns every key's name; a key whose name differs from the one it wanted
    was renamed to avoid a collision.
    """
    groups: dict[str, list[str]] = defaultdict(list)
    for key, name in wanted.items():
        groups[name].append(key)
    out: dict[str, str] = {}
    taken: set[str] = set(groups)
    later: list[tuple[str, str]] = []
    for name, keys in groups.items():
        first, *others = sorted(keys)
        out[first] = name
        later.extend((key, name) for key in others)
    for key, name in sorted(later):
        out[key] = _suffixed(name, key, taken)
        taken.add(out[key])
    return out


def _suffixed(name: str, key: str, taken: set[str]) -> str:
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    for length in range(_SUFFIX, len(digest) + 1, 2):
        tail = digest[:length]
        candidate = f"{_cut(name, MAX_NAME - len(tail) - 1)}-{tail}".lstrip("-")
        if candidate not in taken:
            return candidate
    raise ValueError(f"no free name for {key!r}")  # pragma: no cover - a SHA-256 collision


def _cut(text: str, limit: int) -> str:
    return text[:limit].rstrip("-")
