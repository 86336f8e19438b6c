"""Benchmark: the parse-and-validate floor, the bare engine and the suites, side by side.

For each size, N generated configurations (one per file, five kinds) are
measured four ways, each in its own process, in this one invocation:

- floor: read every file, ``yaml.load(..., Loader=yaml.CSafeLoader)`` per
  document and ``KINDS[kind].spec_model.model_validate(spec)`` of every spec;
- engine: ``load_run(...)`` then ``run.all_findings()``;
- suites: what users run for their configurations,
  ``python -m pytest suites/configurations -q -p no:cacheprovider
  -p no:schemathesis --gc-config-dir FOLDER -n 0``;
- suites-auto: the same with ``-n auto``, as CI and the README run it (the
  plugin starts no xdist workers when only configuration checks are selected,
  so this should never be slower than ``-n 0``).

``-p no:schemathesis``: schemathesis is one of this project's own test tools
(the ``test`` extra), not installed with the package, so a user's pytest does
not load its plugin; the benchmark leaves it out to time what users run.

Each process is reaped with ``os.wait4``, so wall time, CPU time (user plus
system, its reaped children included) and peak RSS (the largest single
process) are the operating system's own figures; both pytest modes' process
trees are also sampled for the peak of their summed RSS (controller plus any
workers). Before anything is measured, one unmeasured ``suites`` run over the
smallest size writes pytest's assertion-rewritten bytecode (and every imported
module's), as any machine has it after its first run; no mode runs with
``PYTHONDONTWRITEBYTECODE``. Machines here are noisy, so the ratios
(engine/floor work and CPU, suites/engine wall, suites-auto/suites wall) and
the configurations per second of both pytest modes are taken pair by pair
within one repetition and reported as medians over ``--repeat``. The plugin's
import time (``python -X importtime -c "import pytest; import genesys_compliance.plugin"``,
the cumulative figure of the plugin's line, so pytest's own import is not counted;
median of 5 fresh interpreters) is measured once per invocation.

    python benchmarks/bench_suites.py                          # 1,000 and 10,000
    python benchmarks/bench_suites.py --counts 1000,10000,50000 --repeat 3
    python benchmarks/bench_suites.py --count 2000 --modes suites,suites-auto

Results are printed as Markdown tables and written to reports/benchmark.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from genesys_compliance import load_run
from genesys_compliance.kinds import KINDS

ROOT = Path(__file__).resolve().parents[1]
ORG = "5f1c2b7e-9a3d-4e8f-b6c1-2d7a9e4f3b10"
MODES = ("floor", "engine", "suites", "suites-auto")
PYTEST_MODES = {"suites": "0", "suites-auto": "auto"}
"""The pytest modes and their ``-n``."""
PLUGIN = "genesys_compliance.plugin"
IMPORT_RUNS = 5
_MIB = 1024 * 1024


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _layout(i: int, rng: random.Random) -> dict[str, Any]:
    widgets = []
    types = [
        "queue-widget",
        "conversation-widget",
        "notes-widget",
        "custom-widget",
        "contact-center-widget",
    ]
    for row in range(rng.randint(1, 4)):
        for col in range(rng.randint(1, 3)):
            widgets.append(
                {
                    "widget_type": rng.choice(types),
                    "id": f"w-{row}-{col}",
                    "position": {"x": col * 8, "y": row * 4, "width": 8, "height": 4},
                    "visibility": {
                        "condition": rng.choice(["always", "role:agent", "queue:sales"])
                    },
                    "configuration": {"refresh": rng.randint(5, 60)},
                }
            )
    return {
        "kind": "DesktopLayout",
        "metadata": {"layoutId": f"lay-{i}"},
        "spec": {"name": f"Layout {i}", "grid": {"columns": 24, "rows": 16}, "widgets": widgets},
    }


def _flow(i: int, rng: random.Random) -> dict[str, Any]:
    return {
        "kind": "FlowSettings",
        "metadata": {},
        "spec": {
            "orgId": ORG,
            "flowId": _uuid(rng),
            "settings": {
                "routing": {
                    "type": "longestAvailable",
                    "maxWaitTime": rng.randint(1, 3600),
                    "scope": {"type": "org", "id": ORG},
                },
                "configurationMatrix": {
                    f"parameter_{k:02}": {"key": f"k{k}", "value": k}
                    for k in range(rng.randint(1, 6))
                },
                "scopeDirectives": {
                    "applyTo": rng.sample(["queue", "user", "team"], rng.randint(1, 3)),
                    "enforceHierarchy": True,
                },
            },
        },
    }


def _strategy(i: int, rng: random.Random) -> dict[str, Any]:
    return {
        "kind": "RoutingStrategy",
        "metadata": {
            "queueId": _uuid(rng),
            "requiredAgents": rng.randint(1, 50),
            "peak": {
                "arrivalsPerHour": rng.randint(10, 400),
                "avgHandleSeconds": rng.randint(60, 600),
                "agents": rng.randint(20, 300),
            },
        },
        "spec": {
            "strategy": "mostSkilled",
            "mediaType": rng.choice(["voice", "chat"]),
            "overflow": {
                "rules": [
                    {
                        "condition": "queueDepth",
                        "threshold": rng.randint(5, 50),
                        "action": "routeToNextQueue",
                    },
                    {
                        "condition": "waitTime",
                        "threshold": rng.randint(30, 600),
                        "action": "addSkillToInteraction",
                    },
                ]
            },
            "skills": {"required": ["support_tier1"], "preferred": ["billing"]},
        },
    }


def _trigger(i: int, rng: random.Random) -> dict[str, Any]:
    ops = [
        ("contains", "card declined"),
        ("equals", "refund"),
        ("regex", "card (declined|x)"),
        ("gt", 0.5),
        ("lt", -0.5),
        ("starts_with", "I want"),
    ]
    conditions = [
        {"type": "keyword", "field": "conversation.text", "operator": op, "value": v}
        for op, v in (rng.choice(ops) for _ in range(rng.randint(1, 8)))
    ]
    return {
        "kind": "TriggerRule",
        "metadata": {"ruleId": _uuid(rng)},
        "spec": {
            "name": f"Trigger {i}",
            "ruleType": "conversation",
            "enabled": True,
            "conditions": conditions,
            "actions": [{"type": "display", "templateId": "tmpl_98765", "priority": 1}],
        },
    }


def _tree(rng: random.Random, depth: int) -> dict[str, Any]:
    if depth <= 1 or rng.random() < 0.3:
        field, op, value = rng.choice(
            [
                ("skill", "exists", "billing"),
                ("language", "eq", "en"),
                ("priority", "gte", 5),
                ("vip_flag", "eq", True),
            ]
        )
        return {"type": "condition", "field": field, "operator": op, "value": value}
    kind = rng.choice(["and", "or", "not"])
    count = 1 if kind == "not" else rng.randint(1, 3)
    return {"type": kind, "children": [_tree(rng, depth - 1) for _ in range(count)]}


def _routing_rule(i: int, rng: random.Random) -> dict[str, Any]:
    return {
        "kind": "RoutingRule",
        "metadata": {"queueId": _uuid(rng)},
        "spec": {
            "name": f"Rule {i}",
            "priority": rng.randint(1, 100),
            "enabled": True,
            "expression": _tree(rng, rng.randint(1, 6)),
        },
    }


_MAKERS = (_layout, _flow, _strategy, _trigger, _routing_rule)
_FOLDERS = ("layouts", "flows", "strategies", "trigger-rules", "routing-rules")


def _path(folder: Path, i: int) -> Path:
    return folder / _FOLDERS[i % len(_MAKERS)] / f"{i // 500:03}" / f"cfg-{i}.yaml"


def generate(folder: Path, count: int, seed: int = 20261123) -> None:
    """Write ``count`` configurations, one per file, spread evenly over the five kinds."""
    rng = random.Random(seed)
    for i in range(count):
        which = i % len(_MAKERS)
        doc = _MAKERS[which](i, rng)
        envelope = {
            "apiVersion": "genesys-compliance/v1",
            "kind": doc["kind"],
            "metadata": {"name": f"cfg-{i}", **doc["metadata"]},
            "spec": doc["spec"],
        }
        path = _path(folder, i)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(envelope, sort_keys=False), encoding="utf-8")


def subset(source: Path, folder: Path, count: int) -> None:
    """Hard-link the first ``count`` files of a larger generation into ``folder``.

    The generator draws from one seeded stream in file order, so the first
    ``count`` files of a larger set are exactly what ``generate(count)`` writes.
    """
    for i in range(count):
        target = _path(folder, i)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(_path(source, i), target)
        except OSError:  # no hard links here: copy
            target.write_bytes(_path(source, i).read_bytes())


# -- what each measured process does (run as: bench_suites.py --measure MODE FOLDER) ----------


def floor(folder: Path) -> dict[str, Any]:
    """Read, safe-parse with libyaml and validate every spec: the least any checker does."""
    start = time.perf_counter()
    paths: list[str] = []
    for current, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        paths.extend(
            os.path.join(current, name) for name in filenames if name.endswith((".yaml", ".yml"))
        )
    paths.sort()
    documents = invalid = 0
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        for data in yaml.load_all(text, Loader=yaml.CSafeLoader):
            documents += 1
            try:
                KINDS[data["kind"]].spec_model.model_validate(data["spec"])
            except ValidationError:
                invalid += 1
    return {
        "work_seconds": time.perf_counter() - start,
        "configurations": documents,
        "invalid": invalid,
    }


def bare_engine(folder: Path) -> dict[str, Any]:
    """Load, prepare and check every configuration under ``folder`` in this process."""
    start = time.perf_counter()
    run = load_run([folder], folder)
    findings = run.all_findings()
    return {
        "work_seconds": time.perf_counter() - start,
        "configurations": len(run.entries),
        "findings": len(findings),
    }


# The configuration suites: what the bare engine computes too, as users run them. The
# org and property suites (suites/org, suites/properties) are not part of it.
CONFIGURATION_SUITES = "suites/configurations"


def pytest_command(folder: Path, numprocesses: str) -> list[str]:
    """The configuration suites over ``folder`` under ``pytest -n numprocesses``."""
    # schemathesis is this project's own test tool (the ``test`` extra), not installed
    # with the package: a user's pytest has no such plugin, so it is left out here.
    command = [sys.executable, "-m", "pytest", CONFIGURATION_SUITES, "-q"]
    command += ["-p", "no:cacheprovider", "-p", "no:schemathesis"]
    return [*command, "--gc-config-dir", str(folder), "-n", numprocesses]


# -- measuring a process -----------------------------------------------------------------------


def _tree_rss(root: int) -> dict[int, int]:
    """RSS in bytes of ``root`` and every descendant, read from /proc (Linux only)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        rss[int(entry)] = int(fields[21]) * page
    tree = {root}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return {pid: rss[pid] for pid in tree if pid in rss}


def _environment() -> dict[str, str]:
    """This environment without ``PYTHONDONTWRITEBYTECODE``, for every measured process.

    With it set, pytest cannot keep the assertion-rewritten bytecode of the suites
    and of the plugin (an entry-point plugin is rewritten too), so every run would
    rewrite them again: a cost users pay once, on their first run, not each time.
    It is dropped for floor and engine as well, so all modes start alike, from
    cached bytecode written by the warm-up run (the flag only stops writing it,
    so keeping it for them would change nothing but the conditions' description).
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def measure(command: Sequence[str], *, sample_tree: bool = False) -> dict[str, Any]:
    """Run ``command``; its wall, CPU and peak RSS as the kernel accounts them when reaped."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak_tree = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak_tree
        while not stop.wait(0.2):
            if os.path.isdir("/proc"):
                peak_tree = max(peak_tree, sum(_tree_rss(process.pid).values()))

    sampler = threading.Thread(target=sample, daemon=True)
    if sample_tree:
        sampler.start()
    out, err, status, usage = _communicate_then_reap(process)
    stop.set()
    elapsed = time.perf_counter() - start
    if sample_tree:
        sampler.join()
    figures: dict[str, Any] = {
        "wall_seconds": elapsed,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        # Linux reports KiB; the largest of the process and its reaped descendants.
        "peak_rss_mib": usage.ru_maxrss * 1024 / _MIB,
        "exit_status": os.waitstatus_to_exitcode(status),
        "stdout": out,
        "stderr": err,
    }
    if sample_tree:
        figures["peak_tree_rss_mib"] = peak_tree / _MIB
    return figures


def _communicate_then_reap(process: subprocess.Popen[str]) -> tuple[str, str, int, Any]:
    """Read the output to its end, then reap with ``wait4`` to keep the child's rusage."""
    chunks: dict[str, list[str]] = {"out": [], "err": []}

    def drain(stream: Any, into: list[str]) -> None:
        into.append(stream.read())

    readers = [
        threading.Thread(target=drain, args=(process.stdout, chunks["out"])),
        threading.Thread(target=drain, args=(process.stderr, chunks["err"])),
    ]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait again
    return "".join(chunks["out"]), "".join(chunks["err"]), status, usage


def run_mode(mode: str, folder: Path) -> dict[str, Any]:
    """One measured process of ``mode`` over ``folder``."""
    if mode in PYTEST_MODES:
        figures = measure(pytest_command(folder, PYTEST_MODES[mode]), sample_tree=True)
        lines = figures["stdout"].strip().splitlines()
        tail = lines[-1] if lines else figures["stderr"][-500:]
        if figures["exit_status"] not in (0, 1):
            raise SystemExit(f"{mode}: pytest failed to run ({figures['exit_status']}): {tail}")
        figures["summary"] = tail
    else:
        command = [sys.executable, str(Path(__file__).resolve()), "--measure", mode, str(folder)]
        figures = measure(command)
        if figures["exit_status"] != 0:
            raise SystemExit(f"{mode} failed ({figures['exit_status']}): {figures['stderr']}")
        figures.update(json.loads(figures["stdout"].strip().splitlines()[-1]))
    del figures["stdout"], figures["stderr"]
    return figures


def plugin_import_ms(runs: int = IMPORT_RUNS) -> dict[str, Any]:
    """The plugin's import time in fresh interpreters: the median of ``runs``, in ms.

    ``-X importtime`` prints one line per module, ``self | cumulative | name``; the
    cumulative microseconds of the plugin's line cover everything its import pulls
    in that was not loaded yet. pytest is imported first, as it always is when
    pytest loads the plugin, so the figure is what installing the package adds to
    every pytest start. One unmeasured import first makes sure its bytecode is cached.
    """
    command = [sys.executable, "-X", "importtime", "-c", f"import pytest; import {PLUGIN}"]
    samples: list[float] = []
    for attempt in range(runs + 1):
        done = subprocess.run(
            command, cwd=ROOT, env=_environment(), capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise SystemExit(f"importing {PLUGIN} failed: {done.stderr[-500:]}")
        cumulative = [
            int(fields[1])
            for fields in (line.split("|") for line in done.stderr.splitlines())
            if len(fields) == 3 and fields[2].strip() == PLUGIN
        ]
        if not cumulative:
            raise SystemExit(f"no importtime line for {PLUGIN}")
        if attempt:
            samples.append(cumulative[0] / 1000)
    return {"median_ms": round(statistics.median(samples), 1), "runs_ms": samples}


# -- reporting ---------------------------------------------------------------------------------


def _over(top: str, bottom: str, key: str) -> Callable[[dict[str, Any], int], float]:
    """``top``'s figure ``key`` over ``bottom``'s, in one repetition."""
    return lambda r, _: r[top][key] / r[bottom][key]


def _rate(mode: str) -> Callable[[dict[str, Any], int], float]:
    """Configurations per second of ``mode``'s wall time, in one repetition."""
    return lambda r, count: count / r[mode]["wall_seconds"]


# name: (heading, modes needed, digits, figure of one repetition given the size)
_RATIOS: dict[str, tuple[str, tuple[str, ...], int, Callable[[dict[str, Any], int], float]]] = {
    "engine_to_floor_work": (
        "engine/floor work",
        ("engine", "floor"),
        2,
        _over("engine", "floor", "work_seconds"),
    ),
    "engine_to_floor_cpu": (
        "engine/floor CPU",
        ("engine", "floor"),
        2,
        _over("engine", "floor", "cpu_seconds"),
    ),
    "suites_to_engine_wall": (
        "suites/engine wall",
        ("suites", "engine"),
        2,
        _over("suites", "engine", "wall_seconds"),
    ),
    # The goal: -n auto is never slower than -n 0 (at most 1.00, give or take noise).
    "suites_auto_to_suites_wall": (
        "suites-auto/suites wall",
        ("suites-auto", "suites"),
        2,
        _over("suites-auto", "suites", "wall_seconds"),
    ),
    "suites_auto_configs_per_second": (
        "suites-auto configs/s",
        ("suites-auto",),
        0,
        _rate("suites-auto"),
    ),
    "suites_configs_per_second": ("suites configs/s", ("suites",), 0, _rate("suites")),
}


def summarise(count: int, repeats: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians of each figure over the repetitions, and of each pair's ratios."""
    out: dict[str, Any] = {"count": count, "repeat": len(repeats)}
    for mode in MODES:
        if mode not in repeats[0]:
            continue
        figures = {}
        for key, value in repeats[0][mode].items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                median = statistics.median(r[mode][key] for r in repeats)
                figures[key] = round(median, 3) if isinstance(median, float) else median
            else:
                figures[key] = value
        out[mode] = figures
    out["ratios"] = {
        name: round(statistics.median(ratio(r, count) for r in repeats), digits)
        for name, (_, needs, digits, ratio) in _RATIOS.items()
        if all(mode in repeats[0] for mode in needs)
    }
    out["runs"] = repeats
    return out


def table(results: list[dict[str, Any]], plugin_import: dict[str, Any]) -> str:
    """Markdown: one row per size and process, then the ratios, then the import time."""
    rows = [
        "| configurations | process | work s | wall s | CPU s | peak RSS MiB | tree peak MiB "
        "| notes |",
        "|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for result in results:
        for mode in MODES:
            if mode not in result:
                continue
            f = result[mode]
            work = f"{f['work_seconds']:.2f}" if "work_seconds" in f else ""
            tree = f"{f['peak_tree_rss_mib']:.0f}" if "peak_tree_rss_mib" in f else ""
            if mode in PYTEST_MODES:
                note = f["summary"]
            elif mode == "engine":
                note = f"{f['findings']} findings"
            else:
                note = f"{f['invalid']} invalid specs"
            rows.append(
                f"| {result['count']:,} | {mode} | {work} | {f['wall_seconds']:.2f} "
                f"| {f['cpu_seconds']:.2f} | {f['peak_rss_mib']:.0f} | {tree} | {note} |"
            )
    headings = [heading for heading, *_ in _RATIOS.values()]
    rows += ["", "| configurations | " + " | ".join(headings) + " |"]
    rows.append("|---:|" + "---:|" * len(_RATIOS))
    for result in results:
        ratios = result["ratios"]
        cells = " | ".join(
            f"{ratios[name]:,.{digits}f}" if name in ratios else ""
            for name, (_, _, digits, _) in _RATIOS.items()
        )
        rows.append(f"| {result['count']:,} | {cells} |")
    rows += [
        "",
        f"plugin import time: {plugin_import['median_ms']:.1f} ms "
        f'(`python -X importtime -c "import pytest; import {PLUGIN}"`, the plugin\'s '
        f"cumulative line, median of {len(plugin_import['runs_ms'])} fresh interpreters)",
    ]
    return "\n".join(rows)


def main() -> None:
    """Generate, measure every mode per size in one invocation, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="1000,10000", help="comma-separated sizes")
    parser.add_argument("--count", type=int, help="one size (overrides --counts)")
    parser.add_argument("--repeat", type=int, default=1, help="repetitions; medians reported")
    parser.add_argument(
        "--modes", default=",".join(MODES), help=f"which of {','.join(MODES)} to run"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "benchmark.json")
    parser.add_argument("--measure", nargs=2, metavar=("MODE", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        mode, folder = args.measure
        print(json.dumps({"floor": floor, "engine": bare_engine}[mode](Path(folder))))
        return
    counts = [args.count] if args.count else sorted(int(c) for c in args.counts.split(","))
    asked = args.modes.split(",")
    if unknown := sorted(set(asked) - set(MODES)):
        parser.error(f"unknown mode(s) {', '.join(unknown)}: choose from {', '.join(MODES)}")
    modes = [m for m in MODES if m in asked]
    results = []
    with tempfile.TemporaryDirectory(prefix="gc-bench-") as tmp:
        largest = Path(tmp, str(counts[-1]))
        generate(largest, counts[-1])
        folders = {count: Path(tmp, str(count)) for count in counts}
        for count, folder in folders.items():
            if folder != largest:
                subset(largest, folder, count)
        # Unmeasured: pytest's first run rewrites the suites' and the plugin's asserts and
        # caches the bytecode, as every other module's is cached on first import; on any
        # machine that has run it once, that is done. Every mode is measured after it.
        warm_up = run_mode("suites", folders[counts[0]])
        plugin_import = plugin_import_ms()
        for count, folder in folders.items():
            repeats = [{mode: run_mode(mode, folder) for mode in modes} for _ in range(args.repeat)]
            results.append(summarise(count, repeats))
    report = {
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "modes": {
            mode: ["python", *pytest_command(Path("FOLDER"), n)[1:]]
            for mode, n in PYTEST_MODES.items()
        },
        "warm_up": {"count": counts[0], **warm_up},
        "plugin_import": plugin_import,
        "results": results,
    }
    print(table(results, plugin_import))
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
