"""The apply benchmark's workload at a tiny size: its counts must hold, so its figures cannot rot.

Counts only, never timing: what the README's ratios rest on is that the plan
finds the mix the workload was built with, plan and apply send no request
beyond the contract's minimum but the token and the org's identity, a second
plan and apply do nothing, and the virtual time is the rate limiter's schedule.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from benchmarks._apply_workload import Measured, Workload, category, generate, minimum, run

from genesys_compliance.connect import OrgConnection, connect_mock
from genesys_compliance.contract import Contract
from tests.apply._support import configured

COUNT = 25  # five per kind: one create, two updates, two no-ops each (flows: three updates)


@pytest.fixture(scope="module")
def workload(tmp_path_factory: pytest.TempPathFactory) -> Workload:
    return generate(tmp_path_factory.mktemp("bench-apply"), COUNT)


@pytest.fixture(scope="module")
def org(workload: Workload) -> OrgConnection:
    return connect_mock(workload.seed)


@pytest.fixture(scope="module")
def measured(
    workload: Workload, org: OrgConnection, tmp_path_factory: pytest.TempPathFactory
) -> Measured:
    # Without apply/interval (policy 0): its audit queries are measured on their own below.
    return run(workload, tmp_path_factory.mktemp("bench-apply-run"), connection=org)


def test_the_workload_is_the_documented_mix_and_passes_the_gate(
    workload: Workload, measured: Measured
) -> None:
    assert workload.actions == {"create": 4, "update": 11, "no-op": 10}
    assert measured.gate_passed
    assert measured.planned == {**workload.actions, "blocked": 0}
    assert measured.applied == workload.actions
    assert measured.outcomes == ("applied", "applied")


def test_plan_and_apply_send_the_contract_minimum_and_the_token(
    workload: Workload, measured: Measured
) -> None:
    floor = minimum(workload, Contract.load().resources)
    plan, apply = measured.phases["plan"], measured.phases["apply"]
    assert plan.count("list", "container", "source") == floor.plan
    assert plan.count("source") == sum(workload.sources.values()) > 0  # each user read once
    assert plan.by_category.get("token") == 1
    assert apply.count("write") == floor.apply == workload.writes
    assert plan.requests + apply.requests >= floor.plan + floor.apply
    # Beyond the writes, the apply may read only the org's identity, once (the audit's org).
    assert apply.requests - apply.count("write") <= 1, apply.by_operation
    # The client's count is every request the org saw (no retries, no drops here).
    assert sum(p.requests for p in measured.phases.values()) == measured.org_requests


def test_a_second_plan_finds_nothing_to_do_and_a_second_apply_sends_nothing(
    workload: Workload, measured: Measured
) -> None:
    floor = minimum(workload, Contract.load().resources)
    assert measured.phases["re-plan"].requests == floor.replan  # the token is still good
    assert measured.replanned == {"create": 0, "update": 0, "no-op": COUNT, "blocked": 0}
    assert measured.reapplied_writes == 0
    assert measured.phases["re-apply"].requests == 0
    assert measured.phases["re-apply"].virtual_seconds == 0


def test_fields_the_files_never_state_survive_the_apply(
    workload: Workload, org: OrgConnection, measured: Measured
) -> None:
    # Otherwise the benchmark would time a lossy apply.
    assert measured.outcomes[0] == "applied"
    now = configured(org)
    kept = 0
    for name, key in (("assist.json", "triggerRules"), ("routing-rules.json", "routingRules")):
        seeded = json.loads((workload.seed / name).read_text(encoding="utf-8"))[key]
        for entity in seeded:
            if entity.get("description", "").startswith("Kept by the apply"):
                assert now[key][entity["id"]]["description"] == entity["description"]
                kept += 1
    assert kept == 8  # two updates and two no-ops of each of the two kinds


def test_the_virtual_time_is_the_limiters_schedule(measured: Measured) -> None:
    plan, apply = measured.phases["plan"], measured.phases["apply"]
    assert measured.budget == 300
    assert measured.burst >= 1
    spacing = measured.spacing_seconds(apply.requests, before=plan.requests)
    floor = measured.floor_seconds(apply.requests, before=plan.requests)
    assert apply.virtual_seconds == pytest.approx(spacing)
    assert floor <= apply.virtual_seconds
    assert floor == pytest.approx((apply.requests - max(0, measured.burst - plan.requests)) / 5)


def test_the_flow_interval_reads_only_the_audit_beyond_the_minimum(
    workload: Workload, tmp_path: Path
) -> None:
    measured = run(workload, tmp_path, flow_interval=60)
    apply = measured.phases["apply"]
    flow_updates = workload.expected["FlowSettings"]["update"]
    assert measured.outcomes == ("applied", "applied")  # the seed dates no flow change
    assert 1 <= apply.by_category.get("queryAudits", 0) <= flow_updates
    assert apply.requests - apply.count("write", "queryAudits") <= 1, apply.by_operation
    assert apply.count("write") == workload.writes


def test_requests_are_sorted_by_what_they_are_for() -> None:
    table = Contract.load().resources
    assert category(table, "postOAuthToken") == "token"
    assert category(table, "listFlows") == "list"
    assert category(table, "getQueueStrategies") == "container"
    assert category(table, "getUserPreferences") == "source"
    assert category(table, "patchQueueStrategies") == "write"
    assert category(table, "getFlow") == "get"
    assert category(table, "queryAudits") == "queryAudits"


def test_the_same_seed_writes_the_same_workload(tmp_path: Path) -> None:
    a, b = generate(tmp_path / "a", 10), generate(tmp_path / "b", 10)
    files = sorted(p.relative_to(a.configs.parent) for p in a.configs.parent.rglob("*.*"))
    assert files == sorted(p.relative_to(b.configs.parent) for p in b.configs.parent.rglob("*.*"))
    for name in files:
        assert (a.configs.parent / name).read_bytes() == (b.configs.parent / name).read_bytes()
