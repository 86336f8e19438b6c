"""``genesys-compliance export`` run as a user runs it: a process against a served org.

The other export tests drive the command in process; this one goes through the
console entry point, the environment's credentials and real HTTP, and closes
the loop a team adopting the tool walks: export the org, then plan and drift
the export against the same org and find nothing to change.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from tests.test_cli_apply import as_json, cli, live, served

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project holding the simulated org's seed, which ``serve-org`` serves."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "fixtures" / "org", root / "fixtures" / "org")
    (root / "pyproject.toml").write_text("[tool.genesys-compliance]\n", encoding="utf-8")
    return root


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def test_an_export_of_a_served_org_plans_and_drifts_as_nothing(project: Path) -> None:
    with served(project) as url:
        env = live(url)
        first = cli(project, "export", "--org", "live", "--out", "export-1", env=env)
        assert first.returncode == 0, first.stdout + first.stderr
        again = cli(project, "export", "--org", "live", "--out", "export-2", "--json", env=env)
        assert again.returncode == 0, again.stderr
        report = as_json(again)
        assert report["exitCode"] == 0
        assert sum(report["counts"].values()) > 0
        assert _digest(project / "export-1") == _digest(project / "export-2")

        plan = cli(project, "plan", "export-1", "--org", "live", "--json", env=env)
        assert plan.returncode == 0, plan.stdout + plan.stderr
        actions = {r["action"] for r in as_json(plan)["resources"]}
        assert actions == {"no-op"}, actions

        drift = cli(project, "drift", "export-1", "--org", "live", "--json", env=env)
        assert drift.returncode == 0, drift.stdout + drift.stderr


def test_export_without_credentials_exits_4_and_names_the_variables(project: Path) -> None:
    done = cli(project, "export", "--org", "live", "--out", "out")
    assert done.returncode == 4, done.stdout + done.stderr
    assert "GENESYSCLOUD_OAUTHCLIENT_ID" in done.stderr
    assert not (project / "out").exists()
