"""Hypothesis settings profiles ``dev`` and ``nightly``, and the suites' budget per profile.

Hypothesis' settings are one registry per process, shared by every project's
tests in it, so nothing here touches what hypothesis defines itself
(``default``, ``ci``): a project that merely has the package installed keeps
hypothesis' own settings. The project's budget (50 examples per property
under ``ci``) is applied by its own property tests, through
:func:`suite_settings`, to those tests only.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.errors import InvalidArgument

DEV_EXAMPLES = 10
CI_EXAMPLES = 50
NIGHTLY_EXAMPLES = 2_000
NIGHTLY_DATABASE = Path("reports", "hypothesis")
PROFILES = ("dev", "nightly")
"""The profiles this module registers: names hypothesis itself does not define."""

SUITE_BUDGETS: Mapping[str, Mapping[str, Any]] = {
    "dev": {"max_examples": DEV_EXAMPLES},
    # Hypothesis' own ci profile is derandomised already; said again so the budget holds
    # should a project redefine ``ci`` for its own tests.
    "ci": {"max_examples": CI_EXAMPLES, "derandomize": True},
    "nightly": {"max_examples": NIGHTLY_EXAMPLES},
}
"""What the project's property suites change in the profile of each name, and nothing else."""

_REGISTERED: dict[str, settings] = {}
"""The profiles :func:`register_profiles` registered, to tell them from a project's own."""


def register_profiles(database: str | Path = NIGHTLY_DATABASE) -> None:
    """Register the ``dev`` and ``nightly`` profiles where no one else has; load neither.

    * ``dev``: fast feedback while editing rules (10 examples per property, no deadline).
    * ``nightly``: 2,000 examples per property with a fresh random seed every
      run and the example database in ``database`` (default
      ``reports/hypothesis``), so a failure found at night is replayed first
      by the next run that shares that folder.

    ``ci`` is hypothesis' own (derandomised, no database, the
    ``@reproduce_failure`` blob printed, no deadline) and stays so. A profile
    of the same name that a project registered itself is left alone; one
    this function registered before is replaced, so each session gets its
    own database folder.
    """
    wanted = {
        # No deadline: a slow example on a loaded machine says nothing about the rules.
        "dev": settings(settings.get_profile("default"), max_examples=DEV_EXAMPLES, deadline=None),
        "nightly": settings(
            settings.get_profile("default"),
            max_examples=NIGHTLY_EXAMPLES,
            database=DirectoryBasedExampleDatabase(database),
            deadline=None,
            print_blob=True,
            # As in hypothesis' own ci profile: a shared, loaded runner makes generation
            # slow (deep trees, 50-condition rules); that says nothing about the rules.
            suppress_health_check=[HealthCheck.too_slow],
        ),
    }
    for name, profile in wanted.items():
        if _registered_by_someone_else(name):
            continue
        settings.register_profile(name, profile)
        _REGISTERED[name] = profile


def _registered_by_someone_else(name: str) -> bool:
    try:
        current = settings.get_profile(name)
    except InvalidArgument:
        return False
    return current is not _REGISTERED.get(name)


def suite_settings(**overrides: Any) -> settings:
    """The active profile with the project's budget for its name, then ``overrides``.

    For the project's own property tests: under ``ci`` they run 50 examples,
    derandomised; under ``dev`` 10 and under ``nightly`` 2,000; any other
    profile (``default``, a project's own) as it is. A name hypothesis
    derives from a profile for ``--hypothesis-verbosity`` or
    ``--hypothesis-explain`` (``ci-with-verbose-verbosity``) counts as that
    profile's.
    """
    return settings(settings(), **{**suite_budget(), **overrides})


def suite_budget() -> Mapping[str, Any]:
    """The settings the suites change in the active profile (empty for a profile not ours)."""
    name = settings.get_current_profile_name().split("-with-", 1)[0]
    return SUITE_BUDGETS.get(name, {})
