"""genesys-compliance: Genesys Cloud configuration as code, checked by pytest.

The public API: load and check configurations (:func:`load_run`), declare a
compliance suite (:func:`compliance_suite`), write your own rules
(:func:`rule`, :class:`Violation`, registered through the
``pytest_gc_register_rules`` hook), and read policy thresholds.

Names are imported on first use (PEP 562): pytest imports this package for
every run in an environment where it is installed, through the plugin's
entry point, and a project that never checks a configuration must not pay
for pydantic and every kind module.
"""

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from genesys_compliance.checks import compliance_suite
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
    "compliance_suite",
    "erlang_c",
    "load_policy",
    "load_run",
    "mean_queue_length",
    "rule",
    "service_level",
]

_HOMES = {
    "checks": ("compliance_suite",),
    "config": ("ParseLimits", "SourceFile"),
    "engine": ("Entry", "Run", "load_run"),
    "errors": ("DuplicateRuleError", "GenesysComplianceError", "PolicyError"),
    "kinds": (
        "KINDS",
        "Config",
        "Kind",
        "builtin_registry",
        "erlang_c",
        "mean_queue_length",
        "service_level",
    ),
    "rules": (
        "Finding",
        "Policy",
        "Registry",
        "Rule",
        "RuleContext",
        "Severity",
        "Violation",
        "load_policy",
        "rule",
    ),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> object:
    """Import a public name from the module that defines it, once, on first use."""
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The module's names and every public one, imported or not yet."""
    return sorted({*globals(), *__all__})
