"""``serve-org``: the simulated org over HTTP, for plan and apply to talk to as to a live org.

The server is ``genesys-compliance-simorg``'s own (:func:`genesys_compliance.simorg.main`),
so both commands serve the same org with the same flags and messages; this
command adds only the project's default seed folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from genesys_compliance.cli._main import main
from genesys_compliance.cli._project import Project, project_options, shown
from genesys_compliance.simorg import main as serve_simorg


@main.command("serve-org")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8089,
    show_default=True,
    help="where to listen; 0 picks a free port (the first line printed names it)",
)
@click.option(
    "--seed",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="the org's data, a folder or a file [default: ROOT/fixtures/org]",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="the address to bind")
@click.option(
    "--client",
    "clients",
    multiple=True,
    metavar="ID:SECRET",
    help="one more OAuth client with every scope, e.g. a colleague writing at the same time "
    "(repeatable)",
)
@click.option(
    "--control",
    is_flag=True,
    help="serve the fault-control interface under /_simorg, to loopback clients only "
    "(fixtures/org/README.md)",
)
@click.option(
    "--latency",
    type=click.FloatRange(min=0),
    default=0.0,
    metavar="SECONDS",
    help="every request waits this long before the org answers",
)
@click.option(
    "--rate-limit",
    type=click.IntRange(min=1),
    default=300,
    show_default=True,
    help="requests a token may make per minute",
)
@project_options
def serve_org(
    port: int,
    seed: Path | None,
    host: str,
    clients: tuple[str, ...],
    control: bool,
    latency: float,
    rate_limit: int,
    root: Path | None,
    config_file: Path | None,
) -> None:
    """Serve the simulated org over HTTP until interrupted (Ctrl-C or SIGTERM: exit 0).

    The org's token endpoint and API share one port. Point plan and apply at it
    with --org live and GENESYSCLOUD_API_BASE_URL: the same HTTP path a live org
    takes, with state that lasts between commands, and faults (429s, 5xx,
    dropped connections, a colleague's concurrent write) scheduled from outside
    with --control. The OAuth clients of the seed's README (fixtures/org) are
    fixtures, not credentials: they open nothing but this simulation.

    Exits 0 when stopped, 1 when the port cannot be bound, 2 on a bad seed.

    \b
    Examples:
      genesys-compliance serve-org --port 8089 --control &
      export GENESYSCLOUD_API_BASE_URL=http://127.0.0.1:8089
      export GENESYSCLOUD_OAUTHCLIENT_ID=...      # the CI client of fixtures/org/README.md
      export GENESYSCLOUD_OAUTHCLIENT_SECRET=...  # its fixture secret, same file
      genesys-compliance plan --org live
    """  # noqa: D301 (click's \b keeps the example lines as written)
    project = Project(root, config_file)
    data = seed or project.root / "fixtures" / "org"
    if not data.exists():
        raise click.UsageError(
            f"no simulated org data at {shown(data)}; name a seed folder with --seed"
        )
    if project.policy.endpoints:
        click.echo(
            "genesys-compliance: note: the served org answers on the contract's own paths; "
            "the policy's endpoints overrides are not applied to it",
            err=True,
        )
    argv = [
        "--host",
        host,
        "--port",
        str(port),
        "--seed",
        str(data),
        "--latency",
        str(latency),
        "--rate-limit",
        str(rate_limit),
    ]
    argv += [f"--client={pair}" for pair in clients]
    if control:
        argv.append("--control")
    sys.exit(serve_simorg(argv))
