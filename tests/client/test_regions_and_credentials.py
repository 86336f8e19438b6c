import pytest

from genesys_compliance.client import (
    Credentials,
    GenesysClient,
    all_regions,
    base_urls,
    resolve_region,
)
from genesys_compliance.errors import CredentialsError

SECRET = "a-secret-that-must-not-show"


def test_the_eighteen_public_regions() -> None:
    domains = {r.domain for r in all_regions()}
    assert len(all_regions()) == 18
    assert domains == {
        "mypurecloud.com", "mypurecloud.ie", "mypurecloud.de", "mypurecloud.jp",
        "mypurecloud.com.au", "usw2.pure.cloud", "cac1.pure.cloud", "apne2.pure.cloud",
        "euw2.pure.cloud", "aps1.pure.cloud", "sae1.pure.cloud", "mec1.pure.cloud",
        "apne3.pure.cloud", "euc2.pure.cloud", "mxc1.pure.cloud", "apse1.pure.cloud",
        "use2.us-gov-pure.cloud", "edee1.eusc-pure.cloud",
    }  # fmt: skip


@pytest.mark.parametrize(
    "value",
    [
        "eu-west-1",
        "mypurecloud.ie",
        "api.mypurecloud.ie",
        "https://login.mypurecloud.ie/",
        " EU-WEST-1 ",
    ],
)
def test_a_region_resolves_from_name_domain_host_or_url(value: str) -> None:
    region = resolve_region(value)
    assert region.api_base_url == "https://api.mypurecloud.ie"
    assert region.login_base_url == "https://login.mypurecloud.ie"


def test_an_unknown_region_lists_the_known_ones() -> None:
    with pytest.raises(
        ValueError, match=r"unknown Genesys Cloud region 'mars-1'.*usw2\.pure\.cloud"
    ):
        resolve_region("mars-1")


def test_client_urls_from_region_and_overrides() -> None:
    by_region = GenesysClient(client_id="c", client_secret=SECRET, region="usw2.pure.cloud")
    assert (by_region.api_base_url, by_region.login_base_url) == (
        "https://api.usw2.pure.cloud",
        "https://login.usw2.pure.cloud",
    )
    local = GenesysClient(
        client_id="c", client_secret=SECRET, api_base_url="http://127.0.0.1:8089/"
    )
    assert (local.api_base_url, local.login_base_url) == (
        "http://127.0.0.1:8089",
        "http://127.0.0.1:8089",
    )
    split = GenesysClient(
        client_id="c",
        client_secret=SECRET,
        api_base_url="https://gw.example/api",
        login_base_url="https://sso.example",
    )
    assert split.login_base_url == "https://sso.example"
    for client in (by_region, local, split):
        assert SECRET not in repr(client)
        client.close()


def test_credentials_from_the_genesys_environment_variables() -> None:
    env = {
        "GENESYSCLOUD_OAUTHCLIENT_ID": "cid",
        "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET,
        "GENESYSCLOUD_REGION": "eu-central-1",
    }
    creds = Credentials.from_env(env)
    assert creds.region.domain == "mypurecloud.de"
    assert creds.client_secret.reveal() == SECRET
    assert SECRET not in repr(creds)
    with creds.client() as client:
        assert client.api_base_url == "https://api.mypurecloud.de"


def test_missing_credentials_name_the_variables_never_the_values() -> None:
    with pytest.raises(CredentialsError) as info:
        Credentials.from_env({"GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET})
    message = str(info.value)
    assert "GENESYSCLOUD_OAUTHCLIENT_ID" in message
    assert "GENESYSCLOUD_REGION" in message
    assert "GENESYSCLOUD_OAUTHCLIENT_SECRET" not in message
    assert SECRET not in message


def test_an_api_base_url_stands_in_for_the_region() -> None:
    creds = Credentials.from_env(
        {
            "GENESYSCLOUD_OAUTHCLIENT_ID": "cid",
            "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET,
            "GENESYSCLOUD_API_BASE_URL": "http://127.0.0.1:9000",
        }
    )
    with creds.client() as client:
        assert client.api_base_url == client.login_base_url == "http://127.0.0.1:9000"


def test_an_unknown_region_in_the_environment_is_a_credentials_error() -> None:
    env = {
        "GENESYSCLOUD_OAUTHCLIENT_ID": "c",
        "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET,
        "GENESYSCLOUD_REGION": "x",
    }
    with pytest.raises(
        CredentialsError, match="GENESYSCLOUD_REGION: unknown Genesys Cloud region 'x'"
    ):
        Credentials.from_env(env)


def test_one_owner_decides_the_base_urls() -> None:
    assert base_urls() == ("https://api.mypurecloud.com", "https://login.mypurecloud.com")
    assert base_urls(resolve_region("eu-west-1")) == (
        "https://api.mypurecloud.ie",
        "https://login.mypurecloud.ie",
    )
    assert base_urls("usw2.pure.cloud", api_base_url="http://127.0.0.1:8089/") == (
        "http://127.0.0.1:8089",
        "http://127.0.0.1:8089",
    )
    assert base_urls(api_base_url="https://gw/api/", login_base_url="https://gw/login/") == (
        "https://gw/api",
        "https://gw/login",
    )
    client = GenesysClient(client_id="c", client_secret=SECRET, region="mypurecloud.jp")
    assert (client.api_base_url, client.login_base_url) == base_urls("ap-northeast-1")
