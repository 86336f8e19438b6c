"""Benchmark: N generated configurations through the suites under ``pytest -n 2``.

Reports configurations per second of the pytest run and the ratio of its wall
time to the bare rule engine's time over the same files, both measured in
this one invocation (machines here are noisy; a ratio from one run is more
telling than an absolute time compared across runs).

    python benchmarks/bench_suites.py                 # 10,000 configurations
    python benchmarks/bench_suites.py --count 2000 --workers 2

Results are printed and written to reports/benchmark.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from genesys_compliance import load_run

ROOT = Path(__file__).resolve().parents[1]
ORG = "5f1c2b7e-9a3d-4e8f-b6c1-2d7a9e4f3b10"


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
        path = folder / _FOLDERS[which] / f"{i // 500:03}" / f"cfg-{i}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(envelope, sort_keys=False), encoding="utf-8")


def bare_engine(folder: Path) -> tuple[float, int, int]:
    """Seconds for load + every rule over ``folder`` in this process; configs and findings."""
    start = time.perf_counter()
    run = load_run([folder], folder)
    findings = run.all_findings()
    return time.perf_counter() - start, len(run.entries), len(findings)


# The local compliance suites: what the bare engine computes too. The contract and org
# suites talk to the (simulated) org; the property suites generate their own data.
COMPLIANCE_SUITES = [
    f"suites/test_{name}.py"
    for name in ("files", "layouts", "flows", "strategies", "trigger_rules", "routing_rules")
]


def pytest_run(folder: Path, workers: int) -> tuple[float, str]:
    """Wall seconds of the suites over ``folder`` under ``pytest -n workers``."""
    command = [sys.executable, "-m", "pytest", *COMPLIANCE_SUITES, "-q", "-p", "no:cacheprovider"]
    command += ["--gc-config-dir", str(folder), "-n", str(workers)]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - start
    tail = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-500:]
    if done.returncode not in (0, 1):
        raise SystemExit(f"pytest failed to run ({done.returncode}): {tail}")
    return elapsed, tail


def main() -> None:
    """Generate, measure both paths in one invocation, print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gc-bench-") as tmp:
        folder = Path(tmp)
        generate(folder, args.count)
        engine_s, configs, findings = bare_engine(folder)
        suites_s, tail = pytest_run(folder, args.workers)
    result = {
        "configurations": configs,
        "findings": findings,
        "workers": args.workers,
        "bare_engine_seconds": round(engine_s, 2),
        "pytest_seconds": round(suites_s, 2),
        "pytest_configurations_per_second": round(configs / suites_s, 1),
        "engine_configurations_per_second": round(configs / engine_s, 1),
        "ratio_pytest_to_engine": round(suites_s / engine_s, 2),
        "pytest_summary": tail,
    }
    print(json.dumps(result, indent=2))
    out = ROOT / "reports" / "benchmark.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
