"""Builders for the export tests: a generated org behind the simulated one, and tree hashes."""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from pathlib import Path

from genesys_compliance.apply import Gate, gate
from genesys_compliance.connect import OrgConnection, connect_mock
from genesys_compliance.engine import Run, load_run
from genesys_compliance.orgrules import contract_findings
from genesys_compliance.rules import Finding
from genesys_compliance.simorg import GeneratedOrg, generate_org


def generated(folder: Path, resources: int, seed: int = 0) -> tuple[GeneratedOrg, OrgConnection]:
    """A generated seed in ``folder/seed`` and a fresh simulated org of it (virtual clock)."""
    made = generate_org(folder / "seed", resources=resources, seed=seed)
    return made, connect_mock(made.directory)


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) to the SHA-256 of its bytes."""
    out: dict[str, str] = {}
    for current, _, names in os.walk(folder):
        for name in names:
            path = Path(current, name)
            out[path.relative_to(folder).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return dict(sorted(out.items()))


def checked(folder: Path, org: OrgConnection) -> tuple[Run, list[Finding], Gate]:
    """Judge an export folder as ``validate`` and ``plan`` do: engine, contract check, gate."""
    run = load_run([folder], folder)
    findings = run.all_findings()
    failed: dict[str, list[str]] = {}
    for entry in run.entries:
        findings += contract_findings(entry, org.contract, run.registry, covered=run.check(entry))
    for finding in findings:
        if finding.config is not None and finding.fails(strict=False):
            failed.setdefault(finding.config, []).append(finding.rule_id)
    return run, findings, gate(run, failed=failed)


def siblings(folder: Path) -> list[str]:
    """What sits beside ``folder``: an export leaves no staging folder behind."""
    return sorted(p.name for p in folder.parent.iterdir() if p.name != folder.name)


def operations(org: OrgConnection) -> Counter[str]:
    """Requests the simulated org handled, by operationId."""
    assert org.org is not None
    return Counter(e.operation_id or "" for e in org.org.requests.entries())
