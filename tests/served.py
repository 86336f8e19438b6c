"""``genesys-compliance serve-org`` as a child process, for the tests that run commands as users do.

Starting a served org and waiting for the line that names its URL is the same
for every such test; what they do at the end (a clean SIGTERM they assert on, or
a kill) is theirs.
"""

from __future__ import annotations

import contextlib
import select
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

__all__ = ["start_served_org"]

_WAIT_SECONDS = 60


@contextlib.contextmanager
def start_served_org(
    root: Path, args: tuple[str, ...], env: Mapping[str, str]
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``serve-org --port 0 ARGS`` in ``root``: the running process and its URL.

    The caller's block runs while the org serves; on the way out the process is
    left to the caller's ``finally`` (it is still running unless the block
    stopped it), so each test decides how the server ends.
    """
    command = [sys.executable, "-m", "genesys_compliance.cli", "serve-org", "--port", "0", *args]
    with subprocess.Popen(
        command,
        cwd=root,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as server:
        assert server.stdout is not None
        ready, _, _ = select.select([server.stdout], [], [], _WAIT_SECONDS)
        if not ready:
            server.kill()
            raise AssertionError("serve-org did not announce itself")
        line = server.stdout.readline()
        if " listening on http://127.0.0.1:" not in line:
            server.kill()
            raise AssertionError(f"serve-org did not start: {line}{server.communicate()[1]}")
        yield server, line.rsplit(" ", 1)[-1].strip()
