"""``validate`` (alias ``check``): the local checks, without pytest.

For pre-commit hooks, quick local checks and the benchmark's baseline: the same
engine, policy and rules as the pytest run, and the same SARIF.

``--baseline FILE`` judges the findings against a baseline file as
``--gc-baseline`` does, stage by stage (the engine's findings at ``validate``,
the contract check's at ``contract``, as ``suites/org/test_contract.py`` reports
them), so one file serves the pytest run and this command, and
``--baseline-update`` writes the bytes the pytest run writes for the same findings.
"""

from __future__ import annotations

import gc
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from genesys_compliance.cli._main import main
from genesys_compliance.cli._project import (
    Checked,
    Project,
    check_paths,
    finding_json,
    output_options,
    project_options,
    save_sarif,
)
from genesys_compliance.engine import Run
from genesys_compliance.reporting import summary_lines
from genesys_compliance.rules import (
    Baseline,
    BaselineError,
    Comparison,
    Finding,
    entries_of,
    read_baseline,
    write_baseline,
)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@project_options
@output_options
@click.option("--strict", is_flag=True, help="warnings fail too")
@click.option("--quiet", "-q", is_flag=True, help="print only the summary")
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="judge findings against the baseline FILE (as pytest's --gc-baseline): the ones "
    "in it are known and do not fail; FILE must exist unless --baseline-update is given",
)
@click.option(
    "--baseline-update",
    is_flag=True,
    help="(re)write the --baseline FILE with this run's findings, for what it checked; "
    "the run is still judged against the file as it was",
)
def validate(
    paths: tuple[Path, ...],
    root: Path | None,
    config_file: Path | None,
    as_json: bool,
    sarif: Path | None,
    strict: bool,
    quiet: bool,
    baseline: Path | None,
    baseline_update: bool,
) -> None:
    """Check configuration files and folders (alias: check).

    The local checks, without the org. With no PATHS, checks the folders of
    config-dirs in [tool.genesys-compliance] (else gc_config_dirs of
    [tool.pytest.ini_options], else ROOT/fixtures/configs). Custom rules named
    by the table's rules key run too, and the contract check of the pytest
    suites. Exits 0 when nothing fails, 1 on error findings
    (warnings too with --strict), 2 on a usage error: a bad policy, a path that
    does not exist, a file that is not .yaml, .yml or .json, a folder that
    holds no configuration file, or a --baseline FILE that is not a baseline
    or is missing (without --baseline-update).

    With --baseline, the findings the file holds are known: they do not fail and
    are shown as known, and entries no longer found are listed as fixed. Write
    the file with --baseline-update (that run still fails on its findings),
    review it and commit it; pytest's --gc-baseline reads the same file.

    \b
    Examples:
      genesys-compliance validate                     # the project's folders
      genesys-compliance check genesys/configs/layouts/agent.yaml --strict
      genesys-compliance validate --sarif reports/gc.sarif --json > findings.json
      genesys-compliance validate --baseline .gc-baseline.json --baseline-update
      genesys-compliance validate --baseline .gc-baseline.json   # CI: fail on new ones only
    """  # noqa: D301 (click's \b keeps the example lines as written)
    project = Project(root, config_file)
    accepted = _load_baseline(baseline, update=baseline_update)
    checked = check_paths(project, paths, strict=strict)
    settled: _Settled | None = None
    if baseline is not None and accepted is not None:
        checked = checked.judged(accepted)
        settled = _settle(checked, accepted, baseline, project, update=baseline_update)
    run, findings, failed = checked.run, checked.findings, checked.failed
    gc.freeze()  # lives to the exit: spare the shutdown's collections a walk of every document
    save_sarif(sarif, findings, project, baseline=None if settled is None else settled.sarif)
    if as_json:
        report = _json_report(run, findings, strict=strict, failed=failed)
        if settled is not None:
            report["counts"]["known"] = sum(1 for f in findings if f.known)
            report["baseline"] = settled.to_json()
        click.echo(json.dumps(report, indent=2))
    else:
        if not quiet:
            for finding in findings:
                click.echo(finding.render())
        click.echo(f"checked {len(run.entries)} configuration(s) in {len(run.files)} file(s)")
        for line in summary_lines(findings, strict=strict):
            click.echo(line)
        for line in [] if settled is None else settled.lines():
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


def _load_baseline(path: Path | None, *, update: bool) -> Baseline | None:
    """Read ``--baseline`` before any check, so a bad one stops the run at once (exit 2).

    A missing file is a usage error unless ``--baseline-update`` is given: a typo in
    the path or a file lost in a merge must not read as a baseline that knows
    nothing. The update then judges against an empty baseline, so its findings
    still fail. The checks and messages are the pytest run's (``Ledger.load_baseline``).
    """
    if path is None:
        if update:
            raise click.UsageError("--baseline-update needs --baseline FILE: the file to write")
        return None
    if not path.exists() and not path.is_symlink():
        if update:
            return Baseline()
        raise click.UsageError(
            f"--baseline: baseline file not found: {path} (write it with "
            "--baseline-update, review it and commit it)"
        )
    try:
        return read_baseline(path)
    except BaselineError as error:
        raise click.UsageError(
            f"--baseline: {error}; fix it, or delete it and write it again with --baseline-update"
        ) from None


@dataclass(frozen=True)
class _Settled:
    """The run against its baseline: the comparison and, with an update, what was written.

    Attributes:
        path: The baseline file as named on the command line (what every output says).
        comparison: Known and new counts, and the entries fixed.
        written: ``(entries written, entries the file had)``; ``None`` without an update.
    """

    path: Path
    comparison: Comparison
    written: tuple[int, int] | None

    @property
    def sarif(self) -> tuple[str, Comparison]:
        """What SARIF's ``baselineState`` and run properties are written from."""
        return (str(self.path), self.comparison)

    def lines(self) -> list[str]:
        """The summary's last lines, worded as the pytest run ends its own."""
        out = self.comparison.lines(str(self.path))
        if self.written is not None:
            out.append(
                f"baseline written to {self.path}: {self.written[0]} finding(s), "
                f"was {self.written[1]}; this run was judged against the file as it was"
            )
        return out

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` document's ``baseline``: SARIF's run properties, and what was written."""
        return {
            "file": str(self.path),
            "known": self.comparison.known,
            "new": self.comparison.new,
            "fixed": [entry.to_dict() for entry in self.comparison.fixed],
            "written": None
            if self.written is None
            else {"findings": self.written[0], "was": self.written[1]},
        }


def _settle(
    checked: Checked, baseline: Baseline, path: Path, project: Project, *, update: bool
) -> _Settled:
    """Compare the judged run with ``baseline``; with ``update``, rewrite the file.

    Only what this run checked is judged: the files read (and, at the contract
    stage, the files of their configurations), plus the entries whose file under
    the folders read is gone, so a narrower run keeps the other entries. Identical
    findings of one stage count once, as in the pytest run (whose ledger keeps one
    of each), so both write the same bytes. A file that cannot be written is a
    usage error (exit 2), raised before any output could say it was written.
    """
    staged = dict.fromkeys(checked.staged)
    found = [entry for stage, finding in staged for entry in entries_of([finding], stage)]
    scopes = checked.scopes() | baseline.missing_files(project.root, checked.folders)
    comparison = baseline.compare(found, scopes)
    if not update:
        return _Settled(path, comparison, None)
    rewritten = baseline.updated(found, scopes)
    try:
        write_baseline(path, rewritten)
    except OSError as error:
        raise click.UsageError(
            f"cannot write the baseline to {path}: {error.strerror or error}"
        ) from None
    return _Settled(path, comparison, (len(rewritten.entries), len(baseline.entries)))


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
