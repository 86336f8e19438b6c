"""``apply/interval`` across runs: the audit log remembers what the org's audit may not tell."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from genesys_compliance.apply import ApplyResult, Skipped, apply_plan, new_run_id
from genesys_compliance.apply._interval import WriteHistory
from genesys_compliance.applyrun import ApplySettings, run_apply
from genesys_compliance.audit import AuditLog
from genesys_compliance.client import GenesysClient, VirtualClock
from genesys_compliance.connect import OrgConnection
from genesys_compliance.consumers import AuditListener
from genesys_compliance.simorg import SimOrg, serve
from tests.api_support import seed
from tests.apply._support import CONFIGS, SEED, connection, load, plan, written
from tests.apply.test_apply import edit
from tests.test_plugin import QUIET, make_project

AFTER_HOURS = "b7e2c9d1-4f3a-4c8e-9d2b-6a1f0e3c5d72"
INTERVAL = {"FlowSettings": 60.0}
BASE = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


class RunClock:
    """The runs' time on a virtual clock, so "a minute later" costs no waiting."""

    def __init__(self) -> None:
        self.virtual = VirtualClock()

    def __call__(self) -> datetime:
        return BASE + timedelta(seconds=self.virtual.now())


def flows(tmp_path: Path) -> Path:
    """A private copy of the example flows (the kind with an interval), as a run's folder."""
    target = tmp_path / "configs"
    shutil.copytree(CONFIGS / "flows", target / "flows")
    return target


def audit_listener(
    org: OrgConnection,
    tmp_path: Path,
    clock: Any,
    *,
    org_id: str | None = None,
    mode: str | None = None,
) -> AuditListener:
    return AuditListener(
        tmp_path / "audit",
        run=new_run_id(),
        org=org_id or org.identity().audit_org,
        region=str(org.client.region),
        client=org.client.client_id,
        mode=mode or org.mode,
        clock=clock,
    )


def run(
    org: OrgConnection,
    tmp_path: Path,
    folder: Path,
    clock: Any,
    *,
    client: GenesysClient | None = None,
    org_id: str | None = None,
    mode: str | None = None,
    listeners: tuple[Any, ...] = (),
) -> ApplyResult:
    """One apply run as the glue makes it: the audit log listening, the interval asked.

    ``mode`` is what the audit log is told the org is (default: the connection's);
    ``live`` makes a simulated org in process stand for a live org that the next
    run reaches again, with an audit trail that knows nothing of this run.
    """
    audit = audit_listener(org, tmp_path, clock, org_id=org_id, mode=mode)
    return apply_plan(
        client or org.client,
        plan(org, load(folder)),
        journal=tmp_path / "audit",
        listeners=[audit, *listeners],
        run_id=audit.run,
        intervals=INTERVAL,
        now=clock,
    )


def held(result: ApplyResult) -> list[Skipped]:
    return [e for e in result.events if isinstance(e, Skipped)]


def longer_wait(folder: Path, seconds: int = 200) -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["spec"]["settings"]["routing"]["maxWaitTime"] = seconds

    edit(folder / "flows" / "after-hours.yaml", 0, change)


# ------------------------------------------------------------------ on the org's clock
def test_a_second_run_waits_out_the_interval_on_the_orgs_virtual_clock(tmp_path: Path) -> None:
    org = connection()
    assert org.org is not None
    folder = flows(tmp_path)
    assert run(org, tmp_path, folder, org.now).ok
    longer_wait(folder)
    before = written(org)
    second = run(org, tmp_path, folder, org.now)
    assert second.outcome == "failed"
    assert written(org) == before
    [skipped] = held(second)
    assert skipped.subject.name == "after-hours"
    [finding] = second.findings
    assert finding.rule_id == "apply/interval"
    clock = org.org.clock
    assert isinstance(clock, VirtualClock)
    clock.advance(61)  # the org, its audit and the audit log share this clock
    third = run(org, tmp_path, folder, org.now)
    assert third.ok, third.failure
    assert written(org)["patchFlowSettings"] == before["patchFlowSettings"] + 1


# ------------------------------------------------------------------ the audit log alone
def test_the_audit_log_holds_a_live_flow_back_where_the_orgs_audit_knows_nothing(
    tmp_path: Path,
) -> None:
    """A live org whose audit lost the last run's writes: the log alone remembers them.

    Each run gets a fresh simulated org (the same org id, an empty audit trail),
    recorded as ``live``: only the audit folder links the runs.
    """
    clock = RunClock()
    first_org = connection()
    folder = flows(tmp_path)
    first = run(first_org, tmp_path, folder, clock, mode="live")
    assert first.ok, first.failure
    clock.virtual.advance(59)
    fresh = connection()
    second = run(fresh, tmp_path, folder, clock, mode="live")
    assert sum(written(fresh).values()) == 0
    assert {s.subject.name for s in held(second)} == {"after-hours", "primary-architecture"}
    skipped = next(s for s in held(second) if s.subject.name == "after-hours")
    assert skipped.changed_by == first_org.client.client_id
    assert skipped.changed_at == "2025-03-01T09:00:00.000Z"
    assert f"this tool's audit log, run {first.run}" in skipped.reason
    assert "last changed 59 s ago" in skipped.reason
    assert "apply again after 2025-03-01T09:01:00Z" in skipped.reason
    clock.virtual.advance(1)
    later = connection()
    third = run(later, tmp_path, folder, clock, mode="live")
    assert third.ok, third.failure
    assert written(later)["patchFlowSettings"] == 2


def test_an_earlier_runs_simulated_org_holds_nothing_back(tmp_path: Path) -> None:
    """A simulated org in process is built from its seed every run: the flow it wrote is gone.

    The same two runs as above, 59 s apart, recorded as ``mock``: the second
    applies (to an org that never saw the first), and the log keeps both runs.
    """
    clock = RunClock()
    folder = flows(tmp_path)
    first = run(connection(), tmp_path, folder, clock)
    assert first.ok, first.failure
    clock.virtual.advance(59)
    fresh = connection()
    second = run(fresh, tmp_path, folder, clock)
    assert second.ok, second.failure
    assert not held(second)
    assert written(fresh)["patchFlowSettings"] == 2
    records = _records(tmp_path / "audit")
    updates = [r for r in records if r["action"] == "update"]
    assert {r["run"] for r in updates} == {first.run, second.run}
    assert {r["orgMode"] for r in updates} == {"mock"}


def test_mock_records_do_not_hold_a_live_org_back(tmp_path: Path) -> None:
    """A rehearsal on the simulated org, then the real thing: the rehearsal was no change."""
    clock = RunClock()
    folder = flows(tmp_path)
    assert run(connection(), tmp_path, folder, clock).ok
    live = connection()
    result = run(live, tmp_path, folder, clock, mode="live")
    assert result.ok, result.failure
    assert not held(result)
    assert written(live)["patchFlowSettings"] == 2


def test_apply_from_the_command_lines_orchestration_is_not_held_back_by_mock_runs(
    tmp_path: Path,
) -> None:
    """``genesys-compliance apply --org mock`` twice: ``run_apply`` over two fresh orgs."""
    folder = flows(tmp_path)
    settings = ApplySettings(tmp_path / "audit", intervals=INTERVAL)
    outcomes = []
    for _ in range(2):
        org = connection()
        outcomes.append(run_apply(org, plan(org, load(folder)), settings))
        assert written(org)["patchFlowSettings"] == 2
    assert [o.status for o in outcomes] == ["applied", "applied"]
    assert not outcomes[1].findings
    # Each org's clock starts where the seed says: the second run came well inside 60 s.
    first, second = (_update_times(o.records) for o in outcomes)
    assert (min(second) - max(first)).total_seconds() < INTERVAL["FlowSettings"]


def _update_times(records: Any) -> list[datetime]:
    return [
        datetime.fromisoformat(r["time"].replace("Z", "+00:00"))
        for r in records
        if r["action"] == "update"
    ]


def _records(folder: Path) -> list[dict[str, Any]]:
    lines = (folder / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_a_client_the_org_denies_its_audit_is_still_held_back(tmp_path: Path) -> None:
    """A live org's audit refused (no ``audit:read``): the log still knows the last write."""
    clock = RunClock()
    org = connection()
    assert org.org is not None
    assert org.router is not None
    folder = flows(tmp_path)
    assert run(org, tmp_path, folder, clock, mode="live").ok
    longer_wait(folder)
    org.org.add_client("no-audit", "no-audit-secret-1", org.org.all_scopes() - {"audit:read"})
    blind = GenesysClient(
        client_id="no-audit",
        client_secret="no-audit-secret-1",
        contract=org.contract,
        transport=httpx.MockTransport(org.router.handler),
        exchange_log=org.exchanges,
    )
    result = run(org, tmp_path, folder, clock, client=blind, mode="live")
    [skipped] = held(result)
    assert "this tool's audit log" in skipped.reason
    denied = [e for e in org.exchanges if e.operation_id == "queryAudits" and e.status == 403]
    assert denied, "the org's audit was asked and refused"


def test_another_orgs_records_do_not_hold_this_org_back(tmp_path: Path) -> None:
    clock = RunClock()
    folder = flows(tmp_path)
    assert run(connection(), tmp_path, folder, clock, org_id="another-org", mode="live").ok
    fresh = connection()
    result = run(fresh, tmp_path, folder, clock, mode="live")
    assert result.ok, result.failure
    assert not held(result)
    # The same org would have been held back: the records above are why, not their absence.
    again = run(connection(), tmp_path, folder, clock, mode="live")
    assert {s.subject.name for s in held(again)} == {"after-hours", "primary-architecture"}


class _Unreadable:
    """A history whose file cannot be read: the interval cannot be shown to hold."""

    def on_event(self, event: Any) -> None:
        pass

    def last_write(self, kind: str, resource: Mapping[str, str], *, since: datetime) -> None:
        raise OSError("Input/output error")


def test_a_history_that_cannot_be_read_lets_nothing_through(tmp_path: Path) -> None:
    org = connection()
    assert isinstance(_Unreadable(), WriteHistory)
    result = run(org, tmp_path, flows(tmp_path), RunClock(), listeners=(_Unreadable(),))
    assert result.outcome == "failed"
    assert sum(written(org).values()) == 0
    failed = result.failure
    assert failed is not None
    assert failed.rule == "apply/failed"
    assert "earlier runs' writes cannot be read: Input/output error" in failed.reason


def test_without_an_interval_no_history_is_asked(tmp_path: Path) -> None:
    org = connection()
    result = apply_plan(
        org.client,
        plan(org, load(flows(tmp_path))),
        journal=tmp_path / "audit",
        listeners=[_Unreadable()],
    )
    assert result.ok, result.failure


# ------------------------------------------------------------------ which records count
def _log(tmp_path: Path, org: str = "org-1", region: str = "r", client: str = "c") -> AuditLog:
    return AuditLog(
        tmp_path / "audit", run=new_run_id(), org=org, region=region, client=client, clock=_at_base
    )


def _at_base() -> datetime:
    return BASE


def _listener(tmp_path: Path, org: str = "org-1", client: str = "c") -> AuditListener:
    return AuditListener(tmp_path / "audit", run=new_run_id(), org=org, region="r", client=client)


FLOW = {"flowId": AFTER_HOURS}
SINCE = BASE - timedelta(seconds=60)


@pytest.mark.parametrize(
    ("record", "counts"),
    [
        pytest.param({"action": "update", "outcome": "applied"}, True, id="update"),
        pytest.param({"action": "update", "outcome": "forced"}, True, id="forced-update"),
        pytest.param({"action": "rebase", "outcome": "applied"}, True, id="rebase"),
        pytest.param({"action": "create", "outcome": "applied"}, True, id="create"),
        pytest.param({"action": "rollback", "outcome": "restored"}, True, id="restore"),
        pytest.param({"action": "rollback", "outcome": "conflict"}, False, id="left-alone"),
        pytest.param({"action": "rollback", "outcome": "unchanged"}, False, id="never-landed"),
        pytest.param({"action": "no-op", "outcome": "unchanged"}, False, id="no-op"),
        pytest.param({"action": "conflict", "outcome": "forced"}, False, id="conflict"),
        pytest.param({"action": "skipped", "outcome": "refused"}, False, id="held-back"),
        pytest.param({"action": "update", "outcome": "applied", "kind": "X"}, False, id="kind"),
        pytest.param(
            {"action": "update", "outcome": "applied", "resource": {"flowId": "other"}},
            False,
            id="another-resource",
        ),
    ],
)
def test_only_writes_of_the_resource_count(
    tmp_path: Path, record: dict[str, Any], counts: bool
) -> None:
    with _log(tmp_path) as log:
        log.append({"kind": "FlowSettings", "resource": FLOW, **record})
    found = _listener(tmp_path).last_write("FlowSettings", FLOW, since=SINCE)
    assert (found is not None) is counts
    if found is not None:
        assert (found.at, found.client) == (BASE, "c")


@pytest.mark.parametrize(
    ("writer", "reader", "counts"),
    [
        pytest.param(("org-1", "r", "c"), ("org-1", "c"), True, id="same-org"),
        pytest.param(("org-1", "r", "c"), ("org-1", "other-client"), True, id="another-client"),
        pytest.param(("org-2", "r", "c"), ("org-1", "c"), False, id="another-org"),
        pytest.param(("org-1", "other", "c"), ("org-1", "c"), False, id="another-region"),
        pytest.param(("unknown", "r", "c"), ("unknown", "c"), True, id="unknown-same-client"),
        pytest.param(("unknown", "r", "c"), ("unknown", "d"), False, id="unknown-other-client"),
    ],
)
def test_only_records_of_the_same_org_count(
    tmp_path: Path, writer: tuple[str, str, str], reader: tuple[str, str], counts: bool
) -> None:
    org, region, client = writer
    with _log(tmp_path, org, region, client) as log:
        log.append(
            {"kind": "FlowSettings", "resource": FLOW, "action": "update", "outcome": "applied"}
        )
    found = _listener(tmp_path, *reader).last_write("FlowSettings", FLOW, since=SINCE)
    assert (found is not None) is counts


@pytest.mark.parametrize(
    ("written_to", "reader", "counts"),
    [
        pytest.param("live", "live", True, id="live-then-live"),
        pytest.param(None, "live", True, id="unmarked-then-live"),
        pytest.param("mock", "live", False, id="mock-then-live"),
        pytest.param("live", "mock", False, id="live-then-mock"),
        pytest.param("mock", "mock", False, id="mock-then-mock"),
        pytest.param(None, "mock", False, id="unmarked-then-mock"),
        pytest.param("live", None, True, id="live-then-unmarked"),
        pytest.param("mock", None, False, id="mock-then-unmarked"),
    ],
)
def test_a_simulated_org_in_process_has_no_history(
    tmp_path: Path, written_to: str | None, reader: str | None, counts: bool
) -> None:
    """``orgMode`` ``mock`` records hold nothing back, and a ``mock`` reader finds none.

    A record without ``orgMode`` counts for any other reader: unsure where it was
    written, the interval waits.
    """
    marked = {} if written_to is None else {"orgMode": written_to}
    with _log(tmp_path) as log:
        log.append(
            {
                "kind": "FlowSettings",
                "resource": FLOW,
                "action": "update",
                "outcome": "applied",
                **marked,
            }
        )
    listener = _listener(tmp_path)
    listener.mode = reader
    found = listener.last_write("FlowSettings", FLOW, since=SINCE)
    assert (found is not None) is counts


def test_the_latest_write_since_the_cutoff_is_the_answer(tmp_path: Path) -> None:
    # The third record is older than the second: runs whose clocks disagree.
    times = iter([BASE - timedelta(seconds=s) for s in (90, 30, 50, 0)])
    log = AuditLog(
        tmp_path / "audit", run="r1", org="org-1", region="r", client="c", clock=lambda: next(times)
    )
    for _ in range(3):
        log.append(
            {"kind": "FlowSettings", "resource": FLOW, "action": "update", "outcome": "applied"}
        )
    log.checkpoint()
    listener = _listener(tmp_path)
    found = listener.last_write("FlowSettings", FLOW, since=SINCE)
    assert found is not None
    assert (found.at, found.run) == (BASE - timedelta(seconds=30), "r1")
    assert listener.last_write("FlowSettings", FLOW, since=BASE - timedelta(seconds=10)) is None


# ------------------------------------------------------------------ reading the log back
def test_history_is_newest_first_across_chunks_and_skips_a_torn_line(tmp_path: Path) -> None:
    with _log(tmp_path) as log:
        for n in range(40):  # lines of ~1 KiB: several 8 KiB chunks, boundaries mid-line
            log.append({"action": "update", "n": n, "pad": "x" * 1000})
    reader = _log_reader(tmp_path)
    path = tmp_path / "audit" / "audit.jsonl"
    with path.open("ab") as torn:
        # A line another writer has not finished: whole JSON, but no newline yet.
        torn.write(b'{"action":"update","n":99,"seq":42}')
    records = reader.history()
    assert [r.get("n") for r in records] == [None, *range(39, -1, -1)]  # the checkpoint first
    assert [r["seq"] for r in records] == list(range(41, 0, -1))


def test_history_stops_well_before_the_cutoff_and_never_reads_the_whole_log(
    tmp_path: Path,
) -> None:
    times = iter([BASE - timedelta(days=30), BASE - timedelta(minutes=5), BASE, BASE])
    log = AuditLog(
        tmp_path / "audit", run="r", org="o", region="r", client="c", clock=lambda: next(times)
    )
    for n in range(3):
        log.append({"action": "update", "n": n})
    log.checkpoint()
    records = _log_reader(tmp_path).history(since=BASE - timedelta(seconds=60))
    # The 5-minute-old record is read (it is within the slack for clocks that disagree);
    # reading stops at the month-old one.
    assert [r.get("n") for r in records] == [None, 2, 1]


def test_history_of_a_new_log_is_empty(tmp_path: Path) -> None:
    assert _log_reader(tmp_path).history() == []


def _log_reader(tmp_path: Path) -> AuditLog:
    return AuditLog(tmp_path / "audit", run="reader", org="o", region="r", client="c")


# ------------------------------------------------------------------ through pytest
ORG_ID = "5f1c2b7e-9a3d-4e8f-b6c1-2d7a9e4f3b10"


def _flows_project(pytester: pytest.Pytester, seconds: int) -> None:
    make_project(pytester, {}, policy=f"min-flow-update-interval = {seconds}\n")
    shutil.rmtree(pytester.path / "configs")
    shutil.copytree(CONFIGS / "flows", pytester.path / "configs" / "flows")
    shutil.copytree(SEED, pytester.path / "fixtures" / "org")


def _apply_run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(*QUIET, "--gc-config-dir", "configs", "--gc-apply", *args)


def test_a_second_mock_pytest_run_within_the_interval_is_not_held_back(
    pytester: pytest.Pytester,
) -> None:
    """Two processes, two simulated orgs built from the seed: the second never saw the first."""
    _flows_project(pytester, 3600)
    first = _apply_run(pytester)
    assert first.ret == 0, "\n".join(first.outlines[-30:])
    second = _apply_run(pytester)
    assert second.ret == 0, "\n".join(second.outlines[-30:])
    second.stdout.fnmatch_lines(["apply applied: 2 update (run *)"])
    assert "apply/interval" not in second.stdout.str()
    records = _records(pytester.path / "reports" / "audit")
    updates = [r for r in records if r["action"] == "update"]
    assert len({r["run"] for r in updates}) == 2  # both runs updated both flows, audited
    assert {(r["org"], r["orgMode"]) for r in updates} == {(ORG_ID, "mock")}


def test_the_policy_key_holds_a_second_live_pytest_run_back_and_zero_lets_it_through(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A live org over HTTP whose audit knows nothing of the last run: the audit log does.

    Each run meets a freshly served org (the seed's id, an empty audit trail), so
    only the audit folder links them, as across a live org's audit retention.
    """
    _flows_project(pytester, 3600)
    secret = "interval-live-secret-" + new_run_id()
    monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_ID", "interval-live")
    monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", secret)
    monkeypatch.setenv("GENESYSCLOUD_REQUESTS_PER_MINUTE", "100000")

    def live_run() -> pytest.RunResult:
        org = SimOrg(seed(), rate_limit_per_minute=100_000)  # no pacing to wait for
        org.add_client("interval-live", secret)
        with serve(org) as server:
            monkeypatch.setenv("GENESYSCLOUD_API_BASE_URL", server.url)
            return _apply_run(pytester, "--gc-org", "live")

    first = live_run()
    assert first.ret == 0, "\n".join(first.outlines[-30:])
    second = live_run()
    assert second.ret == pytest.ExitCode.TESTS_FAILED
    second.stdout.fnmatch_lines(
        ["*apply/interval*last changed * s ago by interval-live*this tool's audit log, run *"]
    )
    records = _records(pytester.path / "reports" / "audit")
    assert [r["action"] for r in records if r["action"] == "skipped"] == ["skipped"] * 2
    assert {r["org"] for r in records} == {ORG_ID}
    assert {r["orgMode"] for r in records if r["action"] != "checkpoint"} == {"live"}
    pytester.makepyprojecttoml(
        "[tool.pytest.ini_options]\n\n[tool.genesys-compliance]\nmin-flow-update-interval = 0\n"
    )
    third = live_run()
    assert third.ret == 0, "\n".join(third.outlines[-30:])
    third.stdout.fnmatch_lines(["apply applied: 2 update (run *)"])
    assert secret not in first.stdout.str() + second.stdout.str() + third.stdout.str()


def test_a_bad_policy_value_is_a_usage_error_naming_the_key(pytester: pytest.Pytester) -> None:
    make_project(pytester, {}, policy='min-flow-update-interval = "1m"\n')
    result = pytester.runpytest_subprocess(*QUIET, "--gc-config-dir", "configs")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*min-flow-update-interval: Value error, must be a number of seconds*not a string*"]
    )
