import json
import math
from datetime import UTC, datetime, timedelta, timezone

import pytest

from genesys_compliance.webhooks import (
    WEBHOOK_EVENTS,
    build_message,
    canonical_json,
    new_message_id,
)

WHEN = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


def test_the_body_is_type_timestamp_and_data_with_sorted_keys_and_no_spaces() -> None:
    message = build_message(
        "apply.resource",
        {"name": "Support", "changes": [{"path": "/b", "to": 2}], "action": "update"},
        message_id="msg_1",
        occurred_at=WHEN,
    )
    assert message.body == (
        b'{"data":{"action":"update","changes":[{"path":"/b","to":2}],"name":"Support"},'
        b'"timestamp":"2024-05-01T12:00:00.123Z","type":"apply.resource"}'
    )
    assert (message.id, message.type, message.timestamp) == (
        "msg_1",
        "apply.resource",
        "2024-05-01T12:00:00.123Z",
    )


def test_the_body_is_the_same_bytes_whatever_order_the_data_was_built_in() -> None:
    one = build_message(
        "apply.completed", {"a": 1, "b": {"y": 2, "x": 1}}, message_id="m", occurred_at=WHEN
    )
    two = build_message(
        "apply.completed", {"b": {"x": 1, "y": 2}, "a": 1}, message_id="m", occurred_at=WHEN
    )
    assert one.body == two.body


def test_the_body_is_ascii_so_every_receiver_decodes_the_same_text() -> None:
    message = build_message("apply.started", {"name": "Café ☎"}, message_id="m", occurred_at=WHEN)
    assert message.body.isascii()
    assert json.loads(message.body)["data"]["name"] == "Café ☎"


def test_the_timestamp_is_rfc3339_utc_whatever_the_zone_given() -> None:
    paris = WHEN.astimezone(timezone(timedelta(hours=2)))
    message = build_message("apply.started", {}, message_id="m", occurred_at=paris)
    assert message.timestamp == "2024-05-01T12:00:00.123Z"


def test_a_naive_time_is_refused_rather_than_guessed() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        build_message("apply.started", {}, message_id="m", occurred_at=datetime(2024, 5, 1))


def test_an_unknown_event_type_is_a_caller_error_naming_the_events() -> None:
    with pytest.raises(
        ValueError, match=r"unknown event 'apply\.done'; the events are apply\.started"
    ):
        build_message("apply.done", {}, message_id="m", occurred_at=WHEN)


@pytest.mark.parametrize(
    ("data", "error"),
    [({"when": WHEN}, TypeError), ({"ids": {"a"}}, TypeError), ({"ratio": math.nan}, ValueError)],
    ids=["datetime", "set", "nan"],
)
def test_data_that_is_not_json_is_a_caller_error(
    data: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        build_message("apply.started", data, message_id="m", occurred_at=WHEN)


def test_canonical_json_is_compact_and_sorted() -> None:
    assert (
        canonical_json({"b": [1, 2.5, None, True], "a": "x"}) == b'{"a":"x","b":[1,2.5,null,true]}'
    )


def test_ids_are_unique_and_never_hold_a_full_stop() -> None:
    ids = {new_message_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(i.startswith("msg_") and "." not in i for i in ids)


def test_the_events_are_the_specs() -> None:
    assert WEBHOOK_EVENTS == (
        "apply.started",
        "apply.resource",
        "apply.completed",
        "apply.failed",
        "apply.rolled-back",
        "apply.conflict",
    )
