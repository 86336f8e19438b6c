"""SARIF 2.1.0: findings for code-scanning tools (GitHub, Azure DevOps, IDEs).

One ``result`` per finding; waived findings stay in the log with an
``inSource`` suppression carrying the waiver's reason, so the exception is
visible where reviewers look. Paths are relative to the run's root and
anchored at ``%SRCROOT%``, which is what code-scanning uploads expect.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from genesys_compliance.rules import Finding, Registry

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


def sarif_log(findings: Iterable[Finding], registry: Registry, root: Path) -> dict[str, Any]:
    """The SARIF document for ``findings``; rules unknown to ``registry`` are added bare."""
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
            result["suppressions"] = [
                {"kind": "inSource", "status": "accepted", "justification": finding.waived}
            ]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
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
                "results": results,
            }
        ],
    }


def write_sarif(path: Path, findings: Iterable[Finding], registry: Registry, root: Path) -> None:
    """Write the SARIF log, creating the folder; written whole, then moved into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(
        json.dumps(sarif_log(findings, registry, root), indent=2) + "\n", encoding="utf-8"
    )
    partial.replace(path)
