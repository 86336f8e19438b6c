"""Operations of the document: their parameters, bodies, responses and paths."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

from genesys_compliance.config import pointer_tokens
from genesys_compliance.contract._problems import json_pointer

__all__ = [
    "BodySpec",
    "HeaderSpec",
    "Operation",
    "Parameter",
    "ResponseSpec",
    "RouteMatch",
    "build_operations",
]

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Methods whose repetition leaves the org as one send would (RFC 9110 9.2.2).
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_TEMPLATE = re.compile(r"\{([^{}/]+)\}")


@dataclass(frozen=True, slots=True)
class Parameter:
    """A path, query or header parameter and where its schema sits."""

    name: str
    location: str
    required: bool
    schema_pointer: str
    schema: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class BodySpec:
    """A request body: whether it is required and its schema per media type."""

    required: bool
    media_types: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class HeaderSpec:
    """A documented response header."""

    name: str
    required: bool
    schema_pointer: str
    schema: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ResponseSpec:
    """A documented response: its status key, schemas per media type, headers."""

    status: str
    media_types: Mapping[str, str]
    headers: tuple[HeaderSpec, ...]


@dataclass(frozen=True)
class Operation:
    """One method on one path of the contract.

    Attributes:
        operation_id: The document's ``operationId``; the name tests and routes use.
        method: Upper-case HTTP method.
        path: Path template after any relocation (``/api/v2/routing/rules/{ruleId}``).
        kind: The configuration kind the operation serves, if any.
        server: ``"login"`` for the token endpoint, ``"api"`` for the rest.
        scopes: OAuth scopes of which any one grants the call; empty when the
            operation is not bearer-authenticated.
        idempotent: Sending it twice leaves the org as sending it once would, so
            a lost response may be retried.
        parameters: Path, query and header parameters.
        body: The request body, if the operation takes one.
        responses: Documented responses by status key (``"200"``, ``"default"``).
    """

    operation_id: str
    method: str
    path: str
    kind: str | None
    server: str
    scopes: tuple[str, ...]
    idempotent: bool
    parameters: tuple[Parameter, ...]
    body: BodySpec | None
    responses: Mapping[str, ResponseSpec]
    _pattern: re.Pattern[str] = field(repr=False, compare=False)

    @property
    def path_parameters(self) -> tuple[str, ...]:
        """Names of the path template's parameters, in order."""
        return tuple(_TEMPLATE.findall(self.path))

    def expand(self, path_params: Mapping[str, str] | None = None) -> str:
        """Fill the path template, percent-encoding each value.

        Raises:
            ValueError: A template parameter has no value.
        """
        values = dict(path_params or {})

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in values:
                raise ValueError(f"{self.operation_id}: missing path parameter {name!r}")
            return quote(str(values[name]), safe="")

        return _TEMPLATE.sub(fill, self.path)

    def match(self, raw_path: str) -> dict[str, str] | None:
        """Return the decoded path parameters if ``raw_path`` fits the template."""
        found = self._pattern.fullmatch(raw_path)
        if found is None:
            return None
        return {name: unquote(value) for name, value in found.groupdict().items()}

    @property
    def specificity(self) -> tuple[int, int]:
        """Sort key: concrete paths win over templated ones (OpenAPI 3.1 4.8.8)."""
        segments = self.path.strip("/").split("/")
        literal = sum(1 for s in segments if not _TEMPLATE.search(s))
        return (literal, len(segments))


@dataclass(frozen=True, slots=True)
class RouteMatch:
    """An operation found for a method and path, with the path's parameters."""

    operation: Operation
    path_params: Mapping[str, str]


def resolve(document: Mapping[str, Any], node: Any, pointer: str) -> tuple[Any, str]:
    """Follow local ``$ref`` objects; return the target and its pointer."""
    seen: set[str] = set()
    while isinstance(node, Mapping) and "$ref" in node:
        ref = str(node["$ref"])
        if not ref.startswith("#/") or ref in seen:
            raise ValueError(f"unsupported or circular reference {ref!r} at {pointer}")
        seen.add(ref)
        pointer = ref[1:]
        node = document
        for key in pointer_tokens(pointer):
            node = node[key]
    return node, pointer


def build_operations(document: Mapping[str, Any]) -> tuple[Operation, ...]:
    """Read every operation of the document, concrete paths first."""
    kinds = set(document.get("x-genesys-compliance", {}).get("kindPrefixes", {}))
    default_security = document.get("security", [])
    operations: list[Operation] = []
    for path, item in document["paths"].items():
        item_pointer = json_pointer(["paths", path])
        shared = item.get("parameters", [])
        server = "login" if _is_login(item.get("servers", [])) else "api"
        for method in _METHODS:
            if method not in item:
                continue
            op = item[method]
            op_pointer = f"{item_pointer}/{method}"
            params = _parameters(document, shared, f"{item_pointer}/parameters")
            params.update(
                _parameters(document, op.get("parameters", []), f"{op_pointer}/parameters")
            )
            security = op.get("security", default_security)
            scopes = tuple(s for req in security for v in req.values() for s in v)
            uses_bearer = any("PureCloudOAuth" in req for req in security)
            kind = next((t for t in op.get("tags", ()) if t in kinds), None)
            operations.append(
                Operation(
                    operation_id=op["operationId"],
                    method=method.upper(),
                    path=path,
                    kind=kind,
                    server=server,
                    scopes=scopes if uses_bearer else (),
                    idempotent=method.upper() in _IDEMPOTENT
                    or bool(op.get("x-genesys-idempotent", False)),
                    parameters=tuple(params.values()),
                    body=_body(document, op.get("requestBody"), f"{op_pointer}/requestBody"),
                    responses=_responses(
                        document, op.get("responses", {}), f"{op_pointer}/responses"
                    ),
                    _pattern=_compile(path),
                )
            )
    ids = [o.operation_id for o in operations]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"duplicate operationId: {', '.join(duplicates)}")
    operations.sort(key=lambda o: o.specificity, reverse=True)
    return tuple(operations)


def _is_login(servers: list[Mapping[str, Any]]) -> bool:
    return any(str(s.get("url", "")).startswith("https://login.") for s in servers)


def _compile(path: str) -> re.Pattern[str]:
    parts = _TEMPLATE.split(path)
    regex = "".join(
        f"(?P<{part}>[^/]+)" if i % 2 else re.escape(part) for i, part in enumerate(parts)
    )
    return re.compile(regex)


def _parameters(
    document: Mapping[str, Any], entries: list[Any], pointer: str
) -> dict[tuple[str, str], Parameter]:
    found: dict[tuple[str, str], Parameter] = {}
    for index, entry in enumerate(entries):
        param, param_pointer = resolve(document, entry, f"{pointer}/{index}")
        schema, schema_pointer = resolve(
            document, param.get("schema", {}), f"{param_pointer}/schema"
        )
        location = param["in"]
        name = param["name"]
        found[(location, name.lower() if location == "header" else name)] = Parameter(
            name=name,
            location=location,
            required=bool(param.get("required", location == "path")),
            schema_pointer=schema_pointer,
            schema=schema,
        )
    return found


def _body(document: Mapping[str, Any], entry: Any, pointer: str) -> BodySpec | None:
    if entry is None:
        return None
    body, body_pointer = resolve(document, entry, pointer)
    media = {
        media_type: json_pointer(["content", media_type, "schema"])
        for media_type in body.get("content", {})
    }
    return BodySpec(
        required=bool(body.get("required", False)),
        media_types={k: body_pointer + v for k, v in media.items()},
    )


def _responses(
    document: Mapping[str, Any], entries: Mapping[str, Any], pointer: str
) -> dict[str, ResponseSpec]:
    found: dict[str, ResponseSpec] = {}
    for status, entry in entries.items():
        response, response_pointer = resolve(document, entry, pointer + json_pointer([status]))
        headers = []
        for name, header_entry in response.get("headers", {}).items():
            header, header_pointer = resolve(
                document, header_entry, response_pointer + json_pointer(["headers", name])
            )
            schema, schema_pointer = resolve(
                document, header.get("schema", {}), f"{header_pointer}/schema"
            )
            headers.append(
                HeaderSpec(name, bool(header.get("required", False)), schema_pointer, schema)
            )
        media = {
            media_type: response_pointer + json_pointer(["content", media_type, "schema"])
            for media_type in response.get("content", {})
        }
        found[str(status)] = ResponseSpec(str(status), media, tuple(headers))
    return found
