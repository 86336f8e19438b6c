"""``export``: every resource of the org as configuration files, read-only (SPEC 9).

The work is :func:`genesys_compliance.export.export_org`; this module reads
the options, draws progress (a bar per kind on a terminal, one line per kind
in a CI log, nothing with ``--json``) and chooses the exit code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from genesys_compliance.cli._main import main
from genesys_compliance.cli._progress import Progress, on_terminal
from genesys_compliance.cli._project import (
    Project,
    open_org,
    org_options,
    org_unreadable,
    output_options,
    project_options,
    save_sarif,
)
from genesys_compliance.errors import ApiError
from genesys_compliance.export import ExportError, ExportProgress, ExportResult, export_org
from genesys_compliance.kinds import KINDS

__all__ = ["export"]


@main.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="the export folder: new, empty, or one an earlier export wrote",
)
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(sorted(KINDS)),
    help="export only this kind (repeatable) [default: all five]",
)
@org_options
@output_options
@project_options
def export(
    out: Path,
    kinds: tuple[str, ...],
    org: str,
    seed: Path | None,
    as_json: bool,
    sarif: Path | None,
    root: Path | None,
    config_file: Path | None,
) -> None:
    """Write every resource of the org as configuration files, read-only.

    One file per resource, OUT/<kind>/<name>.yaml (kind folders desktop-layout,
    flow-settings, routing-strategy, trigger-rule, routing-rule), in a fixed key
    order, with the org's own fields (versions, etags, dates) left out and the
    ids kept in metadata: an unchanged org exports the same bytes, and a plan of
    the export finds nothing to change. Names are made valid metadata.names; two
    that collide get a suffix from their id. The org is read in full before
    anything is written, and the folder is replaced in one step; files the
    export did not write are left alone, files of resources no longer in the
    org are removed. Requests keep to the rate limit; a 429 is waited out.

    Exits 0 when the export was written, 2 on a usage error (an unknown kind, a
    folder holding files no export wrote), 4 when the org refused the
    credentials or could not be read (nothing is written then).

    \b
    Examples:
      genesys-compliance export --out genesys/configs
      genesys-compliance export --org live --out genesys/configs --kind RoutingRule
    """  # noqa: D301 (click's \b keeps the examples' lines as written)
    project = Project(root, config_file)
    connection = open_org(org, seed, project)
    bars = _Bars(quiet=as_json)
    try:
        result = export_org(connection.client, out, kinds=kinds or None, progress=bars)
    except ApiError as error:  # redacted by the client
        bars.close()
        org_unreadable(org, error)
    except ExportError as error:
        bars.close()
        raise click.UsageError(str(error)) from None
    finally:
        connection.close()
    bars.close()
    save_sarif(sarif, [], project)
    if as_json:
        click.echo(json.dumps({"exitCode": 0, "org": org, **result.to_dict()}, indent=2))
    else:
        for line in _summary(result):
            click.echo(line)
    sys.exit(0)


class _Bars:
    """The export's progress: one bar (or one closing line) per kind, as its reads go."""

    def __init__(self, *, quiet: bool) -> None:
        self._quiet = quiet
        self._kind: str | None = None
        self._done = 0
        self._current: Progress | None = None

    def __call__(self, step: ExportProgress) -> None:
        if step.kind != self._kind:
            self.close()
            self._kind, self._done = step.kind, 0
            self._current = Progress(f"{step.kind:<15}", bar=on_terminal(), quiet=self._quiet)
            self._current.start(step.total)
        assert self._current is not None
        self._current.advance(step.done - self._done)
        self._done = step.done
        if step.finished:
            self._current.line(
                f"{step.kind}: {step.resources} resource(s) read in {step.done} request(s)"
            )
            self.close()

    def close(self) -> None:
        """Finish the bar on screen, if any."""
        if self._current is not None:
            current, self._current = self._current, None
            current.close()


def _summary(result: ExportResult) -> list[str]:
    counts = ", ".join(f"{kind} {count}" for kind, count in result.counts.items())
    reads = result.requests - result.token_requests
    lines = [
        f"exported {sum(result.counts.values())} resource(s) to {result.out}: {counts}",
        f"requests: {result.requests} ({reads} reads, the contract's minimum being "
        f"{result.minimum_requests}; {result.token_requests} token); "
        f"{result.retried_after_429} answered 429 and were sent again after the wait",
    ]
    if result.renamed:
        lines.append(
            f"renamed: {len(result.renamed)} name(s) that collided once made valid "
            "got a suffix from their resource's id"
        )
    by_kind: dict[str, list[str]] = {}
    for item in result.left_out:
        by_kind.setdefault(item.kind, []).append(f"{item.pointer} ({item.reason})")
    for kind, fields in by_kind.items():
        lines.append(f"left out of {kind}: {', '.join(fields)}")
    if result.removed:
        lines.append(f"removed: {len(result.removed)} file(s) of resources no longer in the org")
    if result.carried:
        lines.append(f"kept: {len(result.carried)} file(s) the export does not own")
    return lines
