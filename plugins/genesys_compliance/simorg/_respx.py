"""The in-process face: a strict respx router whose routes all lead to one simulated org."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import respx

from genesys_compliance.client import base_urls

if TYPE_CHECKING:
    import httpx

    from genesys_compliance.simorg._handler import SimOrg

__all__ = ["simorg_router"]

_TEMPLATE = re.compile(r"\{[^{}/]+\}")


def simorg_router(
    org: SimOrg,
    *,
    region: str = "mypurecloud.com",
    api_base_url: str | None = None,
    login_base_url: str | None = None,
    assert_all_called: bool = False,
) -> respx.MockRouter:
    """Build a respx router with one named route per contract operation.

    The router is strict: a request no route matches raises
    ``respx.errors.AllMockedAssertionError`` instead of reaching the network,
    and the token endpoint is only routed on the login host, so a client that
    asks the API host for tokens fails here as it would against Genesys.
    Routes are named by ``operationId``; assert on
    ``router.routes["getQueue"].called`` or ``.call_count``.

    Use it as a transport (no global patching, safe under xdist)::

        router = simorg_router(org)
        client = GenesysClient(..., transport=httpx.MockTransport(router.handler))

    or as a context manager that patches httpx for the block.
    """
    api, login = base_urls(region, api_base_url=api_base_url, login_base_url=login_base_url)
    router = respx.MockRouter(assert_all_called=assert_all_called, assert_all_mocked=True)

    def answer(request: httpx.Request) -> httpx.Response:
        return org(request)

    for op in org.contract.operations:
        base = login if op.server == "login" else api
        pattern = "^" + re.escape(base) + _path_regex(op.path) + r"(\?.*)?$"
        router.route(name=op.operation_id, method=op.method, url__regex=pattern).mock(
            side_effect=answer
        )
    return router


def _path_regex(template: str) -> str:
    # Unnamed groups: respx would pass named groups to the side effect as arguments.
    parts = _TEMPLATE.split(template)
    return "[^/?]+".join(re.escape(p) for p in parts)
