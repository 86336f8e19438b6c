"""JSON pointers (RFC 6901): how findings name the element they are about."""

from __future__ import annotations


def escape(token: str) -> str:
    """Escape one reference token so ``/`` and ``~`` in keys stay unambiguous."""
    return token.replace("~", "~0").replace("/", "~1")


def pointer(*parts: str | int) -> str:
    """Join path parts into a pointer: ``pointer("spec", "widgets", 2)`` is ``/spec/widgets/2``."""
    return "".join("/" + escape(str(part)) for part in parts)


def dotted(ptr: str) -> str:
    """Render a pointer for people: ``/spec/widgets/0/id`` becomes ``spec.widgets[0].id``."""
    out: list[str] = []
    for raw in ptr.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        if token.isdigit() and out:
            out[-1] += f"[{token}]"
        else:
            out.append(token)
    return ".".join(out) or "(document)"
