"""Allure's ``environment.properties`` for a run: the org, region and commit, and the versions.

The controller writes it once into the ``--alluredir`` folder at session
finish, so a report says what was checked against what, from which commit.
Every value comes from a source that cannot hold a secret: the ``--gc-org``
mode, the *name* of the region ``GENESYSCLOUD_REGION`` resolves to (never the
variable's text, which could be anything pasted there), a commit id that git
printed and that is checked to be hexadecimal, and package versions. Nothing
is copied from the environment as written.
"""

from __future__ import annotations

import platform
import re
import subprocess
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

from genesys_compliance.client import Credentials
from genesys_compliance.errors import CredentialsError

ENVIRONMENT_FILE = "environment.properties"
UNKNOWN = "unknown"
_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # SHA-1 or SHA-256 object names


def run_environment(org: str, environ: Mapping[str, str], root: Path) -> dict[str, str]:
    """The run's environment as Allure shows it, in this order.

    Args:
        org: The ``--gc-org`` mode: ``mock`` or ``live``.
        environ: Where a live org's region is read (``os.environ`` in a run).
        root: The run's root folder, where git is asked for the commit.
    """
    return {
        "org": "mock (the simulated org)" if org == "mock" else org,
        "region": region_name(org, environ),
        "commit": git_commit(root),
        "genesys-compliance": _version("genesys-compliance"),
        "python": f"{platform.python_version()} ({platform.python_implementation()})",
    }


def region_name(org: str, environ: Mapping[str, str]) -> str:
    """The region a live org is reached in, by name; ``none`` for the simulated org.

    Read by the client's own reader of the environment, so the report names the
    region the run used; what the client cannot read (no region, an unknown one)
    gives ``unknown``, and a base URL set in place of a region is named as such,
    never shown (a URL may carry a user and password).
    """
    if org != "live":
        return "none (simulated org)"
    try:
        credentials = Credentials.from_env(environ)
    except CredentialsError:
        return UNKNOWN
    if credentials.api_base_url is not None:
        return f"custom API base URL ({Credentials.ENV_API_BASE_URL})"
    return f"{credentials.region.name} ({credentials.region.domain})"


def git_commit(root: Path) -> str:
    """``git rev-parse HEAD`` in ``root``, or ``unknown`` without git, a repository or a commit."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return UNKNOWN
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and _COMMIT.fullmatch(commit) else UNKNOWN


def properties_text(values: Mapping[str, str]) -> str:
    """``values`` as a Java properties file, which Allure reads as ISO-8859-1 with escapes."""
    return "".join(f"{_escape(key, key=True)}={_escape(value)}\n" for key, value in values.items())


def write_environment(folder: Path, values: Mapping[str, str]) -> Path:
    """Write ``folder/environment.properties``, replacing an earlier run's."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ENVIRONMENT_FILE
    path.write_text(properties_text(values), encoding="ascii")
    return path


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return UNKNOWN


def _escape(text: str, *, key: bool = False) -> str:
    """Escape as ``java.util.Properties.load`` reads: separators, comments, lines, non-ASCII."""
    out = []
    for index, char in enumerate(text):
        if char in "\\=:#!" or (char == " " and (key or index == 0)):
            out.append("\\" + char)
        elif char in "\n\r\t\f":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t", "\f": "\\f"}[char])
        elif not " " <= char <= "~":
            out.extend(f"\\u{unit:04x}" for unit in _utf16_units(char))
        else:
            out.append(char)
    return "".join(out)


def _utf16_units(char: str) -> list[int]:
    data = char.encode("utf-16-be")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
