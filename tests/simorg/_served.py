"""Run ``genesys-compliance-simorg`` as a real process for the over-HTTP tests."""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import httpx

from tests.api_support import CI_CLIENT, CI_SECRET, SEED_DIR

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

REPO = SEED_DIR.parent.parent
# Generous: a busy 2-core machine imports the package slowly; a fast one does not wait.
_STARTUP_SECONDS = 60


def env() -> dict[str, str]:
    """The environment for a child Python that imports the package from this checkout."""
    values = dict(os.environ)
    plugins = str(REPO / "plugins")
    values["PYTHONPATH"] = os.pathsep.join(p for p in (plugins, values.get("PYTHONPATH", "")) if p)
    return values


@contextlib.contextmanager
def simorg_process(cwd: Path, *args: str) -> Iterator[str]:
    """Start the server on a free port with ``args``; yield its URL; stop it afterwards."""
    command = [
        sys.executable,
        "-m",
        "genesys_compliance.simorg",
        "--port",
        "0",
        "--seed",
        str(SEED_DIR),
        *args,
    ]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env(), cwd=cwd
    ) as proc:
        try:
            assert proc.stdout is not None
            ready, _, _ = select.select([proc.stdout], [], [], _STARTUP_SECONDS)
            assert ready, "the server did not announce itself"
            line = proc.stdout.readline()
            assert "listening on http://127.0.0.1:" in line, line
            yield line.rsplit(" ", 1)[-1].strip()
        finally:
            proc.terminate()
            _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr  # SIGTERM is a clean stop


def api_client(url: str, client_id: str = CI_CLIENT, secret: str = CI_SECRET) -> httpx.Client:
    """A plain httpx client holding a bearer token for ``client_id`` (no retries: faults show)."""
    token = httpx.post(
        f"{url}/oauth/token",
        auth=(client_id, secret),
        data={"grant_type": "client_credentials"},
        timeout=30,
    )
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    return httpx.Client(base_url=url, headers=headers, timeout=30)


def audits_of(client: httpx.Client, entity_id: str) -> list[dict[str, Any]]:
    """The org's audit records of one entity, oldest first."""
    response = client.post(
        "/api/v2/audits/query",
        json={"filters": [{"name": "entityId", "op": "eq", "values": [entity_id]}]},
    )
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results
