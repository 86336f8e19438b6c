"""Keep client secrets and bearer tokens out of logs, exceptions and recorded exchanges.

Two nets: every value wrapped in :class:`Secret` is remembered and replaced
wherever it appears, and anything shaped like a credential (an Authorization
value, an ``access_token`` field, a JWT) is masked even if we never saw it.
"""

from __future__ import annotations

import hmac
import logging
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "MASK",
    "RedactingFilter",
    "Secret",
    "install_log_redaction",
    "redact",
    "redact_headers",
    "redact_json",
]

MASK = "[REDACTED]"
# Shorter values would mask ordinary words; they are still masked by shape.
_MIN_REMEMBERED = 6
_SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
_SENSITIVE_KEY = re.compile(
    r"(?i)secret|passw(or)?d|api[-_]?key|authorization|credential"
    r"|(access|refresh|id|auth|bearer)[-_]?token|^token$"
)
_PATTERNS = (
    # Authorization values: "Bearer abc", "Basic Zm9vOmJhcg=="
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{4,}"), r"\1 " + MASK),
    # JSON or form fields named like credentials
    (
        re.compile(
            r"(?i)(\"?(?:access_token|refresh_token|id_token|client_secret|password)\"?\s*[:=]\s*\"?)"
            r"[^\"&\s,}]+"
        ),
        r"\1" + MASK,
    ),
    # JWTs anywhere
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), MASK),
)


class _Remembered:
    """Every secret value seen by this process, longest first, for literal masking."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()
        self._ordered: tuple[str, ...] = ()

    def add(self, value: str) -> None:
        if len(value) < _MIN_REMEMBERED:
            return
        with self._lock:
            if value not in self._values:
                self._values.add(value)
                self._ordered = tuple(sorted(self._values, key=len, reverse=True))

    def values(self) -> tuple[str, ...]:
        return self._ordered


_REMEMBERED = _Remembered()


class Secret:
    """A string that never shows itself: not in ``repr``, ``str``, tracebacks or logs.

    pytest prints the arguments of every frame in a failure's traceback, so a
    raw secret passed as an argument would land in JUnit XML; a ``Secret``
    prints as a mask instead. Call :meth:`reveal` at the last moment.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        _REMEMBERED.add(value)

    def reveal(self) -> str:
        """The value, for the one place that must send it."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> Any:
        raise TypeError("a Secret is not pickled, so it cannot leak through a worker queue")


def redact(text: str) -> str:
    """Mask every remembered secret and every credential-shaped token in ``text``."""
    for value in _REMEMBERED.values():
        if value in text:
            text = text.replace(value, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Copy headers, keeping the scheme of credentials but never their value."""
    out: dict[str, str] = {}
    for name, value in headers:
        if name.lower() in _SENSITIVE_HEADERS:
            scheme = value.split(" ", 1)[0] if " " in value else ""
            masked = f"{scheme} {MASK}" if scheme else MASK
            out[name] = masked
        else:
            out[name] = redact(value)
    return out


def redact_json(value: Any) -> Any:
    """Copy a JSON value, masking fields named like credentials and credential-shaped strings."""
    if isinstance(value, Mapping):
        return {
            k: (
                MASK
                if isinstance(v, str) and v and _SENSITIVE_KEY.search(str(k))
                else redact_json(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact_json(v) for v in value]
    if isinstance(value, str):
        return redact(value)
    return value


class RedactingFilter(logging.Filter):
    """Rewrite a record's message through :func:`redact` before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the formatted message in place; never drop the record."""
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


def install_log_redaction(logger: logging.Logger) -> None:
    """Attach one :class:`RedactingFilter` to ``logger`` (idempotent).

    Logger filters run only for records created on that very logger, so every
    module of a package logs through the one logger given here.
    """
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
