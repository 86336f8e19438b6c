"""Export on small generated orgs: properties that hold at any size.

The 3,000-resource properties (byte-identical, zero-change plan, planted
findings, request count) are in ``test_at_size.py``.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from genesys_compliance.apply import Action, build_plan
from genesys_compliance.client import VirtualClock
from genesys_compliance.connect import OrgConnection
from genesys_compliance.errors import ApiError
from genesys_compliance.export import (
    MANIFEST,
    ExportError,
    ExportProgress,
    export_org,
    kind_folder,
    omissions,
    owned_files,
)
from tests.export._support import checked, generated, siblings, tree

SMALL = 150


@pytest.fixture
def small(tmp_path: Path) -> OrgConnection:
    _, org = generated(tmp_path, SMALL, seed=7)
    return org


def _state(org: OrgConnection) -> Any:
    assert org.org is not None
    return org.org.state


def _document(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- determinism


def test_the_org_s_listing_order_and_set_order_do_not_show_in_the_bytes(
    small: OrgConnection, tmp_path: Path
) -> None:
    export_org(small.client, tmp_path / "a")
    state, rng = _state(small), random.Random(3)
    for name in ("layouts", "flows", "trigger_rules", "routing_rules", "queues"):
        items = list(getattr(state, name).items())
        rng.shuffle(items)
        setattr(state, name, dict(items))  # the org now lists everything in another order
    for flow in state.flows.values():
        flow["settings"]["scopeDirectives"]["applyTo"].reverse()
        flow["settings"] = dict(reversed(list(flow["settings"].items())))
    for document in state.strategies.values():
        document["items"].reverse()
        for item in document["items"]:
            for listed in item.get("skills", {}).values():
                listed.reverse()
    for layout in state.layouts.values():
        for widget in layout["widgets"]:
            widget["configuration"] = dict(reversed(list(widget["configuration"].items())))
    export_org(small.client, tmp_path / "b")
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def test_set_like_lists_are_written_sorted_and_other_lists_as_the_org_orders_them(
    small: OrgConnection, tmp_path: Path
) -> None:
    result = export_org(small.client, tmp_path / "out")
    for entry in result.files:
        spec = _document(result.out / entry.path)["spec"]
        if entry.kind == "FlowSettings":
            applied = spec["settings"]["scopeDirectives"]["applyTo"]
            assert applied == sorted(applied)
        if entry.kind == "RoutingStrategy":
            for listed in spec.get("skills", {}).values():
                assert listed == sorted(listed)
    layouts = {
        f.key.path_params["layoutId"]: f.path for f in result.files if f.kind == "DesktopLayout"
    }
    for layout_id, path in layouts.items():
        widgets = _document(result.out / path)["spec"]["widgets"]
        assert [w["id"] for w in widgets] == [
            w["id"] for w in _state(small).layouts[layout_id]["widgets"]
        ]


def test_keys_follow_the_envelope_and_the_payload_schema(
    small: OrgConnection, tmp_path: Path
) -> None:
    result = export_org(small.client, tmp_path / "out", kinds=["FlowSettings", "RoutingRule"])
    flow = next(f for f in result.files if f.kind == "FlowSettings")
    document = _document(result.out / flow.path)
    assert list(document) == ["apiVersion", "kind", "metadata", "spec"]
    assert list(document["spec"])[:2] == ["orgId", "flowId"]  # FlowSettings' property order
    assert next(iter(document["spec"]["settings"])) == "routing"
    rule = next(f for f in result.files if f.kind == "RoutingRule")
    document = _document(result.out / rule.path)
    assert list(document["metadata"]) == ["name", "queueId"]
    assert list(document["spec"]) == [
        k
        for k in ("name", "description", "expression", "priority", "enabled")
        if k in document["spec"]
    ]


# ---------------------------------------------------------------- identity and fields


def test_ids_are_kept_where_the_table_places_them(small: OrgConnection, tmp_path: Path) -> None:
    result = export_org(small.client, tmp_path / "out")
    seen: dict[str, dict[str, Any]] = {}
    for entry in result.files:
        document = _document(result.out / entry.path)
        seen.setdefault(entry.kind, document)
        meta, spec = document["metadata"], document["spec"]
        params = entry.key.path_params
        if entry.kind == "DesktopLayout":
            assert meta["layoutId"] == params["layoutId"]
        elif entry.kind == "FlowSettings":
            assert spec["flowId"] == params["flowId"]
        elif entry.kind == "TriggerRule":
            assert meta["ruleId"] == params["ruleId"]
            assert "id" not in spec
        elif entry.kind == "RoutingStrategy":
            assert meta["queueId"] == params["queueId"]
        else:
            assert meta["queueId"] == _state(small).routing_rules[params["ruleId"]]["queue"]["id"]
            assert "queue" not in spec
            assert "id" not in spec
    assert set(seen) == {
        "DesktopLayout",
        "FlowSettings",
        "TriggerRule",
        "RoutingStrategy",
        "RoutingRule",
    }


def test_server_owned_fields_are_left_out_and_said_to_be(
    small: OrgConnection, tmp_path: Path
) -> None:
    result = export_org(small.client, tmp_path / "out")
    texts = "\n".join((result.out / f.path).read_text(encoding="utf-8") for f in result.files)
    for field in ("version:", "etag:", "modifiedDate:", "createdDate:", "selfUri:"):
        assert field not in texts
    left = {(o.kind, o.pointer): o.reason for o in result.left_out}
    assert left[("TriggerRule", "/etag")] == "server-owned"
    assert left[("FlowSettings", "/name")] == "not in the payload"
    assert left[("RoutingStrategy", "/memberCount")] == "parent"


def test_a_layout_inheriting_an_unknown_user_s_preferences_leaves_the_switch_out(
    small: OrgConnection, tmp_path: Path
) -> None:
    inheriting = [
        i
        for i, layout in _state(small).layouts.items()
        if layout.get("inheritance") == "user-preference"
    ]
    assert inheriting, "the seed holds layouts that inherit user preferences"
    result = export_org(small.client, tmp_path / "out", kinds=["DesktopLayout"])
    for entry in result.files:
        spec = _document(result.out / entry.path)["spec"]
        expected = _state(small).layouts[entry.key.path_params["layoutId"]].get("inheritance")
        assert spec.get("inheritance") == (None if expected == "user-preference" else expected)
    [switch] = [o for o in result.left_out if o.pointer == "/inheritance"]
    assert (switch.reason, switch.count) == ("unsourced derivation", len(inheriting))
    _, _, admitted = checked(result.out, small)
    plan = build_plan(small.client, admitted)
    assert {e.action for e in plan.resources} == {Action.NO_OP}


def test_the_documented_list_names_what_each_kind_leaves_out(small: OrgConnection) -> None:
    listed = {(o.kind, o.source, o.pointer): o.reason for o in omissions(small.contract)}
    assert listed[("RoutingRule", "resource", "/id")] == "server-owned"
    assert listed[("FlowSettings", "resource", "/description")] == "not in the payload"
    assert listed[("DesktopLayout", "resource", "/user_preference_override")] == "derived"
    assert listed[("RoutingStrategy", "document", "/version")] == "document"
    assert ("RoutingRule", "resource", "/queue/id") not in listed  # kept as metadata.queueId
    assert ("DesktopLayout", "resource", "/id") not in listed  # kept as metadata.layoutId


# ---------------------------------------------------------------- requests


def test_429s_are_waited_out_not_failed(small: OrgConnection, tmp_path: Path) -> None:
    clean = export_org(small.client, tmp_path / "clean")
    assert small.org is not None
    # Three 429s for one queue's read, two for a listing: within the client's own attempts.
    small.org.faults.rate_limit(times=3, retry_after=7, path="/api/v2/routing/queues/*")
    small.org.faults.rate_limit(times=2, retry_after=3, operation="listRoutingRules")
    before = small.org.clock.now()
    limited = export_org(small.client, tmp_path / "limited")
    assert limited.retried_after_429 == 5
    assert limited.requests == clean.requests - clean.token_requests + 5
    assert small.org.clock.now() - before >= 7 * 3 + 3 * 2  # each Retry-After was waited
    assert tree(tmp_path / "clean") == tree(tmp_path / "limited")


def test_an_org_refusing_longer_than_the_client_tries_is_still_waited_out(
    small: OrgConnection, tmp_path: Path
) -> None:
    clean = export_org(small.client, tmp_path / "clean")
    assert small.org is not None
    # More 429s in a row than the client's four attempts: the export reads again after each wait.
    small.org.faults.rate_limit(times=9, retry_after=5, operation="getQueueStrategies")
    small.org.faults.rate_limit(times=6, retry_after=2, operation="listTriggerRules")
    clock = small.org.clock
    assert isinstance(clock, VirtualClock)
    waited = len(clock.sleeps)
    limited = export_org(small.client, tmp_path / "limited")
    assert limited.retried_after_429 == 15
    sleeps = clock.sleeps[waited:]
    # Every 429 was waited out for its Retry-After, once: by the client, or by the export after it.
    assert sum(1 for s in sleeps if abs(s - 5.0) < 1e-6) == 9
    assert sum(1 for s in sleeps if abs(s - 2.0) < 1e-6) == 6
    # The listing starts over after the client gives up on a page: its pages are read again.
    assert limited.requests >= clean.requests - clean.token_requests + 15
    assert tree(tmp_path / "clean") == tree(tmp_path / "limited")
    statuses = {e.status for e in small.org.requests.entries()}
    assert statuses == {200, 429}  # nothing failed: every 429 was followed by its read


def test_a_failed_read_writes_nothing(small: OrgConnection, tmp_path: Path) -> None:
    out = tmp_path / "out"
    export_org(small.client, out)
    before = tree(out)
    assert small.org is not None
    small.org.change(  # the org changes, then the next export cannot finish reading it
        "routingRules",
        next(iter(_state(small).routing_rules)),
        client_id="colleague",
        field="/priority",
        value=99,
    )
    small.org.faults.server_error(status=503, times=None, operation="listDesktopLayouts")
    with pytest.raises(ApiError):
        export_org(small.client, out)
    assert tree(out) == before
    assert siblings(out) == ["seed"]


def test_progress_counts_every_read_of_every_kind(small: OrgConnection, tmp_path: Path) -> None:
    steps: list[ExportProgress] = []
    result = export_org(small.client, tmp_path / "out", progress=steps.append)
    kinds = list(dict.fromkeys(s.kind for s in steps))
    assert kinds == list(result.counts)
    for kind in kinds:
        mine = [s for s in steps if s.kind == kind]
        assert [s.done for s in mine] == list(range(1, len(mine) + 1))
        assert all(s.total >= s.done for s in mine)
        assert mine[-1].finished
        assert mine[-1].resources == result.counts[kind]
        assert not any(s.finished for s in mine[:-1])
    assert len(steps) == result.requests - result.token_requests


# ---------------------------------------------------------------- the folder


def test_a_resource_removed_from_the_org_disappears_on_re_export(
    small: OrgConnection, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first = export_org(small.client, out)
    (out / "README.md").write_text("our notes\n", encoding="utf-8")
    (out / "routing-rule" / "hand-written.yaml").write_text("# mine\n", encoding="utf-8")
    gone = next(f for f in first.files if f.kind == "RoutingRule")
    small.client.delete_routing_rule(gone.key.path_params["ruleId"])
    second = export_org(small.client, out)
    assert second.removed == (gone.path,)
    assert not (out / gone.path).exists()
    assert sorted(second.carried) == ["README.md", "routing-rule/hand-written.yaml"]
    assert (out / "README.md").read_text(encoding="utf-8") == "our notes\n"
    after = tree(out)
    assert set(after) == {f.path for f in second.files} | {MANIFEST, *second.carried}
    assert owned_files(out) == {f.path for f in second.files}
    assert siblings(out) == ["seed"]


def test_kind_filters_and_leaves_the_other_kinds_files_alone(
    small: OrgConnection, tmp_path: Path
) -> None:
    only = export_org(small.client, tmp_path / "only", kinds=["FlowSettings"])
    assert set(only.counts) == {"FlowSettings"}
    assert {p.name for p in (tmp_path / "only").iterdir()} == {"flow-settings", MANIFEST}
    out = tmp_path / "out"
    export_org(small.client, out)
    before = tree(out)
    rule_id = next(iter(_state(small).routing_rules))
    flow_id = next(iter(_state(small).flows))
    assert small.org is not None
    small.org.change("routingRules", rule_id, client_id="colleague", field="/priority", value=98)
    small.org.change(
        "flows", flow_id, client_id="colleague", field="/settings/routing/maxWaitTime", value=321
    )
    export_org(small.client, out, kinds=["FlowSettings"])
    after = tree(out)
    changed = {p for p in after if after[p] != before.get(p)}
    assert len(changed) == 1
    assert changed.pop().startswith(kind_folder("FlowSettings") + "/")
    assert set(after) == set(before)  # the other kinds' files are still the export's


def test_unknown_kinds_are_refused_before_any_read(small: OrgConnection, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown kind 'Queue'"):
        export_org(small.client, tmp_path / "out", kinds=["Queue"])
    assert not (tmp_path / "out").exists()


def test_a_folder_no_export_wrote_is_refused_and_left_alone(
    small: OrgConnection, tmp_path: Path
) -> None:
    out = tmp_path / "configs"
    out.mkdir()
    (out / "mine.yaml").write_text("kind: mine\n", encoding="utf-8")
    with pytest.raises(ExportError, match="not an export folder"):
        export_org(small.client, out)
    assert tree(out) == {"mine.yaml": tree(out)["mine.yaml"]}
    empty = tmp_path / "empty"
    empty.mkdir()
    assert export_org(small.client, empty).files


def test_a_file_of_the_user_s_where_a_configuration_would_go_is_never_overwritten(
    small: OrgConnection, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first = export_org(small.client, out)
    target = first.files[0]
    (out / MANIFEST).write_text(
        (out / MANIFEST).read_text(encoding="utf-8").replace(f'"{target.path}"', '"elsewhere"'),
        encoding="utf-8",
    )  # the file is no longer the export's: the user took it over
    (out / target.path).write_text("# edited by hand\n", encoding="utf-8")
    before = tree(out)
    with pytest.raises(ExportError, match="not a file of an earlier export"):
        export_org(small.client, out)
    assert tree(out) == before
    assert siblings(out) == ["seed"]
