"""The nightly check: the org holds what git states, and nothing of a managed kind besides.

One test per configuration: each managed field the org holds another value of
is an ``org/drift`` finding at the field's line, naming both values and, where
the org's audit can tell, who changed it and when; a configuration whose
resource the org lacks is drift too. One more test lists the org's resources of
the kinds kept here that no configuration names (``org/unmanaged`` warnings,
each with the export command that brings it into git).

Read-only. On by default under ``--gc-org live`` (the nightly job); against the
simulated org only with ``--gc-drift``, as the examples differ from its seed on
purpose.
"""

from collections.abc import Callable

from genesys_compliance import Entry


def test_org_holds_what_git_states(
    gc_configuration: Entry, gc_assert_no_drift: Callable[[Entry], None]
) -> None:
    gc_assert_no_drift(gc_configuration)


def test_org_holds_nothing_unmanaged(gc_assert_nothing_unmanaged: Callable[[], None]) -> None:
    gc_assert_nothing_unmanaged()
