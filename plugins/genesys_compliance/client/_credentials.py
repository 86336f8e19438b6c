"""Live-org credentials from the environment, under the names Genesys tooling uses."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from genesys_compliance.client._api import GenesysClient
from genesys_compliance.client._redact import Secret
from genesys_compliance.client._regions import DEFAULT_REGION, Region, resolve_region
from genesys_compliance.errors import CredentialsError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["Credentials"]

ENV_CLIENT_ID = "GENESYSCLOUD_OAUTHCLIENT_ID"
ENV_CLIENT_SECRET = "GENESYSCLOUD_OAUTHCLIENT_SECRET"
ENV_REGION = "GENESYSCLOUD_REGION"
ENV_API_BASE_URL = "GENESYSCLOUD_API_BASE_URL"
ENV_LOGIN_BASE_URL = "GENESYSCLOUD_LOGIN_BASE_URL"


@dataclass(frozen=True, slots=True)
class Credentials:
    """An OAuth client and where its org is; the secret stays wrapped.

    The ``ENV_*`` class attributes name the environment variables read.
    """

    ENV_CLIENT_ID: ClassVar[str] = ENV_CLIENT_ID
    ENV_CLIENT_SECRET: ClassVar[str] = ENV_CLIENT_SECRET
    ENV_REGION: ClassVar[str] = ENV_REGION
    ENV_API_BASE_URL: ClassVar[str] = ENV_API_BASE_URL
    ENV_LOGIN_BASE_URL: ClassVar[str] = ENV_LOGIN_BASE_URL

    client_id: str
    client_secret: Secret
    region: Region
    api_base_url: str | None = None
    login_base_url: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Credentials:
        """Read ``GENESYSCLOUD_OAUTHCLIENT_ID``, ``..._SECRET`` and ``GENESYSCLOUD_REGION``.

        ``GENESYSCLOUD_API_BASE_URL`` (and ``GENESYSCLOUD_LOGIN_BASE_URL``)
        point at a private endpoint or a local simulated org; with the API
        base URL set, the region may be omitted.

        Raises:
            CredentialsError: Something is missing or the region is unknown;
                the message names the variables, never their values.
        """
        env = os.environ if environ is None else environ
        client_id = env.get(ENV_CLIENT_ID, "").strip()
        secret = env.get(ENV_CLIENT_SECRET, "")
        api_base_url = env.get(ENV_API_BASE_URL, "").strip() or None
        login_base_url = env.get(ENV_LOGIN_BASE_URL, "").strip() or None
        region_text = env.get(ENV_REGION, "").strip()
        missing = [
            name
            for name, value in ((ENV_CLIENT_ID, client_id), (ENV_CLIENT_SECRET, secret))
            if not value
        ]
        if not region_text and not api_base_url:
            missing.append(ENV_REGION)
        if missing:
            raise CredentialsError(
                "live-org credentials missing: set "
                + ", ".join(missing)
                + f" (or {ENV_API_BASE_URL} for a private endpoint)"
            )
        try:
            region = resolve_region(region_text or DEFAULT_REGION)
        except ValueError as exc:
            raise CredentialsError(f"{ENV_REGION}: {exc}") from None
        return cls(client_id, Secret(secret), region, api_base_url, login_base_url)

    def client(self, **kwargs: Any) -> GenesysClient:
        """A client for these credentials; ``kwargs`` go to :class:`GenesysClient`."""
        return GenesysClient(
            client_id=self.client_id,
            client_secret=self.client_secret,
            region=self.region,
            api_base_url=self.api_base_url,
            login_base_url=self.login_base_url,
            **kwargs,
        )
