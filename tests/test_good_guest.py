"""Installing the package changes nothing for other projects' tests in the same environment.

pytest loads the plugin through its entry point in every run: another
project's property tests must keep hypothesis' own settings, and
``-p no:genesys_compliance`` must switch the whole plugin off, cleanly.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import suite_file

REPO = Path(__file__).resolve().parents[1]
QUIET = ("-p", "no:cacheprovider", "-p", "no:schemathesis")

# Another project's property test: it records the settings it ran with and its examples.
_THEIRS = """
import json
import os
import sys

from hypothesis import given, settings, strategies as st

RAN = []


def _settings(s):
    return {
        "max_examples": s.max_examples,
        "deadline": None if s.deadline is None else s.deadline.total_seconds(),
        "derandomize": s.derandomize,
        "database": repr(s.database),
        "print_blob": s.print_blob,
        "suppress_health_check": sorted(h.name for h in s.suppress_health_check),
    }


@given(st.integers())
def test_a_property_of_another_project(n):
    RAN.append(settings())


def test_record():
    with open(os.environ["GUEST_REPORT"], "w", encoding="utf-8") as out:
        json.dump(
            {
                "plugin_loaded": "genesys_compliance.plugin" in sys.modules,
                "profile": settings.get_current_profile_name(),
                "examples": len(RAN),
                "ran_with": _settings(RAN[0]),
                "profiles": {n: _settings(settings.get_profile(n)) for n in ("default", "ci")},
            },
            out,
        )
"""


def _run_theirs(pytester: pytest.Pytester, *args: str) -> dict[str, Any]:
    report = pytester.path / "guest.json"
    pytester.makepyfile(test_theirs=_THEIRS)
    result = pytester.runpytest_subprocess(*QUIET, *args)
    result.assert_outcomes(passed=2)
    found: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    return found


@pytest.mark.parametrize("ci", [True, False], ids=["CI=true", "no CI"])
def test_another_project_keeps_hypothesis_own_settings(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: bool
) -> None:
    """Settings, profiles and the examples run are the same with the plugin as without it."""
    monkeypatch.setenv("GUEST_REPORT", str(pytester.path / "guest.json"))
    if ci:
        monkeypatch.setenv("CI", "true")
    else:
        monkeypatch.delenv("CI", raising=False)
    with_plugin = _run_theirs(pytester)
    without = _run_theirs(pytester, "-p", "no:genesys_compliance")
    assert with_plugin.pop("plugin_loaded")
    assert not without.pop("plugin_loaded")
    assert with_plugin == without
    assert with_plugin["profile"] == ("ci" if ci else "default")
    assert with_plugin["examples"] == 100  # hypothesis' own budget, in both profiles
    assert with_plugin["ran_with"]["max_examples"] == 100
    assert with_plugin["ran_with"]["deadline"] == (None if ci else 0.2)


def test_a_project_profile_of_the_same_name_is_left_alone(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--hypothesis-profile dev`` names the project's own ``dev``, not the plugin's."""
    monkeypatch.setenv("GUEST_REPORT", str(pytester.path / "guest.json"))
    monkeypatch.delenv("CI", raising=False)
    pytester.makeconftest("""
        from hypothesis import settings

        settings.register_profile("dev", max_examples=3)
    """)
    found = _run_theirs(pytester, "--hypothesis-profile", "dev")
    assert found["profile"] == "dev"
    assert found["examples"] == 3


def test_the_suites_keep_their_budget_beside_another_project(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under ``CI=true`` the suites' properties run 50 examples (edges 10), derandomised."""
    monkeypatch.setenv("CI", "true")
    shutil.copy(suite_file("_properties.py"), pytester.path)
    pytester.makepyfile(
        test_budgets=textwrap.dedent("""
        from hypothesis import given, settings, strategies as st

        from _properties import edge_property, no_deadline

        RAN = {"suite": [], "edge": [], "theirs": []}


        @no_deadline
        @given(st.integers())
        def test_a_property_of_the_suites(n):
            RAN["suite"].append(settings().derandomize)


        @edge_property
        @given(st.integers())
        def test_an_edge_property_of_the_suites(n):
            RAN["edge"].append(settings().derandomize)


        @given(st.integers())
        def test_a_property_of_another_project(n):
            RAN["theirs"].append(settings().derandomize)


        def test_counts():
            assert {name: len(ran) for name, ran in RAN.items()} == {
                "suite": 50, "edge": 10, "theirs": 100
            }
            assert all(all(ran) for ran in RAN.values())
        """)
    )
    result = pytester.runpytest_subprocess(*QUIET)
    result.assert_outcomes(passed=4)


def test_disabling_the_plugin_leaves_plain_tests_alone(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain():\n    assert True\n")
    result = pytester.runpytest_subprocess(*QUIET, "-p", "no:genesys_compliance")
    result.assert_outcomes(passed=1)
    assert "genesys-compliance" not in result.stdout.str()
    assert (
        "--gc-org"
        not in pytester.runpytest_subprocess(
            *QUIET, "-p", "no:genesys_compliance", "--help"
        ).stdout.str()
    ), "the org options are part of the plugin and go with it"


def test_disabling_the_plugin_makes_its_fixtures_unknown_not_broken(
    pytester: pytest.Pytester,
) -> None:
    """A test that asks for the plugin's fixtures says which one is missing, nothing more."""
    fixtures = ("gc_org", "gc_contract", "gc_policy", "desktop_layout")
    pytester.makepyfile(
        "\n".join(f"def test_uses_{name}({name}):\n    pass\n" for name in fixtures)
    )
    result = pytester.runpytest_subprocess(*QUIET, "-p", "no:genesys_compliance")
    result.assert_outcomes(errors=len(fixtures))
    output = result.stdout.str()
    for name in fixtures:
        assert f"fixture '{name}' not found" in output
    assert "AssertionError" not in output
    assert "isinstance" not in output


def test_the_org_half_alone_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_uses_the_org(gc_contract):\n    pass\n")
    result = pytester.runpytest_subprocess(
        *QUIET, "-p", "no:genesys_compliance", "-p", "genesys_compliance.orgplugin"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: genesys-compliance: the plugin is not active*"])
    assert "Traceback" not in result.stderr.str()


def test_the_old_name_of_the_org_half_disables_nothing(pytester: pytest.Pytester) -> None:
    """``-p no:genesys_compliance_org`` (two entry points before 0.2) names nothing now."""
    pytester.makepyfile(
        textwrap.dedent("""
        import pytest


        @pytest.mark.gc_writes
        def test_uses_both_halves(gc_policy, pytestconfig):
            assert pytestconfig.getoption("gc_org") == "mock"
            assert gc_policy.max_widgets == 12
        """)
    )
    result = pytester.runpytest_subprocess(
        *QUIET, "--strict-markers", "-p", "no:genesys_compliance_org", "--gc-org", "mock"
    )
    result.assert_outcomes(passed=1)


def test_a_rule_hook_in_conftest_with_the_plugin_disabled(pytester: pytest.Pytester) -> None:
    """A conftest that adds rules marks its hook optional, and runs with the plugin off."""
    pytester.makeconftest("""
        import pytest


        @pytest.hookimpl(optionalhook=True)
        def pytest_gc_register_rules(registry):
            raise AssertionError("never called: the plugin is disabled")
    """)
    pytester.makepyfile("def test_plain():\n    assert True\n")
    result = pytester.runpytest_subprocess(*QUIET, "-p", "no:genesys_compliance")
    result.assert_outcomes(passed=1)
