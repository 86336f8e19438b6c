"""Rules that need the org: ``org/reference`` and ``strategy/capacity``.

They read the org through the client (the simulated org or a live one) and
never write to it. An :class:`OrgView` lists each resource type once and
caches it, so checking thousands of configurations costs a handful of paged
requests rather than one request per configuration.
"""

from genesys_compliance.orgrules._checks import contract_findings, org_findings
from genesys_compliance.orgrules._view import OrgView

__all__ = ["OrgView", "contract_findings", "org_findings"]
