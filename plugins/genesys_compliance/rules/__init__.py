"""Layer 0: the rule registry, findings, policy thresholds and waivers.

Rules themselves live with their kind in :mod:`genesys_compliance.kinds`;
this package holds what every rule and every report shares.
"""

from genesys_compliance.rules._context import RuleContext
from genesys_compliance.rules._finding import Finding, Severity, Violation
from genesys_compliance.rules._policy import Policy, load_policy, policy_from_mapping
from genesys_compliance.rules._registry import Registry, Rule, Stage, rule
from genesys_compliance.rules._waivers import Waivers, read_waivers

__all__ = [
    "Finding",
    "Policy",
    "Registry",
    "Rule",
    "RuleContext",
    "Severity",
    "Stage",
    "Violation",
    "Waivers",
    "load_policy",
    "policy_from_mapping",
    "read_waivers",
    "rule",
]
