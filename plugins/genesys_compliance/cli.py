"""Command line over the same layers as the pytest plugin.

``check`` runs the rule engine without pytest (pre-commit hooks, quick local
checks, the benchmark's baseline); ``rules`` prints the catalogue, and
``rules --update README.md`` regenerates the README's copy of it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from genesys_compliance.engine import load_run
from genesys_compliance.errors import PolicyError
from genesys_compliance.kinds import builtin_registry
from genesys_compliance.reporting import (
    catalogue_markdown,
    replace_catalogue,
    summary_lines,
    write_sarif,
)
from genesys_compliance.rules import RuleContext, load_policy


@click.group()
@click.version_option(package_name="genesys-compliance")
def main() -> None:
    """Check Genesys Cloud configuration kept as code."""


@main.command()
@click.argument(
    "directories", nargs=-1, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.option(
    "--root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="project root: reports paths relative to it and reads its pyproject.toml",
)
@click.option(
    "--sarif",
    type=click.Path(dir_okay=False, path_type=Path),
    help="write the findings as SARIF 2.1.0",
)
@click.option("--strict", is_flag=True, help="warnings fail too")
@click.option("--quiet", "-q", is_flag=True, help="print only the summary")
def check(
    directories: tuple[Path, ...], root: Path, sarif: Path | None, strict: bool, quiet: bool
) -> None:
    """Check every configuration under DIRECTORIES (default: fixtures/configs)."""
    try:
        policy = load_policy(root / "pyproject.toml")
    except PolicyError as error:
        raise click.UsageError(str(error)) from None
    folders = list(directories) or [root / "fixtures" / "configs"]
    run = load_run(folders, root, context=RuleContext(policy=policy))
    findings = run.all_findings()
    if not quiet:
        for finding in findings:
            click.echo(finding.render())
    for line in summary_lines(findings, strict=strict):
        click.echo(line)
    if sarif is not None:
        write_sarif(sarif, findings, run.registry, root)
    if any(f.fails(strict=strict) for f in findings):
        sys.exit(1)


@main.command()
@click.option("--markdown", "fmt", flag_value="markdown", default=True, help="Markdown table")
@click.option("--json", "fmt", flag_value="json", help="JSON list")
@click.option(
    "--update",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="rewrite the catalogue between the markers in this file (the README)",
)
def rules(fmt: str, update: Path | None) -> None:
    """Print the rule catalogue, generated from the registry."""
    registry = builtin_registry()
    if update is not None:
        update.write_text(
            replace_catalogue(update.read_text(encoding="utf-8"), registry), encoding="utf-8"
        )
        click.echo(f"updated the rule catalogue in {update}")
        return
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "id": r.id,
                        "severity": r.severity,
                        "kind": r.kind,
                        "stage": r.stage,
                        "summary": r.summary,
                        "explanation": r.explanation,
                        "example": r.example,
                    }
                    for r in registry
                ],
                indent=2,
            )
        )
    else:
        click.echo(catalogue_markdown(registry), nl=False)


if __name__ == "__main__":  # pragma: no cover
    main()
