"""The README's list of fields the export leaves out is the one the contract gives.

Issue 10 asks that no field the org returns be left out silently; the list is
worked out from the contract, so a contract change that drops one more field
fails here until the README says so.
"""

from __future__ import annotations

from pathlib import Path

from genesys_compliance.contract import Contract
from genesys_compliance.export import omissions, omissions_markdown

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_lists_every_field_the_export_leaves_out() -> None:
    table = omissions_markdown(omissions(Contract.load()))
    assert table.strip(), "the contract gives no left-out fields: the list cannot be empty"
    assert table.strip() in README.read_text(encoding="utf-8"), (
        "README.md's list of fields the export leaves out differs from the contract's; "
        "paste omissions_markdown(omissions(Contract.load())) into it"
    )
