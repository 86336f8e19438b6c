"""RoutingRule: routing rules and their condition trees comply with schema and policy rules."""

from genesys_compliance import compliance_suite

test_routing_rule_complies = compliance_suite("RoutingRule")
