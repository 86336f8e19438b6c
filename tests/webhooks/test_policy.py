"""``[[tool.genesys-compliance.webhooks]]`` as the policy loader reads it."""

from pathlib import Path

import pytest

from genesys_compliance.errors import PolicyError
from genesys_compliance.rules import Policy, load_policy, policy_from_mapping
from genesys_compliance.webhooks import WEBHOOK_EVENTS, WebhookTarget

URL = "https://hooks.example.com/genesys"


def webhooks(*tables: dict[str, object]) -> Policy:
    return policy_from_mapping({"webhooks": list(tables)}, source="pyproject.toml")


def test_no_table_means_no_webhooks() -> None:
    assert Policy().webhooks == ()


def test_the_spec_example_reads_from_a_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.genesys-compliance]\nmax-widgets = 12\n\n"
        "[[tool.genesys-compliance.webhooks]]\n"
        f'url = "{URL}"\n'
        'events = ["apply.completed", "apply.failed"]   # default: all\n'
        'secret-env = "GC_WEBHOOK_SECRET"\n\n'
        "[[tool.genesys-compliance.webhooks]]\n"
        'url = "http://127.0.0.1:8080/hooks"\n'
        'secret-env = "LOCAL_SECRET"\n',
        encoding="utf-8",
    )
    policy = load_policy(tmp_path / "pyproject.toml")
    assert policy.webhooks == (
        WebhookTarget(
            url=URL, events=("apply.completed", "apply.failed"), secret_env="GC_WEBHOOK_SECRET"
        ),
        WebhookTarget(url="http://127.0.0.1:8080/hooks", secret_env="LOCAL_SECRET"),
    )
    assert policy.webhooks[1].events == WEBHOOK_EVENTS
    assert policy.max_widgets == 12


def test_webhooks_alone_make_a_policy_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        f'[[tool.genesys-compliance.webhooks]]\nurl = "{URL}"\nsecret-env = "S"\n', encoding="utf-8"
    )
    assert load_policy(tmp_path / "pyproject.toml").webhooks[0].url == URL


def test_events_are_kept_once_each_in_the_specs_order() -> None:
    (target,) = webhooks(
        {"url": URL, "secret-env": "S", "events": ["apply.failed", "apply.started", "apply.failed"]}
    ).webhooks
    assert target.events == ("apply.started", "apply.failed")
    assert target.wants("apply.failed")
    assert not target.wants("apply.resource")


def test_a_target_is_frozen_and_holds_no_secret() -> None:
    (target,) = webhooks({"url": URL, "secret-env": "GC_WEBHOOK_SECRET"}).webhooks
    assert set(WebhookTarget.model_fields) == {"url", "events", "secret_env"}
    with pytest.raises(ValueError, match="frozen"):
        target.url = "https://elsewhere.example.com"  # type: ignore[misc]
    assert hash(target) == hash(WebhookTarget(url=URL, secret_env="GC_WEBHOOK_SECRET"))


@pytest.mark.parametrize(
    ("table", "message"),
    [
        pytest.param(
            {"url": URL, "secret-env": "S", "secrets-env": "T"},
            "webhooks.0.secrets-env: Extra inputs are not permitted (did you mean 'secret-env'?)",
            id="unknown-key",
        ),
        pytest.param(
            {"url": URL, "secret-env": "S", "events": ["apply.complete"]},
            "webhooks.0.events: Value error, unknown event 'apply.complete' (did you mean "
            "'apply.completed'?); the events are apply.started, apply.resource, "
            "apply.completed, apply.failed, apply.rolled-back, apply.conflict",
            id="unknown-event",
        ),
        pytest.param(
            {"url": URL, "secret-env": "S", "events": []},
            "webhooks.0.events: Value error, is empty: leave it out to receive every event",
            id="no-events",
        ),
        pytest.param(
            {"url": URL, "secret-env": "S", "events": "apply.failed"},
            "webhooks.0.events: Value error, must be an array of event names, "
            'e.g. ["apply.completed"]',
            id="events-not-an-array",
        ),
        pytest.param({"url": URL}, "webhooks.0.secret-env: Field required", id="no-secret-env"),
        pytest.param({"secret-env": "S"}, "webhooks.0.url: Field required", id="no-url"),
        pytest.param(
            {"url": "ftp://hooks.example.com/x", "secret-env": "S"},
            "webhooks.0.url: Value error, must be an http:// or https:// URL, not 'ftp'",
            id="scheme",
        ),
        pytest.param(
            {"url": "hooks.example.com/genesys", "secret-env": "S"},
            "webhooks.0.url: Value error, must be an http:// or https:// URL",
            id="relative",
        ),
        pytest.param(
            {"url": "https:///genesys", "secret-env": "S"},
            "webhooks.0.url: Value error, must name a host",
            id="no-host",
        ),
        pytest.param(
            {"url": "https://hooks.example.com:99999/x", "secret-env": "S"},
            "webhooks.0.url: Value error, must be an http:// or https:// URL with a valid port",
            id="port",
        ),
        pytest.param(
            {"url": "https://hooks.example.com/a b", "secret-env": "S"},
            "webhooks.0.url: Value error, must be an http:// or https:// URL without spaces",
            id="space",
        ),
        pytest.param(
            {"url": 8080, "secret-env": "S"},
            "webhooks.0.url: Input should be a valid string",
            id="url-not-a-string",
        ),
        pytest.param(
            {"url": URL, "secret-env": "1_SECRET"},
            "webhooks.0.secret-env: Value error, must name the environment variable that holds "
            "the secret (letters, digits and '_', not starting with a digit)",
            id="secret-env-not-a-name",
        ),
    ],
)
def test_a_bad_table_is_a_policy_error_naming_the_table_and_key(
    table: dict[str, object], message: str
) -> None:
    with pytest.raises(PolicyError) as raised:
        webhooks(table)
    assert str(raised.value).startswith(f"pyproject.toml [tool.genesys-compliance]: {message}")


def test_a_single_bracket_table_says_to_use_double_brackets() -> None:
    with pytest.raises(
        PolicyError, match=r"webhooks: .*write \[\[tool\.genesys-compliance\.webhooks\]\]"
    ):
        policy_from_mapping({"webhooks": {"url": URL, "secret-env": "S"}})


def test_two_tables_for_one_url_are_refused_rather_than_sending_twice() -> None:
    with pytest.raises(PolicyError, match=f"two tables send to {URL}: give one table all"):
        webhooks({"url": URL, "secret-env": "S"}, {"url": URL, "secret-env": "T"})


def test_credentials_in_the_url_are_refused_and_not_repeated() -> None:
    with pytest.raises(PolicyError, match="must not hold a user name or password") as raised:
        webhooks({"url": "https://ops:hunter2@hooks.example.com/x", "secret-env": "S"})
    assert "hunter2" not in str(raised.value)


@pytest.mark.parametrize(
    "table",
    [
        {"url": URL, "secret-env": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
        {"url": URL, "secret-env": "correct horse battery staple"},
        {"url": URL, "secret-env": "S", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
    ],
    ids=["whsec-as-the-name", "raw-as-the-name", "secret-key"],
)
def test_a_secret_pasted_into_the_policy_is_refused_without_being_repeated(
    table: dict[str, str],
) -> None:
    with pytest.raises(PolicyError) as raised:
        webhooks(table)
    text = str(raised.value)
    assert "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" not in text
    assert "horse" not in text
    assert "webhooks.0.secret" in text


def test_a_whsec_value_in_secret_env_is_named_for_what_it_is() -> None:
    with pytest.raises(PolicyError, match="holds a secret, not the name of a variable"):
        webhooks({"url": URL, "secret-env": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})
