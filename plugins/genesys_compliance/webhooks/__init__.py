"""Webhooks (SPEC 8): tell downstream systems what apply did, signed as Standard Webhooks v1.

Layer L3': a consumer of the apply stage's events. The apply stage makes one
:class:`WebhookSender` from ``policy.webhooks`` and calls
:meth:`WebhookSender.send` for each event; every :class:`Delivery` it returns
goes into the audit log. Delivery never raises for what a receiver, the network
or the environment does, and never changes what was applied.

Each message is one JSON body ``{"type", "timestamp", "data"}`` (sorted keys,
no spaces, ASCII), serialised once and POSTed with ``webhook-id`` (the same on
every retry), ``webhook-timestamp`` and ``webhook-signature`` headers.
"""

from genesys_compliance.rules._policy import WEBHOOK_EVENTS, WebhookTarget
from genesys_compliance.webhooks._delivery import Attempt, Delivery, Outcome
from genesys_compliance.webhooks._message import (
    WebhookMessage,
    build_message,
    canonical_json,
    new_message_id,
)
from genesys_compliance.webhooks._retry import DeliveryLimits, is_retryable
from genesys_compliance.webhooks._sender import WebhookSender
from genesys_compliance.webhooks._signing import SECRET_PREFIX, sign, signing_key

__all__ = [
    "SECRET_PREFIX",
    "WEBHOOK_EVENTS",
    "Attempt",
    "Delivery",
    "DeliveryLimits",
    "Outcome",
    "WebhookMessage",
    "WebhookSender",
    "WebhookTarget",
    "build_message",
    "canonical_json",
    "is_retryable",
    "new_message_id",
    "sign",
    "signing_key",
]
