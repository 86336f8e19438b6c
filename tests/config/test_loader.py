"""The loader's contract: which files, in which order, what the data is, and where it sits."""

from __future__ import annotations

import os
import textwrap
import tracemalloc
from pathlib import Path

import pytest

from genesys_compliance import Policy
from genesys_compliance.config import (
    Document,
    ParseLimits,
    SourceFile,
    discover,
    load_files,
    read_file,
)

MIB = 1024 * 1024


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def load_one(tmp_path: Path, name: str, text: str, limits: ParseLimits | None = None) -> SourceFile:
    write(tmp_path, {name: text})
    return read_file(tmp_path / name, name, name, limits or ParseLimits())


def data_of(tmp_path: Path, name: str, text: str) -> object:
    source = load_one(tmp_path, name, text)
    assert source.problem is None, source.problem
    assert len(source.documents) == 1
    return source.documents[0].data


# -- discovery -----------------------------------------------------------------------------------


def test_discovery_is_recursive_sorted_and_takes_only_configuration_suffixes(tmp_path):
    folder = tmp_path / "configs"
    write(
        folder,
        {
            "b.yaml": "a: 1",
            "a.yml": "a: 1",
            "c.json": "{}",
            "UPPER.YAML": "a: 1",
            "layouts/z.yaml": "a: 1",
            "layouts/deep/x.json": "{}",
            "layouts/a.yaml": "a: 1",
            "notes.txt": "x",
            "README.md": "x",
            "script.py": "x",
            "data.yaml.bak": "x",
        },
    )
    found = [label for _, _, label in discover([folder], tmp_path)]
    assert found == sorted(found)
    assert found == [
        "UPPER.YAML",
        "a.yml",
        "b.yaml",
        "c.json",
        "layouts/a.yaml",
        "layouts/deep/x.json",
        "layouts/z.yaml",
    ]


def test_hidden_files_and_folders_are_skipped(tmp_path):
    folder = tmp_path / "configs"
    write(
        folder,
        {
            "visible.yaml": "a: 1",
            ".hidden.yaml": "a: 1",
            ".git/config.yaml": "a: 1",
            "layouts/.swap.yaml": "a: 1",
            "layouts/.cache/x.json": "{}",
            "layouts/ok.json": "{}",
        },
    )
    assert [label for _, _, label in discover([folder], tmp_path)] == [
        "layouts/ok.json",
        "visible.yaml",
    ]


def test_labels_are_relative_to_their_folder_and_paths_to_the_root(tmp_path):
    first, second = tmp_path / "repo" / "one", tmp_path / "repo" / "two"
    write(first, {"x/a.yaml": "a: 1"})
    write(second, {"b.yaml": "a: 1"})
    found = [(relpath, label) for _, relpath, label in discover([second, first], tmp_path / "repo")]
    assert found == [("two/b.yaml", "b.yaml"), ("one/x/a.yaml", "x/a.yaml")]


def test_a_file_outside_the_root_keeps_its_full_path(tmp_path):
    folder = tmp_path / "elsewhere"
    write(folder, {"a.yaml": "a: 1"})
    [(_, relpath, label)] = discover([folder], tmp_path / "root")
    assert relpath == (folder / "a.yaml").resolve().as_posix()
    assert label == "a.yaml"


def test_a_folder_named_twice_is_read_once(tmp_path):
    folder = tmp_path / "configs"
    write(folder, {"a.yaml": "a: 1", "sub/b.yaml": "a: 1"})
    sources = load_files([folder, folder / "sub", folder], tmp_path)
    assert [s.relpath for s in sources] == ["configs/a.yaml", "configs/sub/b.yaml"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlinked_folders_are_not_followed(tmp_path):
    folder = tmp_path / "configs"
    write(folder, {"a.yaml": "a: 1"})
    try:
        (folder / "loop").symlink_to(folder, target_is_directory=True)
    except OSError:
        pytest.skip("symlinks are not allowed here")
    assert [label for _, _, label in discover([folder], tmp_path)] == ["a.yaml"]


def test_load_files_reads_in_discovery_order_with_the_given_limits(tmp_path):
    folder = tmp_path / "configs"
    write(folder, {"b.yaml": "a: [[[1]]]", "a.json": '{"a": 1}'})
    sources = load_files([folder], tmp_path, ParseLimits(max_depth=2))
    assert [(s.label, s.problem is None) for s in sources] == [("a.json", True), ("b.yaml", False)]
    assert sources[0].is_json
    assert not sources[1].is_json


def test_parse_limits_are_the_spec_defaults_and_follow_the_policy():
    assert ParseLimits() == ParseLimits(max_bytes=5 * MIB, max_depth=200, max_alias_nodes=10_000)
    assert Policy().parse_limits == ParseLimits()
    policy = Policy(max_file_bytes=MIB, max_nesting_depth=50, max_alias_nodes=7)
    assert policy.parse_limits == ParseLimits(max_bytes=MIB, max_depth=50, max_alias_nodes=7)


# -- scalars -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", "yes"),
        ("no", "no"),
        ("on", "on"),
        ("off", "off"),
        ("y", "y"),
        ("Yes", "Yes"),
        ("true", True),
        ("True", True),
        ("TRUE", True),
        ("false", False),
        ("FALSE", False),
        ("~", None),
        ("null", None),
        ("Null", None),
        ("", None),
        ("1e5", 100000.0),
        ("1E5", 100000.0),
        ("-1.5e-3", -0.0015),
        ("1.", 1.0),
        (".5", 0.5),
        ("0x1F", 31),
        ("0o17", 15),
        ("010", 10),
        ("+12", 12),
        ("-3", -3),
        ("0", 0),
        ("1_000", "1_000"),
        ("0b101", "0b101"),
        ("2026-03-31", "2026-03-31"),
        ("12:30:00", "12:30:00"),
        ("'yes'", "yes"),
        ('"0x1F"', "0x1F"),
        ("'~'", "~"),
        ('"true"', "true"),
        ("!!str 5", "5"),
        ("!!int '7'", 7),
        ("!!float 3", 3.0),
        ("!!bool 'true'", True),
        ("!!null ''", None),
        ("! 12", "12"),
    ],
)
def test_yaml_scalars_follow_the_yaml_1_2_core_schema(tmp_path, text, expected):
    value = data_of(tmp_path, "s.yaml", f"v: {text}\n")["v"]  # type: ignore[index]
    assert value == expected
    assert type(value) is type(expected)


NOT_FINITE = "is not a finite number, and the API's JSON cannot carry NaN or infinity"
TOO_LARGE = "is too large a number: it reads as infinity, and the API's JSON cannot carry NaN"


NON_FINITE_CASES = [
    *[("s.yaml", t, f"{t!r} {NOT_FINITE}") for t in (".inf", ".Inf", "+.INF", "-.inf")],
    *[("s.yaml", t, f"{t!r} {NOT_FINITE}") for t in (".nan", ".NaN", ".NAN")],
    ("s.yaml", "!!float .inf", f"'.inf' {NOT_FINITE}"),
    ("s.yaml", "!!float '.nan'", f"'.nan' {NOT_FINITE}"),
    ("s.yaml", "1e400", f"'1e400' {TOO_LARGE} or infinity"),
    ("s.yaml", "-1.5E999", f"'-1.5E999' {TOO_LARGE} or infinity"),
    ("s.yaml", "!!float 1e400", f"'1e400' {TOO_LARGE} or infinity"),
    ("s.json", "1e400", f"'1e400' {TOO_LARGE} or infinity"),
    ("s.json", "-1E+999", f"'-1E+999' {TOO_LARGE} or infinity"),
]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    NON_FINITE_CASES,
    ids=[f"{name.removeprefix('s.')}:{text}" for name, text, _ in NON_FINITE_CASES],
)
def test_numbers_that_json_cannot_carry_are_refused_at_their_line(tmp_path, name, text, message):
    # The HTTP client refuses to encode NaN and infinity: such a file could never be sent.
    body = (
        f'{{\n  "a": 1,\n  "v": {text}\n}}\n' if name.endswith(".json") else f"a: 1\n\nv: {text}\n"
    )
    source = load_one(tmp_path, name, body)
    assert source.problem is not None
    assert (source.problem.line, source.problem.message) == (3, message)
    assert source.documents == []


def test_a_non_finite_key_is_refused_too(tmp_path):
    source = load_one(tmp_path, "k.yaml", "a: 1\n.inf: b\n")
    assert source.problem is not None
    assert (source.problem.line, source.problem.message) == (2, f"'.inf' {NOT_FINITE}")


def test_the_largest_finite_numbers_still_load(tmp_path):
    data = data_of(tmp_path, "s.yaml", "big: 1.7976931348623157e308\ntiny: 1e-400\n")
    assert data == {"big": 1.7976931348623157e308, "tiny": 0.0}  # underflow is finite


def test_block_scalars_keep_their_text(tmp_path):
    data = data_of(
        tmp_path,
        "s.yaml",
        """
        literal: |
          line one
          line two
        folded: >
          one
          two
        """,
    )
    assert data == {"literal": "line one\nline two\n", "folded": "one two\n"}


def test_json_files_use_json_scalar_rules(tmp_path):
    data = data_of(
        tmp_path,
        "s.json",
        """
        {"t": true, "f": false, "n": null, "i": 10, "neg": -3, "e": 1e5, "x": 1.5,
         "s": "yes", "h": "0x1F", "tilde": "~", "empty": "", "esc": "a\\u00e9\\n",
         "list": [1, "2", [3]], "obj": {"k": {}}}
        """,
    )
    assert data == {
        "t": True,
        "f": False,
        "n": None,
        "i": 10,
        "neg": -3,
        "e": 100000.0,
        "x": 1.5,
        "s": "yes",
        "h": "0x1F",
        "tilde": "~",
        "empty": "",
        "esc": "a\u00e9\n",
        "list": [1, "2", [3]],
        "obj": {"k": {}},
    }
    assert type(data["e"]) is float  # type: ignore[index]
    assert list(data) == [
        "t",
        "f",
        "n",
        "i",
        "neg",
        "e",
        "x",
        "s",
        "h",
        "tilde",
        "empty",  # type: ignore[call-overload]
        "esc",
        "list",
        "obj",
    ]


@pytest.mark.parametrize("text", ["True", "yes", "~", "0x1F", "010", ".5", "1.", "NaN"])
def test_json_files_refuse_yaml_only_scalars(tmp_path, text):
    source = load_one(tmp_path, "s.json", f'{{"v": {text}}}')
    assert source.problem is not None
    assert source.problem.message == f"not a JSON value: {text!r}"
    assert source.documents == []


def test_json_file_holds_one_document(tmp_path):
    source = load_one(tmp_path, "s.json", '[{"a": 1}, {"b": 2}]')
    assert source.problem is None
    assert [d.data for d in source.documents] == [[{"a": 1}, {"b": 2}]]


def test_yaml_file_holds_several_documents_and_skips_empty_ones(tmp_path):
    source = load_one(tmp_path, "m.yaml", "a: 1\n---\n---\n# nothing\n---\nb: 2\n...\n")
    assert source.problem is None
    assert [(d.index, d.data, d.line) for d in source.documents] == [
        (0, {"a": 1}, 1),
        (1, {"b": 2}, 5),
    ]


def test_non_string_keys_are_kept_as_parsed(tmp_path):
    assert data_of(tmp_path, "k.yaml", "2: a\ntrue: b\nnull: c\n1.5: d\n") == {
        2: "a",
        True: "b",
        None: "c",
        1.5: "d",
    }


# -- anchors, aliases, merge keys ----------------------------------------------------------------


def test_anchors_aliases_and_merge_keys(tmp_path):
    data = data_of(
        tmp_path,
        "m.yaml",
        """
        defaults: &defaults {columns: 24, rows: 16}
        position: &pos {x: 0, y: 0}
        grid: *defaults
        merged:
          <<: *defaults
          rows: 8
        several:
          <<: [*pos, *defaults, {extra: true}]
          x: 5
        listed: [*pos, *pos]
        """,
    )
    assert data["grid"] == {"columns": 24, "rows": 16}  # type: ignore[index]
    assert data["merged"] == {"columns": 24, "rows": 8}  # type: ignore[index]
    assert data["several"] == {  # type: ignore[index]
        "x": 5,
        "y": 0,
        "columns": 24,
        "rows": 16,
        "extra": True,
    }
    assert data["listed"] == [{"x": 0, "y": 0}] * 2  # type: ignore[index]


def test_first_merge_source_wins_and_explicit_keys_win_over_all(tmp_path):
    data = data_of(
        tmp_path,
        "m.yaml",
        """
        a: &a {k: from-a, only-a: 1}
        b: &b {k: from-b, only-b: 2}
        both: {<<: [*a, *b]}
        explicit: {k: mine, <<: [*a, *b]}
        """,
    )
    assert data["both"] == {"k": "from-a", "only-a": 1, "only-b": 2}  # type: ignore[index]
    assert data["explicit"]["k"] == "mine"  # type: ignore[index]


def test_merge_of_a_scalar_is_a_problem(tmp_path):
    source = load_one(tmp_path, "m.yaml", "a: &a 1\nb:\n  <<: *a\n")
    assert source.problem is not None
    assert (source.problem.line, source.problem.message) == (
        3,
        "a merge key '<<' takes a mapping or a list of them",
    )


def test_merge_key_is_an_ordinary_key_in_json(tmp_path):
    assert data_of(tmp_path, "m.json", '{"<<": {"a": 1}}') == {"<<": {"a": 1}}


def test_anchors_do_not_cross_documents(tmp_path):
    source = load_one(tmp_path, "m.yaml", "a: &x 1\n---\nb: *x\n")
    assert [d.data for d in source.documents] == [{"a": 1}]
    assert source.problem is not None
    assert (source.problem.line, source.problem.message) == (3, "unknown or recursive alias *x")


@pytest.mark.parametrize(("aliases", "ok"), [(10, True), (11, False)])
def test_alias_expansion_limit_counts_every_node_an_alias_brings(tmp_path, aliases, ok):
    anchor = "[" + ", ".join(["x"] * 999) + "]"  # 1,000 nodes: the list and its items
    text = f"a: &a {anchor}\nb: [{', '.join(['*a'] * aliases)}]\n"
    source = load_one(tmp_path, "a.yaml", text)
    if ok:
        assert source.problem is None
        assert len(source.documents[0].data["b"]) == aliases
    else:
        assert source.problem is not None
        assert (source.problem.line, source.problem.message) == (
            2,
            "alias expansion beyond 10,000 nodes",
        )


@pytest.mark.parametrize(("depth", "ok"), [(200, True), (201, False)])
def test_nesting_limit_is_inclusive(tmp_path, depth, ok):
    source = load_one(tmp_path, "n.json", "[" * depth + "]" * depth)
    assert (source.problem is None) is ok


# -- lines ---------------------------------------------------------------------------------------

NESTED = """\
# a comment first
apiVersion: genesys-compliance/v1
metadata:
  name: lines
  odd/key~: 1
spec:
  grid: {columns: 24,
         rows: 16}
  widgets:
    - id: a
      position:
        x: 0
    -
      id: b
    - {id: c}
  template: &t
    colour: blue
    size: 3
  copy: *t
  merged:
    <<: *t
    size: 4
  text: |
    one
    two
  after: end
"""


@pytest.fixture
def nested(tmp_path: Path) -> Document:
    source = load_one(tmp_path, "lines.yaml", NESTED)
    assert source.problem is None
    return source.documents[0]


@pytest.mark.parametrize(
    ("ptr", "line"),
    [
        pytest.param("", 2, id="root-at-its-first-key"),
        pytest.param("/apiVersion", 2, id="scalar-field"),
        pytest.param("/metadata", 3, id="mapping-at-its-key"),
        pytest.param("/metadata/name", 4, id="nested-field"),
        pytest.param("/metadata/odd~1key~0", 5, id="escaped-key"),
        pytest.param("/spec/grid", 7, id="flow-mapping"),
        pytest.param("/spec/grid/rows", 8, id="flow-mapping-second-line"),
        pytest.param("/spec/widgets", 9, id="sequence-at-its-key"),
        pytest.param("/spec/widgets/0", 10, id="item-at-its-dash"),
        pytest.param("/spec/widgets/0/position/x", 12, id="deep-field"),
        pytest.param("/spec/widgets/1", 14, id="item-after-an-empty-dash-line"),
        pytest.param("/spec/widgets/2", 15, id="flow-item"),
        pytest.param("/spec/widgets/2/id", 15, id="flow-item-field"),
        pytest.param("/spec/template/size", 18, id="anchored-field"),
        pytest.param("/spec/copy", 19, id="alias-at-its-key"),
        pytest.param("/spec/copy/size", 19, id="inside-an-alias-is-the-alias"),
        pytest.param("/spec/merged/size", 22, id="explicit-key-beside-a-merge"),
        pytest.param("/spec/merged/colour", 20, id="merged-key-is-its-mapping"),
        pytest.param("/spec/text", 23, id="block-scalar-at-its-key"),
        pytest.param("/spec/after", 26, id="after-a-block-scalar"),
        pytest.param("/spec/widgets/7", 9, id="missing-item-is-its-list"),
        pytest.param("/spec/widgets/x", 9, id="non-index-is-its-list"),
        pytest.param("/spec/nothing/below", 6, id="missing-field-is-its-parent"),
        pytest.param("/apiVersion/below", 2, id="below-a-scalar-is-the-scalar"),
        pytest.param("/nothing", 2, id="missing-top-field-is-the-root"),
    ],
)
def test_line_of_points_at_the_first_line_of_each_element(nested, ptr, line):
    assert nested.line_of(ptr) == line


def test_line_of_in_json(tmp_path):
    source = load_one(
        tmp_path,
        "lines.json",
        """
        {
          "spec": {
            "widgets": [
              {"id": "a"},
              {
                "id": "b"
              }
            ],
            "a/b": 1
          }
        }
        """,
    )
    document = source.documents[0]
    assert [
        document.line_of(p)
        for p in (
            "",
            "/spec",
            "/spec/widgets/0",
            "/spec/widgets/1",
            "/spec/widgets/1/id",
            "/spec/a~1b",
        )
    ] == [1, 2, 4, 5, 6, 9]


def test_line_of_in_later_documents(tmp_path):
    source = load_one(tmp_path, "m.yaml", "a: 1\n---\n# gap\n\nb:\n  - x\n  - y\n")
    first, second = source.documents
    assert (first.line, second.line) == (1, 2)
    assert first.line_of("/a") == 1
    assert second.line_of("/b/1") == 7
    assert second.line_of("") == 5


def test_line_of_a_scalar_document_is_the_document_line(tmp_path):
    source = load_one(tmp_path, "s.yaml", "a: 1\n---\n\n\njust text\n")
    assert source.documents[1].data == "just text"
    assert source.documents[1].line_of("/anything") == 2


def test_lines_are_indexed_lazily_once_per_file(tmp_path, monkeypatch):
    reads: list[str] = []
    real_open = os.open

    def counting_open(path: str | os.PathLike[str], flags: int, *args: int) -> int:
        reads.append(Path(path).name)
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", counting_open)
    source = load_one(tmp_path, "lazy.yaml", "a: 1\n---\nb: [1, 2]\n")
    assert reads == ["lazy.yaml"]  # loading parses once, without recording lines
    assert source.documents[1].line_of("/b/1") == 3
    assert reads == ["lazy.yaml"] * 2  # the first question reads the lines of every document
    assert source.documents[0].line_of("/a") == 1
    assert source.documents[1].line_of("/b") == 3
    assert reads == ["lazy.yaml"] * 2


def test_line_of_after_a_later_parse_error_still_answers(tmp_path):
    source = load_one(tmp_path, "m.yaml", "a:\n  b: 1\n---\nc: [\n")
    assert source.problem is not None
    assert source.problem.message.startswith("YAML syntax")
    assert [d.data for d in source.documents] == [{"a": {"b": 1}}]
    assert source.documents[0].line_of("/a/b") == 2


def test_line_index_of_a_deep_and_wide_file_stays_small(tmp_path):
    # 199 levels deep, 50,000 scalars at the bottom: a pointer per node would be ~400
    # characters each, tens of MiB; the line tree holds one small entry per node.
    text = "[" * 199 + "0," * 50_000 + "0" + "]" * 199
    source = load_one(tmp_path, "wide.yaml", text)
    assert source.problem is None
    document = source.documents[0]
    tracemalloc.start()
    try:
        assert document.line_of("/0" * 198 + "/50000") == 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * MIB


def test_only_a_plain_merge_key_merges():
    from genesys_compliance.config._events import ParseLimits, build_documents

    docs, problem = build_documents(
        'quoted: {"<<": {team: voice}}\nbase: &b {k: 1}\nplain: {<<: *b, j: 2}\n',
        limits=ParseLimits(),
    )
    assert problem is None
    assert docs[0].data == {
        "quoted": {"<<": {"team": "voice"}},
        "base": {"k": 1},
        "plain": {"j": 2, "k": 1},
    }


# Keys are equal as YAML nodes are: same type and same value (YAML 1.2, 3.2.1.3 "Node
# Comparison"). Python's 1 == True == 1.0 must neither merge them nor call them duplicates.
@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        pytest.param("1", "0x1", "duplicate key '0x1'", id="int-int-written-apart"),
        pytest.param("1", "+1", "duplicate key '+1'", id="int-int-signed"),
        pytest.param("~", "null", "duplicate key 'null'", id="null-null"),
        pytest.param("true", "True", "duplicate key 'True'", id="bool-bool"),
        pytest.param("1.5", "15e-1", "duplicate key '15e-1'", id="float-float"),
        pytest.param("a", "'a'", "duplicate key 'a'", id="str-quoted-str"),
    ],
)
def test_keys_equal_as_yaml_nodes_are_duplicates_shown_as_written(first, second, message):
    from genesys_compliance.config._events import ParseLimits, build_documents

    _, problem = build_documents(f"{first}: a\n{second}: b\n", limits=ParseLimits())
    assert problem is not None
    assert (problem.line, problem.message) == (2, message)


@pytest.mark.parametrize(
    ("first", "second"),
    [("1", "true"), ("0", "false"), ("1", "1.0"), ("true", "1.0"), ("0x1", "true")],
)
def test_keys_python_cannot_hold_apart_are_not_duplicates_nor_merged(first, second):
    from genesys_compliance.config._events import ParseLimits, build_documents

    docs, problem = build_documents(f"{first}: a\n{second}: b\n", limits=ParseLimits())
    assert docs == []
    assert problem is not None
    assert (problem.line, problem.message) == (
        2,
        f"keys {first} and {second} in one mapping cannot both be kept: quote them "
        "(property names in the API's JSON are strings)",
    )


def test_keys_of_different_yaml_types_are_different_keys(tmp_path):
    assert data_of(tmp_path, "k.yaml", "1: a\n'1': b\nnull: c\n'null': d\n") == {
        1: "a",
        "1": "b",
        None: "c",
        "null": "d",
    }


def test_line_of_a_non_string_key_uses_the_key_as_written(tmp_path):
    source = load_one(tmp_path, "k.yaml", "a:\n  null: 1\n  true: 2\n  7: 3\n  2.5: 4\n")
    document = source.documents[0]
    assert [document.line_of(f"/a/{key}") for key in ("null", "true", "7", "2.5")] == [2, 3, 4, 5]
    assert document.line_of("/a/None") == 1  # Python's spelling is no key of the file


@pytest.mark.parametrize(
    ("char", "shown"), [("\x01", "U+0001"), ("\t", "U+0009"), ("\x00", "U+0000")]
)
def test_json_control_character_message_is_whole(tmp_path, char, shown):
    text = '{\n  "a": 1,\n  "name": "ab' + char + 'c"\n}\n'
    source = load_one(tmp_path, "c.json", text)
    assert source.problem is not None
    assert (source.problem.line, source.problem.message) == (
        3,
        f"JSON syntax: Invalid control character {shown} in a string at line 3 column 14",
    )


def test_json_unterminated_string_message_is_whole(tmp_path):
    source = load_one(tmp_path, "c.json", '{\n  "a": 1,\n  "name": "abc\n}\n')
    assert source.problem is not None
    assert source.problem.line == 3
    assert source.problem.message == (
        "JSON syntax: Invalid control character U+000A in a string at line 3 column 15"
    )
    source = load_one(tmp_path, "d.json", '{\n  "a": 1,\n  "name": "abc')
    assert source.problem is not None
    assert (source.problem.line, source.problem.message) == (
        3,
        "JSON syntax: Unterminated string starting at line 3 column 11",
    )


def test_json_syntax_errors_speak_json(tmp_path):
    from genesys_compliance.config import ParseLimits, read_file

    path = tmp_path / "c.json"
    path.write_text('{"a": 1,\n "b": [1,\n}\n', encoding="utf-8")
    source = read_file(path, "c.json", "c.json", ParseLimits())
    assert source.problem is not None
    assert source.problem.message.startswith("JSON syntax:")
    assert source.problem.line == 3


@pytest.mark.parametrize("name", ["a.yaml", "a.json"])
def test_field_names_are_one_string_across_files(tmp_path, name):
    """Thousands of files repeat the same keys; each name is held once, whatever the file."""
    text = '{"apiVersion": "v1", "spec": {"widget_type": "x"}}\n'
    first = data_of(tmp_path, name, text)
    second = data_of(tmp_path, "b" + name, text)
    assert isinstance(first, dict)
    assert isinstance(second, dict)
    keys = [next(k for k in d["spec"]) for d in (first, second)]
    assert keys[0] == "widget_" + "type"
    assert keys[0] is keys[1]
