"""Layer 0: the rule registry, findings, policy thresholds, waivers and baselines.

Rules themselves live with their kind in :mod:`genesys_compliance.kinds`;
this package holds what every rule and every report shares.
"""

from genesys_compliance.rules._baseline import (
    BASELINE_VERSION,
    Baseline,
    BaselineEntry,
    BaselineError,
    Comparison,
    Fingerprint,
    Scope,
    entries_of,
    fingerprint,
    read_baseline,
    write_baseline,
)
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
    "BASELINE_VERSION",
    "CHECKED_STAGES",
    "Baseline",
    "BaselineEntry",
    "BaselineError",
    "Check",
    "Comparison",
    "Finding",
    "Fingerprint",
    "Policy",
    "Registry",
    "Rule",
    "RuleContext",
    "Scope",
    "Severity",
    "Stage",
    "Violation",
    "Waivers",
    "config_directories",
    "entries_of",
    "find_pyproject",
    "fingerprint",
    "load_policy",
    "policy_from_mapping",
    "pytest_ini_config_dirs",
    "read_baseline",
    "read_waivers",
    "register_rule_modules",
    "rule",
    "write_baseline",
]
