"""TriggerRule: agent-assist trigger rules comply with the schema and the policy rules."""

from genesys_compliance import compliance_suite

test_trigger_rule_complies = compliance_suite("TriggerRule")
