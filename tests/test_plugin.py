"""The plugin as users run it: pytest over the shipped suites and a folder of configurations.

The plugin is loaded through its ``pytest11`` entry point, so every pytester run
gets it; the suites are copied from ``suites/`` into the pytester folder.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from jsonschema.validators import validator_for

from genesys_compliance import Finding, builtin_registry, load_run
from tests.helpers import suite_file

REPO = Path(__file__).resolve().parents[1]
SUITES = REPO / "suites"
# The compliance suites, one per kind plus the file suite; the property suites beside them
# test the rules themselves and do not take configurations.
COMPLIANCE_SUITES = (
    "test_files.py",
    "test_flows.py",
    "test_layouts.py",
    "test_routing_rules.py",
    "test_strategies.py",
    "test_trigger_rules.py",
)
SARIF_SCHEMA = json.loads((REPO / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())

FLOW = """\
apiVersion: genesys-compliance/v1
kind: FlowSettings
metadata:
  name: after-hours
spec:
  orgId: 5f1c2b7e-9a3d-4e8f-b6c1-2d7a9e4f3b10
  flowId: b7e2c9d1-4f3a-4c8e-9d2b-6a1f0e3c5d72
  settings:
    routing:
      type: longestAvailable
      maxWaitTime: 180
      scope: {type: org, id: 5f1c2b7e-9a3d-4e8f-b6c1-2d7a9e4f3b10}
    configurationMatrix:
      parameter_01: {key: fallback_routing, value: voicemail}
    scopeDirectives:
      applyTo: [queue]
      enforceHierarchy: false
"""
BAD_LAYOUT = """\
apiVersion: genesys-compliance/v1
kind: DesktopLayout
metadata:
  name: bad-layout
spec:
  name: Bad
  grid: {columns: 4, rows: 4}
  widgets:
    - widget_type: queue-widget
      id: a
      position: {x: 0, y: 0, width: 3, height: 2}
    - widget_type: notes-widget
      id: b
      position: {x: 2, y: 0, width: 3, height: 2}
"""
WAIVED_LAYOUT = """\
apiVersion: genesys-compliance/v1
kind: DesktopLayout
metadata:
  name: wall-board
  waivers:
    - rule: layout/widget-type
      reason: Legacy wall board widget, reviewed by CX ops
      expires: 2099-12-31
spec:
  name: Wall board
  grid: {columns: 24, rows: 16}
  widgets:
    - widget_type: wallboard-widget
      id: board
      position: {x: 0, y: 0, width: 24, height: 16}
"""
UNKNOWN_KIND = """\
apiVersion: genesys-compliance/v1
kind: DesktopLayoutz
metadata: {name: typo}
spec: {}
"""
BROKEN_YAML = """\
apiVersion: genesys-compliance/v1
kind: DesktopLayout
metadata: {name: broken
spec: {}
"""
BROKEN_FOLDER = {
    "broken.yaml": BROKEN_YAML,
    "unknown-kind.yaml": UNKNOWN_KIND,
    "flows/after-hours.yaml": FLOW,
    "layouts/bad-layout.yaml": BAD_LAYOUT,
    "layouts/wall-board.yaml": WAIVED_LAYOUT,
}
# the two broken files fail the file suite (the three clean ones have no test there: their
# configurations' tests are their checks); the three suites whose kind has no configuration
# here have no test at all
BROKEN_OUTCOMES = {"passed": 2, "failed": 3}

CUSTOM_RULE_CONFTEST = '''
from genesys_compliance import Violation, rule


@rule("acme/layout-has-notes", severity="error", kind="DesktopLayout",
      summary="every agent layout has a notes widget")
def layout_has_notes(layout, ctx):
    """Agents lose wrap-up notes without one."""
    if not any(w.widget_type == "notes-widget" for w in layout.spec.widgets):
        yield Violation("/spec/widgets", "no notes-widget in the layout")


def pytest_gc_register_rules(registry):
    registry.register(layout_has_notes)
'''


@pytest.fixture(autouse=True)
def _fresh_suite_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    """Free the suites' module names for the copies.

    A run of this repository collects ``suites/`` too, leaving ``test_files`` and the
    others in ``sys.modules``; an in-process pytester run of the copies would then fail
    with "import file mismatch". Removed here, restored when the test ends.
    """
    for name in COMPLIANCE_SUITES:
        monkeypatch.delitem(sys.modules, name.removesuffix(".py"), raising=False)


def make_project(pytester: pytest.Pytester, configs: dict[str, str], policy: str = "") -> Path:
    """Suites, a pyproject.toml (with an optional policy block) and ``configs/``."""
    for name in COMPLIANCE_SUITES:
        (pytester.path / name).write_text(
            suite_file(name).read_text(encoding="utf-8"), encoding="utf-8"
        )
    block = f"\n[tool.genesys-compliance]\n{textwrap.dedent(policy)}" if policy else ""
    pytester.makepyprojecttoml(f"[tool.pytest.ini_options]\n{block}")
    folder = pytester.path / "configs"
    for name, text in configs.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    folder.mkdir(exist_ok=True)
    return folder


# schemathesis, installed beside us, wraps collection in an old-style hookwrapper that turns
# any collection error into a PluggyTeardownRaisedWarning; keep the runs about this plugin.
QUIET = ("-p", "no:cacheprovider", "-p", "no:schemathesis")


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*QUIET, "--gc-config-dir", "configs", *args)


def summary_outcomes(result: pytest.RunResult) -> set[str]:
    """``PASSED``/``FAILED`` lines of the short summary (``-rA``), without the reason."""
    return {
        line.split(" - ")[0] for line in result.outlines if line.startswith(("PASSED ", "FAILED "))
    }


def output(result: pytest.RunResult) -> str:
    return "\n".join(result.outlines + result.errlines)


def assert_clean(result: pytest.RunResult) -> None:
    """No Python traceback and no test source in the report: findings speak for themselves."""
    text = output(result)
    assert "Traceback" not in text
    assert "def test_" not in text
    assert "INTERNALERROR" not in text


def engine_findings(folder: Path, root: Path) -> list[Finding]:
    """What the engine finds in the folder without pytest: what every report must show."""
    return load_run([folder], root).all_findings()


def sarif_results(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    log = json.loads(path.read_text(encoding="utf-8"))
    validator_for(SARIF_SCHEMA)(SARIF_SCHEMA).validate(log)
    assert log["version"] == "2.1.0"
    [sarif_run] = log["runs"]
    return sarif_run, sarif_run["results"]


def result_key(result: dict[str, Any]) -> tuple[str, str, int, str, str | None]:
    [location] = result["locations"]
    physical = location["physicalLocation"]
    waived = result["suppressions"][0]["justification"] if "suppressions" in result else None
    return (
        result["ruleId"],
        physical["artifactLocation"]["uri"],
        physical["region"]["startLine"],
        result["message"]["text"],
        waived,
    )


def finding_key(finding: Finding) -> tuple[str, str, int, str, str | None]:
    return (finding.rule_id, finding.file, finding.line, finding.message, finding.waived)


# -- a folder of broken configurations -----------------------------------------------------------


@pytest.fixture
def broken(pytester: pytest.Pytester) -> Path:
    return make_project(pytester, BROKEN_FOLDER)


def test_broken_folder_fails_the_right_tests(pytester, broken):
    result = run(pytester, "-rA")
    result.assert_outcomes(**BROKEN_OUTCOMES)
    # every test of the run: none in the file suite for the three clean files
    assert summary_outcomes(result) == {
        "PASSED test_flows.py::test_flow_settings_complies[flows/after-hours.yaml::after-hours]",
        "PASSED test_layouts.py::test_layout_complies[layouts/wall-board.yaml::wall-board]",
        "FAILED test_files.py::test_file_is_readable[broken.yaml]",
        "FAILED test_files.py::test_file_is_readable[unknown-kind.yaml]",
        "FAILED test_layouts.py::test_layout_complies[layouts/bad-layout.yaml::bad-layout]",
    }
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_the_file_suite_tests_only_broken_files_and_gc_config_file_every_file(pytester):
    """A clean file has no file-suite test; a broken one has exactly one, which fails.

    Its configurations' tests are a clean file's checks, so every configuration is one
    test, not two; ``gc_config_file`` still hands a user's own test every file.
    """
    folder = make_project(pytester, {})
    shutil.copytree(REPO / "fixtures" / "configs", folder, dirs_exist_ok=True)
    clean = load_run([folder], pytester.path)
    assert clean.files
    assert not any(clean.file_findings.values())  # the shipped examples are clean
    assert {e.kind.name for e in clean.entries} == {
        "DesktopLayout",
        "FlowSettings",
        "RoutingRule",
        "RoutingStrategy",
        "TriggerRule",
    }  # every kind suite has configurations: no suite skips

    # (a) only clean files: no file-suite item at all (not a skip), one test per configuration
    result = run(pytester, "-rA")
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(passed=len(clean.entries))
    result.stdout.fnmatch_lines([f"collected {len(clean.entries)} items"])
    assert not [line for line in result.outlines if "test_files.py" in line]
    result.stdout.fnmatch_lines(
        [f"{len(clean.entries)} configuration check(s): 0 file(s), {len(clean.entries)} *"]
    )

    # (b) one broken file beside the clean ones: its one file-suite test, failing
    (folder / "broken.yaml").write_text(BROKEN_YAML, encoding="utf-8")
    # (c) a user's own test over gc_config_file: still every file, clean or broken
    pytester.makepyfile(
        test_mine="def test_every_file(gc_config_file):\n    assert gc_config_file.relpath\n"
    )
    result = run(pytester, "-rA")
    everything = load_run([folder], pytester.path)
    assert [f.label for f in everything.files if everything.file_findings.get(f.relpath)] == [
        "broken.yaml"
    ]
    outcomes = summary_outcomes(result)
    assert {line for line in outcomes if "test_files.py" in line} == {
        "FAILED test_files.py::test_file_is_readable[broken.yaml]"
    }
    assert {line for line in outcomes if "test_mine.py" in line} == {
        f"PASSED test_mine.py::test_every_file[{f.label}]" for f in everything.files
    }
    assert len(everything.files) == len(clean.files) + 1
    result.assert_outcomes(passed=len(clean.entries) + len(everything.files), failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_failures_list_file_line_rule_and_message_without_a_traceback(pytester, broken):
    result = run(pytester)
    assert_clean(result)
    result.stdout.fnmatch_lines(
        [
            "broken.yaml: 1 finding(s) fail this configuration",
            "  configs/broken.yaml:4  config/parse  YAML syntax: *",
            "unknown-kind.yaml: 1 finding(s) fail this configuration",
            "  configs/unknown-kind.yaml:2  config/envelope  unknown kind 'DesktopLayoutz'*",
            "layouts/bad-layout.yaml::bad-layout: 2 finding(s) fail this configuration",
            "  configs/layouts/bad-layout.yaml:12  layout/grid-bounds  widget 'b' *",
            "  configs/layouts/bad-layout.yaml:12  layout/overlap  widget 'b' overlaps *",
        ],
        consecutive=False,
    )
    failures = result.outlines[
        : result.outlines.index(
            next(line for line in result.outlines if "genesys-compliance findings" in line)
        )
    ]
    failure_lines = [line for line in failures if line.startswith("  configs/")]
    pattern = re.compile(r"^  configs/\S+\.yaml:\d+  [a-z-]+/[a-z-]+( \[warning\])?  \S.*$")
    assert failure_lines
    assert all(pattern.match(line) for line in failure_lines), failure_lines


def test_sarif_has_one_result_per_finding_and_validates(pytester, broken):
    result = run(pytester, "--gc-sarif", "reports/out.sarif")
    result.assert_outcomes(**BROKEN_OUTCOMES)
    sarif_run, results = sarif_results(pytester.path / "reports" / "out.sarif")
    expected = engine_findings(broken, pytester.path)
    assert sorted(result_key(r) for r in results) == sorted(finding_key(f) for f in expected)
    assert {r["ruleId"] for r in results} == {
        "config/parse",
        "config/envelope",
        "layout/grid-bounds",
        "layout/overlap",
        "layout/widget-type",
    }
    for item in results:
        assert item["level"] in ("error", "warning")
        [location] = item["locations"]
        uri = location["physicalLocation"]["artifactLocation"]["uri"]
        assert uri.startswith("configs/")  # relative to the rootdir, not absolute
        assert (pytester.path / uri).is_file()
        assert location["physicalLocation"]["region"]["startLine"] >= 1
    assert sarif_run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == (
        pytester.path.resolve().as_uri() + "/"
    )


def test_sarif_marks_waived_findings_with_their_reason(pytester, broken):
    run(pytester, "--gc-sarif", "out.sarif")
    _, results = sarif_results(pytester.path / "out.sarif")
    waived = [r for r in results if "suppressions" in r]
    assert [(r["ruleId"], r["suppressions"]) for r in waived] == [
        (
            "layout/widget-type",
            [
                {
                    "kind": "inSource",
                    "status": "accepted",
                    "justification": "Legacy wall board widget, reviewed by CX ops",
                }
            ],
        )
    ]
    assert result_key(waived[0])[1:3] == ("configs/layouts/wall-board.yaml", 13)


def test_sarif_catalogue_lists_every_rule(pytester, broken):
    run(pytester, "--gc-sarif", "out.sarif")
    sarif_run, results = sarif_results(pytester.path / "out.sarif")
    rules = sarif_run["tool"]["driver"]["rules"]
    registry = builtin_registry()
    assert [r["id"] for r in rules] == [r.id for r in registry]
    for entry, item in zip(rules, registry, strict=True):
        assert entry["defaultConfiguration"]["level"] == item.severity
        assert entry["shortDescription"]["text"] == item.summary
    for result_item in results:
        assert rules[result_item["ruleIndex"]]["id"] == result_item["ruleId"]


def test_sarif_of_a_clean_run_has_no_results(pytester):
    make_project(pytester, {"flows/after-hours.yaml": FLOW})
    result = run(pytester, "--gc-sarif", "out.sarif")
    result.assert_outcomes(passed=1)
    sarif_run, results = sarif_results(pytester.path / "out.sarif")
    assert results == []
    assert sarif_run["invocations"] == [{"executionSuccessful": True}]  # complete, and clean


def test_terminal_summary_counts_findings_by_rule_and_by_file(pytester, broken):
    result = run(pytester)
    result.stdout.fnmatch_lines(
        [
            "*= genesys-compliance findings =*",
            "5 configuration check(s): 2 file(s), 3 configuration(s)",
            "5 finding(s), 4 failing",
            "by rule:",
            "  config/envelope * 1 error(s) * 0 warning(s) * 0 waived",
            "  config/parse * 1 error(s) * 0 warning(s) * 0 waived",
            "  layout/grid-bounds * 1 error(s) * 0 warning(s) * 0 waived",
            "  layout/overlap * 1 error(s) * 0 warning(s) * 0 waived",
            "  layout/widget-type * 0 error(s) * 0 warning(s) * 1 waived",
            "by file:",
            "  configs/broken.yaml * 1 error(s) * 0 warning(s) * 0 waived",
            "  configs/layouts/bad-layout.yaml * 2 error(s) * 0 warning(s) * 0 waived",
            "  configs/layouts/wall-board.yaml * 0 error(s) * 0 warning(s) * 1 waived",
            "  configs/unknown-kind.yaml * 1 error(s) * 0 warning(s) * 0 waived",
            "warnings, waived and known findings (they do not fail the run):",
            "  configs/layouts/wall-board.yaml:13  layout/widget-type  *"
            "(waived: Legacy wall board widget, reviewed by CX ops)",
        ]
    )


def test_waived_finding_is_shown_and_does_not_fail(pytester):
    make_project(pytester, {"layouts/wall-board.yaml": WAIVED_LAYOUT})
    result = run(pytester, "-rA")
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "1 finding(s), 0 failing",
            "  configs/layouts/wall-board.yaml:13  layout/widget-type  widget 'board'*"
            "(waived: Legacy wall board widget, reviewed by CX ops)",
        ]
    )


def test_an_expired_waiver_fails_and_does_not_waive(pytester):
    expired = WAIVED_LAYOUT.replace("2099-12-31", "2020-01-01")
    make_project(pytester, {"layouts/wall-board.yaml": expired})
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "  configs/layouts/wall-board.yaml:6  config/waiver  waiver of layout/widget-type "
            "expired on 2020-01-01",
            "  configs/layouts/wall-board.yaml:13  layout/widget-type  widget 'board'*",
        ]
    )


# -- warnings and --gc-strict ---------------------------------------------------------------------

WARNING_POLICY = "max-load-impact = 0.25\n"  # two widgets at 0.15 make 0.30: a warning


HEAVY_LAYOUT = """\
apiVersion: genesys-compliance/v1
kind: DesktopLayout
metadata:
  name: heavy
spec:
  name: Heavy
  grid: {columns: 24, rows: 16}
  widgets:
    - widget_type: queue-widget
      id: queue
      position: {x: 0, y: 0, width: 12, height: 16}
    - widget_type: notes-widget
      id: notes
      position: {x: 12, y: 0, width: 12, height: 16}
"""


@pytest.fixture
def warning_project(pytester: pytest.Pytester) -> Path:
    return make_project(pytester, {"layouts/heavy.yaml": HEAVY_LAYOUT}, WARNING_POLICY)


def test_warnings_are_reported_but_do_not_fail(pytester, warning_project):
    result = run(pytester, "--gc-sarif", "out.sarif")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "1 finding(s), 0 failing",
            "  layout/load-impact * 0 error(s) * 1 warning(s) * 0 waived",
            "  configs/layouts/heavy.yaml:8  layout/load-impact [warning]  widget load 0.30 is "
            "above 0.25",
        ]
    )
    _, results = sarif_results(pytester.path / "out.sarif")
    assert [(r["ruleId"], r["level"]) for r in results] == [("layout/load-impact", "warning")]


def test_gc_strict_makes_warnings_fail(pytester, warning_project):
    result = run(pytester, "--gc-strict")
    result.assert_outcomes(failed=1)
    assert_clean(result)
    result.stdout.fnmatch_lines(
        [
            "layouts/heavy.yaml::heavy: 1 finding(s) fail this configuration",
            "  configs/layouts/heavy.yaml:8  layout/load-impact [warning]  widget load 0.30 is "
            "above 0.25",
            "1 finding(s), 1 failing",
        ]
    )


# -- JUnit XML -----------------------------------------------------------------------------------


def test_junit_xml_has_one_testcase_per_configuration_and_suite(pytester, broken):
    result = run(pytester, "--junitxml", "junit.xml")
    result.assert_outcomes(**BROKEN_OUTCOMES)
    cases = list(ET.parse(pytester.path / "junit.xml").iter("testcase"))
    outcome = {(c.get("classname"), c.get("name")): [child.tag for child in c] for c in cases}
    assert len(outcome) == len(cases)
    # one case per configuration and per broken file; none for the kinds with no configuration
    assert outcome == {
        ("test_files", "test_file_is_readable[broken.yaml]"): ["failure"],
        ("test_files", "test_file_is_readable[unknown-kind.yaml]"): ["failure"],
        ("test_flows", "test_flow_settings_complies[flows/after-hours.yaml::after-hours]"): [],
        ("test_layouts", "test_layout_complies[layouts/bad-layout.yaml::bad-layout]"): ["failure"],
        ("test_layouts", "test_layout_complies[layouts/wall-board.yaml::wall-board]"): [],
    }
    failure = next(c for c in cases if c.get("name") == "test_file_is_readable[broken.yaml]")
    assert "configs/broken.yaml:4  config/parse" in (failure.find("failure").text or "")


# -- xdist ---------------------------------------------------------------------------------------


def test_xdist_gives_the_same_outcomes_and_sarif(pytester, broken):
    (pytester.path / "conftest.py").write_text(CUSTOM_RULE_CONFTEST, encoding="utf-8")
    serial = run(pytester, "--gc-sarif", "serial.sarif")
    outcomes = {"passed": 1, "failed": 4}  # the wall board has no notes widget
    serial.assert_outcomes(**outcomes)
    parallel = pytester.runpytest_subprocess(
        *QUIET, "--gc-config-dir", "configs", "--gc-sarif", "parallel.sarif", "-n", "2"
    )
    parallel.assert_outcomes(**outcomes)
    assert_clean(parallel)
    serial_run, serial_results = sarif_results(pytester.path / "serial.sarif")
    parallel_run, parallel_results = sarif_results(pytester.path / "parallel.sarif")
    assert parallel_results == serial_results  # the controller merged every worker's findings
    assert parallel_run["tool"] == serial_run["tool"]
    assert parallel_run["invocations"] == serial_run["invocations"]
    assert serial_run["invocations"] == [{"executionSuccessful": True}]
    serial_bytes = (pytester.path / "serial.sarif").read_bytes()
    assert (pytester.path / "parallel.sarif").read_bytes() == serial_bytes  # byte for byte
    custom = [result_key(r) for r in parallel_results if r["ruleId"] == "acme/layout-has-notes"]
    assert [key[1:3] for key in custom] == [("configs/layouts/wall-board.yaml", 12)]
    parallel.stdout.fnmatch_lines(
        ["5 configuration check(s): 2 file(s), 3 configuration(s)", "6 finding(s), 5 failing"]
    )


# -- custom rules ------------------------------------------------------------------------------


def test_custom_rule_from_a_conftest_fires_and_is_in_the_sarif(pytester):
    make_project(
        pytester, {"layouts/bad-layout.yaml": BAD_LAYOUT.replace("notes-widget", "queue-widget")}
    )
    (pytester.path / "conftest.py").write_text(CUSTOM_RULE_CONFTEST, encoding="utf-8")
    result = run(pytester, "--gc-sarif", "out.sarif")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "  configs/layouts/bad-layout.yaml:8  acme/layout-has-notes  no notes-widget in the "
            "layout",
            "  acme/layout-has-notes * 1 error(s) * 0 warning(s) * 0 waived",
        ]
    )
    sarif_run, results = sarif_results(pytester.path / "out.sarif")
    custom = [r for r in results if r["ruleId"] == "acme/layout-has-notes"]
    assert [(r["level"], result_key(r)[1:3]) for r in custom] == [
        ("error", ("configs/layouts/bad-layout.yaml", 8))
    ]
    rules = sarif_run["tool"]["driver"]["rules"]
    entry = rules[custom[0]["ruleIndex"]]
    assert entry["id"] == "acme/layout-has-notes"
    assert entry["shortDescription"]["text"] == "every agent layout has a notes widget"
    assert entry["fullDescription"]["text"] == "Agents lose wrap-up notes without one."


def test_custom_rule_can_be_waived_like_a_builtin_one(pytester):
    layout = WAIVED_LAYOUT.replace("layout/widget-type", "acme/layout-has-notes").replace(
        "wallboard-widget", "queue-widget"
    )
    make_project(pytester, {"layouts/wall-board.yaml": layout})
    (pytester.path / "conftest.py").write_text(CUSTOM_RULE_CONFTEST, encoding="utf-8")
    result = run(pytester)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["  acme/layout-has-notes * 0 error(s) * 0 warning(s) * 1 waived"])


def test_custom_rule_with_a_taken_id_is_a_usage_error(pytester):
    make_project(pytester, {"flows/after-hours.yaml": FLOW})
    (pytester.path / "conftest.py").write_text(
        CUSTOM_RULE_CONFTEST.replace("acme/layout-has-notes", "layout/overlap"), encoding="utf-8"
    )
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: genesys-compliance: rule id 'layout/overlap' is already registered"]
    )
    assert_clean(result)


# -- usage errors --------------------------------------------------------------------------------


def test_unknown_policy_key_is_a_clean_usage_error(pytester):
    make_project(pytester, {"flows/after-hours.yaml": FLOW}, "max-widgetz = 3\n")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: genesys-compliance: *pyproject.toml [[]tool.genesys-compliance[]]: max-widgetz: *"]
    )
    assert_clean(result)


def test_a_bad_webhooks_table_is_a_clean_usage_error(pytester):
    webhooks = (
        "[[tool.genesys-compliance.webhooks]]\n"
        'url = "https://hooks.example.com/genesys"\n'
        'events = ["apply.complete"]\n'
        'secret-env = "GC_WEBHOOK_SECRET"\n'
    )
    make_project(pytester, {"flows/after-hours.yaml": FLOW}, webhooks)
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: genesys-compliance: *pyproject.toml [[]tool.genesys-compliance[]]: "
            "webhooks.0.events: *unknown event 'apply.complete' (did you mean 'apply.completed'?)*"
        ]
    )
    assert_clean(result)


def test_policy_value_of_the_wrong_type_is_a_clean_usage_error(pytester):
    make_project(pytester, {"flows/after-hours.yaml": FLOW}, 'max-widgets = "twelve"\n')
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: genesys-compliance: *max-widgets: *"])
    assert_clean(result)


def test_policy_threshold_from_pyproject_applies(pytester):
    layout = BAD_LAYOUT.replace("columns: 4, rows: 4", "columns: 24, rows: 4").replace(
        "x: 2, y: 0", "x: 3, y: 0"
    )
    make_project(pytester, {"layouts/ok.yaml": layout}, "max-grid-columns = 12\n")
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["  configs/layouts/ok.yaml:7  layout/grid-size  *"])


def test_missing_config_dir_is_a_clean_usage_error(pytester):
    make_project(pytester, {})
    result = pytester.runpytest(*QUIET, "--gc-config-dir", "nowhere")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: genesys-compliance: configuration folder not found: *nowhere "
            "(set --gc-config-dir or gc_config_dirs)"
        ]
    )
    assert_clean(result)
    assert "ERROR collecting" not in output(result)


def test_missing_default_folder_is_reported_without_a_traceback(pytester):
    make_project(pytester, {})
    result = pytester.runpytest(*QUIET)
    result.assert_outcomes(errors=6)
    assert_clean(result)
    result.stdout.fnmatch_lines(
        ["genesys-compliance: configuration folder not found: *fixtures*configs*"]
    )


@pytest.mark.parametrize(
    "extra", [{}, {"notes.txt": "not a configuration"}], ids=["empty", "no-config-suffix"]
)
def test_a_folder_without_configuration_files_fails_rather_than_skips(pytester, extra):
    folder = make_project(pytester, {})
    for name, text in extra.items():
        (folder / name).write_text(text, encoding="utf-8")
    result = pytester.runpytest(*QUIET, "--gc-config-dir", "configs")
    assert result.ret != pytest.ExitCode.OK
    result.assert_outcomes(errors=6)
    assert_clean(result)
    result.stdout.fnmatch_lines(
        [
            "genesys-compliance: no configuration files (.yaml, .yml, .json) under "
            "*configs: nothing would be checked"
        ]
    )


def test_config_dirs_from_the_ini_are_relative_to_it(pytester):
    make_project(pytester, {"flows/after-hours.yaml": FLOW})
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\ngc_config_dirs = ["configs"]\n')
    result = pytester.runpytest(*QUIET)
    result.assert_outcomes(passed=1)


def test_plugin_stays_quiet_when_no_suite_asks_for_configurations(pytester):
    pytester.makepyprojecttoml("[tool.pytest.ini_options]\n")
    pytester.makepyfile(test_plain="def test_nothing_to_do():\n    assert True\n")
    result = pytester.runpytest(*QUIET)
    result.assert_outcomes(passed=1)
    assert "genesys-compliance findings" not in output(result)


def test_allure_results_carry_kind_suite_and_rule_labels(pytester, broken):
    result = run(pytester, "--alluredir", "allure")
    result.assert_outcomes(**BROKEN_OUTCOMES)
    tests = [
        json.loads(path.read_text(encoding="utf-8"))
        for path in (pytester.path / "allure").glob("*-result.json")
    ]
    by_name = {t["name"]: t for t in tests}
    bad = next(t for name, t in by_name.items() if "bad-layout.yaml::bad-layout" in name)
    labels = {(label["name"], label["value"]) for label in bad["labels"]}
    assert {("epic", "DesktopLayout"), ("feature", "validate")} <= labels
    assert {("story", "layout/grid-bounds"), ("story", "layout/overlap")} <= labels
    [attachment] = bad["attachments"]
    assert attachment["name"] == "findings"
    attached = json.loads((pytester.path / "allure" / attachment["source"]).read_text())
    assert {f["rule_id"] for f in attached} == {"layout/grid-bounds", "layout/overlap"}
