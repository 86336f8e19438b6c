"""A waiver's optional ``owner``: checked as written, shown beside the reason in every report."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from genesys_compliance.rules import read_waivers
from tests.conftest import CheckFiles
from tests.helpers import TODAY
from tests.kinds.test_config_rules import (
    FIRST_WAIVER_LINE,
    OVERLAP_LINE,
    REASON,
    overlapping_layout,
)
from tests.test_plugin import COMPLIANCE_SUITES, WAIVED_LAYOUT, make_project, run, sarif_results

OWNER = "cx-ops@example.com"
OWNED = f'{{rule: layout/overlap, reason: "{REASON}", expires: 2027-03-31, owner: "{OWNER}"}}'
OWNED_LAYOUT = WAIVED_LAYOUT.replace(
    "      expires: 2099-12-31\n", "      expires: 2099-12-31\n      owner: team-cx-ops\n"
)


@pytest.fixture(autouse=True)
def _fresh_suite_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    """Free the suites' module names for the copies (as ``tests/test_plugin.py`` does)."""
    for name in COMPLIANCE_SUITES:
        monkeypatch.delitem(sys.modules, name.removesuffix(".py"), raising=False)


def test_the_owner_goes_with_the_waived_finding(check_yaml: CheckFiles) -> None:
    [finding] = check_yaml(overlapping_layout(OWNED))
    assert (finding.rule_id, finding.waived, finding.waiver_owner) == (
        "layout/overlap",
        REASON,
        OWNER,
    )
    assert not finding.fails(strict=True)
    assert finding.render().endswith(f"(waived: {REASON}; owner: {OWNER})")


def test_a_waiver_without_an_owner_still_waives(check_yaml: CheckFiles) -> None:
    [finding] = check_yaml(overlapping_layout(OWNED.replace(f', owner: "{OWNER}"', "")))
    assert (finding.waived, finding.waiver_owner) == (REASON, None)
    assert finding.render().endswith(f"(waived: {REASON})")


@pytest.mark.parametrize(
    ("owner", "shown"),
    [
        pytest.param('""', "''", id="empty"),
        pytest.param('"  "', "'  '", id="blank"),
        pytest.param("42", "int", id="number"),
        pytest.param("[a, b]", "list", id="list"),
        pytest.param("null", "null", id="null"),
    ],
)
def test_an_owner_that_is_not_text_is_a_waiver_finding(
    check_yaml: CheckFiles, owner: str, shown: str
) -> None:
    findings = check_yaml(overlapping_layout(OWNED.replace(f'"{OWNER}"', owner)))
    assert [(f.rule_id, f.line, f.waived) for f in findings] == [
        ("layout/overlap", OVERLAP_LINE, None),
        ("config/waiver", FIRST_WAIVER_LINE, None),
    ]
    assert findings[1].message == (
        f"waiver of layout/overlap: owner must be a team or an e-mail address, not {shown}"
    )


def test_unknown_waiver_fields_are_still_an_error(check_yaml: CheckFiles) -> None:
    findings = check_yaml(overlapping_layout(OWNED.replace("owner:", "ownr:")))
    assert findings[1].message == "unknown waiver field(s): ownr"
    assert findings[0].waived is None


def test_the_first_valid_waiver_of_a_rule_names_the_owner() -> None:
    def item(reason: str, owner: str | None = None) -> dict[str, object]:
        waiver: dict[str, object] = {"rule": "x", "reason": reason, "expires": "2027-01-01"}
        return waiver if owner is None else {**waiver, "owner": owner}

    read = read_waivers([item("first"), item("second", "late-team")], {"x"}, TODAY)
    assert (read.granted, read.owners) == ({"x": "first"}, {})
    read = read_waivers([item("first", " team-a "), item("second", "team-b")], {"x"}, TODAY)
    assert (read.granted, read.owners) == ({"x": "first"}, {"x": "team-a"})


def test_the_owner_is_in_the_terminal_sarif_and_allure(pytester: pytest.Pytester) -> None:
    make_project(pytester, {"layouts/wall-board.yaml": OWNED_LAYOUT})
    result = run(pytester, "--gc-sarif", "out.sarif", "--alluredir", "allure")
    result.assert_outcomes(passed=1)
    shown = "(waived: Legacy wall board widget, reviewed by CX ops; owner: team-cx-ops)"
    result.stdout.fnmatch_lines(
        [f"  configs/layouts/wall-board.yaml:14  layout/widget-type  *{shown}"]
    )
    _, [sarif_result] = sarif_results(pytester.path / "out.sarif")
    assert sarif_result["suppressions"] == [
        {
            "kind": "inSource",
            "status": "accepted",
            "justification": "Legacy wall board widget, reviewed by CX ops (owner: team-cx-ops)",
            "properties": {"owner": "team-cx-ops"},
        }
    ]
    [allure_result] = [
        json.loads(path.read_text(encoding="utf-8"))
        for path in Path(pytester.path, "allure").glob("*-result.json")
    ]
    [attachment] = allure_result["attachments"]
    [attached] = json.loads((pytester.path / "allure" / attachment["source"]).read_text())
    assert (attached["waived"], attached["waiver_owner"]) == (
        "Legacy wall board widget, reviewed by CX ops",
        "team-cx-ops",
    )
