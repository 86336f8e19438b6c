"""``plan``: what apply would change in the org, read-only (SPEC 6.1)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from genesys_compliance.apply import build_plan, gate, render_plan
from genesys_compliance.cli._main import main
from genesys_compliance.cli._project import (
    ORG_UNUSABLE,
    Project,
    all_findings,
    open_org,
    org_options,
    project_options,
    read_paths,
)
from genesys_compliance.engine import Run
from genesys_compliance.errors import ApiError
from genesys_compliance.rules import RuleContext


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("reports/plan.json"),
    show_default=True,
    help="where the plan is written as JSON",
)
@org_options
@project_options
@click.option("--strict", is_flag=True, help="warnings fail too (and keep a configuration out)")
@click.option("--json", "as_json", is_flag=True, help="print the plan as JSON instead of the text")
def plan(
    paths: tuple[Path, ...],
    out: Path,
    org: str,
    seed: Path | None,
    root: Path | None,
    config_file: Path | None,
    strict: bool,
    as_json: bool,
) -> None:
    r"""Plan what apply would change in the org, read-only (SPEC 6.1).

    Checks the configurations as validate does; those whose findings fail are
    not planned. For the rest, reads the org and prints create / update (with
    each managed field that changed) / no-op, and writes the plan to --out; the
    same configurations against the same org give the same bytes. Exits 0 when
    every configuration was planned, 1 when some failed their checks, 2 on a
    usage error, 4 when the org refused the credentials or could not be read.

    \b
    Example:
      genesys-compliance plan genesys/configs --out reports/plan.json
      GENESYSCLOUD_OAUTHCLIENT_ID=... genesys-compliance plan --org live
    """
    project = Project(root, config_file)
    root, policy = project.root, project.policy
    files = read_paths(list(paths) or project.default_paths(), root, policy.parse_limits)
    run = Run(files=files, registry=project.registry, context=RuleContext(policy=policy))
    findings = all_findings(run, policy)
    failed: dict[str, list[str]] = {}
    for finding in findings:
        if finding.config is not None and finding.fails(strict=strict):
            failed.setdefault(finding.config, []).append(finding.rule_id)
    connection = open_org(org, seed, project)
    try:
        made = build_plan(connection.client, gate(run, strict=strict, failed=failed))
    except ApiError as error:  # redacted by the client
        click.echo(f"genesys-compliance: the {org} org could not be read: {error}", err=True)
        sys.exit(ORG_UNUSABLE)
    finally:
        connection.close()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(made.to_json(), encoding="utf-8")
    except OSError as error:
        raise click.UsageError(
            f"cannot write the plan to {out}: {error.strerror or error}"
        ) from None
    click.echo(made.to_json().rstrip("\n") if as_json else render_plan(made))
    if not as_json:
        click.echo(f"plan written to {out}")
    if made.not_planned or any(f.fails(strict=strict) for f in findings):
        sys.exit(1)
