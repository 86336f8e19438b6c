"""Helpers for the project's own tests: write configurations to files and check them."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

from genesys_compliance import Finding, Policy, RuleContext, Run, load_run

TODAY = date(2026, 11, 23)
SUITES = Path(__file__).resolve().parents[1] / "suites"


def suite_file(name: str) -> Path:
    """The one file called ``name`` under ``suites/`` (its subfolders group the suites)."""
    found = sorted(SUITES.rglob(name))
    assert len(found) == 1, f"{name}: {found}"
    return found[0]


def run_files(root: Path, files: dict[str, str | bytes], policy: Policy | None = None) -> Run:
    """Write ``files`` (name → text, dedented; or bytes) under ``root/configs``; load them."""
    folder = root / "configs"
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return load_run([folder], root, context=RuleContext(policy=policy or Policy(), today=TODAY))


def ids_lines(findings: list[Finding]) -> list[tuple[str, int]]:
    """``(rule id, line)`` pairs: what most rule tests assert."""
    return [(f.rule_id, f.line) for f in findings]
