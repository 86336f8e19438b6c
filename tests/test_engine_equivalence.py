"""The engine's fast paths answer exactly as the plain versions they replaced.

Discovery resolves each folder once instead of each file, the secret scan
walks each document in one pass and skips values that cannot hold a
credential, and loading pauses the cyclic collector. Each reference below is
the straightforward version (as it was before those changes); the engine must
agree with it on every input, order included.
"""

from __future__ import annotations

import datetime
import gc
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genesys_compliance import load_run
from genesys_compliance.config import pointer
from genesys_compliance.config._files import SUFFIXES, _identity, discover, relative_path
from genesys_compliance.kinds import find_secrets
from genesys_compliance.kinds.common import _looks_like_secret, secret_key
from genesys_compliance.rules import Violation

# -- the secret scan ----------------------------------------------------------------------------


def reference_secrets(data: Any) -> Iterator[Violation]:
    """Every value judged, one stack entry per node, pointers from parent chains."""

    def pointer_of(path: tuple[Any, ...]) -> str:
        tokens: list[Any] = []
        while path:
            path, token = path
            tokens.append(token)
        return pointer(*reversed(tokens))

    stack: list[tuple[Any, tuple[Any, ...], str | None]] = [(data, (), None)]
    while stack:
        node, path, key = stack.pop()
        if isinstance(node, dict):
            named = node.get("key", node.get("name"))
            if isinstance(named, str) and "value" in node and secret_key(named):
                message = _looks_like_secret(named, node["value"])
                if message is not None:
                    yield Violation(pointer_of((path, "value")), message)
                    node = {k: v for k, v in node.items() if k != "value"}
            stack.extend((v, (path, k), str(k)) for k, v in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend((v, (path, i), key) for i, v in reversed(list(enumerate(node))))
        else:
            message = _looks_like_secret(key, node)
            if message is not None:
                yield Violation(pointer_of(path), message)


_KEYS = st.sampled_from(
    [
        "name",
        "key",
        "value",
        "token",
        "apiKey",
        "client_secret",
        "maxTokens",
        "secretName",
        "x",
        "password",
        "api key",
        "",
    ]
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.dates(min_value=datetime.date(2000, 1, 1)),
    st.sampled_from(
        [
            "",
            "   ",
            "${TOKEN}",
            "env:TOKEN",
            "hunter2",
            "Bearer abcdefghijklmnopqrstuvwxyz",
            "see bearer abcdefghijklmnop012345 here",
            "eyJhbGciOiJI.eyJzdWIiOiIx.sig",
            "x eyJabc",
            "a plain sentence longer than twenty characters",
            "webhook_secret",
        ]
    ),
    st.text(max_size=30),
)
_DOCUMENTS = st.recursive(
    _SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(_KEYS, st.integers(0, 3), st.none()), children, max_size=5),
    ),
    max_leaves=40,
)


@settings(max_examples=400, database=None, deadline=None)
@given(_DOCUMENTS)
def test_secret_scan_matches_the_reference_in_order(document):
    assert list(find_secrets(document)) == list(reference_secrets(document))


def test_secret_scan_finds_the_credential_name_and_value_pair():
    document = {"spec": {"pairs": [{"key": "client_secret", "value": "x", "token": 3}]}}
    found = list(find_secrets(document))
    assert found == list(reference_secrets(document))
    assert [v.pointer for v in found] == ["/spec/pairs/0/value", "/spec/pairs/0/token"]


# -- discovery ----------------------------------------------------------------------------------


def reference_discover(directories: list[Path], root: Path) -> list[tuple[Path, str, str]]:
    """Every path resolved on its own, as discovery did before folders were cached."""
    found: list[tuple[str, Path, str]] = []
    for directory in directories:
        here: list[tuple[str, Path]] = []
        for current, dirnames, filenames in os.walk(directory):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in filenames:
                if name.startswith(".") or Path(name).suffix.lower() not in SUFFIXES:
                    continue
                path = Path(current, name)
                here.append((path.relative_to(directory).as_posix(), path))
        found.extend((_identity(path), path, label) for label, path in sorted(here))
    chosen: dict[str, int] = {}
    for index, (identity, path, _) in enumerate(found):
        best = chosen.get(identity)
        if best is None or (os.path.islink(found[best][1]) and not os.path.islink(path)):
            chosen[identity] = index
    return [
        (path, relative_path(path, root), label)
        for index, (identity, path, label) in enumerate(found)
        if chosen[identity] == index
    ]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """Folders, links to files and folders, broken and looping links, hidden files."""
    top = tmp_path / "repo"
    (top / "cfg" / "sub" / "deep").mkdir(parents=True)
    (top / "other").mkdir()
    for relative in ("cfg/a.yaml", "cfg/sub/b.yml", "cfg/sub/deep/c.JSON", "other/d.yaml"):
        (top / relative).write_text("{}\n", encoding="utf-8")
    (top / "cfg" / ".hidden.yaml").write_text("{}\n", encoding="utf-8")
    (top / "cfg" / "notes.txt").write_text("x\n", encoding="utf-8")
    (top / "cfg" / "link-a.yaml").symlink_to("a.yaml")
    (top / "cfg" / "broken.yaml").symlink_to("nowhere.yaml")
    (top / "cfg" / "loop.yaml").symlink_to("loop.yaml")
    (top / "cfg" / "linked").symlink_to("sub", target_is_directory=True)
    (top / "other" / "to-b.yaml").symlink_to("../cfg/sub/b.yml")
    (tmp_path / "via").symlink_to("repo", target_is_directory=True)
    return top


@pytest.mark.parametrize(
    ("folders", "root"),
    [
        (["cfg", "other", "cfg"], "."),  # a folder named twice
        (["cfg", "other"], "cfg"),  # a folder outside the root
        (["../via/cfg", "cfg/linked", "other"], "."),  # through a symlinked folder
        (["cfg", "../via/other"], "../via/cfg"),  # a root reached through a link
        (["cfg/sub"], "cfg/sub/deep"),  # files above the root
    ],
)
def test_discovery_matches_the_reference(tree, monkeypatch, folders, root):
    monkeypatch.chdir(tree)
    directories = [Path(folder) for folder in folders]
    expected = reference_discover(directories, Path(root))
    assert list(discover(directories, Path(root))) == expected
    absolute = [tree / folder for folder in folders]
    expected = reference_discover(absolute, tree / root)
    assert list(discover(absolute, tree / root)) == expected


# -- the collector ------------------------------------------------------------------------------


@pytest.mark.parametrize("enabled", [True, False])
def test_loading_leaves_the_collector_as_it_found_it(tmp_path, enabled):
    (tmp_path / "a.yaml").write_text("{}\n", encoding="utf-8")
    was = gc.isenabled()
    try:
        if not enabled:
            gc.disable()
        run = load_run([tmp_path], tmp_path)
        assert gc.isenabled() is enabled
    finally:
        if was:
            gc.enable()
    assert {f.rule_id for f in run.all_findings()} == {"config/envelope"}


def test_loading_keeps_someone_elses_freeze(tmp_path):
    (tmp_path / "a.yaml").write_text("{}\n", encoding="utf-8")
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        load_run([tmp_path], tmp_path)
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()
