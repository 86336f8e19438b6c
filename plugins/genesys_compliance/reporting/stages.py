"""The stages a check belongs to: Allure's feature, named by the caller that runs the check.

A check's stage is where it comes from, not what its module is called, so the
callers (the suites' checks, the contract and org fixtures, the apply stage)
name it and the report never guesses it from a file name. Only ``typing`` is
imported here: the pytest glue names stages without loading the report writers.
"""

from __future__ import annotations

from typing import Literal, get_args

Stage = Literal["validate", "contract", "org", "plan", "apply"]
"""``validate``: the configuration and file suites; ``contract``: the payload against the
API contract; ``org``: the org-reference checks; ``plan`` and ``apply``: the apply stage."""

STAGES: tuple[Stage, ...] = get_args(Stage)
