"""pytest glue for the API stage: ``--gc-org``, the org and contract fixtures, org checks.

Part of the one plugin, ``genesys_compliance``: :mod:`genesys_compliance.plugin`
registers this module (so ``-p no:genesys_compliance`` disables both) and each
module stays small; it reports findings through the same machinery.
The stage is read-only against a live org: tests marked ``gc_writes`` run
only against the simulated org. A live org asked for with ``--gc-org live`` is
connected to at session start: missing or refused credentials stop the run
with one usage error, so a nightly job whose secrets were lost cannot go green
on skipped tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from genesys_compliance.connect import OrgConnection
    from genesys_compliance.contract import Contract
    from genesys_compliance.engine import Entry

_CONNECTION = pytest.StashKey["_Connection"]()


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
