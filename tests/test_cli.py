"""The command line: ``validate`` (alias ``check``) over files and folders, its exit codes
(SPEC 9: 0 nothing failed, 1 error findings, 2 usage error), its counts and ``--json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sysconfig
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from genesys_compliance.cli import main

GOOD = """\
apiVersion: genesys-compliance/v1
kind: DesktopLayout
metadata:
  name: {name}
spec:
  name: Agent
  grid: {{columns: 24, rows: 16}}
  widgets: []
"""
TWO_CONFIGS = GOOD.format(name="agent-a") + "---\n" + GOOD.format(name="agent-b")
OVERLAP = """\
apiVersion: genesys-compliance/v1
kind: DesktopLayout
metadata:
  name: wall-board
spec:
  name: Wall board
  grid: {columns: 4, rows: 4}
  widgets:
    - {widget_type: queue-widget, id: a, position: {x: 0, y: 0, width: 2, height: 2}}
    - {widget_type: queue-widget, id: b, position: {x: 1, y: 1, width: 2, height: 2}}
"""
WARNING_POLICY = "[tool.genesys-compliance]\nmax-load-impact = 0.25\n"  # 2 x 0.15 = 0.30
TWO_WIDGETS = """\
apiVersion: genesys-compliance/v1
kind: DesktopLayout
metadata:
  name: board{waivers}
spec:
  name: Board
  grid: {{columns: 4, rows: 4}}
  widgets:
    - {{widget_type: queue-widget, id: a, position: {{x: 0, y: 0, width: 1, height: 1}}}}
    - {{widget_type: queue-widget, id: b, position: {{x: 1, y: 0, width: 1, height: 1}}}}
"""
WAIVED = (
    "\n  waivers:\n    - {rule: layout/overlap, reason: Reviewed by CX ops, expires: 2099-12-31}"
)


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def cli(root: Path, *args: str) -> Result:
    """Run the command line from ``root`` (the default --root)."""
    cwd = Path.cwd()
    os.chdir(root)
    try:
        return CliRunner().invoke(main, list(args), prog_name="genesys-compliance")
    finally:
        os.chdir(cwd)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project with two compliant files (three configurations) in the default folder."""
    write(
        tmp_path,
        {
            "fixtures/configs/a.yaml": TWO_CONFIGS,
            "fixtures/configs/sub/c.json": json.dumps(
                {
                    "apiVersion": "genesys-compliance/v1",
                    "kind": "DesktopLayout",
                    "metadata": {"name": "agent-c"},
                    "spec": {"name": "Agent", "grid": {"columns": 24, "rows": 16}, "widgets": []},
                }
            ),
            "fixtures/configs/notes.txt": "not a configuration",
        },
    )
    return tmp_path


# -- exit codes ------------------------------------------------------------------------------


def test_a_compliant_default_folder_exits_0_and_says_what_was_checked(project):
    result = cli(project, "validate")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "checked 3 configuration(s) in 2 file(s)",
        "no findings: every configuration checked complies",
    ]


def test_the_contract_check_runs_as_in_the_pytest_suites(project):
    """A payload the models accept but the API contract rejects fails here as in pytest."""
    write(
        project,
        {
            "fixtures/configs/no-widgets.yaml": GOOD.format(name="bare").replace(
                "  widgets: []\n", ""
            )
        },
    )
    result = cli(project, "validate", "fixtures/configs/no-widgets.yaml")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (
        "fixtures/configs/no-widgets.yaml:5  config/schema  "
        "API contract: spec.widgets: required property is missing"
    )


def test_an_error_finding_exits_1(project):
    write(project, {"fixtures/configs/bad.yaml": OVERLAP})
    result = cli(project, "validate")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        "fixtures/configs/bad.yaml:10  layout/overlap  widget 'b' overlaps widget 'a' at cell "
        "(x=1, y=1)",
        "checked 4 configuration(s) in 3 file(s)",
        "1 finding(s), 1 failing",
    ]


def test_a_warning_exits_0_unless_strict(tmp_path):
    write(tmp_path, {"pyproject.toml": WARNING_POLICY, "c/w.yaml": TWO_WIDGETS.format(waivers="")})
    relaxed, strict = cli(tmp_path, "validate", "c"), cli(tmp_path, "validate", "c", "--strict")
    assert (relaxed.exit_code, strict.exit_code) == (0, 1)
    assert "layout/load-impact [warning]" in relaxed.stdout
    assert "checked 1 configuration(s) in 1 file(s)" in relaxed.stdout


def test_a_bad_option_exits_2(project):
    result = cli(project, "validate", "--no-such-option")
    assert result.exit_code == 2
    assert "No such option" in result.stderr
    assert "--no-such-option" in result.stderr
    assert result.stdout == ""


# -- nothing to check is a usage error -------------------------------------------------------


def test_a_missing_default_folder_is_a_usage_error_naming_it(tmp_path):
    result = cli(tmp_path, "validate")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert (
        f"Error: no paths given, and the default folder {tmp_path}/fixtures/configs does not "
        "exist; name the configuration files or folders to check"
    ) in result.stderr


def test_the_default_folder_is_under_root(project, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    result = cli(elsewhere, "validate", "--root", str(project))
    assert result.exit_code == 0, result.output
    assert "checked 3 configuration(s) in 2 file(s)" in result.stdout


@pytest.mark.parametrize(
    "files",
    [
        pytest.param({}, id="empty"),
        pytest.param({"empty/notes.txt": "x", "empty/.hidden.yaml": GOOD}, id="no-config-suffix"),
    ],
)
def test_a_folder_without_configuration_files_is_a_usage_error_naming_it(tmp_path, files):
    (tmp_path / "empty").mkdir()
    write(tmp_path, files)
    result = cli(tmp_path, "validate", "empty")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert (
        f"Error: no configuration files (.yaml, .yml, .json) under {tmp_path}/empty"
        in result.stderr
    )


def test_each_folder_named_must_hold_configuration(project):
    (project / "empty").mkdir()
    result = cli(project, "validate", "fixtures/configs", "empty")
    assert result.exit_code == 2
    assert f"under {project}/empty" in result.stderr


def test_a_path_that_does_not_exist_is_a_usage_error(project):
    result = cli(project, "validate", "missing.yaml")
    assert result.exit_code == 2
    assert f"Error: {project}/missing.yaml: no such file or folder" in result.stderr


# -- single files (pre-commit hooks) ---------------------------------------------------------


def test_single_files_are_checked_and_counted(project):
    write(project, {"bad.yml": OVERLAP})
    result = cli(project, "check", "fixtures/configs/a.yaml", "bad.yml")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("bad.yml:10  layout/overlap  ")
    assert lines[1] == "checked 3 configuration(s) in 2 file(s)"


def test_a_single_json_file_passes(project):
    result = cli(project, "validate", "fixtures/configs/sub/c.json")
    assert result.exit_code == 0, result.output
    assert "checked 1 configuration(s) in 1 file(s)" in result.stdout


def test_a_file_named_twice_or_inside_a_folder_named_is_read_once(project):
    result = cli(
        project,
        "validate",
        "fixtures/configs/a.yaml",
        "fixtures/configs",
        "./fixtures/configs/a.yaml",
    )
    assert result.exit_code == 0, result.output
    assert "checked 3 configuration(s) in 2 file(s)" in result.stdout


@pytest.mark.parametrize("name", ["notes.txt", "a.yaml.bak", "Makefile"])
def test_a_file_of_another_type_named_explicitly_is_a_usage_error(project, name):
    write(project, {name: "x"})
    result = cli(project, "validate", "fixtures/configs/a.yaml", name)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert (
        f"Error: {project}/{name} is not a configuration file: expected a name ending in "
        ".yaml, .yml, .json"
    ) in result.stderr


def test_a_file_outside_root_is_named_by_its_absolute_path(project, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "bad.yaml"
    outside.write_text(OVERLAP, encoding="utf-8")
    result = cli(project, "validate", str(outside))
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{outside}:10  layout/overlap  ")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs and symlinks are POSIX")
def test_hostile_single_files_are_findings_not_crashes(tmp_path):
    os.mkfifo(tmp_path / "p.yaml")
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    (tmp_path / "self.yaml").symlink_to("self.yaml")
    (tmp_path / "dangling.yaml").symlink_to("/nonexistent/x.yaml")
    names = ["p.yaml", "zero.yaml", "self.yaml", "dangling.yaml"]
    result = cli(tmp_path, "validate", "--json", *names)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    report = json.loads(result.stdout)
    assert sorted((f["file"], f["rule"], f["line"]) for f in report["findings"]) == [
        (name, "config/parse", 1) for name in sorted(names)
    ]
    assert report["counts"]["files"] == 4


# -- --json ----------------------------------------------------------------------------------


def test_json_is_one_document_with_findings_and_counts(tmp_path):
    write(
        tmp_path,
        {
            "pyproject.toml": WARNING_POLICY,
            "c/overlap.yaml": OVERLAP,
            "c/waived.yaml": OVERLAP.replace("name: wall-board", "name: waived" + WAIVED),
            "c/warn.yaml": TWO_WIDGETS.format(waivers=""),
        },
    )
    result = cli(tmp_path, "validate", "c", "--json", "--sarif", "out/findings.sarif")
    assert result.exit_code == 1
    report = json.loads(result.stdout)  # nothing but the document on stdout
    assert report["exitCode"] == 1
    assert report["counts"] == {
        "files": 3,
        "configurations": 3,
        "findings": 5,
        "failing": 1,
        "errors": 1,
        "warnings": 3,
        "waived": 1,
    }
    assert [
        (f["file"], f["line"], f["rule"], f["severity"], f["waived"], f["waiverReason"])
        for f in report["findings"]
    ] == [
        ("c/overlap.yaml", 8, "layout/load-impact", "warning", False, None),
        ("c/overlap.yaml", 10, "layout/overlap", "error", False, None),
        ("c/waived.yaml", 10, "layout/load-impact", "warning", False, None),
        ("c/waived.yaml", 12, "layout/overlap", "error", True, "Reviewed by CX ops"),
        ("c/warn.yaml", 8, "layout/load-impact", "warning", False, None),
    ]
    overlap = report["findings"][1]
    assert overlap["message"] == "widget 'b' overlaps widget 'a' at cell (x=1, y=1)"
    assert overlap["config"] == "overlap.yaml::wall-board"
    assert (tmp_path / "out" / "findings.sarif").is_file()


def test_json_keeps_the_exit_code_of_the_text_output(project):
    result = cli(project, "validate", "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["exitCode"] == 0
    assert report["findings"] == []
    assert report["counts"]["files"] == 2
    assert report["counts"]["configurations"] == 3


def test_json_with_strict_fails_on_warnings(tmp_path):
    write(tmp_path, {"pyproject.toml": WARNING_POLICY, "c/w.yaml": TWO_WIDGETS.format(waivers="")})
    result = cli(tmp_path, "validate", "c", "--json", "--strict")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert (report["strict"], report["exitCode"], report["counts"]["failing"]) == (True, 1, 1)


def test_json_usage_errors_keep_stdout_empty(tmp_path):
    result = cli(tmp_path, "validate", "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "default folder" in result.stderr


# -- names, policy, outputs ------------------------------------------------------------------


def test_validate_and_its_alias_check_give_the_same_result(project):
    write(project, {"fixtures/configs/bad.yaml": OVERLAP})
    validate, check = cli(project, "validate"), cli(project, "check")
    assert (validate.exit_code, check.exit_code) == (1, 1)
    assert validate.stdout == check.stdout
    listing = [line.split(None, 1) for line in cli(project, "--help").stdout.splitlines()]
    assert ["validate", "Check configuration files and folders (alias: check)."] in listing
    assert ["check", "Alias of validate."] in listing


def test_a_broken_policy_is_a_usage_error(project):
    write(project, {"pyproject.toml": "[tool.genesys-compliance]\nmax-widgetz = 3\n"})
    result = cli(project, "validate")
    assert result.exit_code == 2
    assert "max-widgetz: Extra inputs are not permitted" in result.stderr


def test_config_names_the_policy_file(tmp_path):
    write(tmp_path, {"policy.toml": WARNING_POLICY, "c/w.yaml": TWO_WIDGETS.format(waivers="")})
    assert cli(tmp_path, "validate", "c", "--strict").exit_code == 0
    assert cli(tmp_path, "validate", "c", "--strict", "--config", "policy.toml").exit_code == 1


def test_an_unwritable_sarif_path_is_a_usage_error(project):
    write(project, {"blocker": "a file where a folder should be"})
    result = cli(project, "validate", "--sarif", "blocker/findings.sarif")
    assert result.exit_code == 2
    assert "Error: cannot write SARIF to blocker/findings.sarif: " in result.stderr


def test_the_installed_entry_point_runs(project, tmp_path_factory):
    nowhere = tmp_path_factory.mktemp("nowhere")
    script = Path(sysconfig.get_path("scripts")) / "genesys-compliance"
    done = subprocess.run(
        [str(script), "validate", "--json", "fixtures/configs/a.yaml"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["counts"]["configurations"] == 2
    empty = subprocess.run(
        [str(script), "check"], cwd=nowhere, capture_output=True, text=True, check=False
    )
    assert empty.returncode == 2
    assert "default folder" in empty.stderr


# -- finding the project: the nearest pyproject.toml, its folders (SPEC 9) -----------------------


def test_the_nearest_pyproject_above_the_working_directory_is_the_project(tmp_path):
    """Run from a subfolder: the policy is the project's and paths are the root's, as in pytest."""
    write(tmp_path, {"pyproject.toml": WARNING_POLICY, "c/w.yaml": TWO_WIDGETS.format(waivers="")})
    result = cli(tmp_path / "c", "validate", ".", "--strict")
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines()[0].startswith("c/w.yaml:8  layout/load-impact [warning]")


def test_root_still_names_the_project(tmp_path, tmp_path_factory):
    write(tmp_path, {"pyproject.toml": WARNING_POLICY, "c/w.yaml": TWO_WIDGETS.format(waivers="")})
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    write(elsewhere, {"pyproject.toml": ""})
    result = cli(elsewhere, "validate", str(tmp_path / "c"), "--root", str(tmp_path), "--strict")
    assert result.exit_code == 1, result.output
    assert result.stdout.startswith("c/w.yaml:8  layout/load-impact [warning]")


def test_config_dirs_name_the_folders_to_check_when_none_are_named(project):
    write(
        project,
        {
            "pyproject.toml": '[tool.genesys-compliance]\nconfig-dirs = ["genesys", "more"]\n',
            "genesys/bad.yaml": OVERLAP,
            "more/a.yaml": GOOD.format(name="agent-m"),
        },
    )
    result = cli(project / "more", "validate")  # found from a subfolder too
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines()[:2] == [
        "genesys/bad.yaml:10  layout/overlap  widget 'b' overlaps widget 'a' at cell (x=1, y=1)",
        "checked 2 configuration(s) in 2 file(s)",  # not fixtures/configs
    ]


def test_the_pytest_ini_folders_of_pyproject_are_read_too(project):
    write(
        project,
        {
            "pyproject.toml": '[tool.pytest.ini_options]\ngc_config_dirs = ["genesys"]\n',
            "genesys/bad.yaml": OVERLAP,
        },
    )
    result = cli(project, "validate")
    assert result.exit_code == 1, result.output
    assert "checked 1 configuration(s) in 1 file(s)" in result.stdout


def test_config_dirs_win_over_the_pytest_ini_as_in_the_plugin(project):
    write(
        project,
        {
            "pyproject.toml": '[tool.genesys-compliance]\nconfig-dirs = ["genesys"]\n\n'
            '[tool.pytest.ini_options]\ngc_config_dirs = ["fixtures/configs"]\n',
            "genesys/bad.yaml": OVERLAP,
        },
    )
    assert "checked 1 configuration(s) in 1 file(s)" in cli(project, "validate").stdout


def test_config_dirs_of_a_config_file_are_relative_to_that_file(project, tmp_path_factory):
    settings = tmp_path_factory.mktemp("settings")
    write(
        settings,
        {
            "policy.toml": '[tool.genesys-compliance]\nconfig-dirs = ["configs"]\n',
            "configs/bad.yaml": OVERLAP,
        },
    )
    result = cli(project, "validate", "--config", str(settings / "policy.toml"))
    assert result.exit_code == 1, result.output
    assert "checked 1 configuration(s) in 1 file(s)" in result.stdout


def test_a_configured_folder_that_does_not_exist_is_a_usage_error_naming_it(project):
    write(project, {"pyproject.toml": '[tool.genesys-compliance]\nconfig-dirs = ["gone"]\n'})
    result = cli(project, "validate")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert (
        f"Error: no paths given, and the configured folder(s) {project}/gone (config-dirs or "
        f"gc_config_dirs in {project}/pyproject.toml) do not exist"
    ) in result.stderr


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        pytest.param(
            'rule = ["acme.rules"]',
            "rule: Extra inputs are not permitted (did you mean 'rules'?)",
            id="near-miss",
        ),
        pytest.param(
            'config-dir = ["c"]',
            "config-dir: Extra inputs are not permitted (did you mean 'config-dirs'?)",
            id="singular",
        ),
        pytest.param(
            'rules = ["acme rules"]',
            "rules: Value error, 'acme rules' is not a module",
            id="bad-reference",
        ),
        pytest.param(
            'rules = ["acme_cli_nowhere"]',
            "rules: cannot import acme_cli_nowhere",
            id="missing-module",
        ),
    ],
)
def test_a_bad_project_setting_is_a_usage_error(project, table, expected):
    write(project, {"pyproject.toml": f"[tool.genesys-compliance]\n{table}\n"})
    result = cli(project, "validate")
    assert result.exit_code == 2
    assert expected in result.stderr
