"""pytest glue for the API stage: ``--gc-org``, the org and contract fixtures, org checks.

Registered as its own ``pytest11`` entry point beside :mod:`genesys_compliance.plugin`
so each module stays small; it reports findings through the same machinery.
The stage is read-only against a live org: tests marked ``gc_writes`` run
only against the simulated org.
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
    """Register the marker of tests that write to the org."""
    config.addinivalue_line(
        "markers", "gc_writes: the test writes to the org; it runs only against the simulated org"
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Never let a writing test near a live org."""
    if item.get_closest_marker("gc_writes") and item.config.getoption("gc_org") == "live":
        pytest.skip("writes run only against the simulated org; a live org is read-only here")


class _Connection:
    """One org connection per process, opened on first use; a refusal is reported once."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.connection: OrgConnection | None = None
        self.skip_reason: str | None = None
        self.failure: str | None = None
        self.failure_reported = False

    def open(self) -> OrgConnection:
        if self.connection is None and self.skip_reason is None and self.failure is None:
            self._connect()
        if self.skip_reason is not None:
            pytest.skip(self.skip_reason)
        if self.failure is not None:
            if self.failure_reported:
                pytest.skip("the org refused this run's credentials (see the first failure)")
            self.failure_reported = True
            pytest.fail(self.failure, pytrace=False)
        assert self.connection is not None
        return self.connection

    def _connect(self) -> None:
        from genesys_compliance.connect import connect_live, connect_mock
        from genesys_compliance.errors import ApiError, CredentialsError

        endpoints = _policy_endpoints(self.config)
        mode = self.config.getoption("gc_org")
        try:
            if mode == "live":
                connection = connect_live(endpoints=endpoints)
            else:
                seeds: list[Path] = self.config.getini("gc_org_seed")
                seed = seeds[0] if seeds else self.config.rootpath / "fixtures" / "org"
                if not seed.exists():
                    self.failure = (
                        f"genesys-compliance: no simulated org data at {seed} (set gc_org_seed)"
                    )
                    return
                connection = connect_mock(seed, endpoints=endpoints)
        except CredentialsError as error:
            self.skip_reason = f"--gc-org live: {error}"
            return
        try:
            connection.client.authenticate()
        except ApiError as error:
            connection.close()
            self.failure = f"the {mode} org refused the credentials: {error}"
            return
        self.connection = connection

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

    Missing live credentials skip with one reason naming the variables; refused
    credentials fail the first test that needs the org and skip the rest.
    Exchanges recorded during the test are attached (redacted) to Allure.
    """
    connection = _holder(request.config).open()
    connection.exchanges.clear()  # tests run one at a time per process: keep this test's own
    yield connection
    if request.config.getoption("allure_report_dir", None):
        from genesys_compliance.reporting.allure import attach_exchanges

        attach_exchanges([e.to_json() for e in connection.exchanges])


@pytest.fixture
def gc_assert_fits_contract(
    request: pytest.FixtureRequest, gc_contract: Contract
) -> Callable[[Entry], None]:
    """Check a configuration's payload against the contract's request schema."""
    from genesys_compliance.orgrules import contract_findings
    from genesys_compliance.plugin import gc_state, report_findings

    def check(entry: Entry) -> None:
        findings = contract_findings(entry, gc_contract, gc_state(request.config).registry)
        report_findings(request, entry.id, entry.kind.name, findings)

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
        findings = org_findings(entry, gc_org.view, state.registry, state.run.context)
        report_findings(request, entry.id, entry.kind.name, findings)

    return check
