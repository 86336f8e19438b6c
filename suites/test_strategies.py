"""RoutingStrategy: routing strategies comply with the schema and the policy rules."""

from collections.abc import Callable

from genesys_compliance import Entry


def test_routing_strategy_complies(
    routing_strategy: Entry, gc_assert_complies: Callable[..., None]
) -> None:
    gc_assert_complies(routing_strategy)
