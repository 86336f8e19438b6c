"""Governance figures: actions by outcome, the success rate, latency percentiles per kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from genesys_compliance.audit import Governance, Latency, governance, percentile
from tests.audit.helpers import action, open_log


def _record(kind: str, action: str, outcome: str, latency: object = None) -> dict[str, object]:
    record: dict[str, object] = {"kind": kind, "action": action, "outcome": outcome}
    if latency is not None:
        record["latencyMs"] = latency
    return record


def test_actions_outcomes_success_rate_and_latency() -> None:
    records = [
        *(_record("DesktopLayout", "update", "success", ms) for ms in range(1, 21)),  # 1..20
        _record("DesktopLayout", "create", "failure", 500),
        _record("RoutingRule", "no-op", "success", 7),
        _record("RoutingRule", "update", "skipped"),
        {"action": "checkpoint", "seq": 25, "head": "0" * 64},
    ]
    assert governance(records) == Governance(
        actions=23,
        by_outcome={
            "failure": {"create": 1},
            "skipped": {"update": 1},
            "success": {"no-op": 1, "update": 20},
        },
        success_rate=21 / 22,  # the skipped action was not attempted
        latency={
            "DesktopLayout": Latency(count=21, p50=11.0, p95=20.0),
            "RoutingRule": Latency(count=1, p50=7.0, p95=7.0),
        },
    )


def test_no_records_have_no_rate() -> None:
    result = governance([])
    assert result == Governance(actions=0, by_outcome={}, success_rate=None, latency={})


def test_only_skipped_actions_have_no_rate() -> None:
    assert governance([_record("K", "update", "skipped")]).success_rate is None


def test_records_without_an_outcome_or_a_number_are_counted_but_not_timed() -> None:
    records: list[dict[str, object]] = [
        {"kind": "K", "action": "update"},
        _record("K", "update", "success", True),
        _record("K", "update", "success", "12"),
        _record("K", "update", "success", float("nan")),
        {"action": "update", "outcome": "success", "latencyMs": 5},
    ]
    result = governance(records)
    assert result.by_outcome == {"success": {"update": 4}, "unknown": {"update": 1}}
    assert result.success_rate == 4 / 5
    assert result.latency == {}


def test_the_success_outcomes_can_be_named() -> None:
    records = [_record("K", "update", "ok"), _record("K", "update", "success")]
    assert governance(records, succeeded={"ok"}).success_rate == 0.5


def test_a_runs_records_from_the_log(tmp_path: Path) -> None:
    log = open_log(tmp_path)
    log.append(action(1, latencyMs=30))
    log.append(action(2, latencyMs=10, outcome="failure"))
    log.append(action(3, latencyMs=20))
    result = governance(log.records)
    assert result.success_rate == pytest.approx(2 / 3)
    assert result.latency == {"DesktopLayout": Latency(count=3, p50=20.0, p95=30.0)}


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([5], 50, 5),
        ([5], 95, 5),
        ([1, 2, 3, 4], 50, 2),
        ([4, 3, 2, 1], 95, 4),
        (list(range(1, 101)), 95, 95),
        (list(range(1, 101)), 50, 50),
        ([10, 20], 100, 20),
    ],
)
def test_percentile_is_nearest_rank(values: list[float], p: float, expected: float) -> None:
    assert percentile(values, p) == expected


@pytest.mark.parametrize(("values", "p"), [([], 50), ([1], 0), ([1], 101)])
def test_percentile_refuses_what_has_none(values: list[float], p: float) -> None:
    with pytest.raises(ValueError, match="percentile"):
        percentile(values, p)
