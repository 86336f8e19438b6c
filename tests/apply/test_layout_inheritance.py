"""User-preference inheritance of layouts: the plan derives, apply writes, the table declares.

A layout with ``spec.inheritance: user-preference`` and ``metadata.userId``
carries that user's desktop preferences as ``user_preference_override``. The
resource table's ``derived`` entry says so; plan, apply and the journal learn
it from there, never from the kind's name.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from genesys_compliance.apply import (
    Action,
    ApplyRefusedError,
    Plan,
    PlannedResource,
    apply_plan,
    render_plan,
    resume,
    unresolved,
)
from genesys_compliance.connect import OrgConnection
from genesys_compliance.contract import Contract, ResourceTableError
from tests.apply._support import Crash, CrashOn, connection, load, operations, plan, written

DANA = "2a4c6e8f-1b3d-4f5a-9c7e-0d2f4a6c8e10"  # the seed's user with desktop preferences
NOBODY = "0c9b8a7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"  # no such user in the seed
FIELD = "/user_preference_override"


def layout(
    org: OrgConnection,
    folder: Path,
    name: str = "agent-default",
    *,
    layout_id: str | None = "lay-agent-default",
    user_id: str | None = DANA,
    inheritance: str | None = "user-preference",
) -> Path:
    """A configuration stating the seed layout as the org holds it, with the inheritance asked."""
    assert org.org is not None
    seeded = org.org.state.layouts[layout_id or "lay-agent-default"]
    spec = {k: copy.deepcopy(seeded[k]) for k in ("name", "description", "grid", "widgets")}
    if layout_id is None:
        spec["name"] = f"{name} layout"
    if inheritance is not None:
        spec["inheritance"] = inheritance
    metadata: dict[str, Any] = {"name": name}
    if layout_id is not None:
        metadata["layoutId"] = layout_id
    if user_id is not None:
        metadata["userId"] = user_id
    document = {
        "apiVersion": "genesys-compliance/v1",
        "kind": "DesktopLayout",
        "metadata": metadata,
        "spec": spec,
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def preferences(org: OrgConnection, user_id: str = DANA) -> dict[str, Any]:
    """The user's desktop preferences as the org holds them now."""
    assert org.org is not None
    desktop: dict[str, Any] = org.org.state.users[user_id]["preferences"]["desktop"]
    return desktop


def entry(p: Plan, name: str) -> PlannedResource:
    [found] = [e for e in p.resources if e.name == name]
    return found


def changes(p: Plan, name: str) -> dict[str, tuple[Any, Any]]:
    return {
        c.change.pointer: (c.change.org if c.change.in_org else "<absent>", c.change.file)
        for c in entry(p, name).changes
    }


def stored(org: OrgConnection, layout_id: str = "lay-agent-default") -> dict[str, Any]:
    assert org.org is not None
    return org.org.state.layouts[layout_id]


# ---------------------------------------------------------------- plan


def test_the_plan_carries_the_user_s_desktop_preferences(tmp_path: Path) -> None:
    org = connection()
    folder = tmp_path / "configs"
    path = layout(org, folder)
    p = plan(org, load(folder))
    agent = entry(p, "agent-default")
    # The file states the layout as the org holds it: the preferences are the one change.
    assert agent.action is Action.UPDATE
    assert changes(p, "agent-default") == {FIELD: ("<absent>", preferences(org))}
    assert preferences(org)["theme"] == "high-contrast"  # the seed's, not an empty object
    # The change points at the line that asks for the inheritance.
    [change] = agent.changes
    assert "inheritance: user-preference" in path.read_text().splitlines()[change.line - 1]
    # The managed fields apply writes hold them too; the file's own spec is untouched.
    assert agent.spec[FIELD[1:]] == preferences(org)
    assert FIELD[1:] not in agent.target.approved.spec
    assert json.loads(p.to_json())["resources"][0]["changes"][0]["pointer"] == FIELD
    assert operations(org)["getUserPreferences"] == 1
    assert p.requests == 2  # the layouts' page and the user's preferences


def test_layouts_of_one_user_read_the_preferences_once_and_a_create_carries_them(
    tmp_path: Path,
) -> None:
    org = connection()
    folder = tmp_path / "configs"
    layout(org, folder)
    layout(org, folder, "new-hires", layout_id=None)
    p = plan(org, load(folder))
    created = entry(p, "new-hires")
    assert created.action is Action.CREATE
    assert changes(p, "new-hires")[FIELD] == ("<absent>", preferences(org))
    assert operations(org)["getUserPreferences"] == 1


def test_a_user_without_desktop_preferences_gives_an_empty_override(tmp_path: Path) -> None:
    org = connection()
    assert org.org is not None
    del org.org.state.users[DANA]["preferences"]["desktop"]
    folder = tmp_path / "configs"
    layout(org, folder)
    p = plan(org, load(folder))
    assert changes(p, "agent-default") == {FIELD: ("<absent>", {})}


# ---------------------------------------------------------------- apply


def test_apply_writes_the_preferences_and_a_second_apply_writes_nothing(tmp_path: Path) -> None:
    org = connection()
    folder = tmp_path / "configs"
    layout(org, folder)
    first = apply_plan(org.client, plan(org, load(folder)), journal=tmp_path / "audit")
    assert first.ok, first.failure
    assert first.counts() == {"update": 1}
    assert stored(org)[FIELD[1:]] == preferences(org)
    assert org.client.get_layout("lay-agent-default")[FIELD[1:]] == preferences(org)
    # The org now holds what the plan derives: no change, and no write.
    again = plan(org, load(folder))
    assert entry(again, "agent-default").action is Action.NO_OP
    before = written(org)
    second = apply_plan(org.client, again, journal=tmp_path / "audit")
    assert second.ok
    assert second.counts() == {"no-op": 1}
    assert written(org) == before


def test_changed_preferences_plan_an_update_of_the_field_that_changed(tmp_path: Path) -> None:
    org = connection()
    folder = tmp_path / "configs"
    layout(org, folder)
    assert apply_plan(org.client, plan(org, load(folder)), journal=tmp_path / "a").ok
    preferences(org)["theme"] = "dark"  # the user changes a preference in the org
    p = plan(org, load(folder))
    assert changes(p, "agent-default") == {FIELD + "/theme": ("high-contrast", "dark")}
    assert apply_plan(org.client, p, journal=tmp_path / "b").ok
    assert stored(org)[FIELD[1:]]["theme"] == "dark"
    assert entry(plan(org, load(folder)), "agent-default").action is Action.NO_OP


def test_a_preference_the_user_dropped_leaves_the_layout_too(tmp_path: Path) -> None:
    """Owned whole: laying the new value over the old would keep the dropped member."""
    org = connection()
    folder = tmp_path / "configs"
    layout(org, folder)
    assert apply_plan(org.client, plan(org, load(folder)), journal=tmp_path / "a").ok
    held = copy.deepcopy(stored(org)[FIELD[1:]])
    del preferences(org)["pinnedWidgets"]
    p = plan(org, load(folder))
    assert changes(p, "agent-default") == {FIELD: (held, preferences(org))}
    assert apply_plan(org.client, p, journal=tmp_path / "b").ok
    assert stored(org)[FIELD[1:]] == preferences(org)
    assert "pinnedWidgets" not in stored(org)[FIELD[1:]]


def test_a_colleague_changing_the_override_since_the_plan_is_a_conflict(tmp_path: Path) -> None:
    """A derived field is managed: someone else's change to it is not silently rebased."""
    org = connection()
    folder = tmp_path / "configs"
    layout(org, folder)
    p = plan(org, load(folder))
    assert org.org is not None
    org.org.state.layouts["lay-agent-default"] = {
        **stored(org),
        FIELD[1:]: {"theme": "colleague's"},
        "version": stored(org)["version"] + 1,
    }
    result = apply_plan(org.client, p, journal=tmp_path / "audit")
    assert not result.ok
    assert [f.rule_id for f in result.findings] == ["apply/conflict"]
    assert stored(org)[FIELD[1:]] == {"theme": "colleague's"}


def test_resume_writes_the_preferences_the_plan_read(tmp_path: Path) -> None:
    """The journal keeps the derived value: a resumed run writes the planned body."""
    org = connection()
    folder = tmp_path / "configs"
    layout(org, folder)
    planned = copy.deepcopy(preferences(org))
    with pytest.raises(Crash):
        apply_plan(
            org.client,
            plan(org, load(folder)),
            journal=tmp_path,
            listeners=[CrashOn("apply.writing")],
        )
    assert unresolved(tmp_path) is not None
    reads = operations(org)["getUserPreferences"]
    result = resume(org.client, tmp_path)
    assert result.ok, result.failure
    assert stored(org)[FIELD[1:]] == planned
    assert operations(org)["getUserPreferences"] == reads  # from the journal, not read again


# ---------------------------------------------------------------- what blocks


def test_a_user_the_org_does_not_have_blocks_the_layout(tmp_path: Path) -> None:
    org = connection()
    folder = tmp_path / "configs"
    layout(org, folder, user_id=NOBODY)
    p = plan(org, load(folder))
    blocked = entry(p, "agent-default")
    assert blocked.action is Action.BLOCKED
    reason = blocked.target.blocked
    assert reason is not None
    assert f"getUserPreferences userId={NOBODY} (metadata.userId)" in reason
    assert "does not have (404)" in reason
    assert "spec.inheritance is user-preference" in reason
    assert not blocked.changes
    assert json.loads(p.to_json())["resources"][0]["reason"] == reason
    assert reason in render_plan(p)
    before = written(org)
    with pytest.raises(ApplyRefusedError, match="cannot be planned"):
        apply_plan(org.client, p, journal=tmp_path / "audit")
    assert written(org) == before


def test_inheritance_without_a_user_blocks_the_layout_and_reads_nothing(tmp_path: Path) -> None:
    org = connection()
    folder = tmp_path / "configs"
    layout(org, folder, user_id=None)
    p = plan(org, load(folder))
    blocked = entry(p, "agent-default")
    assert blocked.action is Action.BLOCKED
    assert blocked.target.blocked == (
        "spec.inheritance is user-preference: spec.user_preference_override is read from"
        " getUserPreferences by metadata.userId, which the configuration does not state:"
        " add metadata.userId, or change spec.inheritance"
    )
    assert operations(org)["getUserPreferences"] == 0


@pytest.mark.parametrize("inheritance", [None, "none"])
def test_a_layout_without_inheritance_is_untouched_by_it(
    tmp_path: Path, inheritance: str | None
) -> None:
    """No read, no change; an override the org holds is an unstated field and survives."""
    org = connection()
    folder = tmp_path / "configs"
    path = layout(org, folder, "supervisor", layout_id="lay-supervisor", inheritance=inheritance)
    stored(org, "lay-supervisor")[FIELD[1:]] = {"theme": "wallboard"}
    # A renamed layout, so that the apply has a write to do.
    path.write_text(path.read_text().replace("name: Supervisor Wall Board", "name: Wall Board"))
    p = plan(org, load(folder))
    entry_ = entry(p, "supervisor")
    assert {c.change.pointer for c in entry_.changes} == {"/name"}
    assert FIELD[1:] not in entry_.spec
    assert operations(org)["getUserPreferences"] == 0
    assert apply_plan(org.client, p, journal=tmp_path / "audit").ok
    assert stored(org, "lay-supervisor")[FIELD[1:]] == {"theme": "wallboard"}
    assert operations(org)["getUserPreferences"] == 0


# ---------------------------------------------------------------- the table


def test_the_table_declares_the_derivation() -> None:
    table = Contract.load().resources
    layouts = table["DesktopLayout"]
    [derived] = layouts.derived
    assert derived.field == FIELD
    assert (derived.when, derived.equals) == ("/spec/inheritance", "user-preference")
    assert derived.source.operation_id == "getUserPreferences"
    assert derived.params == (("userId", "/metadata/userId"),)
    assert (derived.take, derived.default) == ("/preferences/desktop", ({},))
    assert layouts.derived_at(FIELD + "/theme") is derived
    assert layouts.derived_at("/inheritance") is None
    assert all(not t.derived for t in table if t.kind != "DesktopLayout")


def test_the_client_reads_a_source_only_for_its_own_kind() -> None:
    org = connection()
    [derived] = org.contract.resources["DesktopLayout"].derived
    assert org.client.resources("DesktopLayout").source(derived, {"userId": DANA})["id"] == DANA
    with pytest.raises(ValueError, match="not a derived field of FlowSettings"):
        org.client.resources("FlowSettings").source(derived, {"userId": DANA})


Edit = Callable[[dict[str, Any]], None]


def _derived(change: Callable[[dict[str, Any]], None]) -> Edit:
    def edit(document: dict[str, Any]) -> None:
        kinds = document["x-genesys-compliance"]["resources"]["kinds"]
        change(kinds["DesktopLayout"]["derived"][0])

    return edit


def _schema(name: str) -> Edit:
    def edit(document: dict[str, Any]) -> None:
        del document["components"]["schemas"][name]["properties"]["user_preference_override"]

    return edit


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            _derived(lambda d: d.update(field="/preferences")),
            "derived[0].field: /preferences is not in the DesktopLayout payload",
        ),
        (
            _derived(lambda d: d.update(field="/version")),
            "derived[0].field: /version is owned by the org",
        ),
        (
            _schema("DesktopLayoutEntity"),
            "derived[0].field: /user_preference_override is not in what listDesktopLayouts answers",
        ),
        (
            _derived(lambda d: d.update({"from": "getUserPreference"})),
            "derived[0].from: no GET 'getUserPreference' in the contract",
        ),
        (
            _derived(lambda d: d.update({"from": "createDesktopLayout"})),
            "derived[0].from: no GET 'createDesktopLayout' in the contract",
        ),
        (
            _derived(lambda d: d.update(params={"user": "/metadata/userId"})),
            "derived[0].params: must map each path parameter of getUserPreferences: userId",
        ),
        (
            _derived(lambda d: d.update(params={"userId": "/status/userId"})),
            "derived[0].params.userId: '/status/userId' must point into /spec or at a /metadata",
        ),
        (
            _derived(lambda d: d.update(take="/preferences/desk")),
            "derived[0].take: /preferences/desk is not in what getUserPreferences answers",
        ),
        (
            _derived(lambda d: d.update(when={"config": "/spec/inherit", "equals": "x"})),
            "derived[0].when.config: /spec/inherit: /inherit is not in the DesktopLayout payload",
        ),
        (
            _derived(lambda d: d.update(when={"config": "/spec/inheritance"})),
            "derived[0].when: needs config (a pointer) and equals (a value)",
        ),
        (_derived(lambda d: d.pop("take")), "derived[0]: needs take"),
        (_derived(lambda d: d.update(source="x")), "derived[0].source: unknown key"),
    ],
)
def test_a_derivation_that_does_not_fit_the_document_fails_at_load(
    edit: Edit, message: str
) -> None:
    document = Contract.load().document
    edit(document)
    with pytest.raises(ResourceTableError) as caught:
        Contract(document)
    assert message in str(caught.value)


def test_a_field_the_writes_drop_fails_at_load() -> None:
    """The write's closed schema would drop it: every plan would show the change forever."""
    document = Contract.load().document
    schemas = document["components"]["schemas"]
    update = schemas["DesktopLayoutUpdate"]
    # The update takes its own closed schema without the field; the payload keeps it.
    update.clear()
    update.update(copy.deepcopy(schemas["DesktopLayout"]))
    update["required"] = [*update["required"], "version"]
    del update["properties"]["user_preference_override"]
    with pytest.raises(ResourceTableError) as caught:
        Contract(document)
    assert "/user_preference_override is not in what updateDesktopLayout takes" in str(caught.value)
