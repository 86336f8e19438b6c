"""Allure's labels: epic = kind, feature = the stage that checked it, story = each rule found.

The stage is named by the caller that runs the check (the suites' checks and the
file suite: ``validate``; the contract fixture: ``contract``; the org fixture:
``org``), never guessed from a module name: a team's suite module may be called
anything, and the report's tree must not change with it.
"""

from __future__ import annotations

import json
import shutil

import pytest

from genesys_compliance.reporting.allure import label_configuration
from genesys_compliance.reporting.stages import STAGES
from tests.helpers import suite_file
from tests.reporting.conftest import SUITES, allure_results, labels, run_with_allure


def test_each_stage_is_a_feature_under_its_kind_with_a_story_per_rule(
    project: pytest.Pytester,
) -> None:
    run_with_allure(project).assert_outcomes(failed=3, passed=40)
    results = allure_results(project.path / "results")
    assert len(results) == 43
    stages = {}
    for name, result in results.items():
        [feature] = labels(result, "feature")  # one stage per test
        [epic] = labels(result, "epic")
        stages[name] = (epic, feature, labels(result, "story"))
    assert stages["test_layout_complies[overlap.yaml::wall-board]"] == (
        "DesktopLayout",
        "validate",
        ["layout/overlap"],
    )
    assert stages["test_file_is_readable[broken.yaml]"] == ("file", "validate", ["config/parse"])
    assert stages["test_payload_fits_the_contract[bare.yaml::bare]"] == (
        "DesktopLayout",
        "contract",
        ["config/schema"],
    )
    assert stages["test_org_has_what_it_names[bare.yaml::bare]"] == ("DesktopLayout", "org", [])
    # every test of a suite carries its stage, whichever kind it checks
    by_test = {(name.split("[")[0], feature) for name, (_, feature, _) in stages.items()}
    assert by_test == {
        ("test_file_is_readable", "validate"),
        ("test_flow_settings_complies", "validate"),
        ("test_layout_complies", "validate"),
        ("test_routing_rule_complies", "validate"),
        ("test_routing_strategy_complies", "validate"),
        ("test_trigger_rule_complies", "validate"),
        ("test_payload_fits_the_contract", "contract"),
        ("test_org_has_what_it_names", "org"),
    }
    assert {epic for epic, _, _ in stages.values()} == {
        "file",
        "DesktopLayout",
        "FlowSettings",
        "RoutingRule",
        "RoutingStrategy",
        "TriggerRule",
    }


def test_a_suite_module_of_any_name_reports_the_same_stage(project: pytest.Pytester) -> None:
    for name in SUITES:
        (project.path / name).unlink()
    shutil.copy(suite_file("test_layouts.py"), project.path / "test_agent_desks.py")
    run_with_allure(project).assert_outcomes(failed=1, passed=4)
    results = allure_results(project.path / "results")
    assert {tuple(labels(r, "feature")) for r in results.values()} == {("validate",)}


def test_findings_and_http_exchanges_are_attached(project: pytest.Pytester) -> None:
    run_with_allure(project)
    folder = project.path / "results"
    results = allure_results(folder)
    [findings] = results["test_layout_complies[overlap.yaml::wall-board]"]["attachments"]
    assert findings["name"] == "findings"
    attached = json.loads((folder / findings["source"]).read_text(encoding="utf-8"))
    assert [(f["rule_id"], f["line"]) for f in attached] == [("layout/overlap", 10)]
    # the org tests that asked the org something carry its redacted exchanges, attached when
    # the gc_org fixture is torn down (Allure shows them in the test's tear-down section)
    org_tests = {r["uuid"] for name, r in results.items() if name.startswith("test_org_has")}
    exchanges = [
        attachment
        for path in folder.glob("*-container.json")
        for container in [json.loads(path.read_text(encoding="utf-8"))]
        if set(container.get("children", ())) & org_tests
        for after in container.get("afters", [])
        for attachment in after.get("attachments", [])
        if attachment["name"] == "http exchanges (redacted)"
    ]
    assert exchanges, "no org test attached its HTTP exchanges"
    sent = json.loads((folder / exchanges[0]["source"]).read_text(encoding="utf-8"))
    assert sent, "an empty list of exchanges was attached"
    assert {e["request_headers"].get("authorization") for e in sent} == {"Bearer [REDACTED]"}


def test_the_apply_stages_are_reserved_and_a_typo_is_refused(pytester: pytest.Pytester) -> None:
    """``plan`` and ``apply`` label like the others; a stage not in the list raises."""
    assert STAGES == ("validate", "contract", "org", "plan", "apply")
    pytester.makepyfile(
        test_stages="""
        import pytest
        from genesys_compliance.reporting.allure import label_configuration

        @pytest.mark.parametrize("stage", ["plan", "apply"])
        def test_stage(stage):
            label_configuration("RoutingStrategy", stage, [])
        """
    )
    pytester.runpytest("-p", "no:cacheprovider", "--alluredir", "results").assert_outcomes(passed=2)
    results = allure_results(pytester.path / "results")
    assert {labels(r, "feature")[0] for r in results.values()} == {"plan", "apply"}
    with pytest.raises(ValueError, match="unknown stage 'validation'"):
        label_configuration("DesktopLayout", "validation", [])  # type: ignore[arg-type]
