"""Command line over the same layers as the pytest plugin.

``validate`` (alias ``check``) runs the rule engine without pytest (pre-commit
hooks, quick local checks, the benchmark's baseline); ``rules`` prints the
catalogue, and ``rules --update README.md`` regenerates the README's copy of it.
Both find the project as the plugin does: the nearest ``pyproject.toml`` (SPEC 9),
its policy, its ``config-dirs`` and its custom ``rules``
(:mod:`genesys_compliance.rules._project`), so a project's custom rules and
folders hold on the command line as under pytest.
Exit codes follow SPEC section 9: 0 nothing failed, 1 error findings, 2 usage
error (including "no configuration found where one was asked for").
"""

from __future__ import annotations

import gc
import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from genesys_compliance.apply import build_plan, gate, render_plan
from genesys_compliance.audit import AuditError, Verification, verify
from genesys_compliance.config import (
    SUFFIXES,
    ParseLimits,
    SourceFile,
    load_files,
    read_file,
    relative_path,
)
from genesys_compliance.connect import connect_live, connect_mock
from genesys_compliance.contract import Contract
from genesys_compliance.engine import Run
from genesys_compliance.errors import ApiError, CredentialsError, PolicyError
from genesys_compliance.kinds import builtin_registry
from genesys_compliance.orgrules import contract_findings
from genesys_compliance.reporting import (
    catalogue_markdown,
    replace_catalogue,
    summary_lines,
    write_sarif,
)
from genesys_compliance.reporting.allure_html import ReportError, ReportUsageError, generate_report
from genesys_compliance.rules import (
    Finding,
    Policy,
    Registry,
    RuleContext,
    config_directories,
    find_pyproject,
    load_policy,
    pytest_ini_config_dirs,
    register_rule_modules,
)


@click.group()
@click.version_option(package_name="genesys-compliance")
def main() -> None:
    """Check Genesys Cloud configuration kept as code."""


class _Project:
    """The project a command works on: its root, settings file, policy and rules.

    Without ``--root``, the root is the folder of the nearest ``pyproject.toml``
    above the working directory (the working directory when there is none), so
    a command run from a subfolder reports paths as pytest does, from the root.
    """

    def __init__(self, root: Path | None, config_file: Path | None) -> None:
        if root is None:
            found = find_pyproject(Path.cwd())
            root = found.parent if found is not None else Path(".")
        self.root = root
        self.settings = config_file or root / "pyproject.toml"
        try:
            self.policy: Policy = load_policy(self.settings)
            self.registry: Registry = builtin_registry()
            register_rule_modules(self.registry, self.policy.rules, self.settings.parent)
        except (PolicyError, OSError) as error:
            raise click.UsageError(str(error)) from None

    def default_paths(self) -> list[Path]:
        """The folders to check when none are named: configured, else ROOT/fixtures/configs.

        ``config-dirs`` first, then the pytest ini's ``gc_config_dirs`` of the same
        file (the order the plugin takes them in); each folder must exist.
        """
        try:
            configured = config_directories(
                self.policy, self.settings.parent
            ) or pytest_ini_config_dirs(self.settings)
        except PolicyError as error:
            raise click.UsageError(str(error)) from None
        if not configured:
            default = self.root / "fixtures" / "configs"
            if not os.path.isdir(default):
                raise click.UsageError(
                    f"no paths given, and the default folder {_shown(default)} does not exist; "
                    "name the configuration files or folders to check"
                )
            return [default]
        missing = [_shown(folder) for folder in configured if not os.path.isdir(folder)]
        if missing:
            raise click.UsageError(
                f"no paths given, and the configured folder(s) {', '.join(missing)} "
                f"(config-dirs or gc_config_dirs in {_shown(self.settings)}) do not exist"
            )
        return configured


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="project root: reports paths relative to it and reads its pyproject.toml "
    "[default: the folder of the nearest pyproject.toml, else .]",
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
    root: Path | None,
    config_file: Path | None,
    sarif: Path | None,
    strict: bool,
    quiet: bool,
    as_json: bool,
) -> None:
    """Check configuration files and folders (alias: check).

    With no PATHS, checks the folders of config-dirs in [tool.genesys-compliance]
    (else gc_config_dirs of [tool.pytest.ini_options], else ROOT/fixtures/configs).
    Custom rules named by the table's rules key run too. Exits 0 when nothing
    fails, 1 on error findings (warnings too with --strict), 2 on a usage error:
    a bad policy, a path that does not exist, a file that is not .yaml, .yml or
    .json, or a folder that holds no configuration file.
    """
    project = _Project(root, config_file)
    root, policy = project.root, project.policy
    files = _read_paths(list(paths) or project.default_paths(), root, policy.parse_limits)
    run = Run(files=files, registry=project.registry, context=RuleContext(policy=policy))
    gc.freeze()  # lives to the exit: spare the shutdown's collections a walk of every document
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
    ``suites/org/test_contract.py``; both count the same findings.
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

    Each path given must yield something: a folder without configuration files
    or a file of another type is a usage error, not a clean run. A file reached
    twice is read once.
    """
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
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="read the custom rules from this file instead of the nearest pyproject.toml",
)
def rules(fmt: str, update: Path | None, config_file: Path | None) -> None:
    """Print the rule catalogue, generated from the registry (custom rules included)."""
    registry = _Project(None, config_file).registry
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


_ORG_UNUSABLE = 4
"""SPEC 9: the org refused the credentials or could not be reached."""


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
    "--org",
    type=click.Choice(["mock", "live"]),
    default="mock",
    show_default=True,
    help="the simulated org (seeded from --seed) or the live org named by GENESYSCLOUD_* "
    "variables; a plan only reads",
)
@click.option(
    "--seed",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="the simulated org's data [default: ROOT/fixtures/org]",
)
@click.option(
    "--root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="project root [default: the folder of the nearest pyproject.toml, else .]",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="read the policy from this file instead of ROOT/pyproject.toml",
)
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
    project = _Project(root, config_file)
    root, policy = project.root, project.policy
    files = _read_paths(list(paths) or project.default_paths(), root, policy.parse_limits)
    run = Run(files=files, registry=project.registry, context=RuleContext(policy=policy))
    findings = _all_findings(run, policy)
    failed: dict[str, list[str]] = {}
    for finding in findings:
        if finding.config is not None and finding.fails(strict=strict):
            failed.setdefault(finding.config, []).append(finding.rule_id)
    endpoints = dict(policy.endpoints)
    try:
        if org == "live":
            connection = connect_live(endpoints=endpoints)
        else:
            connection = connect_mock(seed or root / "fixtures" / "org", endpoints=endpoints)
    except CredentialsError as error:  # names the variables, never a value
        click.echo(f"genesys-compliance: --org live: {error}", err=True)
        sys.exit(_ORG_UNUSABLE)
    try:
        made = build_plan(connection.client, gate(run, strict=strict, failed=failed))
    except ApiError as error:  # redacted by the client
        click.echo(f"genesys-compliance: the {org} org could not be read: {error}", err=True)
        sys.exit(_ORG_UNUSABLE)
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


@main.group()
def audit() -> None:
    """Check the audit log the apply stage writes (SPEC 7)."""


def _head_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A head is a SHA-256: 64 hex digits, compared in lowercase."""
    if value is None:
        return None
    head = value.strip().lower()
    if len(head) != 64 or any(c not in "0123456789abcdef" for c in head):
        raise click.BadParameter(f"{value!r} is not a SHA-256 (64 hex digits)")
    return head


@audit.command("verify")
@click.argument("directory", metavar="DIR", type=click.Path(path_type=Path))
@click.option(
    "--public-key",
    metavar="PEM",
    type=click.Path(path_type=Path),
    help="Ed25519 public key (PEM) that checks the checkpoints' signatures",
)
@click.option(
    "--head",
    metavar="SHA256",
    callback=_head_option,
    help="a checkpoint head kept outside the log (the apply.completed webhook's): "
    "some checkpoint must carry it",
)
@click.option("--json", "as_json", is_flag=True, help="print one JSON document instead of the text")
def audit_verify(directory: Path, public_key: Path | None, head: str | None, as_json: bool) -> None:
    """Verify DIR/audit.jsonl: its hash chain, checkpoint signatures and head.

    Reads every line and stops at the first record that cannot be trusted,
    naming its seq, its line and what happened to it: edited, removed,
    inserted, reordered, torn by a crash, not JSON, a bad signature, or (with
    --head) a log cut short or replaced. DIR may also be the file itself.

    Signed checkpoints need --public-key: a signature that was not checked is
    not passed as good. With it, every checkpoint from the first signed one on
    must be signed by that key.

    Exits 0 when the log is whole and every signature good, 1 naming the first
    bad seq, 2 on a usage error (no such DIR or file, an unreadable key, a
    malformed head).

    \b
    Examples:
      genesys-compliance audit verify reports/audit --public-key audit.pub.pem
      # with the head of the last apply.completed webhook, kept by its receiver:
      genesys-compliance audit verify reports/audit --head "$(cat head.txt)"
    """  # noqa: D301 (click's \b keeps the examples' lines as written)
    try:
        result = verify(directory, public_key=public_key, head=head)
    except AuditError as error:
        raise click.UsageError(str(error)) from None
    if as_json:
        click.echo(json.dumps(_verification_json(result), indent=2))
    else:
        click.echo(result.summary())
    if not result.ok:
        sys.exit(1)


def _verification_json(result: Verification) -> dict[str, Any]:
    """The ``audit verify --json`` document: the counts and the first problem, if any."""
    problem = result.problem
    return {
        "exitCode": 0 if problem is None else 1,
        "file": str(result.path),
        "records": result.records,
        "runs": result.runs,
        "checkpoints": result.checkpoints,
        "signaturesChecked": result.signatures_checked,
        "unsignedCheckpoints": result.unsigned_checkpoints,
        "afterLastCheckpoint": result.uncovered,
        "head": result.head,
        "problem": None
        if problem is None
        else {
            "seq": problem.seq,
            "line": problem.line,
            "kind": problem.kind,
            "message": problem.message,
        },
    }


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


if __name__ == "__main__":  # pragma: no cover
    main()
