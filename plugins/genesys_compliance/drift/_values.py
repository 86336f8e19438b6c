"""Values as a drift finding shows them: compact, cut short, and never a credential.

A finding's message lands in terminals, SARIF uploads and CI logs, and a value
read from the org was never checked by ``config/secret``: a token pasted into a
widget's configuration through the admin UI would otherwise be published by
the very check that noticed it. So a value that holds, or sits under a key
that names, a credential is replaced by a note, in messages and in JSON alike.
"""

from __future__ import annotations

import json
from typing import Any

from genesys_compliance.config import pointer_tokens
from genesys_compliance.kinds import find_secrets

__all__ = ["HIDDEN", "MAX_SHOWN", "hidden", "public", "shown"]

MAX_SHOWN = 60
"""Characters of a value a message shows: one long widget list must not bury the rest."""

HIDDEN = "(a credential, not shown)"


def hidden(ptr: str, value: Any) -> bool:
    """Whether the value at ``ptr`` is, or holds, something shaped like a credential."""
    tokens = pointer_tokens(ptr)
    wrapped = {tokens[-1]: value} if tokens else value
    return next(iter(find_secrets(wrapped)), None) is not None


def shown(ptr: str, value: Any, *, present: bool = True) -> str:
    """The value for a message: compact JSON, cut to :data:`MAX_SHOWN` characters."""
    if not present:
        return "none"
    if hidden(ptr, value):
        return HIDDEN
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def public(ptr: str, value: Any) -> Any:
    """The value for machine-readable output: whole, unless it is a credential."""
    return HIDDEN if hidden(ptr, value) else value
