"""How ``connect_live`` shares the OAuth client's budget between the processes of a run."""

import pytest

from genesys_compliance.connect import connect_live
from genesys_compliance.errors import CredentialsError

CREDENTIALS = {
    "GENESYSCLOUD_OAUTHCLIENT_ID": "c",
    "GENESYSCLOUD_OAUTHCLIENT_SECRET": "a-secret-that-must-not-show",
    "GENESYSCLOUD_REGION": "eu-west-1",
}


def _limits(environ: dict[str, str], **kwargs: int) -> tuple[int, int]:
    connection = connect_live(environ, **kwargs)
    try:
        limiter = connection.client.rate_limiter
        return limiter.budget, limiter.share
    finally:
        connection.close()


def test_one_process_has_the_whole_budget() -> None:
    assert _limits(CREDENTIALS) == (300, 300)


def test_each_xdist_worker_takes_its_share() -> None:
    assert _limits({**CREDENTIALS, "PYTEST_XDIST_WORKER_COUNT": "2"}) == (300, 150)


def test_the_budget_is_configurable_and_shared_too() -> None:
    environ = {
        **CREDENTIALS,
        "GENESYSCLOUD_REQUESTS_PER_MINUTE": "600",
        "PYTEST_XDIST_WORKER_COUNT": "3",
    }
    assert _limits(environ) == (600, 200)
    assert _limits(environ, processes=1) == (600, 600)


@pytest.mark.parametrize(
    ("name", "value"),
    [("GENESYSCLOUD_REQUESTS_PER_MINUTE", "lots"), ("PYTEST_XDIST_WORKER_COUNT", "0")],
)
def test_a_malformed_number_is_a_credentials_error_naming_the_variable(
    name: str, value: str
) -> None:
    with pytest.raises(CredentialsError, match=f"{name} must be a whole number"):
        connect_live({**CREDENTIALS, name: value})
