"""FlowSettings: Architect flow settings comply with the schema and the policy rules."""

from collections.abc import Callable

from genesys_compliance import Entry


def test_flow_settings_complies(
    flow_settings: Entry, gc_assert_complies: Callable[..., None]
) -> None:
    gc_assert_complies(flow_settings)
