"""The audit log's ``org`` is the org's id, read from ``GET /api/v2/organizations/me``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from genesys_compliance.client import GenesysClient
from genesys_compliance.connect import UNKNOWN_ORG, OrgConnection, connect_mock
from genesys_compliance.simorg import SimOrg, serve
from tests.api_support import (
    CI_CLIENT,
    NOSCOPE_CLIENT,
    READONLY_CLIENT,
    SEED_DIR,
    bearer,
    seed,
)
from tests.test_plugin import QUIET, make_project

REPO = Path(__file__).resolve().parents[1]
ORG_ID = "5f1c2b7e-9a3d-4e8f-b6c1-2d7a9e4f3b10"
ORG_NAME = "Example Contact Centre"
ME = "/api/v2/organizations/me"


def _get(org: SimOrg, client_id: str) -> tuple[httpx.Request, httpx.Response]:
    request = httpx.Request(
        "GET", f"https://api.mypurecloud.com{ME}", headers=bearer(org, client_id)
    )
    return request, org(request)


# ------------------------------------------------------------------ the simulated org
@pytest.mark.parametrize("client_id", [CI_CLIENT, READONLY_CLIENT])
def test_the_simulated_org_says_its_seeded_id_and_name(client_id: str) -> None:
    org = SimOrg(seed())
    request, response = _get(org, client_id)
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["name"]) == (ORG_ID, ORG_NAME)
    assert org.contract.validate_response(request, response) == []


def test_a_client_without_the_scope_is_refused_as_the_contract_says() -> None:
    org = SimOrg(seed())
    request, response = _get(org, NOSCOPE_CLIENT)
    assert response.status_code == 403
    assert org.contract.validate_response(request, response) == []
    assert "organization:readonly" in response.json()["message"]


# ------------------------------------------------------------------ the client and the connection
def _counting(org: OrgConnection) -> int:
    return sum(1 for e in org.exchanges if e.operation_id == "getOrganizationsMe")


def test_the_connection_reads_the_identity_once() -> None:
    org = connect_mock(SEED_DIR)
    assert org.client.get_organization()["id"] == ORG_ID
    first = org.identity()
    assert (first.id, first.name, first.problem) == (ORG_ID, ORG_NAME, None)
    assert first.audit_org == ORG_ID
    assert first.describe() == f"org: {ORG_ID} ({ORG_NAME})"
    assert org.identity() is first
    assert _counting(org) == 2  # the direct call above, and the connection's one read


def _client_without_scope(org: OrgConnection) -> GenesysClient:
    assert org.org is not None
    assert org.router is not None
    secret = "no-org-scope-secret-7Yp2"
    org.org.add_client("no-org-scope", secret, org.org.all_scopes() - {"organization:readonly"})
    return GenesysClient(
        client_id="no-org-scope",
        client_secret=secret,
        contract=org.contract,
        transport=httpx.MockTransport(org.router.handler),
    )


def test_an_org_that_will_not_say_its_id_is_named_unknown_and_says_why() -> None:
    org = connect_mock(SEED_DIR)
    blind = OrgConnection("live", _client_without_scope(org), org.contract)
    identity = blind.identity()  # never raises for the org's answer
    assert identity.id is None
    assert identity.audit_org == UNKNOWN_ORG == "unknown"
    assert identity.problem is not None
    assert "403 missing.scopes" in identity.problem
    assert "grant the OAuth client organization:readonly" in identity.describe()
    assert "no-org-scope-secret-7Yp2" not in identity.describe()


class _Answering(httpx.BaseTransport):
    """An org whose identity endpoint answers ``body`` (a token endpoint beside it)."""

    def __init__(self, body: Any) -> None:
        self.body = body

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "t" * 40, "expires_in": 3600})
        return httpx.Response(200, json=self.body, headers={"ININ-Correlation-Id": "c"})


@pytest.mark.parametrize("body", [{"name": "no id"}, {"id": ""}, {"id": 7}])
def test_an_answer_without_an_id_is_not_taken_for_one(body: Any) -> None:
    client = GenesysClient(client_id="x", client_secret="y" * 12, transport=_Answering(body))
    identity = OrgConnection("live", client, client.contract).identity()
    assert identity.audit_org == UNKNOWN_ORG
    assert identity.problem is not None


# ------------------------------------------------------------------ through pytest
def _records(folder: Path) -> list[dict[str, Any]]:
    lines = (folder / "reports" / "audit" / "audit.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in lines.splitlines()]


@pytest.fixture
def flows_project(pytester: pytest.Pytester) -> pytest.Pytester:
    make_project(pytester, {}, policy="min-flow-update-interval = 0\n")
    shutil.rmtree(pytester.path / "configs")
    shutil.copytree(REPO / "fixtures" / "configs" / "flows", pytester.path / "configs" / "flows")
    shutil.copytree(SEED_DIR, pytester.path / "fixtures" / "org")
    return pytester


def test_every_record_of_a_simulated_apply_names_the_org_and_that_it_is_simulated(
    flows_project: pytest.Pytester,
) -> None:
    result = flows_project.runpytest_subprocess(*QUIET, "--gc-config-dir", "configs", "--gc-apply")
    assert result.ret == 0, "\n".join(result.outlines[-30:])
    result.stdout.fnmatch_lines([f"  org: {ORG_ID} ({ORG_NAME}); the simulated org"])
    records = _records(flows_project.path)
    assert {r["org"] for r in records} == {ORG_ID}
    assert {r.get("orgMode") for r in records if r["action"] != "checkpoint"} == {"mock"}


def test_a_live_apply_goes_on_when_the_org_will_not_say_its_id(
    flows_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Applied and audited, the records naming the org ``unknown``; the summary says why."""
    org = SimOrg(seed())
    secret = "live-no-org-scope-secret-Q4t8"
    org.add_client("live-no-org-scope", secret, org.all_scopes() - {"organization:readonly"})
    with serve(org) as server:
        monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_ID", "live-no-org-scope")
        monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", secret)
        monkeypatch.setenv("GENESYSCLOUD_API_BASE_URL", server.url)
        result = flows_project.runpytest_subprocess(
            *QUIET, "--gc-config-dir", "configs", "--gc-org", "live", "--gc-apply"
        )
    assert result.ret == 0, "\n".join(result.outlines[-30:])
    result.stdout.fnmatch_lines(
        [
            "apply applied: 2 update (run *)",
            "  org: 'unknown' in the audit records, as the org would not say its id "
            "(403 missing.scopes: *); grant the OAuth client organization:readonly; a live org",
        ]
    )
    records = _records(flows_project.path)
    assert {r["org"] for r in records} == {UNKNOWN_ORG}
    assert {r["client"] for r in records} == {"live-no-org-scope"}
    assert {r.get("orgMode") for r in records if r["action"] != "checkpoint"} == {"live"}
    assert secret not in result.stdout.str() + result.stderr.str()
