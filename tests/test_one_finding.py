"""One violation, one finding (SPEC section 3): the contract stage repeats no rule's finding.

The contract check reports, as ``config/schema``, only what no rule of the
catalogue covers; a waiver of a rule suppresses it in every stage. Shown for the
whole run (the kind suites plus the contract suite, through pytest) and through
the function the command line calls.
"""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from genesys_compliance import Finding, Run
from genesys_compliance.contract import Contract
from genesys_compliance.orgrules import contract_findings
from tests.helpers import ids_lines, run_files, suite_file

REPO = Path(__file__).resolve().parents[1]
SUITES = (
    "test_trigger_rules.py",
    "test_routing_rules.py",
    "test_strategies.py",
    "test_contract.py",
)
QUIET = ("-p", "no:cacheprovider", "-p", "no:schemathesis")
QUEUE = "3f7c1a2e-8b4d-4e6f-9a1c-5d2e7f8b9c01"  # on the simulated org

TRIGGER_OPERATOR = """
    apiVersion: genesys-compliance/v1
    kind: TriggerRule
    metadata:
      name: refund-assist
    spec:
      name: Refund assist
      ruleType: conversation
      conditions:
        - type: keyword
          field: conversation.text
          operator: like
          value: refund
      actions:
        - {type: display, templateId: tmpl_98765, priority: 1}
    """
TRIGGER_ACTION = """
    apiVersion: genesys-compliance/v1
    kind: TriggerRule
    metadata: {name: refund-mail}
    spec:
      name: Refund mail
      ruleType: conversation
      conditions:
        - {type: keyword, field: conversation.text, operator: contains, value: refund}
      actions:
        - type: email
          templateId: tmpl_98765
          priority: 1
    """
ROUTING_RULE_OPERATOR = f"""
    apiVersion: genesys-compliance/v1
    kind: RoutingRule
    metadata: {{name: vip, queueId: {QUEUE}}}
    spec:
      name: VIP
      expression:
        type: condition
        field: vip_flag
        operator: like
        value: true
    """
STRATEGY_ENUM = f"""
    apiVersion: genesys-compliance/v1
    kind: RoutingStrategy
    metadata: {{name: voice, queueId: {QUEUE}}}
    spec:
      strategy: roundRobin
      mediaType: voice
    """
STRATEGY_OVERFLOW = f"""
    apiVersion: genesys-compliance/v1
    kind: RoutingStrategy
    metadata: {{name: chat, queueId: {QUEUE}}}
    spec:
      strategy: longestIdleAgent
      mediaType: chat
      overflow:
        rules:
          - condition: queueDepth
            threshold: 5
            action: hangUp
    """
UNKNOWN_FIELD = f"""
    apiVersion: genesys-compliance/v1
    kind: RoutingStrategy
    metadata: {{name: callback, queueId: {QUEUE}}}
    spec:
      strategy: longestIdleAgent
      mediaType: callback
      colour: blue
    """
NON_STRING_KEY = f"""
    apiVersion: genesys-compliance/v1
    kind: RoutingStrategy
    metadata: {{name: non-string, queueId: {QUEUE}}}
    spec:
      strategy: mostSkilled
      mediaType: voice
      true: blue
    """
# file -> (text, the one finding's rule, its line); before the fix each also had a
# config/schema "API contract" finding (for the overflow rule at the action's line 11,
# for the unknown field and the `true:` key at the `spec:` line 4).
CASES: dict[str, tuple[str, str, int]] = {
    "trigger-operator.yaml": (TRIGGER_OPERATOR, "trigger/operator", 11),
    "trigger-action.yaml": (TRIGGER_ACTION, "trigger/action", 10),
    "routing-rule-operator.yaml": (ROUTING_RULE_OPERATOR, "routing-rule/operator", 9),
    "strategy-enum.yaml": (STRATEGY_ENUM, "strategy/enum", 5),
    "strategy-overflow.yaml": (STRATEGY_OVERFLOW, "strategy/overflow", 9),
    "unknown-field.yaml": (UNKNOWN_FIELD, "config/schema", 7),
    "non-string-key.yaml": (NON_STRING_KEY, "config/schema", 7),
}
WAIVED_OPERATOR = TRIGGER_OPERATOR.replace(
    "      name: refund-assist\n",
    "      name: refund-assist\n"
    "      waivers:\n"
    "        - {rule: trigger/operator, reason: legacy matcher, expires: 2099-12-31}\n",
)
# The models accept a trigger rule's description; this contract does not know it.
DESCRIBED_TRIGGER = TRIGGER_OPERATOR.replace("operator: like", "operator: contains").replace(
    "      ruleType: conversation\n",
    "      ruleType: conversation\n      description: Offers the refund script\n",
)
CONTRACT_WITHOUT_DESCRIPTION = """
import pytest
from genesys_compliance.contract import Contract


@pytest.fixture(scope="session")
def gc_contract():
    document = Contract.load().document
    del document["components"]["schemas"]["TriggerRule"]["properties"]["description"]
    return Contract(document)
"""


def _text(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def _contract_without_description() -> Contract:
    document = Contract.load().document
    del document["components"]["schemas"]["TriggerRule"]["properties"]["description"]
    return Contract(document)


def whole_run(run: Run, contract: Contract) -> list[Finding]:
    """What the engine and the contract stage find together: what the command line counts."""
    found = run.all_findings()
    for entry in run.entries:
        found.extend(contract_findings(entry, contract, run.registry, covered=run.check(entry)))
    found.sort(key=Finding.sort_key)
    return found


# -- through the functions ---------------------------------------------------------------------


@pytest.mark.parametrize(("name", "case"), CASES.items(), ids=list(CASES))
def test_a_violation_a_rule_reports_is_one_finding_at_its_line(
    tmp_path: Path, name: str, case: tuple[str, str, int]
) -> None:
    text, rule_id, line = case
    run = run_files(tmp_path, {name: text})
    assert ids_lines(whole_run(run, Contract.load())) == [(rule_id, line)]


def test_a_waived_rule_leaves_no_contract_duplicate_to_fail(tmp_path: Path) -> None:
    run = run_files(tmp_path, {"c.yaml": WAIVED_OPERATOR})
    found = whole_run(run, Contract.load())
    assert [(f.rule_id, f.line, f.waived) for f in found] == [
        ("trigger/operator", 13, "legacy matcher")
    ]
    assert not any(f.fails() for f in found)


def test_a_disagreement_only_the_contract_sees_is_reported_at_its_line(tmp_path: Path) -> None:
    run = run_files(tmp_path, {"c.yaml": DESCRIBED_TRIGGER})
    [entry] = run.entries
    assert run.check(entry) == []  # the models accept it
    [found] = whole_run(run, _contract_without_description())
    assert (found.rule_id, found.line, found.pointer) == ("config/schema", 8, "/spec/description")
    assert found.message == "API contract: spec.description: unexpected property"


def test_a_contract_only_finding_obeys_a_waiver_of_its_rule(tmp_path: Path) -> None:
    waived = DESCRIBED_TRIGGER.replace(
        "      name: refund-assist\n",
        "      name: refund-assist\n"
        "      waivers:\n"
        "        - {rule: config/schema, reason: contract update pending, expires: 2099-12-31}\n",
    )
    run = run_files(tmp_path, {"c.yaml": waived})
    [found] = whole_run(run, _contract_without_description())
    assert (found.rule_id, found.waived) == ("config/schema", "contract update pending")


def _finding(pointer: str, rule_id: str = "strategy/overflow") -> Finding:
    return Finding(rule_id, "error", "covering", "configs/c.yaml", 1, pointer)


@pytest.mark.parametrize(
    ("covering", "left"),
    [
        pytest.param(
            [], ["/spec/overflow/rules/0/action", "/spec/overflow/rules/1/action"], id="none"
        ),
        pytest.param(
            [_finding("/spec/overflow/rules/0")], ["/spec/overflow/rules/1/action"], id="ancestor"
        ),
        pytest.param(
            [_finding("/spec/overflow/rules/1/action")],
            ["/spec/overflow/rules/0/action"],
            id="same-element",
        ),
        pytest.param(
            [_finding("/spec/overflow/rules/0/action/x")],
            ["/spec/overflow/rules/0/action", "/spec/overflow/rules/1/action"],
            id="descendant-does-not-cover",
        ),
        pytest.param(
            [_finding("/spec/overflow/rules/0/act")],
            ["/spec/overflow/rules/0/action", "/spec/overflow/rules/1/action"],
            id="key-prefix-is-not-an-ancestor",
        ),
        pytest.param(
            [_finding("/spec", "config/schema"), _finding("", "config/schema")],
            ["/spec/overflow/rules/0/action", "/spec/overflow/rules/1/action"],
            id="spec-itself-covers-nothing",
        ),
        pytest.param(
            [_finding("/spec/overflow", "strategy/duplicate-media")],
            ["/spec/overflow/rules/0/action", "/spec/overflow/rules/1/action"],
            id="cross-file-finding-covers-nothing",
        ),
    ],
)
def test_a_contract_problem_is_covered_by_a_finding_at_it_or_an_element_holding_it(
    tmp_path: Path, covering: list[Finding], left: list[str]
) -> None:
    run = run_files(
        tmp_path,
        {
            "c.yaml": f"""
                apiVersion: genesys-compliance/v1
                kind: RoutingStrategy
                metadata: {{name: s, queueId: {QUEUE}}}
                spec:
                  strategy: longestIdleAgent
                  mediaType: voice
                  overflow:
                    rules:
                      - {{condition: queueDepth, threshold: 5, action: hangUp}}
                      - {{condition: waitTime, threshold: 30, action: hangUp}}
                """
        },
    )
    [entry] = run.entries
    found = contract_findings(entry, Contract.load(), run.registry, covered=covering)
    assert [f.pointer for f in found] == left


# -- through pytest: the kind suites and the contract suite together ------------------------------


@pytest.fixture(autouse=True)
def _fresh_suite_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    """Free the suites' module names for the in-process copies (see tests/test_plugin.py)."""
    for name in SUITES:
        monkeypatch.delitem(sys.modules, name.removesuffix(".py"), raising=False)


def _project(pytester: pytest.Pytester, files: dict[str, str]) -> None:
    for name in SUITES:
        shutil.copy(suite_file(name), pytester.path / name)
    shutil.copytree(REPO / "fixtures" / "org", pytester.path / "fixtures" / "org")
    pytester.makepyprojecttoml("[tool.pytest.ini_options]\n")
    folder = pytester.path / "configs"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(_text(text), encoding="utf-8")


def _sarif(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, list[dict[str, Any]]]:
    result = pytester.runpytest(
        *QUIET, "--gc-config-dir", "configs", "--gc-sarif", "out.sarif", *args
    )
    log = json.loads((pytester.path / "out.sarif").read_text(encoding="utf-8"))
    return result, log["runs"][0]["results"]


def _where(result: dict[str, Any]) -> tuple[str, str, int]:
    physical = result["locations"][0]["physicalLocation"]
    uri = physical["artifactLocation"]["uri"]
    return uri.removeprefix("configs/"), result["ruleId"], physical["region"]["startLine"]


def test_the_whole_run_reports_each_violation_once(pytester: pytest.Pytester) -> None:
    _project(pytester, {name: text for name, (text, _, _) in CASES.items()})
    result, results = _sarif(pytester)
    assert sorted(_where(r) for r in results) == sorted(
        (name, rule_id, line) for name, (_, rule_id, line) in CASES.items()
    )
    # every configuration fails its kind suite once; the contract suite adds no failure
    result.assert_outcomes(failed=len(CASES), passed=len(CASES) * 2)
    # and the command line's function counts the same findings as the pytest run
    run = run_files(pytester.path, {})
    assert sorted(
        (f.file.removeprefix("configs/"), f.rule_id, f.line)
        for f in whole_run(run, Contract.load())
    ) == sorted(_where(r) for r in results)


def test_a_waiver_of_the_rule_makes_the_whole_run_pass(pytester: pytest.Pytester) -> None:
    _project(pytester, {"c.yaml": WAIVED_OPERATOR})
    result, results = _sarif(pytester)
    assert result.ret == pytest.ExitCode.OK, result.outlines
    assert [(_where(r), r["suppressions"][0]["justification"]) for r in results] == [
        (("c.yaml", "trigger/operator", 13), "legacy matcher")
    ]


def test_the_whole_run_still_reports_what_only_the_contract_rejects(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester, {"c.yaml": DESCRIBED_TRIGGER})
    pytester.makeconftest(CONTRACT_WITHOUT_DESCRIPTION)
    result, results = _sarif(pytester, "-rA")
    assert [_where(r) for r in results] == [("c.yaml", "config/schema", 8)]
    result.stdout.fnmatch_lines(
        [
            "  configs/c.yaml:8  config/schema  API contract: spec.description: "
            "unexpected property",
            "FAILED test_contract.py::test_payload_fits_the_contract*",
        ],
        consecutive=False,
    )
    # the trigger's kind test and org test pass; the empty routing kinds have no test at all
    result.assert_outcomes(failed=1, passed=2)
