"""``genesys-compliance validate --baseline FILE [--baseline-update]``, run as a process.

The command line judges a baseline as ``pytest --gc-baseline`` does (README,
"Baselines"): a missing file is a usage error (exit 2 here) unless the run
writes it, the run that writes it still fails on its findings, known findings
pass and are shown as known in every output, fixed entries are listed and
dropped on rewrite, and a narrow run judges only what it checked. The parity
tests hold the two to one file: the same project written by pytest and by the
command line gives the same bytes, so either can judge against the other's file.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from genesys_compliance.rules import BASELINE_VERSION
from tests.test_cli_apply import _child_env, as_json, cli
from tests.test_plugin import BAD_LAYOUT, BROKEN_YAML, FLOW, WAIVED_LAYOUT, sarif_results

REPO = Path(__file__).resolve().parents[1]
BASELINE = "gc-baseline.json"
UPDATE = ("--baseline", BASELINE, "--baseline-update")
USE = ("--baseline", BASELINE)
OWNED_WAIVER = WAIVED_LAYOUT.replace(
    "      expires: 2099-12-31\n", "      expires: 2099-12-31\n      owner: cx-ops\n"
)
# a layout the models accept and the API contract rejects: the contract check's finding
BARE = """\
apiVersion: genesys-compliance/v1
kind: DesktopLayout
metadata: {name: bare}
spec:
  name: Bare
  grid: {columns: 24, rows: 16}
"""
CONFIGS = {
    "broken.yaml": BROKEN_YAML,
    "flows/after-hours.yaml": FLOW,
    "layouts/bad-layout.yaml": BAD_LAYOUT,
    "layouts/bare.yaml": BARE,
    "layouts/wall-board.yaml": OWNED_WAIVER,
}
BAD = ("fixtures/configs/layouts/bad-layout.yaml", "layouts/bad-layout.yaml::bad-layout")
# (stage, rule, file, config, pointer) of the project's unwaived findings, in file order
ENTRIES = [
    ("validate", "layout/grid-bounds", *BAD, "/spec/widgets/1"),
    ("validate", "layout/overlap", *BAD, "/spec/widgets/1"),
    (
        "contract",
        "config/schema",
        "fixtures/configs/layouts/bare.yaml",
        "layouts/bare.yaml::bare",
        "/spec/widgets",
    ),
    ("validate", "config/parse", "fixtures/configs/broken.yaml", None, ""),
]
ENTRIES.sort(key=lambda e: (e[2], e[3] or "", e[4], e[1]))  # the file's own order
# suites as the project keeps them: every configuration suite, and the contract check
SUITES = ("suites/configurations", "suites/org/test_contract.py::test_payload_fits_the_contract")
QUIET = ("-p", "no:cacheprovider", "-p", "no:schemathesis", "-q")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project whose default folder holds a parse error, two layout errors, a contract
    error, a waived finding with an owner and a clean flow; and the suites, for pytest."""
    root = tmp_path / "project"
    for name, text in CONFIGS.items():
        path = root / "fixtures" / "configs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "pyproject.toml").write_text(
        "[tool.pytest.ini_options]\n\n[tool.genesys-compliance]\n", encoding="utf-8"
    )
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(
        REPO / "suites" / "configurations", root / "suites" / "configurations", ignore=ignore
    )
    (root / "suites" / "org").mkdir()
    shutil.copy(REPO / "suites" / "org" / "test_contract.py", root / "suites" / "org")
    return root


def pytest_run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m pytest ARGS`` in ``root``, in the environment the command line gets."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", *QUIET, *args],
        cwd=root,
        env=_child_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def written(path: Path) -> list[tuple[str, str, str, str | None, str]]:
    """The baseline file's entries as ``(stage, rule, file, config, pointer)``, in file order."""
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["version"] == BASELINE_VERSION
    return [(e["stage"], e["rule"], e["file"], e["config"], e["pointer"]) for e in data["findings"]]


def baselined(root: Path) -> None:
    """Write the baseline over the project as it is now, with the command line."""
    done = cli(root, "validate", *UPDATE)
    assert done.returncode == 1, done.stdout + done.stderr
    assert written(root / BASELINE) == ENTRIES


def states(path: Path) -> list[tuple[str, str, str, bool]]:
    """Each SARIF result as ``(rule, file, baselineState, waived)``, the log validated first."""
    _, results = sarif_results(path)
    return [
        (
            r["ruleId"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["baselineState"],
            "suppressions" in r,
        )
        for r in results
    ]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


# -- usage errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["validate", "check"])
def test_a_missing_baseline_is_a_usage_error_not_an_empty_one(project: Path, command: str) -> None:
    done = cli(project, command, *USE, "--sarif", "out.sarif")
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"--baseline: baseline file not found: {BASELINE}" in done.stderr
    assert "--baseline-update" in done.stderr  # says how to write it
    assert not (project / BASELINE).exists()
    assert not (project / "out.sarif").exists()  # stopped before any check


def test_update_needs_the_file_to_write(project: Path) -> None:
    done = cli(project, "validate", "--baseline-update")
    assert done.returncode == 2
    assert "--baseline-update needs --baseline FILE" in done.stderr


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{\n<<<<<<< HEAD\n  "version": 1,\n', "is not JSON"),
        ('{"tool": "genesys-compliance", "version": 2, "findings": []}\n', "is version 2"),
        ('{"version": 1, "findings": [{"rule": "layout/overlap"}]}\n', "findings[0]: missing"),
    ],
)
@pytest.mark.parametrize("update", [False, True])
def test_a_file_that_is_not_a_baseline_is_a_usage_error_and_is_left_as_it_is(
    project: Path, content: str, problem: str, update: bool
) -> None:
    (project / BASELINE).write_text(content, encoding="utf-8")
    done = cli(project, "validate", *(UPDATE if update else USE))
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"Error: --baseline: baseline {BASELINE}" in done.stderr
    assert problem in done.stderr
    assert (project / BASELINE).read_text(encoding="utf-8") == content


# -- writing and judging --------------------------------------------------------------------------


def test_writing_the_baseline_still_fails_on_its_findings(project: Path) -> None:
    done = cli(project, "validate", *UPDATE)
    assert done.returncode == 1
    assert written(project / BASELINE) == ENTRIES  # the waived finding is not in it
    lines = done.stdout.splitlines()
    assert f"baseline {BASELINE}: 0 known, 4 new, 0 fixed" in lines
    assert lines[-1] == (
        f"baseline written to {BASELINE}: 4 finding(s), was 0; "
        "this run was judged against the file as it was"
    )
    assert "known: in the baseline" not in done.stdout


def test_known_findings_pass_and_show_as_known_in_every_output(project: Path) -> None:
    baselined(project)
    before = (project / BASELINE).read_bytes()
    done = cli(project, "validate", *USE, "--sarif", "out.sarif")
    assert done.returncode == 0, done.stdout + done.stderr
    known = [line for line in done.stdout.splitlines() if line.endswith("(known: in the baseline)")]
    assert len(known) == 2 * len(ENTRIES)  # each finding, and again in the summary's list
    assert done.stdout.splitlines()[-1] == f"baseline {BASELINE}: 4 known, 0 new, 0 fixed"
    assert (project / BASELINE).read_bytes() == before  # only --baseline-update writes

    report = as_json(cli(project, "check", *USE, "--json"))
    assert report["exitCode"] == 0
    assert report["counts"]["known"] == 4
    assert report["counts"]["failing"] == 0
    assert [(f["rule"], f["known"], f["waived"], f["waiverOwner"]) for f in report["findings"]] == [
        ("config/parse", True, False, None),
        ("layout/grid-bounds", True, False, None),
        ("layout/overlap", True, False, None),
        ("config/schema", True, False, None),
        ("layout/widget-type", False, True, "cx-ops"),
    ]
    assert report["baseline"] == {
        "file": BASELINE,
        "known": 4,
        "new": 0,
        "fixed": [],
        "written": None,
    }

    assert states(project / "out.sarif") == [
        ("config/parse", "fixtures/configs/broken.yaml", "unchanged", False),
        ("layout/grid-bounds", BAD[0], "unchanged", False),
        ("layout/overlap", BAD[0], "unchanged", False),
        ("config/schema", "fixtures/configs/layouts/bare.yaml", "unchanged", False),
        ("layout/widget-type", "fixtures/configs/layouts/wall-board.yaml", "new", True),
    ]
    sarif_run, _ = sarif_results(project / "out.sarif")
    assert sarif_run["properties"] == {
        "genesysCompliance": {"baseline": {"file": BASELINE, "known": 4, "new": 0, "fixed": []}}
    }


def test_without_a_baseline_the_outputs_say_nothing_of_one(project: Path) -> None:
    report = as_json(cli(project, "validate", "--json", "--sarif", "out.sarif"))
    assert "known" not in report["counts"]
    assert "baseline" not in report
    sarif_run, results = sarif_results(project / "out.sarif")
    assert "properties" not in sarif_run
    assert all("baselineState" not in r for r in results)


def test_a_new_finding_fails_beside_the_known_ones(project: Path) -> None:
    baselined(project)
    edit(
        project / "fixtures" / "configs" / "flows" / "after-hours.yaml",
        "maxWaitTime: 180",
        "maxWaitTime: -5",
    )
    done = cli(project, "validate", *USE, "--json", "--sarif", "out.sarif")
    assert done.returncode == 1
    report = as_json(done)
    failing = [f for f in report["findings"] if not (f["known"] or f["waived"])]
    assert [f["file"] for f in failing] == ["fixtures/configs/flows/after-hours.yaml"]
    assert (report["counts"]["known"], report["baseline"]["new"]) == (4, len(failing))
    sarif = states(project / "out.sarif")
    assert [s[1] for s in sarif if s[2] == "new" and not s[3]] == [f["file"] for f in failing]
    assert sum(1 for s in sarif if s[2] == "unchanged") == 4


def test_an_edit_elsewhere_in_the_file_keeps_every_fingerprint(project: Path) -> None:
    baselined(project)
    layout = project / "fixtures" / "configs" / "layouts" / "bad-layout.yaml"
    edit(layout, "spec:\n", "spec:\n  # moved down a line by a comment\n")
    done = cli(project, "validate", *USE)
    assert done.returncode == 0, done.stdout


def test_fixed_entries_are_listed_and_a_rewrite_drops_them_byte_stably(project: Path) -> None:
    baselined(project)
    configs = project / "fixtures" / "configs"
    (configs / "broken.yaml").unlink()  # a deleted file's entries are fixed
    (configs / "layouts" / "bad-layout.yaml").write_text(
        BAD_LAYOUT.replace("x: 2, y: 0, width: 3", "x: 3, y: 2, width: 1"), encoding="utf-8"
    )
    done = cli(project, "validate", *USE, "--sarif", "out.sarif")
    assert done.returncode == 0, done.stdout + done.stderr
    tail = done.stdout.splitlines()[-5:]
    assert tail[:2] == [
        f"baseline {BASELINE}: 1 known, 0 new, 3 fixed",
        "fixed (in the baseline, no longer found; rewrite it to drop them):",
    ]
    assert [line.split()[0] for line in tail[2:]] == [
        "fixtures/configs/broken.yaml",
        BAD[0],
        BAD[0],
    ]
    sarif_run, _ = sarif_results(project / "out.sarif")
    fixed = sarif_run["properties"]["genesysCompliance"]["baseline"]["fixed"]
    assert [(e["stage"], e["rule"], e["file"], e["config"], e["pointer"]) for e in fixed] == [
        e for e in ENTRIES if e[1] != "config/schema"
    ]
    report = as_json(cli(project, "validate", *USE, "--json"))
    assert report["baseline"]["fixed"] == fixed

    done = cli(project, "validate", *UPDATE)
    assert done.returncode == 0
    assert done.stdout.splitlines()[-1].startswith(
        f"baseline written to {BASELINE}: 1 finding(s), was 4;"
    )
    assert written(project / BASELINE) == [e for e in ENTRIES if e[1] == "config/schema"]
    first = (project / BASELINE).read_bytes()
    assert cli(project, "validate", *UPDATE).returncode == 0
    assert (project / BASELINE).read_bytes() == first


def test_a_contract_entry_is_fixed_at_its_own_stage(project: Path) -> None:
    """The contract check claims the files of the configurations it checked, as the pytest
    contract test does, so its entry no longer found is fixed and dropped on rewrite."""
    baselined(project)
    edit(
        project / "fixtures" / "configs" / "layouts" / "bare.yaml",
        "rows: 16}\n",
        "rows: 16}\n  widgets: []\n",
    )
    report = as_json(cli(project, "validate", *USE, "--json"))
    assert report["exitCode"] == 0
    assert [(e["stage"], e["file"]) for e in report["baseline"]["fixed"]] == [
        ("contract", "fixtures/configs/layouts/bare.yaml")
    ]
    assert cli(project, "validate", *UPDATE).returncode == 0
    assert written(project / BASELINE) == [e for e in ENTRIES if e[0] != "contract"]


def test_a_narrow_run_neither_fixes_nor_drops_what_it_did_not_check(project: Path) -> None:
    baselined(project)
    flows = "fixtures/configs/flows"
    done = cli(project, "validate", flows, *UPDATE)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"baseline {BASELINE}: 0 known, 0 new, 0 fixed" in done.stdout
    assert written(project / BASELINE) == ENTRIES
    (project / "fixtures" / "configs" / "broken.yaml").unlink()  # outside the folder named
    done = cli(project, "validate", "fixtures/configs/layouts", *USE)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"baseline {BASELINE}: 3 known, 0 new, 0 fixed" in done.stdout


@pytest.mark.parametrize(
    "named", ["fixtures/configs/layouts", "fixtures/configs/layouts/bad-layout.yaml"]
)
def test_a_path_named_inside_the_folders_keeps_the_pytest_runs_ids(
    project: Path, named: str
) -> None:
    """Ids, and so fingerprints, are relative to the project's folder whatever is named: a
    pre-commit hook naming one file judges it against the baseline the full run wrote."""
    baselined(project)
    report = as_json(cli(project, "validate", named, *USE, "--json"))
    assert report["exitCode"] == 0
    assert {f["config"] for f in report["findings"] if f["file"] == BAD[0]} == {BAD[1]}
    assert report["baseline"]["known"] == (3 if named.endswith("layouts") else 2)
    assert report["baseline"]["fixed"] == []


# -- one file for both: the pytest run and the command line ---------------------------------------


def test_pytest_and_the_command_line_write_the_same_bytes(project: Path) -> None:
    """The suites that run the same checks as ``validate`` (every configuration suite and
    the contract check) write the file ``validate --baseline-update`` writes, byte for byte."""
    by_pytest = pytest_run(project, *SUITES, "--gc-baseline", "p.json", "--gc-baseline-update")
    assert by_pytest.returncode == 1, by_pytest.stdout + by_pytest.stderr
    by_cli = cli(project, "validate", "--baseline", "c.json", "--baseline-update")
    assert by_cli.returncode == 1, by_cli.stdout + by_cli.stderr
    assert written(project / "c.json") == ENTRIES
    assert (project / "c.json").read_bytes() == (project / "p.json").read_bytes()


def test_the_configuration_suites_alone_write_all_but_the_contract_stage(project: Path) -> None:
    """``pytest suites/configurations`` does not run the contract check, so by design its
    file lacks the ``contract`` entries the command line writes, and nothing else differs."""
    done = pytest_run(project, SUITES[0], "--gc-baseline", "p.json", "--gc-baseline-update")
    assert done.returncode == 1, done.stdout + done.stderr
    assert cli(project, "validate", "--baseline", "c.json", "--baseline-update").returncode == 1
    by_cli = json.loads((project / "c.json").read_text(encoding="utf-8"))
    by_pytest = json.loads((project / "p.json").read_text(encoding="utf-8"))
    assert by_pytest["findings"] == [e for e in by_cli["findings"] if e["stage"] != "contract"]
    assert [e["stage"] for e in by_cli["findings"]].count("contract") == 1


def test_each_judges_against_the_others_file_alike(project: Path) -> None:
    """A file written by the command line passes pytest, and pytest's passes the command line,
    with the same SARIF; a narrower pytest run keeps the contract entries it did not check."""
    baselined(project)
    by_pytest = pytest_run(project, *SUITES, *("--gc-baseline", BASELINE, "--gc-sarif", "p.sarif"))
    assert by_pytest.returncode == 0, by_pytest.stdout + by_pytest.stderr
    by_cli = cli(project, "validate", *USE, "--sarif", "c.sarif")
    assert by_cli.returncode == 0, by_cli.stdout + by_cli.stderr
    assert _log(project / "p.sarif") == _log(project / "c.sarif")

    narrow = pytest_run(project, SUITES[0], "--gc-baseline", BASELINE, "--gc-baseline-update")
    assert narrow.returncode == 0, narrow.stdout + narrow.stderr
    assert written(project / BASELINE) == ENTRIES
    assert cli(project, "validate", *USE).returncode == 0


def _log(path: Path) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return log
