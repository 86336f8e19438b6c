"""Connect a run to an org: the simulated one (respx, in process) or a live one.

Both give the same :class:`OrgConnection`, so the contract suites run the same
tests in CI against the simulated org and nightly against a live org. Live
credentials come from the environment only, under the names Genesys Cloud's
own tooling uses, and are never printed.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import httpx

from genesys_compliance.client import (
    Credentials,
    ExchangeLog,
    GenesysClient,
    VirtualClock,
    redact,
)
from genesys_compliance.contract import Contract
from genesys_compliance.errors import ApiError, CredentialsError
from genesys_compliance.orgrules import OrgView
from genesys_compliance.simorg import SimOrg, simorg_router

if TYPE_CHECKING:
    from collections.abc import Mapping

    import respx

Mode = Literal["mock", "live"]

# The OAuth client's budget per minute, for a client allowed less (or more) than 300.
ENV_REQUESTS_PER_MINUTE = "GENESYSCLOUD_REQUESTS_PER_MINUTE"
# Set by pytest-xdist in each worker's environment: the processes sharing the budget.
ENV_XDIST_WORKER_COUNT = "PYTEST_XDIST_WORKER_COUNT"
#: The audit log's ``org`` when the org would not say its id (see :class:`OrgIdentity`).
UNKNOWN_ORG = "unknown"
_ORGANIZATION_PATH = "/api/v2/organizations/me"


@dataclass(frozen=True)
class OrgIdentity:
    """The org a connection reaches, as ``GET /api/v2/organizations/me`` names it.

    Read once, for the audit log, whose records name the org by its id. A read
    that fails does not stop an apply: the plan was just read from this very
    org with the same client, so the records are still this org's, and an
    admin team would rather have the change applied and recorded as made to
    an org named :data:`UNKNOWN_ORG` (with the region and the OAuth client
    id beside it, which tie it to one org) than held back by a missing
    ``organization:readonly`` grant. :attr:`problem` says why, for the summary.

    Attributes:
        id: The org's id; ``None`` when it could not be read.
        name: Its name, when it said one.
        problem: Why the id is not known (redacted), or ``None``.
    """

    id: str | None
    name: str | None = None
    problem: str | None = None

    @property
    def audit_org(self) -> str:
        """What the audit log's ``org`` holds: the id, or :data:`UNKNOWN_ORG`."""
        return self.id if self.id is not None else UNKNOWN_ORG

    def describe(self) -> str:
        """One line for the run's summary."""
        if self.id is None:
            return (
                f"org: {UNKNOWN_ORG!r} in the audit records, as the org would not say its id "
                f"({self.problem}); grant the OAuth client organization:readonly"
            )
        return f"org: {self.id}" + (f" ({self.name})" if self.name else "")


@dataclass(eq=False)
class OrgConnection:
    """A client for the org of this run, with the view the org rules read.

    ``org`` and ``router`` are set only for the simulated org: tests use them to
    inject faults and to assert which routes were called. ``read_only`` is true
    for a live org: the contract suites never write to one.
    """

    mode: Mode
    client: GenesysClient
    contract: Contract
    org: SimOrg | None = None
    router: respx.MockRouter | None = None
    exchanges: ExchangeLog = field(default_factory=ExchangeLog)
    _view: OrgView | None = None
    _identity: OrgIdentity | None = None

    @property
    def read_only(self) -> bool:
        """Writes happen only on the simulated org."""
        return self.mode == "live"

    @property
    def view(self) -> OrgView:
        """The cached, read-only view the org-stage rules compare against."""
        if self._view is None:
            self._view = OrgView(self.client)
        return self._view

    def identity(self) -> OrgIdentity:
        """Which org this is (one request, the first time); never raises for the org's answer."""
        if self._identity is None:
            self._identity = _read_identity(self.client)
        return self._identity

    def now(self) -> datetime:
        """The org's time: the simulated org's clock, else the wall clock (UTC).

        Apply compares it with the times the org and the audit log wrote
        (``apply/interval``), so in the simulated org all three share its
        virtual clock and a test moves them on together.
        """
        return self.org.now() if self.org is not None else datetime.now(UTC)

    def close(self) -> None:
        """Release the HTTP client."""
        self.client.close()


def _read_identity(client: GenesysClient) -> OrgIdentity:
    try:
        body = client.get_organization()
    except ApiError as error:
        return OrgIdentity(None, problem=redact(" ".join(str(error).split())))
    org_id, name = body.get("id"), body.get("name")
    if not isinstance(org_id, str) or not org_id.strip():
        return OrgIdentity(None, problem=f"GET {_ORGANIZATION_PATH} answered without an id")
    return OrgIdentity(org_id, name if isinstance(name, str) and name else None)


def connect_mock(seed: Path, *, endpoints: Mapping[str, str] | None = None) -> OrgConnection:
    """A fresh simulated org from ``seed``, behind a strict respx router, on a virtual clock.

    The client is registered with a random secret made for this run, so no
    credential from the seed files is needed or printed. The virtual clock
    makes ``Retry-After`` and back-off waits instant.
    """
    contract = Contract.load(endpoints)
    clock = VirtualClock()
    org = SimOrg.from_path(seed, contract=contract, clock=clock)
    client_id, secret = f"gc-run-{secrets.token_hex(4)}", secrets.token_urlsafe(24)
    org.add_client(client_id, secret)
    router = simorg_router(org)
    log = ExchangeLog()
    client = GenesysClient(
        client_id=client_id,
        client_secret=secret,
        contract=contract,
        transport=httpx.MockTransport(router.handler),
        clock=clock,
        exchange_log=log,
        endpoints=endpoints,
    )
    return OrgConnection("mock", client, contract, org=org, router=router, exchanges=log)


def connect_live(
    environ: Mapping[str, str] | None = None,
    *,
    endpoints: Mapping[str, str] | None = None,
    processes: int | None = None,
) -> OrgConnection:
    """A client for the org named by ``GENESYSCLOUD_*`` variables.

    The OAuth client's budget (``GENESYSCLOUD_REQUESTS_PER_MINUTE``, default
    300) is shared by every process of the run: each xdist worker keeps to
    ``budget // workers``, so ``-n auto`` never sends more than one client's
    budget, and sends it evenly.

    Args:
        environ: Where the variables are read; ``os.environ`` by default.
        endpoints: Kind to path prefix, for the contract.
        processes: Processes sharing the OAuth client; by default the
            ``PYTEST_XDIST_WORKER_COUNT`` pytest-xdist sets in each worker,
            else 1.

    Raises:
        CredentialsError: a variable is missing or malformed; the message names
            it, never a value.
    """
    env = os.environ if environ is None else environ
    credentials = Credentials.from_env(env)
    budget = _positive(env, ENV_REQUESTS_PER_MINUTE)
    if processes is None:
        processes = _positive(env, ENV_XDIST_WORKER_COUNT) or 1
    contract = Contract.load(endpoints)
    log = ExchangeLog()
    client = credentials.client(
        contract=contract,
        exchange_log=log,
        endpoints=endpoints,
        processes=processes,
        **({} if budget is None else {"requests_per_minute": budget}),
    )
    return OrgConnection("live", client, contract, exchanges=log)


def _positive(env: Mapping[str, str], name: str) -> int | None:
    text = env.get(name, "").strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise CredentialsError(f"{name} must be a whole number of at least 1, not {text!r}")
    return value
