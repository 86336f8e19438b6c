"""The single-file Allure HTML report, made offline by the Allure command line pinned in npm.

``genesys-compliance report RESULTS_DIR --out FILE`` runs Allure 2's own
generator (``allure-commandline``, pinned in the repository's
``package.json`` and ``package-lock.json``, installed by ``npm ci``; it needs
Java) with ``generate --single-file``: one HTML file with its scripts, styles,
fonts and data inlined, which opens from disk. Allure 2 sends usage analytics
unless ``ALLURE_NO_ANALYTICS`` is true, twice over: the generator posts to
Google Analytics, and the page loads Google's tag. The variable is always set
here, the org's credentials are kept from the generator's environment, and
the file is checked (:mod:`genesys_compliance.reporting.offline_html`) before
it is put at FILE: a report that would reach another host is not written.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from genesys_compliance.errors import GenesysComplianceError
from genesys_compliance.reporting.offline_html import RemoteReference, remote_references

ALLURE_PACKAGE = "allure-commandline"
ALLURE_MAJOR = 2  # the flags used here (--single-file, ALLURE_NO_ANALYTICS) are Allure 2's
REPORT_NAME = "genesys-compliance"
TIMEOUT_SECONDS = 600
_KEPT_FROM_GENERATOR = "GENESYSCLOUD_"  # the org's credentials: Allure has no use for them
_INSTALL = (
    "run `npm ci` in the folder that holds genesys-compliance's package.json and "
    "package-lock.json (they pin allure-commandline), or name the launcher with --allure"
)


class ReportUsageError(GenesysComplianceError):
    """The report cannot be made as asked: no results, no Allure, no Java (exit 2)."""


class ReportError(GenesysComplianceError):
    """Allure failed, or made a page that would reach another host (exit 1)."""


@dataclass(frozen=True)
class Report:
    """A written report: where, its size, and the Allure that made it."""

    path: Path
    size: int
    allure_version: str


def find_allure(start: Path) -> Path:
    """The launcher ``npm ci`` installs, in ``start`` or the nearest parent that has one.

    The Java distribution's own launcher, not npm's shim, so the report needs Java
    but not Node. A global ``allure`` on the PATH is never taken: it may be another
    major version, with other flags and its analytics on.

    Raises:
        ReportUsageError: No folder from ``start`` up holds the installed package.
    """
    for folder in (start.resolve(), *start.resolve().parents):
        launcher = _launcher(folder / "node_modules" / ALLURE_PACKAGE)
        if launcher.is_file():
            return launcher
    raise ReportUsageError(
        f"the Allure command line is not installed (no node_modules/{ALLURE_PACKAGE} "
        f"in {start.resolve()} or above it): {_INSTALL}"
    )


def generate_report(
    results: Path,
    out: Path,
    *,
    allure: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Report:
    """Make the single-file report of the Allure results in ``results`` at ``out``.

    Args:
        results: A ``--alluredir`` folder.
        out: The HTML file to write (its folder is made if needed).
        allure: The ``allure`` launcher (``.../dist/bin/allure``); found with
            :func:`find_allure` from the working directory when not given.
        environ: The environment the generator runs in, before the changes made
            here; ``os.environ`` by default.

    Raises:
        ReportUsageError: ``results`` holds no results, ``out`` is a folder, the
            Allure command line or Java is missing, or it is not Allure 2.
        ReportError: Allure failed, or its page would reach another host.
    """
    env = dict(os.environ if environ is None else environ)
    _check_results(results)
    if out.is_dir():
        raise ReportUsageError(f"--out {out} is a folder; name the HTML file to write")
    launcher = allure if allure is not None else find_allure(Path.cwd())
    version = _allure_version(launcher)
    _check_java(env)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".allure-", dir=out.parent) as work:
        target = Path(work, "report")
        _run_allure(launcher, results, target, env)
        page = target / "index.html"
        if not page.is_file():
            raise ReportError(f"Allure wrote no {page.name}; its output folder holds nothing")
        found = remote_references(page.read_text(encoding="utf-8", errors="replace"))
        if found:
            raise ReportError(_remote_message(found))
        size = page.stat().st_size
        os.replace(page, out)
    return Report(out, size, version)


def _launcher(package: Path) -> Path:
    return package / "dist" / "bin" / ("allure.bat" if os.name == "nt" else "allure")


def _check_results(results: Path) -> None:
    if not results.is_dir():
        raise ReportUsageError(
            f"RESULTS_DIR {results} is not a folder: run pytest with --alluredir {results} first"
        )
    if not any(results.glob("*-result.json")):
        raise ReportUsageError(
            f"RESULTS_DIR {results} holds no Allure results (*-result.json): "
            f"run pytest with --alluredir {results} first"
        )


def _allure_version(launcher: Path) -> str:
    """The installed package's version, read from npm's copy of its ``package.json``."""
    if not launcher.is_file():
        raise ReportUsageError(f"the Allure command line {launcher} does not exist: {_INSTALL}")
    manifest = launcher.parents[2] / "package.json"
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        version = str(data["version"])
        major = int(version.split(".", maxsplit=1)[0])
    except (OSError, ValueError, KeyError, TypeError):
        raise ReportUsageError(
            f"{launcher} is not the launcher of an installed {ALLURE_PACKAGE} package "
            f"(no readable {manifest}): {_INSTALL}"
        ) from None
    if data.get("name") != ALLURE_PACKAGE or major != ALLURE_MAJOR:
        raise ReportUsageError(
            f"{manifest} is {data.get('name')} {version}; the report needs "
            f"{ALLURE_PACKAGE} {ALLURE_MAJOR}.x: {_INSTALL}"
        )
    return version


def _check_java(env: Mapping[str, str]) -> None:
    """Java as Allure's launcher looks for it: ``JAVA_HOME``, else ``java`` on the PATH."""
    home = env.get("JAVA_HOME", "").strip()
    if home:
        java = Path(home, "bin", "java.exe" if os.name == "nt" else "java")
        if not java.is_file():
            raise ReportUsageError(
                f"JAVA_HOME is {home}, which holds no bin/{java.name}: the Allure command line "
                "needs Java 8 or later; point JAVA_HOME at a Java installation or unset it"
            )
        return
    if shutil.which("java", path=env.get("PATH")) is None:
        raise ReportUsageError(
            "the Allure command line needs Java 8 or later, and no java is on the PATH "
            "(nor JAVA_HOME set): install a Java runtime (CI uses Java 17)"
        )


def _run_allure(launcher: Path, results: Path, target: Path, env: dict[str, str]) -> None:
    child = {k: v for k, v in env.items() if not k.upper().startswith(_KEPT_FROM_GENERATOR)}
    child["ALLURE_NO_ANALYTICS"] = "true"  # no post to Google from here, no tag in the page
    command = [
        str(launcher),
        "generate",
        "--single-file",
        str(results),
        "--output",
        str(target),
        "--report-name",
        REPORT_NAME,
    ]
    try:
        done = subprocess.run(
            command,
            env=child,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ReportError(f"Allure did not finish within {TIMEOUT_SECONDS} s") from None
    except OSError as error:
        raise ReportUsageError(
            f"the Allure command line {launcher} cannot be run: {error}"
        ) from None
    if done.returncode != 0:
        said = "\n".join((done.stdout + done.stderr).strip().splitlines()[-20:])
        raise ReportError(f"Allure failed (exit code {done.returncode}):\n{said}")


def _remote_message(found: list[RemoteReference]) -> str:
    shown = [f"  {reference}" for reference in found[:10]]
    more = [f"  ... and {len(found) - 10} more"] if len(found) > 10 else []
    return "\n".join(
        ["the generated page would reach another host, so no report was written:", *shown, *more]
    )
