"""Custom rules: every stage a rule can declare runs, and pytest and the CLI find the same rules.

A rule declares ``document`` (one configuration) or ``org`` (one configuration
and the org, in the contract suite); ``file`` and ``run`` are the engine's own
and are refused at registration, as is any other stage, so no rule is accepted
that would silently check nothing. The ``rules`` key of
``[tool.genesys-compliance]`` names modules that register rules, for the plugin
and the command line alike.
"""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from genesys_compliance import (
    Finding,
    PolicyError,
    Registry,
    RuleContext,
    Run,
    Violation,
    builtin_registry,
    load_run,
    rule,
)
from genesys_compliance.cli import main
from genesys_compliance.connect import OrgConnection, connect_mock
from genesys_compliance.orgrules import OrgRuleContext, OrgView, org_findings
from genesys_compliance.rules import register_rule_modules
from tests.helpers import TODAY, ids_lines, suite_file
from tests.test_plugin import CUSTOM_RULE_CONFTEST

REPO = Path(__file__).resolve().parents[1]
QUIET = ("-p", "no:cacheprovider", "-p", "no:schemathesis")
KIND_SUITES = (
    "test_files.py",
    "test_flows.py",
    "test_layouts.py",
    "test_routing_rules.py",
    "test_strategies.py",
    "test_trigger_rules.py",
)
TECH = "3f7c1a2e-8b4d-4e6f-9a1c-5d2e7f8b9c01"  # 24 agents available on the simulated org

STRATEGY = f"""\
apiVersion: genesys-compliance/v1
kind: RoutingStrategy
metadata:
  name: tech-voice
  queueId: {TECH}
spec:
  strategy: longestIdleAgent
  mediaType: voice
"""
LAYOUT = """\
apiVersion: genesys-compliance/v1
kind: DesktopLayout
metadata:
  name: {name}
spec:
  name: Agent
  grid: {{columns: 4, rows: 4}}
  widgets:
    - {{widget_type: {widget}, id: a, position: {{x: 0, y: 0, width: 2, height: 2}}}}
    - {{widget_type: queue-widget, id: b, position: {{x: {x}, y: 0, width: 2, height: 2}}}}
"""

# An org-stage rule as a user writes it: ctx.org is the simulated (or live) org's view.
HEADROOM_RULE = '''
from genesys_compliance import Violation, rule


@rule("acme/queue-headroom", severity="error", kind="RoutingStrategy", stage="org",
      summary="the strategy's queue has at least 25 agents available")
def queue_headroom(strategy, ctx):
    """A queue at its limit drops calls at the first sick day."""
    available = ctx.org.available_agents(strategy.metadata.queueId)
    if available is not None and available < 25:
        yield Violation("/metadata/queueId", f"only {available} agents are available")


def pytest_gc_register_rules(registry):
    registry.register(queue_headroom)
'''

# A document rule in a module the pyproject names, for pytest and the CLI alike: the
# plugin tests' conftest rule, registered by the module's own function instead of the hook.
NOTES_RULE_MODULE = CUSTOM_RULE_CONFTEST.replace(
    "def pytest_gc_register_rules(", "def gc_register_rules("
)


def _check(config: Any, ctx: Any) -> Iterator[Violation]:
    yield from ()


# -- registration: only stages that run ---------------------------------------------------------


@pytest.mark.parametrize("stage", ["document", "org"])
def test_a_rule_of_a_stage_that_runs_is_registered(stage):
    made = rule("acme/fine", severity="error", summary="s", stage=stage)(_check)
    assert Registry([made]).get("acme/fine") is made


@pytest.mark.parametrize("stage", ["file", "run"])
def test_a_check_in_an_engine_stage_is_refused_naming_the_stages_that_run(stage):
    made = rule("acme/never", severity="error", summary="s", stage=stage)(_check)
    with pytest.raises(PolicyError) as raised:
        Registry().register(made)
    assert str(raised.value) == (
        f"rule acme/never: stage {stage!r} is reported by the engine itself and never calls "
        "a check; a rule's stage is 'document' or 'org'"
    )


def test_an_unknown_stage_is_refused_naming_the_stages_that_run():
    made = rule("acme/never", severity="error", summary="s", stage="orgs")(_check)
    with pytest.raises(
        PolicyError, match=r"unknown stage 'orgs'; a rule's stage is 'document' or 'org'"
    ):
        Registry().register(made)


def test_the_catalogue_still_registers_its_engine_reported_rules():
    stages = {r.stage for r in builtin_registry()}
    assert stages == {"file", "document", "run", "org", "apply"}


# -- the org stage runs the registry's org rules ------------------------------------------------


@pytest.fixture(scope="module")
def org() -> OrgConnection:
    return connect_mock(REPO / "fixtures" / "org")


def _registry_with(*rules: Any) -> Registry:
    registry = builtin_registry()
    for item in rules:
        registry.register(item)
    return registry


def _run(tmp_path: Path, text: str, registry: Registry) -> Run:
    """``text`` as ``configs/c.yaml``, loaded with ``registry`` (so its waivers know its ids)."""
    folder = tmp_path / "configs"
    folder.mkdir(parents=True)
    (folder / "c.yaml").write_text(text, encoding="utf-8")
    return load_run([folder], tmp_path, registry=registry, context=RuleContext(today=TODAY))


def _org_findings(
    tmp_path: Path, org: OrgConnection, text: str, registry: Registry
) -> list[Finding]:
    run = _run(tmp_path, text, registry)
    [entry] = run.entries
    return org_findings(entry, org.view, registry, run.context, covered=run.check(entry))


seen: list[Any] = []


@rule("acme/sees-the-org", severity="warning", kind="RoutingStrategy", stage="org", summary="s")
def sees_the_org(config: Any, ctx: OrgRuleContext) -> Iterator[Violation]:
    seen.append(ctx)
    yield Violation("/spec/mediaType", f"{len(ctx.org.queue_ids)} queues; {ctx.policy.max_widgets}")


def test_a_custom_org_rule_runs_with_the_org_and_the_policy_at_its_line(tmp_path, org):
    seen.clear()
    found = _org_findings(tmp_path, org, STRATEGY, _registry_with(sees_the_org))
    assert [(f.rule_id, f.line, f.severity) for f in found] == [("acme/sees-the-org", 8, "warning")]
    assert found[0].file == "configs/c.yaml"
    assert found[0].config == "c.yaml::tech-voice"
    [ctx] = seen
    assert isinstance(ctx.org, OrgView)
    assert found[0].message == f"{len(ctx.org.queue_ids)} queues; 12"


def test_a_custom_org_rule_of_another_kind_does_not_run(tmp_path, org):
    seen.clear()
    found = _org_findings(
        tmp_path,
        org,
        LAYOUT.format(name="l", widget="notes-widget", x=2),
        _registry_with(sees_the_org),
    )
    assert (found, seen) == ([], [])


def test_a_custom_org_finding_is_waived_like_any_other(tmp_path, org):
    waived = STRATEGY.replace(
        "  name: tech-voice\n",
        "  name: tech-voice\n  waivers: [{rule: acme/sees-the-org, reason: known, "
        "expires: 2099-01-01}]\n",
    )
    [found] = _org_findings(tmp_path, org, waived, _registry_with(sees_the_org))
    assert (found.rule_id, found.waived) == ("acme/sees-the-org", "known")


def test_a_custom_org_finding_at_an_element_a_rule_reports_is_left_out(tmp_path, org):
    # strategy/enum already reports the mediaType: the org rule's finding there is the same one
    text = STRATEGY.replace("mediaType: voice", "mediaType: fax")
    registry = _registry_with(sees_the_org)
    run = _run(tmp_path, text, registry)
    [entry] = run.entries
    engine = run.check(entry)
    assert [(f.rule_id, f.pointer) for f in engine] == [("strategy/enum", "/spec/mediaType")]
    alone = org_findings(entry, org.view, registry, run.context)
    assert [f.rule_id for f in alone] == ["acme/sees-the-org"]
    assert org_findings(entry, org.view, registry, run.context, covered=engine) == []


def test_no_org_rule_runs_on_a_configuration_whose_schema_fails(tmp_path, org):
    seen.clear()
    text = STRATEGY.replace("mediaType: voice", "mediaType: voice\n  colour: blue")
    assert _org_findings(tmp_path, org, text, _registry_with(sees_the_org)) == []
    assert seen == []


@rule("acme/broken", severity="error", stage="org", summary="s")
def broken(config: Any, ctx: OrgRuleContext) -> Iterator[Violation]:
    raise KeyError("oops")


def test_a_custom_org_rule_that_raises_is_a_finding_of_that_rule(tmp_path, org):
    [found] = _org_findings(tmp_path, org, STRATEGY, _registry_with(broken))
    assert (found.rule_id, found.line) == ("acme/broken", 1)
    assert found.message == "the rule itself failed: KeyError: 'oops'"


def test_the_builtin_org_rules_run_through_the_registry(tmp_path, org):
    """A registry without the catalogue's org rules runs none: they are ordinary entries."""
    text = STRATEGY.replace(TECH, "00000000-0000-4000-8000-000000000000")
    assert ids_lines(_org_findings(tmp_path, org, text, builtin_registry())) == [
        ("org/reference", 5)
    ]
    without = Registry(r for r in builtin_registry() if r.id != "org/reference")
    assert _org_findings(tmp_path / "x", org, text, without) == []


# -- through pytest: the contract suite on the simulated org ------------------------------------


@pytest.fixture
def org_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.delitem(sys.modules, "test_contract", raising=False)
    shutil.copy(suite_file("test_contract.py"), pytester.path / "test_contract.py")
    shutil.copytree(REPO / "fixtures" / "org", pytester.path / "fixtures" / "org")
    pytester.makepyprojecttoml("[tool.pytest.ini_options]\n")
    folder = pytester.path / "configs"
    folder.mkdir()
    (folder / "tech-voice.yaml").write_text(STRATEGY, encoding="utf-8")
    (folder / "agent.yaml").write_text(
        LAYOUT.format(name="agent", widget="notes-widget", x=2), encoding="utf-8"
    )
    return pytester


def test_a_custom_org_rule_from_a_conftest_fails_the_contract_suite_at_its_line(org_project):
    org_project.makeconftest(HEADROOM_RULE)
    result = org_project.runpytest(*QUIET, "--gc-config-dir", "configs", "--gc-sarif", "out.sarif")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_org_has_what_it_names?tech-voice.yaml::tech-voice?*",
            "tech-voice.yaml::tech-voice: 1 finding(s) fail this configuration",
            "  configs/tech-voice.yaml:5  acme/queue-headroom  only 24 agents are available",
        ]
    )
    log = json.loads((org_project.path / "out.sarif").read_text(encoding="utf-8"))
    [result_] = log["runs"][0]["results"]
    location = result_["locations"][0]["physicalLocation"]
    assert (result_["ruleId"], location["artifactLocation"]["uri"], location["region"]) == (
        "acme/queue-headroom",
        "configs/tech-voice.yaml",
        {"startLine": 5},
    )


def test_a_custom_rule_in_an_engine_stage_is_a_clean_usage_error(org_project):
    org_project.makeconftest(HEADROOM_RULE.replace('stage="org"', 'stage="run"'))
    result = org_project.runpytest(*QUIET, "--gc-config-dir", "configs")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: genesys-compliance: rule acme/queue-headroom: stage 'run' is reported by the "
            "engine itself and never calls a check; a rule's stage is 'document' or 'org'"
        ]
    )
    assert "Traceback" not in "\n".join(result.outlines + result.errlines)


# -- one way to find rules and folders: pytest and the command line ------------------------------


@pytest.fixture
def rules_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """The kind suites over ``genesys/``, with custom rules named only in pyproject.toml."""
    for name in KIND_SUITES:
        monkeypatch.delitem(sys.modules, name.removesuffix(".py"), raising=False)
        shutil.copy(suite_file(name), pytester.path / name)
    monkeypatch.delitem(sys.modules, "acme_same_rules", raising=False)
    (pytester.path / "acme_same_rules.py").write_text(NOTES_RULE_MODULE, encoding="utf-8")
    pytester.makepyprojecttoml(
        textwrap.dedent(
            """\
            [tool.pytest.ini_options]

            [tool.genesys-compliance]
            rules = ["acme_same_rules"]
            config-dirs = ["genesys"]
            """
        )
    )
    folder = pytester.path / "genesys"
    folder.mkdir()
    (folder / "no-notes.yaml").write_text(
        LAYOUT.format(name="no-notes", widget="queue-widget", x=2), encoding="utf-8"
    )
    (folder / "overlap.yaml").write_text(
        LAYOUT.format(name="overlap", widget="notes-widget", x=1), encoding="utf-8"
    )
    return pytester


def _sarif_keys(path: Path) -> list[tuple[str, str, int, str]]:
    results = json.loads(path.read_text(encoding="utf-8"))["runs"][0]["results"]
    keys = []
    for result in results:
        location = result["locations"][0]["physicalLocation"]
        keys.append(
            (
                result["ruleId"],
                location["artifactLocation"]["uri"],
                location["region"]["startLine"],
                result["message"]["text"],
            )
        )
    return sorted(keys)


def test_pytest_and_the_cli_find_the_same_custom_rule_and_folders(rules_project, monkeypatch):
    # pytest: no --gc-config-dir, no conftest; the folders and the rule come from pyproject
    result = rules_project.runpytest(*QUIET, "--gc-sarif", "pytest.sarif")
    # both files clean: no file-suite test; the kinds with no configuration: no test at all
    result.assert_outcomes(failed=2)
    under_pytest = _sarif_keys(rules_project.path / "pytest.sarif")
    assert [key[:3] for key in under_pytest] == [
        ("acme/layout-has-notes", "genesys/no-notes.yaml", 8),
        ("layout/overlap", "genesys/overlap.yaml", 10),
    ]
    # the command line, run from a subfolder with no path named: the same project, findings
    monkeypatch.chdir(rules_project.path / "genesys")
    done = CliRunner().invoke(main, ["check", "--sarif", "../cli.sarif"])
    assert done.exit_code == 1, done.output
    assert "checked 2 configuration(s) in 2 file(s)" in done.stdout
    assert _sarif_keys(rules_project.path / "cli.sarif") == under_pytest
    listed = CliRunner().invoke(main, ["rules", "--json"])
    assert "acme/layout-has-notes" in [r["id"] for r in json.loads(listed.stdout)]


# -- the rules key -------------------------------------------------------------------------------


def _module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str) -> None:
    monkeypatch.delitem(sys.modules, name, raising=False)
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(text), encoding="utf-8")


def test_a_rules_reference_may_name_the_function(tmp_path, monkeypatch):
    _module(
        tmp_path,
        monkeypatch,
        "acme_named_function",
        NOTES_RULE_MODULE.replace("def gc_register_rules", "def register"),
    )
    registry = Registry()
    register_rule_modules(registry, ["acme_named_function:register"], tmp_path)
    assert [r.id for r in registry] == ["acme/layout-has-notes"]
    assert str(tmp_path) not in sys.path  # the project folder is searched, not left behind


@pytest.mark.parametrize(
    ("reference", "text", "message"),
    [
        pytest.param(
            "acme_nowhere",
            None,
            "rules: cannot import acme_nowhere (from 'acme_nowhere'): ModuleNotFoundError: "
            "No module named 'acme_nowhere'",
            id="missing",
        ),
        pytest.param(
            "acme_broken_module",
            "raise RuntimeError('half written')\n",
            "rules: cannot import acme_broken_module (from 'acme_broken_module'): "
            "RuntimeError: half written",
            id="raises",
        ),
        pytest.param(
            "acme_no_function",
            "X = 1\n",
            "rules: acme_no_function has no function gc_register_rules(registry) to register "
            "its rules with (from 'acme_no_function')",
            id="no-function",
        ),
        pytest.param(
            "acme_taken:gc_register_rules",
            NOTES_RULE_MODULE.replace("acme/layout-has-notes", "layout/overlap"),
            "rules: acme_taken:gc_register_rules: rule id 'layout/overlap' is already registered",
            id="taken-id",
        ),
    ],
)
def test_a_rules_reference_that_cannot_be_used_says_why(
    tmp_path, monkeypatch, reference, text, message
):
    name = reference.partition(":")[0]
    if text is not None:
        _module(tmp_path, monkeypatch, name, text)
    with pytest.raises(PolicyError) as raised:
        register_rule_modules(builtin_registry(), [reference], tmp_path)
    assert str(raised.value) == message


def test_a_rules_reference_pytest_cannot_import_is_a_clean_usage_error(rules_project):
    rules_project.makepyprojecttoml('[tool.genesys-compliance]\nrules = ["acme_not_here"]\n')
    result = rules_project.runpytest(*QUIET)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: genesys-compliance: rules: cannot import acme_not_here (from "
            "'acme_not_here'): ModuleNotFoundError: No module named 'acme_not_here'"
        ]
    )
    assert "Traceback" not in "\n".join(result.outlines + result.errlines)


def test_a_custom_rule_id_with_a_look_alike_character_names_it():
    """A Cyrillic i (U+0456) in a custom id looks right; the error says which it is."""
    with pytest.raises(PolicyError) as raised:
        rule("acme/tr\u0456gger-style", severity="error", summary="x")
    assert str(raised.value) == (
        "rule id 'acme/tr\u0456gger-style' must look like 'family/what-it-checks': it contains "
        "U+0456 CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I at position 8"
    )
