"""genesys-compliance: Genesys Cloud configuration as code, checked by pytest.

The public API: load and check configurations (:func:`load_run`), write your
own rules (:func:`rule`, :class:`Violation`, registered through the
``pytest_gc_register_rules`` hook), and read policy thresholds.
"""

from genesys_compliance.config import ParseLimits, SourceFile
from genesys_compliance.engine import Entry, Run, load_run
from genesys_compliance.errors import DuplicateRuleError, GenesysComplianceError, PolicyError
from genesys_compliance.kinds import (
    KINDS,
    Config,
    Kind,
    builtin_registry,
    erlang_c,
    mean_queue_length,
    service_level,
)
from genesys_compliance.rules import (
    Finding,
    Policy,
    Registry,
    Rule,
    RuleContext,
    Severity,
    Violation,
    load_policy,
    rule,
)

__all__ = [
    "KINDS",
    "Config",
    "DuplicateRuleError",
    "Entry",
    "Finding",
    "GenesysComplianceError",
    "Kind",
    "ParseLimits",
    "Policy",
    "PolicyError",
    "Registry",
    "Rule",
    "RuleContext",
    "Run",
    "Severity",
    "SourceFile",
    "Violation",
    "builtin_registry",
    "erlang_c",
    "load_policy",
    "load_run",
    "mean_queue_length",
    "rule",
    "service_level",
]
