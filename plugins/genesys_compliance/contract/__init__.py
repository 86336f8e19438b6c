"""The API contract: the shipped OpenAPI 3.1 document and the checks made against it.

Layer L1: imports nothing of the simulated org. The client builds its URLs from
it, the simulated org validates every request with it, and the suites check
payloads, requests and responses against it.
"""

from genesys_compliance.contract._contract import Contract, load_contract
from genesys_compliance.contract._operations import (
    BodySpec,
    HeaderSpec,
    Operation,
    Parameter,
    ResponseSpec,
    RouteMatch,
)
from genesys_compliance.contract._problems import Problem

__all__ = [
    "BodySpec",
    "Contract",
    "HeaderSpec",
    "Operation",
    "Parameter",
    "Problem",
    "ResponseSpec",
    "RouteMatch",
    "load_contract",
]
