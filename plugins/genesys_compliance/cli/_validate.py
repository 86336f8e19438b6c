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
from genesys_compliance.cli._project import Project, all_findings, read_paths
from genesys_compliance.engine import Run
from genesys_compliance.reporting import summary_lines, write_sarif
from genesys_compliance.rules import Finding, RuleContext


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="project root: reports paths relative to it and reads its pyproject.toml "
    "[default: the folder of the nearest pyproject.toml, else .]",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="read the policy from this file instead of ROOT/pyproject.toml",
)
@click.option(
    "--sarif",
    type=click.Path(dir_okay=False, path_type=Path),
    help="write the findings as SARIF 2.1.0",
)
@click.option("--strict", is_flag=True, help="warnings fail too")
@click.option("--quiet", "-q", is_flag=True, help="print only the summary")
@click.option("--json", "as_json", is_flag=True, help="print one JSON document instead of the text")
def validate(
    paths: tuple[Path, ...],
    root: Path | None,
    config_file: Path | None,
    sarif: Path | None,
    strict: bool,
    quiet: bool,
    as_json: bool,
) -> None:
    """Check configuration files and folders (alias: check).

    With no PATHS, checks the folders of config-dirs in [tool.genesys-compliance]
    (else gc_config_dirs of [tool.pytest.ini_options], else ROOT/fixtures/configs).
    Custom rules named by the table's rules key run too. Exits 0 when nothing
    fails, 1 on error findings (warnings too with --strict), 2 on a usage error:
    a bad policy, a path that does not exist, a file that is not .yaml, .yml or
    .json, or a folder that holds no configuration file.
    """
    project = Project(root, config_file)
    root, policy = project.root, project.policy
    files = read_paths(list(paths) or project.default_paths(), root, policy.parse_limits)
    run = Run(files=files, registry=project.registry, context=RuleContext(policy=policy))
    gc.freeze()  # lives to the exit: spare the shutdown's collections a walk of every document
    findings = all_findings(run, policy)
    failed = any(f.fails(strict=strict) for f in findings)
    if sarif is not None:
        try:
            write_sarif(sarif, findings, run.registry, root)
        except OSError as error:
            raise click.UsageError(
                f"cannot write SARIF to {sarif}: {error.strerror or error}"
            ) from None
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
        "findings": [
            {
                "rule": f.rule_id,
                "severity": f.severity,
                "file": f.file,
                "line": f.line,
                "message": f.message,
                "waived": f.waived is not None,
                "waiverReason": f.waived,
                "config": f.config,
                "pointer": f.pointer,
            }
            for f in findings
        ],
    }
