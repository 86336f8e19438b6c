"""The contract: operations by id or by method and path, and the checks against them."""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from genesys_compliance.contract._document import base_document, kind_prefixes, relocate
from genesys_compliance.contract._operations import (
    Operation,
    RouteMatch,
    build_operations,
)
from genesys_compliance.contract._problems import Problem
from genesys_compliance.contract._resources_check import build_resource_table
from genesys_compliance.contract._schemas import SchemaSet, coerce_text

if TYPE_CHECKING:
    from collections.abc import Mapping

    import httpx

    from genesys_compliance.contract._resources import ResourceTable

__all__ = ["Contract", "load_contract"]

_JSON = "application/json"
_FORM = "application/x-www-form-urlencoded"


class Contract:
    """The API contract, optionally with kinds' endpoints moved.

    Build it with :meth:`load`; instances are immutable and shared, so a
    client, a simulated org and a suite holding the same endpoints agree.

    Raises:
        ResourceTableError: The document's resource table does not fit it.
    """

    def __init__(self, document: dict[str, Any]) -> None:
        self._document = document
        self._operations = build_operations(document)
        self._by_id = {op.operation_id: op for op in self._operations}
        self._resources = build_resource_table(document, self._by_id)
        self._schemas = SchemaSet(document)
        self._json = json.dumps(document, indent=2, sort_keys=False)

    @classmethod
    def load(cls, endpoints: Mapping[str, str] | None = None) -> Contract:
        """Return the shipped contract with each kind's endpoints under ``endpoints[kind]``.

        Args:
            endpoints: Kind name to path prefix, e.g.
                ``{"DesktopLayout": "/api/v2/apps/desktop/layouts"}``; the
                ``endpoints`` table of ``[tool.genesys-compliance]``.

        Raises:
            PolicyError: An unknown kind or an unusable prefix.
        """
        return _load(tuple(sorted((endpoints or {}).items())))

    # ------------------------------------------------------------ reading
    @property
    def document(self) -> dict[str, Any]:
        """A copy of the OpenAPI document, paths as relocated."""
        loaded: dict[str, Any] = json.loads(self._json)
        return loaded

    def to_json(self) -> str:
        """The document as JSON text, as the simulated org serves it."""
        return self._json

    @property
    def operations(self) -> tuple[Operation, ...]:
        """Every operation, concrete paths before templated ones."""
        return self._operations

    @property
    def kinds(self) -> tuple[str, ...]:
        """The configuration kinds the contract has payload schemas for."""
        return tuple(self._document["x-genesys-compliance"]["kindSchemas"])

    @property
    def resources(self) -> ResourceTable:
        """The resource table: each kind's operations, identity, token, sets, write order."""
        return self._resources

    def kind_prefix(self, kind: str) -> str:
        """Where the kind's endpoints live (after relocation)."""
        return kind_prefixes(self._document)[kind]

    def operation(self, operation_id: str) -> Operation:
        """Return the operation with this ``operationId``.

        Raises:
            KeyError: No such operation.
        """
        try:
            return self._by_id[operation_id]
        except KeyError:
            raise KeyError(f"no operation {operation_id!r} in the contract") from None

    def match(self, method: str, path: str) -> RouteMatch | None:
        """Find the operation serving ``method`` on a raw (percent-encoded) path."""
        raw = path.split("?", 1)[0]
        upper = method.upper()
        for op in self._operations:
            if op.method == upper:
                params = op.match(raw)
                if params is not None:
                    return RouteMatch(op, params)
        return None

    def allowed_methods(self, path: str) -> tuple[str, ...]:
        """Methods the contract serves on a path; empty when the path is unknown."""
        raw = path.split("?", 1)[0]
        concrete = [op for op in self._operations if op.match(raw) is not None]
        if not concrete:
            return ()
        # Only the most specific template owns the path (reload is not a flowId).
        best = max(op.specificity for op in concrete)
        return tuple(sorted({op.method for op in concrete if op.specificity == best}))

    # ------------------------------------------------------------ checking
    def validate_payload(self, kind: str, payload: Any) -> list[Problem]:
        """Check a configuration's ``spec`` against its kind's request schema.

        Raises:
            KeyError: The kind has no payload schema.
        """
        schemas = self._document["x-genesys-compliance"]["kindSchemas"]
        if kind not in schemas:
            raise KeyError(f"no payload schema for kind {kind!r}")
        return self.validate_schema(schemas[kind], payload)

    def validate_schema(self, name: str, instance: Any, location: str = "body") -> list[Problem]:
        """Check an instance against ``components.schemas[name]``.

        Raises:
            KeyError: No such schema.
        """
        if name not in self._document["components"]["schemas"]:
            raise KeyError(f"no schema {name!r} in the contract")
        return self._schemas.problems(f"/components/schemas/{name}", instance, location)

    def validate_request(self, request: httpx.Request) -> list[Problem]:
        """Check a request's operation, parameters, headers and body."""
        path = request.url.raw_path.decode("ascii")
        found = self.match(request.method, path)
        if found is None:
            return [Problem("operation", "", f"no operation for {request.method} {path}")]
        op = found.operation
        problems: list[Problem] = []
        query = request.url.params
        declared = set()
        for param in op.parameters:
            if param.location == "path":
                values = [found.path_params[param.name]]
            elif param.location == "query":
                declared.add(param.name)
                values = query.get_list(param.name)
            elif param.location == "header":
                values = request.headers.get_list(param.name)
            else:
                continue
            if not values:
                if param.required:
                    problems.append(Problem(param.location, param.name, "is required"))
                continue
            instance = coerce_text(values, param.schema)
            for p in self._schemas.problems(param.schema_pointer, instance, param.location):
                problems.append(Problem(param.location, param.name + p.pointer, p.message))
        for name in sorted(set(query.keys()) - declared):
            problems.append(Problem("query", name, "is not a parameter of this operation"))
        problems.extend(self._body_problems(op, request))
        return problems

    def validate_response(self, request: httpx.Request, response: httpx.Response) -> list[Problem]:
        """Check a response's status, headers and body against what the operation documents."""
        path = request.url.raw_path.decode("ascii")
        found = self.match(request.method, path)
        if found is None:
            return [Problem("operation", "", f"no operation for {request.method} {path}")]
        responses = found.operation.responses
        status = response.status_code
        spec = (
            responses.get(str(status))
            or responses.get(f"{status // 100}XX")
            or responses.get("default")
        )
        if spec is None:
            documented = ", ".join(responses)
            return [Problem("status", "", f"{status} is not documented (documented: {documented})")]
        problems: list[Problem] = []
        for header in spec.headers:
            values = response.headers.get_list(header.name)
            if not values:
                if header.required:
                    problems.append(Problem("header", header.name, "is required"))
                continue
            instance = coerce_text(values, header.schema)
            for p in self._schemas.problems(header.schema_pointer, instance, "header"):
                problems.append(Problem("header", header.name + p.pointer, p.message))
        body = response.read()
        if not spec.media_types:
            if body:
                problems.append(Problem("body", "", f"{status} is documented without a body"))
            return problems
        media = _media_type(response.headers.get("content-type"))
        if media not in spec.media_types:
            expected = ", ".join(spec.media_types)
            problems.append(Problem("content-type", "", f"{media or 'none'} is not {expected}"))
            return problems
        instance, error = _parse(media, body)
        if error:
            problems.append(Problem("body", "", error))
            return problems
        problems.extend(self._schemas.problems(spec.media_types[media], instance, "body"))
        return problems

    def _body_problems(self, op: Operation, request: httpx.Request) -> list[Problem]:
        content = request.read()
        if op.body is None:
            return [Problem("body", "", "this operation takes no body")] if content else []
        if not content:
            return [Problem("body", "", "a body is required")] if op.body.required else []
        media = _media_type(request.headers.get("content-type"))
        if media not in op.body.media_types:
            expected = ", ".join(op.body.media_types)
            return [Problem("content-type", "", f"{media or 'none'} is not {expected}")]
        instance, error = _parse(media, content)
        if error:
            return [Problem("body", "", error)]
        return self._schemas.problems(op.body.media_types[media], instance, "body")


def load_contract(endpoints: Mapping[str, str] | None = None) -> Contract:
    """Shorthand for :meth:`Contract.load`."""
    return Contract.load(endpoints)


@functools.lru_cache(maxsize=16)
def _load(endpoints: tuple[tuple[str, str], ...]) -> Contract:
    return Contract(relocate(base_document(), dict(endpoints)))


def _media_type(header: str | None) -> str:
    return (header or "").split(";", 1)[0].strip().lower()


def _parse(media: str, content: bytes) -> tuple[Any, str | None]:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None, "body is not UTF-8"
    if media == _FORM:
        return dict(parse_qsl(text, keep_blank_values=True)), None
    if media == _JSON or media.endswith("+json"):
        try:
            return json.loads(text), None
        except json.JSONDecodeError as exc:
            return (
                None,
                f"body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            )
    return None, f"cannot read a {media} body"
