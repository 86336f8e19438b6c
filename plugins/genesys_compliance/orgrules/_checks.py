"""The org-stage checks: references that must exist, capacity that must be there."""

from __future__ import annotations

import math
from collections.abc import Iterator

from genesys_compliance.config import pointer
from genesys_compliance.contract import Contract
from genesys_compliance.engine import Entry
from genesys_compliance.orgrules._view import OrgView
from genesys_compliance.rules import Finding, Registry, RuleContext, Violation


def _references(entry: Entry, view: OrgView) -> Iterator[Violation]:
    config = entry.config
    if config is None:
        return
    kind, meta, spec = entry.kind.name, config.metadata, config.spec
    if kind == "DesktopLayout" and meta.userId is not None and not view.user_exists(meta.userId):
        yield Violation(
            pointer("metadata", "userId"), f"user {meta.userId[:60]!r} does not exist in the org"
        )
    elif kind == "FlowSettings" and spec.flowId not in view.flow_ids:
        yield Violation(
            pointer("spec", "flowId"), f"flow {spec.flowId[:60]!r} does not exist in the org"
        )
    elif kind in ("RoutingStrategy", "RoutingRule") and meta.queueId not in view.queue_ids:
        yield Violation(
            pointer("metadata", "queueId"), f"queue {meta.queueId[:60]!r} does not exist in the org"
        )
    elif kind == "TriggerRule":
        for index, action in enumerate(spec.actions):
            if action.templateId is not None and action.templateId not in view.template_ids:
                yield Violation(
                    pointer("spec", "actions", index, "templateId"),
                    f"assist template {action.templateId[:60]!r} does not exist in the org",
                )


def _capacity(entry: Entry, view: OrgView, ctx: RuleContext) -> Iterator[Violation]:
    config = entry.config
    if config is None or entry.kind.name != "RoutingStrategy":
        return
    required = config.metadata.requiredAgents
    if required is None or config.metadata.queueId not in view.queue_ids:
        return
    at = pointer("metadata", "requiredAgents")
    if view.licences < required:
        yield Violation(
            at, f"{required} agents are required but the org holds {view.licences} licences"
        )
    available = view.available_agents(config.metadata.queueId)
    needed = math.ceil(required * ctx.policy.min_available_ratio)
    if available is None:
        yield Violation(at, "the org reports no available agents for the queue")
    elif available < needed:
        yield Violation(
            at,
            f"{available} agents are available on the queue; "
            f"{ctx.policy.min_available_ratio:.0%} of {required} is {needed}",
        )


def org_findings(
    entry: Entry, view: OrgView, registry: Registry, ctx: RuleContext
) -> list[Finding]:
    """The org-stage findings of one configuration, located, waivers applied, sorted."""
    found: list[Finding] = []
    checks: list[tuple[str, Iterator[Violation]]] = [
        ("org/reference", _references(entry, view)),
        ("strategy/capacity", _capacity(entry, view, ctx)),
    ]
    for rule_id, violations in checks:
        rule = registry.get(rule_id)
        found.extend(entry.located(rule, violation) for violation in violations)
    found.sort(key=Finding.sort_key)
    return found


def contract_findings(entry: Entry, contract: Contract, registry: Registry) -> list[Finding]:
    """The payload checked against the API contract's request schema, as ``config/schema``.

    The local models and the contract describe the same payload; a problem only
    the contract sees is a disagreement between the two, reported rather than hidden.
    """
    spec = entry.data.get("spec") if isinstance(entry.data, dict) else None
    if not isinstance(spec, dict):
        return []  # the envelope finding already says so
    rule = registry.get("config/schema")
    found = []
    for problem in contract.validate_payload(entry.kind.name, spec):
        at = "/spec" + (problem.pointer if problem.pointer.startswith("/") else "")
        found.append(entry.located(rule, Violation(at, f"API contract: {problem}")))
    found.sort(key=Finding.sort_key)
    return found
