"""Hostile and broken files: each is one finding, the run completes, its neighbours are checked.

Every test writes the hostile file between two well-formed configurations
(``a-neighbour.yaml`` and ``z-neighbour.yaml``, each with one known overlap
finding) and asserts that both were still loaded and checked.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest
import yaml

from genesys_compliance import Finding, Policy, Run
from genesys_compliance.config import ParseLimits, _events, load_files, read_file
from tests.helpers import ids_lines, run_files

MIB = 1024 * 1024

NEIGHBOUR = """\
apiVersion: genesys-compliance/v1
kind: DesktopLayout
metadata: {{name: {name}}}
spec:
  name: Neighbour
  grid: {{columns: 24, rows: 16}}
  widgets:
    - {{widget_type: queue-widget, id: a, position: {{x: 0, y: 0, width: 2, height: 2}}}}
    - {{widget_type: notes-widget, id: b, position: {{x: 1, y: 1, width: 2, height: 2}}}}
"""
NEIGHBOURS = {
    "a-neighbour.yaml": NEIGHBOUR.format(name="a-neighbour"),
    "z-neighbour.yaml": NEIGHBOUR.format(name="z-neighbour"),
}
NEIGHBOUR_FINDINGS = [("layout/overlap", 9)]  # the second widget, in each neighbour

VALID_LAYOUT = NEIGHBOUR.format(name="hostile").replace("x: 1, y: 1", "x: 4, y: 4")


def run_hostile(
    tmp_path: Path, name: str, content: str | bytes, policy: Policy | None = None
) -> tuple[Run, list[Finding]]:
    """Load ``name`` between the neighbours; check the neighbours; return the run and its findings.

    Text is passed as bytes so that the helper's dedent leaves hostile text as it is.
    """
    files: dict[str, str | bytes] = dict(NEIGHBOURS)
    files[name] = content.encode() if isinstance(content, str) else content
    run = run_files(tmp_path, files, policy)
    findings = run.all_findings()
    assert not [f for f in findings if "rule itself failed" in f.message]
    for neighbour in NEIGHBOURS:
        entries = [e for e in run.entries if e.file == f"configs/{neighbour}"]
        assert [e.name for e in entries] == [neighbour.removesuffix(".yaml")]
        assert entries[0].config is not None
        assert ids_lines(run.check(entries[0])) == NEIGHBOUR_FINDINGS
    return run, [f for f in findings if f.file == f"configs/{name}"]


def only_finding(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, [f.render() for f in findings]
    return findings[0]


# -- limits: aliases, nesting, size --------------------------------------------------------------


def billion_laughs(levels: int = 9, fan_out: int = 9) -> str:
    lines = [f"l0: &l0 [{', '.join(['lol'] * fan_out)}]"]
    for level in range(1, levels + 1):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * fan_out)}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_stopped_at_the_alias_that_crosses_the_limit_and_fast(tmp_path):
    started = time.perf_counter()
    _, findings = run_hostile(tmp_path, "bomb.yaml", billion_laughs())
    elapsed = time.perf_counter() - started
    finding = only_finding(findings)
    # l1 expands 90 nodes, l2 819 and l3 7,380 (8,289 in all); the first *l3 of l4 crosses 10,000.
    assert (finding.rule_id, finding.line) == ("config/parse", 5)
    assert finding.message == "alias expansion beyond 10,000 nodes"
    assert elapsed < 2.0


def test_alias_bomb_through_the_loader_keeps_no_documents(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(billion_laughs(), encoding="utf-8")
    source = read_file(path, "bomb.yaml", "bomb.yaml", ParseLimits())
    assert source.problem is not None
    assert (source.problem.line, source.problem.message) == (
        5,
        "alias expansion beyond 10,000 nodes",
    )
    assert source.documents == []


def test_alias_limit_follows_the_policy(tmp_path):
    text = "a: &a [" + ", ".join(["x"] * 99) + "]\nb: [" + ", ".join(["*a"] * 11) + "]\n"
    _, findings = run_hostile(tmp_path, "wide.yaml", text, Policy(max_alias_nodes=1_000))
    assert only_finding(findings).message == "alias expansion beyond 1,000 nodes"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        pytest.param("brackets.yaml", "[" * 100_000 + "]" * 100_000, id="yaml-flow"),
        pytest.param("objects.json", '{"a":' * 100_000 + "1" + "}" * 100_000, id="json"),
        pytest.param("mixed.yaml", '{"a": [' * 50_000 + "1" + "]}" * 50_000, id="yaml-mixed"),
    ],
)
def test_100000_nested_brackets_are_a_parse_finding_not_a_recursion_error(tmp_path, name, text):
    _, findings = run_hostile(tmp_path, name, text)
    finding = only_finding(findings)
    assert (finding.rule_id, finding.line) == ("config/parse", 1)
    assert finding.message == "nesting deeper than 200 levels"


def test_nesting_finding_points_at_the_first_level_past_the_limit(tmp_path):
    text = "[\n" * 300 + "]\n" * 300
    _, findings = run_hostile(tmp_path, "lines.yaml", text)
    assert ids_lines(findings) == [("config/parse", 201)]


def test_nesting_limit_follows_the_policy(tmp_path):
    text = "[" * 30 + "]" * 30
    _, findings = run_hostile(tmp_path, "thirty.yaml", text, Policy(max_nesting_depth=20))
    assert only_finding(findings).message == "nesting deeper than 20 levels"


def test_file_over_5_mib_is_reported_without_being_read(tmp_path, monkeypatch):
    folder = tmp_path / "configs"
    folder.mkdir()
    with (folder / "huge.yaml").open("wb") as handle:
        handle.truncate(6 * MIB)  # sparse: nothing is written, nothing should be read
    real_read = os.read

    def read(descriptor: int, size: int) -> bytes:
        assert os.fstat(descriptor).st_size < MIB, "the oversized file was read"
        return real_read(descriptor, size)

    monkeypatch.setattr(os, "read", read)
    run, findings = run_hostile(tmp_path, "small.yaml", VALID_LAYOUT)
    assert findings == []
    finding = only_finding([f for f in run.all_findings() if f.file == "configs/huge.yaml"])
    assert (finding.rule_id, finding.line) == ("config/parse", 1)
    assert "larger than the 5 MiB limit" in finding.message
    assert "6.0 MiB" in finding.message


def test_file_size_limit_follows_the_policy(tmp_path):
    policy = Policy(max_file_bytes=1024)
    _, findings = run_hostile(tmp_path, "padded.yaml", VALID_LAYOUT + "#" * 2048 + "\n", policy)
    assert "larger than the" in only_finding(findings).message


# -- routing-rule expression trees ---------------------------------------------------------------

RULE_HEAD = """\
apiVersion: genesys-compliance/v1
kind: RoutingRule
metadata: {name: deep, queueId: q-1}
spec:
  name: Deep
  expression:
"""
YAML_LEAF = "{type: condition, field: skill, operator: exists, value: billing}"
JSON_LEAF = '{"type": "condition", "field": "skill", "operator": "exists", "value": "billing"}'


def yaml_tree(depth: int) -> str:
    """A chain of ``and`` nodes in block style; level L >= 2 starts on line 2L + 5."""
    lines = ["    type: and", "    children:"]
    indent = 4
    for _ in range(depth - 2):
        lines += [" " * indent + "- type: and", " " * indent + "  children:"]
        indent += 2
    lines.append(" " * indent + "- " + YAML_LEAF)
    return RULE_HEAD + "\n".join(lines) + "\n"


def yaml_level_line(level: int) -> int:
    return 2 * level + 5


def json_tree(depth: int) -> str:
    """The same chain as JSON, one node per line: level L starts on line L + 1."""
    head = (
        '{"apiVersion": "genesys-compliance/v1", "kind": "RoutingRule", '
        '"metadata": {"name": "deep", "queueId": "q-1"}, "spec": {"name": "Deep", "expression":\n'
    )
    opens = '{"type": "and", "children": [\n' * (depth - 1)
    return head + opens + JSON_LEAF + "\n" + "]}" * (depth - 1) + "}}\n"


def json_level_line(level: int) -> int:
    return level + 1


def test_tree_builders_place_lines_as_documented():
    yaml_lines = yaml_tree(12).splitlines()
    assert yaml_lines[yaml_level_line(11) - 1].strip() == "- type: and"
    assert yaml_lines[yaml_level_line(12) - 1].strip() == f"- {YAML_LEAF}"
    json_lines = json_tree(12).splitlines()
    assert json_lines[json_level_line(11) - 1].startswith('{"type": "and"')
    assert json_lines[json_level_line(12) - 1] == JSON_LEAF


# A node at tree level L is 2L + 1 containers deep (document, spec, then a node and its
# children list per level), so 99 levels is the deepest tree the default 200 lets through.
@pytest.mark.parametrize(
    ("name", "build", "level_line"),
    [
        pytest.param("deep.yaml", yaml_tree, yaml_level_line, id="yaml"),
        pytest.param("deep.json", json_tree, json_level_line, id="json"),
    ],
)
def test_deepest_tree_within_the_nesting_limit_reaches_the_depth_rule(
    tmp_path, name, build, level_line
):
    _, findings = run_hostile(tmp_path, name, build(99))
    assert ids_lines(findings) == [("routing-rule/depth", level_line(11))]
    assert findings[0].message == "expression depth 99 exceeds the limit of 10"
    assert findings[0].pointer == "/spec/expression" + "/children/0" * 10


@pytest.mark.parametrize(
    ("name", "build", "level_line"),
    [
        pytest.param("deep.yaml", yaml_tree, yaml_level_line, id="yaml"),
        pytest.param("deep.json", json_tree, json_level_line, id="json"),
    ],
)
def test_one_level_more_is_a_nesting_finding(tmp_path, name, build, level_line):
    _, findings = run_hostile(tmp_path, name, build(100))
    assert ids_lines(findings) == [("config/parse", level_line(100))]
    assert findings[0].message == "nesting deeper than 200 levels"


@pytest.mark.parametrize(
    ("name", "build", "level_line"),
    [
        pytest.param("deep.yaml", yaml_tree, yaml_level_line, id="yaml"),
        pytest.param("deep.json", json_tree, json_level_line, id="json"),
    ],
)
def test_150_level_tree_under_a_raised_nesting_limit_reaches_the_depth_rule(
    tmp_path, name, build, level_line
):
    _, findings = run_hostile(tmp_path, name, build(150), Policy(max_nesting_depth=400))
    assert ids_lines(findings) == [("routing-rule/depth", level_line(11))]
    assert findings[0].message == "expression depth 150 exceeds the limit of 10"


@pytest.fixture(scope="module")
def yaml_3000() -> bytes:
    text = yaml_tree(3000).encode()
    assert len(text) > 5 * MIB  # block style indents every level: about 17 MiB
    return text


@pytest.fixture(scope="module")
def json_3000() -> bytes:
    return json_tree(3000).encode()


def test_3000_level_json_tree_is_a_nesting_finding(tmp_path, json_3000):
    _, findings = run_hostile(tmp_path, "deep.json", json_3000)
    assert ids_lines(findings) == [("config/parse", json_level_line(100))]
    assert findings[0].message == "nesting deeper than 200 levels"


def test_3000_level_yaml_tree_is_too_large_then_too_deep(tmp_path, yaml_3000):
    _, findings = run_hostile(tmp_path, "deep.yaml", yaml_3000)
    assert "larger than the 5 MiB limit" in only_finding(findings).message
    _, findings = run_hostile(tmp_path, "deep.yaml", yaml_3000, Policy(max_file_bytes=32 * MIB))
    assert ids_lines(findings) == [("config/parse", yaml_level_line(100))]
    assert findings[0].message == "nesting deeper than 200 levels"


def test_3000_level_json_tree_under_nesting_20000_is_a_depth_finding(tmp_path, json_3000):
    policy = Policy(max_nesting_depth=20_000)
    _, findings = run_hostile(tmp_path, "deep.json", json_3000, policy)
    assert ids_lines(findings) == [("routing-rule/depth", json_level_line(11))]
    assert findings[0].message == "expression depth 3000 exceeds the limit of 10"


def test_3000_level_yaml_tree_under_nesting_20000_is_a_depth_finding(tmp_path, yaml_3000):
    policy = Policy(max_nesting_depth=20_000, max_file_bytes=32 * MIB)
    _, findings = run_hostile(tmp_path, "deep.yaml", yaml_3000, policy)
    assert ids_lines(findings) == [("routing-rule/depth", yaml_level_line(11))]
    assert findings[0].message == "expression depth 3000 exceeds the limit of 10"


def test_deep_json_syntax_error_under_a_raised_limit_is_still_found(tmp_path, json_3000):
    # json.loads recurses per level and gives up long before 6,000; the check must not.
    broken = json_3000.replace(b"]}]}]}", b"]},]}]}", 1)
    _, findings = run_hostile(tmp_path, "deep.json", broken, Policy(max_nesting_depth=20_000))
    finding = only_finding(findings)
    closing_line = json_level_line(3000) + 1  # the brackets follow the leaf's line
    assert (finding.rule_id, finding.line) == ("config/parse", closing_line)
    assert finding.message == "JSON syntax: Expecting value"


def _library_has_a_nesting_cap() -> bool:
    """Whether libyaml refuses 1,200 well-formed levels (0.2.6 does; PyYAML 6.0.1's does not)."""
    try:
        for _ in yaml.parse("[" * 1_200 + "]" * 1_200, Loader=_events._Loader):
            pass
    except yaml.YAMLError:
        return True
    return False


def test_libyamls_own_nesting_cap_is_recognised_and_nothing_else_is():
    mark = yaml.Mark("<text>", 0, 0, 0, None, None)
    cap = yaml.scanner.ScannerError(
        "while increasing flow level", mark, "exceeded maximum nesting depth", mark
    )
    block_cap = yaml.scanner.ScannerError(
        "while increasing indent level", mark, "exceeded maximum nesting depth", mark
    )
    syntax = yaml.scanner.ScannerError(
        "while scanning a simple key", mark, "could not find expected ':'", mark
    )
    reader = yaml.reader.ReaderError("<text>", 3, 0, "unicode", "control characters")
    assert _events.is_library_nesting_cap(cap)
    assert _events.is_library_nesting_cap(block_cap)
    assert not _events.is_library_nesting_cap(syntax)
    assert not _events.is_library_nesting_cap(reader)
    assert not _events.is_library_nesting_cap(yaml.YAMLError("nesting depth"))


@pytest.fixture
def loaders_used(monkeypatch) -> list[object]:
    """Spy on which YAML loaders parse the text, in order."""
    used: list[object] = []
    real_parse = yaml.parse

    def parse(stream, Loader):  # noqa: N803 - PyYAML's own keyword
        used.append(Loader)
        return real_parse(stream, Loader=Loader)

    monkeypatch.setattr(_events.yaml, "parse", parse)
    return used


def test_an_ordinary_file_is_parsed_once_by_libyaml(tmp_path, loaders_used):
    _, findings = run_hostile(tmp_path, "deep.yaml", yaml_tree(150), Policy(max_nesting_depth=400))
    assert ids_lines(findings) == [("routing-rule/depth", yaml_level_line(11))]
    assert yaml.SafeLoader not in loaders_used
    assert set(loaders_used) == {_events._Loader}


@pytest.mark.skipif(not _library_has_a_nesting_cap(), reason="this libyaml has no nesting cap")
def test_past_libyamls_cap_the_pure_parser_takes_over_once_with_lines(tmp_path, loaders_used):
    # 1,100 levels on one line: libyaml (0.2.6) stops at 1,000; the policy allows 2,000.
    deep = "[" * 1_100 + "x" + "]" * 1_100
    text = VALID_LAYOUT.replace("name: Neighbour", f"name: Neighbour\n  deep: {deep}")
    run, findings = run_hostile(tmp_path, "capped.yaml", text, Policy(max_nesting_depth=2_000))
    assert ids_lines(findings) == [("config/schema", 6)]
    assert findings[0].message == "spec.deep: unknown field"
    [entry] = [e for e in run.entries if e.file == "configs/capped.yaml"]
    assert entry.name == "hostile"
    # libyaml stops, the pure parser loads and records lines in one pass: the finding's
    # line needs no second slow pass (each neighbour: libyaml to load, again for lines)
    assert loaders_used.count(yaml.SafeLoader) == 1
    assert loaders_used.count(_events._Loader) == 1 + 2 * len(NEIGHBOURS)


@pytest.mark.parametrize("limit", [1_050, 20_000])
def test_a_policy_above_libyamls_cap_is_honoured_not_capped(limit):
    text = "a:\n  b: " + "[" * 1_100 + "]" * 1_100 + "\n"
    docs, problem = _events.build_documents(text, limits=_events.ParseLimits(max_depth=limit))
    if limit == 1_050:
        assert problem is not None
        assert (problem.line, problem.message) == (2, "nesting deeper than 1050 levels")
    else:
        assert problem is None
        assert len(docs) == 1


def test_the_line_pass_past_libyamls_cap_records_the_same_lines():
    text = "a: 1\nb:\n  c: " + "[" * 1_100 + "\n" + "]" * 1_100 + "\n  d: 2\n"
    docs, problem = _events.build_documents(
        text, limits=_events.ParseLimits(max_depth=2_000), record_lines=True
    )
    assert problem is None
    assert [_events.line_at(docs[0].lines, p, 0) for p in ("/a", "/b", "/b/c", "/b/d")] == [
        1,
        2,
        3,
        5,
    ]
    assert _events.line_at(docs[0].lines, "/b/c" + "/0" * 1_099, 0) == 3


# -- encodings and bytes -------------------------------------------------------------------------


def test_invalid_utf8_points_at_the_line_of_the_bad_byte(tmp_path):
    raw = VALID_LAYOUT.encode().replace(b"name: Neighbour", b"name: Caf\xe9 du coin")
    _, findings = run_hostile(tmp_path, "latin1.yaml", raw)
    finding = only_finding(findings)
    assert (finding.rule_id, finding.line) == ("config/parse", 5)
    assert "not UTF-8: byte 0xe9" in finding.message


def test_utf16_with_bom_is_refused_as_not_utf8(tmp_path):
    _, findings = run_hostile(tmp_path, "utf16.yaml", VALID_LAYOUT.encode("utf-16"))
    finding = only_finding(findings)
    assert (finding.rule_id, finding.line) == ("config/parse", 1)
    assert "not UTF-8" in finding.message
    assert "only UTF-8 is accepted" in finding.message


def test_utf8_bom_is_accepted(tmp_path):
    _, findings = run_hostile(tmp_path, "bom.yaml", b"\xef\xbb\xbf" + VALID_LAYOUT.encode())
    assert findings == []


def test_random_bytes_are_a_parse_finding(tmp_path):
    _, findings = run_hostile(tmp_path, "noise.yaml", random.Random(7).randbytes(4096))
    assert only_finding(findings).rule_id == "config/parse"


@pytest.mark.parametrize("seed", range(5))
def test_random_yaml_like_text_never_crashes_the_run(tmp_path, seed):
    rng = random.Random(seed)
    alphabet = [*"{}[]:,-?&*!|>'\"#%@`~ \t\n\n  ab1.", "---\n", "<<: ", "\\"]
    text = "".join(rng.choice(alphabet) for _ in range(2000))
    _, findings = run_hostile(tmp_path, "noise.yaml", text)
    assert findings  # nothing that random is a configuration
    assert all(f.rule_id.startswith("config/") for f in findings)


def test_control_characters_are_a_parse_finding(tmp_path):
    _, findings = run_hostile(tmp_path, "nul.yaml", VALID_LAYOUT.replace("Neighbour", "a\x00b"))
    finding = only_finding(findings)
    assert finding.rule_id == "config/parse"
    assert "#x0000" in finding.message


def test_nul_byte_is_reported_at_its_own_line_and_column(tmp_path):
    text = VALID_LAYOUT.replace("id: a,", "id: a\x00,")
    assert text.splitlines()[7].index("\x00") == 39  # line 8, column 40
    _, findings = run_hostile(tmp_path, "nul.yaml", text)
    finding = only_finding(findings)
    assert (finding.rule_id, finding.line) == ("config/parse", 8)
    assert finding.message == (
        "YAML: unacceptable character #x0000 at column 40: control characters are not allowed"
    )


@pytest.mark.parametrize("loader", [_events._Loader, yaml.SafeLoader], ids=["libyaml", "pure"])
def test_unprintable_character_line_counts_characters_not_bytes(loader):
    # libyaml counts the reader's position in UTF-8 bytes, the pure parser in characters.
    text = "a: é€😀\nb: 1\nc: x\x01\n"
    with pytest.raises(yaml.reader.ReaderError) as caught:
        for _ in yaml.parse(text, Loader=loader):
            pass
    problem = _events._syntax_problem(caught.value, text)
    assert problem.line == 3
    assert problem.message.startswith("YAML: unacceptable character #x0001 at column 5: ")


def test_json_control_character_message_is_whole_with_its_place(tmp_path):
    text = '{\n  "apiVersion": "genesys-compliance/v1",\n  "kind": "Desk\x01Layout"\n}\n'
    _, findings = run_hostile(tmp_path, "ctl.json", text)
    finding = only_finding(findings)
    assert (finding.rule_id, finding.line) == ("config/parse", 3)
    assert finding.message == (
        "JSON syntax: Invalid control character U+0001 in a string at line 3 column 16"
    )


def test_deep_json_control_character_under_a_raised_limit_is_named(tmp_path, json_3000):
    # json.loads runs out of stack: the explicit-stack check names the character too.
    broken = json_3000.replace(b'"billing"', b'"bill\x02ing"', 1)
    _, findings = run_hostile(tmp_path, "deep.json", broken, Policy(max_nesting_depth=20_000))
    finding = only_finding(findings)
    line = json_level_line(3000)
    column = json_3000.decode().splitlines()[line - 1].index("billing") + 5
    assert (finding.rule_id, finding.line) == ("config/parse", line)
    assert finding.message == (
        f"JSON syntax: Invalid control character U+0002 in a string at line {line} column {column}"
    )


# -- syntax: keys, tags, documents ---------------------------------------------------------------


def test_duplicate_key_points_at_the_second_key(tmp_path):
    text = VALID_LAYOUT.replace("  grid:", "  name: Again\n  grid:")
    _, findings = run_hostile(tmp_path, "dup.yaml", text)
    finding = only_finding(findings)
    assert (finding.rule_id, finding.line) == ("config/parse", 6)
    assert finding.message == "duplicate key 'name'"


def test_duplicate_key_in_json_points_at_the_second_key(tmp_path):
    text = '{\n  "apiVersion": "genesys-compliance/v1",\n  "kind": "A",\n  "kind": "B"\n}\n'
    _, findings = run_hostile(tmp_path, "dup.json", text)
    assert ids_lines(findings) == [("config/parse", 4)]


def test_duplicate_key_in_a_flow_mapping(tmp_path):
    text = VALID_LAYOUT.replace("{columns: 24, rows: 16}", "{columns: 24, rows: 16, rows: 2}")
    _, findings = run_hostile(tmp_path, "dup.yaml", text)
    assert ids_lines(findings) == [("config/parse", 6)]
    assert findings[0].message == "duplicate key 'rows'"


def test_empty_file_holds_no_configuration(tmp_path):
    _, findings = run_hostile(tmp_path, "empty.yaml", b"")
    finding = only_finding(findings)
    assert (finding.rule_id, finding.line) == ("config/envelope", 1)
    assert "holds no configuration" in finding.message


@pytest.mark.parametrize("text", ["# only a comment\n", "---\n---\n", "\n\n   \n", "~\n"])
def test_files_without_a_document_hold_no_configuration(tmp_path, text):
    _, findings = run_hostile(tmp_path, "blank.yaml", text)
    assert ids_lines(findings) == [("config/envelope", 1)]
    assert "holds no configuration" in findings[0].message


def test_empty_json_file_is_not_json(tmp_path):
    _, findings = run_hostile(tmp_path, "empty.json", b"")
    assert ids_lines(findings) == [("config/parse", 1)]
    assert findings[0].message == "JSON syntax: Expecting value"


def test_python_object_tag_is_refused_and_never_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = '!!python/object/apply:os.system ["touch PWNED"]\n'
    _, findings = run_hostile(tmp_path, "pwn.yaml", text)
    finding = only_finding(findings)
    assert (finding.rule_id, finding.line) == ("config/parse", 1)
    assert "unsupported tag !!python/object/apply:os.system" in finding.message
    assert not (tmp_path / "PWNED").exists()
    assert not (tmp_path / "configs" / "PWNED").exists()


def test_python_name_tag_is_refused(tmp_path):
    text = VALID_LAYOUT.replace("name: Neighbour", "name: !!python/name:os.system")
    _, findings = run_hostile(tmp_path, "pwn.yaml", text)
    finding = only_finding(findings)
    assert (finding.rule_id, finding.line) == ("config/parse", 5)
    assert "unsupported tag !!python/name:os.system" in finding.message


@pytest.mark.parametrize(
    "value",
    [
        "!!binary aGVsbG8=",
        "!!set {a, b}",
        "!!timestamp 2026-01-01",
        "!custom x",
        "!!python/tuple [1, 2]",
        "!<tag:example.com,2026:thing> x",
        "!!omap [a: 1]",
    ],
)
def test_tags_that_construct_objects_are_refused(tmp_path, value):
    text = VALID_LAYOUT.replace("name: Neighbour", f"name: {value}")
    _, findings = run_hostile(tmp_path, "tagged.yaml", text)
    finding = only_finding(findings)
    assert (finding.rule_id, finding.line) == ("config/parse", 5)
    assert "unsupported tag" in finding.message


def test_tag_that_does_not_fit_its_value_is_a_parse_finding(tmp_path):
    text = VALID_LAYOUT.replace("columns: 24", "columns: !!int twenty")
    _, findings = run_hostile(tmp_path, "mistagged.yaml", text)
    assert ids_lines(findings) == [("config/parse", 6)]
    assert "does not fit its tag !!int" in findings[0].message


@pytest.mark.parametrize("text", ["a: *nowhere\n", "a: &self [*self]\n"])
def test_unknown_and_recursive_aliases_are_parse_findings(tmp_path, text):
    _, findings = run_hostile(tmp_path, "alias.yaml", text)
    assert ids_lines(findings) == [("config/parse", 1)]
    assert "unknown or recursive alias" in findings[0].message


def test_complex_mapping_key_is_a_parse_finding(tmp_path):
    _, findings = run_hostile(tmp_path, "key.yaml", "? [a, b]\n: 1\n")
    assert ids_lines(findings) == [("config/parse", 1)]
    assert findings[0].message == "mapping keys must be plain scalars"


def test_huge_integer_literal_in_yaml(tmp_path):
    text = VALID_LAYOUT.replace("rows: 16", "rows: " + "9" * 10_000)
    _, findings = run_hostile(tmp_path, "huge-int.yaml", text)
    assert ids_lines(findings) == [("config/parse", 6)]
    assert findings[0].message == "integer literal too long"


def test_huge_integer_literal_in_json(tmp_path):
    text = '{\n  "apiVersion": "genesys-compliance/v1",\n  "n": ' + "9" * 10_000 + "\n}\n"
    _, findings = run_hostile(tmp_path, "huge-int.json", text)
    assert ids_lines(findings) == [("config/parse", 3)]
    assert findings[0].message == "integer literal too long"


def test_huge_float_literal_is_a_finding_not_a_crash(tmp_path):
    text = VALID_LAYOUT.replace("rows: 16", "rows: " + "9" * 10_000 + ".5")
    _, findings = run_hostile(tmp_path, "huge-float.yaml", text)
    assert ids_lines(findings) == [("config/parse", 6)]
    assert findings[0].message == (
        f"{'9' * 40!r} is too large a number: it reads as infinity, "
        "and the API's JSON cannot carry NaN or infinity"
    )


@pytest.mark.parametrize(
    ("name", "value", "written"),
    [
        ("inf.yaml", ".inf", "'.inf' is not a finite number"),
        ("nan.yaml", ".nan", "'.nan' is not a finite number"),
        ("tag.yaml", "!!float -.Inf", "'-.Inf' is not a finite number"),
        ("big.yaml", "1e400", "'1e400' is too large a number: it reads as infinity"),
        ("big.json", "1e400", "'1e400' is too large a number: it reads as infinity"),
    ],
)
def test_numbers_the_api_cannot_carry_are_parse_findings(tmp_path, name, value, written):
    if name.endswith(".json"):
        text = (
            '{"apiVersion": "genesys-compliance/v1", "kind": "DesktopLayout",\n'
            ' "metadata": {"name": "hostile"},\n'
            ' "spec": {"name": "N", "grid": {"columns": 24,\n'
            f' "rows": {value}}}, "widgets": []}}}}\n'
        )
        line = 4
    else:
        text, line = VALID_LAYOUT.replace("rows: 16", f"rows: {value}"), 6
    _, findings = run_hostile(tmp_path, name, text)
    assert ids_lines(findings) == [("config/parse", line)]
    assert findings[0].message == f"{written}, and the API's JSON cannot carry NaN or infinity"


# -- keys that are not strings -------------------------------------------------------------------


def test_one_and_true_are_different_keys_not_duplicates(tmp_path):
    text = VALID_LAYOUT.replace("metadata: {name: hostile}", "metadata:\n  name: hostile")
    text = text.replace("  name: hostile\n", "  name: hostile\n  labels:\n    1: x\n    true: z\n")
    _, findings = run_hostile(tmp_path, "keys.yaml", text)
    assert ids_lines(findings) == [("config/parse", 7)]  # the second of the two keys
    assert "duplicate" not in findings[0].message
    assert findings[0].message == (
        "keys 1 and true in one mapping cannot both be kept: quote them "
        "(property names in the API's JSON are strings)"
    )


def test_non_string_keys_are_named_as_written_in_paths(tmp_path):
    text = VALID_LAYOUT.replace(
        "metadata: {name: hostile}", "metadata:\n  name: hostile\n  labels: {null: x, 7: y}"
    ).replace("  name: Neighbour\n", "  name: Neighbour\n  true: 1\n")
    _, findings = run_hostile(tmp_path, "keys.yaml", text)
    assert [(f.rule_id, f.line, f.pointer, f.message) for f in findings] == [
        (
            "config/envelope",
            5,
            "/metadata/labels/7",
            'metadata.labels.7: a key must be a string, not an integer; quote it ("7")',
        ),
        (
            "config/envelope",
            5,
            "/metadata/labels/null",
            'metadata.labels.null: a key must be a string, not null; quote it ("null")',
        ),
        (
            "config/schema",
            8,
            "/spec/true",
            'spec.true: a key must be a string, not a boolean; quote it ("true")',
        ),
    ]


def test_secret_under_a_null_key_is_named_by_its_path_as_written(tmp_path):
    text = VALID_LAYOUT.replace(
        "height: 2}}\n    - {widget_type: notes-widget",
        "height: 2}, configuration: {null: {password: hunter2}}}\n    - {widget_type: notes-widget",
        1,
    )
    _, findings = run_hostile(tmp_path, "secret.yaml", text)
    secrets = [f for f in findings if f.rule_id == "config/secret"]
    assert [(f.line, f.pointer) for f in secrets] == [
        (8, "/spec/widgets/0/configuration/null/password")
    ]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        pytest.param(
            '{\n  # note\n  "a": 1\n}\n',
            2,
            "JSON syntax: Expecting property name",
            id="hash-comment",
        ),
        pytest.param('{\n  "a": 1 // note\n}\n', 2, "not a JSON value", id="slash-comment"),
        pytest.param(
            '{\n  "a": 1,\n  "b": 2,\n}\n',
            4,
            "JSON syntax: Expecting property name",
            id="trailing-comma-object",
        ),
        pytest.param(
            '{\n  "a": [1,\n    2,\n  ]\n}\n',
            4,
            "JSON syntax: Expecting value",
            id="trailing-comma-array",
        ),
        pytest.param(
            "{\n  'a': 1\n}\n", 2, "JSON syntax: Expecting property name", id="single-quotes"
        ),
        pytest.param("{\n  a: 1\n}\n", 2, "not a JSON value: 'a'", id="bare-key"),
        pytest.param('{\n  "a": yes\n}\n', 2, "not a JSON value: 'yes'", id="yaml-boolean"),
        pytest.param('{\n  "a": 0x1F\n}\n', 2, "not a JSON value: '0x1F'", id="hex"),
        pytest.param('{\n  "a": NaN\n}\n', 2, "not a JSON value: 'NaN'", id="nan"),
        pytest.param('{\n  "a": -Infinity\n}\n', 2, "not a JSON value", id="infinity"),
        pytest.param('{\n  "a": &x 1\n}\n', 2, "JSON syntax: Expecting value", id="anchor"),
        pytest.param('{\n  "a": 1,\n  "b": *x\n}\n', 3, "aliases are not JSON", id="alias"),
        pytest.param("a: 1\nb: 2\n", 1, "not a JSON value: 'a'", id="block-style"),
        pytest.param('{"a": 1}\n---\n{"b": 2}\n', 2, "JSON syntax: Extra data", id="two-documents"),
        pytest.param(
            '{\n  "a": "\\x41"\n}\n', 2, "JSON syntax: Invalid \\escape", id="yaml-escape"
        ),
    ],
)
def test_json_file_with_yaml_only_syntax_is_a_parse_finding(tmp_path, text, line, message):
    _, findings = run_hostile(tmp_path, "config.json", text)
    finding = only_finding(findings)
    assert (finding.rule_id, finding.line) == ("config/parse", line)
    assert finding.message.startswith(message)


def test_yaml_syntax_error_points_at_its_line(tmp_path):
    text = VALID_LAYOUT.replace("  grid: {columns: 24, rows: 16}", "  grid: {columns: 24, rows: 16")
    _, findings = run_hostile(tmp_path, "syntax.yaml", text)
    finding = only_finding(findings)
    assert (finding.rule_id, finding.line) == ("config/parse", 7)
    assert finding.message.startswith("YAML syntax:")


def test_bad_indentation_points_at_its_line(tmp_path):
    text = VALID_LAYOUT.replace("  name: Neighbour", "  name: Neighbour\n bad: indent")
    _, findings = run_hostile(tmp_path, "indent.yaml", text)
    assert ids_lines(findings) == [("config/parse", 6)]


def test_tab_indentation_points_at_its_line(tmp_path):
    text = VALID_LAYOUT.replace("  name: Neighbour", "\tname: Neighbour")
    _, findings = run_hostile(tmp_path, "tab.yaml", text)
    assert ids_lines(findings) == [("config/parse", 5)]


MULTI_FIRST = NEIGHBOUR.format(name="first")
MULTI_SECOND = "apiVersion: genesys-compliance/v1\nkind: DesktopLayout\nmetadata: {name: second\n"


def test_multi_document_file_keeps_the_documents_before_a_broken_one(tmp_path):
    text = MULTI_FIRST + "---\n" + MULTI_SECOND + "---\n" + NEIGHBOUR.format(name="third")
    run, findings = run_hostile(tmp_path, "multi.yaml", text)
    # the first document's own finding, then the parse error where libyaml gave up
    assert ids_lines(findings) == [("layout/overlap", 9), ("config/parse", 14)]
    assert findings[0].config == "multi.yaml::first"
    assert [e.name for e in run.entries if e.file == "configs/multi.yaml"] == ["first"]


def test_multi_document_file_with_a_duplicate_key_in_its_second_document(tmp_path):
    second = "apiVersion: genesys-compliance/v1\nkind: DesktopLayout\nkind: DesktopLayout\n"
    text = MULTI_FIRST + "---\n" + second
    _, findings = run_hostile(tmp_path, "multi.yaml", text)
    assert ids_lines(findings) == [("layout/overlap", 9), ("config/parse", 13)]


def test_lines_of_later_documents_count_from_the_top_of_the_file(tmp_path):
    text = MULTI_FIRST + "---\n" + NEIGHBOUR.format(name="second")
    _, findings = run_hostile(tmp_path, "multi.yaml", text)
    assert ids_lines(findings) == [("layout/overlap", 9), ("layout/overlap", 19)]
    assert [f.config for f in findings] == ["multi.yaml::first", "multi.yaml::second"]


def test_same_name_twice_in_one_file_is_an_envelope_finding(tmp_path):
    text = MULTI_FIRST + "---\n" + MULTI_FIRST
    _, findings = run_hostile(tmp_path, "twice.yaml", text)
    assert ids_lines(findings) == [("layout/overlap", 9), ("config/envelope", 13)]
    assert "appears twice" in findings[1].message


# -- documents of the wrong shape ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        pytest.param(
            "- apiVersion: genesys-compliance/v1\n- kind: DesktopLayout\n", "list", id="list"
        ),
        pytest.param("just a string\n", "str", id="string"),
        pytest.param("42\n", "int", id="number"),
    ],
)
def test_document_that_is_not_a_mapping_is_an_envelope_finding(tmp_path, text, shown):
    _, findings = run_hostile(tmp_path, "top.yaml", text)
    finding = only_finding(findings)
    assert (finding.rule_id, finding.line) == ("config/envelope", 1)
    assert finding.message.endswith(f"not {shown}")


def test_json_array_at_the_top_is_an_envelope_finding(tmp_path):
    _, findings = run_hostile(tmp_path, "top.json", '[\n  {"apiVersion": "x"}\n]\n')
    assert ids_lines(findings) == [("config/envelope", 1)]


def test_wrong_types_in_the_envelope(tmp_path):
    text = "apiVersion: genesys-compliance/v1\nkind: [DesktopLayout]\nmetadata: agent\nspec: []\n"
    _, findings = run_hostile(tmp_path, "types.yaml", text)
    assert ids_lines(findings) == [
        ("config/envelope", 2),
        ("config/envelope", 3),
        ("config/envelope", 4),
    ]
    assert [f.message.split(" ")[0] for f in findings] == ["unknown", "metadata", "spec"]


def test_unknown_fields_at_every_level(tmp_path):
    text = (
        VALID_LAYOUT.replace(
            "metadata: {name: hostile}", "metadata: {name: hostile, x: 1}"
        ).replace("rows: 16}", "rows: 16, depth: 3}")
        + "extra: 1\n"
    )
    _, findings = run_hostile(tmp_path, "unknown.yaml", text)
    assert ids_lines(findings) == [
        ("config/envelope", 3),
        ("config/schema", 6),
        ("config/envelope", 10),
    ]
    assert [f.message for f in findings] == [
        "metadata.x: unknown field",
        "spec.grid.depth: unknown field",
        "unknown top-level field(s): extra",
    ]


def test_unknown_kind_and_bad_name_name_no_test(tmp_path):
    text = VALID_LAYOUT.replace("kind: DesktopLayout", "kind: DesktopLayot").replace(
        "name: hostile", "name: Hostile_Name"
    )
    run, findings = run_hostile(tmp_path, "kind.yaml", text)
    assert ids_lines(findings) == [("config/envelope", 2), ("config/envelope", 3)]
    assert [e for e in run.entries if e.file == "configs/kind.yaml"] == []


# -- loader-level: nothing raises ----------------------------------------------------------------


def test_load_files_returns_every_file_problems_included(tmp_path):
    folder = tmp_path / "configs"
    folder.mkdir()
    (folder / "a.yaml").write_text(VALID_LAYOUT, encoding="utf-8")
    (folder / "b.yaml").write_text(billion_laughs(), encoding="utf-8")
    (folder / "c.json").write_bytes(random.Random(7).randbytes(512))
    (folder / "d.yaml").write_text("[" * 1000, encoding="utf-8")
    sources = load_files([folder], tmp_path)
    assert [s.relpath for s in sources] == [
        "configs/a.yaml",
        "configs/b.yaml",
        "configs/c.json",
        "configs/d.yaml",
    ]
    assert [s.problem is None for s in sources] == [True, False, False, False]
    assert len(sources[0].documents) == 1


def test_unreadable_file_is_a_parse_finding(tmp_path, monkeypatch):
    real_open = os.open

    def open_locked(path: str | os.PathLike[str], flags: int, *args: int) -> int:
        if Path(path).name == "locked.yaml":
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", open_locked)
    _, findings = run_hostile(tmp_path, "locked.yaml", VALID_LAYOUT)
    assert ids_lines(findings) == [("config/parse", 1)]
    assert findings[0].message == "cannot read the file: Permission denied"
