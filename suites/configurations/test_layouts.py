"""DesktopLayout: agent desktop layouts comply with the schema and the policy rules."""

from genesys_compliance import compliance_suite

test_layout_complies = compliance_suite("DesktopLayout")
