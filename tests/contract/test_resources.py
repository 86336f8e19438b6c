"""The resource table: declared once in the contract, read into typed values, checked at load."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from genesys_compliance.contract import Contract, ResourceKey, ResourceTableError
from genesys_compliance.engine import load_run
from genesys_compliance.kinds import KINDS

REPO = Path(__file__).resolve().parents[2]
Edit = Callable[[dict[str, Any]], None]


def kinds(document: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = document["x-genesys-compliance"]["resources"]["kinds"]
    return result


def broken(edit: Edit) -> str:
    document = Contract.load().document
    edit(document)
    with pytest.raises(ResourceTableError) as caught:
        Contract(document)
    return str(caught.value)


def test_every_kind_has_its_resource_in_write_order() -> None:
    table = Contract.load().resources
    assert table.kinds == (
        "FlowSettings",
        "RoutingStrategy",
        "RoutingRule",
        "TriggerRule",
        "DesktopLayout",
    )
    assert set(table.kinds) == set(KINDS)
    assert [t.order for t in table] == [0, 1, 2, 3, 4]


def test_the_table_says_what_the_contract_says() -> None:
    table = Contract.load().resources
    layout, flow = table["DesktopLayout"], table["FlowSettings"]
    strategy, trigger, rule = table["RoutingStrategy"], table["TriggerRule"], table["RoutingRule"]
    assert {r: o.operation_id for r, o in layout.operations.items()} == {
        "list": "listDesktopLayouts",
        "get": "getDesktopLayout",
        "create": "createDesktopLayout",
        "update": "updateDesktopLayout",
    }
    assert not flow.has("create")
    assert rule.operation("delete").operation_id == "deleteRoutingRule"
    with pytest.raises(LookupError, match="no delete operation for DesktopLayout"):
        layout.operation("delete")
    # Where each token lives and how each write carries it, derived from the operations.
    assert dict(layout.guards) == {"update": "body"}
    assert dict(flow.guards) == {"update": "body"}
    assert dict(strategy.guards) == {"create": "if-match", "update": "if-match"}
    assert dict(trigger.guards) == {"update": "if-match"}
    assert dict(rule.guards) == {"update": "body", "delete": "if-match"}
    assert (trigger.token.pointer, trigger.token.header) == ("/etag", "ETag")
    # Full replacement everywhere but the strategies document, which merges by media type.
    assert [t.write for t in table] == ["replace", "merge", "replace", "replace", "replace"]
    assert strategy.container is not None
    assert (strategy.container.parameter, strategy.container.items) == ("queueId", "/strategies")
    # The largest page the listings allow: fewest requests.
    assert layout.page_size == 500
    assert table.for_operation("patchQueueStrategies") == (strategy, ("create", "update"))
    assert table.for_operation("queryAudits") is None


def test_sets_and_server_owned_fields_match_by_pointer() -> None:
    table = Contract.load().resources
    strategy, flow, layout = table["RoutingStrategy"], table["FlowSettings"], table["DesktopLayout"]
    assert strategy.is_set("/skills/required")
    assert strategy.is_set("/skills/preferred")
    assert not strategy.is_set("/overflow/rules")
    assert flow.is_set("/settings/scopeDirectives/applyTo")
    assert layout.is_server_owned("/version")
    assert not layout.is_server_owned("/versions")
    assert not layout.is_server_owned("/name")


def test_a_wildcard_set_matches_any_one_step() -> None:
    document = Contract.load().document
    kinds(document)["DesktopLayout"]["sets"] = ["/widgets"]
    layout = Contract(document).resources["DesktopLayout"]
    assert layout.is_set("/widgets")
    document = Contract.load().document
    kinds(document)["RoutingStrategy"]["sets"] = ["/skills/*"]
    strategy = Contract(document).resources["RoutingStrategy"]
    assert strategy.is_set("/skills/required")
    assert not strategy.is_set("/skills")
    assert not strategy.is_set("/skills/required/0")


def test_the_table_finds_each_example_s_resource_as_the_kind_s_identity_does() -> None:
    """The table and each kind's duplicate-target identity name the same resource."""
    table = Contract.load().resources
    run = load_run([REPO / "fixtures" / "configs"], REPO)
    assert len(run.entries) == 12
    for entry in run.entries:
        assert entry.config is not None
        rtype = table[entry.kind.name]
        document = entry.document.data
        values = rtype.match_values(document)
        identity = entry.kind.identity(entry.config)
        if identity is None:
            assert values is None, entry.id
            continue
        assert values is not None, entry.id
        parent = rtype.parent_of(document)
        assert "/".join([*([parent] if parent else []), *values]) == identity[1], entry.id


def test_metadata_pointers_name_fields_of_the_kind_s_metadata() -> None:
    table = Contract.load().resources
    for rtype in table:
        pointers = [p for f in (*rtype.match, *rtype.natural_key) for p in f.config]
        if rtype.container is not None:
            pointers.append(rtype.container.config)
        fields = KINDS[rtype.kind].metadata_model.model_fields
        for ptr in pointers:
            if ptr.startswith("/metadata/"):
                assert ptr.split("/")[2] in fields, (rtype.kind, ptr)


def test_keys_are_canonical_and_read_as_text() -> None:
    key = ResourceKey.of({"queueId": "q"}, {"/mediaType": "voice"})
    assert key == ResourceKey.of({"queueId": "q"}, {"/mediaType": "voice"})
    assert key.to_dict() == {"queueId": "q", "mediaType": "voice"}
    assert str(key) == "queueId=q mediaType=voice"
    table = Contract.load().resources
    assert table["RoutingStrategy"].key_of({"mediaType": "voice"}, "q") == key
    assert table["RoutingRule"].key_of({"id": "r", "version": 2}) == ResourceKey.of({"ruleId": "r"})


def test_relocated_endpoints_keep_the_table() -> None:
    contract = Contract.load({"DesktopLayout": "/api/v2/apps/desktop/layouts"})
    op = contract.resources["DesktopLayout"].operation("get")
    assert op.path == "/api/v2/apps/desktop/layouts/{layoutId}"


def _set(path: str, value: Any) -> Edit:
    def edit(document: dict[str, Any]) -> None:
        node: Any = document["x-genesys-compliance"]["resources"]
        *steps, last = path.split(".")
        for step in steps:
            node = node[int(step)] if isinstance(node, list) else node[step]
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value

    return edit


_DELETE = object()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            _set("kinds.DesktopLayout.operations.get", "getDesktopLayot"),
            "kinds.DesktopLayout.operations.get: no operation 'getDesktopLayot' in the contract",
        ),
        (
            _set("kinds.DesktopLayout.operations.list", "listFlows"),
            "operations.list: listFlows serves FlowSettings, not DesktopLayout",
        ),
        (
            _set("kinds.DesktopLayout.operations.list", "createDesktopLayout"),
            "operations.list: createDesktopLayout is a POST, not GET",
        ),
        (
            _set("kinds.DesktopLayout.operations.patch", "updateDesktopLayout"),
            "operations.patch: unknown role",
        ),
        (_set("kinds.FlowSettings.operations.update", _DELETE), "needs a update operation"),
        (
            _set("kinds.DesktopLayout.match.0.resource", "/layoutId"),
            "match[0].resource: /layoutId is not in what listDesktopLayouts answers",
        ),
        (
            _set("kinds.DesktopLayout.naturalKey.0.config", ["/spec/title"]),
            "naturalKey[0].config: /spec/title: /title is not in the DesktopLayout payload",
        ),
        (
            _set("kinds.DesktopLayout.match.0.config", ["/status/id"]),
            "must point into /spec or at a /metadata field",
        ),
        (
            _set("kinds.RoutingStrategy.sets", ["/skills/requierd"]),
            "sets[0]: /skills/requierd is not in the RoutingStrategy payload",
        ),
        (_set("kinds.RoutingStrategy.sets", ["/strategy"]), "sets[0]: /strategy is not a list"),
        (
            _set("kinds.DesktopLayout.token.send", "if-match"),
            "token.send: updateDesktopLayout takes the token as body, not if-match",
        ),
        (
            _set("kinds.TriggerRule.token.send", "body"),
            "token.send: updateTriggerRule takes the token as if-match, not body",
        ),
        (
            _set("kinds.DesktopLayout.token.header", "ETag"),
            "token.header: getDesktopLayout documents no ETag header",
        ),
        (
            _set("kinds.DesktopLayout.token.pointer", "/revision"),
            "token.pointer: /revision is not in what listDesktopLayouts answers",
        ),
        (
            _set("kinds.DesktopLayout.write", "merge"),
            "write: updateDesktopLayout is a PUT: it replaces",
        ),
        (_set("kinds.DesktopLayout.write", "upsert"), "write: must be replace or merge"),
        (
            _set("kinds.DesktopLayout.serverOwned", ["/id", "/modifiedDate"]),
            "serverOwned: must hold the token /version",
        ),
        (
            _set("kinds.RoutingRule.serverOwned", ["/version"]),
            "serverOwned: must hold /id: the org assigns it",
        ),
        (
            _set("kinds.DesktopLayout.naturalKey", _DELETE),
            "naturalKey: a kind that can be created needs a natural key",
        ),
        (
            _set("kinds.DesktopLayout.id.parameter", "id"),
            "id.parameter: getDesktopLayout takes layoutId, not id",
        ),
        (
            _set("kinds.DesktopLayout.serverowned", []),
            "kinds.DesktopLayout.serverowned: unknown key",
        ),
        (
            _set("kinds.RoutingStrategy.container.items", "/strategy"),
            "container.items: '/strategy' is not a list in getQueueStrategies",
        ),
        (
            _set("kinds.RoutingStrategy.container.parameter", "queue"),
            "container.parameter: getQueueStrategies has no path parameter 'queue'",
        ),
        (_set("kinds.Widget", {}), "kinds: unknown kind Widget"),
        (_set("kinds.RoutingRule", _DELETE), "kinds: no entry for RoutingRule"),
        (
            _set("order", ["FlowSettings", "FlowSettings"]),
            "order: must list every kind exactly once",
        ),
        (_set("order", _DELETE), "order: must list every kind exactly once"),
    ],
)
def test_a_table_that_does_not_fit_the_document_fails_at_load(edit: Edit, message: str) -> None:
    assert message in broken(edit)


def test_a_contract_without_a_table_fails_at_load() -> None:
    def drop(document: dict[str, Any]) -> None:
        del document["x-genesys-compliance"]["resources"]

    assert "declares no resource table" in broken(drop)


def test_a_renamed_schema_field_breaks_the_table_not_a_plan() -> None:
    """Renaming a field the table names (here skills.required) fails the load."""

    def rename(document: dict[str, Any]) -> None:
        skills = document["components"]["schemas"]["RoutingStrategy"]["properties"]["skills"]
        skills["properties"]["mandatory"] = skills["properties"].pop("required")

    assert "sets[0]: /skills/required is not in the RoutingStrategy payload" in broken(rename)
