"""Layer 0: the rule registry, findings, policy thresholds and waivers.

Rules themselves live with their kind in :mod:`genesys_compliance.kinds`;
this package holds what every rule and every report shares.
"""

from genesys_compliance.rules._context import RuleContext
from genesys_compliance.rules._finding import Finding, Severity, Violation
from genesys_compliance.rules._policy import Policy, load_policy, policy_from_mapping
from genesys_compliance.rules._project import (
    config_directories,
    find_pyproject,
    pytest_ini_config_dirs,
    register_rule_modules,
)
from genesys_compliance.rules._registry import CHECKED_STAGES, Check, Registry, Rule, Stage, rule
from genesys_compliance.rules._waivers import Waivers, read_waivers

__all__ = [
    "CHECKED_STAGES",
    "Check",
    "Finding",
    "Policy",
    "Registry",
    "Rule",
    "RuleContext",
    "Severity",
    "Stage",
    "Violation",
    "Waivers",
    "config_directories",
    "find_pyproject",
    "load_policy",
    "policy_from_mapping",
    "pytest_ini_config_dirs",
    "read_waivers",
    "register_rule_modules",
    "rule",
]
