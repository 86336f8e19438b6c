"""A state machine over apply: random edits, faults and colleagues, and what must hold after each.

Hypothesis drives sequences of four things against one simulated org (in
process, on a virtual clock): a managed field of a configuration is edited in
git; a colleague changes a managed or an unmanaged field in the org (now,
between the plan and the apply, or racing one of the apply's writes); faults
are scheduled for the next apply (429 with ``Retry-After``, 5xx, a timeout, a
connection dropped before or after the org carried the request out, on one
kind, one operation or any request; or the nth write failing for good); and
the files are planned and applied, with or without ``--gc-force``.

The model knows, for every resource, the state the org held before the run
and what the files state, and computes what the run may leave from that alone
(its own overlay, not apply's), as SPEC 6 says:

- a run that **applied** leaves each written resource as the org held it with
  the managed fields laid over (a colleague's unmanaged change kept; a managed
  one only if it came after the write, or overwritten under ``force``); a
  colleague's managed change before the write without ``force`` must have
  stopped the run with ``apply/conflict``;
- a run that **stopped** (``apply/conflict``, ``apply/failed``) leaves each
  resource as it was before the run (with a colleague's change, if one
  landed), except where a rollback event says why not: ``conflict`` only
  when a colleague changed the resource after this run wrote it, ``kept``
  only for a create of a kind without delete, ``failed`` (not put back, or
  not known to have landed) only when a fault outlasted the client's retries;
- a run whose faults were all transient (two failed sends at most in all,
  a 429 asking a wait the client takes) and that met no managed change must
  apply.

After every step: the org holds exactly what the model says, no unmanaged
field changed but by a colleague, no resource exists twice (a create never
lands twice), no journal is left unresolved, and ``audit verify`` passes; after
a clean run, a new plan finds nothing left to write.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import random
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from genesys_compliance.apply import (
    ApplyResult,
    RolledBack,
    apply_plan,
    build_plan,
    gate,
    new_run_id,
    unresolved,
)
from genesys_compliance.audit import FILE_NAME, verify
from genesys_compliance.client import GenesysClient, VirtualClock
from genesys_compliance.consumers import AuditListener
from genesys_compliance.contract import Contract
from genesys_compliance.engine import load_run
from genesys_compliance.simorg import SimOrg
from tests.apply._support import SEED

ORG_ID = "5f1c2b7e-9a3d-4e8f-b6c1-2d7a9e4f3b10"
PRIMARY_FLOW = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
TECH = "3f7c1a2e-8b4d-4e6f-9a1c-5d2e7f8b9c01"
BILLING = "6c2d9e4f-1a3b-4c5d-8e7f-0a1b2c3d4e5f"
ESCALATION = "d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f70"
CREDIT_CARD = "a1b2c3d4-e5f6-7890-abcd-ef1234567891"
SUPERVISOR = "lay-supervisor"
REGION = "mypurecloud.com"
# What the org owns and moves on every write: never part of a resource's state here.
_TOKENS = frozenset({"version", "etag", "modifiedDate", "selfUri"})
_CONTRACT = Contract.load()

Timing = Literal["now", "after-plan", "racing"]
# A field a colleague may change: configuration, pointer, values, whether the file manages it.
_Outside = tuple[str, str, tuple[Any, ...], bool]


# ---------------------------------------------------------------- the configurations
@dataclass(frozen=True)
class _Config:
    """One configuration of the machine, and how the model finds and changes its resource.

    Attributes:
        name: ``metadata.name``.
        kind: The configuration kind.
        metadata: The kind's target fields.
        spec: The spec the run starts from.
        entity: The simulated org's entity type (what a colleague's change names).
        ident: The resource's id in the org; ``None`` for a resource the run
            creates (found by its natural key, its id not compared).
        sets: Resource pointers of lists that compare unordered.
        skip: Pointers the file states that the resource does not hold (identity).
        placed: What a create writes outside the spec (resource pointer to value).
        edits: Managed fields a git edit may set, each with the values it may take.
        unmanaged: Fields the file never states, with values a colleague may set.
        contested: Managed fields a colleague may set, to values no file states.
    """

    name: str
    kind: str
    metadata: dict[str, Any]
    spec: dict[str, Any]
    entity: str
    ident: str | None
    sets: frozenset[str] = frozenset()
    skip: frozenset[str] = frozenset()
    placed: dict[str, Any] = field(default_factory=dict)
    edits: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    unmanaged: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    contested: tuple[tuple[str, tuple[Any, ...]], ...] = ()


_CONFIGS: tuple[_Config, ...] = (
    # patchFlowSettings replaces the whole `settings` object: a matrix entry the
    # file never states must be carried over; applyTo is a set.
    _Config(
        name="primary-architecture",
        kind="FlowSettings",
        metadata={},
        spec={
            "orgId": ORG_ID,
            "flowId": PRIMARY_FLOW,
            "settings": {
                "routing": {
                    "type": "longestAvailable",
                    "maxWaitTime": 600,
                    "scope": {"type": "org", "id": ORG_ID},
                },
                "configurationMatrix": {
                    "parameter_01": {"key": "queue_affinity", "value": True},
                    "parameter_02": {"key": "max_concurrent_sessions", "value": 50},
                },
                "scopeDirectives": {"applyTo": ["queue", "user", "team"], "enforceHierarchy": True},
            },
        },
        entity="flows",
        ident=PRIMARY_FLOW,
        sets=frozenset({"/settings/scopeDirectives/applyTo"}),
        skip=frozenset({"/flowId"}),
        edits=(
            ("/settings/routing/maxWaitTime", (600, 420, 900)),
            (
                "/settings/scopeDirectives/applyTo",
                (["queue", "user", "team"], ["team", "user", "queue"], ["queue", "user"]),
            ),
            ("/settings/configurationMatrix/parameter_02/value", (50, 40)),
        ),
        unmanaged=(
            ("/description", ("Edited in Architect", "Edited again in Architect")),
            (
                "/settings/configurationMatrix/parameter_09",
                ({"key": "night_mode", "value": True}, {"key": "night_mode", "value": False}),
            ),
        ),
        contested=(("/settings/routing/maxWaitTime", (1234, 1235)),),
    ),
    # Two items of one queue's strategies document: one token for both, a merge write.
    _Config(
        name="technical-support-voice",
        kind="RoutingStrategy",
        metadata={"queueId": TECH},
        spec={
            "strategy": "mostSkilled",
            "mediaType": "voice",
            "overflow": {
                "rules": [
                    {"condition": "queueDepth", "threshold": 15, "action": "routeToNextQueue"},
                    {"condition": "waitTime", "threshold": 120, "action": "addSkillToInteraction"},
                ]
            },
            "skills": {"required": ["support_tier1", "billing"]},
        },
        entity="strategies",
        ident="voice",
        sets=frozenset({"/skills/required", "/skills/preferred"}),
        edits=(
            (
                "/skills/required",
                (["support_tier1", "billing"], ["billing", "support_tier1"], ["support_tier1"]),
            ),
            ("/overflow/rules/0/threshold", (15, 20)),
        ),
        unmanaged=(("/skills/preferred", (["escalation_capable", "vip"], ["vip"])),),
        contested=(("/overflow/rules/0/threshold", (77, 78)),),
    ),
    _Config(
        name="technical-support-chat",
        kind="RoutingStrategy",
        metadata={"queueId": TECH},
        spec={
            "strategy": "longestIdleAgent",
            "mediaType": "chat",
            "overflow": {
                "rules": [{"condition": "waitTime", "threshold": 300, "action": "routeToNextQueue"}]
            },
        },
        entity="strategies",
        ident="chat",
        sets=frozenset({"/skills/required", "/skills/preferred"}),
        edits=(("/overflow/rules/0/threshold", (300, 240)),),
        unmanaged=(("/skills", ({"required": ["chat_basics"]}, {"required": ["web_chat"]})),),
        contested=(("/overflow/rules/0/threshold", (77, 78)),),
    ),
    # A PATCH that replaces the whole rule; the file leaves the description to the UI.
    _Config(
        name="technical-support-escalation",
        kind="RoutingRule",
        metadata={"queueId": TECH},
        spec={
            "name": "Technical Support Escalation Rule",
            "priority": 10,
            "enabled": True,
            "expression": {
                "type": "and",
                "children": [
                    {"type": "condition", "field": "language", "operator": "eq", "value": "en"},
                    {"type": "condition", "field": "vip_flag", "operator": "eq", "value": True},
                ],
            },
        },
        entity="routingRules",
        ident=ESCALATION,
        edits=(("/priority", (10, 12)), ("/enabled", (True, False))),
        unmanaged=(("/description", ("Edited in the UI", "Edited again in the UI")),),
        contested=(("/priority", (77, 78)),),
    ),
    # A create of a kind with a guarded delete: rollback removes it.
    _Config(
        name="billing-spanish",
        kind="RoutingRule",
        metadata={"queueId": BILLING},
        spec={
            "name": "Billing Spanish Speakers",
            "description": "Spanish-speaking callers",
            "priority": 20,
            "enabled": True,
            "expression": {
                "type": "condition",
                "field": "language",
                "operator": "eq",
                "value": "es",
            },
        },
        entity="routingRules",
        ident=None,
        placed={"/queue/id": BILLING},
        edits=(("/priority", (20, 25)),),
        contested=(("/priority", (77, 78)),),
    ),
    # A PUT under If-Match with an etag, retried by the client when its answer is lost.
    _Config(
        name="credit-card-detection",
        kind="TriggerRule",
        metadata={"ruleId": CREDIT_CARD},
        spec={
            "id": CREDIT_CARD,
            "name": "Credit Card Detection Rule",
            "ruleType": "conversation",
            "enabled": True,
            "conditions": [
                {
                    "type": "keyword",
                    "field": "conversation.text",
                    "operator": "contains",
                    "value": "credit card declined",
                },
                {
                    "type": "keyword",
                    "field": "conversation.text",
                    "operator": "regex",
                    "value": "card (was )?(declined|rejected)",
                },
            ],
            "actions": [{"type": "display", "templateId": "tmpl_98765", "priority": 1}],
        },
        entity="triggerRules",
        ident=CREDIT_CARD,
        edits=(("/enabled", (True, False)), ("/actions/0/priority", (1, 3))),
        unmanaged=(("/description", ("Edited in the UI", "Edited again in the UI")),),
        contested=(("/actions/0/priority", (9, 8)),),
    ),
    # A create of a kind the contract cannot delete: rollback keeps it and says so.
    _Config(
        name="negative-sentiment",
        kind="TriggerRule",
        metadata={},
        spec={
            "name": "Negative Sentiment Escalation",
            "description": "Suggests the de-escalation script",
            "ruleType": "conversation",
            "enabled": True,
            "conditions": [
                {"type": "metric", "field": "sentiment.score", "operator": "lt", "value": -0.5}
            ],
            "actions": [{"type": "display", "templateId": "tmpl_12345", "priority": 1}],
        },
        entity="triggerRules",
        ident=None,
        edits=(("/actions/0/priority", (1, 4)),),
        contested=(("/actions/0/priority", (9, 8)),),
    ),
    # A PUT that replaces the whole layout; the file never states `inheritance`.
    _Config(
        name="supervisor",
        kind="DesktopLayout",
        metadata={"layoutId": SUPERVISOR},
        spec={
            "name": "Supervisor Desktop Layout",
            "description": "Queue overview for team leads",
            "grid": {"columns": 24, "rows": 16},
            "widgets": [
                {
                    "widget_type": "queue-widget",
                    "id": "queues-overview",
                    "position": {"x": 0, "y": 0, "width": 24, "height": 6},
                    "visibility": {"condition": "role:supervisor", "state": "always"},
                },
                {
                    "widget_type": "contact-center-widget",
                    "id": "cc-metrics",
                    "position": {"x": 0, "y": 6, "width": 24, "height": 10},
                    "visibility": {"condition": "role:supervisor", "state": "always"},
                    "configuration": {"refresh_seconds": 30},
                },
            ],
        },
        entity="layouts",
        ident=SUPERVISOR,
        edits=(
            ("/description", ("Queue overview for team leads", "Team lead desktop")),
            ("/widgets/1/configuration/refresh_seconds", (30, 60)),
        ),
        unmanaged=(("/inheritance", ("user-preference", "none")),),
        contested=(("/description", ("Changed behind apply's back", "Changed again")),),
    ),
)
_BY_NAME = {c.name: c for c in _CONFIGS}
_EDITS = [(c.name, ptr, v) for c in _CONFIGS for ptr, values in c.edits for v in values]
_OUTSIDE: list[_Outside] = [
    (c.name, ptr, values, False) for c in _CONFIGS for ptr, values in c.unmanaged
] + [(c.name, ptr, values, True) for c in _CONFIGS for ptr, values in c.contested]
_WRITES = (
    None,  # the next write, whichever it is
    "patchFlowSettings",
    "patchQueueStrategies",
    "patchRoutingRule",
    "createRoutingRule",
    "deleteRoutingRule",
    "updateTriggerRule",
    "createTriggerRule",
    "updateDesktopLayout",
)
# Where a fault hits: a kind's every request (reads included), one write operation, the
# audit query apply asks who changed a field, or any request (None). Kinds come twice.
_KINDS = (
    "/api/v2/architect/flows*",
    "/api/v2/routing/queues/*/strategies",
    "/api/v2/routing/rules*",
    "/api/v2/agent-assist/trigger-rules*",
    "/api/v2/desktop/layouts*",
)
_TARGETS: tuple[tuple[str | None, str | None], ...] = (
    (None, None),
    *((None, path) for path in _KINDS * 2),
    *((op, None) for op in _WRITES if op is not None),
    ("queryAudits", None),
)
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_NOT_WRITES = frozenset({"queryAudits", "postOAuthToken"})  # POSTs that change nothing


# ---------------------------------------------------------------- JSON helpers
def _tokens(ptr: str) -> list[str]:
    return [t.replace("~1", "/").replace("~0", "~") for t in ptr.split("/")[1:]]


def _get(doc: Any, ptr: str) -> tuple[bool, Any]:
    node = doc
    for token in _tokens(ptr):
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False, None
    return True, node


def _set(doc: dict[str, Any], ptr: str, value: Any) -> dict[str, Any]:
    """A copy of ``doc`` with ``ptr`` set (its parent must exist, as the org's own edit asks)."""
    out = copy.deepcopy(doc)
    *path, last = _tokens(ptr)
    node: Any = out
    for token in path:
        node = node[int(token)] if isinstance(node, list) else node[token]
    if isinstance(node, list):
        node[int(last)] = copy.deepcopy(value)
    else:
        node[last] = copy.deepcopy(value)
    return out


def _same_set(a: list[Any], b: list[Any]) -> bool:
    return sorted(json.dumps(x, sort_keys=True) for x in a) == sorted(
        json.dumps(x, sort_keys=True) for x in b
    )


def _lay(org: Any, file: Any, config: _Config, ptr: str = "") -> Any:
    """The resource as read with the file's fields laid over it (SPEC 6.2), as the model sees it.

    Written here from the SPEC, not taken from apply: the file's mappings go
    key by key, a set keeps the org's order when it holds the same elements,
    lists of one length go element by element (an element's unstated fields
    stay the org's), anything else is the file's value.
    """
    if ptr in config.skip:
        return copy.deepcopy(org)
    if isinstance(file, dict) and isinstance(org, dict):
        out = copy.deepcopy(org)
        for key, value in file.items():
            child = f"{ptr}/{key}"
            if child in config.skip:
                continue
            out[key] = _lay(org[key], value, config, child) if key in org else copy.deepcopy(value)
        return out
    if isinstance(file, list) and isinstance(org, list):
        if ptr in config.sets:
            return copy.deepcopy(org if _same_set(file, org) else file)
        if len(file) == len(org):
            return [
                _lay(o, f, config, f"{ptr}/{i}")
                for i, (o, f) in enumerate(zip(org, file, strict=True))
            ]
    return copy.deepcopy(file)


def _created(config: _Config, spec: dict[str, Any]) -> dict[str, Any]:
    """A resource as its create leaves it (without the id the org assigns)."""
    out = copy.deepcopy(spec)
    for ptr, value in config.placed.items():
        *path, last = _tokens(ptr)
        node = out
        for token in path:
            node = node.setdefault(token, {})
        node[last] = value
    return out


# ---------------------------------------------------------------- the org
@dataclass(frozen=True)
class _FaultSpec:
    """A fault for the next apply: what it does, where it hits, how many requests it hits.

    Attributes:
        kind: A 429 (``retry_after`` seconds), a 5xx (``status``), a timeout
            or a dropped connection (before or ``after_processing``).
        target: The operation it hits (``None``: any).
        path: The path glob it hits (``None``: any).
        times: Requests it hits; ``None``: every one for the rest of the run.
    """

    kind: Literal["429", "5xx", "timeout", "drop"]
    target: str | None
    path: str | None
    times: int | None
    retry_after: int = 1
    status: int = 503
    after_processing: bool = True

    @property
    def transient(self) -> bool:
        """Whether it ends, and a 429 of it asks a wait the client takes (120 s at most)."""
        return self.times is not None and (self.kind != "429" or self.retry_after <= 120)


@dataclass
class _Timeout:
    """Requests that get no answer in time, before or after the org carried them out."""

    target: str | None
    path: str | None
    remaining: int | None
    after_processing: bool

    def hits(self, operation: str | None, path: str) -> bool:
        return (
            self.target in (None, operation)
            and (self.path is None or fnmatch.fnmatchcase(path, self.path))
            and self.remaining != 0
        )


@dataclass
class _Edit:
    """A colleague's change of one field of a resource (a pointer into the resource)."""

    config: str
    pointer: str
    value: Any
    managed: bool
    timing: Timing
    at: str | None = None
    client: str = ""

    def on(self, state: dict[str, Any]) -> dict[str, Any]:
        return _set(state, self.pointer, self.value)


class _Org:
    """The simulated org behind a client on a virtual clock, with timeouts in front of it."""

    def __init__(self) -> None:
        self.clock = VirtualClock()
        self.sim = SimOrg.from_path(SEED, contract=_CONTRACT, clock=self.clock)
        self.client_id = "gc-state-machine"
        secret = secrets.token_urlsafe(24)
        self.sim.add_client(self.client_id, secret)
        self.timeouts: list[_Timeout] = []
        self.writes = 0
        self.failing: int | None = None
        self.client = GenesysClient(
            client_id=self.client_id,
            client_secret=secret,
            contract=_CONTRACT,
            transport=httpx.MockTransport(self._serve),
            clock=self.clock,
            rng=random.Random(0),
        )

    def close(self) -> None:
        self.client.close()

    def _serve(self, request: httpx.Request) -> httpx.Response:
        path = request.url.raw_path.decode("ascii").split("?", 1)[0]
        found = _CONTRACT.match(request.method, path)
        operation = found.operation.operation_id if found is not None else None
        if request.method in _WRITE_METHODS and operation not in _NOT_WRITES:
            self.writes += 1
            if self.writes == self.failing:
                # This write, and every later request of its method and path, fails for good.
                self.sim.faults.server_error(times=None, method=request.method, path=path)
        timeout = next((t for t in self.timeouts if t.hits(operation, path)), None)
        if timeout is None:
            return self.sim(request)
        if timeout.remaining is not None:
            timeout.remaining -= 1
        if not timeout.after_processing:
            raise httpx.ConnectTimeout("simulated: connect timed out", request=request)
        self.sim(request)  # carried out; its answer comes too late
        raise httpx.ReadTimeout("simulated: read timed out", request=request)

    # ------------------------------------------------------------ reading
    def _entities(self, config: _Config) -> list[dict[str, Any]]:
        """Every entity the configuration's resource could be (more than one: a duplicate)."""
        state = self.sim.state
        if config.entity == "strategies":
            items = state.strategies[config.metadata["queueId"]]["items"]
            return [i for i in items if i["mediaType"] == config.ident]
        store: dict[str, dict[str, Any]] = {
            "flows": state.flows,
            "routingRules": state.routing_rules,
            "triggerRules": state.trigger_rules,
            "layouts": state.layouts,
        }[config.entity]
        if config.ident is not None:
            return [store[config.ident]] if config.ident in store else []
        name = config.spec["name"]
        queue = config.metadata.get("queueId")
        return [
            e
            for e in store.values()
            if e["name"] == name and (queue is None or e["queue"]["id"] == queue)
        ]

    def state_of(self, config: _Config) -> dict[str, Any] | None:
        """The resource as the org holds it, without the org's tokens; ``None`` when absent."""
        found = self._entities(config)
        assert len(found) <= 1, f"{config.name}: {len(found)} resources in the org (a duplicate)"
        if not found:
            return None
        owned = _TOKENS | ({"id"} if config.ident is None else set())
        return {k: copy.deepcopy(v) for k, v in found[0].items() if k not in owned}

    def _target(self, config: _Config, pointer: str) -> tuple[str, str, str]:
        """The entity type, id and pointer a colleague's change of the resource names."""
        if config.entity == "strategies":
            queue = config.metadata["queueId"]
            items = self.sim.state.strategies[queue]["items"]
            index = next(i for i, s in enumerate(items) if s["mediaType"] == config.ident)
            return "strategies", queue, f"/strategies/{index}{pointer}"
        [entity] = self._entities(config)
        return config.entity, str(entity["id"]), pointer

    # ------------------------------------------------------------ changing
    def change(self, edit: _Edit) -> None:
        entity, ident, pointer = self._target(_BY_NAME[edit.config], edit.pointer)
        self.sim.change(entity, ident, client_id=edit.client, field=pointer, value=edit.value)

    def race(self, edit: _Edit) -> None:
        entity, ident, pointer = self._target(_BY_NAME[edit.config], edit.pointer)
        self.sim.faults.concurrent_write(
            operation=edit.at,
            entity_type=entity,
            entity_id=ident,
            field=pointer,
            value=edit.value,
            client_id=edit.client,
        )

    def landed(self, edit: _Edit) -> bool:
        """Whether the colleague's change happened (the org's audit names their client)."""
        return any(r["clientId"] == edit.client for r in self.sim.state.audits)

    def schedule(self, fault: _FaultSpec) -> None:
        faults, times, op, path = self.sim.faults, fault.times, fault.target, fault.path
        if fault.kind == "429":
            faults.rate_limit(retry_after=fault.retry_after, times=times, operation=op, path=path)
        elif fault.kind == "5xx":
            faults.server_error(status=fault.status, times=times, operation=op, path=path)
        elif fault.kind == "drop":
            faults.drop_connection(
                after_processing=fault.after_processing, times=times, operation=op, path=path
            )
        else:
            self.timeouts.append(_Timeout(op, path, times, fault.after_processing))

    def start(self, failing: int | None) -> None:
        """Count the run's writes from here; the ``failing``-th fails for good."""
        self.writes = 0
        self.failing = failing

    def clear(self) -> None:
        self.sim.faults.clear()
        self.timeouts.clear()
        self.failing = None


def _faults(
    times: st.SearchStrategy[int | None], waits: tuple[int, ...]
) -> st.SearchStrategy[_FaultSpec]:
    """Faults of every kind at every target, hitting ``times`` requests."""
    targets = st.sampled_from(_TARGETS)

    def fault(kind: Any, where: tuple[str | None, str | None], **extra: Any) -> _FaultSpec:
        return _FaultSpec(kind, where[0], where[1], **extra)

    return st.one_of(
        st.builds(
            fault,
            st.just("429"),
            targets,
            times=times,
            retry_after=st.sampled_from(waits),
        ),
        st.builds(
            fault, st.just("5xx"), targets, times=times, status=st.sampled_from((503, 500, 502))
        ),
        st.builds(
            fault,
            st.sampled_from(("drop", "timeout")),
            targets,
            times=times,
            after_processing=st.booleans(),
        ),
    )


# Ridden out: each hits once or twice, a 429 asks for a wait the client takes.
_TRANSIENT = _faults(st.sampled_from((1, 2)), (1, 0, 30))
# Outlasting the client's retries: every request it matches, or a 429 asking too long a wait.
_LASTING = st.one_of(
    _faults(st.none(), (1, 30)),
    st.builds(
        lambda where, times: _FaultSpec("429", where[0], where[1], times, retry_after=300),
        st.sampled_from(_TARGETS),
        st.sampled_from((1, 2)),
    ),
)


# ---------------------------------------------------------------- the machine
class ApplyMachine(RuleBasedStateMachine):
    """Edits, colleagues, faults and applies, against a model of what each run may leave."""

    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="gc-apply-machine-"))
        self.folder = self.root / "configs"
        self.folder.mkdir()
        self.audit = self.root / "audit"
        self.org = _Org()
        self.specs = {c.name: copy.deepcopy(c.spec) for c in _CONFIGS}
        self.expected = {c.name: self.org.state_of(c) for c in _CONFIGS}
        # Each unmanaged field as the org holds it: only a colleague ever changes one.
        self.unmanaged = {
            (c.name, ptr): _get(self.expected[c.name], ptr)
            for c in _CONFIGS
            for ptr, _ in c.unmanaged
        }
        self.faults: list[_FaultSpec] = []
        self.failing: int | None = None
        # A colleague per resource for the next apply: what they change, when, at which write.
        self.later: dict[str, tuple[_Outside, Timing, str | None]] = {}
        self.colleagues = 0
        for config in _CONFIGS:
            self._write(config)

    def teardown(self) -> None:
        self.org.close()
        shutil.rmtree(self.root, ignore_errors=True)

    # ------------------------------------------------------------ rules
    @rule(change=st.sampled_from(_EDITS))
    def edit_a_managed_field_in_git(self, change: tuple[str, str, Any]) -> None:
        name, pointer, value = change
        self.specs[name] = _set(self.specs[name], pointer, value)
        self._write(_BY_NAME[name])

    @rule(outside=st.sampled_from(_OUTSIDE))
    def a_colleague_changes_a_field_now(self, outside: _Outside) -> None:
        edit = self._edit(outside, "now")
        if edit is None:
            return
        self.org.change(edit)
        current = self.expected[edit.config]
        assert current is not None
        self.expected[edit.config] = edit.on(current)
        self._changed_by_a_colleague(edit)

    @rule(
        outside=st.sampled_from(_OUTSIDE),
        racing=st.booleans(),
        at=st.sampled_from(_WRITES),
    )
    def a_colleague_changes_a_field_during_the_next_apply(
        self, outside: _Outside, racing: bool, at: str | None
    ) -> None:
        if outside[0] not in self.later:  # one per resource and run: the model keeps their order
            self.later[outside[0]] = (outside, "racing" if racing else "after-plan", at)

    @precondition(lambda self: len(self.faults) < 3)
    @rule(fault=_TRANSIENT)
    def schedule_a_transient_fault_for_the_next_apply(self, fault: _FaultSpec) -> None:
        self.faults.append(fault)

    @precondition(lambda self: len(self.faults) < 3)
    @rule(fault=_LASTING)
    def schedule_a_lasting_fault_for_the_next_apply(self, fault: _FaultSpec) -> None:
        self.faults.append(fault)

    @rule(nth=st.integers(1, 10))
    def fail_the_nth_write_of_the_next_apply_for_good(self, nth: int) -> None:
        self.failing = nth

    @rule(force=st.booleans())
    def plan_and_apply(self, force: bool) -> None:
        admitted = gate(load_run([self.folder], self.root))
        assert admitted.passed, [r.reasons for r in admitted.refused]
        plan = build_plan(self.org.client, admitted)
        planned = {e.name: e.action.value for e in plan.resources}
        later, self.later = self.later, {}
        faults, self.faults = self.faults, []
        edits: dict[str, _Edit] = {}
        for outside, timing, at in later.values():
            # The value is chosen now, so the change is one whatever happened since.
            edit = self._edit(outside, timing)
            if edit is None:
                continue  # not in the org (a create was rolled back, or never made)
            edits[edit.config] = edit
            if timing == "after-plan":
                self.org.change(edit)
            else:
                edit.at = at
                self.org.race(edit)
        for fault in faults:
            self.org.schedule(fault)
        failing, self.failing = self.failing, None
        self.org.start(failing)
        run = new_run_id()
        listener = AuditListener(
            self.audit, run=run, org="mock", region=REGION, client=self.org.client_id
        )
        result = apply_plan(
            self.org.client,
            plan,
            journal=self.audit,
            listeners=[listener],
            force=force,
            run_id=run,
        )
        self.org.clear()
        landed = {name: e for name, e in edits.items() if self.org.landed(e)}
        for edit in landed.values():
            self._changed_by_a_colleague(edit)
        # Faults stack on one request: past two failed sends in all, a call may fail for good
        # (the client sends each request four times at most).
        transient = (
            failing is None
            and all(f.transient for f in faults)
            and sum(f.times or 0 for f in faults) <= 2
        )
        self._judge(result, planned, landed, force, transient)
        if result.ok and not landed:
            again = build_plan(self.org.client, gate(load_run([self.folder], self.root)))
            assert set(again.counts().items()) >= {("create", 0), ("update", 0)}, (
                "a re-plan of what was just applied finds work: "
                + json.dumps(again.to_dict()["resources"])
            )

    # ------------------------------------------------------------ invariants
    @invariant()
    def the_org_holds_what_the_model_says(self) -> None:
        for config in _CONFIGS:
            assert self.org.state_of(config) == self.expected[config.name], config.name

    @invariant()
    def no_unmanaged_field_changed_but_by_a_colleague(self) -> None:
        for (name, pointer), was in self.unmanaged.items():
            state = self.org.state_of(_BY_NAME[name])
            if state is not None:
                assert _get(state, pointer) == was, f"{name}: {pointer} changed"

    @invariant()
    def no_apply_is_left_unresolved(self) -> None:
        assert unresolved(self.audit) is None

    @invariant()
    def the_audit_log_verifies(self) -> None:
        if (self.audit / FILE_NAME).exists():
            verification = verify(self.audit)
            assert verification.ok, verification.summary()

    # ------------------------------------------------------------ the model
    def _judge(
        self,
        result: ApplyResult,
        planned: dict[str, str],
        landed: dict[str, _Edit],
        force: bool,
        transient: bool,
    ) -> None:
        """Check the run's outcome and every resource against what the model allows; adopt it."""
        assert unresolved(self.audit) is None, "the run returned with its journal unresolved"
        if result.outcome == "applied":
            assert result.failure is None
            assert not result.rollbacks, "an applied run rolled something back"
        elif result.outcome == "conflict":
            assert not force, "a forced run stopped on a conflict"
            stopped = {c.subject.name for c in result.conflicts if not c.forced}
            assert stopped, "a run ended in conflict without a conflict event"
            for name in stopped:
                edit = landed.get(name)
                assert edit is not None, f"{name}: a conflict, but no colleague changed it"
                assert edit.managed, f"{name}: a conflict over a change to an unmanaged field"
        else:
            contested = any(e.managed for e in landed.values())
            assert not (transient and not contested), (
                f"the run failed with only transient faults: {result.failure}"
            )
        written = {e.subject.name for e in result.resources if e.wrote}
        undone: dict[str, RolledBack] = {e.subject.name: e for e in result.rollbacks}
        for config in _CONFIGS:
            name = config.name
            observed = self.org.state_of(config)
            allowed = self._allowed(
                config,
                result.outcome == "applied",
                planned.get(name, "no-op"),
                landed.get(name),
                force,
                undone.get(name),
                transient,
            )
            if result.outcome != "applied" and name in written:
                assert name in undone, f"{name}: written, then neither rolled back nor said why"
            assert any(observed == state for state in allowed.values()), (
                f"{name} after a run that ended {result.outcome!r}"
                f" (rollback: {getattr(undone.get(name), 'outcome', None)}):\n"
                f"  org:     {json.dumps(observed, sort_keys=True)}\n"
                + "".join(
                    f"  {label}: {json.dumps(state, sort_keys=True)}\n"
                    for label, state in allowed.items()
                )
                + ("  (no state is allowed)\n" if not allowed else "")
            )
            self.expected[name] = observed

    def _allowed(
        self,
        config: _Config,
        applied: bool,
        action: str,
        edit: _Edit | None,
        force: bool,
        undo: RolledBack | None,
        transient: bool,
    ) -> dict[str, dict[str, Any] | None]:
        """The states the resource may be in after the run, by name (for the failure message)."""
        before = self.expected[config.name]
        spec = self.specs[config.name]
        prior: dict[str, dict[str, Any] | None] = {"before the run": before}
        if edit is not None and before is not None:
            prior["before the run, with the colleague's change"] = edit.on(before)
        written = _lay(before, spec, config) if before is not None else _created(config, spec)
        ours_over_theirs = (
            _lay(edit.on(before), spec, config) if edit is not None and before is not None else None
        )
        theirs_over_ours = edit.on(written) if edit is not None and before is not None else None
        if applied:
            if action == "no-op":
                return prior
            if edit is None:
                return {"as the file states": written}
            out: dict[str, dict[str, Any] | None] = {}
            if not edit.managed or force:
                out["the file laid over the colleague's change"] = ours_over_theirs
            if edit.timing == "racing":
                out["the colleague's change after the run's write"] = theirs_over_ours
            return out
        if undo is None or undo.settled:
            return prior
        if undo.outcome == "conflict":
            if edit is None or edit.timing != "racing":
                return {}
            return {"the colleague's change after the run's write": theirs_over_ours}
        if undo.outcome == "kept":
            return {"created, and kept (no delete)": written} if before is None else {}
        assert undo.outcome == "failed", undo.outcome
        assert not transient, f"{config.name}: a rollback failed with only transient faults"
        # The run could not put it back, or could not even tell whether its write landed.
        out = {**prior, "as the run wrote it": written}
        if edit is not None:
            out["the file laid over the colleague's change"] = ours_over_theirs
            out["the colleague's change after the run's write"] = theirs_over_ours
        return out

    # ------------------------------------------------------------ helpers
    def _changed_by_a_colleague(self, edit: _Edit) -> None:
        if not edit.managed:
            self.unmanaged[(edit.config, edit.pointer)] = (True, edit.value)

    def _edit(self, outside: _Outside, timing: Timing) -> _Edit | None:
        """A colleague's change to a value the field does not hold now, or ``None``."""
        name, pointer, values, managed = outside
        current = self.expected[name]
        if current is None:
            return None  # not in the org (yet): nothing to change
        _, now = _get(current, pointer)
        value = next(v for v in values if v != now)
        self.colleagues += 1
        return _Edit(name, pointer, value, managed, timing, client=f"colleague-{self.colleagues}")

    def _write(self, config: _Config) -> None:
        document = {
            "apiVersion": "genesys-compliance/v1",
            "kind": config.kind,
            "metadata": {"name": config.name, **config.metadata},
            "spec": self.specs[config.name],
        }
        path = self.folder / f"{config.name}.json"
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


# Hypothesis' profiles decide derandomisation and the database; the budget is this
# machine's own (each example is up to ten plan-and-apply runs), kept under half a
# minute on a busy two-core runner, larger at night.
_BUDGETS = {"dev": 10, "nightly": 1000}
_EXAMPLES = 60


def _examples() -> int:
    return _BUDGETS.get(settings.get_current_profile_name().split("-with-", 1)[0], _EXAMPLES)


ApplyMachine.TestCase.settings = settings(
    max_examples=_examples(),
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestCase = ApplyMachine.TestCase
