"""A simulated-org seed of any size: realistic, valid, and the same bytes for the same seed.

Export, drift and pipeline tests need an org of a few thousand resources that
looks like one a contact centre runs: queues named by department and region
(some that collide once made into ``metadata.name``s, some in other scripts),
set-like lists in no particular order, every queue, flow, template and user a
resource names present in the org. A few resources per kind break one rule
each, on purpose, so a test knows exactly which findings the org "really
has" (:attr:`GeneratedOrg.planted`); everything else is valid under the
default policy.

Every choice comes from one ``random.Random(seed)``, ids included, so the
same arguments write the same files.
"""

from __future__ import annotations

import json
import math
import random
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genesys_compliance.contract import Contract

if TYPE_CHECKING:
    from collections.abc import Mapping

    from genesys_compliance.contract import ResourceKey

__all__ = ["KIND_SHARES", "GeneratedOrg", "PlantedFinding", "generate_org"]

# Percent of the resources per kind: queues' strategies and rules dominate a real org.
KIND_SHARES: tuple[tuple[str, int], ...] = (
    ("DesktopLayout", 8),
    ("FlowSettings", 12),
    ("RoutingStrategy", 30),
    ("TriggerRule", 20),
    ("RoutingRule", 30),
)
# One planted violation per this many resources of a kind (at least one from _PLANT_FROM on).
_PLANT_EVERY = 100
_PLANT_FROM = 5
# What each kind's planted resources break: valid for the contract, refused by the catalogue.
_PLANTED_RULE = {
    "DesktopLayout": "layout/overlap",
    "FlowSettings": "flow/max-wait",
    "RoutingStrategy": "strategy/skills",
    "TriggerRule": "trigger/value",
    "RoutingRule": "routing-rule/field",
}
_MEDIA = ("voice", "chat", "callback")
_DEPARTMENTS = (
    "Billing",
    "Technical Support",
    "Sales",
    "Retention",
    "Claims",
    "Onboarding",
    "Collections",
    "Returns",
    "Premium Care",
    "Fraud",
    "Logistics",
    "Partner Desk",
)
_REGIONS = (
    "EMEA",
    "APAC",
    "North America",
    "DACH",
    "Nordics",
    "LATAM",
    "UK & Ireland",
    "Benelux",
)
# Names no ASCII folding keeps whole: accents fold, other scripts and emoji fall away.
_UNICODE_QUEUES = (
    "Kundendienst Zürich",
    "Atención al Cliente — México",
    "Service Client Français",
    "Поддержка клиентов",
    "サポート窓口",
    "Support 🚀 Launch",
    "Ærø Færgeservice",
    "Straße & Co Hotline",
)
_SKILLS = (
    "billing",
    "refunds",
    "tier2",
    "escalation_capable",
    "spanish",
    "german",
    "french",
    "vip_handling",
    "networking",
    "hardware",
    "retention_offers",
    "fraud_screening",
)
_TOPICS = (
    ("Credit Card Declined", "credit card declined"),
    ("Password Reset", "password"),
    ("Cancellation Intent", "cancel my"),
    ("Delivery Delay", "where is my order"),
    ("Refund Request", "refund"),
    ("Complaint Escalation", "speak to a manager"),
    ("Fraud Suspicion", "did not make this purchase"),
    ("Upgrade Interest", "upgrade"),
)
_RULE_PURPOSES = (
    "VIP Escalation",
    "Spanish Speakers",
    "Priority Callers",
    "Skill Match",
    "Repeat Callers",
    "German Speakers",
    "Wrap-up Follow-up",
    "High Priority Chat",
)
# Shares of names that are another's copy, or another's respelling (each).
_COPIES = 0.02
# Share of routing rules named by purpose alone ("VIP Escalation"), as in many queues.
_GENERIC = 0.05
# An en dash: names typed in the admin UI carry them, metadata.name cannot.
_DASH = "\u2013"
_TIERS = ("", " Tier 2", " VIP", " Overflow", " Night")
_WIDGET_TYPES = ("queue-widget", "conversation-widget", "notes-widget", "custom-widget")
_DATES = ("2024-01-10T14:22:00.000Z", "2024-06-03T08:05:00.000Z", "2025-02-17T16:40:00.000Z")


@dataclass(frozen=True, slots=True)
class PlantedFinding:
    """A rule a generated resource breaks on purpose: one finding its export must get.

    Attributes:
        kind: The resource's kind.
        key: Where it is on the org, as the resource table places it.
        rule_id: The rule it breaks (and no other).
    """

    kind: str
    key: ResourceKey
    rule_id: str


@dataclass(frozen=True)
class GeneratedOrg:
    """What :func:`generate_org` wrote.

    Attributes:
        directory: The seed folder (load it with ``load_seed`` or ``SimOrg.from_path``).
        seed: The seed of its random choices.
        org_id: The org's id (every flow's ``orgId``).
        counts: Resources per kind.
        queues: Queues in the org (the parents of its routing strategies).
        planted: The rule violations placed on purpose, one per resource.
        client_id: An OAuth client with every scope, for serving the seed over HTTP.
        client_secret: Its secret: a fixture of the simulated org, never a credential.
    """

    directory: Path
    seed: int
    org_id: str
    counts: Mapping[str, int]
    queues: int
    planted: tuple[PlantedFinding, ...]
    client_id: str
    client_secret: str = field(repr=False)

    @property
    def total(self) -> int:
        """Resources of the five kinds."""
        return sum(self.counts.values())


def generate_org(directory: str | Path, *, resources: int = 3000, seed: int = 0) -> GeneratedOrg:
    """Write a seed folder holding ``resources`` resources across the five kinds.

    The kinds share the total as :data:`KIND_SHARES` says; queues, flows'
    org, assist templates and users are made as the resources need them.

    Raises:
        ValueError: ``resources`` is negative.
    """
    if resources < 0:
        raise ValueError("resources must be zero or more")
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    world = _World(random.Random(seed), _split(resources))
    world.build()
    world.write(root)
    table = Contract.load().resources
    planted = tuple(
        PlantedFinding(kind, table[kind].key_of(body, parent), _PLANTED_RULE[kind])
        for kind, body, parent in world.planted
    )
    return GeneratedOrg(
        directory=root,
        seed=seed,
        org_id=world.org_id,
        counts=dict(world.counts),
        queues=len(world.queues),
        planted=tuple(sorted(planted, key=lambda p: (p.kind, p.key))),
        client_id=world.client_id,
        client_secret=world.client_secret,
    )


def _split(resources: int) -> dict[str, int]:
    """The total per kind: shares rounded down, the remainder to the kinds in order."""
    counts = {kind: resources * share // 100 for kind, share in KIND_SHARES}
    left = resources - sum(counts.values())
    for kind, _ in KIND_SHARES[:left]:
        counts[kind] += 1
    return counts


class _World:
    """The org being generated: its entities, and which of them break a rule."""

    def __init__(self, rng: random.Random, counts: dict[str, int]) -> None:
        self.rng = rng
        self.counts = counts
        self.org_id = self.uuid()
        self.client_id = "gc-generated-ci"
        self.client_secret = f"simorg-generated-secret-{rng.getrandbits(64):016x}"
        self.queues: list[dict[str, Any]] = []
        self.templates: list[dict[str, Any]] = []
        self.users: list[dict[str, Any]] = []
        self.layouts: list[dict[str, Any]] = []
        self.flows: list[dict[str, Any]] = []
        self.triggers: list[dict[str, Any]] = []
        self.rules: list[dict[str, Any]] = []
        self.planted: list[tuple[str, dict[str, Any], str | None]] = []

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def plant(self, kind: str) -> set[int]:
        """Which positions of a kind break their rule."""
        n = self.counts[kind]
        wanted = max(1, n // _PLANT_EVERY) if n >= _PLANT_FROM else 0
        return set(self.rng.sample(range(n), wanted))

    def build(self) -> None:
        self.build_queues()
        self.templates = [
            {"id": f"tmpl-{self.uuid()[:8]}", "name": f"{topic} guidance", "description": hint}
            for topic, hint in _TOPICS
            for _ in range(max(1, self.counts["TriggerRule"] // 120))
        ]
        self.build_layouts()
        self.build_flows()
        self.build_triggers()
        self.build_rules()

    def names(
        self, candidates: list[str], count: int, *, head: int = 2, copies: bool = True
    ) -> list[str]:
        """Mostly distinct names, as admins keep them; a few copies and a few respellings.

        A copy is another team's duplicate of a resource; a respelling (dash,
        capitals, underscore) is a name that differs as typed and folds to
        the same ``metadata.name``. The first ``head`` candidates (unicode)
        come first; without ``copies`` every name is distinct as typed.
        """
        rest = candidates[head:]
        self.rng.shuffle(rest)
        pool = candidates[:head] + rest
        out: list[str] = []
        seen: set[str] = set()
        index = 0
        while len(out) < count:
            chance = self.rng.random()
            if out and copies and chance < _COPIES:
                name = self.rng.choice(out)
            elif out and chance < 2 * _COPIES:
                name = self.respelled(self.rng.choice(out))
            else:
                lap = index // len(pool)
                name = pool[index % len(pool)] + (f" {lap + 1}" if lap else "")
                index += 1
            if copies or name not in seen:
                out.append(name)
                seen.add(name)
        return out

    def respelled(self, name: str) -> str:
        return self.rng.choice(
            (name.replace(" ", f" {_DASH} ", 1), name.upper(), name.replace(" ", "_"))
        )

    # ------------------------------------------------------------ queues and strategies
    def queue_names(self, wanted: int) -> list[str]:
        """Department, region and tier; the org keeps queue names unique as typed."""
        tiered = [f"{d} {r}{t}" for t in _TIERS for d in _DEPARTMENTS for r in _REGIONS]
        return self.names(
            [*_UNICODE_QUEUES, *tiered], wanted, head=len(_UNICODE_QUEUES), copies=False
        )

    def build_queues(self) -> None:
        strategies = self.counts["RoutingStrategy"]
        count = max(1, math.ceil(strategies / 2), math.ceil(self.counts["RoutingRule"] / 6))
        slots = [(q, m) for q in range(count) for m in _MEDIA]
        self.rng.shuffle(slots)
        chosen = sorted(slots[:strategies])
        broken = self.plant("RoutingStrategy")
        by_queue: dict[int, list[dict[str, Any]]] = {}
        for position, (slot, medium) in enumerate(chosen):
            strategy = self.strategy(medium, broken=position in broken)
            by_queue.setdefault(slot, []).append(strategy)
        for index, name in enumerate(self.queue_names(count)):
            items = by_queue.get(index, [])
            self.rng.shuffle(items)
            media = sorted({s["mediaType"] for s in items} | {self.rng.choice(_MEDIA)})
            queue: dict[str, Any] = {
                "id": self.uuid(),
                "name": name,
                "description": f"{name} contact queue",
                "memberCount": self.rng.randint(4, 80),
                "mediaTypes": self.shuffled(media),
                "realtime": {"availableAgents": self.rng.randint(0, 40), "onQueueAgents": 40},
                "strategies": {"version": self.rng.randint(1, 9), "items": items},
            }
            self.queues.append(queue)
            for item in items:
                if item.pop("_broken", False):
                    self.planted.append(("RoutingStrategy", item, queue["id"]))

    def strategy(self, media: str, *, broken: bool) -> dict[str, Any]:
        skills = self.rng.sample(_SKILLS, self.rng.randint(2, 5))
        split = self.rng.randint(1, len(skills) - 1)
        kind = self.rng.choice(("longestIdleAgent", "mostSkilled", "mostSkilled", "random"))
        out: dict[str, Any] = {"strategy": "mostSkilled" if broken else kind, "mediaType": media}
        if self.rng.random() < 0.7:
            out["overflow"] = {
                "rules": [
                    {
                        "condition": self.rng.choice(("queueDepth", "waitTime")),
                        "threshold": self.rng.randint(5, 300),
                        "action": self.rng.choice(("routeToNextQueue", "addSkillToInteraction")),
                    }
                    for _ in range(self.rng.randint(1, 3))
                ]
            }
        if broken:  # mostSkilled with no required skill: strategy/skills
            out["skills"] = {"preferred": skills}
            out["_broken"] = True
        elif kind == "mostSkilled" or self.rng.random() < 0.5:
            out["skills"] = {"required": skills[:split], "preferred": skills[split:]}
        return out

    # ------------------------------------------------------------ layouts and users
    def build_layouts(self) -> None:
        broken = self.plant("DesktopLayout")
        purposes = ("Agent Desktop", "Supervisor Wall Board", "Team Lead View")
        names = self.names(
            ["Bürolayout Süd", "デスクトップ"]
            + [f"{p} {_DASH} {d} {r}" for p in purposes for d in _DEPARTMENTS for r in _REGIONS],
            self.counts["DesktopLayout"],
        )
        for i, name in enumerate(names):
            purpose = name.split(f" {_DASH} ")[0]
            layout: dict[str, Any] = {
                "id": self.uuid(),
                "name": name,
                "description": f"{purpose} layout",
                "version": self.rng.randint(1, 20),
                "modifiedDate": self.rng.choice(_DATES),
                "grid": {"columns": 24, "rows": 16},
                "widgets": self.widgets(overlap=i in broken),
            }
            if self.rng.random() < 0.5:
                layout["inheritance"] = self.rng.choice(("none", "user-preference"))
            self.layouts.append(layout)
            if i in broken:
                self.planted.append(("DesktopLayout", layout, None))
        for i in range(max(2, len(self.layouts) // 3)):
            desktop: dict[str, Any] = {"theme": self.rng.choice(("default", "high-contrast"))}
            if self.layouts:
                desktop["layoutId"] = self.layouts[i % len(self.layouts)]["id"]
            self.users.append(
                {
                    "id": self.uuid(),
                    "name": f"Agent {i + 1:04d}",
                    "preferences": {"desktop": desktop},
                }
            )

    def widgets(self, *, overlap: bool) -> list[dict[str, Any]]:
        """Two to six widgets tiling the 24 x 16 grid in columns; ``overlap`` shifts one left."""
        columns = self.rng.choice((1, 2, 3))
        width = 24 // columns
        out: list[dict[str, Any]] = []
        for col in range(columns):
            rows = self.rng.choice((1, 2))
            for row in range(rows):
                kind = self.rng.choice(_WIDGET_TYPES)
                widget: dict[str, Any] = {
                    "widget_type": kind,
                    "id": f"{kind.split('-')[0]}-{len(out) + 1:02d}",
                    "position": {
                        "x": col * width,
                        "y": row * (16 // rows),
                        "width": width,
                        "height": 16 // rows,
                    },
                    "visibility": {
                        "condition": self.rng.choice(("always", "role:agent")),
                        "state": "always",
                    },
                    "configuration": self.widget_configuration(kind),
                }
                out.append(widget)
        if len(out) < 2:
            out[0]["position"]["width"] = 12
            out.append(
                {
                    **out[0],
                    "id": "notes-02",
                    "widget_type": "notes-widget",
                    "position": {"x": 12, "y": 0, "width": 12, "height": 16},
                }
            )
        if overlap:  # layout/overlap: the second widget slides over the first
            out[1] = {**out[1], "position": {**out[0]["position"], "x": 0, "y": 0}}
        return out

    def widget_configuration(self, kind: str) -> dict[str, Any]:
        if kind == "queue-widget" and self.queues:
            return {"queue_id": self.rng.choice(self.queues)["id"], "show_history": True}
        if kind == "conversation-widget":
            return {"auto_accept": self.rng.random() < 0.3, "show_transcript": True}
        return {}

    # ------------------------------------------------------------ flows
    def build_flows(self) -> None:
        broken = self.plant("FlowSettings")
        forms = ("{d} Inbound {r}", "After Hours {d} {r}", "Main IVR {r} {d}")
        names = self.names(
            ["Überlauf Nacht"]
            + [f.format(d=d, r=r) for f in forms for d in _DEPARTMENTS for r in _REGIONS],
            self.counts["FlowSettings"],
        )
        for i, name in enumerate(names):
            scope = {"type": "org", "id": self.org_id}
            if self.queues and self.rng.random() < 0.3:
                scope = {"type": "queue", "id": self.rng.choice(self.queues)["id"]}
            matrix = {
                f"parameter_{n + 1:02d}": {"key": key, "value": value}
                for n, (key, value) in enumerate(
                    self.rng.sample(
                        [
                            ("queue_affinity", True),
                            ("max_concurrent_sessions", 40),
                            ("fallback_routing", "voicemail"),
                            ("callback_offer_seconds", 90),
                            ("priority_boost", 1.5),
                        ],
                        self.rng.randint(0, 3),
                    )
                )
            }
            settings: dict[str, Any] = {
                "routing": {
                    "type": self.rng.choice(("longestAvailable", "roundRobin", "skillsBased")),
                    "maxWaitTime": 7200 if i in broken else self.rng.randint(30, 3600),
                    "scope": scope,
                },
                "scopeDirectives": {
                    "applyTo": self.rng.sample(("queue", "user", "team"), self.rng.randint(1, 3)),
                    "enforceHierarchy": self.rng.random() < 0.5,
                },
            }
            if matrix:
                settings["configurationMatrix"] = matrix
            flow = {
                "id": self.uuid(),
                "name": name,
                "description": f"Routing of {name}",
                "type": self.rng.choice(("inboundcall", "inboundchat", "inboundemail")),
                "version": self.rng.randint(1, 40),
                "orgId": self.org_id,
                "createdDate": _DATES[0],
                "modifiedDate": self.rng.choice(_DATES),
                "settings": settings,
            }
            self.flows.append(flow)
            if i in broken:
                self.planted.append(("FlowSettings", flow, None))

    # ------------------------------------------------------------ trigger rules
    def build_triggers(self) -> None:
        broken = self.plant("TriggerRule")
        phrases = dict(_TOPICS)
        names = self.names(
            ["Détection de fraude"]
            + [f"{t} {_DASH} {d} {r}" for t in phrases for d in _DEPARTMENTS for r in _REGIONS],
            self.counts["TriggerRule"],
        )
        for i, name in enumerate(names):
            phrase = phrases.get(name.split(f" {_DASH} ")[0], "fraud")
            conditions: list[dict[str, Any]] = [
                {
                    "type": "keyword",
                    "field": "conversation.text",
                    "operator": self.rng.choice(("contains", "starts_with", "equals")),
                    "value": phrase,
                },
            ]
            if self.rng.random() < 0.4:
                conditions.append(
                    {"type": "metric", "field": "sentiment.score", "operator": "lt", "value": -0.5}
                )
            if self.rng.random() < 0.3 or i in broken:
                pattern = "([unclosed" if i in broken else r"(order|parcel)\s+#?\d{6,}"
                conditions.append(
                    {
                        "type": "keyword",
                        "field": "conversation.text",
                        "operator": "regex",
                        "value": pattern,
                    }
                )
            actions = [
                {
                    "type": "display",
                    "templateId": self.rng.choice(self.templates)["id"],
                    "priority": n + 1,
                }
                for n in range(self.rng.randint(1, 2))
            ]
            rule = {
                "id": self.uuid(),
                "etag": str(self.rng.randint(1, 30)),
                "name": name,
                "description": f"Offers assist when a customer mentions {phrase}",
                "ruleType": "conversation",
                "enabled": self.rng.random() < 0.9,
                "conditions": conditions,
                "actions": actions,
            }
            self.triggers.append(rule)
            if i in broken:
                self.planted.append(("TriggerRule", rule, None))

    # ------------------------------------------------------------ routing rules
    def build_rules(self) -> None:
        broken = self.plant("RoutingRule")
        used: set[tuple[str, str]] = set()
        for i in range(self.counts["RoutingRule"]):
            queue = self.rng.choice(self.queues)
            purpose = self.rng.choice(_RULE_PURPOSES)
            base = purpose if self.rng.random() < _GENERIC else f"{queue['name']} {purpose}"
            name, again = base, 2
            while (queue["id"], name.casefold()) in used:  # names are unique per queue
                name, again = f"{base} #{again}", again + 1
            used.add((queue["id"], name.casefold()))
            expression = self.expression(self.rng.randint(1, 3))
            if i in broken:  # routing-rule/field: an attribute interactions do not carry
                expression = {
                    "type": "and",
                    "children": [
                        expression,
                        {
                            "type": "condition",
                            "field": "customer_tier",
                            "operator": "eq",
                            "value": "gold",
                        },
                    ],
                }
            rule = {
                "id": self.uuid(),
                "name": name,
                "description": f"{purpose} for {queue['name']}",
                "queue": {"id": queue["id"]},
                "priority": self.rng.randint(1, 100),
                "enabled": self.rng.random() < 0.9,
                "version": self.rng.randint(1, 12),
                "expression": expression,
            }
            self.rules.append(rule)
            if i in broken:
                self.planted.append(("RoutingRule", rule, None))

    def expression(self, depth: int) -> dict[str, Any]:
        if depth <= 1:
            return self.condition()
        kind = self.rng.choice(("and", "or", "not"))
        count = 1 if kind == "not" else self.rng.randint(2, 3)
        return {"type": kind, "children": [self.expression(depth - 1) for _ in range(count)]}

    def condition(self) -> dict[str, Any]:
        field_name, operator, value = self.rng.choice(
            (
                ("skill", "exists", self.rng.choice(_SKILLS)),
                ("language", "eq", self.rng.choice(("en", "es", "de", "fr"))),
                ("language", "neq", "en"),
                ("priority", "gte", self.rng.randint(1, 10)),
                ("vip_flag", "eq", True),
                ("wrapupcode", "regex", r"^(RET|CAN)-\d+$"),
            )
        )
        return {"type": "condition", "field": field_name, "operator": operator, "value": value}

    # ------------------------------------------------------------ output
    def shuffled(self, items: list[str]) -> list[str]:
        out = list(items)
        self.rng.shuffle(out)
        return out

    def write(self, root: Path) -> None:
        """The seed as JSON: the loader takes it, and far quicker than YAML at thousands."""
        files: dict[str, dict[str, Any]] = {
            "org.json": {
                "org": {"id": self.org_id, "name": "Generated Contact Centre"},
                "licences": [{"licenseType": "GenesysCloudCX3", "count": 10 * len(self.queues)}],
                "oauthClients": [
                    {
                        "id": self.client_id,
                        "name": "generated org CI",
                        "secret": self.client_secret,
                        "scopes": _all_scopes(),
                    },
                ],
                "users": self.users,
                "templates": self.templates,
            },
            "queues.json": {"queues": self.queues},
            "layouts.json": {"layouts": self.layouts},
            "flows.json": {"flows": self.flows},
            "assist.json": {"triggerRules": self.triggers},
            "routing-rules.json": {"routingRules": self.rules},
        }
        for name, data in files.items():
            text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
            (root / name).write_text(text, encoding="utf-8")


def _all_scopes() -> list[str]:
    """Every scope an operation of the contract needs: the CI client may do anything."""
    return sorted({scope for op in Contract.load().operations for scope in op.scopes})
