"""pytest glue: options, fixtures that hand out configurations, and the report hooks.

Loaded for every pytest run in an environment where the package is installed,
so importing it must stay cheap and it must stay quiet when no suite asks for
configurations: files are read on the first request only.

A run that did not check everything it was asked to (collection errors, an org
the org-stage tests could not use, a run stopped early) must never read as
clean: the reasons go to the summary and to SARIF's ``executionSuccessful``.
Deselected tests are the user's choice, not a gap.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from genesys_compliance.ledger import Ledger

if TYPE_CHECKING:
    from genesys_compliance.config import SourceFile
    from genesys_compliance.engine import Entry, Run
    from genesys_compliance.reporting.stages import Stage
    from genesys_compliance.rules import Finding, Policy, Registry

_FINDINGS = pytest.StashKey[list["Finding"]]()
_SUBJECTS = pytest.StashKey[list[tuple[str, str]]]()
_STAGES = pytest.StashKey[list[str]]()  # the stage of each finding, with a baseline only
_SCOPES = pytest.StashKey[list[tuple[str, str]]]()  # (stage, file) checked, with a baseline only
_NOT_RUN = pytest.StashKey[str]()
_STATE = "genesys_compliance_state"
FILE_FIXTURE = "gc_config_file"
ANY_FIXTURE = "gc_configuration"
KIND_FIXTURES = frozenset(
    {"desktop_layout", "flow_settings", "routing_rule", "routing_strategy", "trigger_rule"}
)
"""Every kind's ``Kind.fixture``, spelled out so tests not ours need not import the kinds."""


ORG_PLUGIN = "genesys_compliance.orgplugin"
"""The API stage's glue: part of this plugin, in a module of its own, registered by it."""
CHECKS_PLUGIN = "genesys_compliance.checks"
"""The suites' configuration checks as items, and their short run protocol; registered too."""
APPLY_PLUGIN = "genesys_compliance.applyplugin"
"""The apply stage's glue (``--gc-plan``): registered too."""


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Declare the plugin's own hooks (``pytest_gc_*``) and register its API-stage half.

    One plugin in four modules: ``-p no:genesys_compliance`` disables all. The
    checks, org and apply modules are registered from here, so their options are added
    too (``pytest_addoption`` is a historic hook). They are imported by name: they
    build on this module, a layer above it.
    """
    import importlib

    from genesys_compliance import hookspecs

    pluginmanager.add_hookspecs(hookspecs)
    for name in (CHECKS_PLUGIN, ORG_PLUGIN, APPLY_PLUGIN):
        if pluginmanager.get_plugin(name) is None:
            pluginmanager.register(importlib.import_module(name), name)


def pytest_addoption(parser: pytest.Parser) -> None:
    """One option group, every option prefixed ``--gc-``."""
    group = parser.getgroup("genesys-compliance", "Genesys Cloud configuration compliance")
    group.addoption(
        "--gc-config-dir",
        action="append",
        dest="gc_config_dirs",
        default=None,
        metavar="DIR",
        help="folder of configuration files (repeatable; default: "
        "ini gc_config_dirs, else fixtures/configs)",
    )
    group.addoption(
        "--gc-strict",
        action="store_true",
        dest="gc_strict",
        default=False,
        help="warnings fail their configuration's test too",
    )
    group.addoption(
        "--gc-sarif",
        dest="gc_sarif",
        default=None,
        metavar="PATH",
        help="write every finding of the run as SARIF 2.1.0 to PATH",
    )
    group.addoption(
        "--gc-baseline",
        dest="gc_baseline",
        default=None,
        metavar="FILE",
        help="judge findings against the baseline FILE: the ones in it are known and "
        "do not fail; FILE must exist unless --gc-baseline-update is given",
    )
    group.addoption(
        "--gc-baseline-update",
        action="store_true",
        dest="gc_baseline_update",
        default=False,
        help="(re)write the --gc-baseline FILE with this run's findings, for what it "
        "checked; the run itself is still judged against the file as it was",
    )
    parser.addini(
        "gc_config_dirs",
        type="paths",
        default=[],
        help="folders of configuration files, relative to the ini file",
    )


class GcState(Ledger):
    """Per-process state: the policy, the registry and the run, each read on first use.

    What the run checked and did not (the :class:`~genesys_compliance.ledger.Ledger`
    it is) is kept beside them, so one registered plugin object holds the run.
    """

    def __init__(self, config: pytest.Config) -> None:
        super().__init__(config)
        self._rules: tuple[Policy, Registry] | None = None
        self._run: Run | None = None
        self._files_of: dict[str, str] | None = None

    def load_rules(self) -> tuple[Policy, Registry]:
        """The policy and the registry, read and built on the first call."""
        if self._rules is None:
            self._rules = _load_rules(self.config)
        return self._rules

    @property
    def policy(self) -> Policy:
        """The project's ``[tool.genesys-compliance]`` thresholds (read on first use)."""
        return self.load_rules()[0]

    @property
    def registry(self) -> Registry:
        """The built-in rules and the project's own (built on first use)."""
        return self.load_rules()[1]

    @property
    def directories(self) -> list[Path]:
        """Configured folders: the command line, ``config-dirs``, the ini, or the default.

        ``--gc-config-dir`` is relative to the invocation dir; ``config-dirs`` of
        ``[tool.genesys-compliance]`` (which the command line reads too, so it wins
        over the pytest-only ini) to the pyproject.toml; ``gc_config_dirs`` to its ini.
        """
        from genesys_compliance.rules import config_directories

        given: list[str] | None = self.config.getoption("gc_config_dirs")
        if given:
            base = self.config.invocation_params.dir
            return [Path(os.path.realpath(base / d)) for d in given]  # never raises on a loop
        from_project = config_directories(self.policy, self.config.rootpath)
        from_ini: list[Path] = self.config.getini("gc_config_dirs")
        return from_project or from_ini or [self.config.rootpath / "fixtures" / "configs"]

    def directory_problem(self) -> str | None:
        """Name every configured folder that is missing; ``None`` when all exist."""
        missing = [str(d) for d in self.directories if not d.is_dir()]
        if not missing:
            return None
        return (
            f"genesys-compliance: configuration folder not found: {', '.join(missing)} "
            "(set --gc-config-dir or gc_config_dirs)"
        )

    def empty_directories(self) -> str | None:
        """Name every configured folder that holds no configuration file; ``None`` if none."""
        from genesys_compliance.config import SUFFIXES

        empty = [
            str(d)
            for d in self.directories
            if not any(source.path.is_relative_to(d) for source in self.run.files)
        ]
        if not empty:
            return None
        return (
            f"genesys-compliance: no configuration files ({', '.join(SUFFIXES)}) "
            f"under {', '.join(empty)}: nothing would be checked"
        )

    @property
    def run(self) -> Run:
        """Read every configuration once per process, on first use."""
        if self._run is None:
            from genesys_compliance.engine import load_run
            from genesys_compliance.rules import RuleContext

            problem = self.directory_problem()
            if problem is not None:
                raise pytest.UsageError(problem)
            self._run = load_run(
                self.directories,
                self.config.rootpath,
                registry=self.registry,
                context=RuleContext(policy=self.policy, today=date.today()),
            )
            # The run lives until the process ends. Frozen, its millions of objects
            # (and the few others alive now) are out of every later collection's
            # walk: the full ones during the tests and the several passes of
            # interpreter shutdown, which otherwise cost a quarter of a 10,000-file
            # run. Only cyclic garbage among them is never freed, and they make none.
            gc.freeze()
        return self._run

    def file_of(self, configuration: str) -> str | None:
        """The file (relative to the root) of the configuration with this test id."""
        if self._files_of is None:
            self._files_of = {entry.id: entry.file for entry in self.run.entries}
        return self._files_of.get(configuration)


_PROFILES = ("dev", "nightly")
"""The hypothesis profiles the project registers (``strategies.register_profiles``)."""


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Register a hypothesis profile of the project's if one is asked for, and set up the state.

    Runs first so ``dev`` and ``nightly`` exist before hypothesis' own plugin
    loads the one ``--hypothesis-profile`` names; hypothesis' own ``default``
    and ``ci`` are never touched, so installing the package changes nothing
    for other projects' tests (the suites apply their budget themselves).
    The policy and the registry are read now in a project that evidently
    uses the plugin, so a broken policy is a usage error at start; elsewhere
    on first use, so a project that merely has the package installed imports
    neither pydantic nor hypothesis.
    """
    if config.getoption("--hypothesis-profile", None) in _PROFILES:
        from genesys_compliance.strategies import register_profiles

        register_profiles(config.rootpath / "reports" / "hypothesis")
    state = GcState(config)
    in_use = _in_use(config)
    if in_use:
        state.load_rules()
    named = config.getoption("gc_config_dirs") or config.getini("gc_config_dirs")
    if named or (in_use and state.policy.config_dirs):
        # Folders named on purpose are checked now: raised later, during collection, the
        # usage error would surface as a collection error with a traceback in every suite.
        problem = state.directory_problem()
        if problem is not None:  # a SARIF log saying so, so a stale clean one is not uploaded
            raise state.usage_error(problem.removeprefix("genesys-compliance: "))
    problem = state.load_baseline()
    if problem is not None:
        raise state.usage_error(problem)
    config.pluginmanager.register(state, _STATE)


def _in_use(config: pytest.Config) -> bool:
    """Whether the project evidently checks configurations (or adds rules), judged cheaply.

    Named folders, a ``fixtures/configs`` folder, a ``pytest_gc_register_rules``
    implementation in an initial conftest, or a ``[tool.genesys-compliance]``
    table in the pyproject.toml the policy is read from.
    """
    if config.getoption("gc_config_dirs") or config.getini("gc_config_dirs"):
        return True
    if config.hook.pytest_gc_register_rules.get_hookimpls():
        return True
    if (config.rootpath / "fixtures" / "configs").is_dir():
        return True
    try:
        text = (config.rootpath / "pyproject.toml").read_bytes()
    except OSError:
        return False
    if b"genesys-compliance" not in text:  # most projects never name the package: no parse
        return False
    import tomllib

    try:
        tool = tomllib.loads(text.decode("utf-8", "replace")).get("tool", {})
    except tomllib.TOMLDecodeError:
        return True  # let the policy loader say what is wrong with it, at start
    return isinstance(tool, dict) and "genesys-compliance" in tool


def _load_rules(config: pytest.Config) -> tuple[Policy, Registry]:
    """Read the policy and build the registry: built-in rules, then the project's.

    A broken policy or a refused rule is a usage error.
    """
    from genesys_compliance.errors import PolicyError
    from genesys_compliance.kinds import builtin_registry
    from genesys_compliance.rules import load_policy, register_rule_modules

    try:
        policy = load_policy(config.rootpath / "pyproject.toml")
        registry = builtin_registry()
        # The pyproject's `rules` first (the command line reads them too), then conftest hooks.
        register_rule_modules(registry, policy.rules, config.rootpath)
        config.hook.pytest_gc_register_rules(registry=registry, config=config)
    except PolicyError as error:
        raise pytest.UsageError(f"genesys-compliance: {error}") from None
    return policy, registry


def gc_state(config: pytest.Config) -> GcState:
    """The plugin's per-process state (policy, registry, the run); for sibling glue modules.

    Raises:
        pytest.UsageError: The plugin was not configured in this process: a glue module
            was loaded on its own while ``genesys_compliance`` is disabled.
    """
    state = config.pluginmanager.get_plugin(_STATE)
    if not isinstance(state, GcState):
        raise pytest.UsageError(
            "genesys-compliance: the plugin is not active in this run "
            "(was it disabled with -p no:genesys_compliance?); its fixtures cannot be used"
        )
    return state


def collection_run(config: pytest.Config) -> Run:
    """The run, for collection: every usage problem fails collection with a sentence.

    A missing default folder, a policy that cannot be read, and a folder that holds
    no configuration (an empty folder would leave every suite without a test, and a
    run that checked nothing must not read as a pass) each fail without a traceback.
    """
    state = gc_state(config)
    try:
        problem = state.directory_problem()
    except pytest.UsageError as error:  # a policy read here, on first use: no traceback
        pytest.fail(str(error), pytrace=False)
    if problem is not None:  # the default folder is missing: say so, without a traceback
        pytest.fail(problem, pytrace=False)
    run = state.run
    empty = state.empty_directories()
    if empty:
        pytest.fail(empty, pytrace=False)
    return run


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize kind fixtures (``desktop_layout``...) with every configuration of the kind."""
    names = set(metafunc.fixturenames)
    if not names & {*KIND_FIXTURES, FILE_FIXTURE, ANY_FIXTURE}:
        return  # the test is not ours: no import of the kinds (and pydantic) for it
    from genesys_compliance.kinds import KINDS

    wanted = [kind for kind in KINDS.values() if kind.fixture in names]
    run = collection_run(metafunc.config)
    for kind in wanted:
        entries = run.by_kind(kind.name)
        metafunc.parametrize(kind.fixture, entries, ids=[e.id for e in entries])
    if FILE_FIXTURE in names:
        metafunc.parametrize(FILE_FIXTURE, run.files, ids=[f.label for f in run.files])
    if ANY_FIXTURE in names:
        metafunc.parametrize(ANY_FIXTURE, run.entries, ids=[e.id for e in run.entries])


def _failure_text(subject: str, findings: list[Finding], strict: bool) -> str:
    failing = sum(1 for f in findings if f.fails(strict=strict))
    head = f"{subject}: {failing} finding(s) fail this configuration"
    return "\n".join([head, *(f"  {f.render()}" for f in findings)])


@pytest.fixture
def gc_assert_complies(request: pytest.FixtureRequest) -> Callable[[Entry | SourceFile], None]:
    """Check a configuration (or a file) and fail the test, listing every finding, if it fails.

    Warnings fail only under ``--gc-strict``; waived findings never fail. The
    findings travel with the test report, so the SARIF file and the summary
    cover xdist workers too.
    """
    from genesys_compliance.engine import Entry

    state = gc_state(request.config)

    def check(subject: Entry | SourceFile) -> None:
        run = state.run
        if isinstance(subject, Entry):
            found = run.check(subject)
            report_findings(request, subject.id, subject.kind.name, found, file=subject.file)
        else:
            findings = sorted(
                run.file_findings.get(subject.relpath, []), key=lambda f: f.sort_key()
            )
            report_findings(request, subject.label, "file", findings, file=subject.relpath)

    return check


def report_findings(
    request: pytest.FixtureRequest,
    subject: str,
    kind: str,
    findings: list[Finding],
    stage: Stage = "validate",
    *,
    file: str | None = None,
) -> None:
    """Record a test's findings for the reports and fail the test if any of them fails.

    Every check fixture ends here, so all stages report the same way as the
    suites' own checks (:mod:`genesys_compliance.checks`): the failure lists
    every finding, the report carries them to SARIF and the summary (from xdist
    workers too), and Allure gets its labels. ``file`` is as for :func:`record_findings`.
    """
    recorded = record_findings(request.node, subject, kind, findings, stage=stage, file=file)
    fail_with_findings(request.config, subject, recorded)


def record_findings(
    node: pytest.Item,
    subject: str,
    kind: str,
    findings: list[Finding],
    stage: Stage = "validate",
    *,
    file: str | None = None,
) -> list[Finding]:
    """Keep a test's findings for its report (``pytest_runtest_makereport``) and label Allure.

    ``stage`` is the caller's to name (Allure's feature): the configuration and file
    suites are ``validate``, the contract and org fixtures say ``contract`` and ``org``.
    With a baseline, the findings are judged against it here, where every check of
    every protocol and worker passes, and the test's ``(stage, file)`` scope is kept;
    ``file`` (relative to the root) names the subject's file, else it is looked up.

    Returns:
        The findings as recorded, known ones marked: what the test's verdict reads.
    """
    state = gc_state(node.config)
    if state.baseline is not None:
        findings = state.baseline.judge(findings, stage)
        _record_scope(node, state, subject, kind, findings, stage, file)
    node.stash[_FINDINGS] = [*node.stash.get(_FINDINGS, []), *findings]
    node.stash[_SUBJECTS] = [*node.stash.get(_SUBJECTS, []), (kind, subject)]
    if node.config.getoption("allure_report_dir", None):
        from genesys_compliance.reporting.allure import label_configuration

        label_configuration(kind, stage, findings)
    return findings


def _record_scope(
    node: pytest.Item,
    state: GcState,
    subject: str,
    kind: str,
    findings: list[Finding],
    stage: str,
    file: str | None,
) -> None:
    """Keep each finding's stage and the test's scopes for the baseline; show known ones in JUnit.

    The test checked the subject's file at ``stage``, and every file it found something
    in. Known findings become JUnit properties (``gc_known``) of a test that passes,
    so a report reader sees what the baseline let through.
    """
    files = {f.file for f in findings}
    where = file or (None if files or kind == "file" else state.file_of(subject))
    if where is not None:
        files.add(where)
    node.stash[_STAGES] = [*node.stash.get(_STAGES, []), *(stage for _ in findings)]
    node.stash[_SCOPES] = [*node.stash.get(_SCOPES, []), *((stage, f) for f in sorted(files))]
    node.user_properties.extend(("gc_known", f.render()) for f in findings if f.known)


def fail_with_findings(config: pytest.Config, subject: str, findings: list[Finding]) -> None:
    """Fail the running test, listing every finding, if any finding fails ``subject``."""
    strict = gc_state(config).strict
    if any(f.fails(strict=strict) for f in findings):
        pytest.fail(_failure_text(subject, findings, strict), pytrace=False)


def mark_not_run(request: pytest.FixtureRequest, reason: str) -> None:
    """Record that this test checks nothing, and why, before it is skipped or failed.

    The report carries the reason to the controller, so the summary and SARIF
    say the run was incomplete (a skip alone would read as a pass).
    """
    request.node.stash[_NOT_RUN] = reason


@pytest.fixture(scope="session")
def gc_policy(pytestconfig: pytest.Config) -> Policy:
    """The project's ``[tool.genesys-compliance]`` thresholds, as every rule of this run reads them.

    Session-scoped, so hypothesis tests may use it (examples share one call of a test).
    """
    return gc_state(pytestconfig).policy


@pytest.fixture(scope="session")
def gc_run(pytestconfig: pytest.Config) -> Run:
    """Every configuration of this run, loaded and prepared once per process."""
    return gc_state(pytestconfig).run


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Attach the test's findings to its report; xdist ships report attributes to the controller."""
    report = yield
    reason = item.stash.get(_NOT_RUN, None)
    if reason is not None:  # on the report of the phase that gave up, once
        report.gc_not_run = reason
        del item.stash[_NOT_RUN]
    if call.when == "call":
        findings = item.stash.get(_FINDINGS, None)
        if findings is not None:
            report.gc_findings = [f.to_dict() for f in findings]
            report.gc_subjects = item.stash.get(_SUBJECTS, [])
            if _STAGES in item.stash:  # a baseline is in use
                report.gc_stages = item.stash[_STAGES]
                report.gc_scopes = item.stash.get(_SCOPES, [])
    return report
