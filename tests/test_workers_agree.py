"""The outputs of a run do not depend on ``-n``: findings, lines, SARIF, JUnit and Allure.

The configuration suites run through the plugin's short protocol unless a
plugin such as Allure hooks the test phases; both paths, in one process and
under ``-n 2``, must give the same results. What legitimately differs between
two runs (durations, timestamps, host names, Allure's random uuids, which worker
ran a test, the order in which workers finished) is taken out before comparing;
nothing else is.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.test_plugin import BROKEN_FOLDER, CUSTOM_RULE_CONFTEST, QUIET, make_project

# A warning and a duplicate target beside the broken folder's parse error, unknown kind,
# failing layout and waived finding: every way a finding reaches the reports.
STRATEGY = """\
apiVersion: genesys-compliance/v1
kind: RoutingStrategy
metadata:
  name: {name}
  queueId: 3d9f1a2b-7c4e-4b8a-9e1f-0a2b3c4d5e6f
  requiredAgents: 2
  peak: {{arrivalsPerHour: 400, avgHandleSeconds: 300, agents: 2}}
spec:
  strategy: mostSkilled
  mediaType: {media}
"""
FOLDER = {
    **BROKEN_FOLDER,
    "strategies/voice.yaml": STRATEGY.format(name="voice", media="voice"),
    "strategies/voice-again.yaml": STRATEGY.format(name="voice-again", media="voice"),
    "strategies/chat.yaml": STRATEGY.format(name="chat", media="chat"),
}
_VOLATILE = ("time", "timestamp", "hostname")


def junit(path: Path) -> bytes:
    """The JUnit file with durations, timestamps and host names out, cases in name order."""
    tree = ET.parse(path)
    for element in tree.iter():
        for name in _VOLATILE:
            element.attrib.pop(name, None)
    for suite in tree.iter("testsuite"):
        cases = sorted(suite.findall("testcase"), key=lambda c: (c.get("classname"), c.get("name")))
        for case in cases:
            suite.remove(case)
        suite.extend(cases)
    return ET.tostring(tree.getroot())


def allure(folder: Path) -> list[dict[str, Any]]:
    """Allure's results with uuids, times, host and thread out and attachments inlined."""
    results = []
    for path in sorted(folder.glob("*-result.json")):
        result = json.loads(path.read_text(encoding="utf-8"))
        for key in ("uuid", "start", "stop"):
            result.pop(key, None)
        result["labels"] = sorted(
            (label for label in result["labels"] if label["name"] not in ("host", "thread")),
            key=lambda label: (label["name"], label["value"]),
        )
        for attachment in result.get("attachments", []):
            attachment["source"] = (folder / attachment["source"]).read_text(encoding="utf-8")
        for step in ("steps", "parameters"):
            result.setdefault(step, [])
        results.append(result)
    return sorted(results, key=lambda r: (r["fullName"], r["name"], r.get("historyId", "")))


def _section(text: str, title: str) -> list[str]:
    """The lines of the ``=== title ===`` section, up to the next ``===`` heading."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("=") and f" {title} " in line)
    rest = lines[start + 1 :]
    end = next((i for i, line in enumerate(rest) if line.startswith("===")), len(rest))
    return rest[:end]


def failures(text: str) -> list[str]:
    """Every failure's finding lines (in file order) and the plugin's summary section.

    pytest's own short summary is left out: under ``CI`` it repeats the failure
    messages, cut to the terminal's width.
    """
    found = [
        line for line in _section(text, "FAILURES") if re.match(r"^ {2}configs/\S+:\d+ ", line)
    ]
    summary = [
        line
        for line in _section(text, "genesys-compliance findings")
        if not line.startswith("SARIF written to")
    ]
    return [*sorted(found), "--", *summary]


def run(pytester: pytest.Pytester, name: str, *args: str) -> dict[str, Any]:
    out = pytester.path / name
    result = pytester.runpytest_subprocess(
        *QUIET,
        "--gc-config-dir",
        "configs",
        "--gc-sarif",
        str(out / "findings.sarif"),
        "--junitxml",
        str(out / "junit.xml"),
        "-o",
        "junit_family=xunit2",
        *args,
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED, "\n".join(result.outlines[-30:])
    return {
        "outcomes": result.parseoutcomes(),
        "sarif": (out / "findings.sarif").read_bytes(),
        "junit": junit(out / "junit.xml"),
        "failures": failures("\n".join(result.outlines)),
    }


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    make_project(pytester, FOLDER)
    (pytester.path / "conftest.py").write_text(CUSTOM_RULE_CONFTEST, encoding="utf-8")
    return pytester


def test_one_process_and_two_workers_report_the_same(project: pytest.Pytester) -> None:
    serial = run(project, "serial", "-n", "0")
    parallel = run(project, "parallel", "-n", "2")
    assert parallel == serial
    assert serial["outcomes"] == {"passed": 1, "failed": 7}
    assert b'"ruleId": "strategy/peak-load"' in serial["sarif"]  # the warning is there
    assert b'"ruleId": "strategy/duplicate-media"' in serial["sarif"]  # across files


def test_pytest_own_protocol_reports_what_the_short_one_does(project: pytest.Pytester) -> None:
    """With Allure on, checks take pytest's own protocol: the same results, Allure the same too."""
    short = run(project, "short", "-n", "0")
    serial = run(project, "serial", "-n", "0", "--alluredir", "serial-allure")
    parallel = run(project, "parallel", "-n", "2", "--alluredir", "parallel-allure")
    assert serial == short
    assert parallel == serial
    serial_allure = allure(project.path / "serial-allure")
    assert len(serial_allure) == 8
    assert allure(project.path / "parallel-allure") == serial_allure
    epics = {
        label["value"] for r in serial_allure for label in r["labels"] if label["name"] == "epic"
    }
    assert epics == {"file", "FlowSettings", "DesktopLayout", "RoutingStrategy"}
