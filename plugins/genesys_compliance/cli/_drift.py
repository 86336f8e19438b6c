"""``drift``: the nightly check from the command line, read-only (SPEC 9).

The same comparison as ``pytest --gc-org live`` (:func:`genesys_compliance.drift.find_drift`):
this module only reads options, prints and chooses the exit code. A drift run
that compared less than it was given never exits 0: a configuration that fails
its own checks is not compared, and a managed kind that could not be listed
leaves its unmanaged resources unknown; both are named, exit 1, and SARIF's
``executionSuccessful`` is false.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from genesys_compliance.cli._main import main
from genesys_compliance.cli._project import (
    FAILED,
    Project,
    check_paths,
    finding_json,
    open_org,
    org_options,
    org_unreadable,
    output_options,
    project_options,
)
from genesys_compliance.drift import DriftReport, find_drift
from genesys_compliance.errors import ApiError
from genesys_compliance.reporting import summary_lines, write_sarif

__all__ = ["drift"]


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@org_options
@output_options
@project_options
@click.option("--strict", is_flag=True, help="org/unmanaged warnings fail too")
def drift(
    paths: tuple[Path, ...],
    org: str,
    seed: Path | None,
    as_json: bool,
    sarif: Path | None,
    root: Path | None,
    config_file: Path | None,
    strict: bool,
) -> None:
    """Compare the org with the configurations, read-only: what changed behind git's back.

    Reads the org once and compares every managed field of every configuration
    that passes its checks, as plan does (lists the API keeps as sets compare
    unordered, fields a file does not state are never compared). Each field the
    org holds another value of is an org/drift error at the field's line, with
    both values and, where the org's audit can tell, who changed it and when; a
    configuration whose resource the org lacks is org/drift at the line naming
    it. Each resource of a kind kept here that no configuration names is an
    org/unmanaged warning, with the export command that brings it into git.

    Exits 0 when the org holds what git states, 1 on org/drift (org/unmanaged
    too with --strict) or when a configuration could not be compared, 2 on a
    usage error, 4 when the org refused the credentials or could not be read.

    \b
    Examples:
      genesys-compliance drift --org live --sarif reports/drift.sarif
      genesys-compliance drift genesys/configs --org live --json > drift.json
    """  # noqa: D301 (click's \b keeps the examples' lines as written)
    project = Project(root, config_file)
    checked = check_paths(project, paths, strict=strict)
    connection = open_org(org, seed, project)
    try:
        report = find_drift(connection.client, checked.run)
    except ApiError as error:  # redacted by the client
        org_unreadable(org, error)
    finally:
        connection.close()
    gaps = _gaps(report)
    findings = report.findings
    code = FAILED if gaps or report.failed(strict=strict) else 0
    if sarif is not None:
        try:
            write_sarif(sarif, findings, project.registry, project.root, not_checked=gaps)
        except OSError as error:
            raise click.UsageError(
                f"cannot write SARIF to {sarif}: {error.strerror or error}"
            ) from None
    if as_json:
        click.echo(json.dumps(_document(report, org, code, gaps, strict=strict), indent=2))
    else:
        _print(report, gaps, strict=strict)
    sys.exit(code)


def _gaps(report: DriftReport) -> list[str]:
    """What the report could not compare, one reason each (SARIF's notifications)."""
    gaps = [
        f"{r.kind} {r.name} ({r.file}) was not compared with the org: it fails "
        f"{', '.join(r.reasons)}"
        for r in sorted(report.not_compared, key=lambda r: (r.file, r.name))
    ]
    gaps += [f"unmanaged resources not listed: {reason}" for reason in report.unlisted]
    return gaps


def _print(report: DriftReport, gaps: list[str], *, strict: bool) -> None:
    for finding in report.findings:
        click.echo(finding.render())
    missing = sum(1 for d in report.differences if d.missing)
    fields = len(report.differences) - missing
    configs = len({d.finding.config for d in report.differences})
    click.echo(
        f"drift: {fields} field(s) differ and {missing} resource(s) are missing, in "
        f"{configs} of {len(report.compared)} configuration(s) compared; "
        f"{len(report.unmanaged)} unmanaged resource(s)"
    )
    for line in summary_lines(report.findings, strict=strict, not_checked=gaps):
        click.echo(line)


def _document(
    report: DriftReport, org: str, code: int, gaps: list[str], *, strict: bool
) -> dict[str, Any]:
    """The ``--json`` document: the report's records, every finding, and the exit code."""
    return {
        "exitCode": code,
        "org": org,
        "strict": strict,
        "counts": {
            "compared": len(report.compared),
            "differences": len(report.differences),
            "missing": sum(1 for d in report.differences if d.missing),
            "unmanaged": len(report.unmanaged),
            "notCompared": len(report.not_compared),
        },
        "notChecked": gaps,
        "findings": [finding_json(f) for f in report.findings],
        **report.to_dict(),
    }
