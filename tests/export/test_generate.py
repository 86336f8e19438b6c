"""``generate_org``: a valid, realistic seed of any size, the same bytes for the same seed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from genesys_compliance.contract import Contract
from genesys_compliance.export import fold_name
from genesys_compliance.simorg import SimOrg, generate_org, load_seed
from genesys_compliance.simorg._generate import KIND_SHARES
from tests.export._support import tree


def _seed(folder: Path) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for path in sorted(folder.glob("*.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def test_the_same_seed_writes_the_same_bytes_and_another_seed_others(tmp_path: Path) -> None:
    generate_org(tmp_path / "a", resources=400, seed=5)
    generate_org(tmp_path / "b", resources=400, seed=5)
    generate_org(tmp_path / "c", resources=400, seed=6)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")
    assert tree(tmp_path / "a") != tree(tmp_path / "c")


@pytest.mark.parametrize("resources", [0, 1, 7, 503])
def test_the_count_is_exact_and_shared_across_the_kinds(tmp_path: Path, resources: int) -> None:
    made = generate_org(tmp_path / "org", resources=resources)
    assert made.total == resources
    assert list(made.counts) == [kind for kind, _ in KIND_SHARES]
    org = SimOrg.from_path(made.directory)  # the loader checks every entity against the contract
    state = org.state
    held = {
        "DesktopLayout": len(state.layouts),
        "FlowSettings": len(state.flows),
        "RoutingStrategy": sum(len(s["items"]) for s in state.strategies.values()),
        "TriggerRule": len(state.trigger_rules),
        "RoutingRule": len(state.routing_rules),
    }
    assert held == dict(made.counts)
    assert made.queues == len(state.queues)


def test_every_reference_names_something_the_org_has(tmp_path: Path) -> None:
    made = generate_org(tmp_path / "org", resources=600, seed=2)
    seed = _seed(made.directory)
    queues = {q["id"] for q in seed["queues"]}
    templates = {t["id"] for t in seed["templates"]}
    layouts = {layout["id"] for layout in seed["layouts"]}
    assert {r["queue"]["id"] for r in seed["routingRules"]} <= queues
    assert {a["templateId"] for t in seed["triggerRules"] for a in t["actions"]} <= templates
    assert {u["preferences"]["desktop"]["layoutId"] for u in seed["users"]} <= layouts
    assert {f["orgId"] for f in seed["flows"]} == {made.org_id}
    scoped = {f["settings"]["routing"]["scope"]["id"] for f in seed["flows"]}
    assert scoped <= queues | {made.org_id}
    widgets = [w for layout in seed["layouts"] for w in layout["widgets"]]
    assert {
        w["configuration"]["queue_id"] for w in widgets if "queue_id" in w["configuration"]
    } <= queues
    names = [(r["queue"]["id"], r["name"].casefold()) for r in seed["routingRules"]]
    assert len(names) == len(set(names))  # rule names are unique within a queue


def test_names_collide_once_folded_some_in_other_scripts_and_sets_come_shuffled(
    tmp_path: Path,
) -> None:
    made = generate_org(tmp_path / "org", resources=1000, seed=0)
    seed = _seed(made.directory)
    queue_names = [q["name"] for q in seed["queues"]]
    assert len(set(queue_names)) == len(queue_names)
    folded = [fold_name(n, "queue") for n in queue_names]
    assert len(set(folded)) < len(folded)
    assert any(not n.isascii() for n in queue_names)
    assert "queue" in folded  # a name in another script folds to nothing
    applied = [f["settings"]["scopeDirectives"]["applyTo"] for f in seed["flows"]]
    assert any(a != sorted(a) for a in applied)
    skills = [
        s["skills"]["required"]
        for q in seed["queues"]
        for s in q["strategies"]["items"]
        if len(s.get("skills", {}).get("required", [])) > 1
    ]
    assert any(s != sorted(s) for s in skills)


def test_each_kind_has_planted_findings_at_known_resources(tmp_path: Path) -> None:
    made = generate_org(tmp_path / "org", resources=1000, seed=0)
    per_kind = {kind: [p for p in made.planted if p.kind == kind] for kind, _ in KIND_SHARES}
    assert {kind: len(p) for kind, p in per_kind.items()} == {
        kind: max(1, made.counts[kind] // 100) for kind, _ in KIND_SHARES
    }
    assert len({(p.kind, p.key) for p in made.planted}) == len(made.planted)
    assert {p.rule_id for p in made.planted} == {
        "layout/overlap", "flow/max-wait", "strategy/skills", "trigger/value", "routing-rule/field",
    }  # fmt: skip


def test_the_seed_s_client_serves_the_org(tmp_path: Path) -> None:
    made = generate_org(tmp_path / "org", resources=20)
    seed = load_seed(made.directory, Contract.load())
    [client] = seed.entities("oauthClients")
    assert (client["id"], client["secret"]) == (made.client_id, made.client_secret)
    assert made.client_secret not in repr(made)
    assert set(client["scopes"]) == SimOrg.from_path(made.directory).all_scopes()


def test_a_negative_count_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="zero or more"):
        generate_org(tmp_path, resources=-1)
