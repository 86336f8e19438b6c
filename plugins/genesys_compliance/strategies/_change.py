"""What a single-rule mutator returns, and the draws every mutator shares."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from hypothesis import strategies as st

from genesys_compliance.kinds import find_secrets
from genesys_compliance.rules import Policy
from genesys_compliance.strategies._common import Doc


@dataclass(frozen=True, slots=True)
class Change:
    """Where a mutator broke the document (a JSON pointer) and what it did, for people.

    ``copies`` are documents written after the mutated one (cross-file rules
    need a second configuration); ``in_copy`` says the finding is in
    ``copies[in_copy]`` rather than in the mutated document.
    """

    pointer: str
    description: str
    copies: tuple[Doc, ...] = ()
    in_copy: int | None = None


Mutator = Callable[[Doc, st.DataObject, Policy], "Change | None"]
"""Breaks one rule in a deep copy of a valid document, in place; ``None`` when it cannot."""


def unallowed(allowed: Collection[str]) -> st.SearchStrategy[str]:
    """Arbitrary text that is not in ``allowed`` (nor credential-shaped); shrinks to ``""``."""
    return st.text().filter(lambda text: text not in allowed and not any(find_secrets(text)))


def pick(data: st.DataObject, count: int, label: str) -> int:
    """An index below ``count`` (> 0), labelled so failure reports say what was chosen."""
    return data.draw(st.integers(0, count - 1), label=label)


def variant(data: st.DataObject, *names: str) -> str:
    """Which way to break the rule; the first one is what shrinking settles on."""
    return data.draw(st.sampled_from(names), label="variant")


def not_a_positive_int() -> st.SearchStrategy[object]:
    """Values a "positive integer" field must refuse: 0, negatives, floats, text, booleans."""
    return st.one_of(
        st.integers(max_value=0),
        st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from(("1", "ten", True, False)),
    )
