"""JSON pointers (RFC 6901): how findings name the element they are about.

The one place that escapes and unescapes reference tokens: every layer that
writes or walks a pointer calls these, so ``~`` and ``/`` in keys are read the
way they were written wherever a pointer travels.
"""

from __future__ import annotations


def escape(token: str) -> str:
    """Escape one reference token so ``/`` and ``~`` in keys stay unambiguous."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    """Read one escaped reference token back as the key it names.

    ``~1`` is replaced before ``~0``, as RFC 6901 orders it, so ``~01`` reads
    ``~1`` and not ``/``.
    """
    return token.replace("~1", "/").replace("~0", "~")


def pointer_tokens(ptr: str) -> list[str]:
    """Split a pointer into its unescaped reference tokens (none for ``""``, the whole document).

    Walking code indexes data with these, so a key holding ``/`` is one step,
    not two.
    """
    return [unescape(raw) for raw in ptr.split("/")[1:]]


def key_text(key: object) -> str:
    """Write a mapping key (or list index) the way a YAML or JSON file writes it.

    Non-string keys reach the data as Python values; ``str()`` would show a
    ``null`` key as ``None`` and ``true`` as ``True``, words the file never
    holds. The canonical YAML 1.2 spelling is shown instead (``0x1F`` reads
    ``31``: the value is kept, not its notation).
    """
    if isinstance(key, str):
        return key
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, float):
        return repr(key)  # the shortest text that reads back as the same number
    return str(key)


def pointer(*parts: object) -> str:
    """Join path parts into a pointer: ``pointer("spec", "widgets", 2)`` is ``/spec/widgets/2``."""
    return "".join("/" + escape(key_text(part)) for part in parts)


def dotted(ptr: str) -> str:
    """Render a pointer for people: ``/spec/widgets/0/id`` becomes ``spec.widgets[0].id``."""
    out: list[str] = []
    for token in pointer_tokens(ptr):
        if token.isdigit() and out:
            out[-1] += f"[{token}]"
        else:
            out.append(token)
    return ".".join(out) or "(document)"
