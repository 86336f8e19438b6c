"""``genesys-compliance-simorg`` and ``python -m genesys_compliance.simorg``: serve an org."""

from __future__ import annotations

import argparse
import signal
import sys
from typing import TYPE_CHECKING

from genesys_compliance.simorg._handler import SimOrg
from genesys_compliance.simorg._seed import SeedError
from genesys_compliance.simorg._wsgi import bind

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import FrameType

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the simulated org on loopback until interrupted; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="genesys-compliance-simorg",
        description="Serve a simulated Genesys Cloud org (token endpoint and API) over HTTP.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    parser.add_argument("--port", type=int, default=8089, help="port; 0 picks a free one")
    parser.add_argument("--seed", default="fixtures/org", help="seed folder or file")
    parser.add_argument(
        "--client",
        action="append",
        default=[],
        metavar="ID:SECRET",
        help="add an OAuth client with every scope (repeatable)",
    )
    parser.add_argument(
        "--rate-limit", type=int, default=300, help="requests a token may make per minute"
    )
    parser.add_argument(
        "--token-lifetime", type=float, default=86400.0, help="seconds a token stays valid"
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="every request waits this long before the org answers (default 0)",
    )
    parser.add_argument(
        "--control",
        action="store_true",
        help="serve the fault-control interface under /_simorg, to loopback clients only "
        "(see fixtures/org/README.md)",
    )
    args = parser.parse_args(argv)
    try:
        org = SimOrg.from_path(
            args.seed,
            rate_limit_per_minute=args.rate_limit,
            token_lifetime=args.token_lifetime,
            latency=args.latency,
        )
    except (SeedError, ValueError) as exc:
        print(f"genesys-compliance-simorg: {exc}", file=sys.stderr)
        return 2
    for pair in args.client:
        client_id, sep, secret = pair.partition(":")
        if not sep or not client_id or not secret:
            print("genesys-compliance-simorg: --client takes ID:SECRET", file=sys.stderr)
            return 2
        org.add_client(client_id, secret)
    try:
        server = bind(org, args.host, args.port, control=args.control)
    except OSError as exc:
        print(
            f"genesys-compliance-simorg: cannot bind {args.host}:{args.port}: {exc}",
            file=sys.stderr,
        )
        return 1

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(f"simulated org {org.state.org_id} listening on {server.url}", flush=True)
    if args.control:
        print(f"control interface on {server.url}/_simorg (loopback clients only)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0
