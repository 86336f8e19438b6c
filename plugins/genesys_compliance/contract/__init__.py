"""The API contract: the shipped OpenAPI 3.1 document and the checks made against it.

Layer L1: imports nothing of the simulated org. The client builds its URLs from
it, the simulated org validates every request with it, and the suites check
payloads, requests and responses against it. Its resource table (each kind's
operations, identity, token, sets and write order) is the one place plan,
apply and export learn those facts.
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
from genesys_compliance.contract._resources import (
    Container,
    DerivedField,
    MatchField,
    ResourceKey,
    ResourceTable,
    ResourceType,
    TokenSend,
    TokenSpec,
    WriteMode,
    lookup,
    value_text,
)
from genesys_compliance.contract._resources_check import ResourceTableError

__all__ = [
    "BodySpec",
    "Container",
    "Contract",
    "DerivedField",
    "HeaderSpec",
    "MatchField",
    "Operation",
    "Parameter",
    "Problem",
    "ResourceKey",
    "ResourceTable",
    "ResourceTableError",
    "ResourceType",
    "ResponseSpec",
    "RouteMatch",
    "TokenSend",
    "TokenSpec",
    "WriteMode",
    "load_contract",
    "lookup",
    "value_text",
]
