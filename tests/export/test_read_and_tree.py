"""The read and write halves of an export, each on its own: pages seen twice, a write that fails."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import genesys_compliance.export._tree as tree_module
from genesys_compliance.client import Page
from genesys_compliance.contract import Contract
from genesys_compliance.export import ExportError
from genesys_compliance.export._read import ExportProgress, read_kind
from genesys_compliance.export._tree import write_tree
from tests.export._support import siblings, tree


class _Pages:
    """A client whose one listing answers the pages given, as a listing that shifted would."""

    def __init__(self, *pages: list[dict[str, Any]]) -> None:
        self._pages = pages

    def listing(self, operation_id: str, *, page_size: int) -> Iterator[tuple[Page, str]]:
        for number, entities in enumerate(self._pages, start=1):
            page = Page(tuple(entities), number, page_size, 3, len(self._pages), None)
            yield page, f"corr-{number}"


def _layout(ident: str) -> dict[str, Any]:
    return {
        "id": ident,
        "name": ident,
        "version": 1,
        "grid": {"columns": 1, "rows": 1},
        "widgets": [],
    }


def test_a_resource_seen_on_two_pages_is_exported_once() -> None:
    rtype = Contract.load().resources["DesktopLayout"]
    client: Any = _Pages([_layout("a"), _layout("b")], [_layout("b"), _layout("c")])
    steps: list[ExportProgress] = []
    read = read_kind(client, rtype, steps.append)
    assert [item.resource.key.path_params["layoutId"] for item in read.items] == ["a", "b", "c"]
    assert [(s.done, s.total, s.resources) for s in steps] == [(1, 2, 2), (2, 2, 3)]


def test_a_write_that_fails_half_way_leaves_the_old_tree_and_no_staging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    write_tree(out, {"k/a.yaml": b"a: 1\n", "k/b.yaml": b"b: 1\n"}, {"k"})
    before = tree(out)
    written: list[Path] = []
    real = tree_module._write

    def full_disk(path: Path, content: bytes) -> None:
        if written:
            raise OSError(28, "No space left on device")
        written.append(path)
        real(path, content)

    monkeypatch.setattr(tree_module, "_write", full_disk)
    with pytest.raises(ExportError, match="No space left"):
        write_tree(out, {"k/a.yaml": b"a: 2\n", "k/c.yaml": b"c: 2\n"}, {"k"})
    assert tree(out) == before
    assert siblings(out) == []


def test_a_file_where_the_folder_should_be_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_text("not a folder\n", encoding="utf-8")
    with pytest.raises(ExportError, match="is not a folder"):
        write_tree(out, {"k/a.yaml": b"a: 1\n"}, {"k"})
    assert out.read_text(encoding="utf-8") == "not a folder\n"
