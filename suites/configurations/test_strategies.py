"""RoutingStrategy: routing strategies comply with the schema and the policy rules."""

from genesys_compliance import compliance_suite

test_routing_strategy_complies = compliance_suite("RoutingStrategy")
