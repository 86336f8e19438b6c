"""The user project the pipelines run in, and the simulated org they talk to over HTTP.

The project is what ``examples/ci/README.md`` tells a team to have: its own
``pyproject.toml`` (``examples/ci/pyproject.toml``), ``suites/`` copied from
this repository, its configurations (the examples of ``fixtures/configs``)
under ``genesys/configs``, the simulated org's seed in ``fixtures/org``,
``requirements-ci.txt``, the Allure pin (``package.json`` and its lock) and
the three workflows in ``.github/workflows/``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from genesys_compliance.client import GenesysClient
from genesys_compliance.simorg import SimOrgControl
from tests.api_support import CI_CLIENT, CI_SECRET
from tests.apply._support import WRITES
from tests.pipelines._runner import EXAMPLES, REPO, WORKFLOWS
from tests.served import start_served_org

CONFIGS = "genesys/configs"
FAST = "100000"  # requests a minute, far above what the tests send: no client-side waiting
COLLEAGUE, COLLEAGUE_SECRET = "colleague-admin-ui", "colleague-secret-5c2e8a17d9"


def make_project(root: Path) -> Path:
    """A team's repository with the ready-made pipelines in place; its path."""
    root.mkdir(parents=True)
    shutil.copy(EXAMPLES / "pyproject.toml", root / "pyproject.toml")
    shutil.copy(EXAMPLES / "requirements-ci.txt", root / "requirements-ci.txt")
    for name in ("package.json", "package-lock.json"):
        shutil.copy(REPO / name, root / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "suites", root / "suites", ignore=ignore)
    shutil.copytree(REPO / "fixtures" / "configs", root / CONFIGS)
    shutil.copytree(REPO / "fixtures" / "org", root / "fixtures" / "org")
    workflows = root / ".github" / "workflows"
    workflows.mkdir(parents=True)
    for path in sorted(WORKFLOWS.glob("*.yml")):
        shutil.copy(path, workflows / path.name)
    return root


def child_env() -> dict[str, str]:
    """A command's environment: this checkout's package, no org inherited from the caller."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GENESYSCLOUD_", "GENESYS_COMPLIANCE_", "PYTEST_"))
    }
    env["PYTHONPATH"] = str(REPO / "plugins")
    return env


@contextlib.contextmanager
def served(root: Path, *clients: str) -> Iterator[str]:
    """``genesys-compliance serve-org`` of the project's seed on a free port; its URL.

    ``clients`` are extra ``ID:SECRET`` OAuth clients with every scope (a colleague).
    """
    args = ("--control", "--rate-limit", FAST, *(f"--client={pair}" for pair in clients))
    with start_served_org(root, args, child_env()) as (server, url):
        try:
            yield url
        finally:
            server.terminate()
            _, stderr = server.communicate(timeout=60)
    assert server.returncode == 0, stderr


def stand_ins(url: str) -> dict[str, str]:
    """What the runner adds to every step so that ``--org live`` reaches the served org."""
    return {
        "GENESYSCLOUD_API_BASE_URL": url,
        "GENESYSCLOUD_LOGIN_BASE_URL": url,
        "GENESYSCLOUD_REQUESTS_PER_MINUTE": FAST,
    }


def client(url: str, client_id: str = CI_CLIENT, secret: str = CI_SECRET) -> GenesysClient:
    """An API client of the served org (the CI client may read the org's audit)."""
    return GenesysClient(
        client_id=client_id, client_secret=secret, api_base_url=url, requests_per_minute=int(FAST)
    )


def audited_writes(url: str, client_id: str) -> list[dict[str, object]]:
    """Every write the org's audit trail holds for one OAuth client."""
    with client(url) as reader:
        return list(
            reader.query_audits(filters=[{"name": "clientId", "op": "eq", "values": [client_id]}])
        )


def write_operations(control: SimOrgControl, after: int = 0) -> list[str]:
    """The write operations the org was asked for after request ``after``, refused ones too."""
    return [e.operation_id or "" for e in control.requests(after) if e.operation_id in WRITES]


def last_seq(control: SimOrgControl) -> int:
    """The org's last request so far."""
    return max((e.seq for e in control.requests()), default=0)


def apply_examples(root: Path, url: str) -> None:
    """Bring the org to what git states, as the apply-on-merge pipeline would have."""
    env = {**child_env(), **stand_ins(url)}
    env.update(GENESYSCLOUD_OAUTHCLIENT_ID=CI_CLIENT, GENESYSCLOUD_OAUTHCLIENT_SECRET=CI_SECRET)
    done = subprocess.run(
        [sys.executable, "-m", "genesys_compliance.cli", "apply", "--org", "live"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    shutil.rmtree(root / "reports")  # the nightly job starts from a fresh checkout
