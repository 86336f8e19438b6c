"""What every command shares: the project (root, policy, rules), its files, findings and org.

The plugin finds a project through pytest's rootdir; the command line finds it
the same way users think of it, from the nearest ``pyproject.toml`` (SPEC 9),
so that a project's policy, folders and custom rules hold in both. The options
SPEC 9 gives every org command (``--org``, ``--json``, ``--sarif``) are
decorators here, so each command spells and documents them the same way.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from genesys_compliance.apply import Gate, gate
from genesys_compliance.config import (
    SUFFIXES,
    ParseLimits,
    SourceFile,
    discover,
    read_file,
    relative_path,
)
from genesys_compliance.connect import OrgConnection, connect_live, connect_mock
from genesys_compliance.contract import Contract
from genesys_compliance.engine import Run
from genesys_compliance.errors import ApiError, AuthError, CredentialsError, PolicyError
from genesys_compliance.kinds import builtin_registry
from genesys_compliance.orgrules import contract_findings
from genesys_compliance.reporting import write_sarif
from genesys_compliance.rules import (
    Baseline,
    Comparison,
    Finding,
    Policy,
    Registry,
    RuleContext,
    Scope,
    config_directories,
    find_pyproject,
    load_policy,
    pytest_ini_config_dirs,
    register_rule_modules,
)

__all__ = [
    "FAILED",
    "ORG_UNUSABLE",
    "Checked",
    "Project",
    "check_paths",
    "finding_json",
    "open_org",
    "org_options",
    "org_unreadable",
    "output_options",
    "project_options",
    "read_paths",
    "save_sarif",
    "shown",
    "staged_findings",
]

FAILED = 1
"""SPEC 9: error findings (warnings too with --strict), a failed gate, apply/failed."""
ORG_UNUSABLE = 4
"""SPEC 9: the org refused the credentials or could not be reached."""


class Project:
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
                    f"no paths given, and the default folder {shown(default)} does not exist; "
                    "name the configuration files or folders to check"
                )
            return [default]
        missing = [shown(folder) for folder in configured if not os.path.isdir(folder)]
        if missing:
            raise click.UsageError(
                f"no paths given, and the configured folder(s) {', '.join(missing)} "
                f"(config-dirs or gc_config_dirs in {shown(self.settings)}) do not exist"
            )
        return configured

    def id_folders(self) -> list[Path]:
        """The folders configuration ids are relative to in the pytest run; none if unreadable.

        ``config-dirs``, else ``gc_config_dirs``, else ROOT/fixtures/configs, as
        :meth:`default_paths` finds them but never an error: a path named inside one
        gets the id pytest gives it (``layouts/a.yaml::a``, not ``a.yaml::a``), so a
        finding's fingerprint, and a baseline, do not depend on what was named.
        """
        try:
            configured = config_directories(
                self.policy, self.settings.parent
            ) or pytest_ini_config_dirs(self.settings)
        except PolicyError:
            return []  # default_paths says why, when the folders are what is checked
        return configured or [self.root / "fixtures" / "configs"]


@dataclass(frozen=True)
class Checked:
    """The configurations a command was given, judged as the pytest run judges them.

    Attributes:
        run: The engine's run over the files.
        staged: Its findings and the contract check's, sorted, each with the stage
            that reports it in the pytest run (:func:`staged_findings`): a baseline
            matches a finding on its stage, so one file serves both.
        strict: Whether warnings fail.
        folders: The folders read, under which a baseline entry's deleted file is fixed.
    """

    run: Run
    staged: list[tuple[str, Finding]]
    strict: bool
    folders: tuple[Path, ...] = ()

    @property
    def findings(self) -> list[Finding]:
        """Every finding, sorted: what the reports show."""
        return [finding for _, finding in self.staged]

    def scopes(self) -> set[Scope]:
        """What this check judged, as a baseline counts it (``(stage, file)`` pairs).

        Every file read at ``validate``, and the file of every configuration at
        ``contract``: the pytest run has one contract test per configuration, and
        none for a file without one, so both claim the same scopes.
        """
        return {("validate", source.relpath) for source in self.run.files} | {
            ("contract", entry.file) for entry in self.run.entries
        }

    def judged(self, baseline: Baseline) -> Checked:
        """The same findings judged against ``baseline``, stage by stage: known ones marked.

        For the verdict and the reports only: :meth:`gate` of the unjudged findings
        is what plan and apply read, since a known error still keeps its
        configuration out of the org.
        """
        staged = list(self.staged)
        for stage in dict.fromkeys(stage for stage, _ in staged):
            at = [i for i, (of, _) in enumerate(staged) if of == stage]
            judged = baseline.judge([staged[i][1] for i in at], stage)
            for i, finding in zip(at, judged, strict=True):
                staged[i] = (stage, finding)
        return replace(self, staged=staged)

    @property
    def failed(self) -> bool:
        """Whether any finding fails: exit 1 for every command that checks."""
        return any(f.fails(strict=self.strict) for f in self.findings)

    def gate(self) -> Gate:
        """What plan and apply may touch: configurations none of whose findings fail.

        The contract check's findings keep a configuration out too, as a failed
        contract test does in the pytest run.
        """
        failed: dict[str, list[str]] = {}
        for finding in self.findings:
            if finding.config is not None and finding.fails(strict=self.strict):
                failed.setdefault(finding.config, []).append(finding.rule_id)
        return gate(self.run, strict=self.strict, failed=failed)


def check_paths(project: Project, paths: tuple[Path, ...], *, strict: bool) -> Checked:
    """Read ``paths`` (or the project's folders) and judge them: the start of every org command."""
    policy = project.policy
    named = list(paths) or project.default_paths()
    folders = project.id_folders() if paths else named
    files = read_paths(named, project.root, policy.parse_limits, folders)
    run = Run(files=files, registry=project.registry, context=RuleContext(policy=policy))
    read = tuple(path for path in named if os.path.isdir(path))
    return Checked(run, staged_findings(run, policy), strict, read)


def finding_json(finding: Finding) -> dict[str, Any]:
    """One finding in every ``--json`` document (the names SARIF and the summary use)."""
    return {
        "rule": finding.rule_id,
        "severity": finding.severity,
        "file": finding.file,
        "line": finding.line,
        "message": finding.message,
        "waived": finding.waived is not None,
        "waiverReason": finding.waived,
        "waiverOwner": finding.waiver_owner,
        "known": finding.known,
        "config": finding.config,
        "pointer": finding.pointer,
    }


def save_sarif(
    path: Path | None,
    findings: list[Finding],
    project: Project,
    *,
    baseline: tuple[str, Comparison] | None = None,
) -> None:
    """Write ``--sarif`` when asked; a path that cannot be written is a usage error (exit 2).

    ``baseline`` is the baseline file as named and the run's comparison with it,
    for each result's ``baselineState`` and the run's properties, as the pytest run
    writes them.
    """
    if path is None:
        return
    try:
        write_sarif(path, findings, project.registry, project.root, baseline=baseline)
    except OSError as error:
        raise click.UsageError(f"cannot write SARIF to {path}: {error.strerror or error}") from None


def staged_findings(run: Run, policy: Policy) -> list[tuple[str, Finding]]:
    """The engine's findings plus the contract check's, as the pytest suites report them.

    The contract is a local document, so the command line runs the same check as
    ``suites/org/test_contract.py``; both count the same findings. Each carries the
    stage its pytest test reports it under (``validate``, and ``contract`` for the
    contract check's), sorted by finding, the engine's first among equals.
    """
    try:
        contract = Contract.load(policy.endpoints)
    except PolicyError as error:
        raise click.UsageError(str(error)) from None
    staged = [("validate", finding) for finding in run.all_findings()]
    for entry in run.entries:
        found = contract_findings(entry, contract, run.registry, covered=run.check(entry))
        staged += [("contract", finding) for finding in found]
    staged.sort(key=lambda item: item[1].sort_key())
    return staged


def read_paths(
    paths: list[Path], root: Path, limits: ParseLimits, folders: Sequence[Path] = ()
) -> list[SourceFile]:
    """Read every file named and every configuration file under every folder named.

    Each path given must yield something: a folder without configuration files
    or a file of another type is a usage error, not a clean run. A file reached
    twice is read once. A path inside one of ``folders`` (the project's, see
    :meth:`Project.id_folders`) is labelled relative to it, as the pytest run
    labels it; any other relative to the folder named, or to the root for a file.
    """
    files: dict[str, SourceFile] = {}
    for path in paths:
        within = _within(path, folders)
        if os.path.isdir(path):
            prefix = "" if within in (None, ".") else f"{within}/"
            found = [
                read_file(each, relpath, prefix + label, limits)
                for each, relpath, label in discover([path], root)
            ]
            if not found:
                raise click.UsageError(
                    f"no configuration files ({', '.join(SUFFIXES)}) under {shown(path)}"
                )
            for source in found:
                files.setdefault(source.relpath, source)
        elif not os.path.lexists(path):
            raise click.UsageError(f"{shown(path)}: no such file or folder")
        elif path.suffix.lower() not in SUFFIXES:
            raise click.UsageError(
                f"{shown(path)} is not a configuration file: "
                f"expected a name ending in {', '.join(SUFFIXES)}"
            )
        else:
            relpath = relative_path(path, root)
            if relpath not in files:
                files[relpath] = read_file(path, relpath, within or relpath, limits)
    return list(files.values())


def _within(path: Path, folders: Sequence[Path]) -> str | None:
    """``path`` relative to the first of ``folders`` holding it (``.`` for one of them).

    The first, as the pytest run labels a file reached through two folders by the
    first; ``None`` when none holds it.
    """
    for folder in folders:
        inside = relative_path(path, folder)
        if not os.path.isabs(inside):  # relative_path falls back to an absolute path
            return inside
    return None


def shown(path: Path) -> str:
    """An absolute path for messages, the link itself rather than its target."""
    return os.path.abspath(path)


_F = TypeVar("_F", bound=Callable[..., Any])


def project_options(command: _F) -> _F:
    """``--root`` and ``--config``: which project, and which policy file, a command works on."""
    command = click.option(
        "--config",
        "config_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="read the policy from this file instead of ROOT/pyproject.toml",
    )(command)
    return click.option(
        "--root",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        default=None,
        help="project root: reports paths relative to it and reads its pyproject.toml "
        "[default: the folder of the nearest pyproject.toml, else .]",
    )(command)


def org_options(command: _F) -> _F:
    """``--org`` and ``--seed``, which every org command takes (SPEC 9)."""
    command = click.option(
        "--seed",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        default=None,
        help="the simulated org's data, for --org mock [default: ROOT/fixtures/org]",
    )(command)
    return click.option(
        "--org",
        type=click.Choice(["mock", "live"]),
        default="mock",
        show_default=True,
        help="mock: a simulated org in this process, seeded from --seed; live: the org named "
        "by GENESYSCLOUD_OAUTHCLIENT_ID, GENESYSCLOUD_OAUTHCLIENT_SECRET and "
        "GENESYSCLOUD_REGION (or GENESYSCLOUD_API_BASE_URL, e.g. a served simulated org)",
    )(command)


def output_options(command: _F) -> _F:
    """``--json`` and ``--sarif PATH``, which every org command takes (SPEC 9)."""
    command = click.option(
        "--sarif",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="also write the findings as SARIF 2.1.0 to this file",
    )(command)
    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        help="print one JSON document on standard output instead of the text",
    )(command)


def open_org(org: str, seed: Path | None, project: Project) -> OrgConnection:
    """The org a command talks to, authenticated; exit 4 (SPEC 9) when it cannot be used.

    Credentials are tried before any work, so a nightly job whose secrets were
    lost stops at once with exit 4, not on its first read. Messages name the
    variables, never a value; the client redacts what the org answers.
    """
    endpoints = dict(project.policy.endpoints)
    try:
        if org == "live":
            connection = connect_live(endpoints=endpoints)
        else:
            data = seed or project.root / "fixtures" / "org"
            if not os.path.isdir(data):
                raise click.UsageError(
                    f"no simulated org data at {shown(data)}; name a seed folder with --seed"
                )
            connection = connect_mock(data, endpoints=endpoints)
    except CredentialsError as error:
        _unusable(f"--org live: {error}")
    try:
        connection.client.authenticate()
    except AuthError as error:
        connection.close()
        _unusable(
            f"the {org} org refused the credentials: {error} (check "
            "GENESYSCLOUD_OAUTHCLIENT_ID and GENESYSCLOUD_OAUTHCLIENT_SECRET)"
        )
    except ApiError as error:
        connection.close()
        _unusable(f"the {org} org could not be reached: {error}")
    return connection


def org_unreadable(org: str, error: ApiError) -> NoReturn:
    """Exit 4 for an org that answered a read with an error (redacted by the client)."""
    _unusable(f"the {org} org could not be read: {error}")


def _unusable(message: str) -> NoReturn:
    click.echo(f"genesys-compliance: {message}", err=True)
    sys.exit(ORG_UNUSABLE)
