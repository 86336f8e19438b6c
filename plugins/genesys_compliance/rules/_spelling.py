"""Hints for a rule id a person typed that matches no rule: a look-alike character, a typo.

Rule ids are ASCII, so an id pasted from a chat or a word processor can carry a
character that renders exactly like the one meant (a Cyrillic i, a
non-breaking hyphen, a zero-width space) and be "unknown" for no visible
reason. Naming the character and the id it resembles turns that into a
one-line fix.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable

# Characters that render like the ASCII one an id would use, and that Unicode
# normalisation (NFKC, then NFKD without accents) leaves alone. Written as
# escapes so the source itself holds no look-alikes.
_LOOKALIKES = {
    # Cyrillic
    "\u0430": "a",
    "\u0435": "e",
    "\u0456": "i",
    "\u0458": "j",
    "\u043a": "k",
    "\u04cf": "l",
    "\u043e": "o",
    "\u0440": "p",
    "\u0441": "c",
    "\u0455": "s",
    "\u0443": "y",
    "\u0445": "x",
    "\u04bb": "h",
    "\u0501": "d",
    "\u051b": "q",
    "\u051d": "w",
    # Greek
    "\u03b1": "a",
    "\u03b9": "i",
    "\u03ba": "k",
    "\u03bd": "v",
    "\u03bf": "o",
    "\u03c1": "p",
    "\u03c4": "t",
    "\u03c5": "u",
    "\u03c7": "x",
    # Latin letters without a decomposition
    "\u0131": "i",
    "\u0269": "i",
    "\u0261": "g",
    # dashes and slashes
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u2044": "/",
    "\u2215": "/",
    "\u29f8": "/",
}


_LONGEST = 200  # characters: far beyond any rule id


def _ascii_skeleton(text: str) -> str:
    """``text`` as the ASCII id it looks like: look-alikes mapped, accents and invisibles gone."""
    out: list[str] = []
    for char in unicodedata.normalize("NFKC", text).casefold():
        if unicodedata.category(char) == "Cf":  # zero-width space, soft hyphen, BOM
            continue
        plain = unicodedata.normalize("NFKD", _LOOKALIKES.get(char, char))
        out.append("".join(c for c in plain if not unicodedata.combining(c)))
    return "".join(out).strip()


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X} {name}" if name else f"U+{ord(char):04X} (an unnamed character)"


def non_ascii_note(text: str) -> str:
    """``": it contains U+... NAME at position N"`` for the first non-ASCII character, or ``""``.

    Rule ids are ASCII; anywhere one is typed (a waiver, a custom rule's
    ``@rule(...)``), this says which character is the odd one out.
    """
    foreign = [(i, c) for i, c in enumerate(text) if not c.isascii()]
    if not foreign:
        return ""
    position, char = foreign[0]
    more = len(foreign) - 1
    also = f" (and {more} more non-ASCII character{'s' if more > 1 else ''})" if more else ""
    return f": it contains {_describe(char)} at position {position + 1}{also}"


def unknown_id_hint(text: str, known: Iterable[str]) -> str:
    """What to append to "unknown rule 'text'" so a person can fix it; ``""`` when nothing helps.

    Names the first non-ASCII character (code point, Unicode name, 1-based
    position) and suggests the known id that ``text`` looks like, or else the
    closest one by spelling.

    Example::

        >>> unknown_id_hint("layout/overlaps", ["layout/overlap"])
        "; did you mean 'layout/overlap'?"
    """
    ids = sorted(set(known))
    suggestion: str | None = None
    if len(text) <= _LONGEST:  # no id is longer; comparing would only cost time
        skeleton = _ascii_skeleton(text)
        close = [skeleton] if skeleton in ids else difflib.get_close_matches(skeleton, ids, n=1)
        suggestion = close[0] if close else None
    did_you_mean = f"; did you mean {suggestion!r}?" if suggestion not in (None, text) else ""
    return non_ascii_note(text) + did_you_mean
