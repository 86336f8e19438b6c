"""Hypothesis settings profiles: ``dev``, ``ci`` and ``nightly``.

Registered, never loaded: hypothesis loads ``ci`` itself when the ``CI``
variable is set, and ``--hypothesis-profile`` picks any other.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

# Hypothesis' own ci profile (derandomised, no database, blob printing, no
# deadline), taken at import, before register_profiles() replaces it: calling
# register_profiles() twice must not stack our settings on our settings.
_BUILTIN_CI = settings.get_profile("ci")

DEV_EXAMPLES = 10
CI_EXAMPLES = 50
NIGHTLY_EXAMPLES = 2_000
NIGHTLY_DATABASE = Path("reports", "hypothesis")


def register_profiles(database: str | Path = NIGHTLY_DATABASE) -> None:
    """Register the ``dev``, ``ci`` and ``nightly`` profiles; load none of them.

    * ``dev``: fast feedback while editing rules (10 examples per property, no deadline).
    * ``ci``: hypothesis' built-in ``ci`` profile (derandomised, so a run is
      reproduced by running it again; no example database; the
      ``@reproduce_failure`` blob printed) with 50 examples per property, so
      the property suites fit the push pipeline.
    * ``nightly``: 2,000 examples per property with a fresh random seed every
      run and the example database in ``database`` (default
      ``reports/hypothesis``), so a failure found at night is replayed first
      by the next run that shares that folder.

    Re-registering ``ci`` while it is active takes effect at once (hypothesis
    reloads the active profile), which is how ``CI=true`` runs get the budget.
    """
    # No deadline in any of them: a slow example on a loaded machine says nothing about the
    # rules. Hypothesis' ``default`` profile is left as it is (other projects' tests share it);
    # the suites lift its deadline per test.
    settings.register_profile(
        "dev", settings.get_profile("default"), max_examples=DEV_EXAMPLES, deadline=None
    )
    settings.register_profile("ci", _BUILTIN_CI, max_examples=CI_EXAMPLES, deadline=None)
    settings.register_profile(
        "nightly",
        settings.get_profile("default"),
        max_examples=NIGHTLY_EXAMPLES,
        database=DirectoryBasedExampleDatabase(database),
        deadline=None,
        print_blob=True,
        # As in hypothesis' own ci profile: a shared, loaded runner makes generation
        # slow (deep trees, 50-condition rules); that says nothing about the rules.
        suppress_health_check=[HealthCheck.too_slow],
    )
