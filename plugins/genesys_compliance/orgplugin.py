"""pytest glue for the API stage: ``--gc-org``, the org and contract fixtures, org checks.

Part of the one plugin, ``genesys_compliance``: :mod:`genesys_compliance.plugin`
registers this module (so ``-p no:genesys_compliance`` disables both) and each
module stays small; it reports findings through the same machinery.
The stage is read-only against a live org: tests marked ``gc_writes`` run
only against the simulated org. A live org asked for with ``--gc-org live`` is
connected to at session start: missing or refused credentials stop the run
with one usage error, so a nightly job whose secrets were lost cannot go green
on skipped tests.

Drift (``org/drift``, ``org/unmanaged``: :mod:`genesys_compliance.drift`) is the
nightly check, on by default under ``--gc-org live`` and asked for against the
simulated org with ``--gc-drift``: the example configurations differ from the
simulated org's seed on purpose (that is what the plan shows), so drift there
would fail every push. ``--gc-no-drift`` turns it off under ``--gc-org live``.
The org is read and compared once per process; a drift check that was asked for
and could not be made fails and is reported as not run, and a run given
``--gc-drift`` in which no drift check ran fails, so a nightly job pointed at the
wrong folder cannot go green.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from genesys_compliance.connect import OrgConnection
    from genesys_compliance.contract import Contract
    from genesys_compliance.drift import DriftReport
    from genesys_compliance.engine import Entry

_CONNECTION = pytest.StashKey["_Connection"]()
_DRIFT = pytest.StashKey["_Drift"]()
DRIFT_MARKER = "gc_drift"
"""Put on each test that compared the org with git, so the controller knows one ran."""
_DRIFT_OFF = "drift is checked under --gc-org live, or with --gc-drift against the simulated org"


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--gc-org`` joins the plugin's option group."""
    group = parser.getgroup("genesys-compliance")
    group.addoption(
        "--gc-org",
        choices=("mock", "live"),
        default="mock",
        dest="gc_org",
        help="check against the simulated org (default, in process) or a live "
        "org named by GENESYSCLOUD_* variables (read-only)",
    )
    group.addoption(
        "--gc-sandbox",
        dest="gc_sandbox",
        default=None,
        metavar="QUEUE_ID",
        help="a live-org queue the agreement properties may create and delete routing rules "
        "in; without it they never write to a live org",
    )
    group.addoption(
        "--gc-drift",
        action="store_const",
        const="on",
        dest="gc_drift",
        default="auto",
        help="compare the org with the configurations (org/drift, org/unmanaged), read-only; "
        "on by default under --gc-org live; a run in which no drift check ran fails",
    )
    group.addoption(
        "--gc-no-drift",
        action="store_const",
        const="off",
        dest="gc_drift",
        help="do not compare the org with the configurations, also under --gc-org live",
    )
    parser.addini(
        "gc_org_seed",
        type="paths",
        default=[],
        help="folder holding the simulated org's data (default fixtures/org)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker of tests that write to the org; refuse to run without the plugin.

    Loaded on its own (``-p genesys_compliance.orgplugin`` beside ``-p
    no:genesys_compliance``), its fixtures could not work: say so once, at start.
    """
    from genesys_compliance.plugin import gc_state

    gc_state(config)
    config.addinivalue_line(
        "markers", "gc_writes: the test writes to the org; it runs only against the simulated org"
    )
    config.addinivalue_line(
        "markers", f"{DRIFT_MARKER}: the test compared the org with git (set by the drift fixtures)"
    )
    if config.getoption("gc_drift") == "on" and not hasattr(config, "workerinput"):
        config.pluginmanager.register(_DriftWatch(), "genesys_compliance-drift-watch")


def drift_wanted(config: pytest.Config) -> bool:
    """Whether this run compares the org with git: ``--gc-drift``, or ``--gc-org live``."""
    mode: str = config.getoption("gc_drift")
    return mode == "on" or (mode == "auto" and config.getoption("gc_org") == "live")


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Never let a writing test near a live org."""
    if item.get_closest_marker("gc_writes") and item.config.getoption("gc_org") == "live":
        pytest.skip("writes run only against the simulated org; a live org is read-only here")


class _Connection:
    """One org connection per process, opened once; a failure to connect is reported once.

    The first test that needs an unusable org fails with the reason and every
    later one is skipped as not run; each is recorded as not run, so the run is
    reported incomplete rather than clean.
    """

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.connection: OrgConnection | None = None
        self.problem: str | None = None
        self.problem_reported = False
        self._tried = False

    def connect(self) -> str | None:
        """Connect and authenticate, once; why the org cannot be used, or ``None``."""
        if not self._tried:
            self._tried = True
            self.problem = self._connect()
        return self.problem

    def open(self, request: pytest.FixtureRequest) -> OrgConnection:
        """The connection for the test of ``request``, or fail or skip it as not run."""
        from genesys_compliance.plugin import mark_not_run

        problem = self.connect()
        if problem is not None:
            mark_not_run(request, problem)
            if self.problem_reported:
                pytest.skip(f"not run: {problem} (see the first failure)")
            self.problem_reported = True
            pytest.fail(problem, pytrace=False)
        assert self.connection is not None
        return self.connection

    def _connect(self) -> str | None:
        from genesys_compliance.client import Credentials
        from genesys_compliance.connect import connect_live, connect_mock
        from genesys_compliance.errors import ApiError, AuthError, CredentialsError

        endpoints = _policy_endpoints(self.config)
        mode = self.config.getoption("gc_org")
        try:
            if mode == "live":
                connection = connect_live(endpoints=endpoints)
            else:
                seeds: list[Path] = self.config.getini("gc_org_seed")
                seed = seeds[0] if seeds else self.config.rootpath / "fixtures" / "org"
                if not seed.exists():
                    return f"no simulated org data at {seed} (set gc_org_seed)"
                connection = connect_mock(seed, endpoints=endpoints)
        except CredentialsError as error:  # messages name the variables, never a value
            return f"--gc-org live: {error}"
        try:
            connection.client.authenticate()
        except AuthError as error:
            connection.close()
            check = (
                f" (check {Credentials.ENV_CLIENT_ID} and {Credentials.ENV_CLIENT_SECRET})"
                if mode == "live"
                else ""
            )
            return f"the {mode} org refused the credentials: {error}{check}"
        except ApiError as error:  # redacted by the client: no secret, no token
            connection.close()
            return f"the {mode} org could not be used: {error}"
        self.connection = connection
        return None

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def _policy_endpoints(config: pytest.Config) -> dict[str, str]:
    from genesys_compliance.plugin import gc_state

    return dict(gc_state(config).policy.endpoints)


def _holder(config: pytest.Config) -> _Connection:
    holder = config.stash.get(_CONNECTION, None)
    if holder is None:
        holder = config.stash[_CONNECTION] = _Connection(config)
    return holder


def org_connection(config: pytest.Config) -> tuple[OrgConnection | None, str | None]:
    """This process's org connection, opened on first use, or why it cannot be used."""
    holder = _holder(config)
    problem = holder.connect()
    return holder.connection, problem


def pytest_sessionstart(session: pytest.Session) -> None:
    """Under ``--gc-org live``, connect before any test: an unusable org is a usage error.

    Checked once, by the controller under xdist (workers connect on first use),
    so the message appears once whatever ``-n`` is; a single process keeps the
    connection for its tests. ``--collect-only`` checks nothing and connects to nothing.
    """
    config = session.config
    if config.getoption("gc_org") != "live" or config.option.collectonly:
        return
    if hasattr(config, "workerinput"):
        return
    problem = _holder(config).connect()
    if problem is not None:
        from genesys_compliance.plugin import gc_state

        raise gc_state(config).usage_error(problem)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Close the org connection, if one was opened."""
    holder = config.stash.get(_CONNECTION, None)
    if holder is not None:
        holder.close()


@pytest.fixture(scope="session")
def gc_contract(pytestconfig: pytest.Config) -> Contract:
    """The API contract (OpenAPI 3.1) with the project's endpoint overrides applied."""
    from genesys_compliance.contract import Contract

    return Contract.load(_policy_endpoints(pytestconfig))


@pytest.fixture
def gc_org(request: pytest.FixtureRequest) -> Iterator[OrgConnection]:
    """The org of this run: simulated (``--gc-org mock``) or live (``--gc-org live``).

    Missing or refused live credentials stop the run at session start (see
    :func:`pytest_sessionstart`). An org that cannot be used later fails the first
    test that needs it and skips the rest, all reported as not run. Exchanges
    recorded during the test are attached (redacted) to Allure.
    """
    connection = _holder(request.config).open(request)
    connection.exchanges.clear()  # tests run one at a time per process: keep this test's own
    yield connection
    if request.config.getoption("allure_report_dir", None):
        from genesys_compliance.reporting.allure import attach_exchanges

        attach_exchanges([e.to_json() for e in connection.exchanges])


@pytest.fixture
def gc_assert_fits_contract(
    request: pytest.FixtureRequest, gc_contract: Contract
) -> Callable[[Entry], None]:
    """Check a configuration's payload against the contract's request schema.

    Reports only what the configuration's own suites do not (one violation, one
    finding), so this test fails on a disagreement between models and contract.
    """
    from genesys_compliance.orgrules import contract_findings
    from genesys_compliance.plugin import gc_state, report_findings

    def check(entry: Entry) -> None:
        state = gc_state(request.config)
        findings = contract_findings(
            entry, gc_contract, state.registry, covered=state.run.check(entry)
        )
        report_findings(request, entry.id, entry.kind.name, findings, stage="contract")

    return check


@pytest.fixture
def gc_assert_org_complies(
    request: pytest.FixtureRequest, gc_org: OrgConnection
) -> Callable[[Entry], None]:
    """Run the org-stage rules (``org/reference``, ``strategy/capacity``) on a configuration."""
    from genesys_compliance.orgrules import org_findings
    from genesys_compliance.plugin import gc_state, report_findings

    def check(entry: Entry) -> None:
        state = gc_state(request.config)
        findings = org_findings(
            entry, gc_org.view, state.registry, state.run.context, covered=state.run.check(entry)
        )
        report_findings(request, entry.id, entry.kind.name, findings, stage="org")

    return check


# ---------------------------------------------------------------- drift


class _Drift:
    """The org compared with the run's configurations, once per process.

    The first drift test that meets a failed comparison fails with the reason
    and later ones are skipped; each is recorded as not run, as for an org that
    cannot be used.
    """

    def __init__(self) -> None:
        self.report: DriftReport | None = None
        self.problem: str | None = None
        self.problem_reported = False

    def get(self, request: pytest.FixtureRequest, connection: OrgConnection) -> DriftReport:
        """The report, made on first use; fail or skip the test as not run when it cannot be."""
        from genesys_compliance.plugin import gc_state, mark_not_run

        if self.report is None and self.problem is None:
            from genesys_compliance.drift import find_drift
            from genesys_compliance.errors import ApiError

            try:
                self.report = find_drift(connection.client, gc_state(request.config).run)
            except ApiError as error:  # redacted by the client: no secret, no token
                self.problem = f"drift: reading the {connection.mode} org failed: {error}"
        if self.problem is not None:
            mark_not_run(request, self.problem)
            if self.problem_reported:
                pytest.skip(f"not run: {self.problem} (see the first failure)")
            self.problem_reported = True
            pytest.fail(self.problem, pytrace=False)
        assert self.report is not None
        return self.report


def _drift_report(request: pytest.FixtureRequest) -> DriftReport:
    """This process's drift report for a drift test; skips the test when drift is not asked for."""
    if not drift_wanted(request.config):
        pytest.skip(_DRIFT_OFF)
    request.node.add_marker(DRIFT_MARKER)
    connection: OrgConnection = request.getfixturevalue("gc_org")
    holder = request.config.stash.get(_DRIFT, None)
    if holder is None:
        holder = request.config.stash[_DRIFT] = _Drift()
    return holder.get(request, connection)


@pytest.fixture
def gc_assert_no_drift(request: pytest.FixtureRequest) -> Callable[[Entry], None]:
    """Fail a configuration's test with one ``org/drift`` finding per field the org changed.

    Also a configuration whose resource the org lacks. One that fails its own checks
    is not compared: its test is skipped and recorded as not run (its failing tests
    say why). Skipped, as not asked for, without ``--gc-drift`` or ``--gc-org live``.
    """
    from genesys_compliance.plugin import mark_not_run, report_findings

    report = _drift_report(request)

    def check(entry: Entry) -> None:
        refused = report.refused(entry.id)
        if refused is not None:
            mark_not_run(request, "drift: configurations that fail their own checks")
            pytest.skip(
                f"not compared with the org: the configuration fails {', '.join(refused.reasons)}"
            )
        report_findings(request, entry.id, entry.kind.name, report.for_config(entry.id), "org")

    return check


@pytest.fixture
def gc_assert_nothing_unmanaged(request: pytest.FixtureRequest) -> Callable[[], None]:
    """Report an ``org/unmanaged`` warning per org resource of a managed kind no file states.

    Warnings fail only under ``--gc-strict``; a kind whose resources could not be
    listed fails the test, as not run. Skipped, as not asked for, as drift is.
    """
    from genesys_compliance.plugin import fail_with_findings, mark_not_run, record_findings

    report = _drift_report(request)

    def check() -> None:
        subject = "org::unmanaged"
        found = report.unmanaged_findings()
        recorded = record_findings(request.node, subject, "org", found, stage="org")
        if report.unlisted:
            reason = "unmanaged resources not listed: " + "; ".join(report.unlisted)
            mark_not_run(request, reason)
            pytest.fail(reason, pytrace=False)
        fail_with_findings(request.config, subject, recorded)

    return check


class _DriftWatch:
    """Under ``--gc-drift``, a run in which no drift test ran fails and says so (controller)."""

    def __init__(self) -> None:
        self.ran = False

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Note a drift test's report; xdist forwards the workers' here."""
        if DRIFT_MARKER in report.keywords:
            self.ran = True

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Before the run's gaps are written: none ran, yet drift was asked for."""
        config = session.config
        if self.ran or config.option.collectonly or exitstatus == pytest.ExitCode.INTERRUPTED:
            return
        from genesys_compliance.plugin import gc_state

        gc_state(config).stage_gaps.append(
            "--gc-drift: no drift check ran (run suites/org/test_drift.py, or a test using "
            "gc_assert_no_drift)"
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
