"""``rules``: the catalogue, generated from the registry (custom rules included)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from genesys_compliance.cli._main import main
from genesys_compliance.cli._project import Project
from genesys_compliance.reporting import catalogue_markdown, replace_catalogue


@main.command()
@click.option("--markdown", "fmt", flag_value="markdown", default=True, help="Markdown table")
@click.option("--json", "fmt", flag_value="json", help="JSON list")
@click.option(
    "--update",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="rewrite the catalogue between the markers in this file (the README)",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="read the custom rules from this file instead of the nearest pyproject.toml",
)
def rules(fmt: str, update: Path | None, config_file: Path | None) -> None:
    """Print the rule catalogue, generated from the registry (custom rules included).

    Every rule with its id, severity, kind, stage and summary: the built-in
    catalogue of SPEC 3 and the project's own rules (the rules key of
    [tool.genesys-compliance]). --update rewrites the copy between the README's
    catalogue markers, so the README never drifts from the code.

    \b
    Examples:
      genesys-compliance rules                     # Markdown table
      genesys-compliance rules --json | jq '.[].id'
      genesys-compliance rules --update README.md
    """  # noqa: D301 (click's \b keeps the example lines as written)
    registry = Project(None, config_file).registry
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
