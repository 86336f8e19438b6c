"""The org stage: org-stage rules, built-in and custom, and the API contract check.

Built in: ``org/reference`` and ``strategy/capacity``; custom rules declare
``stage="org"`` and read the org as ``ctx.org`` (:class:`OrgRuleContext`).

They read the org through the client (the simulated org or a live one) and
never write to it. An :class:`OrgView` lists each resource type once and
caches it, so checking thousands of configurations costs a handful of paged
requests rather than one request per configuration.
"""

from genesys_compliance.orgrules._checks import (
    BUILTIN_ORG_CHECKS,
    OrgRuleContext,
    contract_findings,
    org_findings,
)
from genesys_compliance.orgrules._view import OrgView

__all__ = ["BUILTIN_ORG_CHECKS", "OrgRuleContext", "OrgView", "contract_findings", "org_findings"]
