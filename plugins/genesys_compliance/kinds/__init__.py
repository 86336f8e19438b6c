"""Layer 0: the five configuration kinds, each with its pydantic model and its rules."""

from genesys_compliance.kinds._base import (
    API_VERSION,
    NAME_PATTERN,
    Config,
    Kind,
    Metadata,
    Strict,
)
from genesys_compliance.kinds._erlang import (
    erlang_b,
    erlang_c,
    mean_queue_length,
    service_level,
)
from genesys_compliance.kinds.common import COMMON_RULES, RUN_AND_ORG_RULES, find_secrets
from genesys_compliance.kinds.flow import FLOW_SETTINGS
from genesys_compliance.kinds.layout import DESKTOP_LAYOUT
from genesys_compliance.kinds.routing_rule import ROUTING_RULE
from genesys_compliance.kinds.strategy import ROUTING_STRATEGY
from genesys_compliance.kinds.trigger import TRIGGER_RULE
from genesys_compliance.rules import Registry

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (DESKTOP_LAYOUT, FLOW_SETTINGS, ROUTING_STRATEGY, TRIGGER_RULE, ROUTING_RULE)
}


def builtin_registry() -> Registry:
    """A fresh registry holding the SPEC catalogue, in catalogue order."""
    registry = Registry(COMMON_RULES)
    for kind in KINDS.values():
        for item in kind.rules:
            registry.register(item)
        for extra in RUN_AND_ORG_RULES:
            if extra.kind == kind.name:
                registry.register(extra)
    for extra in RUN_AND_ORG_RULES:
        if extra.kind is None:
            registry.register(extra)
    return registry


__all__ = [
    "API_VERSION",
    "KINDS",
    "NAME_PATTERN",
    "Config",
    "Kind",
    "Metadata",
    "Strict",
    "builtin_registry",
    "erlang_b",
    "erlang_c",
    "find_secrets",
    "mean_queue_length",
    "service_level",
]
