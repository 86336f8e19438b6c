"""Configuration documents as YAML bytes: key order as given, and every value reads back as itself.

PyYAML quotes a string that its own YAML 1.1 resolver would read as another
type (``yes``, ``2024-01-10``), but the project reads files with the YAML 1.2
core schema (``config._events``), where ``0o17`` is an integer and ``1e3`` a
float. Such strings are quoted too, so a file read back holds exactly the
org's values, and a plan of it finds no change. Lines are never folded: a
changed word in a long description is one changed line in a diff.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

__all__ = ["dump"]

try:  # libyaml's emitter, where PyYAML was built with it
    _Base: type[yaml.SafeDumper] = yaml.CSafeDumper  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Base = yaml.SafeDumper

# The YAML 1.2 core schema's non-string plain scalars (null, bool, int, float, inf, nan).
_CORE = re.compile(
    r"^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE"
    r"|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
    r"|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_NEVER_FOLD = 1 << 30


class _Dumper(_Base):  # type: ignore[misc, valid-type]
    """Safe dumping with the core schema's strings quoted, and no anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        """Never write an anchor: a file is read by people, and equal values stay spelled out."""
        return True


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "'" if value == "" or _CORE.match(value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _string)


def dump(document: dict[str, Any]) -> bytes:
    """One document as UTF-8 YAML, keys in the order the mapping holds them."""
    text: str = yaml.dump(
        document,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=_NEVER_FOLD,
    )
    return text.encode("utf-8")
