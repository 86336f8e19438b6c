"""Bearer tokens: fetched once, shared by every thread, refreshed before they expire."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from genesys_compliance.client._clock import Clock
    from genesys_compliance.client._redact import Secret

__all__ = ["IssuedToken", "TokenManager"]


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """What the token endpoint granted."""

    value: Secret
    expires_in: float


class TokenManager:
    """Cache one token and refresh it at most once at a time.

    The lock is held across the fetch on purpose: threads that find the token
    stale queue behind the one refreshing and then reuse its result, so a
    burst of parallel calls costs one token request, not one per thread.
    """

    def __init__(
        self,
        fetch: Callable[[], IssuedToken],
        *,
        clock: Clock,
        refresh_margin: float = 60.0,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._margin = refresh_margin
        self._lock = threading.Lock()
        self._token: Secret | None = None
        self._refresh_at = float("-inf")
        self._fetches = 0

    @property
    def fetches(self) -> int:
        """How many tokens were requested so far."""
        return self._fetches

    def current(self) -> Secret:
        """Return a token valid for at least the refresh margin, fetching if needed."""
        with self._lock:
            if self._token is None or self._clock.now() >= self._refresh_at:
                issued = self._fetch()
                self._fetches += 1
                # Short-lived tokens refresh at half-life rather than never being fresh.
                margin = min(self._margin, issued.expires_in / 2)
                self._token = issued.value
                self._refresh_at = self._clock.now() + issued.expires_in - margin
            return self._token

    def invalidate(self, stale: Secret) -> None:
        """Drop ``stale`` if it is still the cached token (the org answered 401 to it).

        Comparing identity keeps concurrent 401s to one refresh: the first
        caller drops the token, the others find a newer one already cached.
        """
        with self._lock:
            if self._token is stale:
                self._token = None
