"""The agreement properties report a disagreement between the local rules and the org."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import suite_file

REPO = Path(__file__).resolve().parents[1]


def test_an_org_that_accepts_a_bad_payload_is_a_contract_finding(pytester: pytest.Pytester) -> None:
    shutil.copy(suite_file("test_properties_org_agreement.py"), pytester.path)
    shutil.copy(suite_file("_properties.py"), pytester.path)
    shutil.copytree(REPO / "fixtures" / "org", pytester.path / "fixtures" / "org")
    # An org that no longer checks request bodies against the contract; no shrinking,
    # which would cost an org round trip per step and say nothing more here.
    pytester.makeconftest("""
        from hypothesis import Phase, settings
        from genesys_compliance.contract import Contract

        Contract.validate_request = lambda self, request: []
        settings.register_profile("no-shrink", derandomize=True, max_examples=20,
                                  phases=[Phase.explicit, Phase.generate], deadline=None)
    """)
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "-p",
        "no:schemathesis",
        "--hypothesis-profile",
        "no-shrink",
        "-k",
        "rejects_what_the_schema_rejects",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*contract finding: the local schema rejects this * but the org answered 2*",
            "*Counterexample as YAML*",
        ]
    )
