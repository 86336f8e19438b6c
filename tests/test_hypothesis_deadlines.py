"""No property of the project has a deadline, and a failure's log stays readable.

A user who types the README's command without ``CI`` runs hypothesis' own
``default`` profile, whose 200 ms deadline fails a slow example on a loaded
machine: a slow example says nothing about a configuration. The suites lift
the deadline per test (``_properties.no_deadline``) and the project's
profiles have none, while the ``default`` profile, which other projects'
tests in the same environment share, keeps its own.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tests.helpers import suite_file

ROOT = Path(__file__).resolve().parents[1]
SUITES = ROOT / "suites"

_PROBE = '''
import json
import os


def pytest_collection_modifyitems(items):
    """Record the deadline each hypothesis test of the collection would run with."""
    found = []
    for item in items:
        test = getattr(item, "obj", None)
        if getattr(test, "is_hypothesis_test", False):
            # What @given and @settings attach to the test: the settings it runs with
            # (a state machine's TestCase keeps them on its class instead).
            given = getattr(test, "_hypothesis_internal_use_settings", None)
            deadline = (given if given is not None else item.cls.settings).deadline
            found.append([item.nodeid, None if deadline is None else deadline.total_seconds()])
    with open(os.environ["GC_DEADLINE_PROBE"], "w", encoding="utf-8") as out:
        json.dump(found, out)
'''


def _copy_suite_helpers(pytester: pytest.Pytester, *names: str) -> None:
    for name in names:
        pytester.makefile(Path(name).suffix, **{Path(name).stem: suite_file(name).read_text()})


def test_no_property_of_the_project_has_a_deadline_under_the_default_profile(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Collect the project as a user's ``pytest`` does, and read each property's settings.

    The ``default`` profile is the strictest: a test without settings of its
    own takes its 200 ms deadline, and the project's own profiles have none
    (``tests/test_strategies.py``). Collection only: nothing runs.
    """
    report = pytester.path / "deadlines.json"
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("GC_DEADLINE_PROBE", str(report))
    pytester.makepyfile(gc_deadline_probe=_PROBE)
    pytester.runpytest_subprocess(
        "-p",
        "gc_deadline_probe",
        "-p",
        "no:cacheprovider",
        "--collect-only",
        "-q",
        "--hypothesis-profile",
        "default",
        "--rootdir",
        str(ROOT),
        "-c",
        str(ROOT / "pyproject.toml"),
        str(SUITES),
        str(ROOT / "tests"),
    )
    found = json.loads(report.read_text(encoding="utf-8"))
    files = {nodeid.split("::")[0] for nodeid, _ in found}
    assert "suites/properties/test_properties_layout.py" in files, sorted(files)
    assert "tests/test_strategies.py" in files, sorted(files)
    assert len(found) > 50, "the probe saw too few properties to prove anything"
    assert [(nodeid, seconds) for nodeid, seconds in found if seconds is not None] == []


def test_a_slow_property_passes_under_the_default_profile_and_other_tests_keep_theirs(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each example sleeps 300 ms, past the 200 ms deadline: it fails only where one exists.

    The third test stands for another project's property in the same
    environment: with the plugin loaded, hypothesis' ``default`` profile
    still gives it its deadline.
    """
    monkeypatch.delenv("CI", raising=False)
    _copy_suite_helpers(pytester, "_properties.py")
    pytester.makepyfile(
        test_slow=textwrap.dedent("""
        import time

        from hypothesis import given, strategies as st

        from _properties import edge_property, no_deadline


        @no_deadline
        @given(st.just(None))
        def test_a_property_of_the_suites(_):
            time.sleep(0.3)


        @edge_property
        @given(st.just(None))
        def test_an_edge_property_of_the_suites(_):
            time.sleep(0.3)


        @given(st.just(None))
        def test_a_property_of_another_project(_):
            time.sleep(0.3)
        """)
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "test_slow.py")
    result.assert_outcomes(passed=2, failed=1)
    output = result.stdout.str()
    assert "FAILED test_slow.py::test_a_property_of_another_project" in output
    assert "DeadlineExceeded" in output


def test_a_long_counterexample_is_cut_short_and_written_whole_when_its_test_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file nested one level past the limit is 600 lines of YAML, printed once per failure."""
    monkeypatch.delenv("CI", raising=False)
    _copy_suite_helpers(pytester, "_properties.py", "conftest.py")
    pytester.makepyfile(
        test_deep=textwrap.dedent("""
        from hypothesis import given, strategies as st

        from _properties import no_deadline, show
        from genesys_compliance.strategies import to_yaml


        def deep(levels, leaf):
            node = leaf
            for _ in range(levels):
                node = {"deeper": node}
            return {"kind": "FlowSettings", "metadata": {"labels": {"nesting": node}}}


        @no_deadline
        @given(st.just(None))
        def test_fails_on_a_deep_example(_):
            show(to_yaml(deep(201, "failed")))
            assert False, "the rule under test is wrong"


        @no_deadline
        @given(st.just(None))
        def test_passes_on_a_deep_example(_):
            show(to_yaml(deep(201, "passed")))
        """)
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "test_deep.py")
    result.assert_outcomes(passed=1, failed=1)
    output = result.stdout.str()
    assert "more lines not shown; the whole file: " in output
    assert len(output.splitlines()) < 200, "the example was printed whole"
    written = list((pytester.path / "reports" / "counterexamples").glob("*.yaml"))
    assert len(written) == 1, "one file, for the failing test only"
    [whole] = written
    assert str(whole) in output
    text = whole.read_text(encoding="utf-8")
    assert text.count("deeper:") == 201
    assert text.rstrip().endswith("failed")
