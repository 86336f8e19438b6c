"""The Genesys Cloud HTTP client: OAuth, regions, retries, rate limiting, redaction.

Layer L1: imports the contract, never the simulated org. Tests swap the
network through ``transport=`` and time through ``clock=``; nothing here
patches either.
"""

from genesys_compliance.client._api import GenesysClient
from genesys_compliance.client._clock import Clock, SystemClock, VirtualClock
from genesys_compliance.client._credentials import Credentials
from genesys_compliance.client._exchange import Exchange, ExchangeLog
from genesys_compliance.client._paging import JsonObject, Page
from genesys_compliance.client._ratelimit import RateLimiter
from genesys_compliance.client._redact import (
    RedactingFilter,
    Secret,
    redact,
    redact_headers,
    redact_json,
)
from genesys_compliance.client._regions import Region, all_regions, base_urls, resolve_region
from genesys_compliance.client._resources import Listing, Resource, ResourceClient
from genesys_compliance.client._retry import RetryPolicy

__all__ = [
    "Clock",
    "Credentials",
    "Exchange",
    "ExchangeLog",
    "GenesysClient",
    "JsonObject",
    "Listing",
    "Page",
    "RateLimiter",
    "RedactingFilter",
    "Region",
    "Resource",
    "ResourceClient",
    "RetryPolicy",
    "Secret",
    "SystemClock",
    "VirtualClock",
    "all_regions",
    "base_urls",
    "redact",
    "redact_headers",
    "redact_json",
    "resolve_region",
]
