"""TriggerRule: agent-assist trigger rules comply with the schema and the policy rules."""

from collections.abc import Callable

from genesys_compliance import Entry


def test_trigger_rule_complies(
    trigger_rule: Entry, gc_assert_complies: Callable[..., None]
) -> None:
    gc_assert_complies(trigger_rule)
