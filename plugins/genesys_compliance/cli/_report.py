"""``report``: the single-file Allure HTML report, made offline."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from genesys_compliance.cli._main import main
from genesys_compliance.reporting.allure_html import ReportError, ReportUsageError, generate_report


@main.command()
@click.argument("results_dir", metavar="RESULTS_DIR", type=click.Path(path_type=Path))
@click.option(
    "--out",
    metavar="FILE",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="the HTML file to write",
)
@click.option(
    "--allure",
    "launcher",
    metavar="PATH",
    type=click.Path(dir_okay=False, path_type=Path),
    help="the Allure command line's launcher [default: node_modules/allure-commandline/"
    "dist/bin/allure in the working directory or the nearest parent, as `npm ci` installs it]",
)
def report(results_dir: Path, out: Path, launcher: Path | None) -> None:
    """Make the single-file Allure HTML report of RESULTS_DIR, offline (SPEC 9).

    RESULTS_DIR is a pytest --alluredir folder. The report is one HTML file that
    opens from disk: epics per kind, features per stage, stories per rule, the
    findings and redacted HTTP exchanges attached, the run's environment and its
    failure categories. It is made by the Allure command line pinned in
    package.json (`npm ci` installs it; it needs Java), with its analytics off,
    and checked before it is written: a page with a script, style, font or image
    from another host is refused.

    Exits 0 when the report is written, 1 when Allure failed or its page would
    reach another host, 2 on a usage error (no results in RESULTS_DIR, the Allure
    command line or Java missing).

    \b
    Example:
      npm ci
      pytest suites --alluredir reports/allure-results
      genesys-compliance report reports/allure-results --out reports/allure-report.html
    """  # noqa: D301 (click's \b keeps the example's lines as written)
    try:
        made = generate_report(results_dir, out, allure=launcher)
    except ReportUsageError as error:
        raise click.UsageError(str(error)) from None
    except ReportError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(1)
    click.echo(
        f"report written to {made.path} ({made.size:,} bytes, Allure {made.allure_version}): "
        "one file, opens from disk, reaches no other host"
    )
