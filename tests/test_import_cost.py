"""pytest imports the plugin in every run where the package is installed: it must cost nothing.

A project that merely has the package installed must not import pydantic,
hypothesis, httpx or the kinds through it; they are imported where a suite
asks for configurations. Checked in a fresh interpreter by what it imported,
not by timing.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import genesys_compliance

HEAVY = ("pydantic", "hypothesis", "httpx", "yaml", "jsonschema", "respx", "allure", "click")
# What the plugin itself may import in a run that never asks for a configuration.
GLUE = {
    "genesys_compliance",
    "genesys_compliance.plugin",
    "genesys_compliance.ledger",
    "genesys_compliance.checks",
    "genesys_compliance.applyplugin",
    "genesys_compliance.orgplugin",
    "genesys_compliance.hookspecs",
}

_REPORT = """
import json, sys
json.dump(sorted(m for m in sys.modules if m.split(".")[0] in {top}), sys.stdout)
"""


def _imported_after(code: str, cwd: Path, **env: str) -> set[str]:
    """The modules of ``HEAVY`` and of the package a fresh interpreter imported running ``code``."""
    top = {*HEAVY, "genesys_compliance"}
    script = code + _REPORT.format(top=top)
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


def test_importing_the_plugin_imports_no_heavy_module(tmp_path: Path) -> None:
    imported = _imported_after("import genesys_compliance.plugin\n", tmp_path)
    assert imported == {
        "genesys_compliance",
        "genesys_compliance.plugin",
        "genesys_compliance.ledger",
    }


@pytest.mark.parametrize("ci", ["", "true"], ids=["no CI", "CI=true"])
def test_a_run_of_another_project_imports_only_the_glue(tmp_path: Path, ci: str) -> None:
    """A whole session of a project that never uses the plugin, the plugin alone loaded.

    Other plugins are not loaded (they import hypothesis or httpx themselves);
    ``-p`` names ours as its entry point does.
    """
    (tmp_path / "test_plain.py").write_text(
        textwrap.dedent("""
        import pytest


        @pytest.mark.parametrize("n", [1, 2])
        def test_plain(n, tmp_path):
            assert n
        """)
    )
    code = textwrap.dedent("""
        import sys
        import pytest

        code = pytest.main(["-q", "-p", "genesys_compliance.plugin", "-p", "no:cacheprovider"])
        assert code == 0, code
        """)
    imported = _imported_after(code, tmp_path, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", CI=ci)
    assert imported == GLUE


def test_the_kind_fixtures_spelled_out_in_the_plugin_are_the_kinds() -> None:
    from genesys_compliance.kinds import KINDS
    from genesys_compliance.plugin import KIND_FIXTURES

    assert {kind.fixture for kind in KINDS.values()} == KIND_FIXTURES


def test_all_lists_exactly_the_public_names() -> None:
    """Every name of ``__all__`` resolves (imported on first use), and nothing else is public."""
    for name in genesys_compliance.__all__:
        getattr(genesys_compliance, name)
    public = {
        name
        for name, value in vars(genesys_compliance).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert set(genesys_compliance.__all__) == public
    assert set(genesys_compliance.__all__) <= set(dir(genesys_compliance))


def test_a_lazy_name_is_the_defining_module_s_own() -> None:
    from genesys_compliance import Finding
    from genesys_compliance.rules import Finding as Defined

    assert Finding is Defined
    with pytest.raises(AttributeError, match="no_such_name"):
        genesys_compliance.no_such_name  # noqa: B018
