"""``genesys-compliance plan``: the same plan as ``pytest --gc-plan``, read-only, SPEC 9's exits."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BAD_LAYOUT = """\
apiVersion: genesys-compliance/v1
kind: DesktopLayout
metadata: {name: broken-grid}
spec:
  name: Broken grid
  grid: {columns: 4, rows: 4}
  widgets:
    - {widget_type: queue-widget, id: a, position: {x: 3, y: 0, width: 3, height: 2}}
"""


def plan(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it, in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "genesys_compliance.cli", "plan", *args],
        cwd=root,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "fixtures" / "configs", tmp_path / "fixtures" / "configs")
    shutil.copytree(REPO / "fixtures" / "org", tmp_path / "fixtures" / "org")
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\n", encoding="utf-8")
    return tmp_path


def test_the_plan_is_written_the_same_twice_and_exits_0(project):
    first = plan(project)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("plan: ")
    assert "plan written to reports/plan.json" in first.stdout
    written = (project / "reports" / "plan.json").read_bytes()
    again = plan(project, "--out", "again.json", "--json")
    assert again.returncode == 0, again.stderr
    assert (project / "again.json").read_bytes() == written
    assert json.loads(again.stdout) == json.loads(written)
    summary = json.loads(written)["summary"]
    assert sum(summary.values()) == 12  # every example configuration planned


def test_a_failing_configuration_is_not_planned_and_exits_1(project):
    (project / "fixtures" / "configs" / "layouts" / "broken.yaml").write_text(
        BAD_LAYOUT, encoding="utf-8"
    )
    done = plan(project, "--json")
    assert done.returncode == 1, done.stderr
    [refused] = json.loads(done.stdout)["notPlanned"]
    assert (refused["name"], refused["reasons"]) == ("broken-grid", ["layout/grid-bounds"])


def test_a_live_org_without_credentials_exits_4_naming_the_variables(project):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENESYSCLOUD_")}
    done = subprocess.run(
        [sys.executable, "-m", "genesys_compliance.cli", "plan", "--org", "live"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 4
    assert "GENESYSCLOUD_OAUTHCLIENT_ID" in done.stderr
    assert not (project / "reports" / "plan.json").exists()


def test_pytest_and_the_command_line_write_the_same_plan(project):
    shutil.copytree(REPO / "suites" / "configurations", project / "suites")
    assert plan(project, "--out", "cli.json").returncode == 0
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "suites", "-q", "-p", "no:cacheprovider",
         "-p", "no:schemathesis", "--gc-plan", "pytest.json"],
        cwd=project, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:]
    assert (project / "pytest.json").read_bytes() == (project / "cli.json").read_bytes()
