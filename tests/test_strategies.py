"""The public face of genesys_compliance.strategies: exports, profiles, mutator coverage, YAML."""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.errors import InvalidArgument

from genesys_compliance import ParseLimits, Policy, builtin_registry, strategies
from genesys_compliance.config import read_file
from genesys_compliance.strategies import (
    Mutation,
    _profiles,
    configurations,
    mutable_rules,
    mutate,
    register_profiles,
    to_yaml,
)
from genesys_compliance.strategies._profiles import suite_settings

# Rules no single-configuration mutation can break on its own, and why (see mutable_rules).
NEEDS_THE_ORG = {
    "strategy/capacity",
    "org/reference",
    "org/drift",
    "org/unmanaged",
    # The apply stage's: a run against the org, not a configuration, meets them.
    "apply/conflict",
    "apply/failed",
    "apply/rollback-conflict",
    "apply/interval",
}
UNREACHABLE_UNDER_SPEC_DEFAULTS = {"layout/load-impact"}


def test_all_lists_exactly_the_public_names() -> None:
    public = {
        name
        for name, value in vars(strategies).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert sorted(strategies.__all__) == strategies.__all__
    assert set(strategies.__all__) == public


def test_every_local_rule_has_a_mutator_but_the_documented_ones() -> None:
    every = {r.id for r in builtin_registry()}
    assert every - set(mutable_rules()) == NEEDS_THE_ORG | UNREACHABLE_UNDER_SPEC_DEFAULTS
    heavy = Policy(widget_load=0.5)
    assert every - set(mutable_rules(policy=heavy)) == NEEDS_THE_ORG


def test_mutate_refuses_rules_it_cannot_break() -> None:
    layout = {
        "apiVersion": "genesys-compliance/v1",
        "kind": "DesktopLayout",
        "metadata": {"name": "l"},
        "spec": {"name": "L", "grid": {"columns": 1, "rows": 1}, "widgets": []},
    }

    @settings(max_examples=1, database=None, deadline=None)
    @given(st.data())
    def attempt(data: st.DataObject) -> None:
        with pytest.raises(ValueError, match="org/reference"):
            mutate(layout, "org/reference", data)
        with pytest.raises(ValueError, match=r"TriggerRule|DesktopLayout"):
            mutate(layout, "trigger/operator", data)

    attempt()


@pytest.fixture
def profiles_restored() -> Iterator[None]:
    """Put back the profiles the session registered: a nightly run must keep its database."""
    saved = {}
    for name in ("dev", "ci", "nightly"):
        with contextlib.suppress(InvalidArgument):
            saved[name] = settings.get_profile(name)
    registered = dict(_profiles._REGISTERED)
    session_profile = settings.get_current_profile_name()
    yield
    for name, profile in saved.items():
        settings.register_profile(name, profile)
        if name in registered:
            _profiles._REGISTERED[name] = registered[name]
    settings.load_profile(session_profile)


@pytest.mark.usefixtures("profiles_restored")
def test_profiles_leave_hypothesis_own_alone_and_load_nothing(tmp_path: Path) -> None:
    active = settings.get_current_profile_name()
    default, ci = settings.get_profile("default"), settings.get_profile("ci")
    register_profiles(tmp_path / "db")
    register_profiles(tmp_path / "db")  # twice: replaces its own, stacks nothing
    assert settings.get_current_profile_name() == active
    # Other projects' tests share hypothesis' own profiles: the plugin never touches them.
    assert settings.get_profile("default") is default
    assert settings.get_profile("ci") is ci
    assert default.deadline == timedelta(milliseconds=200)
    assert ci.max_examples == 100
    nightly = settings.get_profile("nightly")
    assert nightly.max_examples == 2_000
    assert not nightly.derandomize
    assert nightly.database == DirectoryBasedExampleDatabase(tmp_path / "db")
    assert not (tmp_path / "db").exists(), "the database folder is made on first use only"
    assert settings.get_profile("dev").max_examples == 10
    assert [settings.get_profile(n).deadline for n in ("dev", "nightly")] == [None] * 2


@pytest.mark.usefixtures("profiles_restored")
def test_a_project_own_profile_is_never_replaced(tmp_path: Path) -> None:
    register_profiles(tmp_path / "ours")
    settings.register_profile("nightly", max_examples=7)
    register_profiles(tmp_path / "again")
    assert settings.get_profile("nightly").max_examples == 7


@pytest.mark.usefixtures("profiles_restored")
@pytest.mark.parametrize(
    ("profile", "examples", "derandomize"),
    [
        ("ci", 50, True),
        ("ci-with-verbose-verbosity", 50, True),
        ("dev", 10, False),
        ("nightly", 2_000, False),
        ("default", 100, False),
        ("a-project-profile", 3, False),
    ],
)
def test_the_suites_budget_follows_the_active_profile_name(
    tmp_path: Path, profile: str, examples: int, derandomize: bool
) -> None:
    """The suites' budget (README "Profiles"), applied to their tests over any profile."""
    register_profiles(tmp_path / "db")
    if profile == "ci-with-verbose-verbosity":
        settings.register_profile(profile, settings.get_profile("ci"))
    elif profile == "a-project-profile":
        settings.register_profile(profile, settings.get_profile("default"), max_examples=3)
    settings.load_profile(profile)
    applied = suite_settings(deadline=None)
    assert applied.max_examples == examples
    assert applied.derandomize is derandomize
    assert applied.deadline is None
    assert settings.get_current_profile_name() == profile, "nothing was loaded"


@pytest.mark.parametrize(
    "text",
    [
        "1e5",
        "0o17",
        "+.5",
        "1.0e5",
        "08",
        "yes",
        "2099-12-31",
        "line\u2028break",
        "nel\x85here",
        "~",
        "",
    ],
)
def test_to_yaml_writes_strings_the_loader_reads_back_as_the_same_strings(
    text: str, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(to_yaml({"value": text}), encoding="utf-8")
    source = read_file(path, "c.yaml", "c.yaml", ParseLimits())
    assert source.problem is None
    assert [d.data for d in source.documents] == [{"value": text}]


@settings(max_examples=20, database=None, deadline=None)
@given(configurations())
def test_configurations_are_plain_documents(config: dict[str, object]) -> None:
    assert list(config) == ["apiVersion", "kind", "metadata", "spec"]


def test_a_mutation_shows_a_long_pointer_with_its_middle_elided() -> None:
    """A 201-level pointer is 1,400 characters: the failure report shows it on one short line."""
    deep = "/metadata/labels/nesting" + "/deeper" * 197
    shown = repr(Mutation("config/parse", deep, ()))
    assert "/metadata/labels/nesting/...(195 more)/deeper/deeper of document 0" in shown
    assert len(shown) < 120
    short = "/spec/widgets/3/position/x"
    assert f"at {short} of" in repr(Mutation("layout/position", short, ()))
