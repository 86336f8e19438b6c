"""Allure labels and attachments for a checked configuration.

Only this module imports allure; the plugin calls it when ``--alluredir`` is
given, so runs without Allure pay nothing. Allure's behaviours tree reads
epic, feature, story: here the configuration's kind, the stage that checked it
(:mod:`genesys_compliance.reporting.stages`) and each rule found, so a report
answers "which rules failed for layouts at the contract stage" by clicking.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import allure

from genesys_compliance.reporting.stages import STAGES, Stage
from genesys_compliance.rules import Finding


def label_configuration(kind: str, stage: Stage, findings: Sequence[Finding]) -> None:
    """Epic = kind, feature = stage, one story per rule found, findings attached as JSON.

    Raises:
        ValueError: ``stage`` is not one of :data:`~genesys_compliance.reporting.stages.STAGES`
            (a typo would otherwise open a new branch of the report's tree).
    """
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}: expected one of {', '.join(STAGES)}")
    allure.dynamic.epic(kind)  # type: ignore[no-untyped-call] # allure ships no hints here
    allure.dynamic.feature(stage)  # type: ignore[no-untyped-call] # as above
    for rule_id in sorted({f.rule_id for f in findings}):
        allure.dynamic.story(rule_id)  # type: ignore[no-untyped-call] # as above
    if findings:
        allure.attach(
            json.dumps([f.to_dict() for f in findings], indent=2),
            name="findings",
            attachment_type=allure.attachment_type.JSON,
        )


def attach_exchanges(exchanges: Sequence[str]) -> None:
    """Attach the test's HTTP exchanges, already redacted by the client, as one JSON list."""
    if exchanges:
        allure.attach(
            "[\n" + ",\n".join(exchanges) + "\n]",
            name="http exchanges (redacted)",
            attachment_type=allure.attachment_type.JSON,
        )
