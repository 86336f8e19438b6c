"""Every configuration file parses and holds well-formed envelopes.

One test per file: parse errors, unreadable envelopes and unknown kinds show
up here, since they cannot be attributed to a configuration of any kind.
"""

from collections.abc import Callable

from genesys_compliance import SourceFile


def test_file_is_readable(
    gc_config_file: SourceFile, gc_assert_complies: Callable[..., None]
) -> None:
    gc_assert_complies(gc_config_file)
