"""SPEC 9's command line, run as processes: help, serve-org, --json, --sarif, progress.

Every test starts ``genesys-compliance`` the way a user or a pipeline does
(``python -m genesys_compliance.cli``, or the console script), so what is
checked is what they get: the exit status, standard output and the files.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import httpx
import pytest
from jsonschema.validators import validator_for

from genesys_compliance.cli import main
from tests.api_support import CI_CLIENT, CI_SECRET
from tests.served import start_served_org

REPO = Path(__file__).resolve().parents[1]
SARIF_SCHEMA = json.loads((REPO / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
BROKEN_LAYOUT = """\
apiVersion: genesys-compliance/v1
kind: DesktopLayout
metadata: {name: broken-grid}
spec:
  name: Broken grid
  grid: {columns: 4, rows: 4}
  widgets:
    - {widget_type: queue-widget, id: a, position: {x: 3, y: 0, width: 3, height: 2}}
"""


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command line a user can ask ``--help`` of: the group, its groups, their commands."""
    yield prefix
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))
        else:
            yield (*prefix, name)


COMMANDS = list(_commands(main))


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENESYSCLOUD_")}
    plugins = str(REPO / "plugins")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (plugins, env.get("PYTHONPATH", "")) if p)
    env.update(values)
    return env


def cli(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m genesys_compliance.cli ARGS`` in ``root``, in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "genesys_compliance.cli", *args],
        cwd=root,
        env=_env(**env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(REPO / "fixtures" / "configs", root / "fixtures" / "configs")
    shutil.copytree(REPO / "fixtures" / "org", root / "fixtures" / "org")
    (root / "pyproject.toml").write_text("[tool.pytest.ini_options]\n", encoding="utf-8")
    return root


def test_every_command_is_listed() -> None:
    listed = {command[0] for command in COMMANDS if command}
    assert {"validate", "check", "plan", "apply", "audit", "serve-org", "report", "rules"} <= listed


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "genesys-compliance")
def test_help_explains_each_command_with_an_example(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    done = cli(tmp_path, *command, "--help")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Usage: "), done.stdout
    headings = [i for i, line in enumerate(lines) if line.strip() in ("Example:", "Examples:")]
    assert headings, f"no example in the help of {' '.join(command) or 'the group'}"
    # click kept the example's lines as written (a \b block): one command per line
    block = lines[headings[0] + 1 :]
    example = block[: block.index("")] if "" in block else block
    assert example, done.stdout
    assert all(line.startswith("    ") for line in example), example
    assert any(line.lstrip().startswith("genesys-compliance ") for line in example), example


def test_the_console_script_is_the_same_command(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("genesys-compliance")
    if not script.exists():
        pytest.skip("the console script is not installed next to this interpreter")
    done = subprocess.run(
        [str(script), "--help"], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "serve-org" in done.stdout
    assert "apply" in done.stdout


@contextlib.contextmanager
def serve_org(root: Path, *args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``serve-org --port 0 ARGS``: the process and the URL its first line names."""
    with start_served_org(root, args, _env()) as (server, url):
        try:
            yield server, url
        finally:
            if server.poll() is None:
                server.kill()
                server.communicate(timeout=60)


def test_serve_org_serves_the_seed_over_http_and_stops_cleanly(project: Path) -> None:
    with serve_org(project) as (server, url):
        token = httpx.post(
            f"{url}/oauth/token",
            auth=(CI_CLIENT, CI_SECRET),
            data={"grant_type": "client_credentials"},
            timeout=30,
        )
        assert token.status_code == 200, token.text
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        flows = httpx.get(f"{url}/api/v2/architect/flows", headers=bearer, timeout=30)
        assert flows.status_code == 200, flows.text
        assert flows.json()["entities"]  # the seed's flows
        assert httpx.get(f"{url}/_simorg/faults", timeout=30).status_code == 404  # no --control
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0


def test_serve_org_takes_its_seed_from_seed(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    shutil.move(project / "fixtures" / "org", elsewhere)
    missing = cli(project, "serve-org", "--port", "0")
    assert missing.returncode == 2
    assert "no simulated org data at" in missing.stderr
    with serve_org(project, "--seed", str(elsewhere), "--control") as (_, url):
        assert httpx.get(f"{url}/_simorg/faults", timeout=30).status_code == 200


@pytest.mark.parametrize(
    "args",
    [
        ("validate",),
        ("check", "--strict"),
        ("plan",),
        ("apply",),
        ("apply", "--rollback"),
        ("rules", "--json"),
    ],
    ids=" ".join,
)
def test_json_is_one_document_on_standard_output(project: Path, args: tuple[str, ...]) -> None:
    if args == ("apply", "--rollback"):
        _interrupted_journal(project)
    done = cli(project, *args, "--json")
    assert done.returncode == 0, done.stderr
    document: Any = json.loads(done.stdout)  # one document and nothing after it
    if args[0] == "rules":
        assert {rule["id"] for rule in document} >= {"layout/grid-bounds", "org/reference"}
    elif args[0] == "plan":
        assert document["format"] == "genesys-compliance/plan/v1"
    else:
        assert document["exitCode"] == 0
    assert done.stderr == ""  # and nothing said beside it


def test_audit_verify_json_is_one_document(project: Path) -> None:
    assert cli(project, "apply").returncode == 0
    done = cli(project, "audit", "verify", "reports/audit", "--json")
    assert done.returncode == 0, done.stdout
    assert json.loads(done.stdout)["problem"] is None


def _interrupted_journal(root: Path) -> None:
    """An apply's journal with its ``begin`` and no ``end``: a run killed before its first write."""
    folder = root / "reports" / "audit"
    folder.mkdir(parents=True)
    begin = {"type": "begin", "format": "genesys-compliance/journal/v1", "run": "r" * 32,
             "force": False, "steps": []}  # fmt: skip
    (folder / "journal.jsonl").write_text(json.dumps(begin) + "\n", encoding="utf-8")


@pytest.mark.parametrize("command", ["validate", "plan", "apply"])
def test_sarif_is_valid_sarif_2_1_0_with_the_checks_findings(project: Path, command: str) -> None:
    (project / "fixtures" / "configs" / "layouts" / "broken.yaml").write_text(
        BROKEN_LAYOUT, encoding="utf-8"
    )
    done = cli(project, command, "--sarif", "out/gc.sarif")
    assert done.returncode == 1, done.stdout + done.stderr
    log = json.loads((project / "out" / "gc.sarif").read_text(encoding="utf-8"))
    validator_for(SARIF_SCHEMA)(SARIF_SCHEMA).validate(log)
    [run] = log["runs"]
    [result] = [r for r in run["results"] if r["ruleId"] == "layout/grid-bounds"]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "fixtures/configs/layouts/broken.yaml"


def test_an_unwritable_sarif_path_is_a_usage_error(project: Path) -> None:
    (project / "taken").write_text("a file, not a folder", encoding="utf-8")
    done = cli(project, "plan", "--sarif", "taken/gc.sarif")
    assert done.returncode == 2
    assert "cannot write SARIF" in done.stderr


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_config_names_the_policy_of_an_org_command(
    project: Path, tmp_path: Path, command: str
) -> None:
    strict = tmp_path / "strict.toml"
    strict.write_text("[tool.genesys-compliance]\nmax-widgets = 1\n", encoding="utf-8")
    done = cli(project, command, "--config", str(strict), "--json")
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    plan = document if command == "plan" else document["plan"]
    assert any("layout/widget-limit" in r["reasons"] for r in plan["notPlanned"])


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_org_commands_take_org_and_refuse_another(project: Path, command: str) -> None:
    done = cli(project, command, "--org", "staging")
    assert done.returncode == 2
    assert "'staging' is not one of 'mock', 'live'" in done.stderr


def test_plan_exits_4_when_the_org_cannot_be_reached(project: Path) -> None:
    done = cli(
        project,
        "plan",
        "--org",
        "live",
        GENESYSCLOUD_API_BASE_URL="http://127.0.0.1:9",  # the discard port: nobody answers
        GENESYSCLOUD_OAUTHCLIENT_ID=CI_CLIENT,
        GENESYSCLOUD_OAUTHCLIENT_SECRET=CI_SECRET,
    )
    assert done.returncode == 4, done.stdout + done.stderr
    assert CI_SECRET not in done.stdout + done.stderr


def _on_a_terminal(root: Path, *args: str) -> str:
    """Run the command with a pseudo-terminal as its standard output; what it drew there."""
    primary, secondary = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "genesys_compliance.cli", *args],
        cwd=root,
        env=_env(COLUMNS="120", TERM="xterm"),
        stdin=subprocess.DEVNULL,
        stdout=secondary,
        stderr=subprocess.PIPE,
    ) as child:
        os.close(secondary)
        chunks: list[bytes] = []
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            ready, _, _ = select.select([primary], [], [], 1)
            if not ready:
                if child.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(primary, 65536)
            except OSError as error:  # Linux: EIO once the child closed the terminal
                if error.errno != errno.EIO:
                    raise
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(primary)
        child.wait(timeout=60)
    assert child.returncode == 0, child.stderr.read() if child.stderr else ""
    return b"".join(chunks).decode("utf-8", errors="replace")


def test_progress_is_a_bar_on_a_terminal_and_plain_lines_elsewhere(project: Path) -> None:
    drawn = _on_a_terminal(project, "apply")
    assert "applying" in drawn, drawn
    assert "[#" in drawn, drawn  # click's bar
    assert "12/12" in drawn, drawn
    plain = cli(project, "apply", "--audit-dir", "other")
    assert plain.returncode == 0, plain.stderr
    assert "\r" not in plain.stdout
    assert "[#" not in plain.stdout
    # the same lines either way: each action, then the figures
    for text in ("  + create   RoutingRule billing-spanish", "success rate 100%"):
        assert text in drawn
        assert text in plain.stdout
