"""SARIF 2.1.0: findings for code-scanning tools (GitHub, Azure DevOps, IDEs).

One ``result`` per finding; waived findings stay in the log with an
``inSource`` suppression carrying the waiver's reason and owner, so the
exception is visible where reviewers look. Paths are relative to the run's root
and anchored at ``%SRCROOT%``, which is what code-scanning uploads expect.

A run judged against a baseline gives every result a ``baselineState``:
``unchanged`` for a known finding, ``new`` for the rest. A known finding is not
suppressed: nobody accepted it with a reason, the team only has yet to fix it,
and a suppression would hide it from code scanning's open alerts. The entries
the baseline holds and the run no longer finds are listed in the run's
``properties`` (not as ``absent`` results, which code scanning would show as
alerts); each result's own fingerprint stays the message-bearing one it was.

A log with no results reads as a clean repository, so every log also says
whether the run checked everything: ``invocations[0].executionSuccessful`` is
false, with one error notification per reason, when something was not checked.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from genesys_compliance.rules import Comparison, Finding, Registry

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/genesys-compliance/genesys-compliance"


def _tool_version() -> str:
    try:
        return version("genesys-compliance")
    except PackageNotFoundError:  # running from a source tree
        return "0.0.0"


def _fingerprint(finding: Finding) -> str:
    text = "\x1f".join((finding.rule_id, finding.file, finding.pointer, finding.message))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _rules(registry: Registry) -> list[dict[str, Any]]:
    return [
        {
            "id": item.id,
            "name": item.id.replace("/", "-"),
            "shortDescription": {"text": item.summary},
            "fullDescription": {"text": item.explanation},
            "help": {
                "text": item.explanation
                + (f"\n\nCompliant example:\n{item.example}" if item.example else ""),
            },
            "defaultConfiguration": {"level": item.severity},
            "properties": {"stage": item.stage, **({"kind": item.kind} if item.kind else {})},
        }
        for item in registry
    ]


def _invocation(not_checked: Sequence[str]) -> dict[str, Any]:
    invocation: dict[str, Any] = {"executionSuccessful": not not_checked}
    if not_checked:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": reason}} for reason in not_checked
        ]
    return invocation


def _suppression(finding: Finding) -> dict[str, Any]:
    """The waiver as SARIF says it: the reason, and the owner both beside it and as a property."""
    assert finding.waived is not None
    suppression: dict[str, Any] = {
        "kind": "inSource",
        "status": "accepted",
        "justification": finding.waived,
    }
    if finding.waiver_owner:
        suppression["justification"] += f" (owner: {finding.waiver_owner})"
        suppression["properties"] = {"owner": finding.waiver_owner}
    return suppression


def _baseline_properties(path: str, comparison: Comparison) -> dict[str, Any]:
    return {
        "genesysCompliance": {
            "baseline": {
                "file": path,
                "known": comparison.known,
                "new": comparison.new,
                "fixed": [entry.to_dict() for entry in comparison.fixed],
            }
        }
    }


def sarif_log(
    findings: Iterable[Finding],
    registry: Registry,
    root: Path,
    *,
    not_checked: Sequence[str] = (),
    baseline: tuple[str, Comparison] | None = None,
) -> dict[str, Any]:
    """The SARIF document for ``findings``; rules unknown to ``registry`` are added bare.

    Args:
        findings: Every finding of the run.
        registry: The rules of the run, listed whole as the catalogue.
        root: The folder finding paths are relative to.
        not_checked: Why part of the run was not checked, one reason each; empty
            when the run checked everything it was asked to.
        baseline: The baseline file the run was judged against, as named, and the
            comparison; ``None`` when no baseline was used (no ``baselineState``).
    """
    rules = _rules(registry)
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results: list[dict[str, Any]] = []
    for finding in sorted(findings, key=Finding.sort_key):
        if finding.rule_id not in index:
            index[finding.rule_id] = len(rules)
            rules.append(
                {"id": finding.rule_id, "defaultConfiguration": {"level": finding.severity}}
            )
        result: dict[str, Any] = {
            "ruleId": finding.rule_id,
            "ruleIndex": index[finding.rule_id],
            "level": finding.severity,
            "message": {"text": finding.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": finding.file, "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": max(finding.line, 1)},
                    },
                    **(
                        {
                            "logicalLocations": [
                                {
                                    "name": finding.config,
                                    "fullyQualifiedName": f"{finding.config}#{finding.pointer}",
                                    "kind": "object",
                                }
                            ]
                        }
                        if finding.config
                        else {}
                    ),
                }
            ],
            "partialFingerprints": {"genesysCompliance/v1": _fingerprint(finding)},
        }
        if finding.waived is not None:
            result["suppressions"] = [_suppression(finding)]
        if baseline is not None:
            result["baselineState"] = "unchanged" if finding.known else "new"
        results.append(result)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "genesys-compliance",
                "version": _tool_version(),
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        "originalUriBaseIds": {"%SRCROOT%": {"uri": root.resolve().as_uri() + "/"}},
        "columnKind": "unicodeCodePoints",
        "invocations": [_invocation(not_checked)],
        "results": results,
    }
    if baseline is not None:
        run["properties"] = _baseline_properties(*baseline)
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def write_sarif(
    path: Path,
    findings: Iterable[Finding],
    registry: Registry,
    root: Path,
    *,
    not_checked: Sequence[str] = (),
    baseline: tuple[str, Comparison] | None = None,
) -> None:
    """Write the SARIF log, creating the folder; written whole, then moved into place.

    ``not_checked`` and ``baseline`` are as for :func:`sarif_log`.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    log = sarif_log(findings, registry, root, not_checked=not_checked, baseline=baseline)
    partial.write_text(json.dumps(log, indent=2) + "\n", encoding="utf-8")
    partial.replace(path)
