"""Errors raised by genesys-compliance.

Findings are data, not exceptions: a broken configuration never raises. These
errors are for the caller's mistakes and for the org answering badly::

    GenesysComplianceError
    ├── PolicyError            bad [tool.genesys-compliance] block or rule registration
    │   └── DuplicateRuleError two rules claim the same id
    ├── BaselineError          the baseline file cannot be read: missing, not JSON, another
    │                          version, an entry of the wrong shape (rules/_baseline.py)
    ├── CredentialsError       live-org credentials missing from the environment or unusable
    ├── ExportError            the export folder cannot take the export; nothing changed
    │                          (export/_errors.py)
    └── ApiError               the org answered with an error (status, code, correlation id)
        ├── AuthError          401/403, or the token endpoint refused the credentials
        ├── NotFoundError      404
        ├── ConflictError      409/412: a stale version or etag, or a duplicate name
        ├── RateLimitedError   429 after the retries allowed
        └── TransportError     the connection failed after the retries allowed

Every text an ``ApiError`` carries has been redacted by the client that raised
it: no client secret or bearer token ever reaches ``str()`` or ``repr()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


class GenesysComplianceError(Exception):
    """Base of every error this package raises on purpose."""


class PolicyError(GenesysComplianceError):
    """The policy or the rule registry cannot be used as configured."""


class DuplicateRuleError(PolicyError):
    """Two rules were registered under one id; ids are public and must be unique."""


class CredentialsError(GenesysComplianceError):
    """Live-org credentials are missing or malformed; the message names what to set."""


class ApiError(GenesysComplianceError):
    """The org (or the way to it) failed a request.

    Attributes:
        message: The org's message, or ours when the org sent none.
        status: HTTP status, or ``None`` when no response arrived.
        code: The Genesys error code (``version.mismatch``) or OAuth error.
        correlation_id: ``ININ-Correlation-Id`` of the response, for support tickets.
        method: HTTP method of the failed request.
        url: URL of the failed request.
        details: The ``details`` entries of the Genesys error body.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        correlation_id: str | None = None,
        method: str | None = None,
        url: str | None = None,
        details: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.correlation_id = correlation_id
        self.method = method
        self.url = url
        self.details = tuple(details)

    def __str__(self) -> str:
        head = " ".join(str(part) for part in (self.status, self.code) if part is not None)
        text = f"{head}: {self.message}" if head else self.message
        where = " ".join(part for part in (self.method, self.url) if part)
        extras = [where] if where else []
        if self.correlation_id:
            extras.append(f"correlation id {self.correlation_id}")
        return f"{text} ({', '.join(extras)})" if extras else text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r}, correlation_id={self.correlation_id!r})"
        )


class AuthError(ApiError):
    """The credentials were refused, the token was rejected, or it lacks a scope."""


class NotFoundError(ApiError):
    """The resource does not exist on the org."""


class ConflictError(ApiError):
    """The write lost a race (stale version or etag) or collides with another resource."""


class RateLimitedError(ApiError):
    """The org kept answering 429 after the retries allowed.

    Attributes:
        retry_after: Seconds the org asked us to wait, when it said.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class TransportError(ApiError):
    """No usable response arrived: connection refused, dropped, or timed out."""
