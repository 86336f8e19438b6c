"""Fixtures for the webhook tests: a virtual clock, a wall clock tied to it, and one target."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from genesys_compliance.client import VirtualClock
from genesys_compliance.webhooks import DeliveryLimits, WebhookSender, WebhookTarget

URL = "https://hooks.example.com/genesys"
SECRET_ENV = "GC_WEBHOOK_SECRET"
# A distinctive raw secret, so a leak of it (or of its bytes) is easy to search for.
RAW_SECRET = "raw-Secret-7f3a9c-DO-NOT-LEAK"
WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
EPOCH = 1_700_000_000

MakeSender = Callable[..., WebhookSender]


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def make_sender(clock: VirtualClock) -> Iterator[MakeSender]:
    """A sender on the virtual clock, no jitter, ids msg_1, msg_2, ...; kwargs override."""
    counter = iter(range(1, 1_000_000))
    made: list[WebhookSender] = []

    def make(targets: list[WebhookTarget] | None = None, **kwargs: object) -> WebhookSender:
        options: dict[str, Any] = {
            "environ": {SECRET_ENV: RAW_SECRET},
            "clock": clock,
            "wall_clock": lambda: EPOCH + clock.now(),
            "new_id": lambda: f"msg_{next(counter)}",
            "limits": DeliveryLimits(jitter=0.0),
        }
        options.update(kwargs)
        sender = WebhookSender(
            targets if targets is not None else [WebhookTarget(url=URL, secret_env=SECRET_ENV)],
            **options,
        )
        made.append(sender)
        return sender

    yield make
    for sender in made:
        sender.close()
