"""The ``genesys-compliance`` command group; each subcommand lives in its own module."""

from __future__ import annotations

import click

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="genesys-compliance")
def main() -> None:
    """Keep Genesys Cloud contact-centre configuration in git: check, plan, apply, prove.

    The same checks, policy ([tool.genesys-compliance] of the nearest
    pyproject.toml, or --config FILE), rules and outputs as the pytest plugin.
    Org commands take --org mock (a simulated org in this process, the default)
    or --org live (credentials from GENESYSCLOUD_OAUTHCLIENT_ID,
    GENESYSCLOUD_OAUTHCLIENT_SECRET and GENESYSCLOUD_REGION, never from a file),
    --json for one JSON document and --sarif PATH. Run a command with --help
    for its own options and an example.

    Exit codes: 0 nothing failed; 1 error findings (or a failed gate or
    apply); 2 usage error; 3 an apply stopped on apply/conflict; 4 the org
    refused the credentials or could not be reached.

    \b
    Examples:
      genesys-compliance validate genesys/configs --sarif reports/gc.sarif
      genesys-compliance plan --org live              # read-only: safe nightly
      genesys-compliance apply --org live             # writes, audited
      genesys-compliance audit verify reports/audit
    """  # noqa: D301 (click's \b keeps the example lines as written)
