"""Command line over the same layers as the pytest plugin.

``validate`` (alias ``check``) runs the rule engine without pytest (pre-commit
hooks, quick local checks, the benchmark's baseline); ``rules`` prints the
catalogue, and ``rules --update README.md`` regenerates the README's copy of it.
Exit codes follow SPEC section 9: 0 nothing failed, 1 error findings, 2 usage
error (including "no configuration found where one was asked for").
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from genesys_compliance.config import (
    SUFFIXES,
    ParseLimits,
    SourceFile,
    load_files,
    read_file,
    relative_path,
)
from genesys_compliance.contract import Contract
from genesys_compliance.engine import Run
from genesys_compliance.errors import PolicyError
from genesys_compliance.kinds import builtin_registry
from genesys_compliance.orgrules import contract_findings
from genesys_compliance.reporting import (
    catalogue_markdown,
    replace_catalogue,
    summary_lines,
    write_sarif,
)
from genesys_compliance.rules import Finding, Policy, RuleContext, load_policy


@click.group()
@click.version_option(package_name="genesys-compliance")
def main() -> None:
    """Check Genesys Cloud configuration kept as code."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="project root: reports paths relative to it and reads its pyproject.toml",
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
    root: Path,
    config_file: Path | None,
    sarif: Path | None,
    strict: bool,
    quiet: bool,
    as_json: bool,
) -> None:
    """Check configuration files and folders (alias: check).

    With no PATHS, checks ROOT/fixtures/configs. Exits 0 when nothing fails,
    1 on error findings (warnings too with --strict), 2 on a usage error: a
    path that does not exist, a file that is not .yaml, .yml or .json, or a
    folder that holds no configuration file.
    """
    try:
        policy = load_policy(config_file or root / "pyproject.toml")
    except (PolicyError, OSError) as error:
        raise click.UsageError(str(error)) from None
    files = _read_paths(list(paths), root, policy.parse_limits)
    run = Run(files=files, registry=builtin_registry(), context=RuleContext(policy=policy))
    findings = _all_findings(run, policy)
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


def _all_findings(run: Run, policy: Policy) -> list[Finding]:
    """The engine's findings plus the contract check's, as the pytest suites report them.

    The contract is a local document, so the command line runs the same check as
    ``suites/test_contract.py``; both count the same findings.
    """
    try:
        contract = Contract.load(policy.endpoints)
    except PolicyError as error:
        raise click.UsageError(str(error)) from None
    findings = run.all_findings()
    for entry in run.entries:
        findings += contract_findings(entry, contract, run.registry, covered=run.check(entry))
    findings.sort(key=Finding.sort_key)
    return findings


main.add_command(
    click.Command(
        "check",
        callback=validate.callback,
        params=validate.params,
        help=validate.help,
        short_help="Alias of validate.",
    )
)


def _read_paths(paths: list[Path], root: Path, limits: ParseLimits) -> list[SourceFile]:
    """Read every file named and every configuration file under every folder named.

    Each path given must yield something: a missing default folder, a folder
    without configuration files or a file of another type is a usage error, not
    a clean run. A file reached twice is read once.
    """
    if not paths:
        default = root / "fixtures" / "configs"
        if not os.path.isdir(default):
            raise click.UsageError(
                f"no paths given, and the default folder {_shown(default)} does not exist; "
                "name the configuration files or folders to check"
            )
        paths = [default]
    files: dict[str, SourceFile] = {}
    for path in paths:
        if os.path.isdir(path):
            found = load_files([path], root, limits)
            if not found:
                raise click.UsageError(
                    f"no configuration files ({', '.join(SUFFIXES)}) under {_shown(path)}"
                )
            for source in found:
                files.setdefault(source.relpath, source)
        elif not os.path.lexists(path):
            raise click.UsageError(f"{_shown(path)}: no such file or folder")
        elif path.suffix.lower() not in SUFFIXES:
            raise click.UsageError(
                f"{_shown(path)} is not a configuration file: "
                f"expected a name ending in {', '.join(SUFFIXES)}"
            )
        else:
            relpath = relative_path(path, root)
            if relpath not in files:
                files[relpath] = read_file(path, relpath, relpath, limits)
    return list(files.values())


def _shown(path: Path) -> str:
    """An absolute path for messages, the link itself rather than its target."""
    return os.path.abspath(path)


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
