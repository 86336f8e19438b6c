"""The two drift rules are in the catalogue, and the drift package exports exactly its API."""

from __future__ import annotations

import json
import pkgutil

from click.testing import CliRunner

from genesys_compliance import drift
from genesys_compliance.cli._rules import rules
from genesys_compliance.kinds import builtin_registry
from genesys_compliance.reporting import catalogue_markdown


def test_drift_and_unmanaged_are_registered_as_spec_3_says():
    registry = builtin_registry()
    found = {r.id: (r.severity, r.stage, r.kind) for r in registry if r.id.startswith("org/")}
    assert found == {
        "org/reference": ("error", "org", None),
        "org/drift": ("error", "org", None),
        "org/unmanaged": ("warning", "org", None),
    }
    ids = [r.id for r in registry]
    assert ids.index("org/drift") == ids.index("org/reference") + 1
    assert ids.index("org/unmanaged") == ids.index("org/drift") + 1


def test_the_catalogue_and_the_rules_command_show_them_with_explanation_and_example():
    table = catalogue_markdown(builtin_registry())
    assert "| `org/drift` | error | any kind (needs the org) |" in table
    assert "| `org/unmanaged` | warning | any kind (needs the org) |" in table
    shown = json.loads(CliRunner().invoke(rules, ["--json"]).output)
    by_id = {r["id"]: r for r in shown}
    for rule_id in ("org/drift", "org/unmanaged"):
        assert by_id[rule_id]["explanation"]
        assert by_id[rule_id]["example"]
    assert "genesys-compliance export --out" in by_id["org/unmanaged"]["example"]


def test_all_names_every_public_member_and_nothing_else():
    public = {n for n in vars(drift) if n.isidentifier() and not n.startswith("_")}
    assert set(drift.__all__) == public


def test_every_implementation_module_is_private():
    names = [module.name for module in pkgutil.iter_modules(drift.__path__)]
    assert names
    assert all(name.startswith("_") for name in names), names
