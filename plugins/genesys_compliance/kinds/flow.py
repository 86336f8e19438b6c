"""FlowSettings: Architect flow and org routing settings."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pydantic import Field

from genesys_compliance.config import pointer
from genesys_compliance.kinds._base import Config, Kind, Metadata, Scalar, Strict
from genesys_compliance.rules import RuleContext, Violation, rule

KIND = "FlowSettings"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


class Scope(Strict):
    """Where the routing settings apply; ``flow/scope`` ties an org scope to ``orgId``."""

    type: str
    id: str


class Routing(Strict):
    """Routing settings; ``flow/max-wait`` owns the type and range of ``maxWaitTime``."""

    type: str
    maxWaitTime: Scalar = None  # noqa: N815 - the API's own spelling
    scope: Scope | None = None


class ScopeDirectives(Strict):
    """Which entity types the settings cascade to."""

    applyTo: list[str]  # noqa: N815
    enforceHierarchy: bool | None = None  # noqa: N815


class Settings(Strict):
    """The settings block of a flow."""

    routing: Routing
    # Entries are judged by flow/matrix, which names the broken entry precisely.
    configurationMatrix: dict[str, Any] = Field(default_factory=dict)  # noqa: N815
    scopeDirectives: ScopeDirectives | None = None  # noqa: N815


class FlowSpec(Strict):
    """The PATCH body of ``/api/v2/architect/flows/{flowId}``."""

    orgId: str  # noqa: N815
    flowId: str  # noqa: N815
    settings: Settings
    version: int | None = None


class FlowMetadata(Metadata):
    """Flows are identified by ``spec.flowId``; nothing kind-specific here."""


Flow = Config[FlowMetadata, FlowSpec]


@rule(
    "flow/id-format",
    kind=KIND,
    severity="error",
    summary="orgId, flowId and settings.routing.scope.id are lowercase UUIDs",
    example="flowId: a1b2c3d4-e5f6-7890-abcd-ef1234567890",
)
def id_format(flow: Flow, ctx: RuleContext) -> Iterator[Violation]:
    """The API compares ids as lowercase strings; an upper-case id silently matches nothing."""
    spec = flow.spec
    fields: list[tuple[str, str, str]] = [
        ("orgId", spec.orgId, pointer("spec", "orgId")),
        ("flowId", spec.flowId, pointer("spec", "flowId")),
    ]
    scope = spec.settings.routing.scope
    if scope is not None:
        fields.append(
            (
                "settings.routing.scope.id",
                scope.id,
                pointer("spec", "settings", "routing", "scope", "id"),
            )
        )
    for name, value, at in fields:
        if not UUID.match(value):
            yield Violation(at, f"{name} {value[:60]!r} is not a lowercase UUID")


@rule(
    "flow/scope",
    kind=KIND,
    severity="error",
    summary="a routing scope of type org has id == orgId",
    example="scope: {type: org, id: <the orgId>}",
)
def scope(flow: Flow, ctx: RuleContext) -> Iterator[Violation]:
    """An org scope naming another org is a copy-paste error that the API applies to nothing."""
    found = flow.spec.settings.routing.scope
    if found is not None and found.type == "org" and found.id != flow.spec.orgId:
        yield Violation(
            pointer("spec", "settings", "routing", "scope", "id"),
            f"org scope id {found.id[:60]!r} differs from orgId {flow.spec.orgId!r}",
        )


@rule(
    "flow/apply-target",
    kind=KIND,
    severity="error",
    summary="scopeDirectives.applyTo is non-empty, each of queue/user/team, without repeats "
    "(policy: apply-targets)",
    example="scopeDirectives: {applyTo: [queue, user, team], enforceHierarchy: true}",
)
def apply_target(flow: Flow, ctx: RuleContext) -> Iterator[Violation]:
    """An empty or unknown target list makes the directive a no-op on the org."""
    directives = flow.spec.settings.scopeDirectives
    if directives is None:
        return
    at = pointer("spec", "settings", "scopeDirectives", "applyTo")
    if not directives.applyTo:
        yield Violation(at, "scopeDirectives.applyTo is empty")
    allowed = ctx.policy.apply_targets
    seen: set[str] = set()
    for index, target in enumerate(directives.applyTo):
        if target not in allowed:
            yield Violation(
                f"{at}/{index}",
                f"applyTo target {target[:60]!r} is not one of {', '.join(sorted(allowed))}",
            )
        elif target in seen:
            yield Violation(f"{at}/{index}", f"applyTo target {target!r} is repeated")
        seen.add(target)


@rule(
    "flow/matrix",
    kind=KIND,
    severity="error",
    summary="each configurationMatrix entry is {key: non-empty string, value: scalar}; keys unique",
    example="configurationMatrix:\n  parameter_01: {key: queue_affinity, value: true}",
)
def matrix(flow: Flow, ctx: RuleContext) -> Iterator[Violation]:
    """The flow engine reads matrix entries as flat key/value pairs; nesting is dropped."""
    seen: dict[str, str] = {}
    for param, entry in flow.spec.settings.configurationMatrix.items():
        at = pointer("spec", "settings", "configurationMatrix", param)
        if not isinstance(entry, dict) or set(entry) != {"key", "value"}:
            yield Violation(at, f"matrix entry {param[:60]!r} must be exactly {{key, value}}")
            continue
        key, value = entry["key"], entry["value"]
        if not isinstance(key, str) or not key.strip():
            yield Violation(
                f"{at}/key", f"matrix entry {param[:60]!r}: key must be a non-empty string"
            )
            continue
        if value is None or isinstance(value, dict | list):
            yield Violation(
                f"{at}/value",
                f"matrix entry {param[:60]!r}: value must be a scalar (string, number, boolean)",
            )
        if key in seen:
            yield Violation(
                f"{at}/key", f"matrix key {key[:60]!r} is already set by entry {seen[key][:60]!r}"
            )
        else:
            seen[key] = param


@rule(
    "flow/max-wait",
    kind=KIND,
    severity="error",
    summary="settings.routing.maxWaitTime is an integer 1..3600 seconds (policy: max-wait-seconds)",
    example="routing: {type: longestAvailable, maxWaitTime: 600}",
)
def max_wait(flow: Flow, ctx: RuleContext) -> Iterator[Violation]:
    """Zero waits forever on some media; beyond an hour callers are better offered a callback."""
    routing = flow.spec.settings.routing
    value = routing.maxWaitTime
    if value is None and "maxWaitTime" not in routing.model_fields_set:
        return  # absent: the org's default applies; an explicit null is reported below
    at = pointer("spec", "settings", "routing", "maxWaitTime")
    limit = ctx.policy.max_wait_seconds
    if not isinstance(value, int) or isinstance(value, bool):
        yield Violation(
            at, f"maxWaitTime must be an integer number of seconds, not {type(value).__name__}"
        )
    elif not 1 <= value <= limit:
        yield Violation(at, f"maxWaitTime is {value}; allowed 1..{limit} seconds")


def _identity(flow: Config[Any, Any]) -> tuple[str, str] | None:
    return pointer("spec", "flowId"), flow.spec.flowId


FLOW_SETTINGS = Kind(
    name=KIND,
    fixture="flow_settings",
    metadata_model=FlowMetadata,
    spec_model=FlowSpec,
    rules=(id_format, scope, apply_target, matrix, max_wait),
    identity=_identity,
    description="Architect flow / org routing settings",
)
