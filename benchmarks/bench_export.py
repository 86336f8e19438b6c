"""Benchmark: exporting a generated org, against the rate limit's floor and the minimum reads.

For each size (default 3,000 resources; ``generate_org``'s mix: 8 % layouts,
12 % flows, 30 % queue strategies, 20 % trigger rules, 30 % routing rules),
a fresh in-process simulated org (``connect_mock``: respx, ``VirtualClock``)
is exported once, as ``genesys-compliance export`` does it, and measured:

- **requests**: every attempt the client sent (the token request and any
  retry included), against the contract's **minimum**: each listed kind's
  listing at the contract's largest page size (500; at least one page), the
  queues' listing, and one read of each queue's strategies (the contract
  lists them no other way). The token request is shown apart.
- **virtual time**: the org's ``VirtualClock``, which moves only when the
  client waits (rate limiter, ``Retry-After``), against the least time the
  budget allows for those requests: ``max(0, requests - burst) * 60 s / 300``,
  ``burst`` being the limiter's start burst (10). The limiter's own spacing
  (``60 s / (300 - burst + 1)``, so that no 60 s ever holds more than 300
  sends) is shown beside it.
- **CPU and wall time**: information only; they include the simulated org's
  own work (contract validation of every request and answer) in the same
  process, and writing one file per resource.

``--inject-429 N`` also answers the first N queue reads with 429 (``Retry-After:
2``): they must be waited out, not failed, and cost N requests and their waits.
Request counts and virtual times are deterministic; CPU and wall time are medians
of ``--repeat`` runs.

    python benchmarks/bench_export.py                         # 3,000
    python benchmarks/bench_export.py --counts 1000,3000,10000 --repeat 3
    python benchmarks/bench_export.py --inject-429 5

Results are printed as a Markdown table and written to reports/bench_export.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genesys_compliance.connect import connect_mock
from genesys_compliance.export import export_org
from genesys_compliance.simorg import generate_org

ROOT = Path(__file__).resolve().parents[1]
WINDOW_SECONDS = 60.0
RETRY_AFTER = 2


@dataclass(frozen=True)
class Run:
    """One export of one generated org."""

    resources: int
    queues: int
    requests: int
    token: int
    minimum: int
    retried: int
    failed: int
    virtual: float
    cpu: float
    wall: float
    budget: int
    burst: int
    interval: float

    def floor(self) -> float:
        """The least time the budget allows for the requests sent."""
        return max(0, self.requests - self.burst) * WINDOW_SECONDS / self.budget

    def spacing(self) -> float:
        """The same at the limiter's own spacing."""
        return max(0, self.requests - self.burst) * self.interval


def measure(resources: int, seed: int, inject: int, work: Path) -> Run:
    made = generate_org(work / "seed", resources=resources, seed=seed)
    connection = connect_mock(made.directory)
    try:
        org = connection.org
        assert org is not None
        if inject:
            org.faults.rate_limit(
                times=inject, retry_after=RETRY_AFTER, operation="getQueueStrategies"
            )
        limiter = connection.client.rate_limiter
        seen = len(org.requests.entries())
        virtual, cpu, wall = org.clock.now(), time.process_time(), time.perf_counter()
        result = export_org(connection.client, work / "out")
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        virtual = org.clock.now() - virtual
        handled = org.requests.entries()[seen:]
        failed = sum(
            1 for e in handled if e.status is None or (e.status >= 400 and e.status != 429)
        )
        return Run(
            resources=sum(result.counts.values()),
            queues=made.queues,
            requests=result.requests,
            token=result.token_requests,
            minimum=result.minimum_requests,
            retried=result.retried_after_429,
            failed=failed,
            virtual=virtual,
            cpu=cpu,
            wall=wall,
            budget=limiter.budget,
            burst=round(limiter.share + 1 - WINDOW_SECONDS / limiter.interval),
            interval=limiter.interval,
        )
    finally:
        connection.close()


def summarise(runs: list[Run]) -> dict[str, Any]:
    first = runs[0]
    for other in runs[1:]:
        if (other.requests, round(other.virtual, 6)) != (first.requests, round(first.virtual, 6)):
            raise SystemExit("requests or virtual time differ between repetitions")
    return {
        "resources": first.resources,
        "queues": first.queues,
        "requests": first.requests,
        "tokenRequests": first.token,
        "minimumRequests": first.minimum,
        "requestsToMinimum": round((first.requests - first.token) / first.minimum, 4),
        "retriedAfter429": first.retried,
        "failedRequests": first.failed,
        "virtualSeconds": round(first.virtual, 3),
        "floorSeconds": round(first.floor(), 3),
        "spacingSeconds": round(first.spacing(), 3),
        "virtualToFloor": round(first.virtual / first.floor(), 4) if first.floor() else None,
        "cpuSeconds": round(statistics.median(r.cpu for r in runs), 3),
        "wallSeconds": round(statistics.median(r.wall for r in runs), 3),
        "limiter": {"budget": first.budget, "burst": first.burst, "interval": first.interval},
        "repeat": len(runs),
    }


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| resources | requests (reads + token) | minimum reads | reads / minimum "
        "| 429s waited out | failed | virtual time | floor | virtual / floor | CPU |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        reads = r["requests"] - r["tokenRequests"]
        lines.append(
            f"| {r['resources']:,} | {r['requests']} ({reads} + {r['tokenRequests']}) "
            f"| {r['minimumRequests']} | {r['requestsToMinimum']:.2f} | {r['retriedAfter429']} "
            f"| {r['failedRequests']} | {r['virtualSeconds']:.1f} s | {r['floorSeconds']:.1f} s "
            f"| {r['virtualToFloor']:.3f} | {r['cpuSeconds']:.2f} s |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--counts", default="3000", help="comma-separated sizes [3000]")
    parser.add_argument("--seed", type=int, default=0, help="generate_org's seed [0]")
    parser.add_argument("--repeat", type=int, default=1, help="runs per size (medians) [1]")
    parser.add_argument("--inject-429", type=int, default=0, help="429s to wait out [0]")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "bench_export.json")
    args = parser.parse_args(argv)
    rows = []
    for count in (int(c) for c in args.counts.split(",")):
        runs = []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory(prefix="bench-export-") as work:
                runs.append(measure(count, args.seed, args.inject_429, Path(work)))
        rows.append(summarise(runs))
    print(table(rows))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"results": rows}, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {args.out}")
    return 0 if all(r["failedRequests"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
