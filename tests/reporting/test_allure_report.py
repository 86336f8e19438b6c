"""The real thing: a pytest run's Allure results made into one offline HTML file by Allure.

Runs the Allure command line ``npm ci`` installs from the repository's lock, so
it needs npm's install and Java. It never skips: CI has both, and a report
that silently stopped being checked would look like one that passed. Without
them it fails saying what to do; deselect it with ``-m "not gc_allure_cli"``.

The page is proven offline by parsing it (``remote_references``: no script,
style, font or image from another host, no inline code naming one), by holding
every host its bundled code names to a reviewed list, and by finding every
file it would load inside it; its data is decoded to show the report holds
what the README says: epics, features, stories, attachments, environment and
categories.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from genesys_compliance.cli import main
from genesys_compliance.reporting.allure_html import ReportUsageError, find_allure
from genesys_compliance.reporting.offline_html import named_hosts, remote_references
from tests.reporting.conftest import ALLURE_CLI, REPO, run_with_allure

pytestmark = pytest.mark.gc_allure_cli  # conftest.ALLURE_CLI

# Hosts Allure 2.46.1's bundle names without reaching them, reviewed: XML namespaces and the
# metadata of an embedded SVG (w3.org, purl.org, creativecommons.org, inkscape.org,
# sodipodi), highlight.js's deprecation messages (github.com), a base for parsing relative
# links (allure.local, never fetched), and the Playwright trace viewer Allure links to only
# for Playwright trace attachments, which this project never writes. A new Allure that names
# another host fails here until someone has looked at what it does with it.
REVIEWED_HOSTS = {
    "allure.local",
    "creativecommons.org",
    "github.com",
    "purl.org",
    "sodipodi.sourceforge.net",
    "trace.playwright.dev",
    "www.inkscape.org",
    "www.w3.org",
}


def allure_launcher() -> Path:
    """The repository's Allure, or a failure that says how to get it (never a skip)."""
    try:
        return find_allure(REPO)
    except ReportUsageError as error:
        pytest.fail(
            f"{error}. Without npm and Java, deselect these tests: -m 'not {ALLURE_CLI}'",
            pytrace=False,
        )


class _Loads(HTMLParser):
    """Every src and href of a page: a single file loads nothing but data: and anchors."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v or "" for k, v in attrs if k in ("src", "href")]


def report_data(html: str) -> dict[str, Any]:
    """The report's data files, decoded from the page's ``d('name', 'base64')`` calls."""
    data = {}
    for name, value in re.findall(r"d\('([^']+)','([^']*)'\)", html):
        raw = base64.b64decode(value)
        data[name] = json.loads(raw) if name.endswith(".json") else raw
    return data


def tree(node: dict[str, Any]) -> dict[str, Any]:
    """An Allure tree as nested dicts of group names, test names at the leaves."""
    return {
        child["name"]: tree(child) if "children" in child else child["status"]
        for child in node.get("children", [])
    }


def test_the_report_is_one_offline_file_holding_the_run(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    launcher = allure_launcher()
    run_with_allure(project).assert_outcomes(failed=3, passed=40)
    out = project.path / "reports" / "report.html"
    monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", "fake-secret-kept-from-allure")
    started = time.monotonic()
    result = CliRunner().invoke(
        main,
        ["report", "results", "--out", str(out), "--allure", str(launcher)],
        prog_name="genesys-compliance",
    )
    took = time.monotonic() - started
    assert result.exit_code == 0, result.output
    assert f"report written to {out}" in result.output
    assert took < 60, f"the report took {took:.1f} s"
    html = out.read_text(encoding="utf-8")
    assert os.listdir(out.parent) == ["report.html"]

    # offline: nothing that reaches another host, and only reviewed hosts named at all
    assert remote_references(html) == []
    assert named_hosts(html) <= REVIEWED_HOSTS
    assert "googletagmanager" not in html
    assert "gtag(" not in html
    # one file: it loads nothing from beside it either
    loads = _Loads()
    loads.feed(html)
    assert loads.urls
    assert all(url.startswith(("data:", "#")) for url in loads.urls), loads.urls

    data = report_data(html)
    # epics per kind, features per stage, stories per rule
    behaviours = tree(data["data/behaviors.json"])
    assert set(behaviours) == {
        "DesktopLayout",
        "FlowSettings",
        "RoutingRule",
        "RoutingStrategy",
        "TriggerRule",
        "file",
    }
    assert set(behaviours["DesktopLayout"]) == {"validate", "contract", "org"}
    assert "layout/overlap" in behaviours["DesktopLayout"]["validate"]
    assert "config/schema" in behaviours["DesktopLayout"]["contract"]
    assert "config/parse" in behaviours["file"]["validate"]
    # the run's environment and its failure categories
    environment = {e["name"]: e["values"] for e in data["widgets/environment.json"]}
    assert list(environment) == ["org", "region", "commit", "genesys-compliance", "python"]
    assert environment["org"] == ["mock (the simulated org)"]
    categories = tree(data["data/categories.json"])
    assert set(categories) == {"rule violation", "contract mismatch"}
    assert len(categories["rule violation"]) == 2
    assert len(categories["contract mismatch"]) == 1
    # the findings and the HTTP exchanges are attached
    attachments = {
        attachment["name"]
        for name, case in data.items()
        if name.startswith("data/test-cases/")
        for attachment in _attachments(case)
    }
    assert {"findings", "http exchanges (redacted)"} <= attachments
    assert b"fake-secret-kept-from-allure" not in html.encode()


def _attachments(node: Any) -> list[dict[str, Any]]:
    """Every attachment anywhere in a test case (its body, set-up and tear-down steps)."""
    if isinstance(node, dict):
        found = list(node.get("attachments", []))
        for value in node.values():
            if isinstance(value, dict | list):
                found += _attachments(value)
        return found
    if isinstance(node, list):
        return [a for item in node for a in _attachments(item)]
    return []
