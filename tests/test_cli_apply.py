"""``genesys-compliance apply`` as a user runs it: a process, against the served simulated org.

Each exit code of SPEC 9 is reached the way it is reached in production: the
served org (``genesys-compliance serve-org``) is a real HTTP server in its own
process, the command talks to it as to a live org (``--org live`` and
``GENESYSCLOUD_API_BASE_URL``), and faults (a colleague's concurrent write, a
request that hangs while the apply is killed) are scheduled through the org's
control interface, never by patching the code under test.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from genesys_compliance.apply import JOURNAL_FILE, unresolved
from genesys_compliance.simorg import SimOrgControl
from tests.api_support import (
    CI_CLIENT,
    CI_SECRET,
    ESCALATION_RULE,
    READONLY_CLIENT,
    READONLY_SECRET,
)
from tests.apply._support import WRITES
from tests.served import start_served_org

REPO = Path(__file__).resolve().parents[1]
# Generous for a busy 2-core machine; every wait returns as soon as its condition holds.
_WAIT_SECONDS = 60
# Far above what the tests send: the org's even spacing must not slow them down.
_FAST = "100000"
# A hung write lasts this long on the org's side; the test kills the apply well inside it.
_HANG_SECONDS = 8.0
WRONG = "not-the-secret-7f3a9c21"
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


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project with the example configurations and seed; flows may be updated back to back."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "fixtures" / "configs", root / "fixtures" / "configs")
    shutil.copytree(REPO / "fixtures" / "org", root / "fixtures" / "org")
    (root / "pyproject.toml").write_text(
        "[tool.genesys-compliance]\nmin-flow-update-interval = 0\n", encoding="utf-8"
    )
    return root


def _child_env(**values: str) -> dict[str, str]:
    """The environment of a child command: this checkout's package, no inherited org."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENESYSCLOUD_")}
    plugins = str(REPO / "plugins")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (plugins, env.get("PYTHONPATH", "")) if p)
    env.pop("GENESYS_COMPLIANCE_AUDIT_KEY", None)
    env.update(values)
    return env


def live(url: str, client: str = CI_CLIENT, secret: str = CI_SECRET) -> dict[str, str]:
    """The variables that point ``--org live`` at a served org."""
    return {
        "GENESYSCLOUD_API_BASE_URL": url,
        "GENESYSCLOUD_OAUTHCLIENT_ID": client,
        "GENESYSCLOUD_OAUTHCLIENT_SECRET": secret,
        "GENESYSCLOUD_REQUESTS_PER_MINUTE": _FAST,
    }


def cli(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m genesys_compliance.cli ARGS`` in ``root``, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "genesys_compliance.cli", *args],
        cwd=root,
        env=_child_env(**(env or {})),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def as_json(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The one JSON document of a ``--json`` run (``json.loads`` refuses anything after it)."""
    document: dict[str, Any] = json.loads(done.stdout)
    return document


@contextlib.contextmanager
def served(root: Path) -> Iterator[str]:
    """``genesys-compliance serve-org`` on a free port with its control interface; its URL."""
    args = ("--control", "--rate-limit", _FAST)
    with start_served_org(root, args, _child_env()) as (server, url):
        try:
            yield url
        finally:
            server.terminate()
            _, stderr = server.communicate(timeout=60)
    assert server.returncode == 0, stderr  # SIGTERM is a clean stop


def writes(control: SimOrgControl, after: int = 0) -> list[str]:
    """The write operations the org handled after request ``after``."""
    return [e.operation_id or "" for e in control.requests(after) if e.operation_id in WRITES]


def last_seq(control: SimOrgControl) -> int:
    return max((e.seq for e in control.requests()), default=0)


def planned(root: Path, url: str) -> list[tuple[str, str, list[Any]]]:
    """What a read-only plan of the served org says, without the tokens that move on every write."""
    done = cli(root, "plan", "--org", "live", "--json", "--out", "check.json", env=live(url))
    assert done.returncode == 0, done.stderr
    return [
        (r["config"], r["action"], [(c["pointer"], c.get("org"), c["file"]) for c in r["changes"]])
        for r in as_json(done)["resources"]
    ]


def test_apply_writes_the_plan_then_a_second_apply_writes_nothing(project: Path) -> None:
    with served(project) as url, SimOrgControl(url) as control:
        first = cli(project, "apply", "--org", "live", env=live(url))
        assert first.returncode == 0, first.stdout + first.stderr
        out = first.stdout
        # The plan, then each action, then the figures and the head, in that order.
        marks = [
            "plan: 3 to create, 9 to update",
            "plan written to reports/plan.json",
            "apply applied: 3 create, 9 update",
            "success rate 100%",
            "checkpoint head ",
        ]
        at = [out.index(mark) for mark in marks]
        assert at == sorted(at), out
        actions = out[at[1] : at[2]].splitlines()[1:]
        assert len(actions) == 12, actions
        assert all(line.startswith(("  + create ", "  ~ update ")) for line in actions), actions
        assert "gone when the command exits" not in out  # a served org keeps what was written
        assert len(writes(control)) == 12
        head = out.split("checkpoint head ", 1)[1].split(")", 1)[0]
        verified = cli(project, "audit", "verify", "reports/audit", "--head", head)
        assert verified.returncode == 0, verified.stdout

        seen = last_seq(control)
        second = cli(project, "apply", "--org", "live", "--json", env=live(url))
        assert second.returncode == 0, second.stderr
        report = as_json(second)
        assert report["exitCode"] == 0
        assert report["apply"]["counts"] == {"no-op": 12}
        assert report["apply"]["writes"] == 0
        assert writes(control, seen) == []
        assert (project / "reports" / "plan.json").is_file()


def test_a_mock_apply_says_it_is_lost_when_the_command_exits(project: Path) -> None:
    done = cli(project, "apply")
    assert done.returncode == 0, done.stderr
    assert "gone when the command exits" in done.stdout
    assert "GENESYSCLOUD_API_BASE_URL" in done.stdout  # and how to keep it
    document = as_json(cli(project, "apply", "--json", "--audit-dir", "elsewhere"))
    assert (document["exitCode"], document["ephemeral"]) == (0, True)


def test_a_failed_check_writes_nothing_and_exits_1(project: Path) -> None:
    (project / "fixtures" / "configs" / "layouts" / "broken.yaml").write_text(
        BROKEN_LAYOUT, encoding="utf-8"
    )
    with served(project) as url, SimOrgControl(url) as control:
        done = cli(project, "apply", "--org", "live", "--sarif", "gc.sarif", env=live(url))
        assert done.returncode == 1, done.stdout + done.stderr
        assert "apply refused, nothing was written" in done.stdout
        assert "layout/grid-bounds" in done.stdout
        assert writes(control) == []
    assert not (project / "reports" / "audit" / "audit.jsonl").exists()
    assert not (project / "reports" / "audit" / JOURNAL_FILE).exists()
    sarif = json.loads((project / "gc.sarif").read_text(encoding="utf-8"))
    assert "layout/grid-bounds" in {r["ruleId"] for r in sarif["runs"][0]["results"]}


def test_a_concurrent_writer_on_a_managed_field_stops_the_apply_with_exit_3(
    project: Path,
) -> None:
    colleague = "A colleague's wording, saved in the UI"
    with served(project) as url, SimOrgControl(url) as control:
        before = planned(project, url)
        control.faults.concurrent_write(
            entity_type="routingRules",
            entity_id=ESCALATION_RULE,
            field="/description",
            value=colleague,
            client_id="colleague-ui",
            method="PATCH",
            path="/api/v2/routing/rules/*",
        )
        done = cli(project, "apply", "--org", "live", "--sarif", "gc.sarif", env=live(url))
        assert done.returncode == 3, done.stdout + done.stderr
        assert "! conflict RoutingRule technical-support-escalation" in done.stdout
        after = planned(project, url)
    # Every earlier write was rolled back; the colleague's value is the org's, not overwritten.
    changed = {config: changes for config, _, changes in after}
    [(pointer, org_value, _)] = changed["routing-rules/technical-support-escalation.yaml::"
                                        "technical-support-escalation"]  # fmt: skip
    assert (pointer, org_value) == ("/description", colleague)
    assert [(c, a) for c, a, _ in after] == [(c, a) for c, a, _ in before]
    sarif = json.loads((project / "gc.sarif").read_text(encoding="utf-8"))
    [conflict] = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "apply/conflict"]
    assert "colleague-ui" in conflict["message"]["text"]


def test_a_write_the_org_refuses_for_good_is_apply_failed_and_exits_1(project: Path) -> None:
    with served(project) as url, SimOrgControl(url) as control:
        done = cli(
            project,
            "apply",
            "--org",
            "live",
            "--json",
            env=live(url, READONLY_CLIENT, READONLY_SECRET),  # reads, and a 403 on every write
        )
        assert done.returncode == 1, done.stderr
        report = as_json(done)["apply"]
        assert report["status"] == "failed"
        assert {f["rule"] for f in report["findings"]} == {"apply/failed"}
        assert writes(control) == ["patchFlowSettings"]  # the first write, refused: no other
    assert READONLY_SECRET not in done.stdout + done.stderr


def test_resume_with_rollback_is_a_usage_error(project: Path) -> None:
    done = cli(project, "apply", "--resume", "--rollback")
    assert done.returncode == 2
    assert "--resume and --rollback exclude each other" in done.stderr


def test_resume_with_nothing_interrupted_is_a_usage_error(project: Path) -> None:
    done = cli(project, "apply", "--resume")
    assert done.returncode == 2
    assert "no interrupted apply in reports/audit" in done.stderr


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({}, "GENESYSCLOUD_OAUTHCLIENT_ID"),
        (
            {"GENESYSCLOUD_OAUTHCLIENT_ID": CI_CLIENT, "GENESYSCLOUD_OAUTHCLIENT_SECRET": WRONG},
            "refused the credentials",
        ),
    ],
    ids=["no-credentials", "refused-credentials"],
)
def test_an_org_that_will_not_have_us_exits_4(
    project: Path, env: dict[str, str], says: str
) -> None:
    with served(project) as url, SimOrgControl(url) as control:
        values = {"GENESYSCLOUD_API_BASE_URL": url, **env} if env else {}
        done = cli(project, "apply", "--org", "live", env=values)
        assert done.returncode == 4, done.stdout + done.stderr
        assert says in done.stderr
        assert writes(control) == []
    assert WRONG not in done.stdout + done.stderr
    assert not (project / "reports" / "audit").exists()


def test_an_org_that_cannot_be_reached_exits_4(project: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on once it is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = cli(project, "apply", "--org", "live", env=live(f"http://127.0.0.1:{port}"))
    assert done.returncode == 4, done.stdout + done.stderr
    assert "could not be reached" in done.stderr
    assert CI_SECRET not in done.stdout + done.stderr


def _kill_mid_write(root: Path, url: str, control: SimOrgControl) -> None:
    """Start an apply, hang one of its writes in the org, SIGKILL the apply while it waits.

    The org takes the hung write (its fault leaves the pending list) before it
    waits, so the apply is known to be inside that request when it is killed;
    the write then lands, as a write in flight does on a real org, and the
    test waits for the org to say so before it goes on.
    """
    hang = control.faults.latency(seconds=_HANG_SECONDS, times=1, operation="patchRoutingRule")
    log = (root / "killed.log").open("w")
    with (
        log,
        subprocess.Popen(
            [sys.executable, "-m", "genesys_compliance.cli", "apply", "--org", "live"],
            cwd=root,
            env=_child_env(**live(url)),
            stdout=log,
            stderr=subprocess.STDOUT,
        ) as child,
    ):
        try:
            deadline = time.monotonic() + _WAIT_SECONDS
            while time.monotonic() < deadline and child.poll() is None:
                if all(f.id != hang.id for f in control.faults.pending):
                    break
                time.sleep(0.02)
            assert child.poll() is None, (root / "killed.log").read_text()
        finally:
            child.kill()  # SIGKILL: no handler, no finally, no flush
            child.wait(timeout=60)
    # Not a terminal: each action was printed as it settled, so the killed run's log keeps them.
    logged = (root / "killed.log").read_text(encoding="utf-8")
    assert "  ~ update   FlowSettings after-hours  " in logged, logged
    deadline = time.monotonic() + _WAIT_SECONDS
    while time.monotonic() < deadline:
        if any(hang.id in e.faults for e in control.requests()):
            return
        time.sleep(0.05)
    raise AssertionError("the hung write never landed")


@pytest.mark.parametrize("settle", ["--resume", "--rollback"])
def test_a_killed_apply_is_refused_until_resumed_or_rolled_back(project: Path, settle: str) -> None:
    with served(project) as url, SimOrgControl(url) as control:
        before = planned(project, url)
        _kill_mid_write(project, url, control)
        interrupted = unresolved(project / "reports" / "audit")
        assert interrupted is not None

        seen = last_seq(control)
        refused = cli(project, "apply", "--org", "live", env=live(url))
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert f"run {interrupted.run} was interrupted" in refused.stdout
        assert "finish it with --resume or undo it with --rollback" in refused.stdout
        assert writes(control, seen) == []

        settled = cli(project, "apply", "--org", "live", settle, "--json", env=live(url))
        assert settled.returncode == 0, settled.stdout + settled.stderr
        report = as_json(settled)["apply"]
        assert (report["mode"], report["status"], report["run"]) == (
            settle.removeprefix("--"),
            "applied",
            interrupted.run,  # one story in the audit log: the interrupted run's
        )
        assert unresolved(project / "reports" / "audit") is None
        again_run = None
        if settle == "--resume":
            seen = last_seq(control)
            again = as_json(cli(project, "apply", "--org", "live", "--json", env=live(url)))
            again_run = again["apply"]["run"]
            assert again["apply"]["counts"] == {"no-op": 12}
            assert writes(control, seen) == []
        else:
            assert planned(project, url) == before  # the org is as it was before the run
    verified = cli(project, "audit", "verify", "reports/audit")
    assert verified.returncode == 0, verified.stdout
    log = (project / "reports" / "audit" / "audit.jsonl").read_text(encoding="utf-8")
    records = [json.loads(line) for line in log.splitlines()]
    assert {r["action"] for r in records} > {"checkpoint", "update"}
    # the settling run wrote as the interrupted one; a later apply has its own id
    assert {r["run"] for r in records} - {again_run} == {interrupted.run}
