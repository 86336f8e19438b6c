"""One kind's resources, read and written as the contract's resource table says.

Plan, apply and export use this one interface for every kind; what differs
between kinds (the operations, where the id and token live, container
documents) comes from the table, never from a kind's name.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from genesys_compliance.client._paging import JsonObject
from genesys_compliance.config import pointer_tokens
from genesys_compliance.contract import ResourceKey
from genesys_compliance.errors import ApiError, NotFoundError

if TYPE_CHECKING:
    from collections.abc import Mapping

    import httpx

    from genesys_compliance.client._api import GenesysClient
    from genesys_compliance.contract import DerivedField, ResourceType

__all__ = ["Listing", "Resource", "ResourceClient", "Token", "correlation_of", "json_object"]

Token = int | str
_CORRELATION = "inin-correlation-id"


@dataclass(frozen=True, slots=True)
class Resource:
    """One resource as the org answered it: what a plan compares and a write is guarded by.

    Attributes:
        kind: The configuration kind.
        key: Where it is (path parameters; for a container item, its fields).
        body: The resource as the org holds it.
        token: Its version or etag (for a container item, the container's):
            the precondition of the next write; ``None`` when the kind has none.
        correlation_id: ``ININ-Correlation-Id`` of the response it came in.
    """

    kind: str
    key: ResourceKey
    body: JsonObject
    token: Token | None
    correlation_id: str | None


@dataclass(frozen=True, slots=True)
class Listing:
    """Every resource one read returned: a listing's pages, or a parent's document.

    Attributes:
        resources: The resources, in the org's order.
        parent_token: For a container read, the document's token: what a
            create of a new item there is guarded by.
        correlation_ids: One per request the read made.
    """

    resources: tuple[Resource, ...]
    parent_token: Token | None
    correlation_ids: tuple[str | None, ...]

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.resources)

    def __len__(self) -> int:
        return len(self.resources)


class ResourceClient:
    """One kind's resources, read and written as the contract's resource table says.

    Every call goes through the client's one send path (auth, rate limit,
    retries). Writes place the token where the kind takes it (``version`` in
    the body, or ``If-Match``) and refuse to go without it, and refuse a token
    an operation cannot carry: a caller must know which writes are unguarded
    and re-read before them.
    """

    def __init__(self, client: GenesysClient, resource_type: ResourceType) -> None:
        self._client = client
        self.type = resource_type

    def __repr__(self) -> str:
        return f"ResourceClient({self.type.kind!r})"

    def key(self, resource_id: str) -> ResourceKey:
        """The key of the resource with this id (kinds with ids of their own).

        Raises:
            LookupError: The kind's resources are container items, without ids.
        """
        if self.type.id_parameter is None:
            raise LookupError(f"{self.type.kind} resources have no id of their own")
        return ResourceKey.of({self.type.id_parameter: resource_id})

    # ------------------------------------------------------------ reads
    def list(self, parent: str | None = None) -> Listing:
        """Every resource of the kind, in the fewest requests the contract allows.

        Args:
            parent: For container kinds, the parent whose items to read; every
                parent of the parents' listing when omitted. Ignored otherwise.

        Raises:
            NotFoundError: The parent does not exist.
        """
        rtype = self.type
        container = rtype.container
        if container is None:
            found: list[Resource] = []
            ids: list[str | None] = []
            for page, correlation in self._client.listing(
                rtype.operation("list").operation_id, page_size=rtype.page_size
            ):
                ids.append(correlation)
                found.extend(
                    Resource(rtype.kind, rtype.key_of(e), e, rtype.token_of(e), correlation)
                    for e in page.entities
                )
            return Listing(tuple(found), None, tuple(ids))
        if parent is not None:
            response = self._client.request(
                rtype.operation("get").operation_id, path_params={container.parameter: parent}
            )
            return self._items(response, parent)
        if container.parents is None:
            raise LookupError(f"{rtype.kind}: the contract lists no parents to read items of")
        resources: list[Resource] = []
        correlations: list[str | None] = []
        for page, correlation in self._client.listing(
            container.parents.operation_id, page_size=container.page_size
        ):
            correlations.append(correlation)
            for entity in page.entities:
                parent_id = container.parent_in(entity)
                if parent_id is None:
                    continue
                listing = self.list(parent_id)
                resources.extend(listing.resources)
                correlations.extend(listing.correlation_ids)
        return Listing(tuple(resources), None, tuple(correlations))

    def get(self, key: ResourceKey) -> Resource:
        """One resource, with its current token.

        Raises:
            NotFoundError: No such resource (or no such item in its container).
        """
        rtype = self.type
        if rtype.container is not None:
            parent = key.path_params[rtype.container.parameter]
            return _pick(self.list(parent), key)
        response = self._client.request(
            rtype.operation("get").operation_id, path_params=key.path_params
        )
        return self._resource(response)

    def source(self, derived: DerivedField, path_params: Mapping[str, str]) -> JsonObject:
        """What one of the kind's derived fields is read from (a user's preferences).

        Raises:
            NotFoundError: The org has no such source (no such user).
            ValueError: The field is not one of this kind's.
        """
        if derived not in self.type.derived:
            raise ValueError(f"{derived.field} is not a derived field of {self.type.kind}")
        response = self._client.request(derived.source.operation_id, path_params=path_params)
        return json_object(response)

    # ------------------------------------------------------------ writes
    def create(
        self,
        body: Mapping[str, Any],
        *,
        parent: str | None = None,
        token: Token | None = None,
    ) -> Resource:
        """Create a resource; for a container item, in ``parent`` under its ``token``.

        The body is sent as given (a create never carries the resource's own
        token). Never resent on an unknown outcome: find it by its natural key.
        """
        rtype = self.type
        op = rtype.operation("create")
        if rtype.container is not None:
            if parent is None:
                raise ValueError(f"{op.operation_id}: a {rtype.kind} is created in a parent")
            key = rtype.key_of(body, parent)  # the item the body names, before any send
            payload, headers = self._guard("create", dict(body), token)
            response = self._client.request(
                op.operation_id,
                path_params={rtype.container.parameter: parent},
                json_body=_wrap(rtype.container.items, payload),
                headers=headers,
            )
            return _pick(self._items(response, parent), key)
        payload, headers = self._guard("create", dict(body), token)
        response = self._client.request(op.operation_id, json_body=payload, headers=headers)
        return self._resource(response)

    def update(self, key: ResourceKey, body: Mapping[str, Any], *, token: Token | None) -> Resource:
        """Write ``body`` to the resource at ``key``, guarded by ``token``.

        Raises:
            ConflictError: The token is stale (409 or 412): someone wrote since.
            ValueError: A guarded write without a token, or a container item
                whose body names another item than ``key``.
        """
        rtype = self.type
        op = rtype.operation("update")
        payload, headers = self._guard("update", dict(body), token)
        if rtype.container is not None:
            parent = key.path_params.get(rtype.container.parameter)
            named = rtype.key_of(body, parent)
            if named != key:
                raise ValueError(f"{op.operation_id}: the body names {named}, the key is {key}")
            response = self._client.request(
                op.operation_id,
                path_params=key.path_params,
                json_body=_wrap(rtype.container.items, payload),
                headers=headers,
            )
            return _pick(self._items(response, key.path_params[rtype.container.parameter]), key)
        response = self._client.request(
            op.operation_id, path_params=key.path_params, json_body=payload, headers=headers
        )
        return self._resource(response)

    def delete(self, key: ResourceKey, *, token: Token | None = None) -> str | None:
        """Delete the resource at ``key``; returns the response's correlation id.

        Where the delete takes a precondition (``type.is_guarded("delete")``)
        the token is required, so a delete never goes unguarded by accident.

        Raises:
            LookupError: The contract has no delete for this kind.
            ConflictError: The token is stale.
        """
        op = self.type.operation("delete")
        _, headers = self._guard("delete", {}, token)
        response = self._client.request(
            op.operation_id, path_params=key.path_params, headers=headers
        )
        return correlation_of(response)

    # ------------------------------------------------------------ internals
    def _guard(
        self, role: str, body: dict[str, Any], token: Token | None
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """Place the token where the operation takes it; refuse a write it cannot guard."""
        rtype = self.type
        op = rtype.operation(role)
        how = rtype.guards.get(role)
        if how is None:
            if token is not None:
                raise ValueError(
                    f"{op.operation_id} carries no token: re-read the resource before it instead"
                )
            return body, {}
        if token is None:
            raise ValueError(f"{op.operation_id} needs the token read before the write")
        if how == "body":
            return _put(body, rtype.token.pointer, token), {}
        if rtype.container is None:
            body = _drop(body, rtype.token.pointer)
        return body, {"If-Match": str(token)}

    def _resource(self, response: httpx.Response) -> Resource:
        rtype = self.type
        body = _entity(response)
        return Resource(
            rtype.kind,
            rtype.key_of(body),
            body,
            rtype.token_of(body, response.headers),
            correlation_of(response),
        )

    def _items(self, response: httpx.Response, parent: str) -> Listing:
        rtype = self.type
        assert rtype.container is not None
        document = _entity(response)
        token = rtype.token_of(document, response.headers)
        correlation = correlation_of(response)
        found = tuple(
            Resource(rtype.kind, rtype.key_of(item, parent), item, token, correlation)
            for item in rtype.container.items_in(document)
        )
        return Listing(found, token, (correlation,))


def correlation_of(response: httpx.Response) -> str | None:
    value = response.headers.get(_CORRELATION)
    return None if value is None else str(value)


def _pick(listing: Listing, key: ResourceKey) -> Resource:
    for resource in listing:
        if resource.key == key:
            return resource
    raise NotFoundError(f"no resource at {key} in the org", status=404)


def _wrap(items: str, body: dict[str, Any]) -> dict[str, Any]:
    """A container write's body: the one item, in the document's item list."""
    tokens = pointer_tokens(items)
    out: dict[str, Any] = {tokens[-1]: [body]}
    for step in reversed(tokens[:-1]):
        out = {step: out}
    return out


def _put(body: dict[str, Any], ptr: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(body)
    node = out
    tokens = pointer_tokens(ptr)
    for step in tokens[:-1]:
        node = node.setdefault(step, {})
    node[tokens[-1]] = value
    return out


def _drop(body: dict[str, Any], ptr: str) -> dict[str, Any]:
    out = copy.deepcopy(body)
    node: Any = out
    tokens = pointer_tokens(ptr)
    for step in tokens[:-1]:
        node = node.get(step) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(tokens[-1], None)
    return out


def json_object(response: httpx.Response) -> JsonObject:
    """The response's JSON object; ``{}`` for an empty body."""
    if not response.content:
        return {}
    try:
        value = json.loads(response.content)
    except ValueError:
        raise ApiError(
            "the org answered with a body that is not JSON",
            status=response.status_code,
            correlation_id=correlation_of(response),
        ) from None
    return _object(value)


def _entity(response: httpx.Response) -> JsonObject:
    """A resource's body: a JSON object that is not empty."""
    body = json_object(response)
    if not body:
        raise ApiError(
            f"the org answered {response.status_code} without the resource",
            status=response.status_code,
            correlation_id=correlation_of(response),
        )
    return body


def _object(value: Any) -> JsonObject:
    if not isinstance(value, dict):
        raise ApiError(f"expected a JSON object, got {type(value).__name__}")
    return value
