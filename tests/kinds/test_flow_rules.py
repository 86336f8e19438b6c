"""FlowSettings rules: id format, org scope, apply targets, configuration matrix, max wait.

Most cases use :func:`flow`, which puts each field judged by a rule on its own line; the
``*_LINE`` constants below say which.
"""

import pytest

from genesys_compliance import Policy
from tests.helpers import ids_lines

ORG = "5f1c2b7e-9a3d-4e8f-b6c1-2d7a9e4f3b10"
FLOW = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
QUEUE = "3f7c1a2e-8b4d-4e6f-9a1c-5d2e7f8b9c01"

ORG_LINE, FLOW_LINE, MAX_WAIT_LINE, SCOPE_ID_LINE, APPLY_TO_LINE, MATRIX_LINE = 5, 6, 10, 13, 15, 17


def flow(
    *,
    org: str = ORG,
    flow_id: str = FLOW,
    max_wait: object = 600,
    scope_type: str = "org",
    scope_id: str | None = None,
    apply_to: str = "[queue, user, team]",
    matrix: tuple[str, ...] | None = None,
) -> str:
    if matrix is None:
        matrix = (
            "parameter_01: {key: queue_affinity, value: true}",
            "parameter_02: {key: max_concurrent_sessions, value: 50}",
        )
    lines = [
        "apiVersion: genesys-compliance/v1",
        "kind: FlowSettings",
        "metadata: {name: primary}",
        "spec:",
        f"  orgId: {org}",  # line 5
        f"  flowId: {flow_id}",  # line 6
        "  settings:",
        "    routing:",
        "      type: longestAvailable",
        f"      maxWaitTime: {max_wait}",  # line 10
        "      scope:",
        f"        type: {scope_type}",
        f"        id: {scope_id or org}",  # line 13
        "    scopeDirectives:",
        f"      applyTo: {apply_to}",  # line 15
        "      enforceHierarchy: true",
        "    configurationMatrix:" + ("" if matrix else " {}"),  # line 17
    ]
    lines += [f"      {entry}" for entry in matrix]  # line 18 onwards
    return "\n".join(lines) + "\n"


def test_helper_places_lines_as_documented():
    lines = flow().splitlines()
    assert lines[ORG_LINE - 1].strip().startswith("orgId:")
    assert lines[FLOW_LINE - 1].strip().startswith("flowId:")
    assert lines[MAX_WAIT_LINE - 1].strip() == "maxWaitTime: 600"
    assert lines[SCOPE_ID_LINE - 1].strip() == f"id: {ORG}"
    assert lines[APPLY_TO_LINE - 1].strip().startswith("applyTo:")
    assert lines[MATRIX_LINE - 1].strip() == "configurationMatrix:"


def test_a_complete_flow_is_compliant(check_yaml):
    findings = check_yaml(f"""
        # The primary architecture flow.
        apiVersion: genesys-compliance/v1
        kind: FlowSettings
        metadata:
          name: primary-architecture
          labels: {{owner: platform}}
        spec:
          orgId: {ORG}
          flowId: {FLOW}
          version: 3
          settings:
            routing:
              type: longestAvailable
              maxWaitTime: 600
              scope: {{type: org, id: {ORG}}}
            configurationMatrix:
              parameter_01: {{key: queue_affinity, value: true}}
              parameter_02: {{key: max_concurrent_sessions, value: 50}}
              parameter_03: {{key: fallback_routing, value: overflow}}
              parameter_04: {{key: weight, value: 0.5}}
            scopeDirectives:
              applyTo: [queue, user, team]
              enforceHierarchy: true
        """)
    assert findings == []


def test_the_helper_document_is_compliant(check_yaml):
    assert check_yaml(flow()) == []


def test_optional_blocks_may_be_left_out(check_yaml):
    findings = check_yaml(f"""
        apiVersion: genesys-compliance/v1
        kind: FlowSettings
        metadata: {{name: minimal}}
        spec:
          orgId: {ORG}
          flowId: {FLOW}
          settings:
            routing: {{type: longestAvailable}}
        """)
    assert findings == []


# -- flow/id-format -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(FLOW.upper(), id="uppercase"),
        pytest.param(FLOW[:9] + FLOW[9:].upper(), id="partly-uppercase"),
        pytest.param(FLOW.replace("-", ""), id="no-dashes"),
        pytest.param("{" + FLOW + "}", id="braces"),
        pytest.param(FLOW[:-1], id="too-short"),
        pytest.param(FLOW + "0", id="too-long"),
        pytest.param(FLOW.replace("a", "g"), id="not-hex"),
        pytest.param("flow-primary", id="a-name"),
    ],
)
def test_a_flow_id_that_is_not_a_lowercase_uuid_fails(check_yaml, bad):
    findings = check_yaml(flow(flow_id=f'"{bad}"'))
    assert ids_lines(findings) == [("flow/id-format", FLOW_LINE)]
    assert findings[0].message.startswith("flowId ")


def test_an_uppercase_org_id_fails_on_both_fields_that_carry_it(check_yaml):
    # The scope repeats the orgId, so both copies are reported; they still agree (no flow/scope).
    findings = check_yaml(flow(org=ORG.upper()))
    assert ids_lines(findings) == [("flow/id-format", ORG_LINE), ("flow/id-format", SCOPE_ID_LINE)]
    assert [f.message.split(" ")[0] for f in findings] == ["orgId", "settings.routing.scope.id"]


def test_an_uppercase_scope_id_fails(check_yaml):
    text = flow(scope_type="queue", scope_id=QUEUE.upper())
    assert ids_lines(check_yaml(text)) == [("flow/id-format", SCOPE_ID_LINE)]


def test_lowercase_uuids_pass(check_yaml):
    assert check_yaml(flow(scope_type="queue", scope_id=QUEUE)) == []


# -- flow/scope ---------------------------------------------------------------------------------


def test_an_org_scope_naming_another_org_fails(check_yaml):
    findings = check_yaml(flow(scope_type="org", scope_id=QUEUE))
    assert ids_lines(findings) == [("flow/scope", SCOPE_ID_LINE)]
    assert QUEUE in findings[0].message
    assert ORG in findings[0].message


@pytest.mark.parametrize("scope_type", ["queue", "team", "division"])
def test_other_scopes_may_name_any_id(check_yaml, scope_type):
    assert check_yaml(flow(scope_type=scope_type, scope_id=QUEUE)) == []


# -- flow/apply-target --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "apply_to", ["[queue]", "[user]", "[team]", "[team, queue]", "[queue, user, team]"]
)
def test_known_apply_targets_pass(check_yaml, apply_to):
    assert check_yaml(flow(apply_to=apply_to)) == []


@pytest.mark.parametrize(
    ("apply_to", "count"),
    [
        pytest.param("[]", 1, id="empty"),
        pytest.param("[queue, agent]", 1, id="unknown"),
        pytest.param("[Queue]", 1, id="wrong-case"),
        pytest.param("[queue, queue]", 1, id="repeated"),
        pytest.param("[user, team, user, team]", 2, id="two-repeats"),
        pytest.param("[queue, org, queue]", 2, id="unknown-and-repeated"),
    ],
)
def test_bad_apply_targets_fail(check_yaml, apply_to, count):
    assert (
        ids_lines(check_yaml(flow(apply_to=apply_to)))
        == [("flow/apply-target", APPLY_TO_LINE)] * count
    )


def test_apply_target_findings_point_at_the_entry(check_yaml):
    findings = check_yaml(f"""
        apiVersion: genesys-compliance/v1
        kind: FlowSettings
        metadata: {{name: primary}}
        spec:
          orgId: {ORG}
          flowId: {FLOW}
          settings:
            routing: {{type: longestAvailable}}
            scopeDirectives:
              applyTo:
                - queue
                - agent  # line 12
                - queue  # line 13
        """)
    assert ids_lines(findings) == [("flow/apply-target", 12), ("flow/apply-target", 13)]
    assert [f.message for f in findings] == [
        "applyTo target 'agent' is not one of queue, team, user",
        "applyTo target 'queue' is repeated",
    ]


def test_apply_targets_come_from_the_policy(check_yaml):
    policy = Policy(**{"apply-targets": ["queue", "user", "team", "division"]})
    assert check_yaml(flow(apply_to="[queue, division]"), policy) == []
    assert ids_lines(check_yaml(flow(apply_to="[queue, division]"))) == [
        ("flow/apply-target", APPLY_TO_LINE)
    ]


# -- flow/matrix --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["true", "false", "50", "0", "0.25", "overflow", '""', '"50"', '"null"'],
)
def test_scalar_matrix_values_pass(check_yaml, value):
    assert check_yaml(flow(matrix=(f"p1: {{key: k, value: {value}}}",))) == []


def test_an_empty_matrix_passes(check_yaml):
    assert check_yaml(flow(matrix=())) == []


@pytest.mark.parametrize(
    "entry",
    [
        pytest.param("p2: {key: weight}", id="no-value"),
        pytest.param("p2: {value: 1}", id="no-key"),
        pytest.param("p2: {key: weight, value: 1, note: x}", id="extra-field"),
        pytest.param("p2: weight", id="not-a-mapping"),
        pytest.param("p2: [weight, 1]", id="a-list"),
        pytest.param('p2: {key: "", value: 1}', id="empty-key"),
        pytest.param('p2: {key: "  ", value: 1}', id="blank-key"),
        pytest.param("p2: {key: 7, value: 1}", id="numeric-key"),
        pytest.param("p2: {key: weight, value: [1, 2]}", id="list-value"),
        pytest.param("p2: {key: weight, value: {a: 1}}", id="mapping-value"),
        pytest.param("p2: {key: weight, value: null}", id="null-value"),
        pytest.param("p2: {key: weight, value: }", id="empty-value"),
        pytest.param("p2: {key: k1, value: 2}", id="repeated-key"),
    ],
)
def test_bad_matrix_entries_fail(check_yaml, entry):
    text = flow(matrix=("p1: {key: k1, value: 1}", entry, "p3: {key: k3, value: 3}"))
    assert ids_lines(check_yaml(text)) == [("flow/matrix", MATRIX_LINE + 2)]


def test_matrix_findings_point_at_the_entry_or_its_field(check_yaml):
    findings = check_yaml(f"""
        apiVersion: genesys-compliance/v1
        kind: FlowSettings
        metadata: {{name: primary}}
        spec:
          orgId: {ORG}
          flowId: {FLOW}
          settings:
            routing: {{type: longestAvailable}}
            configurationMatrix:
              parameter_01:            # line 10
                key: queue_affinity
                value: true
              parameter_02:            # line 13: not {{key, value}}
                key: weight
              parameter_03:
                key: queue_affinity    # line 16: repeats parameter_01's key
                value: false
              parameter_04:
                key: tiers
                value: [1, 2]          # line 20
        """)
    assert ids_lines(findings) == [("flow/matrix", 13), ("flow/matrix", 16), ("flow/matrix", 20)]
    assert findings[1].message == (
        "matrix key 'queue_affinity' is already set by entry 'parameter_01'"
    )


# -- flow/max-wait ------------------------------------------------------------------------------


@pytest.mark.parametrize("seconds", [1, 600, 3600])
def test_max_wait_within_range_passes(check_yaml, seconds):
    assert check_yaml(flow(max_wait=seconds)) == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("0", "maxWaitTime is 0; allowed 1..3600 seconds", id="zero"),
        pytest.param("3601", "maxWaitTime is 3601; allowed 1..3600 seconds", id="3601"),
        pytest.param("-30", "maxWaitTime is -30; allowed 1..3600 seconds", id="negative"),
        pytest.param(
            '"600"', "maxWaitTime must be an integer number of seconds, not str", id="string"
        ),
        pytest.param(
            "600.0", "maxWaitTime must be an integer number of seconds, not float", id="float"
        ),
        pytest.param(
            "true", "maxWaitTime must be an integer number of seconds, not bool", id="boolean"
        ),
        pytest.param(
            "10m", "maxWaitTime must be an integer number of seconds, not str", id="duration"
        ),
        pytest.param(
            "null", "maxWaitTime must be an integer number of seconds, not NoneType", id="null"
        ),
    ],
)
def test_max_wait_out_of_range_or_not_an_integer_fails(check_yaml, value, message):
    findings = check_yaml(flow(max_wait=value))
    assert ids_lines(findings) == [("flow/max-wait", MAX_WAIT_LINE)]
    assert findings[0].message == message


def test_max_wait_limit_comes_from_the_policy(check_yaml):
    policy = Policy(**{"max-wait-seconds": 7200})
    assert check_yaml(flow(max_wait=3601), policy) == []
    assert ids_lines(check_yaml(flow(max_wait=7201), policy)) == [("flow/max-wait", MAX_WAIT_LINE)]
    assert ids_lines(check_yaml(flow(max_wait=601), Policy(max_wait_seconds=600))) == [
        ("flow/max-wait", MAX_WAIT_LINE)
    ]


def test_several_flow_rules_report_together_in_line_order(check_yaml):
    text = flow(flow_id=FLOW.upper(), max_wait=0, apply_to="[]", scope_id=QUEUE)
    assert ids_lines(check_yaml(text)) == [
        ("flow/id-format", FLOW_LINE),
        ("flow/max-wait", MAX_WAIT_LINE),
        ("flow/scope", SCOPE_ID_LINE),
        ("flow/apply-target", APPLY_TO_LINE),
    ]
