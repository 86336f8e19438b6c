"""The org stage: every org-stage rule of the registry, and the API contract check.

Org-stage rules, built-in or custom, run through one loop (:func:`org_findings`)
with one signature, ``check(config, ctx)``, where ``ctx`` is an
:class:`OrgRuleContext`: the run's policy and date plus ``org``, the cached
:class:`OrgView`. The catalogue declares the two built-ins (``org/reference``,
``strategy/capacity``) in :mod:`genesys_compliance.kinds`, a layer that cannot
see the org; their checks are attached here, by id.

Both stages here (the org's and the API contract's) look again at values the
engine's rules already judged. SPEC section 3 wants one finding per violation,
so each drops what the engine already reported for the same element; see
:func:`covers` for the relation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from genesys_compliance.config import dotted, pointer
from genesys_compliance.contract import Contract
from genesys_compliance.engine import Entry
from genesys_compliance.errors import ApiError
from genesys_compliance.orgrules._view import OrgView
from genesys_compliance.rules import Check, Finding, Registry, Rule, RuleContext, Violation


@dataclass(frozen=True, slots=True)
class OrgRuleContext(RuleContext):
    """What an org-stage rule reads: the policy, today's date and the org.

    ``org`` is read-only and cached: a rule asks it freely, and thousands of
    configurations still cost a handful of paged requests.
    """

    org: OrgView = field(kw_only=True)


def _references(config: Any, ctx: OrgRuleContext) -> Iterator[Violation]:
    """``org/reference``: every queue, flow, template and user named exists in the org."""
    view, kind, meta, spec = ctx.org, config.kind, config.metadata, config.spec
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


def _capacity(config: Any, ctx: OrgRuleContext) -> Iterator[Violation]:
    """``strategy/capacity``: the org has the licences and the available agents required."""
    view = ctx.org
    required = config.metadata.requiredAgents
    if required is None or config.metadata.queueId not in view.queue_ids:
        return  # nothing asked, or org/reference already says the queue is missing
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


# The catalogue's own org-stage rules, declared without a check in kinds/common.py.
BUILTIN_ORG_CHECKS: Mapping[str, Check] = {
    "org/reference": _references,
    "strategy/capacity": _capacity,
}


def covers(covering: str, at: str) -> bool:
    """Whether a finding at pointer ``covering`` already speaks for the element at ``at``.

    It does when it points at that element or at one that contains it (a finding
    at ``/spec/overflow/rules/0`` covers ``/spec/overflow/rules/0/action``), and
    that element lies inside a section of the document (``/spec/...``,
    ``/metadata/...``): a finding about ``/spec`` or the whole document names
    no element, so it covers nothing. Pointers are RFC 6901, so a ``/`` inside a
    key is ``~1`` and the prefix test never splits a key.
    """
    if covering.count("/") < 2:
        return False
    return at == covering or at.startswith(covering + "/")


def _uncovered(
    found: Iterable[Finding], covered: Iterable[Finding], registry: Registry
) -> list[Finding]:
    """``found`` without what ``covered`` reports already, sorted.

    Only findings about the configuration's own content cover: a cross-file
    finding (stage ``run``: two files target one queue) is about the pair, not
    about the value, so a problem with the value itself still needs saying.
    Waived findings cover too: a waiver suppresses its rule in every stage.
    """
    pointers = [
        f.pointer
        for f in covered
        if f.rule_id not in registry or registry.get(f.rule_id).stage != "run"
    ]
    kept = [f for f in found if not any(covers(p, f.pointer) for p in pointers)]
    kept.sort(key=Finding.sort_key)
    return kept


def org_findings(
    entry: Entry,
    view: OrgView,
    registry: Registry,
    ctx: RuleContext,
    *,
    covered: Iterable[Finding] = (),
) -> list[Finding]:
    """The org-stage findings of one configuration, located, waivers applied, sorted.

    Runs every rule of ``registry`` with stage ``org`` that applies to the
    configuration's kind, built-in and custom alike, in registry order. A rule
    that raises becomes a finding of that rule, as in the engine; the org
    failing a request (:class:`~genesys_compliance.errors.ApiError`) is not the
    rule's fault and propagates, so the test errors rather than reporting a
    finding no rule made.

    Args:
        entry: The configuration; one whose schema failed has no org findings
            (its engine findings say why), as it has no document-rule findings.
        view: The org, read through its cached view; rules see it as ``ctx.org``.
        registry: The run's rules.
        ctx: The run's policy and date.
        covered: The engine's findings for ``entry`` (``Run.check(entry)``); an org
            finding about an element one of them reports (a flowId that is no
            UUID is also no flow of the org) is left out, so the violation is
            reported once.
    """
    config = entry.config
    if config is None:
        return []
    context = OrgRuleContext(policy=ctx.policy, today=ctx.today, org=view)
    found: list[Finding] = []
    for rule, check in _org_rules(registry, entry.kind.name):
        found.extend(entry.located(rule, v) for v in _violations(check, config, context))
    return _uncovered(found, covered, registry)


def _org_rules(registry: Registry, kind: str) -> Iterator[tuple[Rule, Check]]:
    """The org-stage rules for ``kind``, each with the check it runs."""
    for rule in registry:
        if rule.stage == "org" and rule.kind in (None, kind):
            check = rule.check or BUILTIN_ORG_CHECKS.get(rule.id)
            if check is not None:
                yield rule, check


def _violations(check: Check, config: Any, ctx: OrgRuleContext) -> list[Violation]:
    """What ``check`` reports; a rule that raises is a finding of that rule, not a crash."""
    try:
        return list(check(config, ctx))
    except ApiError:
        raise
    except Exception as error:
        message = f"the rule itself failed: {type(error).__name__}: {str(error)[:200]}"
        return [Violation("", message)]


def contract_findings(
    entry: Entry, contract: Contract, registry: Registry, *, covered: Iterable[Finding]
) -> list[Finding]:
    """The payload checked against the API contract's request schema, as ``config/schema``.

    The local models and the contract describe the same payload, so most of what
    the contract rejects a rule has reported already; only what no rule covers is
    a disagreement between the two, reported rather than hidden. The command
    line and the contract suite call this alike, so both count the same findings.

    Args:
        entry: The configuration.
        contract: The API contract, endpoints as the project moved them.
        registry: The run's rules.
        covered: Every finding of the engine for ``entry``, from every stage and
            waived ones included (``Run.check(entry)``). A contract problem at an
            element one of them reports, or inside it (see :func:`covers`), is
            left out. Required, because leaving it out reports violations twice.
    """
    spec = entry.data.get("spec") if isinstance(entry.data, dict) else None
    if not isinstance(spec, dict):
        return []  # the envelope finding already says so
    rule = registry.get("config/schema")
    found = []
    for problem in contract.validate_payload(entry.kind.name, spec):
        # The engine's own pointer function, so a key is written as the engine writes it
        # (YAML's `true:` is /spec/true) and pointers of the two stages compare.
        at = pointer("spec", *problem.path)
        message = f"API contract: {dotted(at)}: {problem.message}"
        found.append(entry.located(rule, Violation(at, message)))
    return _uncovered(found, covered, registry)
