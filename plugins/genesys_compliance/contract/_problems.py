"""What a validation found, in a shape people and reports can read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from genesys_compliance.config import escape

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["Problem", "json_pointer"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One way a payload, request or response misses the contract.

    Attributes:
        location: Where in the message: ``body``, ``query``, ``path``,
            ``header``, ``status``, ``content-type`` or ``operation``.
        pointer: JSON pointer inside that location (``/widgets/0/position``),
            or the parameter name for query, path and header problems.
        message: What is wrong, in words.
        path: For a problem inside an instance (a body, a payload), the keys and
            indexes leading to the element, as the instance holds them. A
            configuration's keys need not be strings (YAML's ``true:``); whoever
            locates the problem in a file renders them as the file does.
    """

    location: str
    pointer: str
    message: str
    path: tuple[str | int, ...] = ()

    def __str__(self) -> str:
        where = (
            f"{self.location}{self.pointer}"
            if self.pointer.startswith("/")
            else (f"{self.location} {self.pointer}" if self.pointer else self.location)
        )
        return f"{where}: {self.message}"


def json_pointer(parts: Iterable[object]) -> str:
    """Render path parts as an RFC 6901 pointer ('' for the whole document).

    Parts are written with ``str()``; :attr:`Problem.path` keeps the values
    for whoever renders them the way a file writes them.
    """
    return "".join("/" + escape(str(part)) for part in parts)
