"""The apply benchmark's workload: N configurations, an org seed that already holds part of them.

Shared by ``bench_apply.py`` and ``tests/test_bench_apply.py``, so the figures
the README quotes come from the same code a test keeps honest.

The mix, per kind, by the configuration's position ``j`` within its kind
(``j % 5``): one in five is a **create**, two are **updates** (one managed field
differs in the org), two are **no-ops** (the org holds exactly the file's
state; where the kind has sets, in another order, which must still plan as no
change). Flows cannot be created (the contract has no create for them), so
their create slot is an update. At 1,000 that is 160 creates, 440 updates and
400 no-ops: writes are 60 % of the resources, so the apply's time is the writes'
and the rate limit's floor is a meaningful yardstick, while the no-ops show
that an unchanged resource costs nothing beyond its share of a listing.

One block of five layouts in four (one of each slot) inherits a user's desktop
preferences (``inheritance: user-preference``, two layouts per user), so the
plan reads each of those users once and the apply writes the derived field.
Existing resources also carry a field their file never states (a layout's
``inheritance``, a rule's ``description``), which the apply must keep, and the
org holds one unmanaged resource per ten managed ones of each listed kind, as a
real org does, so the listings the plan reads are larger than the configuration
set. Queues hold two strategies each (voice and chat) and two routing rules.
Every id is derived from the seed by hashing, every other choice from one
seeded ``random.Random``: the same arguments write the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml

from genesys_compliance.apply import build_plan, gate
from genesys_compliance.applyrun import ApplySettings, run_apply
from genesys_compliance.client import Exchange, ExchangeLog, VirtualClock
from genesys_compliance.connect import connect_mock
from genesys_compliance.engine import load_run

if TYPE_CHECKING:
    from genesys_compliance.applyrun import ApplyOutcome
    from genesys_compliance.connect import OrgConnection
    from genesys_compliance.contract import ResourceTable

__all__ = [
    "DEFAULT_SEED",
    "KINDS",
    "Measured",
    "Minimum",
    "Phase",
    "Workload",
    "generate",
    "minimum",
    "run",
]

DEFAULT_SEED = 20261123
ORG_ID = "5f1c2b7e-9a3d-4e8f-b6c1-2d7a9e4f3b10"
TEMPLATE = "tmpl-bench-01"
KINDS = ("DesktopLayout", "FlowSettings", "RoutingStrategy", "TriggerRule", "RoutingRule")
_FOLDERS = ("layouts", "flows", "strategies", "trigger-rules", "routing-rules")
_SEED_KEYS = {
    "DesktopLayout": "layouts",
    "FlowSettings": "flows",
    "TriggerRule": "triggerRules",
    "RoutingRule": "routingRules",
}
PlanAction = Literal["create", "update", "no-op"]
_SLOTS: tuple[PlanAction, ...] = ("create", "update", "update", "no-op", "no-op")
_MEDIA = ("voice", "chat")  # two strategies per queue: what most contact centres run
# One block of five layouts (one of each slot) in this many inherits a user's preferences.
_INHERIT_EVERY = 4
_SKILLS = ("support_tier1", "billing", "spanish", "escalation_capable", "retention")
# The rate limiter's window and the simulated org's (a token's count resets every 60 s).
WINDOW_SECONDS = 60.0
_TOKEN = "postOAuthToken"


# ---------------------------------------------------------------- the workload


@dataclass(frozen=True)
class Workload:
    """What :func:`generate` wrote, and what the plan must find in it.

    Attributes:
        count: Configurations written.
        configs: Their folder (one file each, a folder per kind).
        seed: The simulated org's seed folder.
        expected: Kind to planned action to configurations: the mix by design.
        org_totals: Resources of each kind the org lists at plan time
            (managed and unmanaged), for the listing pages the plan needs.
        parents: For kinds kept in one document per parent (strategies per
            queue), the distinct parents the configurations name.
        changed_parents: Of those, the parents with at least one create or update.
        sources: Per kind with derived fields, the distinct sources the
            configurations name (layouts: the users whose preferences they inherit).
    """

    count: int
    configs: Path
    seed: Path
    expected: dict[str, dict[str, int]]
    org_totals: dict[str, int]
    parents: dict[str, int]
    changed_parents: dict[str, int]
    sources: dict[str, int]

    @property
    def actions(self) -> dict[str, int]:
        """Planned actions over every kind."""
        total: Counter[str] = Counter()
        for by_action in self.expected.values():
            total.update(by_action)
        return {action: total.get(action, 0) for action in ("create", "update", "no-op")}

    @property
    def writes(self) -> int:
        """Resources the apply must write: creates and updates."""
        return self.actions["create"] + self.actions["update"]


def _uuid(*parts: object) -> str:
    """A lowercase UUID-shaped id from its parts: stable across runs and machines."""
    h = hashlib.sha256("/".join(str(p) for p in parts).encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


@dataclass
class _Org:
    """The seed under construction."""

    layouts: list[dict[str, Any]] = field(default_factory=list)
    flows: list[dict[str, Any]] = field(default_factory=list)
    queues: dict[int, dict[str, Any]] = field(default_factory=dict)
    trigger_rules: list[dict[str, Any]] = field(default_factory=list)
    routing_rules: list[dict[str, Any]] = field(default_factory=list)
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    inheriting: int = 0

    def user(self, seed: int, index: int) -> dict[str, Any]:
        """User ``index``, made on first use, with desktop preferences of their own."""
        if index not in self.users:
            self.users[index] = {
                "id": _uuid(seed, "user", index),
                "name": f"Bench agent {index}",
                "preferences": {
                    "desktop": {
                        "theme": ("default", "high-contrast", "dark")[index % 3],
                        "pinnedWidgets": [f"w-0-{index % 3}"],
                    },
                    "language": "en-GB",
                },
            }
        return self.users[index]

    def queue(self, seed: int, index: int) -> dict[str, Any]:
        """Queue ``index``, made on first use, with an empty strategies document."""
        if index not in self.queues:
            self.queues[index] = {
                "id": _uuid(seed, "queue", index),
                "name": f"Bench queue {index}",
                "memberCount": 20,
                "mediaTypes": ["voice", "chat", "callback"],
                "realtime": {"availableAgents": 16, "onQueueAgents": 18, "waitingInteractions": 1},
                "strategies": {"version": 1 + index % 7, "items": []},
            }
        return self.queues[index]


def _slot(kind: str, j: int) -> PlanAction:
    action = _SLOTS[j % len(_SLOTS)]
    return "update" if action == "create" and kind == "FlowSettings" else action


def _layout(
    i: int, j: int, action: PlanAction, rng: random.Random, org: _Org, seed: int
) -> dict[str, Any]:
    types = [
        "queue-widget",
        "conversation-widget",
        "notes-widget",
        "custom-widget",
        "contact-center-widget",
    ]
    widgets = [
        {
            "widget_type": rng.choice(types),
            "id": f"w-{row}-{col}",
            "position": {"x": col * 8, "y": row * 4, "width": 8, "height": 4},
            "visibility": {"condition": rng.choice(["always", "role:agent", "queue:sales"])},
            "configuration": {"refresh": rng.randint(5, 60)},
        }
        for row in range(rng.randint(1, 4))
        for col in range(rng.randint(1, 3))
    ]
    spec: dict[str, Any] = {
        "name": f"Bench layout {i}",
        "grid": {"columns": 24, "rows": 16},
        "widgets": widgets,
    }
    metadata: dict[str, Any] = {}
    user = None
    if (j // len(_SLOTS)) % _INHERIT_EVERY == 0:  # a personal desktop: two layouts per user
        user = org.user(seed, org.inheriting // 2)
        org.inheriting += 1
        spec["inheritance"] = "user-preference"
        metadata["userId"] = user["id"]
    if action != "create":  # a create names no layoutId: the org assigns it
        layout_id = f"lay-bench-{i}"
        metadata["layoutId"] = layout_id
        entity = {**json.loads(json.dumps(spec)), "id": layout_id, "version": rng.randint(1, 9)}
        if user is None:
            entity["inheritance"] = "none"  # unmanaged: the file never states it
        else:  # as an earlier apply left it: the user's preferences laid in
            entity["user_preference_override"] = json.loads(
                json.dumps(user["preferences"]["desktop"])
            )
        if action == "update":
            entity["widgets"][0]["configuration"]["refresh"] += 1
        org.layouts.append(entity)
    return {"kind": "DesktopLayout", "metadata": metadata, "spec": spec}


def _flow(i: int, action: PlanAction, rng: random.Random, org: _Org, seed: int) -> dict[str, Any]:
    flow_id = _uuid(seed, "flow", i)
    wait = rng.randint(1, 3600)
    settings = {
        "routing": {
            "type": "longestAvailable",
            "maxWaitTime": wait,
            "scope": {"type": "org", "id": ORG_ID},
        },
        "configurationMatrix": {
            f"parameter_{k:02}": {"key": f"k{k}", "value": k} for k in range(rng.randint(1, 6))
        },
        "scopeDirectives": {
            "applyTo": rng.sample(["queue", "user", "team"], rng.randint(1, 3)),
            "enforceHierarchy": True,
        },
    }
    in_org = json.loads(json.dumps(settings))
    if action == "update":
        in_org["routing"]["maxWaitTime"] = wait + 1 if wait < 3600 else wait - 1
    else:  # a set in another order is no change
        in_org["scopeDirectives"]["applyTo"].reverse()
    org.flows.append(
        {
            "id": flow_id,
            "name": f"Bench flow {i}",
            "type": "inboundcall",
            "version": rng.randint(1, 30),
            "orgId": ORG_ID,
            "settings": in_org,
        }
    )
    spec = {"orgId": ORG_ID, "flowId": flow_id, "settings": settings}
    return {"kind": "FlowSettings", "metadata": {}, "spec": spec}


def _strategy(
    i: int, j: int, action: PlanAction, rng: random.Random, org: _Org, seed: int
) -> dict[str, Any]:
    queue = org.queue(seed, j // len(_MEDIA))
    required = rng.sample(_SKILLS, rng.randint(2, 3))
    preferred = [rng.choice([s for s in _SKILLS if s not in required])]
    spec = {
        "strategy": rng.choice(["mostSkilled", "longestIdleAgent"]),
        "mediaType": _MEDIA[j % len(_MEDIA)],
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
        "skills": {"required": required, "preferred": preferred},
    }
    if action != "create":
        item = json.loads(json.dumps(spec))
        if action == "update":
            item["overflow"]["rules"][0]["threshold"] += 1
        else:  # a set in another order is no change
            item["skills"]["required"].reverse()
        queue["strategies"]["items"].append(item)
    return {"kind": "RoutingStrategy", "metadata": {"queueId": queue["id"]}, "spec": spec}


def _trigger(
    i: int, action: PlanAction, rng: random.Random, org: _Org, seed: int
) -> dict[str, Any]:
    ops = [
        ("contains", "card declined"),
        ("equals", "refund"),
        ("regex", "card (declined|x)"),
        ("gt", 0.5),
        ("lt", -0.5),
        ("starts_with", "I want"),
    ]
    rule_id = _uuid(seed, "trigger", i)
    spec = {
        "name": f"Bench trigger {i}",
        "ruleType": "conversation",
        "enabled": True,
        "conditions": [
            {"type": "keyword", "field": "conversation.text", "operator": op, "value": value}
            for op, value in (rng.choice(ops) for _ in range(rng.randint(1, 8)))
        ],
        "actions": [{"type": "display", "templateId": TEMPLATE, "priority": rng.randint(1, 5)}],
    }
    if action != "create":
        entity = {**json.loads(json.dumps(spec)), "id": rule_id, "etag": str(rng.randint(1, 9))}
        entity["description"] = "Kept by the apply: the file never states it"
        if action == "update":
            entity["enabled"] = False
        org.trigger_rules.append(entity)
    return {"kind": "TriggerRule", "metadata": {"ruleId": rule_id}, "spec": spec}


def _tree(rng: random.Random, depth: int) -> dict[str, Any]:
    if depth <= 1 or rng.random() < 0.3:
        name, op, value = rng.choice(
            [
                ("skill", "exists", "billing"),
                ("language", "eq", "en"),
                ("priority", "gte", 5),
                ("vip_flag", "eq", True),
            ]
        )
        return {"type": "condition", "field": name, "operator": op, "value": value}
    kind = rng.choice(["and", "or", "not"])
    count = 1 if kind == "not" else rng.randint(1, 3)
    return {"type": kind, "children": [_tree(rng, depth - 1) for _ in range(count)]}


def _routing_rule(
    i: int, j: int, action: PlanAction, rng: random.Random, org: _Org, seed: int
) -> dict[str, Any]:
    queue = org.queue(seed, j // len(_MEDIA))
    priority = rng.randint(1, 99)
    spec = {
        "name": f"Bench rule {i}",
        "priority": priority,
        "enabled": True,
        "expression": _tree(rng, rng.randint(1, 6)),
    }
    if action != "create":
        entity = json.loads(json.dumps(spec))
        entity.update(
            id=_uuid(seed, "routing-rule", i),
            version=rng.randint(1, 9),
            queue={"id": queue["id"]},
            description="Kept by the apply: the file never states it",
        )
        if action == "update":
            entity["priority"] = priority + 1
        org.routing_rules.append(entity)
    return {"kind": "RoutingRule", "metadata": {"queueId": queue["id"]}, "spec": spec}


def _unmanaged(org: _Org, per_kind: int, seed: int) -> None:
    """Resources no configuration names: every real org has some, and listings include them."""
    extra = per_kind // 10
    queue = org.queue(seed, 0)
    for k in range(extra):
        org.layouts.append(
            {
                "id": f"lay-legacy-{k}",
                "name": f"Legacy layout {k}",
                "version": 3,
                "grid": {"columns": 12, "rows": 8},
                "widgets": [],
            }
        )
        org.flows.append(
            {
                "id": _uuid(seed, "legacy-flow", k),
                "name": f"Legacy flow {k}",
                "version": 2,
                "orgId": ORG_ID,
                "settings": {"routing": {"type": "longestAvailable"}},
            }
        )
        org.trigger_rules.append(
            {
                "id": _uuid(seed, "legacy-trigger", k),
                "etag": "4",
                "name": f"Legacy trigger {k}",
                "conditions": [
                    {
                        "type": "keyword",
                        "field": "conversation.text",
                        "operator": "contains",
                        "value": "legacy",
                    }
                ],
                "actions": [{"type": "display", "templateId": TEMPLATE, "priority": 1}],
            }
        )
        org.routing_rules.append(
            {
                "id": _uuid(seed, "legacy-rule", k),
                "name": f"Legacy rule {k}",
                "version": 1,
                "queue": {"id": queue["id"]},
                "expression": {
                    "type": "condition",
                    "field": "language",
                    "operator": "eq",
                    "value": "en",
                },
            }
        )


def generate(folder: Path, count: int, seed: int = DEFAULT_SEED) -> Workload:
    """Write ``count`` configurations and the org seed they are applied to under ``folder``.

    Configuration ``i`` is of kind ``i % 5`` (as ``bench_suites.py`` spreads
    them); its action is fixed by its position within the kind (module
    docstring). The configurations pass every document and run rule, so the
    gate lets all of them through.
    """
    rng = random.Random(seed)
    org = _Org()
    configs = folder / "configs"
    expected: dict[str, Counter[str]] = {kind: Counter() for kind in KINDS}
    parents: dict[str, set[str]] = {"RoutingStrategy": set()}
    changed: dict[str, set[str]] = {"RoutingStrategy": set()}
    for i in range(count):
        kind_index, j = i % len(KINDS), i // len(KINDS)
        kind = KINDS[kind_index]
        action = _slot(kind, j)
        if kind == "DesktopLayout":
            doc = _layout(i, j, action, rng, org, seed)
        elif kind == "FlowSettings":
            doc = _flow(i, action, rng, org, seed)
        elif kind == "RoutingStrategy":
            doc = _strategy(i, j, action, rng, org, seed)
            parents[kind].add(doc["metadata"]["queueId"])
            if action != "no-op":
                changed[kind].add(doc["metadata"]["queueId"])
        elif kind == "TriggerRule":
            doc = _trigger(i, action, rng, org, seed)
        else:
            doc = _routing_rule(i, j, action, rng, org, seed)
        expected[kind][action] += 1
        envelope = {
            "apiVersion": "genesys-compliance/v1",
            "kind": kind,
            "metadata": {"name": f"cfg-{i}", **doc["metadata"]},
            "spec": doc["spec"],
        }
        path = configs / _FOLDERS[kind_index] / f"{j // 500:03}" / f"cfg-{i}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(envelope, sort_keys=False), encoding="utf-8")
    _unmanaged(org, math.ceil(count / len(KINDS)), seed)
    seed_dir = folder / "org"
    _write_seed(seed_dir, org)
    totals = {
        "DesktopLayout": len(org.layouts),
        "FlowSettings": len(org.flows),
        "TriggerRule": len(org.trigger_rules),
        "RoutingRule": len(org.routing_rules),
    }
    return Workload(
        count=count,
        configs=configs,
        seed=seed_dir,
        expected={kind: dict(sorted(c.items())) for kind, c in expected.items() if c},
        org_totals=totals,
        parents={kind: len(found) for kind, found in parents.items()},
        changed_parents={kind: len(found) for kind, found in changed.items()},
        sources={"DesktopLayout": len(org.users)} if org.users else {},
    )


def _write_seed(folder: Path, org: _Org) -> None:
    """The seed as JSON (the loader takes it; far quicker to read than YAML at 10,000)."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, dict[str, Any]] = {
        "org.json": {
            "org": {"id": ORG_ID, "name": "Benchmark contact centre"},
            "licences": [{"licenseType": "GenesysCloudCX3", "count": 10_000}],
            "templates": [{"id": TEMPLATE, "name": "Benchmark template"}],
        },
        "queues.json": {"queues": [org.queues[k] for k in sorted(org.queues)]},
        "users.json": {"users": [org.users[k] for k in sorted(org.users)]},
        "layouts.json": {_SEED_KEYS["DesktopLayout"]: org.layouts},
        "flows.json": {_SEED_KEYS["FlowSettings"]: org.flows},
        "assist.json": {_SEED_KEYS["TriggerRule"]: org.trigger_rules},
        "routing-rules.json": {_SEED_KEYS["RoutingRule"]: org.routing_rules},
    }
    for name, data in files.items():
        (folder / name).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- the floor


@dataclass(frozen=True)
class Minimum:
    """The fewest requests the contract allows for the workload's plan and apply.

    Attributes:
        list_reads: Per listed kind, the pages of its listing at the contract's
            largest page size (at least one: an empty org still answers).
        container_reads: Per container kind, one read of each parent's
            document (the contract lists a queue's strategies no other way).
        writes: Per kind, one write per created or updated resource.
        batched_writes: Per kind, the writes if a merge endpoint took every
            change of one parent in one request (strategies: one PATCH per queue).
        relist_reads: Per listed kind, the pages once the creates have landed:
            a second plan reads a larger org.
        source_reads: Per kind with derived fields, one read of each distinct
            source (a user's preferences: the contract reads them one user at
            a time, and a plan reads each once however many layouts name it).
    """

    list_reads: dict[str, int]
    container_reads: dict[str, int]
    writes: dict[str, int]
    batched_writes: dict[str, int]
    relist_reads: dict[str, int]
    source_reads: dict[str, int]

    @property
    def plan(self) -> int:
        """The plan's floor: its reads."""
        return (
            sum(self.list_reads.values())
            + sum(self.container_reads.values())
            + sum(self.source_reads.values())
        )

    @property
    def apply(self) -> int:
        """The apply's floor: its writes."""
        return sum(self.writes.values())

    @property
    def replan(self) -> int:
        """A second plan's floor, after the apply."""
        return (
            sum(self.relist_reads.values())
            + sum(self.container_reads.values())
            + sum(self.source_reads.values())
        )


def minimum(workload: Workload, table: ResourceTable) -> Minimum:
    """The floor, worked out from the workload and the contract alone (not from a plan)."""
    list_reads: dict[str, int] = {}
    container_reads: dict[str, int] = {}
    writes: dict[str, int] = {}
    batched: dict[str, int] = {}
    relist: dict[str, int] = {}
    for kind, by_action in workload.expected.items():
        rtype = table[kind]
        creates = by_action.get("create", 0)
        changed = creates + by_action.get("update", 0)
        writes[kind] = changed
        if rtype.container is None:
            total = workload.org_totals[kind]
            list_reads[kind] = max(1, math.ceil(total / rtype.page_size))
            relist[kind] = max(1, math.ceil((total + creates) / rtype.page_size))
            batched[kind] = changed
        else:
            container_reads[kind] = workload.parents[kind]
            batched[kind] = workload.changed_parents[kind] if rtype.write == "merge" else changed
    return Minimum(list_reads, container_reads, writes, batched, relist, dict(workload.sources))


# ---------------------------------------------------------------- measuring


class _Tally(ExchangeLog):
    """An exchange log that keeps counts, not exchanges: the client's log is bounded at 1,000.

    Every attempt the client sends passes through it (retries and the token
    request included), so its counts are the requests the client made.
    """

    def __init__(self, table: ResourceTable) -> None:
        super().__init__(maxlen=0)
        self._table = table
        self.by_operation: Counter[str] = Counter()
        self.by_category: Counter[str] = Counter()
        self.by_status: Counter[int | None] = Counter()

    def append(self, exchange: Exchange) -> None:
        """Count one attempt."""
        op = exchange.operation_id or f"{exchange.method} (no operation)"
        self.by_operation[op] += 1
        self.by_category[category(self._table, op)] += 1
        self.by_status[exchange.status] += 1


def category(table: ResourceTable, operation_id: str) -> str:
    """What a request was for: ``list``, ``container``, ``source``, ``write``, ``get``, ``token``.

    ``container`` is the read of one parent's document (a queue's strategies),
    which is how the contract lists those items; ``source`` the read of a
    derived field's source (a user's preferences). Any other operation outside
    the resource table (the audit query, the org's identity) is named by its id.
    """
    if operation_id == _TOKEN:
        return "token"
    if any(d.source.operation_id == operation_id for rtype in table for d in rtype.derived):
        return "source"
    found = table.for_operation(operation_id)
    if found is None:
        return operation_id
    rtype, roles = found
    if any(role in ("create", "update", "delete") for role in roles):
        return "write"
    if "list" in roles:
        return "list"
    return "container" if rtype.container is not None else "get"


@dataclass(frozen=True)
class Phase:
    """One measured step: its requests, and its time on three clocks.

    Attributes:
        name: ``plan``, ``apply``, ``re-plan`` or ``re-apply``.
        by_category: Requests per :func:`category`.
        by_operation: Requests per operationId.
        statuses: Responses per HTTP status (``None``: no response).
        virtual_seconds: Time on the simulated org's virtual clock: what the
            rate limiter (and any ``Retry-After``) made the client wait.
        cpu_seconds: Process CPU time (the in-process simulated org's included).
        wall_seconds: Real elapsed time (fsyncs of journal and audit log included).
    """

    name: str
    by_category: dict[str, int]
    by_operation: dict[str, int]
    statuses: dict[str, int]
    virtual_seconds: float
    cpu_seconds: float
    wall_seconds: float

    @property
    def requests(self) -> int:
        """Every request of the phase."""
        return sum(self.by_category.values())

    def count(self, *categories: str) -> int:
        """Requests of the given categories."""
        return sum(self.by_category.get(c, 0) for c in categories)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the JSON report."""
        return {
            "requests": self.requests,
            "byCategory": self.by_category,
            "byOperation": self.by_operation,
            "statuses": self.statuses,
            "virtualSeconds": round(self.virtual_seconds, 3),
            "cpuSeconds": round(self.cpu_seconds, 3),
            "wallSeconds": round(self.wall_seconds, 3),
        }


@dataclass(frozen=True)
class Measured:
    """One run of the workload: load, plan, apply, then plan and apply again.

    Attributes:
        workload: What was run.
        phases: By name, in order.
        load_cpu_seconds: CPU time of loading and gating the configurations.
        gate_passed: Whether the whole run passed its gate.
        planned: The first plan's actions.
        applied: The first apply's settled actions.
        replanned: The second plan's actions (all no-ops when the apply was right).
        reapplied_writes: Resources the second apply wrote (zero when it was right).
        outcomes: Outcome of the first and the second apply.
        audit_records: Records the audit log holds after both applies.
        org_requests: Requests the simulated org handled, for a cross-check of
            the client's count.
        budget: Requests per minute the client's limiter kept to.
        burst: Sends the limiter lets through back to back on a fresh start.
        interval: Seconds between its sends once the burst is spent.
    """

    workload: Workload
    phases: dict[str, Phase]
    load_cpu_seconds: float
    gate_passed: bool
    planned: dict[str, int]
    applied: dict[str, int]
    replanned: dict[str, int]
    reapplied_writes: int
    outcomes: tuple[str, str]
    audit_records: int
    org_requests: int
    budget: int
    burst: int
    interval: float

    def floor_seconds(self, requests: int, *, before: int = 0) -> float:
        """The least time ``requests`` sends take at the budget, after ``before`` sends.

        The limiter lets ``burst`` sends through at once on a fresh start; a
        phase that follows others gets what is left of that burst (none once
        the earlier phases sent that many: the limiter is then at its steady
        rate). Every send beyond it waits ``60 s / budget``.
        """
        left = max(0, self.burst - before)
        return max(0, requests - left) * WINDOW_SECONDS / self.budget

    def spacing_seconds(self, requests: int, *, before: int = 0) -> float:
        """The same at the limiter's own spacing (a little wider than ``60 s / budget``)."""
        left = max(0, self.burst - before)
        return max(0, requests - left) * self.interval


@contextmanager
def _phase(name: str, tally: _Tally, clock: VirtualClock, into: dict[str, Phase]) -> Iterator[None]:
    """Measure the block as one phase: the tally's growth and the three clocks."""
    operations, categories, statuses = (
        Counter(tally.by_operation),
        Counter(tally.by_category),
        Counter(tally.by_status),
    )
    virtual, cpu, wall = clock.now(), time.process_time(), time.perf_counter()
    yield
    into[name] = Phase(
        name=name,
        by_category=dict(sorted((tally.by_category - categories).items())),
        by_operation=dict(sorted((tally.by_operation - operations).items())),
        statuses={str(k): v for k, v in sorted((tally.by_status - statuses).items(), key=str)},
        virtual_seconds=clock.now() - virtual,
        cpu_seconds=time.process_time() - cpu,
        wall_seconds=time.perf_counter() - wall,
    )


def run(
    workload: Workload,
    work: Path,
    *,
    flow_interval: float = 0.0,
    connection: OrgConnection | None = None,
) -> Measured:
    """Plan and apply the workload on a fresh simulated org, then plan and apply again.

    As ``--gc-apply`` and ``genesys-compliance apply`` run it: one client for plan
    and apply, the apply through ``applyrun.run_apply`` (the audit log as the
    listener, its folder as the journal's, the org's clock). ``flow_interval`` > 0 also
    checks ``apply/interval`` for flows (the policy's ``min-flow-update-interval``),
    which reads the org's audit before the first write.

    Args:
        workload: What :func:`generate` wrote.
        work: A folder for the audit log and the journal.
        flow_interval: Seconds between updates of one flow; 0 checks none.
        connection: The simulated org to use (it must be ``connect_mock`` of
            the workload's seed, untouched); a fresh one, closed after, by default.
    """
    if connection is not None:
        return _run(connection, workload, work, flow_interval)
    fresh = connect_mock(workload.seed)
    try:
        return _run(fresh, workload, work, flow_interval)
    finally:
        fresh.close()


def _run(
    connection: OrgConnection, workload: Workload, work: Path, flow_interval: float
) -> Measured:
    org = connection.org
    assert org is not None
    clock = org.clock
    assert isinstance(clock, VirtualClock)
    client = connection.client
    tally = _Tally(client.contract.resources)
    client.exchanges = tally
    phases: dict[str, Phase] = {}
    settings = ApplySettings(
        work / "audit", intervals={"FlowSettings": flow_interval} if flow_interval > 0 else {}
    )

    cpu = time.process_time()
    loaded = load_run([workload.configs], workload.configs.parent)
    admitted = gate(loaded)
    load_cpu = time.process_time() - cpu

    with _phase("plan", tally, clock, phases):
        first_plan = build_plan(client, admitted)
    with _phase("apply", tally, clock, phases):
        first = run_apply(connection, first_plan, settings)
    with _phase("re-plan", tally, clock, phases):
        second_plan = build_plan(client, gate(loaded))
    with _phase("re-apply", tally, clock, phases):
        second = run_apply(connection, second_plan, settings)

    limiter = client.rate_limiter
    handled = org.requests.entries()
    lines = first.audit_log.read_text(encoding="utf-8").splitlines()
    return Measured(
        workload=workload,
        phases=phases,
        load_cpu_seconds=load_cpu,
        gate_passed=admitted.passed and first_plan.gate_passed,
        planned=first_plan.counts(),
        applied=_counts(first),
        replanned=second_plan.counts(),
        reapplied_writes=second.writes,
        outcomes=(first.status, second.status),
        audit_records=len(lines),
        org_requests=handled[-1].seq if handled else 0,
        budget=limiter.budget,
        burst=round(limiter.share + 1 - WINDOW_SECONDS / limiter.interval),
        interval=limiter.interval,
    )


def _counts(outcome: ApplyOutcome) -> dict[str, int]:
    """Settled configurations by action; none when the run never started."""
    return {} if outcome.result is None else outcome.result.counts()
