"""The 18 public Genesys Cloud regions and how a region name becomes base URLs."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["DEFAULT_REGION", "REGIONS", "Region", "all_regions", "base_urls", "resolve_region"]

# The region Genesys tooling assumes when none is named.
DEFAULT_REGION = "mypurecloud.com"


@dataclass(frozen=True, slots=True)
class Region:
    """A Genesys Cloud region.

    Attributes:
        name: The AWS-style name Genesys tooling accepts in ``GENESYSCLOUD_REGION``.
        domain: The region's domain; APIs live on ``api.<domain>``, OAuth on
            ``login.<domain>``.
    """

    name: str
    domain: str

    @property
    def api_base_url(self) -> str:
        """Where the platform API is served."""
        return f"https://api.{self.domain}"

    @property
    def login_base_url(self) -> str:
        """Where the OAuth token endpoint is served."""
        return f"https://login.{self.domain}"


REGIONS: tuple[Region, ...] = (
    Region("us-east-1", "mypurecloud.com"),
    Region("us-east-2", "use2.us-gov-pure.cloud"),
    Region("us-west-2", "usw2.pure.cloud"),
    Region("ca-central-1", "cac1.pure.cloud"),
    Region("sa-east-1", "sae1.pure.cloud"),
    Region("mx-central-1", "mxc1.pure.cloud"),
    Region("eu-west-1", "mypurecloud.ie"),
    Region("eu-west-2", "euw2.pure.cloud"),
    Region("eu-central-1", "mypurecloud.de"),
    Region("eu-central-2", "euc2.pure.cloud"),
    Region("eusc-de-east-1", "edee1.eusc-pure.cloud"),
    Region("me-central-1", "mec1.pure.cloud"),
    Region("ap-south-1", "aps1.pure.cloud"),
    Region("ap-northeast-1", "mypurecloud.jp"),
    Region("ap-northeast-2", "apne2.pure.cloud"),
    Region("ap-northeast-3", "apne3.pure.cloud"),
    Region("ap-southeast-1", "apse1.pure.cloud"),
    Region("ap-southeast-2", "mypurecloud.com.au"),
)


def all_regions() -> tuple[Region, ...]:
    """The 18 public regions."""
    return REGIONS


_BY_KEY = {key: r for r in REGIONS for key in (r.name, r.domain)}


def resolve_region(value: str) -> Region:
    """Find a region by name, domain, host or URL.

    ``eu-west-1``, ``mypurecloud.ie``, ``api.mypurecloud.ie`` and
    ``https://login.mypurecloud.ie`` all name the same region, because people
    copy whichever one their admin console or pipeline shows.

    Raises:
        ValueError: Not one of the 18 public regions; the message lists them.
    """
    text = value.strip().lower()
    host = urlsplit(text).hostname if "://" in text else text.rstrip("/")
    for prefix in ("api.", "login.", "apps."):
        if host and host.startswith(prefix):
            host = host[len(prefix) :]
    found = _BY_KEY.get(host or "")
    if found is None:
        known = ", ".join(f"{r.name} ({r.domain})" for r in REGIONS)
        raise ValueError(f"unknown Genesys Cloud region {value!r}; known regions: {known}")
    return found


def base_urls(
    region: str | Region = DEFAULT_REGION,
    *,
    api_base_url: str | None = None,
    login_base_url: str | None = None,
) -> tuple[str, str]:
    """The API and login base URLs of a region, after any explicit overrides.

    This is the one place that decides where requests go, so the client and
    the simulated org's router can never disagree about a host. An explicit
    API URL also serves tokens unless a login URL is given too, because one
    local server (the simulated org over HTTP, a private gateway) answers
    both.

    Returns:
        ``(api, login)``, each without a trailing slash.

    Raises:
        ValueError: ``region`` is a string naming no public region.
    """
    found = region if isinstance(region, Region) else resolve_region(region)
    api = (api_base_url or found.api_base_url).rstrip("/")
    login = (login_base_url or api_base_url or found.login_base_url).rstrip("/")
    return api, login
