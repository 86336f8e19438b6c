"""``min-flow-update-interval`` as the policy loader reads it, and what apply is handed."""

from pathlib import Path

import pytest

from genesys_compliance.errors import PolicyError
from genesys_compliance.rules import Policy, load_policy, policy_from_mapping


def test_the_default_is_the_specs_sixty_seconds_for_flows_only() -> None:
    assert Policy().min_flow_update_interval == 60.0
    assert Policy().update_intervals == {"FlowSettings": 60.0}


def test_a_pyproject_sets_it_in_seconds(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.genesys-compliance]\nmin-flow-update-interval = 300\n", encoding="utf-8"
    )
    policy = load_policy(tmp_path / "pyproject.toml")
    assert policy.min_flow_update_interval == 300.0
    assert isinstance(policy.min_flow_update_interval, float)
    assert policy.update_intervals == {"FlowSettings": 300.0}


def test_fractions_are_seconds_too() -> None:
    policy = policy_from_mapping({"min-flow-update-interval": 2.5})
    assert policy.update_intervals == {"FlowSettings": 2.5}


def test_zero_asks_for_no_interval_at_all() -> None:
    policy = policy_from_mapping({"min-flow-update-interval": 0})
    assert policy.min_flow_update_interval == 0.0
    # An empty mapping: apply does not even query the org's audit.
    assert policy.update_intervals == {}


@pytest.mark.parametrize(
    ("value", "why"),
    [
        pytest.param(-1, "not -1", id="negative"),
        pytest.param(-0.5, "not -0.5", id="negative-fraction"),
        pytest.param(float("inf"), "not inf", id="infinite"),
        pytest.param(float("nan"), "not nan", id="nan"),
        pytest.param(True, "not a boolean", id="boolean"),
        pytest.param("60", "not a string: write the number without quotes", id="string"),
        pytest.param([60], "not an array", id="array"),
        pytest.param({"seconds": 60}, "not a table", id="table"),
    ],
)
def test_anything_but_a_non_negative_number_is_a_policy_error(value: object, why: str) -> None:
    with pytest.raises(PolicyError) as raised:
        policy_from_mapping({"min-flow-update-interval": value}, source="pyproject.toml")
    assert str(raised.value) == (
        "pyproject.toml [tool.genesys-compliance]: min-flow-update-interval: Value error, "
        "must be a number of seconds, 0 or more (0 lets a flow be updated again at once), "
        f"{why}"
    )


def test_a_misspelt_key_names_the_right_one() -> None:
    with pytest.raises(PolicyError, match=r"did you mean 'min-flow-update-interval'\?"):
        policy_from_mapping({"min-flow-update-intervals": 60})


def test_the_python_name_is_what_the_glue_reads() -> None:
    """The pytest glue and the command line both read this attribute: it is an interface."""
    policy = Policy(min_flow_update_interval=90)
    assert policy.min_flow_update_interval == 90.0
    assert Policy.model_fields["min_flow_update_interval"].alias == "min-flow-update-interval"
