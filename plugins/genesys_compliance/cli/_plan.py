"""``plan``: what apply would change in the org, read-only (SPEC 6.1)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from genesys_compliance.apply import build_plan, render_plan
from genesys_compliance.cli._main import main
from genesys_compliance.cli._project import (
    FAILED,
    Project,
    check_paths,
    open_org,
    org_options,
    org_unreadable,
    output_options,
    project_options,
    save_sarif,
)
from genesys_compliance.errors import ApiError
from genesys_compliance.reporting import plan_markdown


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("reports/plan.json"),
    show_default=True,
    help="where the plan is written as JSON",
)
@click.option(
    "--markdown",
    "markdown_out",
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="also write the plan as Markdown to FILE, ready for a pull-request comment",
)
@org_options
@output_options
@project_options
@click.option("--strict", is_flag=True, help="warnings fail too (and keep a configuration out)")
def plan(
    paths: tuple[Path, ...],
    out: Path,
    markdown_out: Path | None,
    org: str,
    seed: Path | None,
    as_json: bool,
    sarif: Path | None,
    root: Path | None,
    config_file: Path | None,
    strict: bool,
) -> None:
    """Plan what apply would change in the org, read-only (SPEC 6.1).

    Checks the configurations as validate does; those whose findings fail are
    not planned. For the rest, reads the org and prints create / update (with
    each managed field that changed) / no-op, and writes the plan to --out; the
    same configurations against the same org give the same bytes. It never
    writes to the org, so it is safe to run against a live org every night.
    --json prints the plan file's document; --sarif writes the checks' findings;
    --markdown writes the plan as a table a pull request can show as a comment.

    Exits 0 when every configuration was planned, 1 when some failed their
    checks, 2 on a usage error, 4 when the org refused the credentials or could
    not be read.

    \b
    Examples:
      genesys-compliance plan genesys/configs --out reports/plan.json
      genesys-compliance plan --org live --markdown reports/plan.md
      # nightly, read-only, on the live org (a client with read scopes is enough):
      GENESYSCLOUD_OAUTHCLIENT_ID=... GENESYSCLOUD_OAUTHCLIENT_SECRET=... \\
      GENESYSCLOUD_REGION=mypurecloud.ie genesys-compliance plan --org live
    """  # noqa: D301 (click's \b keeps the example lines as written)
    project = Project(root, config_file)
    checked = check_paths(project, paths, strict=strict)
    connection = open_org(org, seed, project)
    try:
        made = build_plan(connection.client, checked.gate())
    except ApiError as error:  # redacted by the client
        org_unreadable(org, error)
    finally:
        connection.close()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(made.to_json(), encoding="utf-8")
        if markdown_out is not None:
            markdown_out.parent.mkdir(parents=True, exist_ok=True)
            markdown_out.write_text(plan_markdown(json.loads(made.to_json())), encoding="utf-8")
    except OSError as error:
        raise click.UsageError(
            f"cannot write the plan to {error.filename or out}: {error.strerror or error}"
        ) from None
    save_sarif(sarif, checked.findings, project)
    click.echo(made.to_json().rstrip("\n") if as_json else render_plan(made).rstrip("\n"))
    if not as_json:
        click.echo(f"plan written to {out}")
    if made.not_planned or checked.failed:
        sys.exit(FAILED)
