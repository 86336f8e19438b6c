"""FlowSettings: Architect flow settings comply with the schema and the policy rules."""

from genesys_compliance import compliance_suite

test_flow_settings_complies = compliance_suite("FlowSettings")
