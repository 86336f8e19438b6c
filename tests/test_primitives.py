"""Primitives with one owner each: JSON-pointer escaping, the name pattern, the parse limits.

Each is written once, in the lowest layer that needs it; the guards at the end
fail when a copy reappears elsewhere in the package, where it could drift.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import genesys_compliance
from genesys_compliance import Policy
from genesys_compliance.config import (
    ParseLimits,
    dotted,
    escape,
    pointer,
    pointer_tokens,
    read_file,
    unescape,
)
from genesys_compliance.config._events import build_documents
from genesys_compliance.contract._operations import resolve
from genesys_compliance.kinds import NAME_PATTERN
from genesys_compliance.kinds.common import ENVELOPE

PACKAGE = Path(genesys_compliance.__file__).parent

# ---------------------------------------------------------------- JSON pointers

ODD_KEYS = ["a/b", "c~d", "~1", "~01", "/", "~", "", "0", "x~/y"]


@pytest.mark.parametrize("key", ODD_KEYS)
def test_unescape_reads_back_what_escape_wrote(key: str) -> None:
    assert "/" not in escape(key)
    assert unescape(escape(key)) == key


def test_escaping_follows_rfc_6901_order() -> None:
    assert escape("~1") == "~01"  # "~" first, or "~1" would read back as "/"
    assert unescape("~01") == "~1"
    assert pointer("a/b", "c~d", 2) == "/a~1b/c~0d/2"


def test_pointer_tokens_split_a_pointer_into_the_keys_it_was_built_from() -> None:
    assert pointer_tokens(pointer(*ODD_KEYS)) == ODD_KEYS
    assert pointer_tokens("") == []  # the whole document
    assert pointer_tokens("/") == [""]  # the empty key
    assert dotted(pointer("spec", "a/b", 0)) == "spec.a/b[0]"


@settings(deadline=None)
@given(st.lists(st.text(alphabet="~/01a", max_size=6), max_size=5))
def test_pointer_and_pointer_tokens_round_trip_any_keys(keys: list[str]) -> None:
    assert pointer_tokens(pointer(*keys)) == keys


def test_every_layer_reads_escaped_keys_through_the_owner(tmp_path: Path) -> None:
    """The loader's lines and the contract's ``$ref`` walk find keys holding ``/`` and ``~``."""
    path = tmp_path / "c.yaml"
    path.write_text("spec:\n  a/b:\n    c~d: 1\n", encoding="utf-8")
    (document,) = read_file(path, "c.yaml", "c.yaml", ParseLimits()).documents
    assert document.line_of(pointer("spec", "a/b", "c~d")) == 3

    openapi = {"components": {"a/b": {"c~d": {"type": "string"}}}}
    ref = {"$ref": "#" + pointer("components", "a/b", "c~d")}
    assert resolve(openapi, ref, "/x") == ({"type": "string"}, "/components/a~1b/c~0d")


# ---------------------------------------------------------------- metadata.name


@pytest.mark.parametrize("name", ["a", "0", "a-", "agent-default-2", "a" * 63])
def test_the_name_pattern_accepts_names_of_one_to_63_characters(name: str) -> None:
    assert NAME_PATTERN.match(name)


@pytest.mark.parametrize(
    "name", ["", "a" * 64, "agent\n", "-agent", "Agent", "agent_default", "agent default"]
)
def test_the_name_pattern_refuses_the_edges(name: str) -> None:
    assert not NAME_PATTERN.match(name)


def test_the_envelope_rule_quotes_the_pattern_it_is_judged_by() -> None:
    quoted = ENVELOPE.summary.rsplit("metadata.name matches ", 1)[1]
    assert NAME_PATTERN.pattern == f"^{quoted}\\Z"


# ---------------------------------------------------------------- parse limits


def test_the_policy_builds_the_one_limits_record_the_builder_reads() -> None:
    assert Policy().parse_limits == ParseLimits()
    limits = Policy(max_nesting_depth=2, max_alias_nodes=1).parse_limits
    _, too_deep = build_documents("a: {b: {c: 1}}\n", limits=limits)
    assert too_deep is not None
    assert too_deep.message == "nesting deeper than 2 levels"
    _, too_many = build_documents("a: &x [1, 2]\nb: *x\n", limits=limits)
    assert too_many is not None
    assert too_many.message == "alias expansion beyond 1 nodes"


# ---------------------------------------------------------------- guards


def _sources_except(owner: str) -> list[tuple[str, str]]:
    return [
        (path.relative_to(PACKAGE).as_posix(), path.read_text(encoding="utf-8"))
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).as_posix() != owner
    ]


def test_only_the_pointer_module_escapes_reference_tokens() -> None:
    # A string literal "~0" or "~1" is what every hand-written escape or unescape contains.
    copy = re.compile(r"""["']~[01]["']""")
    found = [name for name, text in _sources_except("config/_pointer.py") if copy.search(text)]
    assert found == [], "use escape/unescape/pointer_tokens from genesys_compliance.config"


def test_only_the_kinds_base_spells_the_name_pattern() -> None:
    found = [name for name, text in _sources_except("kinds/_base.py") if "{0,62}" in text]
    assert found == [], "use NAME_PATTERN (or NAME_SYNTAX in texts) from genesys_compliance.kinds"


def test_only_the_event_builder_defines_parse_limits() -> None:
    copy = re.compile(r"^\s+max_alias_nodes: int = \d", re.M)  # a record with its own defaults
    found = [name for name, text in _sources_except("config/_events.py") if copy.search(text)]
    assert found == [], "use ParseLimits from genesys_compliance.config"
