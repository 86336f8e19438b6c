"""Baselines: ``--gc-baseline FILE`` fails a run only on findings the file does not hold.

The file is written by ``--gc-baseline-update`` (a missing file is otherwise a
usage error, never an empty baseline), matched by fingerprint (stage, rule,
file, configuration, pointer: never the line), counted, and byte-stable. Known
findings pass but stay in every report; entries no longer found are listed as
fixed, and a narrow run judges only what it checked.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from genesys_compliance.rules import (
    BASELINE_VERSION,
    Baseline,
    BaselineEntry,
    BaselineError,
    Finding,
    entries_of,
    fingerprint,
    read_baseline,
    write_baseline,
)
from tests.test_plugin import (
    BAD_LAYOUT,
    BROKEN_FOLDER,
    BROKEN_OUTCOMES,
    COMPLIANCE_SUITES,
    FLOW,
    QUIET,
    assert_clean,
    make_project,
    output,
    run,
    sarif_results,
)
from tests.test_workers_agree import failures, junit

BASELINE = "baseline.json"
UPDATE = ("--gc-baseline", BASELINE, "--gc-baseline-update")
USE = ("--gc-baseline", BASELINE)
# the broken folder's unwaived findings: what a baseline written over it holds
BAD = ("configs/layouts/bad-layout.yaml", "layouts/bad-layout.yaml::bad-layout")
BROKEN_ENTRIES = [
    ("config/parse", "configs/broken.yaml", None, ""),
    ("layout/grid-bounds", *BAD, "/spec/widgets/1"),
    ("layout/overlap", *BAD, "/spec/widgets/1"),
    ("config/envelope", "configs/unknown-kind.yaml", None, "/kind"),
]
TWO_MISSING = "metadata: {name: orphan}\nspec: {}\n"  # apiVersion and kind missing: twice at ""


@pytest.fixture(autouse=True)
def _fresh_suite_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    """Free the suites' module names for the copies (as ``tests/test_plugin.py`` does)."""
    for name in COMPLIANCE_SUITES:
        monkeypatch.delitem(sys.modules, name.removesuffix(".py"), raising=False)


@pytest.fixture
def broken(pytester: pytest.Pytester) -> Path:
    return make_project(pytester, BROKEN_FOLDER)


def written(pytester: pytest.Pytester) -> list[tuple[str, str, str | None, str]]:
    """The baseline file's entries as ``(rule, file, config, pointer)``, in file order."""
    data = json.loads((pytester.path / BASELINE).read_text(encoding="utf-8"))
    assert data["version"] == BASELINE_VERSION
    return [(e["rule"], e["file"], e["config"], e["pointer"]) for e in data["findings"]]


def baselined(pytester: pytest.Pytester) -> None:
    """Write the baseline over the project as it is now."""
    result = run(pytester, *UPDATE)
    assert result.ret in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED), output(result)
    assert (pytester.path / BASELINE).is_file()


def states(path: Path) -> list[tuple[str, int, str, bool]]:
    """Each SARIF result as ``(rule, start line, baselineState, waived)``, validated first."""
    _, results = sarif_results(path)
    return [
        (
            r["ruleId"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["baselineState"],
            "suppressions" in r,
        )
        for r in results
    ]


def edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


# -- the file, without pytest ---------------------------------------------------------------------


def finding(rule: str = "layout/overlap", line: int = 12, **kwargs: Any) -> Finding:
    fields: dict[str, Any] = {
        "rule_id": rule,
        "severity": "error",
        "message": f"{rule} at line {line}",
        "file": "configs/a.yaml",
        "line": line,
        "pointer": "/spec/widgets/1",
        "config": "a.yaml::a",
        **kwargs,
    }
    return Finding(**fields)


def test_the_fingerprint_ignores_line_and_message_and_keeps_the_configuration() -> None:
    moved = finding(line=40, message="reworded")
    assert fingerprint(moved) == fingerprint(finding())
    assert fingerprint(finding(config="a.yaml::b")) != fingerprint(finding())
    assert fingerprint(finding(pointer="/spec/widgets/2")) != fingerprint(finding())
    assert fingerprint(finding(), "org") != fingerprint(finding())


def test_each_entry_lets_one_finding_pass() -> None:
    baseline = Baseline(tuple(entries_of([finding(), finding(line=13)])))
    judged = baseline.judge([finding(), finding(line=13), finding(line=14)])
    assert [f.known for f in judged] == [True, True, False]
    assert [f.fails() for f in judged] == [False, False, True]
    assert [f.known for f in baseline.judge([finding()], "contract")] == [False]


def test_waived_findings_are_neither_written_nor_judged() -> None:
    waived = finding(waived="reviewed")
    assert entries_of([waived]) == []
    baseline = Baseline(tuple(entries_of([finding()])))
    assert baseline.judge([waived]) == [waived]


def test_the_file_is_sorted_one_entry_a_line_and_byte_stable(tmp_path: Path) -> None:
    found = [finding(rule="layout/overlap"), finding(rule="config/schema", file="configs/0.yaml")]
    path = tmp_path / "nested" / BASELINE
    write_baseline(path, Baseline(tuple(entries_of(found))))
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[:4] == [
        "{",
        '  "tool": "genesys-compliance",',
        f'  "version": {BASELINE_VERSION},',
        '  "findings": [',
    ]
    assert lines[4].startswith('    {"rule": "config/schema", "file": "configs/0.yaml"')
    assert lines[5].startswith('    {"rule": "layout/overlap", "file": "configs/a.yaml"')
    again = read_baseline(path)
    assert [e.rule for e in again.entries] == ["config/schema", "layout/overlap"]
    write_baseline(path, Baseline(tuple(reversed(again.entries))))
    assert path.read_text(encoding="utf-8") == text
    write_baseline(path, Baseline())
    assert json.loads(path.read_text(encoding="utf-8"))["findings"] == []


def test_fixed_and_rewritten_only_within_what_the_run_checked() -> None:
    other = BaselineEntry("layout/overlap", "configs/b.yaml", "b.yaml::b", "/spec/widgets/1")
    baseline = Baseline((*entries_of([finding(), finding(line=13)]), other))
    found = entries_of([finding()])
    comparison = baseline.compare(found, {("validate", "configs/a.yaml")})
    assert (comparison.known, comparison.new) == (1, 0)
    assert [e.file for e in comparison.fixed] == ["configs/a.yaml"]  # one of two; b unchecked
    assert comparison.lines("b.json")[0] == "baseline b.json: 1 known, 0 new, 1 fixed"
    rewritten = baseline.updated(found, {("validate", "configs/a.yaml")})
    assert sorted(e.file for e in rewritten.entries) == ["configs/a.yaml", "configs/b.yaml"]
    assert baseline.compare(found, set()).fixed == ()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        pytest.param(b"{", "is not JSON: Expecting property name", id="not-json"),
        pytest.param(b"\xff{}", "is not UTF-8", id="not-utf8"),
        pytest.param(b"[]", 'expected an object with "version" and "findings"', id="a-list"),
        pytest.param(b'{"version": 2, "findings": []}', "is version 2; this release", id="v2"),
        pytest.param(b'{"version": true, "findings": []}', "is version True", id="v-bool"),
        pytest.param(b'{"findings": []}', "is version None", id="no-version"),
        pytest.param(b'{"version": 1, "findings": {}}', '"findings" must be a list', id="dict"),
        pytest.param(
            b'{"version": 1, "findings": [], "extra": 1}', "unknown field(s) extra", id="extra"
        ),
        pytest.param(
            b'{"version": 1, "version": 1, "findings": []}', "appears twice", id="duplicate-key"
        ),
        pytest.param(
            b'{"version": 1, "findings": [{"rule": "x"}]}',
            "findings[0]: missing file, config, pointer, stage",
            id="entry-missing-fields",
        ),
        pytest.param(
            b'{"version": 1, "findings": [{"rule": "x", "file": "f", "config": 3, '
            b'"pointer": "", "stage": "validate"}]}',
            "findings[0]: config must be a string or null",
            id="entry-config-number",
        ),
        pytest.param(
            b'{"version": 1, "findings": [{"rule": "x", "file": "f", "config": null, '
            b'"pointer": "", "stage": "validate", "line": 3}]}',
            "findings[0]: unknown field(s) line",
            id="entry-with-a-line",
        ),
    ],
)
def test_a_file_that_is_not_a_baseline_says_why(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    path = tmp_path / BASELINE
    path.write_bytes(content)
    with pytest.raises(BaselineError) as raised:
        read_baseline(path)
    assert problem in str(raised.value)
    assert str(path) in str(raised.value)


# -- writing and using it in a run ---------------------------------------------------------------


def test_a_missing_baseline_is_a_usage_error_not_an_empty_one(
    pytester: pytest.Pytester, broken: Path
) -> None:
    result = run(pytester, *USE)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert_clean(result)
    assert "--gc-baseline: baseline file not found: baseline.json" in output(result)
    assert "--gc-baseline-update" in output(result)
    assert not (pytester.path / BASELINE).exists()


def test_update_needs_the_file_to_write(pytester: pytest.Pytester, broken: Path) -> None:
    result = run(pytester, "--gc-baseline-update")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--gc-baseline-update needs --gc-baseline FILE" in output(result)


def test_writing_the_baseline_still_fails_on_its_findings(
    pytester: pytest.Pytester, broken: Path
) -> None:
    """The run that writes the file is judged against the file as it was: no false green."""
    result = run(pytester, *UPDATE)
    result.assert_outcomes(**BROKEN_OUTCOMES)
    assert written(pytester) == BROKEN_ENTRIES  # the waived finding is not in it
    result.stdout.fnmatch_lines(
        [
            "baseline baseline.json: 0 known, 4 new, 0 fixed",
            "baseline written to baseline.json: 4 finding(s), was 0; this run was judged "
            "against the file as it was",
        ]
    )


def test_with_the_baseline_known_findings_pass_and_are_reported(
    pytester: pytest.Pytester, broken: Path
) -> None:
    baselined(pytester)
    result = run(pytester, *USE, "--gc-sarif", "out.sarif")
    result.assert_outcomes(passed=5)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "5 finding(s), 0 failing",
            "  configs/layouts/bad-layout.yaml:12  layout/overlap  widget 'b' overlaps *"
            "(known: in the baseline)",
            "baseline baseline.json: 4 known, 0 new, 0 fixed",
        ],
        consecutive=False,
    )
    sarif_run, results = sarif_results(pytester.path / "out.sarif")
    assert {r["ruleId"]: r["baselineState"] for r in results} == {
        "config/parse": "unchanged",
        "config/envelope": "unchanged",
        "layout/grid-bounds": "unchanged",
        "layout/overlap": "unchanged",
        "layout/widget-type": "new",  # waived, so never in a baseline: not a suppression's twin
    }
    assert not any("suppressions" in r for r in results if r["baselineState"] == "unchanged")
    assert sarif_run["properties"]["genesysCompliance"]["baseline"] == {
        "file": BASELINE,
        "known": 4,
        "new": 0,
        "fixed": [],
    }


def test_a_new_finding_fails_its_test_and_lists_the_known_ones_beside_it(
    pytester: pytest.Pytester, broken: Path
) -> None:
    baselined(pytester)
    edit(broken, "layouts/bad-layout.yaml", "notes-widget", "wallboard-widget")
    result = run(pytester, *USE, "--gc-sarif", "out.sarif")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(
        [
            "layouts/bad-layout.yaml::bad-layout: 1 finding(s) fail this configuration",
            "  configs/layouts/bad-layout.yaml:12  layout/grid-bounds  * (known: in the baseline)",
            "  configs/layouts/bad-layout.yaml:12  layout/overlap  * (known: in the baseline)",
            "  configs/layouts/bad-layout.yaml:12  layout/widget-type  widget 'b': *-widget",
        ]
    )
    result.stdout.fnmatch_lines(["baseline baseline.json: 4 known, 1 new, 0 fixed"])
    judged = states(pytester.path / "out.sarif")
    new = [(rule, line) for rule, line, state, waived in judged if state == "new" and not waived]
    assert new == [("layout/widget-type", 12)]


def test_an_edit_elsewhere_in_the_file_keeps_every_fingerprint(
    pytester: pytest.Pytester, broken: Path
) -> None:
    baselined(pytester)
    three_lines = "  labels: {team: voice}\n  # three lines\n  # further down\n"
    edit(
        broken,
        "layouts/bad-layout.yaml",
        "  name: bad-layout\n",
        "  name: bad-layout\n" + three_lines,
    )
    result = run(pytester, *USE, "--gc-sarif", "out.sarif")
    result.assert_outcomes(passed=5)
    moved = [
        (rule, line, state)
        for rule, line, state, _ in states(pytester.path / "out.sarif")
        if rule in ("layout/overlap", "layout/grid-bounds")
    ]
    assert moved == [("layout/grid-bounds", 15, "unchanged"), ("layout/overlap", 15, "unchanged")]


def test_fixed_entries_are_listed_and_a_rewrite_drops_them_byte_stably(
    pytester: pytest.Pytester, broken: Path
) -> None:
    baselined(pytester)
    edit(broken, "layouts/bad-layout.yaml", "{x: 2, y: 0, width: 3", "{x: 0, y: 2, width: 1")
    (broken / "broken.yaml").unlink()  # a deleted file's entries are fixed too
    result = run(pytester, *USE, "--gc-sarif", "out.sarif")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "baseline baseline.json: 1 known, 0 new, 3 fixed",
            "fixed (in the baseline, no longer found; rewrite it to drop them):",
            "  configs/broken.yaml  config/parse  YAML syntax: *",
            "  configs/layouts/bad-layout.yaml layouts/bad-layout.yaml::bad-layout "
            "/spec/widgets/1  layout/grid-bounds  widget 'b' *",
            "  configs/layouts/bad-layout.yaml layouts/bad-layout.yaml::bad-layout "
            "/spec/widgets/1  layout/overlap  widget 'b' overlaps *",
        ]
    )
    sarif_run, _ = sarif_results(pytester.path / "out.sarif")
    fixed = sarif_run["properties"]["genesysCompliance"]["baseline"]["fixed"]
    assert [(e["rule"], e["file"]) for e in fixed] == [
        ("config/parse", "configs/broken.yaml"),
        ("layout/grid-bounds", "configs/layouts/bad-layout.yaml"),
        ("layout/overlap", "configs/layouts/bad-layout.yaml"),
    ]
    result = run(pytester, *UPDATE)
    assert result.ret == pytest.ExitCode.OK
    assert written(pytester) == [BROKEN_ENTRIES[3]]
    first = (pytester.path / BASELINE).read_bytes()
    run(pytester, *UPDATE)
    assert (pytester.path / BASELINE).read_bytes() == first


def test_a_narrow_run_neither_fixes_nor_drops_what_it_did_not_check(
    pytester: pytest.Pytester, broken: Path
) -> None:
    baselined(pytester)
    edit(broken, "layouts/bad-layout.yaml", "{x: 2, y: 0, width: 3", "{x: 0, y: 2, width: 1")
    result = run(pytester, *UPDATE, "-k", "flow")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["baseline baseline.json: 0 known, 0 new, 0 fixed"])
    assert written(pytester) == BROKEN_ENTRIES
    result = run(pytester, *USE, "-k", "layout")  # the layout suite alone judges its files
    result.stdout.fnmatch_lines(["baseline baseline.json: 0 known, 0 new, 2 fixed"])


def test_two_entries_of_one_fingerprint_let_two_findings_pass_and_no_more(
    pytester: pytest.Pytester,
) -> None:
    folder = make_project(pytester, {"orphan.yaml": TWO_MISSING, "flows/after-hours.yaml": FLOW})
    baselined(pytester)
    assert written(pytester) == [("config/envelope", "configs/orphan.yaml", None, "")] * 2
    assert run(pytester, *USE).ret == pytest.ExitCode.OK
    (folder / "orphan.yaml").write_text(TWO_MISSING + "---\n" + TWO_MISSING, encoding="utf-8")
    result = run(pytester, *USE)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "orphan.yaml: 2 finding(s) fail this configuration",
            "  configs/orphan.yaml:1  config/envelope  apiVersion is missing  (known: *",
            "  configs/orphan.yaml:1  config/envelope  kind is missing  (known: *",
            "  configs/orphan.yaml:4  config/envelope  apiVersion is missing",
            "  configs/orphan.yaml:4  config/envelope  kind is missing",
            "*baseline baseline.json: 2 known, 2 new, 0 fixed",
        ],
        consecutive=False,
    )


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        pytest.param("<<<<<<< HEAD\n", "is not JSON", id="merge-conflict"),
        pytest.param('{"version": 9, "findings": []}', "is version 9", id="other-version"),
    ],
)
def test_a_corrupt_baseline_is_a_usage_error_never_a_pass(
    pytester: pytest.Pytester, broken: Path, content: str, problem: str
) -> None:
    (pytester.path / BASELINE).write_text(content, encoding="utf-8")
    for args in (USE, UPDATE):  # not overwritten either: it may be a merge to finish
        result = run(pytester, *args, "--gc-sarif", "out.sarif")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        assert_clean(result)
        text = output(result)
        assert f"genesys-compliance: --gc-baseline: baseline {pytester.path / BASELINE}" in text
        assert problem in text
        assert "delete it and write it again with --gc-baseline-update" in text
        assert (pytester.path / BASELINE).read_text(encoding="utf-8") == content
        sarif_run, _ = sarif_results(pytester.path / "out.sarif")
        assert sarif_run["invocations"][0]["executionSuccessful"] is False


def test_known_findings_show_in_junit_of_a_passing_test(
    pytester: pytest.Pytester, broken: Path
) -> None:
    baselined(pytester)
    run(pytester, *USE, "--junitxml", "junit.xml")
    cases = {c.get("name"): c for c in ET.parse(pytester.path / "junit.xml").iter("testcase")}
    case = cases["test_layout_complies[layouts/bad-layout.yaml::bad-layout]"]
    assert case.find("failure") is None
    known = [p.get("value", "") for p in case.iter("property") if p.get("name") == "gc_known"]
    assert [value.split("  ")[1] for value in known] == ["layout/grid-bounds", "layout/overlap"]


def test_one_process_and_two_workers_judge_the_baseline_alike(
    pytester: pytest.Pytester, broken: Path
) -> None:
    baselined(pytester)
    edit(broken, "layouts/bad-layout.yaml", "notes-widget", "wallboard-widget")
    edit(broken, "flows/after-hours.yaml", "maxWaitTime: 180", "maxWaitTime: -1")
    outs: dict[str, tuple[Any, ...]] = {}
    for name, workers in (("serial", "0"), ("parallel", "2")):
        outputs = ("--gc-sarif", f"{name}.sarif", "--junitxml", f"{name}.xml")
        result = pytester.runpytest_subprocess(
            *QUIET, "--gc-config-dir", "configs", *USE, "-n", workers, *outputs
        )
        assert result.ret == pytest.ExitCode.TESTS_FAILED, output(result)
        outs[name] = (
            result.parseoutcomes(),
            (pytester.path / f"{name}.sarif").read_bytes(),
            junit(pytester.path / f"{name}.xml"),
            failures("\n".join(result.outlines)),
        )
    assert outs["parallel"] == outs["serial"]
    assert b'"baselineState": "unchanged"' in outs["serial"][1]
    assert "baseline baseline.json: 4 known, 2 new, 0 fixed" in outs["serial"][3]


def test_a_finding_of_another_file_is_new_even_with_the_same_rule_and_pointer(
    pytester: pytest.Pytester, broken: Path
) -> None:
    baselined(pytester)
    (broken / "layouts" / "copy.yaml").write_text(
        BAD_LAYOUT.replace("bad-layout", "copy"), encoding="utf-8"
    )
    result = run(pytester, *USE)
    result.assert_outcomes(passed=5, failed=1)
    result.stdout.fnmatch_lines(["baseline baseline.json: 4 known, 2 new, 0 fixed"])


STAGED_TEST = """
import pytest
from genesys_compliance.plugin import report_findings


@pytest.mark.parametrize("name", ["after-hours", "bad-layout"])
def test_at_the_contract_stage(request, gc_run, name):
    [entry] = [e for e in gc_run.entries if e.name == name]
    report_findings(request, entry.id, entry.kind.name, gc_run.check(entry), stage="contract")
"""


def test_each_stage_keeps_its_own_entries_and_scopes(
    pytester: pytest.Pytester, broken: Path
) -> None:
    """A finding's stage travels with it; a clean configuration's test still claims its file."""
    pytester.makepyfile(test_staged=STAGED_TEST)
    result = run(pytester, *UPDATE, "-k", "contract_stage")
    result.assert_outcomes(passed=1, failed=1)
    data = json.loads((pytester.path / BASELINE).read_text(encoding="utf-8"))
    assert [(e["stage"], e["rule"]) for e in data["findings"]] == [
        ("contract", "layout/grid-bounds"),
        ("contract", "layout/overlap"),
    ]
    flow = BaselineEntry("org/reference", "configs/flows/after-hours.yaml", None, "", "contract")
    path = pytester.path / BASELINE
    write_baseline(path, Baseline((*read_baseline(path).entries, flow)))
    result = run(pytester, *USE, "-k", "contract_stage or layout_complies")
    result.assert_outcomes(passed=3, failed=1)  # at the validate stage, bad-layout is new
    result.stdout.fnmatch_lines(
        [
            "baseline baseline.json: 2 known, 2 new, 1 fixed",
            "  configs/flows/after-hours.yaml  org/reference",
        ],
        consecutive=False,
    )
