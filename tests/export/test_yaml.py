"""Exported YAML reads back, through the project's own loader, as exactly what was written."""

from __future__ import annotations

from pathlib import Path

from genesys_compliance.config import ParseLimits, read_file
from genesys_compliance.export._yaml import dump

TRICKY = [
    "yes", "no", "on", "off", "true", "False", "null", "~", "", "0o17", "0x1F", "017", "1e3",
    "-.5", ".inf", ".NaN", "2024-01-10", "12:30", "1_000", "+1", "a: b", "#hash", "- dash",
    "[list]", "{map}", "'quoted'", '"double"', " leading", "trailing ", "two\nlines", "tab\there",
    "Atención", "サポート", "\U0001f680", "@at", "%percent", "*star", "&amp", "!bang", "|pipe",
    ">fold", "?q", "x" * 300,
]  # fmt: skip


def test_strings_that_look_like_other_types_stay_strings(tmp_path: Path) -> None:
    document = {
        "apiVersion": "genesys-compliance/v1",
        "spec": {"strings": TRICKY, "numbers": [0, -3, 1.5, 1e20, True, False], "empty": {}},
    }
    path = tmp_path / "c.yaml"
    path.write_bytes(dump(document))
    source = read_file(path, "c.yaml", "c.yaml", ParseLimits())
    assert source.problem is None
    assert source.documents[0].data == document
    assert [type(v) for v in source.documents[0].data["spec"]["numbers"]] == [
        int, int, float, float, bool, bool,
    ]  # fmt: skip


def test_keys_keep_their_order_and_long_lines_are_not_folded() -> None:
    text = dump({"z": 1, "a": {"y": "w " * 80, "b": 2}}).decode("utf-8")
    assert text.splitlines()[0] == "z: 1"
    assert text.index("y:") < text.index("b:")
    assert len(text.splitlines()) == 4


def test_equal_values_are_written_out_not_anchored() -> None:
    shared = {"condition": "always"}
    text = dump({"a": shared, "b": shared}).decode("utf-8")
    assert "&" not in text
    assert "*" not in text
