"""``genesys-compliance drift``: the nightly check on the command line, each exit code of SPEC 9.

In process through click's runner on the command itself, and once as a
process, as a nightly job runs it, against the simulated org served over HTTP
(the live path: credentials from the environment).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from genesys_compliance.cli._drift import drift
from tests.drift._support import (
    COLLEAGUE,
    CONFIGS,
    ESCALATION,
    ESCALATION_FILE,
    REPO,
    RUN_SECRET,
    Served,
    edit_routing_rule,
    line_of,
    served,
)
from tests.simorg._served import env as child_env

NO_CREDENTIALS = {
    "GENESYSCLOUD_OAUTHCLIENT_ID": None,
    "GENESYSCLOUD_OAUTHCLIENT_SECRET": None,
    "GENESYSCLOUD_REGION": None,
    "GENESYSCLOUD_API_BASE_URL": None,
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project as users have one: configurations, the simulated org's data, a pyproject."""
    root = tmp_path / "project"
    shutil.copytree(CONFIGS, root / "fixtures" / "configs")
    shutil.copytree(REPO / "fixtures" / "org", root / "fixtures" / "org")
    (root / "pyproject.toml").write_text("[tool.pytest.ini_options]\n", encoding="utf-8")
    return root


@pytest.fixture
def org(tmp_path: Path) -> Iterator[Served]:
    with served(tmp_path / "audit") as found:
        yield found


def invoke(project: Path, *args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(drift, ["--root", str(project), *args], env=env)


def test_an_org_that_holds_what_git_states_exits_0(project, org):
    result = invoke(project, "--org", "live", env={**NO_CREDENTIALS, **org.env()})
    assert result.exit_code == 0, result.output
    assert "drift: 0 field(s) differ and 0 resource(s) are missing" in result.output


def test_a_colleagues_change_exits_1_naming_the_field_and_the_colleague(project, org):
    edit_routing_rule(org.colleague, ESCALATION, lambda rule: rule.update(priority=17))
    sarif = project / "out" / "drift.sarif"
    result = invoke(project, "--org", "live", "--json", "--sarif", str(sarif), env=org.env())
    assert result.exit_code == 1, result.output
    document = json.loads(result.output)
    assert document["exitCode"] == 1
    [difference] = document["differences"]
    priority = line_of(ESCALATION_FILE, "priority: 10")
    assert (difference["file"], difference["line"], difference["pointer"]) == (
        ESCALATION_FILE,
        priority,
        "/spec/priority",
    )
    assert (difference["git"], difference["org"], difference["changedBy"]) == (10, 17, COLLEAGUE)
    assert difference["changedAt"]
    assert [f["rule"] for f in document["findings"]].count("org/drift") == 1
    log = json.loads(sarif.read_text(encoding="utf-8"))
    [result_] = [r for r in log["runs"][0]["results"] if r["ruleId"] == "org/drift"]
    region = result_["locations"][0]["physicalLocation"]
    assert (region["artifactLocation"]["uri"], region["region"]["startLine"]) == (
        ESCALATION_FILE,
        priority,
    )
    assert COLLEAGUE in result_["message"]["text"]
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is True


def test_the_text_lists_each_finding_and_a_summary(project, org):
    edit_routing_rule(org.colleague, ESCALATION, lambda rule: rule.update(priority=17))
    result = invoke(project, "--org", "live", env=org.env())
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(
        line.startswith(f"{ESCALATION_FILE}:10  org/drift  /spec/priority: git has 10")
        for line in lines
    ), result.output
    assert any("org/unmanaged [warning]" in line for line in lines)
    assert "drift: 1 field(s) differ and 0 resource(s) are missing, in 1 of 12" in result.output


def test_unmanaged_resources_fail_only_with_strict(project, org):
    assert invoke(project, "--org", "live", env=org.env()).exit_code == 0
    assert invoke(project, "--org", "live", "--strict", env=org.env()).exit_code == 1


def test_a_configuration_that_cannot_be_compared_never_exits_0(project, org):
    broken = project / "fixtures" / "configs" / "layouts" / "supervisor.yaml"
    broken.write_text(
        broken.read_text(encoding="utf-8").replace("columns: 24", "columns: 99"), encoding="utf-8"
    )
    sarif = project / "drift.sarif"
    result = invoke(project, "--org", "live", "--json", "--sarif", str(sarif), env=org.env())
    assert result.exit_code == 1
    document = json.loads(result.output)
    assert document["differences"] == []
    [gap] = document["notChecked"]
    assert gap.startswith("DesktopLayout supervisor (fixtures/configs/layouts/supervisor.yaml)")
    assert gap.endswith("was not compared with the org: it fails layout/grid-size")
    log = json.loads(sarif.read_text(encoding="utf-8"))
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is False


def test_the_default_simulated_org_differs_from_the_examples_and_exits_1(project):
    result = invoke(project, env=NO_CREDENTIALS)
    assert result.exit_code == 1
    assert "org/drift" in result.output


def test_a_path_that_does_not_exist_exits_2(project):
    result = invoke(project, str(project / "nowhere"))
    assert result.exit_code == 2
    assert "no such file or folder" in result.output


def test_missing_credentials_exit_4_naming_the_variables(project):
    result = invoke(project, "--org", "live", env=NO_CREDENTIALS)
    assert result.exit_code == 4
    assert "GENESYSCLOUD_OAUTHCLIENT_ID" in result.output


def test_refused_credentials_exit_4_without_the_secret(project, org):
    wrong = "not-the-secret-7Qx2Lm9Za4"
    result = invoke(project, "--org", "live", env=org.env(wrong))
    assert result.exit_code == 4
    assert "refused the credentials" in result.output
    assert wrong not in result.output
    assert RUN_SECRET not in result.output


def test_as_a_process_it_names_the_colleague_and_never_the_secret(project, org):
    edit_routing_rule(org.colleague, ESCALATION, lambda rule: rule.update(priority=17))
    # `drift` joins the command group when cli/__init__ imports its module; importing it here
    # first keeps this test independent of that line.
    launcher = (
        "import genesys_compliance.cli._drift; from genesys_compliance.cli import main; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", launcher, "drift", "--org", "live"],
        cwd=project,
        env={**child_env(), **org.env()},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert f"changed by {COLLEAGUE} at " in done.stdout
    assert RUN_SECRET not in done.stdout + done.stderr
