"""The API stage for every configuration: its payload fits the contract, its references exist.

Every queue, flow, template and user a configuration names must exist in the
org (``org/reference``), with the staffing its routing strategy needs
(``strategy/capacity``).

The org is the simulated one by default (``--gc-org mock``); ``--gc-org live`` checks a
live org, read-only.
"""

from collections.abc import Callable

from genesys_compliance import Entry


def test_payload_fits_the_contract(
    gc_configuration: Entry, gc_assert_fits_contract: Callable[[Entry], None]
) -> None:
    gc_assert_fits_contract(gc_configuration)


def test_org_has_what_it_names(
    gc_configuration: Entry, gc_assert_org_complies: Callable[[Entry], None]
) -> None:
    gc_assert_org_complies(gc_configuration)
