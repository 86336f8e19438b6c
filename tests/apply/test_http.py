"""The apply stage end to end over real HTTP, against the served simulated org.

Real sockets show what a mock transport cannot: a dropped connection is a
closed socket, and a killed process is a real ``SIGKILL`` in the middle of
its requests, with the journal as the only thing it leaves behind.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from genesys_compliance.apply import (
    JOURNAL_FILE,
    UnresolvedJournalError,
    apply_plan,
    build_plan,
    gate,
    resume,
    rollback,
    unresolved,
)
from genesys_compliance.client import GenesysClient, RetryPolicy
from genesys_compliance.simorg import SimOrg, SimOrgServer, serve
from tests.api_support import seed
from tests.apply._support import CONFIGS, REPO, WRITES, load
from tests.simorg._served import env

CLIENT, SECRET = "gc-http-apply", "http-apply-secret-5c1e9b7a"
BILLING = "6c2d9e4f-1a3b-4c5d-8e7f-0a1b2c3d4e5f"
# Plenty for a busy machine; the test returns as soon as the child is where it should be.
_WAIT_SECONDS = 60
# After the kill, a sent request reaches the local org within milliseconds; this long a
# silence means the child died between journaling an intent and sending it.
_QUIET_SECONDS = 10.0

CHILD = """
import sys
from pathlib import Path

from genesys_compliance.apply import apply_plan, build_plan, gate
from genesys_compliance.client import GenesysClient
from genesys_compliance.engine import load_run

url, configs, root, journal, client_id, secret = sys.argv[1:]
client = GenesysClient(client_id=client_id, client_secret=secret, api_base_url=url)
plan = build_plan(client, gate(load_run([Path(configs)], Path(root))))
apply_plan(client, plan, journal=journal)
"""


@contextmanager
def served(latency: float = 0.0) -> Iterator[tuple[SimOrg, SimOrgServer]]:
    org = SimOrg(seed(), latency=latency)  # the system clock: latency is real waiting
    org.add_client(CLIENT, SECRET)
    with serve(org, control=True) as server:
        yield org, server


def client_of(server: SimOrgServer) -> GenesysClient:
    return GenesysClient(
        client_id=CLIENT,
        client_secret=SECRET,
        api_base_url=server.url,
        retry=RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_cap=0.05),
    )


def org_writes(org: SimOrg) -> int:
    return sum(1 for e in org.requests.entries() if e.operation_id in WRITES)


def as_the_files_state(client: GenesysClient) -> bool:
    return build_plan(client, gate(load(CONFIGS, REPO))).counts()["no-op"] == 12


def test_apply_over_http_then_a_second_apply_sends_no_write(tmp_path: Path) -> None:
    with served() as (org, server), client_of(server) as client:
        org.faults.drop_connection(after_processing=True, operation="createRoutingRule")
        first = apply_plan(client, build_plan(client, gate(load(CONFIGS, REPO))), journal=tmp_path)
        assert first.ok, first.failure
        assert first.counts() == {"create": 3, "update": 9}
        named = [
            r
            for r in org.state.routing_rules.values()
            if r["queue"]["id"] == BILLING and r["name"] == "Billing Spanish Speakers"
        ]
        assert len(named) == 1  # the socket closed after the org created it: adopted, not resent
        dropped = [e for e in org.requests.entries() if e.outcome == "dropped-after-processing"]
        assert [e.operation_id for e in dropped] == ["createRoutingRule"]
        writes = org_writes(org)
        assert writes == 12
        again = build_plan(client, gate(load(CONFIGS, REPO)))
        second = apply_plan(client, again, journal=tmp_path)
        assert second.counts() == {"no-op": 12}
        assert org_writes(org) == writes


def kill_mid_apply(server: SimOrgServer, folder: Path, script: Path) -> None:
    """Run an apply in a child process and SIGKILL it once three writes are journaled."""
    script.write_text(CHILD, encoding="utf-8")
    command = [
        sys.executable,
        str(script),
        server.url,
        str(CONFIGS),
        str(REPO),
        str(folder),
        CLIENT,
        SECRET,
    ]
    journal = folder / JOURNAL_FILE
    with subprocess.Popen(
        command, env=env(), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as child:
        try:
            deadline = time.monotonic() + _WAIT_SECONDS
            while time.monotonic() < deadline and child.poll() is None:
                if journal.exists() and _intents(journal) >= 3:
                    break
                time.sleep(0.02)
            assert child.poll() is None, child.communicate()[1].decode(errors="replace")
            assert _intents(journal) >= 3, "the child never reached its third write"
        finally:
            child.kill()  # SIGKILL: no handler, no finally, no flush
            child.communicate(timeout=30)
    assert child.returncode == -9


def _let_writes_in_flight_land(org: Any, intents: int) -> None:
    """Wait (bounded) until the org has handled a write for every intent the child journaled.

    A write the child sent just before it died still lands after the org's latency,
    as on a real org; settling before it lands would race it. An intent whose write
    was never sent is waited for until the org has taken no request for
    ``_QUIET_SECONDS`` (or the bound), then the test goes on.
    """
    deadline = time.monotonic() + _WAIT_SECONDS
    seen, quiet_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        handled = [r.operation_id or "" for r in org.requests.entries()]
        if sum(op.startswith(("create", "update", "patch", "delete")) for op in handled) >= intents:
            return
        if len(handled) != seen:  # the org is still taking requests the child sent
            seen, quiet_since = len(handled), time.monotonic()
        elif time.monotonic() - quiet_since > _QUIET_SECONDS:
            return  # nothing arrived for long after the kill: the last intent was never sent
        time.sleep(0.05)


def _intents(journal: Path) -> int:
    lines = journal.read_bytes().split(b"\n")[:-1]  # the last, torn line is not one yet
    return sum(1 for line in lines if json.loads(line).get("type") == "intent")


@pytest.mark.parametrize("settle", ["resume", "rollback"])
def test_a_process_killed_mid_apply_is_settled_by_resume_or_rollback(
    tmp_path: Path, settle: str
) -> None:
    folder = tmp_path / "audit"
    with served(latency=0.25) as (org, server):
        before = {k: v["version"] for k, v in org.state.flows.items()}
        snapshot = org.state.snapshot()
        kill_mid_apply(server, folder, tmp_path / "child.py")
        _let_writes_in_flight_land(org, _intents(folder / JOURNAL_FILE))
        org.latency = 0.0
        interrupted = unresolved(folder)
        assert interrupted is not None
        assert interrupted.done + interrupted.unknown >= 2
        with client_of(server) as client:
            with pytest.raises(UnresolvedJournalError, match=r"--gc-resume.*--gc-rollback"):
                apply_plan(client, build_plan(client, gate(load(CONFIGS, REPO))), journal=folder)
            if settle == "resume":
                result = resume(client, folder)
                assert result.ok, result.failure
                assert as_the_files_state(client)
            else:
                result = rollback(client, folder)
                assert result.ok, result.events
                for name in ("flows", "layouts", "trigger_rules", "routing_rules"):
                    assert _untokened(getattr(org.state, name)) == _untokened(snapshot[name])
                strategies = {q: s["items"] for q, s in org.state.strategies.items()}
                assert strategies == {q: s["items"] for q, s in snapshot["strategies"].items()}
                assert {k: v["version"] for k, v in org.state.flows.items()} != before
        assert unresolved(folder) is None


def _untokened(entities: dict[str, dict[str, object]]) -> dict[str, dict[str, object]]:
    drop = {"version", "etag", "modifiedDate"}
    return {k: {f: v for f, v in e.items() if f not in drop} for k, e in entities.items()}
