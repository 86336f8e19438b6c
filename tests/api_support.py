"""Builders shared by the client, contract and simulated-org tests (no fixtures, no conftest)."""

from __future__ import annotations

import functools
import random
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from genesys_compliance.client import GenesysClient, RetryPolicy, VirtualClock
from genesys_compliance.contract import Contract
from genesys_compliance.simorg import OrgSeed, SimOrg, load_seed, simorg_router

if TYPE_CHECKING:
    import respx

SEED_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "org"

ORG_ID = "5f1c2b7e-9a3d-4e8f-b6c1-2d7a9e4f3b10"
CI_CLIENT = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
CI_SECRET = "simorg-ci-secret-6f2a9c41d7e3b508"
READONLY_CLIENT = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
READONLY_SECRET = "simorg-readonly-secret-93b1e0c7a4f25d68"
NOSCOPE_CLIENT = "2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f60"
NOSCOPE_SECRET = "simorg-noscope-secret-58d0c2b7e91a4f36"

TECH_SUPPORT = "3f7c1a2e-8b4d-4e6f-9a1c-5d2e7f8b9c01"
BILLING = "6c2d9e4f-1a3b-4c5d-8e7f-0a1b2c3d4e5f"
SALES_CHAT = "9e8d7c6b-5a49-4382-a1b0-c9d8e7f6a5b4"
PRIMARY_FLOW = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
AFTER_HOURS_FLOW = "b7e2c9d1-4f3a-4c8e-9d2b-6a1f0e3c5d72"
TRIGGER_RULE = "a1b2c3d4-e5f6-7890-abcd-ef1234567891"
USER = "2a4c6e8f-1b3d-4f5a-9c7e-0d2f4a6c8e10"
ESCALATION_RULE = "d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f70"

API = "https://api.mypurecloud.com"
LOGIN = "https://login.mypurecloud.com"


@functools.cache
def seed(endpoints: tuple[tuple[str, str], ...] = ()) -> OrgSeed:
    """The fixtures/org seed, parsed once per test process (each org copies it)."""
    return load_seed(SEED_DIR, Contract.load(dict(endpoints)))


def make_org(**kwargs: Any) -> SimOrg:
    """A fresh simulated org on a virtual clock unless a clock is given."""
    kwargs.setdefault("clock", VirtualClock())
    return SimOrg(seed(), **kwargs)


def make_client(
    org: SimOrg,
    *,
    client_id: str = CI_CLIENT,
    secret: str = CI_SECRET,
    router: respx.MockRouter | None = None,
    **kwargs: Any,
) -> tuple[GenesysClient, respx.MockRouter]:
    """A client wired to ``org`` through a strict respx router, sharing the org's clock."""
    router = router if router is not None else simorg_router(org)
    kwargs.setdefault("clock", org.clock)
    kwargs.setdefault("rng", random.Random(7))
    kwargs.setdefault("retry", RetryPolicy(max_attempts=4, backoff_base=0.5, backoff_cap=8.0))
    client = GenesysClient(
        client_id=client_id,
        client_secret=secret,
        transport=httpx.MockTransport(router.handler),
        contract=org.contract,
        **kwargs,
    )
    return client, router


def bearer(org: SimOrg, client_id: str = CI_CLIENT) -> dict[str, str]:
    """Authorization header with a fresh token for a seeded client."""
    return {"Authorization": f"Bearer {org.issue_token(client_id)}"}


def issued_tokens(router: respx.MockRouter) -> list[str]:
    """Every access token the token route handed out, read from the recorded responses."""
    tokens = []
    for call in router.routes["postOAuthToken"].calls:
        if call.response is not None and call.response.status_code == 200:
            tokens.append(call.response.json()["access_token"])
    return tokens
