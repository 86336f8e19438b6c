"""The local rules and the org agree on what a payload is.

Every generated valid configuration's payload is accepted by the org, and
every payload the local rules reject for a schema reason (``config/schema``)
is rejected by the org with a 400. A disagreement fails the test as a
contract finding, naming which side accepted what.

Runs against the simulated org. Against a live org (``--gc-org live``) it
writes, so it runs only when a sandbox queue is named with ``--gc-sandbox``,
and then only for routing rules, created in that queue and deleted again.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from _properties import check
from genesys_compliance import Policy
from genesys_compliance.connect import OrgConnection, connect_live, connect_mock
from genesys_compliance.errors import ApiError, CredentialsError
from genesys_compliance.strategies import configurations, mutate, suite_settings

# Each example is a round trip to the org: half the suites' budget for the active
# profile (the profile is loaded before collection, so suite_settings sees it).
AGREEMENT = settings(
    max_examples=max(10, suite_settings().max_examples // 2),
    deadline=None,  # as every property of the suites (_properties.no_deadline): no deadline
    suppress_health_check=[HealthCheck.too_slow],  # the org round trip, not generation
)


@pytest.fixture(scope="session")
def agreement_org(pytestconfig: pytest.Config) -> Iterator[tuple[OrgConnection, str | None]]:
    """The org to ask, and the sandbox queue when the org is live (writes go nowhere else)."""
    sandbox: str | None = pytestconfig.getoption("gc_sandbox")
    if pytestconfig.getoption("gc_org") == "live":
        if sandbox is None:
            pytest.skip("agreement properties write: name a sandbox queue with --gc-sandbox")
        try:
            connection = connect_live()
        except CredentialsError as error:
            pytest.skip(f"--gc-org live: {error}")
    else:
        seeds: list[Path] = pytestconfig.getini("gc_org_seed")  # where the org stage reads it
        connection = connect_mock(seeds[0] if seeds else pytestconfig.rootpath / "fixtures" / "org")
    yield connection, sandbox
    connection.close()


def _send(org: OrgConnection, sandbox: str | None, document: dict[str, Any]) -> tuple[int, str]:
    """Send the configuration's payload the way an apply would; the org's status and message.

    Identities and references are aimed at resources the org has, so the only
    thing left to disagree on is the payload's shape.
    """
    client, kind, spec = org.client, document["kind"], dict(document["spec"])
    try:
        if kind == "RoutingRule":
            queue = sandbox or next(iter(client.list_queues()))["id"]
            if isinstance(spec.get("name"), str):  # unique, so a rerun never meets a 409
                spec["name"] = f"{spec['name']}-{secrets.token_hex(4)}"
            created = client.create_routing_rule(queue, spec)
            client.delete_routing_rule(created["id"])
        elif sandbox is not None:
            pytest.skip("against a live org only routing rules are sent, to the sandbox queue")
        elif kind == "DesktopLayout":
            client.create_layout(spec)
        elif kind == "TriggerRule":
            # Point templates at ones the org has: references are org/reference's business.
            template = next(iter(client.list_assist_templates()))["id"]
            spec["actions"] = [
                {**a, "templateId": template} if isinstance(a, dict) and "templateId" in a else a
                for a in spec.get("actions", [])
            ]
            client.create_trigger_rule({k: v for k, v in spec.items() if k not in {"id", "etag"}})
        elif kind == "FlowSettings":
            flow = next(iter(client.list_flows()))
            current = client.get_flow(flow["id"])
            # Aim the payload at a flow of this org: identity is not what is compared here.
            # Fields a mutation removed or retyped stay as the mutation left them.
            org_id = current["orgId"]
            spec["version"] = current["version"]
            for name, value in (("flowId", flow["id"]), ("orgId", org_id)):
                if isinstance(spec.get(name), str):
                    spec[name] = value
            settings_ = spec.get("settings")
            routing = settings_.get("routing") if isinstance(settings_, dict) else None
            scope = routing.get("scope") if isinstance(routing, dict) else None
            if isinstance(scope, dict) and scope.get("type") == "org":
                scope = {**scope, "id": org_id}
                spec["settings"] = {**settings_, "routing": {**routing, "scope": scope}}
            client.patch_flow_settings(flow["id"], spec)
        elif kind == "RoutingStrategy":
            queue = next(iter(client.list_queues()))["id"]
            version = client.get_queue_strategies(queue)["version"]
            client.patch_queue_strategies(queue, [spec], version=version)
        else:  # pragma: no cover - the five kinds above are all there are
            raise AssertionError(kind)
    except ApiError as error:
        if error.status is None:
            raise
        return error.status, error.message
    return 200, "accepted"


@AGREEMENT
@given(data=st.data())
def test_the_org_accepts_every_valid_payload(
    data: st.DataObject, gc_policy: Policy, agreement_org: tuple[OrgConnection, str | None]
) -> None:
    org, sandbox = agreement_org
    kinds = ("RoutingRule",) if sandbox else None
    document = data.draw(configurations(gc_policy, kinds=kinds), label="configuration")
    assert [f.render() for f in check([document], gc_policy).failing()] == []
    status, message = _send(org, sandbox, document)
    assert status == 200, (
        f"contract finding: the local rules accept this {document['kind']} but the org "
        f"answered {status}: {message}"
    )


@AGREEMENT
@given(data=st.data())
def test_the_org_rejects_what_the_schema_rejects(
    data: st.DataObject, gc_policy: Policy, agreement_org: tuple[OrgConnection, str | None]
) -> None:
    org, sandbox = agreement_org
    kinds = ("RoutingRule",) if sandbox else None
    document = data.draw(configurations(gc_policy, kinds=kinds), label="configuration")
    mutation = mutate(document, "config/schema", data, policy=gc_policy)
    assume(mutation is not None and mutation.pointer.startswith("/spec"))
    assert mutation is not None
    failing = {f.rule_id for f in check(list(mutation.documents), gc_policy).failing()}
    assert failing == {"config/schema"}, mutation.description
    status, message = _send(org, sandbox, mutation.config)
    assert status == 400, (
        f"contract finding: the local schema rejects this {document['kind']} "
        f"({mutation.description}) but the org answered {status}: {message}"
    )
