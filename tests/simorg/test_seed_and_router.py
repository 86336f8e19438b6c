from pathlib import Path

import httpx
import pytest
from respx.models import AllMockedAssertionError

from genesys_compliance.client import GenesysClient
from genesys_compliance.contract import Contract
from genesys_compliance.simorg import SeedError, SimOrg, load_seed, simorg_router
from tests.api_support import (
    AFTER_HOURS_FLOW,
    BILLING,
    CI_CLIENT,
    CI_SECRET,
    ORG_ID,
    PRIMARY_FLOW,
    SALES_CHAT,
    TECH_SUPPORT,
    TRIGGER_RULE,
    USER,
    make_client,
    make_org,
)


def test_the_seed_holds_the_ids_the_example_configurations_use() -> None:
    org = make_org()
    state = org.state
    assert state.org_id == ORG_ID
    assert {k: v["name"] for k, v in state.flows.items()} == {
        PRIMARY_FLOW: "Primary Architecture Flow",
        AFTER_HOURS_FLOW: "After Hours Flow",
    }
    assert {
        q: (state.queues[q]["name"], state.realtime[q]["availableAgents"]) for q in state.queues
    } == {
        TECH_SUPPORT: ("Technical Support", 24),
        BILLING: ("Billing", 18),
        SALES_CHAT: ("Sales Chat", 12),
    }
    assert {"tmpl_98765", "tmpl_12345"} <= set(state.templates)
    assert TRIGGER_RULE in state.trigger_rules
    assert {"lay-agent-default", "lay-supervisor"} <= set(state.layouts)
    assert USER in state.users
    assert sum(lic["count"] for lic in state.licences) == 120


def _write(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / "org"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"a.yaml": "queues: []\n"}, "no file defines 'org'"),
        ({"a.yaml": "org: {id: o}\nqueuez: []\n"}, "unknown key 'queuez'"),
        (
            {
                "a.yaml": "org: {id: o}\nqueues: [{id: q, name: A}]\n",
                "b.yaml": "queues: [{id: q, name: B}]\n",
            },
            "id 'q' already defined in",
        ),
        (
            {"a.yaml": "org: {id: o}\nqueues: [{id: q, name: 7}]\n"},
            r"queues\[0\] does not fit Queue: body/name: 7 is not of type 'string'",
        ),
        (
            {
                "a.yaml": "org: {id: o}\nqueues: [{id: q, name: A, strategies: "
                "{items: [{strategy: nope, mediaType: voice}]}}]\n"
            },
            "'nope' is not one of",
        ),
        (
            {"a.yaml": "org: {id: o}\noauthClients: [{id: c, secret: s}]\n"},
            "needs a secret and a list of scopes",
        ),
        ({"a.json": "{not json"}, "cannot parse"),
        ({"a.yaml": "- a list\n"}, "top level must be a mapping"),
        ({"notes.txt": "hello"}, "no .yaml, .yml or .json seed files"),
    ],
)
def test_seed_errors_name_the_file_and_the_field(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    folder = tmp_path
    for name, text in files.items():
        folder = _write(tmp_path, name, text)
    with pytest.raises(SeedError, match=message):
        load_seed(folder, Contract.load())


def test_a_missing_seed_folder_is_a_seed_error(tmp_path: Path) -> None:
    with pytest.raises(SeedError, match="no such seed folder"):
        SimOrg.from_path(tmp_path / "absent")


def test_the_router_is_strict_and_names_routes_by_operation() -> None:
    org = make_org()
    client, router = make_client(org)
    client.get_queue(TECH_SUPPORT)
    assert router.routes["getQueue"].called
    assert router.routes["postOAuthToken"].call_count == 1
    assert not router.routes["listQueues"].called
    transport = httpx.MockTransport(router.handler)
    with httpx.Client(transport=transport) as raw:
        with pytest.raises(AllMockedAssertionError):
            raw.get("https://api.mypurecloud.com/api/v2/not/in/the/contract")
        with pytest.raises(AllMockedAssertionError):
            raw.get("https://example.com/api/v2/routing/queues")
        # Tokens come from the login host only, as on the platform.
        with pytest.raises(AllMockedAssertionError):
            raw.post(
                "https://api.mypurecloud.com/oauth/token", data={"grant_type": "client_credentials"}
            )


def test_the_router_follows_region_and_base_url() -> None:
    org = make_org()
    router = simorg_router(org, region="eu-west-1")
    with GenesysClient(
        client_id=CI_CLIENT,
        client_secret=CI_SECRET,
        region="eu-west-1",
        transport=httpx.MockTransport(router.handler),
    ) as client:
        assert client.get_queue(BILLING)["name"] == "Billing"
    local = simorg_router(org, api_base_url="http://127.0.0.1:1")
    with GenesysClient(
        client_id=CI_CLIENT,
        client_secret=CI_SECRET,
        api_base_url="http://127.0.0.1:1",
        transport=httpx.MockTransport(local.handler),
    ) as client:
        assert client.get_queue(BILLING)["name"] == "Billing"
    assert local.routes["postOAuthToken"].calls.last.request.url.host == "127.0.0.1"


def test_the_router_patches_httpx_as_a_context_manager() -> None:
    org = make_org()
    with simorg_router(org) as router:
        with GenesysClient(client_id=CI_CLIENT, client_secret=CI_SECRET) as client:
            assert client.licence_count() == 120
        assert router.routes["queryEntitlements"].call_count == 1
