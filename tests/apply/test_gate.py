"""The gate: only typed configurations with no failing finding reach the plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from genesys_compliance import Policy
from genesys_compliance.apply import Approved, gate
from tests.helpers import run_files

GOOD = """
    apiVersion: genesys-compliance/v1
    kind: RoutingRule
    metadata: {name: good, queueId: 3f7c1a2e-8b4d-4e6f-9a1c-5d2e7f8b9c01}
    spec:
      name: Good
      expression: {type: condition, field: language, operator: eq, value: en}
    """
BAD = GOOD.replace("good", "bad").replace("Good", "Bad").replace("operator: eq", "operator: like")
WARNED = """
    apiVersion: genesys-compliance/v1
    kind: DesktopLayout
    metadata: {name: heavy}
    spec:
      name: Heavy
      grid: {columns: 24, rows: 16}
      widgets:
        - {widget_type: notes-widget, id: w0, position: {x: 0, y: 0, width: 2, height: 1}}
        - {widget_type: notes-widget, id: w1, position: {x: 2, y: 0, width: 2, height: 1}}
        - {widget_type: notes-widget, id: w2, position: {x: 4, y: 0, width: 2, height: 1}}
    """
LOW_LOAD = Policy(max_load_impact=0.3)


def test_failing_configurations_are_refused_with_their_rules(tmp_path: Path) -> None:
    run = run_files(tmp_path, {"good.yaml": GOOD, "bad.yaml": BAD})
    admitted = gate(run)
    assert [a.name for a in admitted.approved] == ["good"]
    [refused] = admitted.refused
    assert (refused.name, refused.reasons) == ("bad", ("routing-rule/operator",))
    assert not admitted.passed


def test_an_approved_configuration_cannot_hold_a_failure(tmp_path: Path) -> None:
    run = run_files(tmp_path, {"bad.yaml": BAD})
    [entry] = run.entries
    with pytest.raises(ValueError, match="fails routing-rule/operator"):
        Approved(entry, tuple(run.check(entry)))


def test_warnings_fail_only_when_strict(tmp_path: Path) -> None:
    run = run_files(tmp_path, {"heavy.yaml": WARNED}, LOW_LOAD)
    [entry] = run.entries
    assert [f.rule_id for f in run.check(entry)] == ["layout/load-impact"]
    assert gate(run).passed
    strict = gate(run, strict=True)
    assert [r.reasons for r in strict.refused] == [("layout/load-impact",)]


def test_the_caller_s_own_failures_refuse_too(tmp_path: Path) -> None:
    run = run_files(tmp_path, {"good.yaml": GOOD})
    admitted = gate(run, failed={"good.yaml::good": ["contract: org/reference"]})
    assert admitted.approved == ()
    assert admitted.refused[0].reasons == ("contract: org/reference",)


def test_a_broken_file_fails_the_gate_without_naming_a_configuration(tmp_path: Path) -> None:
    run = run_files(tmp_path, {"good.yaml": GOOD, "broken.yaml": "a: [\n"})
    admitted = gate(run)
    assert [a.name for a in admitted.approved] == ["good"]
    assert [f.rule_id for f in admitted.file_failures] == ["config/parse"]
    assert not admitted.passed
