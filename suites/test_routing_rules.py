"""RoutingRule: routing rules and their condition trees comply with schema and policy rules."""

from collections.abc import Callable

from genesys_compliance import Entry


def test_routing_rule_complies(
    routing_rule: Entry, gc_assert_complies: Callable[..., None]
) -> None:
    gc_assert_complies(routing_rule)
