"""Read the document's resource table and check it against the document.

Every fact of the table is checked where the contract can say it: an
operationId exists, serves the kind and has the role's method; pointers are
declared by the schemas the resource is answered in (or the kind's payload);
the token can travel the way the table says (a required body field, or an
``If-Match`` parameter); sets are lists; a PUT is not called a merge; a
derived field is one the writes take and the org answers, read from a GET
whose every path parameter the configuration gives. A wrong
table fails when the contract loads, with the entry's path in the message,
not later as a plan that silently finds no change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from genesys_compliance.config import pointer_tokens, unescape
from genesys_compliance.contract._resources import (
    ROLES,
    Container,
    DerivedField,
    MatchField,
    ResourceTable,
    ResourceType,
    TokenSend,
    TokenSpec,
    WriteMode,
)
from genesys_compliance.contract._schema_paths import (
    WILDCARD,
    node_at,
    requires,
    schemas_at,
    types_of,
)

if TYPE_CHECKING:
    from genesys_compliance.contract._operations import Operation

__all__ = ["ResourceTableError", "build_resource_table"]

_WRITE_ROLES = ("create", "update", "delete")
_METHODS = {
    "list": ("GET",),
    "get": ("GET",),
    "create": ("POST", "PUT", "PATCH"),
    "update": ("PUT", "PATCH"),
    "delete": ("DELETE",),
}
_KIND_KEYS = frozenset(
    {
        "operations",
        "id",
        "container",
        "match",
        "naturalKey",
        "token",
        "write",
        "sets",
        "serverOwned",
        "derived",
    }
)
_DERIVED_KEYS = frozenset({"field", "when", "from", "params", "take", "default"})
_JSON = "application/json"
_DEFAULT_PAGE_SIZE = 100
_WHERE = "x-genesys-compliance.resources"

# (where it comes from, the schemas it may be answered in)
_Schemas = list[tuple[str, list[Mapping[str, Any]]]]


class ResourceTableError(ValueError):
    """The resource table does not fit the contract document; the message names the entry."""


def build_resource_table(
    document: Mapping[str, Any], operations: Mapping[str, Operation]
) -> ResourceTable:
    """Read the document's resource table and check it against the document.

    Raises:
        ResourceTableError: The table is missing, malformed, or names an
            operation, pointer, header or parameter the document does not have.
    """
    extension = document.get("x-genesys-compliance", {})
    raw = extension.get("resources")
    if not isinstance(raw, Mapping):
        raise ResourceTableError(f"{_WHERE}: missing; the contract declares no resource table")
    kind_schemas = dict(extension.get("kindSchemas", {}))
    raw_kinds = raw.get("kinds")
    if not isinstance(raw_kinds, Mapping):
        raise ResourceTableError(f"{_WHERE}.kinds: must map each kind to its resource")
    missing = sorted(set(kind_schemas) - set(raw_kinds))
    unknown = sorted(set(raw_kinds) - set(kind_schemas))
    if missing or unknown:
        raise ResourceTableError(
            f"{_WHERE}.kinds: "
            + "; ".join(
                part
                for part in (
                    f"no entry for {', '.join(missing)}" if missing else "",
                    f"unknown kind {', '.join(unknown)}" if unknown else "",
                )
                if part
            )
        )
    order = raw.get("order")
    if (
        not isinstance(order, list)
        or sorted(map(str, order)) != sorted(kind_schemas)
        or len(set(order)) != len(order)
    ):
        raise ResourceTableError(
            f"{_WHERE}.order: must list every kind exactly once ({', '.join(sorted(kind_schemas))})"
        )
    types = [
        _Reader(document, operations, kind, raw_kinds[kind], kind_schemas[kind]).read(
            order.index(kind)
        )
        for kind in order
    ]
    return ResourceTable(tuple(types))


class _Reader:
    """Reads and checks one kind's entry; every message starts with the entry's path."""

    def __init__(
        self,
        document: Mapping[str, Any],
        operations: Mapping[str, Operation],
        kind: str,
        raw: Any,
        payload_schema: str,
    ) -> None:
        self.document = document
        self.operations = operations
        self.kind = kind
        self.raw = raw
        self.where = f"{_WHERE}.kinds.{kind}"
        self.payload = {"$ref": f"#/components/schemas/{payload_schema}"}

    def fail(self, at: str, message: str) -> ResourceTableError:
        return ResourceTableError(
            f"{self.where}.{at}: {message}" if at else f"{self.where}: {message}"
        )

    def read(self, order: int) -> ResourceType:
        raw = self.raw
        if not isinstance(raw, Mapping):
            raise self.fail("", "must be a mapping")
        extra = sorted(set(raw) - _KIND_KEYS)
        if extra:
            raise self.fail(extra[0], f"unknown key (known: {', '.join(sorted(_KIND_KEYS))})")
        ops = self.read_operations(raw.get("operations"))
        container = self.read_container(raw.get("container"), ops)
        id_pointer, id_parameter = self.read_id(raw.get("id"), ops, container)
        entities = self.entity_schemas(ops, container)
        match = self.read_fields("match", raw.get("match"), entities, creatable=True)
        if not match:
            raise self.fail("match", "needs at least one field")
        natural = self.read_fields("naturalKey", raw.get("naturalKey"), entities, creatable=False)
        if "create" in ops and not natural:
            raise self.fail("naturalKey", "a kind that can be created needs a natural key")
        token = self.read_token(raw.get("token"), ops, container, entities)
        guards = self.guards(token, ops)
        if token.send != "none" and guards.get("update") != token.send:
            update = ops["update"].operation_id
            how = guards.get("update")
            raise self.fail(
                "token.send",
                f"{update} takes the token {'as ' + how if how else 'nowhere'}, not {token.send}",
            )
        write = raw.get("write")
        if write not in ("replace", "merge"):
            raise self.fail("write", f"must be replace or merge, not {write!r}")
        if write == "merge" and ops["update"].method == "PUT":
            raise self.fail("write", f"{ops['update'].operation_id} is a PUT: it replaces")
        sets = self.read_sets(raw.get("sets", []))
        owned = self.read_pointers("serverOwned", raw.get("serverOwned", []), entities)
        if container is None and token.send != "none" and token.pointer not in owned:
            raise self.fail("serverOwned", f"must hold the token {token.pointer}")
        given_by_match = any(f.resource == id_pointer and f.creatable for f in match)
        if id_pointer is not None and id_pointer not in owned and not given_by_match:
            raise self.fail(
                "serverOwned", f"must hold {id_pointer}: the org assigns it (no match creates it)"
            )
        derived = self.read_derived(raw.get("derived", []), ops, container, entities, owned, match)
        return ResourceType(
            kind=self.kind,
            operations=ops,
            id_pointer=id_pointer,
            id_parameter=id_parameter,
            container=container,
            match=match,
            natural_key=natural,
            token=token,
            write=cast("WriteMode", write),
            sets=sets,
            server_owned=owned,
            page_size=_page_size(ops.get("list")),
            guards=guards,
            order=order,
            derived=derived,
        )

    # -------------------------------------------------------- parts
    def read_operations(self, raw: Any) -> dict[str, Operation]:
        if not isinstance(raw, Mapping):
            raise self.fail("operations", "must map roles to operationIds")
        ops: dict[str, Operation] = {}
        for role, operation_id in raw.items():
            at = f"operations.{role}"
            if role not in ROLES:
                raise self.fail(at, f"unknown role (known: {', '.join(ROLES)})")
            op = self.operations.get(str(operation_id))
            if op is None:
                raise self.fail(at, f"no operation {operation_id!r} in the contract")
            if op.kind != self.kind:
                raise self.fail(
                    at, f"{operation_id} serves {op.kind or 'no kind'}, not {self.kind}"
                )
            if op.method not in _METHODS[role]:
                raise self.fail(
                    at, f"{operation_id} is a {op.method}, not {'/'.join(_METHODS[role])}"
                )
            ops[role] = op
        for role in ("get", "update"):
            if role not in ops:
                raise self.fail("operations", f"needs a {role} operation")
        return {role: ops[role] for role in ROLES if role in ops}

    def read_container(self, raw: Any, ops: Mapping[str, Operation]) -> Container | None:
        if raw is None:
            return None
        if not isinstance(raw, Mapping):
            raise self.fail("container", "must be a mapping")
        parameter = str(raw.get("parameter", ""))
        for role, op in ops.items():
            if role != "list" and parameter not in op.path_parameters:
                raise self.fail(
                    "container.parameter", f"{op.operation_id} has no path parameter {parameter!r}"
                )
        if "list" in ops:
            raise self.fail("operations.list", "container items are read with get, per parent")
        config = self.config_pointer("container.config", raw.get("config"))
        items = str(raw.get("items", ""))
        for role in ("get", "create", "update"):
            if role in ops:
                schemas = self.response_schemas(ops[role], f"container.items ({role})")
                if "array" not in types_of(_at(self.document, schemas, items)):
                    raise self.fail(
                        "container.items", f"{items!r} is not a list in {ops[role].operation_id}"
                    )
        parents: Operation | None = None
        parent_id = str(raw.get("parentId", "/id"))
        if raw.get("parents") is not None:
            parents = self.operations.get(str(raw["parents"]))
            if parents is None or parents.method != "GET":
                raise self.fail(
                    "container.parents", f"no listing {raw['parents']!r} in the contract"
                )
            listed = _at(
                self.document, self.response_schemas(parents, "container.parents"), "/entities/*"
            )
            if not _at(self.document, listed, parent_id):
                raise self.fail(
                    "container.parentId", f"{parent_id!r} is not in {parents.operation_id}"
                )
        return Container(parameter, config, items, parents, parent_id, _page_size(parents))

    def read_id(
        self, raw: Any, ops: Mapping[str, Operation], container: Container | None
    ) -> tuple[str | None, str | None]:
        if container is not None:
            if raw is not None:
                raise self.fail("id", "container items have no id of their own")
            return None, None
        if not isinstance(raw, Mapping) or "pointer" not in raw or "parameter" not in raw:
            raise self.fail("id", "needs pointer and parameter")
        parameter = str(raw["parameter"])
        for role in ("get", "update", "delete"):
            if role in ops and ops[role].path_parameters != (parameter,):
                taken = ", ".join(ops[role].path_parameters) or "none"
                raise self.fail(
                    "id.parameter", f"{ops[role].operation_id} takes {taken}, not {parameter}"
                )
        for role in ("list", "create"):
            if role in ops and ops[role].path_parameters:
                raise self.fail("operations", f"{ops[role].operation_id} takes path parameters")
        return str(raw["pointer"]), parameter

    def entity_schemas(self, ops: Mapping[str, Operation], container: Container | None) -> _Schemas:
        """Every schema a resource is answered in, named by where it comes from."""
        out: _Schemas = []
        for role in ("list", "get", "create", "update"):
            if role not in ops:
                continue
            op = ops[role]
            schemas = self.response_schemas(op, f"operations.{role}")
            inner = "/entities/*" if role == "list" else ""
            if container is not None:
                inner = container.items + "/" + WILDCARD
            found = _at(self.document, schemas, inner)
            if not found:
                raise self.fail(f"operations.{role}", f"{op.operation_id} answers no resource")
            out.append((op.operation_id, found))
        return out

    def container_schemas(self, ops: Mapping[str, Operation]) -> _Schemas:
        return [
            (ops[r].operation_id, self.response_schemas(ops[r], f"operations.{r}"))
            for r in ("get", "create", "update")
            if r in ops
        ]

    def response_schemas(self, op: Operation, at: str) -> list[Mapping[str, Any]]:
        for status in ("200", "201"):
            spec = op.responses.get(status)
            if spec is not None and _JSON in spec.media_types:
                return _at(self.document, [node_at(self.document, spec.media_types[_JSON])], "")
        raise self.fail(at, f"{op.operation_id} documents no JSON success response")

    def read_fields(
        self,
        at: str,
        raw: Any,
        entities: _Schemas,
        *,
        creatable: bool,
    ) -> tuple[MatchField, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            raise self.fail(at, "must be a list of fields")
        fields: list[MatchField] = []
        for index, item in enumerate(raw):
            here = f"{at}[{index}]"
            if not isinstance(item, Mapping) or not item.get("config") or "resource" not in item:
                raise self.fail(here, "needs config (a list of pointers) and resource")
            allowed = {"config", "resource", "creatable"} if creatable else {"config", "resource"}
            extra = sorted(set(item) - allowed)
            if extra:
                raise self.fail(f"{here}.{extra[0]}", "unknown key")
            config = item["config"]
            pointers = tuple(
                self.config_pointer(f"{here}.config", p)
                for p in (config if isinstance(config, list) else [config])
            )
            resource = self.resource_pointer(f"{here}.resource", item["resource"], entities)
            flag = item.get("creatable", True)
            if not isinstance(flag, bool):
                raise self.fail(f"{here}.creatable", "must be true or false")
            fields.append(MatchField(pointers, resource, flag))
        return tuple(fields)

    def read_token(
        self,
        raw: Any,
        ops: Mapping[str, Operation],
        container: Container | None,
        entities: _Schemas,
    ) -> TokenSpec:
        if not isinstance(raw, Mapping) or raw.get("send") not in ("body", "if-match", "none"):
            raise self.fail("token", "needs send: body, if-match or none")
        send = cast("TokenSend", raw["send"])
        if send == "none":
            return TokenSpec("", "none")
        where = self.container_schemas(ops) if container is not None else entities
        ptr = self.resource_pointer("token.pointer", raw.get("pointer"), where)
        header = raw.get("header")
        if header is not None:
            declared = {h.name.lower() for h in ops["get"].responses["200"].headers}
            if str(header).lower() not in declared:
                raise self.fail(
                    "token.header", f"{ops['get'].operation_id} documents no {header} header"
                )
        if send == "body" and container is not None:
            raise self.fail("token.send", "a container's token travels in If-Match")
        return TokenSpec(ptr, send, str(header) if header is not None else None)

    def guards(self, token: TokenSpec, ops: Mapping[str, Operation]) -> dict[str, TokenSend]:
        """How each write role takes the token: a required body field, else an If-Match."""
        out: dict[str, TokenSend] = {}
        if token.send == "none":
            return out
        for role in _WRITE_ROLES:
            op = ops.get(role)
            if op is None:
                continue
            if op.body is not None and _JSON in op.body.media_types:
                schema = node_at(self.document, op.body.media_types[_JSON])
                if requires(self.document, schema, token.pointer):
                    out[role] = "body"
                    continue
            if any(p.location == "header" and p.name.lower() == "if-match" for p in op.parameters):
                out[role] = "if-match"
        return out

    def read_sets(self, raw: Any) -> tuple[str, ...]:
        if not isinstance(raw, list):
            raise self.fail("sets", "must be a list of pointers")
        out: list[str] = []
        for index, ptr in enumerate(raw):
            here = f"sets[{index}]"
            if not isinstance(ptr, str) or not ptr.startswith("/"):
                raise self.fail(here, f"{ptr!r} is not a JSON pointer")
            found = schemas_at(self.document, self.payload, ptr)
            if not found:
                raise self.fail(here, f"{ptr} is not in the {self.kind} payload")
            if types_of(found) != {"array"}:
                raise self.fail(here, f"{ptr} is not a list")
            out.append(ptr)
        return tuple(out)

    def read_derived(
        self,
        raw: Any,
        ops: Mapping[str, Operation],
        container: Container | None,
        entities: _Schemas,
        owned: tuple[str, ...],
        match: tuple[MatchField, ...],
    ) -> tuple[DerivedField, ...]:
        """Derived fields: ones every write takes and the org answers, read by a GET.

        A field the writes drop, or the org does not answer, would plan as a
        change on every run; a source parameter the configuration cannot give
        would leave the read without its path.
        """
        if not isinstance(raw, list):
            raise self.fail("derived", "must be a list of fields")
        identity = {p for f in match for p in f.config if p.startswith("/spec/")}
        out: list[DerivedField] = []
        for index, item in enumerate(raw):
            here = f"derived[{index}]"
            if not isinstance(item, Mapping):
                raise self.fail(here, "must be a mapping")
            extra = sorted(set(item) - _DERIVED_KEYS)
            if extra:
                raise self.fail(f"{here}.{extra[0]}", "unknown key")
            absent = sorted(_DERIVED_KEYS - {"default"} - set(item))
            if absent:
                raise self.fail(here, f"needs {', '.join(absent)}")
            field = self.derived_field(f"{here}.field", item["field"], ops, container, entities)
            if any(field == p or field.startswith(p + "/") for p in owned):
                raise self.fail(f"{here}.field", f"{field} is owned by the org")
            if "/spec" + field in identity:
                raise self.fail(f"{here}.field", f"{field} is the resource's identity")
            for other in out:
                if other.covers(field) or field.startswith(other.field + "/"):
                    raise self.fail(f"{here}.field", f"{field} overlaps {other.field}")
            when = item["when"]
            if not isinstance(when, Mapping) or set(when) != {"config", "equals"}:
                raise self.fail(f"{here}.when", "needs config (a pointer) and equals (a value)")
            when_ptr = self.config_pointer(f"{here}.when.config", when["config"])
            equals = when["equals"]
            if equals is not None and not isinstance(equals, str | int | float | bool):
                raise self.fail(f"{here}.when.equals", "must be a scalar")
            source = self.operations.get(str(item["from"]))
            if source is None or source.method != "GET":
                raise self.fail(f"{here}.from", f"no GET {item['from']!r} in the contract")
            answers = self.response_schemas(source, f"{here}.from")
            params = item["params"]
            if not isinstance(params, Mapping) or sorted(params) != sorted(source.path_parameters):
                wanted = ", ".join(source.path_parameters) or "none"
                raise self.fail(
                    f"{here}.params",
                    f"must map each path parameter of {source.operation_id}: {wanted}",
                )
            given = tuple(
                (str(name), self.config_pointer(f"{here}.params.{name}", ptr))
                for name, ptr in sorted(params.items())
            )
            take = item["take"]
            if not isinstance(take, str) or not (take == "" or take.startswith("/")):
                raise self.fail(f"{here}.take", f"{take!r} is not a JSON pointer")
            if not _at(self.document, answers, take):
                raise self.fail(
                    f"{here}.take", f"{take} is not in what {source.operation_id} answers"
                )
            default = (item["default"],) if "default" in item else ()
            out.append(DerivedField(field, when_ptr, equals, source, given, take, default))
        return tuple(out)

    def derived_field(
        self,
        at: str,
        ptr: Any,
        ops: Mapping[str, Operation],
        container: Container | None,
        entities: _Schemas,
    ) -> str:
        """A derived field's pointer: in the payload, in every write's body, in every answer."""
        if not isinstance(ptr, str) or not ptr.startswith("/"):
            raise self.fail(at, f"{ptr!r} is not a JSON pointer")
        if not schemas_at(self.document, self.payload, ptr):
            raise self.fail(at, f"{ptr} is not in the {self.kind} payload")
        inside = "" if container is None else container.items + "/" + WILDCARD
        for role in ("create", "update"):
            op = ops.get(role)
            if op is None or op.body is None or _JSON not in op.body.media_types:
                continue
            body = node_at(self.document, op.body.media_types[_JSON])
            if not schemas_at(self.document, body, inside + ptr):
                raise self.fail(at, f"{ptr} is not in what {op.operation_id} takes")
        return self.resource_pointer(at, ptr, entities)

    def read_pointers(self, at: str, raw: Any, entities: _Schemas) -> tuple[str, ...]:
        if not isinstance(raw, list):
            raise self.fail(at, "must be a list of pointers")
        return tuple(
            self.resource_pointer(f"{at}[{i}]", ptr, entities) for i, ptr in enumerate(raw)
        )

    def resource_pointer(self, at: str, ptr: Any, where: _Schemas) -> str:
        if not isinstance(ptr, str) or not ptr.startswith("/"):
            raise self.fail(at, f"{ptr!r} is not a JSON pointer")
        for operation_id, schemas in where:
            if not _at(self.document, schemas, ptr):
                raise self.fail(at, f"{ptr} is not in what {operation_id} answers")
        return ptr

    def config_pointer(self, at: str, ptr: Any) -> str:
        if not isinstance(ptr, str):
            raise self.fail(at, f"{ptr!r} is not a JSON pointer")
        tokens = pointer_tokens(ptr)
        if ptr.startswith("/spec/"):
            rest = ptr[len("/spec") :]
            if not schemas_at(self.document, self.payload, rest):
                raise self.fail(at, f"{ptr}: {rest} is not in the {self.kind} payload")
            return ptr
        if ptr.startswith("/metadata/") and len(tokens) == 2 and unescape(tokens[1]):
            return ptr
        raise self.fail(at, f"{ptr!r} must point into /spec or at a /metadata field")


def _at(
    document: Mapping[str, Any], schemas: Sequence[Mapping[str, Any]], ptr: str
) -> list[Mapping[str, Any]]:
    out: list[Mapping[str, Any]] = []
    for schema in schemas:
        out.extend(schemas_at(document, schema, ptr))
    return out


def _page_size(op: Operation | None) -> int:
    """The largest ``pageSize`` a listing allows: a plan's reads are fewest at it."""
    if op is None:
        return _DEFAULT_PAGE_SIZE
    for param in op.parameters:
        if param.location == "query" and param.name == "pageSize":
            maximum = param.schema.get("maximum")
            if isinstance(maximum, int) and maximum >= 1:
                return maximum
    return _DEFAULT_PAGE_SIZE
