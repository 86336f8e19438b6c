"""Allure labels and attachments for a checked configuration.

Only this module imports allure; the plugin calls it when ``--alluredir`` is
given, so runs without Allure pay nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import allure

from genesys_compliance.rules import Finding


def label_configuration(kind: str, suite: str, findings: Sequence[Finding]) -> None:
    """Epic = kind, feature = suite, one story per rule found, findings attached as JSON."""
    allure.dynamic.epic(kind)  # type: ignore[no-untyped-call] # allure ships no hints here
    allure.dynamic.feature(suite)  # type: ignore[no-untyped-call] # as above
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
