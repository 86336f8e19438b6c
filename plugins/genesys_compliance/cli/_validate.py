"""``validate`` (alias ``check``): the local checks, without pytest.

For pre-commit hooks, quick local checks and the benchmark's baseline: the same
engine, policy and rules as the pytest run, and the same SARIF.
"""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path
from typing import Any

import click

from genesys_compliance.cli._main import main
from genesys_compliance.cli._project import (
    Project,
    check_paths,
    finding_json,
    output_options,
    project_options,
    save_sarif,
)
from genesys_compliance.engine import Run
from genesys_compliance.reporting import summary_lines
from genesys_compliance.rules import Finding


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@project_options
@output_options
@click.option("--strict", is_flag=True, help="warnings fail too")
@click.option("--quiet", "-q", is_flag=True, help="print only the summary")
def validate(
    paths: tuple[Path, ...],
    root: Path | None,
    config_file: Path | None,
    as_json: bool,
    sarif: Path | None,
    strict: bool,
    quiet: bool,
) -> None:
    """Check configuration files and folders (alias: check).

    The local checks, without the org. With no PATHS, checks the folders of
    config-dirs in [tool.genesys-compliance] (else gc_config_dirs of
    [tool.pytest.ini_options], else ROOT/fixtures/configs). Custom rules named
    by the table's rules key run too, and the contract check of the pytest
    suites. Exits 0 when nothing fails, 1 on error findings
    (warnings too with --strict), 2 on a usage error: a bad policy, a path that
    does not exist, a file that is not .yaml, .yml or .json, or a folder that
    holds no configuration file.

    \b
    Examples:
      genesys-compliance validate                     # the project's folders
      genesys-compliance check genesys/configs/layouts/agent.yaml --strict
      genesys-compliance validate --sarif reports/gc.sarif --json > findings.json
    """  # noqa: D301 (click's \b keeps the example lines as written)
    project = Project(root, config_file)
    checked = check_paths(project, paths, strict=strict)
    run, findings, failed = checked.run, checked.findings, checked.failed
    gc.freeze()  # lives to the exit: spare the shutdown's collections a walk of every document
    save_sarif(sarif, findings, project)
    if as_json:
        click.echo(json.dumps(_json_report(run, findings, strict=strict, failed=failed), indent=2))
    else:
        if not quiet:
            for finding in findings:
                click.echo(finding.render())
        click.echo(f"checked {len(run.entries)} configuration(s) in {len(run.files)} file(s)")
        for line in summary_lines(findings, strict=strict):
            click.echo(line)
    if failed:
        sys.exit(1)


main.add_command(
    click.Command(
        "check",
        callback=validate.callback,
        params=validate.params,
        help=validate.help,
        short_help="Alias of validate.",
    )
)


def _json_report(
    run: Run, findings: list[Finding], *, strict: bool, failed: bool
) -> dict[str, Any]:
    """The ``--json`` document: every finding, the counts and the exit code it implies."""
    live = [f for f in findings if f.waived is None]
    return {
        "exitCode": 1 if failed else 0,
        "strict": strict,
        "counts": {
            "files": len(run.files),
            "configurations": len(run.entries),
            "findings": len(findings),
            "failing": sum(1 for f in findings if f.fails(strict=strict)),
            "errors": sum(1 for f in live if f.severity == "error"),
            "warnings": sum(1 for f in live if f.severity == "warning"),
            "waived": len(findings) - len(live),
        },
        "findings": [finding_json(f) for f in findings],
    }
