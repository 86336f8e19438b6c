"""The field-level diff and the overlay: only stated fields, sets unordered, types exact."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genesys_compliance.apply import Change, diff, overlay, same_set
from genesys_compliance.contract import Contract

TABLE = Contract.load().resources
STRATEGY = TABLE["RoutingStrategy"]
FLOW = TABLE["FlowSettings"]
LAYOUT = TABLE["DesktopLayout"]
TRIGGER = TABLE["TriggerRule"]


def pointers(changes: list[Change]) -> list[str]:
    return [c.pointer for c in changes]


def test_a_set_compares_unordered_but_counts_repeats() -> None:
    org = {"skills": {"required": ["a", "b"], "preferred": ["c"]}}
    assert diff({"skills": {"required": ["b", "a"]}}, org, STRATEGY) == []
    assert pointers(diff({"skills": {"required": ["a", "a", "b"]}}, org, STRATEGY)) == [
        "/skills/required"
    ]
    assert same_set([{"x": 1, "y": 2}], [{"y": 2, "x": 1.0}])
    assert not same_set(["a"], ["a", "a"])


def test_a_list_that_is_not_a_set_compares_in_order() -> None:
    org = {"overflow": {"rules": [{"threshold": 1}, {"threshold": 2}]}}
    file = {"overflow": {"rules": [{"threshold": 2}, {"threshold": 1}]}}
    assert pointers(diff(file, org, STRATEGY)) == [
        "/overflow/rules/0/threshold",
        "/overflow/rules/1/threshold",
    ]
    # Different lengths: one change of the whole list, as the file states it.
    [whole] = diff({"overflow": {"rules": [{"threshold": 1}]}}, org, STRATEGY)
    assert (whole.pointer, whole.org, whole.file) == (
        "/overflow/rules",
        org["overflow"]["rules"],
        [{"threshold": 1}],
    )


def test_only_fields_the_file_states_are_compared() -> None:
    org = {"name": "n", "description": "org's", "inheritance": "none", "grid": {"rows": 3}}
    assert diff({"name": "n", "grid": {}}, org, LAYOUT) == []
    [change] = diff({"grid": {"rows": 3, "columns": 4}}, org, LAYOUT)
    assert (change.pointer, change.in_org, change.to_dict()) == (
        "/grid/columns",
        False,
        {"pointer": "/grid/columns", "file": 4},
    )


def test_values_compare_as_json_does() -> None:
    assert diff({"priority": 1}, {"priority": 1.0}, STRATEGY) == []
    assert pointers(diff({"enabled": True}, {"enabled": 1}, TRIGGER)) == ["/enabled"]
    assert pointers(diff({"enabled": 0}, {"enabled": False}, TRIGGER)) == ["/enabled"]
    assert pointers(diff({"v": "1"}, {"v": 1}, TRIGGER)) == ["/v"]
    # A stated null is met by an absent field (nothing to write), not by a value.
    assert diff({"description": None}, {}, TRIGGER) == []
    assert pointers(diff({"description": None}, {"description": "x"}, TRIGGER)) == ["/description"]


def test_server_owned_and_identity_fields_are_never_compared() -> None:
    # A stale version in a file is the org's to set, not a change.
    assert diff({"version": 3, "name": "n"}, {"version": 9, "name": "n", "id": "x"}, LAYOUT) == []
    # The flow's identity is its id; the payload calls it flowId.
    assert diff({"flowId": "f"}, {"id": "f"}, FLOW) == []
    assert diff({"etag": "1"}, {"etag": "2"}, TRIGGER) == []


def test_overlay_lays_managed_fields_over_the_resource_and_keeps_the_rest() -> None:
    org = {
        "id": "lay-1",
        "version": 4,
        "name": "old",
        "inheritance": "none",
        "widgets": [{"id": "w", "position": {"x": 0}, "visibility": {"state": "shown"}}],
    }
    file = {"name": "new", "version": 1, "widgets": [{"id": "w", "position": {"x": 2}}]}
    merged = overlay(org, file, LAYOUT)
    assert merged == {
        "id": "lay-1",
        "version": 4,  # the org's: the token is the client's to place
        "name": "new",
        "inheritance": "none",  # unstated: kept
        "widgets": [{"id": "w", "position": {"x": 2}, "visibility": {"state": "shown"}}],
    }
    assert org["name"] == "old", "the resource as read is not modified"
    assert diff(file, merged, LAYOUT) == []


def test_overlay_keeps_the_org_s_order_of_an_equal_set() -> None:
    org = {"skills": {"required": ["a", "b"]}, "strategy": "random"}
    merged = overlay(org, {"skills": {"required": ["b", "a"]}, "strategy": "custom"}, STRATEGY)
    assert merged == {"skills": {"required": ["a", "b"]}, "strategy": "custom"}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.text("ab", max_size=2),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("abc"), inner),
    max_leaves=12,
)
documents = st.dictionaries(st.sampled_from(["strategy", "skills", "overflow", "x"]), json_values)


def unstated(org: Any, file: Any, prefix: str = "") -> dict[str, Any]:
    """Org fields no file field covers: the overlay must keep each one."""
    out: dict[str, Any] = {}
    if isinstance(org, dict) and isinstance(file, dict):
        for key, value in org.items():
            if key not in file:
                out[f"{prefix}/{key}"] = value
            else:
                out.update(unstated(value, file[key], f"{prefix}/{key}"))
    elif isinstance(org, list) and isinstance(file, list) and len(org) == len(file):
        for index, (mine, theirs) in enumerate(zip(file, org, strict=True)):
            out.update(unstated(theirs, mine, f"{prefix}/{index}"))
    return out


def at(data: Any, ptr: str) -> Any:
    for token in ptr.split("/")[1:]:
        data = data[int(token)] if isinstance(data, list) else data[token]
    return data


@settings(max_examples=300, deadline=None)
@given(org=documents, file=documents)
def test_after_an_overlay_nothing_differs_and_nothing_unstated_moved(
    org: dict[str, Any], file: dict[str, Any]
) -> None:
    merged = overlay(org, file, STRATEGY)
    assert diff(file, merged, STRATEGY) == []
    for ptr, value in unstated(org, file).items():
        if "/skills/required" in ptr or "/skills/preferred" in ptr:
            continue  # a set is the file's as a whole
        assert at(merged, ptr) == value, ptr


@pytest.mark.parametrize(
    ("file", "org", "expected"),
    [
        ({"a": {"b": 1}}, {"a": 2}, ["/a"]),
        ({"a": [1]}, {"a": {"0": 1}}, ["/a"]),
        ({"a~b/c": 1}, {"a~b/c": 2}, ["/a~0b~1c"]),
        ({"w": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]}, {"w": [0] * 12}, ["/w/11"]),
    ],
)
def test_changes_point_at_the_field_escaped_and_in_order(
    file: dict[str, Any], org: dict[str, Any], expected: list[str]
) -> None:
    assert pointers(diff(file, org, TRIGGER)) == expected


def test_changes_sort_indexes_as_numbers() -> None:
    file = {"w": list(range(12))}
    org = {"w": [-1] * 12}
    found = pointers(diff(file, org, TRIGGER))
    assert found == [f"/w/{i}" for i in range(12)]
