"""Benchmark: the requests and the rate-limited time of plan and apply, against their floors.

For each size, N configurations (default 100 and 1,000; five kinds, valid, so
the gate passes) and a simulated org seed that already holds part of them are
generated from one seed (``_apply_workload.py`` says which mix and why:
creates, updates with a changed field, no-ops). Then, on a fresh in-process
simulated org (``connect_mock``: respx, ``VirtualClock``), as ``--gc-apply``
and ``genesys-compliance apply`` run it (one client; the audit log as listener
and journal folder):

- **plan**: ``build_plan`` over the gated run;
- **apply**: ``applyrun.run_apply`` of that plan (``apply_plan`` underneath);
- **re-plan** and **re-apply**: the same again, which must find only no-ops
  and send nothing.

Every request the client makes (each attempt, the token request included) is
counted by operation and by what it is for (listing page, a parent's document,
a derived field's source, write, single get, token, anything else by its
operationId), and set against the
contract's **minimum**, worked out from the workload and the contract alone:
each listed kind's listing at the contract's largest page size (at least one
page), one read of each parent's document for kinds kept per parent (a queue's
strategies: the contract lists them no other way), one read of each source of a
derived field (a user's preferences, which layouts inheriting them carry: the
contract reads them one user at a time), and one write per created or updated
resource. Anything beyond that (the token, the org's identity for the audit
log, ``apply/interval``'s audit queries) is reported by name.

The apply's **virtual time** (the org's ``VirtualClock``, which moves only when
the client waits: rate limiter, ``Retry-After``) is set against the least time
the budget allows: ``max(0, requests - burst) * 60 s / 300``, where ``burst`` is
what is left of the limiter's start burst (10 sends) after the phases before
it. The limiter's own spacing (``60 s / (300 - burst + 1)``, so that no 60 s
holds more than 300 sends) is shown beside it. Real CPU and wall time of each
phase are information only: they include the simulated org's own work, in the
same process, and the journal's and audit log's fsyncs.

Request counts and virtual times are deterministic (checked across
``--repeat``); CPU and wall time are medians.

    python benchmarks/bench_apply.py                       # 100 and 1,000
    python benchmarks/bench_apply.py --counts 1000,10000 --repeat 3
    python benchmarks/bench_apply.py --count 1000 --flow-interval 0

``--flow-interval`` defaults to the policy's ``min-flow-update-interval`` (60 s),
as ``--gc-apply`` and ``genesys-compliance apply`` check ``apply/interval``.
A run whose apply goes wrong (gate refused, outcome not applied, plan not the
workload's mix, a second plan not all no-ops, a second apply sending anything,
client and org disagreeing on the count) stops with the reason, not a table.

Results are printed as Markdown tables and written to reports/bench_apply.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

# Run as a script, this file's folder is on sys.path: the helper is imported from beside it.
from _apply_workload import (
    DEFAULT_SEED,
    Measured,
    Minimum,
    Phase,
    generate,
    minimum,
    run,
)
from genesys_compliance.contract import Contract
from genesys_compliance.rules import Policy

ROOT = Path(__file__).resolve().parents[1]
PHASES = ("plan", "apply", "re-plan", "re-apply")
# What the contract's minimum is made of; any other category is beyond it.
FLOOR_CATEGORIES = ("list", "container", "source", "write")
_WARM_UP = 25


def _ratio(top: float, bottom: float, digits: int = 2) -> str:
    return f"{top / bottom:.{digits}f}" if bottom else "n/a"


def _merged(phases: list[Phase], name: str) -> Phase:
    """Several phases as one (plan + apply), for the run's headline figures."""
    categories: dict[str, int] = {}
    operations: dict[str, int] = {}
    statuses: dict[str, int] = {}
    for phase in phases:
        for into, source in (
            (categories, phase.by_category),
            (operations, phase.by_operation),
            (statuses, phase.statuses),
        ):
            for key, value in source.items():
                into[key] = into.get(key, 0) + value
    return Phase(
        name=name,
        by_category=dict(sorted(categories.items())),
        by_operation=dict(sorted(operations.items())),
        statuses=dict(sorted(statuses.items())),
        virtual_seconds=sum(p.virtual_seconds for p in phases),
        cpu_seconds=sum(p.cpu_seconds for p in phases),
        wall_seconds=sum(p.wall_seconds for p in phases),
    )


def _phase_of(measured: Measured, name: str) -> Phase:
    if name == "plan+apply":
        return _merged([measured.phases["plan"], measured.phases["apply"]], name)
    return measured.phases[name]


def _check_deterministic(runs: list[Measured]) -> None:
    """Requests and virtual time must not vary between repetitions; CPU and wall may."""
    first = runs[0]
    for other in runs[1:]:
        for name in PHASES:
            a, b = first.phases[name], other.phases[name]
            if (
                a.by_operation != b.by_operation
                or abs(a.virtual_seconds - b.virtual_seconds) > 1e-6
            ):
                raise SystemExit(f"{name}: requests or virtual time differ between repetitions")


def summarise(count: int, runs: list[Measured], floor: Minimum) -> dict[str, Any]:
    """Deterministic figures of the first run, medians of CPU and wall, the ratios."""
    _check_deterministic(runs)
    one = runs[0]
    phases = dict(one.phases)
    phases["plan+apply"] = _merged([phases["plan"], phases["apply"]], "plan+apply")
    medians: dict[str, dict[str, float]] = {}
    for name in (*PHASES, "plan+apply"):
        medians[name] = {
            "cpu": statistics.median(_phase_of(m, name).cpu_seconds for m in runs),
            "wall": statistics.median(_phase_of(m, name).wall_seconds for m in runs),
        }
    plan_requests = phases["plan"].requests
    minimums = {
        "plan": floor.plan,
        "apply": floor.apply,
        "plan+apply": floor.plan + floor.apply,
        "re-plan": floor.replan,
        "re-apply": 0,
    }
    before = {"plan": 0, "apply": plan_requests, "plan+apply": 0}
    rows: dict[str, dict[str, Any]] = {}
    for name, phase in phases.items():
        row: dict[str, Any] = {
            **phase.to_dict(),
            "minimum": minimums[name],
            "beyondMinimum": {
                c: n for c, n in phase.by_category.items() if c not in FLOOR_CATEGORIES
            },
            "cpuSeconds": round(medians[name]["cpu"], 3),
            "wallSeconds": round(medians[name]["wall"], 3),
        }
        if name in before:
            row["floorSeconds"] = round(one.floor_seconds(phase.requests, before=before[name]), 3)
            row["spacingSeconds"] = round(
                one.spacing_seconds(phase.requests, before=before[name]), 3
            )
        rows[name] = row
    ratios = {
        "plan_apply_requests_to_minimum": _number(
            phases["plan+apply"].requests, minimums["plan+apply"]
        ),
        "apply_requests_to_minimum": _number(phases["apply"].requests, minimums["apply"]),
        "apply_virtual_to_floor": _number(
            phases["apply"].virtual_seconds, rows["apply"]["floorSeconds"]
        ),
        "plan_apply_virtual_to_floor": _number(
            phases["plan+apply"].virtual_seconds, rows["plan+apply"]["floorSeconds"]
        ),
    }
    return {
        "count": count,
        "repeat": len(runs),
        "mix": one.workload.actions,
        "expected": one.workload.expected,
        "planned": one.planned,
        "applied": one.applied,
        "replanned": one.replanned,
        "reappliedWrites": one.reapplied_writes,
        "outcomes": list(one.outcomes),
        "gatePassed": one.gate_passed,
        "auditRecords": one.audit_records,
        "orgHandled": one.org_requests,
        "loadCpuSeconds": round(statistics.median(m.load_cpu_seconds for m in runs), 3),
        "limiter": {"budget": one.budget, "burst": one.burst, "interval": round(one.interval, 6)},
        "minimum": {
            "listReads": floor.list_reads,
            "containerReads": floor.container_reads,
            "writes": floor.writes,
            "batchedWrites": floor.batched_writes,
            "sourceReads": floor.source_reads,
        },
        "phases": rows,
        "ratios": ratios,
    }


def _number(top: float, bottom: float) -> float | None:
    return round(top / bottom, 3) if bottom else None


def _check(result: dict[str, Any]) -> list[str]:
    """What a correct apply must show; a broken run is reported, never tabled as a result."""
    problems = []
    if not result["gatePassed"]:
        problems.append("the gate refused configurations")
    if result["outcomes"] != ["applied", "applied"]:
        problems.append(f"outcomes {result['outcomes']}")
    planned = {k: v for k, v in result["planned"].items() if k != "blocked"}
    if planned != result["mix"] or result["planned"].get("blocked"):
        problems.append(f"planned {result['planned']}, the workload holds {result['mix']}")
    if result["replanned"]["no-op"] != result["count"] or result["reappliedWrites"]:
        problems.append(f"the second plan found {result['replanned']}")
    if result["phases"]["re-apply"]["requests"]:
        problems.append("the second apply sent requests")
    client = sum(result["phases"][name]["requests"] for name in PHASES)
    if client != result["orgHandled"]:
        problems.append(
            f"the client counted {client} requests, the org handled {result['orgHandled']}"
        )
    return problems


def table(results: list[dict[str, Any]]) -> str:
    """Markdown: requests per phase, time per phase, then the ratios and the floor's makings."""
    rows = [
        "| resources | phase | requests | list pages | parent reads | source reads | writes "
        "| beyond minimum | minimum | requests/minimum |",
        "|---:|---|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for result in results:
        for name in ("plan", "apply", "plan+apply", "re-plan", "re-apply"):
            p = result["phases"][name]
            by = p["byCategory"]
            beyond = ", ".join(f"{c} {n}" for c, n in p["beyondMinimum"].items()) or "none"
            rows.append(
                f"| {result['count']:,} | {name} | {p['requests']:,} | {by.get('list', 0):,} "
                f"| {by.get('container', 0):,} | {by.get('source', 0):,} "
                f"| {by.get('write', 0):,} | {beyond} "
                f"| {p['minimum']:,} | {_ratio(p['requests'], p['minimum'], 3)} |"
            )
    rows += [
        "",
        "| resources | phase | virtual s | floor s | virtual/floor | limiter spacing s "
        "| CPU s | wall s |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        for name in ("plan", "apply", "plan+apply", "re-apply"):
            p = result["phases"][name]
            floor = p.get("floorSeconds")
            cells = (
                f"{floor:.2f} | {_ratio(p['virtualSeconds'], floor, 3)} | {p['spacingSeconds']:.2f}"
                if floor is not None
                else " |  | "
            )
            rows.append(
                f"| {result['count']:,} | {name} | {p['virtualSeconds']:.2f} | {cells} "
                f"| {p['cpuSeconds']:.2f} | {p['wallSeconds']:.2f} |"
            )
    rows += [
        "",
        "| resources | create / update / no-op | plan+apply requests/minimum "
        "| apply requests/minimum | apply virtual/floor | plan+apply virtual/floor "
        "| re-apply requests |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        mix, r = result["mix"], result["ratios"]
        cells = " | ".join(
            "n/a" if r[k] is None else f"{r[k]:.3f}"
            for k in (
                "plan_apply_requests_to_minimum",
                "apply_requests_to_minimum",
                "apply_virtual_to_floor",
                "plan_apply_virtual_to_floor",
            )
        )
        rows.append(
            f"| {result['count']:,} | {mix['create']} / {mix['update']} / {mix['no-op']} "
            f"| {cells} | {result['phases']['re-apply']['requests']} |"
        )
    rows.append("")
    for result in results:
        floor, limiter = result["minimum"], result["limiter"]
        lists = ", ".join(f"{k} {v}" for k, v in floor["listReads"].items())
        parents = ", ".join(f"{k} {v}" for k, v in floor["containerReads"].items())
        sources = ", ".join(f"{k} {v}" for k, v in floor["sourceReads"].items()) or "none"
        batched = {k: v for k, v in floor["batchedWrites"].items() if v != floor["writes"][k]}
        merged = ", ".join(f"{k} {floor['writes'][k]} -> {v}" for k, v in batched.items())
        rows.append(
            f"{result['count']:,}: minimum = list pages ({lists}) + parent reads ({parents}) "
            f"+ source reads ({sources}) + {sum(floor['writes'].values())} writes; "
            f"limiter {limiter['budget']}/min, burst {limiter['burst']}, "
            f"spacing {limiter['interval'] * 1000:.1f} ms; "
            f"load and gate {result['loadCpuSeconds']:.2f} s CPU"
            + (f"; one merge write per parent would need {merged}" if merged else "")
        )
    return "\n".join(rows)


def main() -> None:
    """Generate, measure each size (fresh org per repetition), check, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="100,1000", help="comma-separated sizes")
    parser.add_argument("--count", type=int, help="one size (overrides --counts)")
    parser.add_argument("--repeat", type=int, default=1, help="repetitions; CPU medians reported")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="the workload's seed")
    parser.add_argument(
        "--flow-interval",
        type=float,
        default=Policy().min_flow_update_interval,
        help="apply/interval for flows, in seconds (default: the policy's "
        "min-flow-update-interval); 0 checks none, as the pytest glue does today",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "bench_apply.json")
    args = parser.parse_args()
    counts = [args.count] if args.count else sorted(int(c) for c in args.counts.split(","))
    if any(c < 5 for c in counts) or args.repeat < 1:
        parser.error("sizes must be at least 5 (one per kind) and --repeat at least 1")
    table_of_kinds = Contract.load().resources
    results = []
    with tempfile.TemporaryDirectory(prefix="gc-bench-apply-") as tmp:
        # Unmeasured: first use of the contract's validators and of every module, as any
        # process that has applied once has done; every size is then measured alike.
        warm = generate(Path(tmp, "warm-up"), _WARM_UP, args.seed)
        run(warm, Path(tmp, "warm-up"), flow_interval=args.flow_interval)
        for count in counts:
            folder = Path(tmp, str(count))
            workload = generate(folder, count, args.seed)
            runs = []
            for attempt in range(args.repeat):
                work = folder / f"run-{attempt}"
                work.mkdir()
                runs.append(run(workload, work, flow_interval=args.flow_interval))
            result = summarise(count, runs, minimum(workload, table_of_kinds))
            problems = _check(result)
            if problems:
                raise SystemExit(f"{count:,}: the apply went wrong: " + "; ".join(problems))
            results.append(result)
    report = {
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "seed": args.seed,
        "flowInterval": args.flow_interval,
        "results": results,
    }
    print(table(results))
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
