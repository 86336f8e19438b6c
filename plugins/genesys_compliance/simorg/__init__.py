"""The simulated org: a stateful Genesys Cloud in memory, served by respx or over HTTP.

Layer L2: built on the contract (every request is validated against it) and
the client's clock seam. One handler, two faces: ``simorg_router`` for
in-process tests, ``serve`` (and ``python -m genesys_compliance.simorg``) for
real HTTP on loopback. Faults are scheduled in process through ``org.faults``
and on a running server (``--control``) through ``SimOrgControl``.
"""

from genesys_compliance.simorg._cli import main
from genesys_compliance.simorg._faults import Fault, FaultKind, FaultPlan, FaultScheduler
from genesys_compliance.simorg._generate import GeneratedOrg, PlantedFinding, generate_org
from genesys_compliance.simorg._handler import SimOrg
from genesys_compliance.simorg._journal import HandledRequest, RequestLog
from genesys_compliance.simorg._remote import RemoteFaultPlan, SimOrgControl
from genesys_compliance.simorg._respx import simorg_router
from genesys_compliance.simorg._seed import OrgSeed, SeedError, load_seed
from genesys_compliance.simorg._state import OAuthClient, OrgState
from genesys_compliance.simorg._wsgi import SimOrgServer, serve, wsgi_app

__all__ = [
    "Fault",
    "FaultKind",
    "FaultPlan",
    "FaultScheduler",
    "GeneratedOrg",
    "HandledRequest",
    "OAuthClient",
    "OrgSeed",
    "OrgState",
    "PlantedFinding",
    "RemoteFaultPlan",
    "RequestLog",
    "SeedError",
    "SimOrg",
    "SimOrgControl",
    "SimOrgServer",
    "generate_org",
    "load_seed",
    "main",
    "serve",
    "simorg_router",
    "wsgi_app",
]
