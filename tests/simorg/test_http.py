import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from genesys_compliance.client import GenesysClient, RetryPolicy
from genesys_compliance.errors import AuthError, ConflictError, NotFoundError, TransportError
from genesys_compliance.simorg import serve
from tests.api_support import BILLING, CI_CLIENT, CI_SECRET, SEED_DIR, TECH_SUPPORT, make_org
from tests.simorg._served import env, simorg_process


def test_the_served_org_end_to_end_on_loopback() -> None:
    org = make_org()
    with serve(org, port=0) as server:
        assert server.url.startswith("http://127.0.0.1:")
        with GenesysClient(
            client_id=CI_CLIENT, client_secret=CI_SECRET, api_base_url=server.url
        ) as client:
            assert [q["name"] for q in client.list_queues(page_size=2)] == [
                "Technical Support",
                "Billing",
                "Sales Chat",
            ]
            layout = client.get_layout("lay-supervisor")
            body = {k: v for k, v in layout.items() if k not in ("id", "selfUri", "modifiedDate")}
            assert client.update_layout("lay-supervisor", body)["version"] == layout["version"] + 1
            with pytest.raises(ConflictError):
                client.update_layout("lay-supervisor", body)
            with pytest.raises(NotFoundError):
                client.get_flow("no-such-flow")
            for exchange in client.exchanges:
                request, response = exchange.to_httpx()
                assert response is not None
                assert org.contract.validate_response(request, response) == [], exchange.url
        with (
            GenesysClient(
                client_id=CI_CLIENT, client_secret="wrong-secret-value", api_base_url=server.url
            ) as wrong,
            pytest.raises(AuthError, match="refused client"),
        ):
            wrong.authenticate()
        raw = httpx.get(f"{server.url}/api/v2/routing/queues")
        assert raw.status_code == 401
        assert raw.headers["ININ-Correlation-Id"]
        assert httpx.get(f"{server.url}/openapi.json").json()["openapi"].startswith("3.1")


def test_dropped_connections_over_http() -> None:
    org = make_org()
    with (
        serve(org, port=0) as server,
        GenesysClient(
            client_id=CI_CLIENT,
            client_secret=CI_SECRET,
            api_base_url=server.url,
            retry=RetryPolicy(backoff_base=0.01),
        ) as client,
    ):
        client.authenticate()
        org.faults.drop_connection(operation="getQueue")
        assert client.get_queue(BILLING)["name"] == "Billing"  # a GET is retried
        org.faults.drop_connection(operation="createRoutingRule", after_processing=True)
        with pytest.raises(TransportError):
            client.create_routing_rule(
                TECH_SUPPORT,
                {
                    "name": "Once",
                    "expression": {"type": "condition", "field": "skill", "operator": "exists"},
                },
            )
        names = [r["name"] for r in client.list_routing_rules(queue_id=TECH_SUPPORT)]
        assert names.count("Once") == 1


def test_the_module_entry_point_serves_until_terminated(tmp_path: Path) -> None:
    with simorg_process(tmp_path, "--client", "extra-client:extra-secret-42") as url:
        with GenesysClient(
            client_id="extra-client", client_secret="extra-secret-42", api_base_url=url
        ) as client:
            assert client.licence_count() == 120
        # Without --control nothing can schedule a fault from outside.
        refused = httpx.post(f"{url}/_simorg/faults", json={"kind": "rate_limit"})
        assert refused.status_code == 404
        assert "--control" in refused.json()["message"]


def test_the_entry_point_explains_a_bad_seed(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "genesys_compliance.simorg", "--seed", str(tmp_path / "nope")],
        capture_output=True, text=True, env=env(), timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "no such seed folder" in result.stderr


def test_the_entry_point_refuses_a_negative_latency(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "genesys_compliance.simorg", "--latency", "-1"]
    result = subprocess.run(
        [*command, "--seed", str(SEED_DIR)],
        capture_output=True, text=True, env=env(), timeout=60, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert "latency must be a finite number of seconds" in result.stderr
