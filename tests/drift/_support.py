"""Builders for the drift tests: an org that holds what git states, and a colleague who edits it.

The colleague is another OAuth client writing through the org's API, as a
person in the admin UI or another tool would: the simulated org's audit trail
records that client's id for every such write, and drift must name it.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from genesys_compliance.apply import apply_plan, build_plan, gate
from genesys_compliance.client import GenesysClient
from genesys_compliance.connect import OrgConnection, connect_mock
from genesys_compliance.drift import DriftReport, find_drift
from genesys_compliance.engine import Run, load_run
from genesys_compliance.rules import Finding
from genesys_compliance.simorg import SimOrg, serve
from tests.api_support import seed

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "fixtures" / "configs"
SEED = REPO / "fixtures" / "org"
COLLEAGUE, COLLEAGUE_SECRET = "colleague-admin-ui", "colleague-secret-4b1d9e7a2c"

SUPPORT_QUEUE = "3f7c1a2e-8b4d-4e6f-9a1c-5d2e7f8b9c01"
BILLING_QUEUE = "6c2d9e4f-1a3b-4c5d-8e7f-0a1b2c3d4e5f"
ESCALATION = "d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f70"
PRIMARY_FLOW = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
ESCALATION_FILE = "fixtures/configs/routing-rules/technical-support-escalation.yaml"
SUPERVISOR_FILE = "fixtures/configs/layouts/supervisor.yaml"
STRATEGY_FILE = "fixtures/configs/strategies/technical-support.yaml"
_SERVER_OWNED = frozenset({"id", "selfUri", "modifiedDate", "createdDate", "queue", "etag"})


def examples() -> Run:
    """The example configurations, paths relative to the repository."""
    return load_run([CONFIGS], CONFIGS.parent.parent)


def applied(journal: Path, run: Run | None = None) -> OrgConnection:
    """A fresh simulated org with the run applied to it: the org holds what git states."""
    org = connect_mock(SEED)
    result = apply_plan(
        org.client, build_plan(org.client, gate(run or examples())), journal=journal
    )
    assert result.ok, result.failure
    return org


def colleague(org: OrgConnection, client_id: str = COLLEAGUE, **kwargs: Any) -> GenesysClient:
    """Another OAuth client of the same simulated org, through its API (not the run's client)."""
    assert org.org is not None
    assert org.router is not None
    org.org.add_client(client_id, COLLEAGUE_SECRET, **kwargs)
    return GenesysClient(
        client_id=client_id,
        client_secret=COLLEAGUE_SECRET,
        contract=org.contract,
        transport=httpx.MockTransport(org.router.handler),
        clock=org.org.clock,
    )


Edit = Callable[[dict[str, Any]], None]


def edit_layout(client: GenesysClient, layout_id: str, edit: Edit) -> None:
    """Read a layout, change it, and write it back as an admin client does."""
    body = _writable(client.get_layout(layout_id))
    edit(body)
    client.update_layout(layout_id, body)


def edit_routing_rule(client: GenesysClient, rule_id: str, edit: Edit) -> None:
    """Read a routing rule, change it, and write it back."""
    body = _writable(client.get_routing_rule(rule_id))
    edit(body)
    client.patch_routing_rule(rule_id, body)


def edit_strategy(client: GenesysClient, queue_id: str, media: str, edit: Edit) -> None:
    """Change one media type's strategy of a queue, under the document's version."""
    document = client.get_queue_strategies(queue_id)
    [strategy] = [copy.deepcopy(s) for s in document["strategies"] if s["mediaType"] == media]
    edit(strategy)
    client.patch_queue_strategies(queue_id, [strategy], version=document["version"])


def edit_flow(client: GenesysClient, flow_id: str, edit: Edit) -> None:
    """Change a flow's settings, under its version (the body the settings endpoint takes)."""
    flow = client.get_flow(flow_id)
    body = {key: copy.deepcopy(flow[key]) for key in ("orgId", "settings", "version")}
    body["flowId"] = flow_id
    edit(body)
    client.patch_flow_settings(flow_id, body)


def _writable(entity: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in entity.items() if k not in _SERVER_OWNED}


def drift_of(org: OrgConnection, run: Run | None = None) -> DriftReport:
    """The drift report of the examples (or ``run``) against the org, by the run's own client."""
    return find_drift(org.client, run or examples())


def drifted(report: DriftReport) -> list[Finding]:
    """The report's ``org/drift`` findings."""
    return [f for f in report.findings if f.rule_id == "org/drift"]


def line_of(relpath: str, text: str, root: Path = REPO) -> int:
    """The 1-based line of the first line of a file that holds ``text``."""
    lines = (root / relpath).read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if text in line)


# ---------------------------------------------------------------- over HTTP
RUN_CLIENT, RUN_SECRET = "gc-nightly-drift", "nightly-drift-secret-8e3f1a6c"


@contextlib.contextmanager
def served(journal: Path, *, scopes: frozenset[str] | None = None) -> Iterator[Served]:
    """The simulated org over real HTTP, with the examples applied to it: org = git.

    The run's client (``RUN_CLIENT``, optionally limited to ``scopes``) is what a
    nightly job's credentials would name; the colleague is a second client.
    """
    org = SimOrg(seed())
    org.add_client(RUN_CLIENT, RUN_SECRET, scopes=scopes)
    org.add_client("gc-applier", RUN_SECRET)
    with serve(org) as server:
        applier = GenesysClient(
            client_id="gc-applier", client_secret=RUN_SECRET, api_base_url=server.url
        )
        with applier:
            plan = build_plan(applier, gate(examples()))
            assert apply_plan(applier, plan, journal=journal).ok
        org.add_client(COLLEAGUE, COLLEAGUE_SECRET)
        other = GenesysClient(
            client_id=COLLEAGUE, client_secret=COLLEAGUE_SECRET, api_base_url=server.url
        )
        with other:
            yield Served(org, server.url, other)


@dataclass(frozen=True)
class Served:
    """A served org: the org itself, its URL and the colleague's client."""

    org: SimOrg
    url: str
    colleague: GenesysClient

    def env(self, secret: str = RUN_SECRET) -> dict[str, str]:
        """The live-org variables a nightly job sets, pointed at this org."""
        return {
            "GENESYSCLOUD_OAUTHCLIENT_ID": RUN_CLIENT,
            "GENESYSCLOUD_OAUTHCLIENT_SECRET": secret,
            "GENESYSCLOUD_API_BASE_URL": self.url,
        }
