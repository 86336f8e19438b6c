"""Governance figures over audit records: what was done, how it ended, how long it took.

A pure function over records (this run's, from :attr:`AuditLog.records`, or a
whole file's), for the terminal summary and change-board reports. Checkpoints
are the log's own records, not actions, and are left out.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from genesys_compliance.audit._record import CHECKPOINT

__all__ = ["Governance", "Latency", "governance", "percentile"]

SUCCESS = "success"
SKIPPED = "skipped"
_UNKNOWN = "unknown"


@dataclass(frozen=True)
class Latency:
    """The ``latencyMs`` of one kind's actions: how many carried one, median and 95th percentile."""

    count: int
    p50: float
    p95: float


@dataclass(frozen=True)
class Governance:
    """The figures of a set of records.

    Attributes:
        actions: Records counted (every record but checkpoints).
        by_outcome: ``outcome -> action -> count``, both sorted by name; a record
            without one counts under ``"unknown"``.
        success_rate: Succeeded actions over attempted ones (skipped actions were
            not attempted), ``None`` when none was attempted.
        latency: ``kind -> Latency`` over the records of that kind with a numeric
            ``latencyMs``, sorted by kind.
    """

    actions: int
    by_outcome: Mapping[str, Mapping[str, int]]
    success_rate: float | None
    latency: Mapping[str, Latency]


def governance(
    records: Iterable[Mapping[str, Any]],
    *,
    succeeded: Collection[str] = (SUCCESS,),
    not_attempted: Collection[str] = (SKIPPED,),
) -> Governance:
    """Count ``records`` by outcome and action, and take each kind's latency percentiles.

    Args:
        records: Audit records; checkpoints among them are ignored.
        succeeded: The outcomes that count as success.
        not_attempted: The outcomes left out of the success rate's denominator.
    """
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    latencies: dict[str, list[float]] = defaultdict(list)
    actions = attempted = successes = 0
    for record in records:
        action = record.get("action")
        if action == CHECKPOINT:
            continue
        actions += 1
        outcome = _name(record.get("outcome"))
        counts[outcome][_name(action)] += 1
        if outcome not in not_attempted:
            attempted += 1
            successes += outcome in succeeded
        kind, latency = record.get("kind"), record.get("latencyMs")
        if isinstance(kind, str) and _is_number(latency):
            latencies[kind].append(float(latency))
    return Governance(
        actions=actions,
        by_outcome={o: dict(sorted(counts[o].items())) for o in sorted(counts)},
        success_rate=successes / attempted if attempted else None,
        latency={
            kind: Latency(count=len(values), p50=percentile(values, 50), p95=percentile(values, 95))
            for kind, values in sorted(latencies.items())
        },
    )


def percentile(values: Iterable[float], p: float) -> float:
    """The nearest-rank ``p``-th percentile: a value that occurred, never an interpolation.

    Raises:
        ValueError: ``values`` is empty or ``p`` is outside (0, 100].
    """
    ordered = sorted(values)
    if not ordered:
        raise ValueError("the percentile of no values")
    if not 0 < p <= 100:
        raise ValueError(f"a percentile is in (0, 100], not {p}")
    rank = math.ceil(p / 100 * len(ordered))
    return ordered[rank - 1]


def _name(value: object) -> str:
    return value if isinstance(value, str) and value else _UNKNOWN


def _is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
