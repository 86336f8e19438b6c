"""Run a GitHub Actions workflow of ``examples/ci/github/`` on this machine, step by step.

The workflows are written for GitHub's runners; this module runs the same
files, unchanged, in a temporary copy of a user's project, so that a test can
show each one does what it says against the simulated org served over HTTP.
What GitHub would do and this runner does instead:

Executed as written
    Every ``run:`` step except the replaced ones below: with ``bash -e`` (the
    shell GitHub uses when a step names none), in the project folder, with the
    environment GitHub gives a step: the workflow's, the job's and the step's
    ``env:`` (expressions resolved), ``CI=true``, ``GITHUB_*`` and ``RUNNER_*``
    (``GITHUB_STEP_SUMMARY`` collected into the job's summary). ``PATH`` starts
    with this interpreter's ``bin/``, so ``python``, ``pytest`` and
    ``genesys-compliance`` are the checkout under test.

Expressions
    ``${{ secrets.X }}`` is the job's environment secret X if the job names an
    environment that has one, else the repository secret X (GitHub's
    precedence); ``${{ vars.X }}``, ``${{ env.X }}``, ``${{ github.* }}`` (run id
    and attempt, event name, pull request number, ref, sha, a stand-in token)
    and ``${{ runner.os }}`` are local values. Anything else is refused, so a
    typo cannot resolve to an empty string unseen. ``if:`` conditions know
    ``success()``, ``failure()``, ``always()``, ``!cancelled()`` and
    ``github.event_name ==``/``!=`` (with GitHub's implicit ``success() &&``).

Stand-ins added to every ``run:`` step
    ``GENESYSCLOUD_API_BASE_URL``, ``GENESYSCLOUD_LOGIN_BASE_URL`` (the served
    simulated org in place of the region's hosts; the region itself still
    resolves) and ``GENESYSCLOUD_REQUESTS_PER_MINUTE`` (the org's rate limit,
    so the client's even spacing does not make the test wait). Then
    ``overrides``: variables a test sets over the workflow's own (the nightly
    test lowers ``HYPOTHESIS_PROFILE`` from ``nightly`` to ``dev``).

Replaced ``run:`` steps (they install, or talk to GitHub)
    ``pip install -r FILE``: not run (the packages are this environment's); the
    file must exist and pin ``genesys-compliance==`` the version installed here.
    ``npm ci``: not run (no network); ``package.json`` and
    ``package-lock.json`` must pin ``allure-commandline``, and ``node_modules``
    is linked from the repository, where ``npm ci`` must have been run (the
    step fails saying so otherwise). ``gh pr comment N --body-file F``: not
    sent; ``F`` must exist, and its text is kept as the posted comment.

``uses:`` steps (never executed: they are GitHub's code)
    Each must be a known action at the major version these examples were
    checked against, with only inputs that action declares and every input it
    requires. ``actions/checkout``: the project folder is the checkout.
    ``actions/setup-python``/``setup-node``: this machine's. ``actions/setup-java``:
    ``java`` must be on ``PATH`` (the step fails otherwise, loudly).
    ``actions/cache/restore``/``save``: a cache kept by the runner across the
    runs of one test: restore takes the exact key, else the newest entry whose
    key starts with a ``restore-keys`` line; save stores the path (a missing
    path is a warning, as on GitHub). ``actions/upload-artifact``: every named
    path is recorded with whether it exists; none existing fails the step under
    ``if-no-files-found: error``; the files are kept under the artifact's name,
    relative to the paths' least common ancestor, as the action does.
    ``actions/download-artifact``: copies a kept artifact to ``path``.
    ``github/codeql-action/upload-sarif``: ``sarif_file`` must exist and be a
    SARIF 2.1.0 log; it is recorded with its category.

Jobs
    In ``needs`` order; a job whose ``if:`` is false, or whose needed job
    failed, is skipped. A job's ``environment`` counts as approved: the
    approval is GitHub's, and ``before_job`` lets a test act in the time the
    approval would take (a colleague changing the org meanwhile).

:func:`structure_problems` checks a workflow without running it: least
privilege, secrets only by reference, one command per step, known actions
and inputs, conditions the runner understands.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "ci"
WORKFLOWS = EXAMPLES / "github"

# Each action the examples use, at the major version they were checked against, with the
# inputs its action.yml declares at that version (and those it requires).
ACTIONS: Mapping[str, tuple[str, frozenset[str], frozenset[str]]] = {
    "actions/checkout": (
        "v7",
        frozenset(
            [
                "allow-unsafe-pr-checkout",
                "clean",
                "fetch-depth",
                "fetch-tags",
                "filter",
                "github-server-url",
                "lfs",
                "path",
                "persist-credentials",
                "ref",
                "repository",
                "set-safe-directory",
                "show-progress",
                "sparse-checkout",
                "sparse-checkout-cone-mode",
                "ssh-key",
                "ssh-known-hosts",
                "ssh-strict",
                "ssh-user",
                "submodules",
                "token",
            ]
        ),
        frozenset(),
    ),
    "actions/setup-python": (
        "v7",
        frozenset(
            [
                "allow-prereleases",
                "architecture",
                "cache",
                "cache-dependency-path",
                "check-latest",
                "freethreaded",
                "pip-version",
                "python-version",
                "python-version-file",
                "token",
                "update-environment",
            ]
        ),
        frozenset(),
    ),
    "actions/setup-java": (
        "v5",
        frozenset(
            [
                "architecture",
                "cache",
                "cache-dependency-path",
                "check-latest",
                "distribution",
                "gpg-passphrase",
                "gpg-private-key",
                "java-package",
                "java-version",
                "java-version-file",
                "jdk-file",
                "job-status",
                "mvn-toolchain-id",
                "mvn-toolchain-vendor",
                "overwrite-settings",
                "server-id",
                "server-password",
                "server-username",
                "set-default",
                "settings-path",
                "show-download-progress",
                "token",
                "verify-signature",
                "verify-signature-public-key",
            ]
        ),
        frozenset({"distribution"}),  # no default: the action fails without one
    ),
    "actions/setup-node": (
        "v7",
        frozenset(
            [
                "architecture",
                "cache",
                "cache-dependency-path",
                "check-latest",
                "mirror",
                "mirror-token",
                "node-version",
                "node-version-file",
                "package-manager-cache",
                "registry-url",
                "scope",
                "token",
            ]
        ),
        frozenset(),
    ),
    "actions/cache/restore": (
        "v5",
        frozenset(
            [
                "enableCrossOsArchive",
                "fail-on-cache-miss",
                "key",
                "lookup-only",
                "path",
                "restore-keys",
            ]
        ),
        frozenset({"key", "path"}),
    ),
    "actions/cache/save": (
        "v5",
        frozenset(["enableCrossOsArchive", "key", "path", "upload-chunk-size"]),
        frozenset({"key", "path"}),
    ),
    "actions/upload-artifact": (
        "v7",
        frozenset(
            [
                "archive",
                "compression-level",
                "if-no-files-found",
                "include-hidden-files",
                "name",
                "overwrite",
                "path",
                "retention-days",
            ]
        ),
        frozenset({"path"}),
    ),
    "actions/download-artifact": (
        "v8",
        frozenset(
            [
                "artifact-ids",
                "digest-mismatch",
                "github-token",
                "merge-multiple",
                "name",
                "path",
                "pattern",
                "repository",
                "run-id",
                "skip-decompress",
            ]
        ),
        frozenset(),
    ),
    "github/codeql-action/upload-sarif": (
        "v4",
        frozenset(
            [
                "category",
                "checkout_path",
                "matrix",
                "ref",
                "sarif_file",
                "sha",
                "token",
                "wait-for-processing",
            ]
        ),
        frozenset(),  # wait-for-processing is "required" but has a default
    ),
}
SECRET_NAMES = frozenset({"GENESYSCLOUD_OAUTHCLIENT_ID", "GENESYSCLOUD_OAUTHCLIENT_SECRET"})
"""The only secrets the workflows may name: SPEC 5's credential variables."""
STAND_IN_TOKEN = "ghs_local-stand-in-token"

_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_SECRET_REF = re.compile(r"^\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$")
_CREDENTIAL_KEY = re.compile(r"SECRET|TOKEN|PASSWORD|PRIVATE|API_?KEY", re.IGNORECASE)
_LOOKS_SECRET = re.compile(
    r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"  # a JWT
    r"|[Bb]earer\s+[A-Za-z0-9._~+/-]{16,}"  # a bearer token
    r"|gh[pousr]_[A-Za-z0-9]{20,}"  # a GitHub token
)
_COMPOUND = re.compile(r"&&|\|\||;|\||`|\$\(")
_INSTALL = re.compile(r"^(?:python3? -m )?pip3? install\b")
_STATUS = {"success()", "failure()", "always()", "!cancelled()", "cancelled()"}
_WRITES_FOR = {"security-events": "upload-sarif", "pull-requests": "gh pr comment"}


class RunnerError(Exception):
    """The workflow asks for something this runner cannot do faithfully."""


# ---------------------------------------------------------------- the workflow as data


@dataclass(frozen=True)
class Step:
    """One step of a job, as written."""

    name: str
    run: str | None
    uses: str | None
    with_: Mapping[str, Any]
    env: Mapping[str, Any]
    if_: str | None


@dataclass(frozen=True)
class Job:
    """One job, as written."""

    id: str
    permissions: Any
    environment: str | None
    needs: tuple[str, ...]
    if_: str | None
    env: Mapping[str, Any]
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Workflow:
    """A workflow file: its triggers, permissions, environment and jobs in file order."""

    path: Path
    text: str
    name: str
    on: Mapping[str, Any]
    permissions: Any
    env: Mapping[str, Any]
    jobs: Mapping[str, Job]


def load_workflow(path: Path) -> Workflow:
    """Parse a workflow file (YAML 1.1 reads a bare ``on:`` key as ``True``; taken back)."""
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise RunnerError(f"{path}: not a mapping")
    on = data.get("on", data.get(True))
    if isinstance(on, str):
        on = {on: None}
    elif isinstance(on, list):
        on = dict.fromkeys(on)
    jobs = {}
    for job_id, job in (data.get("jobs") or {}).items():
        environment = job.get("environment")
        if isinstance(environment, dict):
            environment = environment.get("name")
        needs = job.get("needs") or ()
        steps = tuple(
            Step(
                name=str(s.get("name") or s.get("uses") or s.get("run", "")).strip(),
                run=s.get("run"),
                uses=s.get("uses"),
                with_=s.get("with") or {},
                env=s.get("env") or {},
                if_=_text_or_none(s.get("if")),
            )
            for s in job.get("steps") or ()
        )
        jobs[job_id] = Job(
            id=job_id,
            permissions=job.get("permissions"),
            environment=environment,
            needs=(needs,) if isinstance(needs, str) else tuple(needs),
            if_=_text_or_none(job.get("if")),
            env=job.get("env") or {},
            steps=steps,
        )
    return Workflow(
        path=path,
        text=text,
        name=str(data.get("name", path.stem)),
        on=on or {},
        permissions=data.get("permissions"),
        env=data.get("env") or {},
        jobs=jobs,
    )


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


# ---------------------------------------------------------------- structure


def structure_problems(workflow: Workflow, forbidden: Iterable[str] = ()) -> list[str]:
    """What is wrong with the workflow as a file, before anything runs; empty when nothing is.

    Args:
        workflow: The parsed file.
        forbidden: Values that must not appear anywhere in its text (the credentials
            of the org the tests use).
    """
    problems: list[str] = []
    problems += _permission_problems(workflow)
    problems += _secret_problems(workflow, forbidden)
    for job in workflow.jobs.values():
        for step in job.steps:
            where = f"{job.id}: step {step.name!r}"
            if (step.run is None) == (step.uses is None):
                problems.append(f"{where}: needs exactly one of run and uses")
            if step.run is not None:
                command = step.run.strip()
                if "\n" in command or _COMPOUND.search(command):
                    problems.append(f"{where}: a run step is one command: {command!r}")
            if step.uses is not None:
                problems += [f"{where}: {p}" for p in _uses_problems(step)]
            for condition in (step.if_, job.if_):
                if condition is not None:
                    try:
                        _parse_condition(condition)
                    except RunnerError as error:
                        problems.append(f"{where}: {error}")
    return problems


def _permission_problems(workflow: Workflow) -> list[str]:
    problems = []
    top = workflow.permissions
    if not isinstance(top, dict) or top.get("contents") != "read":
        problems.append(f"top-level permissions must be a mapping with contents: read, not {top!r}")
    elif any(v == "write" for v in top.values()):
        problems.append(f"top-level permissions grant a write: {top!r}")
    for job in workflow.jobs.values():
        granted = job.permissions
        if not isinstance(granted, dict) or granted.get("contents") != "read":
            problems.append(f"{job.id}: permissions must name contents: read, not {granted!r}")
            continue
        for scope, level in granted.items():
            if level not in ("read", "write", "none"):
                problems.append(f"{job.id}: permission {scope}: {level!r}")
            if level != "write":
                continue
            needed_by = _WRITES_FOR.get(scope)
            if needed_by is None:
                problems.append(f"{job.id}: {scope}: write is not needed by any step here")
            elif not any(needed_by in (s.uses or s.run or "") for s in job.steps):
                problems.append(f"{job.id}: {scope}: write without a {needed_by} step")
        for scope, needed_by in _WRITES_FOR.items():
            used = any(needed_by in (s.uses or s.run or "") for s in job.steps)
            if used and granted.get(scope) != "write":
                problems.append(f"{job.id}: a {needed_by} step needs {scope}: write")
    return problems


def _secret_problems(workflow: Workflow, forbidden: Iterable[str]) -> list[str]:
    problems = []
    for value in forbidden:
        if value and value in workflow.text:
            problems.append("the file holds a credential of the org in clear text")
    if _LOOKS_SECRET.search(workflow.text):
        problems.append("the file holds something shaped like a token")
    if "secrets: inherit" in workflow.text:
        problems.append("secrets: inherit hands every secret on")
    envs: list[tuple[str, Mapping[str, Any]]] = [("workflow env", workflow.env)]
    places: list[tuple[str, Any]] = []
    for job in workflow.jobs.values():
        envs.append((f"{job.id} env", job.env))
        places.append((f"{job.id} if", job.if_))
        for step in job.steps:
            envs.append((f"{job.id}: step {step.name!r} env", step.env))
            places += [
                (f"{job.id}: step {step.name!r} run", step.run),
                (f"{job.id}: step {step.name!r} with", json.dumps(step.with_)),
                (f"{job.id}: step {step.name!r} if", step.if_),
            ]
    for where, text in places:
        if text and "secrets." in text:
            problems.append(f"{where}: a secret only goes into an env entry, never here")
    for where, env in envs:
        for key, value in env.items():
            text = str(value)
            named = _SECRET_REF.match(text)
            if "secrets." in text and named is None:
                problems.append(f"{where}: {key}: a secret is the whole value, by reference")
            if named is not None and named.group(1) not in SECRET_NAMES:
                problems.append(f"{where}: {key}: secret {named.group(1)} is not a SPEC 5 name")
            if named is not None and named.group(1) != key:
                problems.append(f"{where}: {key} takes secret {named.group(1)}: same name expected")
            if _CREDENTIAL_KEY.search(key) and not _EXPRESSION.fullmatch(text.strip()):
                problems.append(f"{where}: {key} is a credential written in clear text")
    return problems


def _uses_problems(step: Step) -> list[str]:
    assert step.uses is not None
    action, _, ref = step.uses.partition("@")
    known = ACTIONS.get(action)
    if known is None:
        return [f"{step.uses}: not an action this runner knows"]
    version, inputs, required = known
    problems = []
    if ref != version:
        problems.append(f"{step.uses}: expected {action}@{version}")
    unknown = sorted(set(step.with_) - inputs)
    if unknown:
        problems.append(f"{step.uses}: inputs the action does not declare: {unknown}")
    missing = sorted(required - set(step.with_))
    if missing:
        problems.append(f"{step.uses}: required inputs missing: {missing}")
    return problems


# ---------------------------------------------------------------- conditions


def _parse_condition(text: str) -> list[tuple[str, ...]]:
    """``if:`` as a conjunction of terms: a status function, or an event-name comparison."""
    inner = text.strip()
    whole = _EXPRESSION.fullmatch(inner)
    if whole is not None:
        inner = whole.group(1)
    terms: list[tuple[str, ...]] = []
    for part in inner.split("&&"):
        term = part.strip()
        if term in _STATUS:
            terms.append((term,))
            continue
        found = re.fullmatch(r"github\.event_name\s*(==|!=)\s*'([a-z_]+)'", term)
        if found is None:
            raise RunnerError(f"condition {text!r}: {term!r} is not one this runner knows")
        terms.append(("event", found.group(1), found.group(2)))
    return terms


def _holds(text: str | None, *, failed: bool, event: str) -> bool:
    """Whether a step or job runs; without a status function, ``success()`` is implied."""
    terms = _parse_condition(text) if text is not None else []
    if not any(t[0] in _STATUS for t in terms):
        terms.append(("success()",))
    for term in terms:
        if term[0] == "event":
            if (event == term[2]) != (term[1] == "=="):
                return False
        elif (
            (term[0] in ("success()",) and failed)
            or (term[0] == "failure()" and not failed)
            or term[0] == "cancelled()"
        ):
            return False
    return True


# ---------------------------------------------------------------- results


@dataclass
class StepResult:
    """What one step did.

    Attributes:
        kind: ``run`` (executed), ``replaced`` (a run step stood in for),
            ``action`` (a ``uses:`` step stood in for) or ``skipped``.
        returncode: The command's exit status (0 for a stand-in that held).
        output: What it printed (stdout then stderr), or what the stand-in found.
    """

    job: str
    name: str
    kind: str
    command: str
    returncode: int = 0
    output: str = ""

    @property
    def ok(self) -> bool:
        """Whether it ran (or was skipped) without failing."""
        return self.returncode == 0


@dataclass
class Upload:
    """An ``upload-artifact`` step: every path it names and whether it existed."""

    name: str
    paths: dict[str, bool]


@dataclass
class RunResult:
    """One run of a workflow: each job's steps, and what the stand-in actions saw."""

    event: str
    run_id: int
    steps: list[StepResult] = field(default_factory=list)
    skipped_jobs: list[str] = field(default_factory=list)
    failed_jobs: list[str] = field(default_factory=list)
    summaries: dict[str, str] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)
    sarif: list[tuple[str, str | None]] = field(default_factory=list)
    uploads: list[Upload] = field(default_factory=list)
    cache_saves: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every job that ran passed."""
        return not self.failed_jobs

    def step(self, name: str, job: str | None = None) -> StepResult:
        """The one step of this name (in ``job``, or across jobs)."""
        found = [s for s in self.steps if s.name == name and job in (None, s.job)]
        assert len(found) == 1, f"{name!r}: {[(s.job, s.name) for s in self.steps]}"
        return found[0]

    def log(self) -> str:
        """Every step's name, status and output, for a failing test's message."""
        return "\n".join(
            f"--- [{s.job}] {s.name} ({s.kind}, exit {s.returncode})\n{s.output}"
            for s in self.steps
        )


# ---------------------------------------------------------------- the runner


class LocalRunner:
    """Runs workflows in one project folder, keeping caches and artifacts as GitHub would.

    Args:
        workspace: The project: the checkout every job starts in.
        secrets: Repository secrets.
        environments: Each environment's secrets, which replace repository secrets of
            the same name in a job that names the environment.
        variables: Repository variables (``vars.X``).
        stand_ins: Variables added to every ``run:`` step (the served org's URLs).
        overrides: Variables set over the workflow's own ``env:``.
    """

    def __init__(
        self,
        workspace: Path,
        *,
        secrets: Mapping[str, str],
        environments: Mapping[str, Mapping[str, str]] | None = None,
        variables: Mapping[str, str] | None = None,
        stand_ins: Mapping[str, str] | None = None,
        overrides: Mapping[str, str] | None = None,
    ) -> None:
        self.workspace = workspace
        self.secrets = dict(secrets)
        self.environments = {k: dict(v) for k, v in (environments or {}).items()}
        self.variables = dict(variables or {})
        self.stand_ins = dict(stand_ins or {})
        self.overrides = dict(overrides or {})
        self._store = Path(tempfile.mkdtemp(prefix="gc-runner-"))
        self.caches: dict[str, Path] = {}  # insertion order: the newest last
        self._runs = 0

    def close(self) -> None:
        """Remove the caches and artifacts kept for the runs."""
        shutil.rmtree(self._store, ignore_errors=True)

    def __enter__(self) -> LocalRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(
        self,
        workflow: Workflow,
        event: str,
        *,
        pull_request: int | None = None,
        before_job: Callable[[str], None] | None = None,
    ) -> RunResult:
        """Run every job the event triggers, in ``needs`` order; the outcome of each step."""
        problems = structure_problems(workflow)
        if problems:
            raise RunnerError(f"{workflow.path.name}: " + "; ".join(problems))
        if event not in workflow.on:
            raise RunnerError(f"{workflow.path.name} does not run on {event}")
        self._runs += 1
        result = RunResult(event=event, run_id=4200 + self._runs)
        github = self._github(event, result.run_id, pull_request)
        artifacts: dict[str, Path] = {}
        for job in _in_needs_order(workflow.jobs):
            needed_failed = any(
                n in result.failed_jobs or n in result.skipped_jobs for n in job.needs
            )
            if needed_failed or not _holds(job.if_, failed=False, event=event):
                result.skipped_jobs.append(job.id)
                continue
            if job.environment is not None and job.environment not in self.environments:
                raise RunnerError(f"{job.id}: environment {job.environment!r} is not set up here")
            if before_job is not None:
                before_job(job.id)
            _JobRun(self, workflow, job, github, result, artifacts).run()
        return result

    def _github(self, event: str, run_id: int, pull_request: int | None) -> dict[str, str]:
        ref = f"refs/pull/{pull_request}/merge" if pull_request is not None else "refs/heads/main"
        return {
            "event_name": event,
            "run_id": str(run_id),
            "run_attempt": "1",
            "ref": ref,
            "sha": "0" * 40,
            "repository": "example/genesys-configuration",
            "workspace": str(self.workspace),
            "token": STAND_IN_TOKEN,
            "event.pull_request.number": "" if pull_request is None else str(pull_request),
        }


class _JobRun:
    """One job's steps against the runner's state."""

    def __init__(
        self,
        runner: LocalRunner,
        workflow: Workflow,
        job: Job,
        github: Mapping[str, str],
        result: RunResult,
        artifacts: dict[str, Path],
    ) -> None:
        self.runner = runner
        self.job = job
        self.github = github
        self.result = result
        self.artifacts = artifacts
        self.failed = False
        self.secrets = {**runner.secrets, **runner.environments.get(job.environment or "", {})}
        self.temp = Path(tempfile.mkdtemp(prefix=f"gc-job-{job.id}-", dir=runner._store))
        self.env: dict[str, str] = {}
        for scope in (workflow.env, job.env):
            self.env.update({k: self.resolve(str(v), self.env) for k, v in scope.items()})
        self.summary = ""

    def run(self) -> None:
        for step in self.job.steps:
            if not _holds(step.if_, failed=self.failed, event=self.github["event_name"]):
                self.result.steps.append(StepResult(self.job.id, step.name, "skipped", ""))
                continue
            env = dict(self.env)
            env.update({k: self.resolve(str(v), env) for k, v in step.env.items()})
            if step.uses is not None:
                outcome = self.action(step, env)
            else:
                assert step.run is not None
                outcome = self.command(step, env)
            self.result.steps.append(outcome)
            if not outcome.ok:
                self.failed = True
        self.result.summaries[self.job.id] = self.summary
        if self.failed:
            self.result.failed_jobs.append(self.job.id)

    # ------------------------------------------------------------ expressions

    def resolve(self, text: str, env: Mapping[str, str]) -> str:
        """``text`` with every ``${{ ... }}`` replaced by its local value."""

        def value(match: re.Match[str]) -> str:
            expression = match.group(1)
            scope, _, name = expression.partition(".")
            if scope == "secrets" and name in SECRET_NAMES:
                return self.secrets.get(name, "")
            if scope == "vars" and name:
                return self.runner.variables.get(name, "")
            if scope == "env" and name:
                return env.get(name, "")
            if scope == "github" and name in self.github:
                return self.github[name]
            if expression == "runner.os":
                return "Linux"
            raise RunnerError(
                f"{self.job.id}: expression {expression!r} is not one this runner knows"
            )

        return _EXPRESSION.sub(value, text)

    # ------------------------------------------------------------ run steps

    def command(self, step: Step, env: Mapping[str, str]) -> StepResult:
        assert step.run is not None
        command = self.resolve(step.run.strip(), env)
        if _INSTALL.match(command):
            return self.pip_install(step, command)
        if command.startswith("npm "):
            return self.npm_ci(step, command)
        if command.startswith("gh "):
            return self.gh(step, command, env)
        summary = self.temp / f"summary-{len(self.result.steps)}.md"
        summary.touch()
        script = self.temp / f"step-{len(self.result.steps)}.sh"
        script.write_text(command + "\n", encoding="utf-8")
        done = subprocess.run(
            ["bash", "-e", str(script)],
            cwd=self.runner.workspace,
            env=self.process_env(env, summary),
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        self.summary += summary.read_text(encoding="utf-8")
        return StepResult(
            self.job.id, step.name, "run", command, done.returncode, done.stdout + done.stderr
        )

    def process_env(self, env: Mapping[str, str], summary: Path) -> dict[str, str]:
        """What a step's process sees: this machine's basics, GitHub's variables, the workflow's."""
        base = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("GENESYSCLOUD_", "GENESYS_COMPLIANCE_", "HYPOTHESIS_", "PYTEST_"))
            and not k.startswith(("GITHUB_", "RUNNER_", "GH_"))
            and k not in ("CI", "PYTHONPATH")
        }
        bin_dir = str(Path(sys.executable).parent)
        base["PATH"] = os.pathsep.join([bin_dir, base.get("PATH", "")])
        base["PYTHONPATH"] = str(REPO / "plugins")
        github = {
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(self.runner.workspace),
            "GITHUB_EVENT_NAME": self.github["event_name"],
            "GITHUB_RUN_ID": self.github["run_id"],
            "GITHUB_RUN_ATTEMPT": self.github["run_attempt"],
            "GITHUB_REF": self.github["ref"],
            "GITHUB_SHA": self.github["sha"],
            "GITHUB_REPOSITORY": self.github["repository"],
            "GITHUB_STEP_SUMMARY": str(summary),
            "RUNNER_OS": "Linux",
            "RUNNER_TEMP": str(self.temp),
        }
        return {**base, **github, **env, **self.runner.stand_ins, **self.runner.overrides}

    def pip_install(self, step: Step, command: str) -> StepResult:
        found = re.search(r"(?:-r|--requirement)\s+(\S+)", command)
        if found is None:
            return self.stood_in(step, command, 1, "only `pip install -r FILE` is stood in for")
        path = self.runner.workspace / found.group(1)
        if not path.is_file():
            return self.stood_in(step, command, 1, f"{found.group(1)} does not exist")
        pins = [
            line.split("#", 1)[0].strip()
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.split("#", 1)[0].strip()
        ]
        wanted = f"genesys-compliance=={importlib.metadata.version('genesys-compliance')}"
        if wanted not in pins:
            return self.stood_in(step, command, 1, f"{path.name} does not pin {wanted}: {pins}")
        return self.stood_in(step, command, 0, f"{path.name} pins {wanted}, the version here")

    def npm_ci(self, step: Step, command: str) -> StepResult:
        if command.split()[:2] != ["npm", "ci"]:
            return self.stood_in(step, command, 1, "only `npm ci` is stood in for")
        workspace = self.runner.workspace
        for name in ("package.json", "package-lock.json"):
            path = workspace / name
            if not path.is_file() or "allure-commandline" not in path.read_text(encoding="utf-8"):
                return self.stood_in(step, command, 1, f"{name} does not pin allure-commandline")
        installed = REPO / "node_modules"
        if not (installed / "allure-commandline" / "dist" / "bin" / "allure").is_file():
            return self.stood_in(
                step,
                command,
                1,
                f"no Allure command line in {installed}: run `npm ci` in {REPO} (it needs npm),"
                " or deselect these tests with -m 'not gc_allure_cli'",
            )
        link = workspace / "node_modules"
        if not link.exists():
            link.symlink_to(installed, target_is_directory=True)
        return self.stood_in(step, command, 0, f"node_modules linked from {installed}")

    def gh(self, step: Step, command: str, env: Mapping[str, str]) -> StepResult:
        words = command.replace('"', "").split()
        if words[:3] != ["gh", "pr", "comment"] or "--body-file" not in words:
            return self.stood_in(
                step, command, 1, "only `gh pr comment --body-file` is stood in for"
            )
        if env.get("GH_TOKEN") != STAND_IN_TOKEN:
            return self.stood_in(step, command, 1, "GH_TOKEN is not the job's github.token")
        body = self.runner.workspace / words[words.index("--body-file") + 1]
        if not body.is_file():
            return self.stood_in(step, command, 1, f"{body.name}: no such file to post")
        self.result.comments.append(body.read_text(encoding="utf-8"))
        return self.stood_in(step, command, 0, f"would post {body.name} on the pull request")

    def stood_in(self, step: Step, command: str, code: int, note: str) -> StepResult:
        return StepResult(self.job.id, step.name, "replaced", command, code, note)

    # ------------------------------------------------------------ uses steps

    def action(self, step: Step, env: Mapping[str, str]) -> StepResult:
        assert step.uses is not None
        action = step.uses.partition("@")[0]
        inputs = {k: self.resolve(str(v), env) for k, v in step.with_.items()}
        handler = {
            "actions/checkout": self.checkout,
            "actions/setup-python": self.nothing,
            "actions/setup-node": self.nothing,
            "actions/setup-java": self.java,
            "actions/cache/restore": self.cache_restore,
            "actions/cache/save": self.cache_save,
            "actions/upload-artifact": self.upload,
            "actions/download-artifact": self.download,
            "github/codeql-action/upload-sarif": self.sarif,
        }[action]
        code, note = handler(inputs)
        return StepResult(self.job.id, step.name, "action", step.uses, code, note)

    def checkout(self, inputs: Mapping[str, str]) -> tuple[int, str]:
        if not (self.runner.workspace / "pyproject.toml").is_file():
            return 1, "the workspace is not a project checkout"
        return 0, "the workspace is the checkout"

    def nothing(self, inputs: Mapping[str, str]) -> tuple[int, str]:
        return 0, "this machine's own"

    def java(self, inputs: Mapping[str, str]) -> tuple[int, str]:
        java = shutil.which("java")
        if java is None:
            return 1, (
                "no java on PATH: setup-java provides it on GitHub; install a JDK here,"
                " or deselect these tests with -m 'not gc_allure_cli'"
            )
        return 0, f"this machine's {java}"

    def cache_restore(self, inputs: Mapping[str, str]) -> tuple[int, str]:
        key = inputs["key"]
        prefixes = [line.strip() for line in inputs.get("restore-keys", "").splitlines()]
        hit = self.runner.caches.get(key)
        if hit is None:
            for prefix in (p for p in prefixes if p):
                newest = [k for k in self.runner.caches if k.startswith(prefix)]
                if newest:
                    key, hit = newest[-1], self.runner.caches[newest[-1]]
                    break
        if hit is None:
            return 0, "cache not found"
        for path in _lines(inputs["path"]):
            if (hit / path).exists():
                target = self.runner.workspace / path
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(hit / path, target)
        return 0, f"restored {key}"

    def cache_save(self, inputs: Mapping[str, str]) -> tuple[int, str]:
        key = inputs["key"]
        paths = [p for p in _lines(inputs["path"]) if (self.runner.workspace / p).exists()]
        if not paths:
            note = f"nothing at {inputs['path']!r}: no cache saved"
            self.result.warnings.append(note)
            return 0, note
        if key in self.runner.caches:
            note = f"cache {key} exists already: not saved again"
            self.result.warnings.append(note)
            return 0, note
        stored = self.runner._store / "caches" / str(len(self.runner.caches))
        for path in paths:
            shutil.copytree(self.runner.workspace / path, stored / path)
        self.runner.caches[key] = stored
        self.result.cache_saves[key] = inputs["path"]
        return 0, f"saved {key}"

    def upload(self, inputs: Mapping[str, str]) -> tuple[int, str]:
        name = inputs.get("name", "artifact")
        if name in self.artifacts:
            return 1, f"an artifact named {name} was uploaded already in this run"
        paths = {p: (self.runner.workspace / p).exists() for p in _lines(inputs["path"])}
        self.result.uploads.append(Upload(name, paths))
        present = [p for p, exists in paths.items() if exists]
        if not present:
            if inputs.get("if-no-files-found", "warn") == "error":
                return 1, f"no files found at {sorted(paths)}"
            return 0, "no files found: nothing uploaded"
        root = Path(os.path.commonpath([str(Path(p)) for p in present]))
        if (self.runner.workspace / root).is_file():
            root = root.parent
        stored = self.runner._store / "artifacts" / f"{self.result.run_id}-{name}"
        for path in present:
            source = self.runner.workspace / path
            target = stored / Path(path).relative_to(root)
            if source.is_dir():
                shutil.copytree(source, target, dirs_exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
        self.artifacts[name] = stored
        return 0, f"uploaded {present} as {name}"

    def download(self, inputs: Mapping[str, str]) -> tuple[int, str]:
        name = inputs.get("name", "")
        stored = self.artifacts.get(name)
        if stored is None:
            return 1, f"no artifact named {name!r} in this run"
        target = self.runner.workspace / inputs.get("path", ".")
        shutil.copytree(stored, target, dirs_exist_ok=True)
        return 0, f"downloaded {name} to {inputs.get('path', '.')}"

    def sarif(self, inputs: Mapping[str, str]) -> tuple[int, str]:
        name = inputs.get("sarif_file", "../results")
        path = self.runner.workspace / name
        try:
            log = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            return 1, f"{name}: not a SARIF file: {error}"
        if log.get("version") != "2.1.0" or not isinstance(log.get("runs"), list):
            return 1, f"{name}: not a SARIF 2.1.0 log"
        self.result.sarif.append((name, inputs.get("category")))
        return (
            0,
            f"would upload {name} ({sum(len(r.get('results', [])) for r in log['runs'])} results)",
        )


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _in_needs_order(jobs: Mapping[str, Job]) -> Iterator[Job]:
    done: set[str] = set()
    pending = list(jobs.values())
    while pending:
        ready = [j for j in pending if set(j.needs) <= done]
        if not ready:
            raise RunnerError(f"jobs wait on each other: {[j.id for j in pending]}")
        job = ready[0]
        pending.remove(job)
        done.add(job.id)
        yield job
