"""Hypothesis strategies for every configuration kind, single-rule mutators, and profiles.

The only part of the package that imports hypothesis. Use it in your own
property tests::

    from hypothesis import given
    from genesys_compliance.strategies import desktop_layouts, to_yaml

    @given(desktop_layouts())
    def test_renderer_accepts_every_valid_layout(layout):
        render(to_yaml(layout))

Generators (each takes the :class:`~genesys_compliance.Policy` to be valid
under, the SPEC defaults when ``None``) yield whole documents, plain dicts
ready for :func:`to_yaml`: :func:`desktop_layouts`, :func:`flow_settings`,
:func:`routing_strategies`, :func:`trigger_rules`, :func:`routing_rules`
(with :func:`expressions` for the trees alone) and :func:`configurations`
for any kind.

Mutators break one rule at a known element: :func:`mutate` (one
configuration, one rule, choices drawn from ``st.data()``),
:func:`mutations` (a strategy over rules and configurations) and
:func:`mutable_rules` (which rules can be broken alone, and why the others
cannot).

:func:`register_profiles` registers the ``dev`` and ``nightly`` settings
profiles without loading any (hypothesis' own ``default`` and ``ci`` are never
touched); :func:`suite_settings` is the active profile with the project's
budget for its name, for the project's own property tests only.
"""

from genesys_compliance.strategies._common import to_yaml
from genesys_compliance.strategies._flow import flow_settings
from genesys_compliance.strategies._layout import desktop_layouts
from genesys_compliance.strategies._mutations import (
    Mutation,
    configurations,
    mutable_rules,
    mutate,
    mutations,
)
from genesys_compliance.strategies._profiles import register_profiles, suite_settings
from genesys_compliance.strategies._routing_rule import expressions, routing_rules
from genesys_compliance.strategies._strategy import routing_strategies
from genesys_compliance.strategies._trigger import trigger_rules

__all__ = [
    "Mutation",
    "configurations",
    "desktop_layouts",
    "expressions",
    "flow_settings",
    "mutable_rules",
    "mutate",
    "mutations",
    "register_profiles",
    "routing_rules",
    "routing_strategies",
    "suite_settings",
    "to_yaml",
    "trigger_rules",
]
