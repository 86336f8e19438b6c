"""DesktopLayout: agent desktop layouts comply with the schema and the policy rules."""

from collections.abc import Callable

from genesys_compliance import Entry


def test_layout_complies(desktop_layout: Entry, gc_assert_complies: Callable[..., None]) -> None:
    gc_assert_complies(desktop_layout)
