"""What every kind's strategies share: names, text, envelopes, and YAML that loads back exactly.

Readable choices come first in every ``one_of`` and ``sampled_from``:
hypothesis shrinks towards the first branch, so a shrunk counterexample
reads like a configuration a person would write.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

import yaml
from hypothesis import strategies as st

from genesys_compliance.kinds import API_VERSION, NAME_PATTERN, builtin_registry, find_secrets
from genesys_compliance.rules import Policy

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable, Iterable, Sequence

Doc = dict[str, Any]
T = TypeVar("T")

# A waiver valid until then is valid for any plausible run date; one that
# expired then is expired for any plausible run date.
FAR_FUTURE = "2099-12-31"
LONG_AGO = "2000-01-01"

_WORDS = (
    "agent",
    "billing",
    "support",
    "sales",
    "voice",
    "chat",
    "vip",
    "night",
    "tier1",
    "tier2",
    "escalation",
    "outbound",
    "retention",
    "spanish",
    "callback",
)


def active(policy: Policy | None) -> Policy:
    """The policy to generate for: the one given, else the SPEC defaults."""
    return policy if policy is not None else Policy()


def ordered(items: Iterable[str]) -> list[str]:
    """Sorted, so draws do not depend on set iteration order (hash randomisation)."""
    return sorted(items)


@cache
def names() -> st.SearchStrategy[str]:
    """``metadata.name`` values; shrink to ``agent``."""
    readable = st.builds("-".join, st.lists(st.sampled_from(_WORDS), min_size=1, max_size=3))
    return st.one_of(readable, st.from_regex(NAME_PATTERN, fullmatch=True))


@cache
def plain_texts(*, min_size: int = 0) -> st.SearchStrategy[str]:
    """Any text a person could put in a free field, never credential-shaped; shrinks to ``Agent``.

    Arbitrary text (control characters, quotes, YAML-looking words) is part of
    the draw on purpose: free fields must survive serialising and reading back.
    """
    words = st.builds(
        lambda parts: " ".join(parts).capitalize(),
        st.lists(st.sampled_from(_WORDS), min_size=1, max_size=4),
    )
    anything = st.text(min_size=max(min_size, 0))
    return st.one_of(words, anything).filter(
        lambda text: len(text) >= min_size and not any(find_secrets(text))
    )


@cache
def words() -> st.SearchStrategy[str]:
    """A single lowercase word, e.g. a skill or queue name; shrinks to ``agent``."""
    return st.one_of(
        st.sampled_from(_WORDS), st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True)
    )


@cache
def uuids() -> st.SearchStrategy[str]:
    """Lowercase UUID strings, the form the API compares ids in."""
    return st.uuids().map(str)


@cache
def scalars() -> st.SearchStrategy[Any]:
    """JSON scalars that survive a YAML round trip exactly (no NaN, no infinities)."""
    return st.one_of(
        st.booleans(),
        st.integers(min_value=-(10**9), max_value=10**9),
        plain_texts(),
        st.floats(allow_nan=False, allow_infinity=False, width=64),
        st.none(),
    )


@cache
def labels() -> st.SearchStrategy[dict[str, Any]]:
    """Free ``metadata.labels``; keys never look like credentials."""
    keys = st.sampled_from(("team", "owner", "site", "tier", "reviewed"))
    return st.dictionaries(keys, scalars(), max_size=3)


@cache
def waivers(kind: str) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Valid, unexpired waivers of rules of ``kind``; shrink to none.

    Only warnings are waived: a waived error would hide the very findings the
    mutators are meant to produce.
    """
    registry = builtin_registry()
    rules = [r.id for r in registry if r.kind == kind and r.severity == "warning"]
    if not rules:
        return st.just([])
    waiver = st.builds(
        lambda rule, reason: {"rule": rule, "reason": reason, "expires": FAR_FUTURE},
        st.sampled_from(rules),
        st.sampled_from(("Reviewed by CX ops", "Wall board, accepted risk")),
    )
    return st.lists(waiver, max_size=1, unique_by=lambda w: w["rule"])


@cache
def maybe_texts() -> st.SearchStrategy[str | None]:
    """Absent (``None``) or free text; shrinks to absent."""
    return st.none() | plain_texts()


@cache
def maybe_uuids() -> st.SearchStrategy[str | None]:
    """Absent (``None``) or a lowercase UUID; shrinks to absent."""
    return st.none() | uuids()


_MEMO: dict[tuple[Hashable, ...], Any] = {}


def memo(build: Callable[[], T], *key: Hashable) -> T:
    """Build a strategy once per key: suites ask for the same policy's strategy every example.

    Hypothesis caches work per strategy object (emptiness, shrinking hints);
    rebuilding an ``st.recursive`` tree every example costs more than drawing.
    """
    found = _MEMO.get(key)
    if found is None:
        found = _MEMO[key] = build()
    return found


def policy_key(policy: Policy) -> str:
    """A hashable stand-in for a policy (it holds dicts, so it is not hashable itself)."""
    return policy.model_dump_json()


def optional(into: dict[str, Any], key: str, value: Any) -> None:
    """Set ``key`` unless ``value`` is ``None``: absent fields read better than nulls."""
    if value is not None:
        into[key] = value


def envelope(kind: str, metadata: dict[str, Any], spec: dict[str, Any]) -> Doc:
    """A whole document in the order people write it."""
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": metadata, "spec": spec}


@st.composite
def metadata(draw: st.DrawFn, /, kind: str, **identity: st.SearchStrategy[Any]) -> dict[str, Any]:
    """``name``, optional labels and waivers, then the kind's identity fields (``None``: absent)."""
    out: dict[str, Any] = {"name": draw(names())}
    found = draw(labels())
    if found:
        out["labels"] = found
    granted = draw(waivers(kind))
    if granted:
        out["waivers"] = granted
    for key, strategy in identity.items():
        optional(out, key, draw(strategy))
    return out


# ---------------------------------------------------------------------------- YAML

# The loader reads YAML 1.2 core scalars; PyYAML writes YAML 1.1. A string that
# 1.1 leaves plain but 1.2 reads as a number (``1e5``, ``0o17``, ``+.5``, ``08``)
# would change type on the way back, so the dumper quotes it.
_CORE_12 = (
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", "~nN"),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+.0123456789",
    ),
)


_UNICODE_BREAKS = frozenset("\x85\u2028\u2029")


class _Dumper(yaml.SafeDumper):
    """``yaml.SafeDumper`` that also quotes what YAML 1.2 would not read as a string.

    It never writes anchors (a repeated list or mapping is written out twice,
    as a person would), and writes strings holding Unicode line breaks (NEL,
    LS, PS) double-quoted: PyYAML would otherwise write them raw inside single
    quotes, where a reader folds them into spaces.
    """

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def represent_str(self, data: str) -> yaml.ScalarNode:
        if _UNICODE_BREAKS.intersection(data):
            return self.represent_scalar("tag:yaml.org,2002:str", data, style='"')
        return super().represent_str(data)


for _tag, _pattern, _first in _CORE_12:
    _Dumper.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))
_Dumper.add_representer(str, _Dumper.represent_str)


def to_yaml(*documents: Doc) -> str:
    """Serialise documents as one YAML file that the project's loader reads back unchanged.

    Like ``yaml.safe_dump_all(..., sort_keys=False)``, plus quoting for strings
    that YAML 1.2 would read as numbers; keys keep their order so pointers and
    lines match what was generated.
    """
    return yaml.dump_all(
        list(documents),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
    )


def fresh(base: str, taken: Sequence[str] | set[str]) -> str:
    """``base``, or ``base-2``, ``base-3``...: the first not in ``taken``."""
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"
