"""Rules every configuration is held to: envelope, schema (strict, no coercion), secrets,
waivers, and the cross-file duplicate rules (config/duplicate-target,
strategy/duplicate-media, routing-rule/duplicate-name).

config/parse is covered with the loader's tests; strategy/capacity, org/reference, the drift
rules (org/drift, org/unmanaged) and the apply stage's (apply/*) need an org and are covered
with it.
"""

import textwrap
from datetime import timedelta

import pytest

from genesys_compliance import builtin_registry
from tests.helpers import TODAY, ids_lines

LAYOUT_SPEC = "spec: {name: Agent, grid: {columns: 24, rows: 16}}"
QUEUE = "3f7c1a2e-8b4d-4e6f-9a1c-5d2e7f8b9c01"
OTHER_QUEUE = "6c2d9e4f-1a3b-4c5d-8e7f-0a1b2c3d4e5f"
ORG = "5f1c2b7e-9a3d-4e8f-b6c1-2d7a9e4f3b10"
FLOW = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"


def test_every_catalogue_rule_without_an_org_has_rule_tests_in_this_folder():
    # A guard for the catalogue: a new rule id must come with tests here (or be listed as
    # covered elsewhere), and a renamed one must be renamed in the tests.
    covered_elsewhere = {
        "config/parse",  # tests/config
        "strategy/capacity",  # tests/test_orgrules.py
        "org/reference",  # tests/test_orgrules.py
        "org/drift",  # tests/drift
        "org/unmanaged",  # tests/drift
        "apply/conflict",  # tests/apply, tests/test_apply_rule_ids.py
        "apply/failed",  # tests/apply, tests/test_apply_rule_ids.py
        "apply/rollback-conflict",  # tests/apply
        "apply/interval",  # tests/apply/test_interval_policy.py
    }
    covered_here = {
        "config/envelope",
        "config/schema",
        "config/secret",
        "config/duplicate-target",
        "config/waiver",
        "layout/grid-size",
        "layout/widget-limit",
        "layout/widget-type",
        "layout/position",
        "layout/grid-bounds",
        "layout/overlap",
        "layout/widget-id",
        "layout/visibility",
        "layout/load-impact",
        "flow/id-format",
        "flow/scope",
        "flow/apply-target",
        "flow/matrix",
        "flow/max-wait",
        "strategy/enum",
        "strategy/overflow",
        "strategy/skills",
        "strategy/peak-load",
        "strategy/duplicate-media",
        "trigger/condition-limit",
        "trigger/operator",
        "trigger/value",
        "trigger/action",
        "routing-rule/depth",
        "routing-rule/operator",
        "routing-rule/structure",
        "routing-rule/value",
        "routing-rule/field",
        "routing-rule/duplicate-name",
    }
    assert {r.id for r in builtin_registry()} == covered_here | covered_elsewhere


# -- config/envelope ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["a", "0", "agent-default", "agent-default-2", "a" * 63, "0-9"])
def test_valid_names_pass(check_yaml, name):
    text = f'apiVersion: genesys-compliance/v1\nkind: DesktopLayout\nmetadata: {{name: "{name}"}}\n'
    assert check_yaml(text + LAYOUT_SPEC) == []


@pytest.mark.parametrize(
    "name",
    [
        "Agent",
        "agent_default",
        "-agent",
        "agent.default",
        '""',
        "a" * 64,
        "123",
        "true",
        '"agent default"',
    ],
)
def test_invalid_names_fail_at_the_name(check_yaml, name):
    findings = check_yaml(f"""
        apiVersion: genesys-compliance/v1
        kind: DesktopLayout
        metadata:
          labels: {{team: voice}}
          name: {name}          # line 5
        {LAYOUT_SPEC}
        """)
    assert ids_lines(findings) == [("config/envelope", 5)]
    assert findings[0].message.startswith("metadata.name ")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        pytest.param(
            f"kind: DesktopLayout\nmetadata: {{name: a}}\n{LAYOUT_SPEC}\n",
            1,
            "apiVersion is missing",
            id="no-apiVersion",
        ),
        pytest.param(
            f"apiVersion: genesys-compliance/v2\nkind: DesktopLayout\n"
            f"metadata: {{name: a}}\n{LAYOUT_SPEC}\n",
            1,
            "apiVersion must be 'genesys-compliance/v1', not 'genesys-compliance/v2'",
            id="wrong-apiVersion",
        ),
        pytest.param(
            f"apiVersion: genesys-compliance/v1\nmetadata: {{name: a}}\n{LAYOUT_SPEC}\n",
            1,
            "kind is missing",
            id="no-kind",
        ),
        pytest.param(
            f"apiVersion: genesys-compliance/v1\nkind: DesktopLayouts\n"
            f"metadata: {{name: a}}\n{LAYOUT_SPEC}\n",
            2,
            "unknown kind 'DesktopLayouts'; expected one of DesktopLayout, "
            "FlowSettings, RoutingStrategy, TriggerRule, RoutingRule",
            id="unknown-kind",
        ),
        pytest.param(
            f"apiVersion: genesys-compliance/v1\nkind: DesktopLayout\n{LAYOUT_SPEC}\n",
            1,
            "metadata is missing",
            id="no-metadata",
        ),
        pytest.param(
            f"apiVersion: genesys-compliance/v1\nkind: DesktopLayout\nmetadata: agent\n"
            f"{LAYOUT_SPEC}\n",
            3,
            "metadata must be a mapping",
            id="metadata-scalar",
        ),
        pytest.param(
            f"apiVersion: genesys-compliance/v1\nkind: DesktopLayout\n"
            f"metadata: {{labels: {{}}}}\n{LAYOUT_SPEC}\n",
            3,
            "metadata.name is missing: use lowercase letters, digits and dashes, 1..63 characters",
            id="no-name",
        ),
        pytest.param(
            "apiVersion: genesys-compliance/v1\nkind: DesktopLayout\nmetadata: {name: a}\n",
            1,
            "spec is missing",
            id="no-spec",
        ),
        pytest.param(
            "apiVersion: genesys-compliance/v1\nkind: DesktopLayout\n"
            "metadata: {name: a}\nspec: [name, grid]\n",
            4,
            "spec must be a mapping",
            id="spec-list",
        ),
        pytest.param(
            f"apiVersion: genesys-compliance/v1\nkind: DesktopLayout\n"
            f"metadata: {{name: a}}\n{LAYOUT_SPEC}\nstatus: {{}}\n",
            5,
            "unknown top-level field(s): status",
            id="unknown-top-level",
        ),
        pytest.param(
            f"apiVersion: genesys-compliance/v1\nkind: DesktopLayout\n"
            f"metadata: {{name: a}}\n{LAYOUT_SPEC}\nnull: {{}}\n",
            5,
            "unknown top-level field(s): null",
            id="unknown-non-string-top-level-key-as-written",
        ),
        pytest.param(
            "- apiVersion: genesys-compliance/v1\n- kind: DesktopLayout\n",
            1,
            "a document must be a mapping with apiVersion, kind, metadata and spec, not list",
            id="not-a-mapping",
        ),
        pytest.param(
            "# nothing here yet\n", 1, "the file holds no configuration document", id="empty-file"
        ),
    ],
)
def test_broken_envelopes_fail(check_yaml, text, line, message):
    findings = check_yaml(text)
    assert ids_lines(findings) == [("config/envelope", line)]
    assert findings[0].message == message
    assert findings[0].severity == "error"


def test_an_unknown_metadata_field_fails_at_the_field(check_yaml):
    findings = check_yaml(f"""
        apiVersion: genesys-compliance/v1
        kind: DesktopLayout
        metadata:
          name: agent
          owner: cx-ops         # line 5
        {LAYOUT_SPEC}
        """)
    assert ids_lines(findings) == [("config/envelope", 5)]
    assert findings[0].message == "metadata.owner: unknown field"


@pytest.mark.parametrize(
    ("metadata", "line", "message"),
    [
        pytest.param(
            "  name: voice\n", 3, "metadata.queueId: required field is missing", id="no-queue"
        ),
        pytest.param(
            f'  name: voice\n  queueId: {QUEUE}\n  requiredAgents: "12"\n',
            6,
            "metadata.requiredAgents: Input should be a valid integer (got str)",
            id="string-agents",
        ),
        pytest.param(
            f"  name: voice\n  queueId: {QUEUE}\n"
            "  peak: {arrivalsPerHour: 120, avgHandleSeconds: 300, agents: 0}\n",
            6,
            "metadata.peak.agents: Input should be greater than or equal to 1 (got int)",
            id="no-agents-at-peak",
        ),
    ],
)
def test_kind_metadata_that_does_not_fit_fails_as_envelope(check_yaml, metadata, line, message):
    text = (
        "apiVersion: genesys-compliance/v1\nkind: RoutingStrategy\nmetadata:\n"
        + metadata
        + "spec: {strategy: random, mediaType: voice}\n"
    )
    findings = check_yaml(text)
    assert [(f.rule_id, f.line, f.message) for f in findings] == [
        ("config/envelope", line, message)
    ]


def test_a_name_used_twice_in_one_file_fails_at_the_second(check_yaml):
    findings = check_yaml(f"""
        apiVersion: genesys-compliance/v1
        kind: DesktopLayout
        metadata: {{name: agent}}
        {LAYOUT_SPEC}
        ---
        apiVersion: genesys-compliance/v1
        kind: DesktopLayout
        metadata: {{name: agent}}   # line 8
        {LAYOUT_SPEC}
        """)
    assert ids_lines(findings) == [("config/envelope", 8)]
    assert "appears twice in this file" in findings[0].message


def test_a_broken_envelope_does_not_hide_the_next_document(check_yaml):
    findings = check_yaml(f"""
        apiVersion: genesys-compliance/v1
        kind: Desktop
        metadata: {{name: a}}
        {LAYOUT_SPEC}
        ---
        apiVersion: genesys-compliance/v1
        kind: DesktopLayout
        metadata: {{name: b}}
        spec: {{name: B, grid: {{columns: 99, rows: 16}}}}   # line 9
        """)
    assert ids_lines(findings) == [("config/envelope", 2), ("layout/grid-size", 9)]


# -- config/schema ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("columns", "got"),
    [('"24"', "str"), ("24.0", "float"), ("true", "bool"), ("[24]", "list")],
)
def test_layout_numbers_are_not_coerced(check_yaml, columns, got):
    findings = check_yaml(f"""
        apiVersion: genesys-compliance/v1
        kind: DesktopLayout
        metadata: {{name: agent}}
        spec:
          name: Agent
          grid:
            columns: {columns}      # line 7
            rows: 16
          widgets:                  # overlapping: not reported while the spec does not fit
            - {{widget_type: queue-widget, id: a, position: {{x: 0, y: 0, width: 2, height: 2}}}}
            - {{widget_type: queue-widget, id: b, position: {{x: 1, y: 1, width: 2, height: 2}}}}
        """)
    assert ids_lines(findings) == [("config/schema", 7)]
    assert findings[0].message == f"spec.grid.columns: Input should be a valid integer (got {got})"


@pytest.mark.parametrize(
    ("enabled", "got"),
    [('"yes"', "str"), ("yes", "str"), ("on", "str"), ('"true"', "str"), ("1", "int")],
)
def test_booleans_are_not_coerced(check_yaml, enabled, got):
    findings = check_yaml(f"""
        apiVersion: genesys-compliance/v1
        kind: TriggerRule
        metadata: {{name: card}}
        spec:
          name: Card
          ruleType: conversation
          enabled: {enabled}        # line 7
          conditions: [{{type: keyword, field: text, operator: contains, value: card}}]
          actions: [{{type: call}}]
        """)
    assert ids_lines(findings) == [("config/schema", 7)]
    assert findings[0].message == f"spec.enabled: Input should be a valid boolean (got {got})"


@pytest.mark.parametrize("enabled", ["true", "false", "True", "FALSE"])
def test_yaml_booleans_are_booleans(check_yaml, enabled):
    text = f"""
        apiVersion: genesys-compliance/v1
        kind: RoutingRule
        metadata: {{name: r, queueId: {QUEUE}}}
        spec:
          name: R
          enabled: {enabled}
          expression: {{type: condition, field: skill, operator: exists}}
        """
    assert check_yaml(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            """
            apiVersion: genesys-compliance/v1
            kind: DesktopLayout
            metadata: {name: agent}
            spec:
              name: Agent
              grid: {columns: 24, rows: 16}
              colour: blue              # line 7
            """,
            [(7, "spec.colour: unknown field")],
            id="unknown-spec-field",
        ),
        pytest.param(
            """
            apiVersion: genesys-compliance/v1
            kind: DesktopLayout
            metadata: {name: agent}
            spec:
              name: Agent
              grid: {columns: 24, rows: 16}
              widgets:
                - widget_type: queue-widget
                  id: a
                  colour: blue          # line 10
            """,
            [(10, "spec.widgets[0].colour: unknown field")],
            id="unknown-widget-field",
        ),
        pytest.param(
            f"""
            apiVersion: genesys-compliance/v1
            kind: FlowSettings
            metadata: {{name: primary}}
            spec:
              orgId: {ORG}
              flowId: {FLOW}
              settings:
                routing:
                  type: longestAvailable
                  maxWait: 600          # line 10
            """,
            [(10, "spec.settings.routing.maxWait: unknown field")],
            id="misspelt-field",
        ),
        pytest.param(
            """
            apiVersion: genesys-compliance/v1
            kind: DesktopLayout
            metadata: {name: agent}
            spec:                       # line 4
              name: Agent
            """,
            [(4, "spec.grid: required field is missing")],
            id="missing-field",
        ),
        pytest.param(
            """
            apiVersion: genesys-compliance/v1
            kind: DesktopLayout
            metadata: {name: agent}
            spec:
              name: Agent
              grid: {columns: 24, rows: 16}
              widgets:
                - widget_type: queue-widget   # line 8
                  position: {x: 0, y: 0, width: 1, height: 1}
            """,
            [(8, "spec.widgets[0].id: required field is missing")],
            id="missing-id",
        ),
        pytest.param(
            """
            apiVersion: genesys-compliance/v1
            kind: DesktopLayout
            metadata: {name: agent}
            spec:
              name: Agent
              grid: {columns: 24, rows: 16}
              widgets: {a: 1}           # line 7
            """,
            [(7, "spec.widgets: Input should be a valid list (got dict)")],
            id="wrong-type",
        ),
        pytest.param(
            f"""
            apiVersion: genesys-compliance/v1
            kind: RoutingRule
            metadata: {{name: r, queueId: {QUEUE}}}
            spec:
              name: R
              priority: "10"            # line 6
              expression: {{type: condition, field: skill, operator: exists}}
            """,
            [(6, "spec.priority: Input should be a valid integer (got str)")],
            id="string-priority",
        ),
    ],
)
def test_specs_that_do_not_fit_their_kind_fail(check_yaml, text, expected):
    findings = check_yaml(text)
    assert [(f.rule_id, f.line, f.message) for f in findings] == [
        ("config/schema", line, message) for line, message in expected
    ]


def test_every_schema_problem_is_reported_with_its_path(check_yaml):
    findings = check_yaml("""
        apiVersion: genesys-compliance/v1
        kind: TriggerRule
        metadata: {name: card}
        spec:
          name: Card
          ruleType: conversation
          enabled: "yes"            # line 7
          conditions:
            - {type: keyword, field: text, operator: contains, value: card, negate: true}
          actions:
            - {type: call, priority: 1, channel: voice}
        """)
    assert [(f.rule_id, f.line, f.message) for f in findings] == [
        ("config/schema", 7, "spec.enabled: Input should be a valid boolean (got str)"),
        ("config/schema", 9, "spec.conditions[0].negate: unknown field"),
        ("config/schema", 11, "spec.actions[0].channel: unknown field"),
    ]


def test_expression_nodes_are_checked_for_shape(check_yaml):
    findings = check_yaml(f"""
        apiVersion: genesys-compliance/v1
        kind: RoutingRule
        metadata: {{name: r, queueId: {QUEUE}}}
        spec:
          name: R
          expression:
            type: and
            children:
              - {{type: condition, field: skill, operator: exists, negate: true}}   # line 9
              - {{type: 5}}                                                         # line 10
              - just-a-string                                                     # line 11
              - type: or
                children: {{type: condition}}                                       # line 13
        """)
    assert [(f.rule_id, f.line, f.message) for f in findings] == [
        ("config/schema", 9, "unknown field(s) in expression node: negate"),
        ("config/schema", 10, "type must be a string, not int"),
        ("config/schema", 11, "expression node must be a mapping, not str"),
        ("config/schema", 13, "children must be a list"),
    ]


# -- config/secret ------------------------------------------------------------------------------


def layout_with_configuration(key: str, value: str) -> str:
    """A compliant layout whose widget configuration holds ``key: value`` on line 12."""
    return f"""
        apiVersion: genesys-compliance/v1
        kind: DesktopLayout
        metadata: {{name: agent}}
        spec:
          name: Agent
          grid: {{columns: 24, rows: 16}}
          widgets:
            - widget_type: custom-widget
              id: crm
              position: {{x: 0, y: 0, width: 4, height: 4}}
              configuration:
                {key}: {value}
                url: https://crm.example.com
        """


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "PASSWORD",
        "passwd",
        "clientSecret",
        "client_secret",
        "apiKey",
        "api-key",
        "API_KEY",
        "token",
        "webhookToken",
        "accessToken",
        "privateKey",
        "passphrase",
        "credentials",
    ],
)
def test_a_literal_under_a_secret_key_fails_without_repeating_it(check_yaml, key):
    findings = check_yaml(layout_with_configuration(key, "s3cr3t-Value-42"))
    assert ids_lines(findings) == [("config/secret", 12)]
    [finding] = findings
    assert finding.message == (
        f"{key!r} holds a literal credential; reference it from the environment instead"
    )
    assert "s3cr3t" not in finding.message
    assert "s3cr3t" not in finding.render()


@pytest.mark.parametrize(
    "value",
    [
        '"${CRM_API_TOKEN}"',
        "'${crm.token}'",
        "$CRM_API_TOKEN",
        "env:CRM_API_TOKEN",
        "vault:secret/data/crm#token",
        '""',
        '"   "',
        "null",
    ],
)
def test_references_and_empty_values_pass(check_yaml, value):
    assert check_yaml(layout_with_configuration("apiToken", value)) == []


@pytest.mark.parametrize(
    ("key", "value", "kind"),
    [
        pytest.param(
            "authorization",
            '"Bearer abcdefghijklmnopqrstuvwxyz012345"',
            "bearer token",
            id="bearer",
        ),
        pytest.param(
            "header",
            '"Authorization: bearer 0123456789abcdef0123"',
            "bearer token",
            id="bearer-in-text",
        ),
        pytest.param(
            "session",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
            "JWT",
            id="jwt",
        ),
    ],
)
def test_token_shaped_values_fail_under_any_key(check_yaml, key, value, kind):
    findings = check_yaml(layout_with_configuration(key, value))
    assert ids_lines(findings) == [("config/secret", 12)]
    assert kind in findings[0].message
    token = value.strip('"').split()[-1]
    assert token not in findings[0].message
    assert token[:12] not in findings[0].render()


@pytest.mark.parametrize(
    "value",
    ['"Bearer short"', "tokenised-search", '"eyJ is how JWTs start"', "42"],
)
def test_ordinary_values_are_not_secrets(check_yaml, value):
    assert check_yaml(layout_with_configuration("note", value)) == []


def test_secrets_are_found_anywhere_in_the_document(check_yaml):
    findings = check_yaml(f"""
        apiVersion: genesys-compliance/v1
        kind: FlowSettings
        metadata:
          name: primary
          labels: {{deployToken: abc123}}                 # line 5
        spec:
          orgId: {ORG}
          flowId: {FLOW}
          settings:
            routing: {{type: longestAvailable}}
            configurationMatrix:
              parameter_01:
                key: webhook_auth
                value: "Bearer abcdefghijklmnopqrstuvwxyz"  # line 14
        """)
    assert ids_lines(findings) == [("config/secret", 5), ("config/secret", 14)]
    assert all("abc" not in f.message for f in findings)


def test_secrets_are_found_in_a_document_of_unknown_kind(check_yaml):
    findings = check_yaml("""
        apiVersion: genesys-compliance/v1
        kind: Webhook
        metadata: {name: crm}
        spec:
          clientSecret: hunter2-hunter2   # line 5
        """)
    assert ids_lines(findings) == [("config/envelope", 2), ("config/secret", 5)]
    assert "hunter2" not in findings[1].message


# -- config/waiver ------------------------------------------------------------------------------

OVERLAP_LINE = 8
FIRST_WAIVER_LINE = 12
REASON = "Wall board, reviewed by CX ops"


def overlapping_layout(*waivers: str) -> str:
    """Two overlapping widgets (layout/overlap on line 8); waiver ``i`` on line ``12 + i``."""
    lines = [
        "apiVersion: genesys-compliance/v1",
        "kind: DesktopLayout",
        "spec:",
        "  name: Wall board",
        "  grid: {columns: 24, rows: 16}",
        "  widgets:",
        "    - {widget_type: queue-widget, id: a, position: {x: 0, y: 0, width: 2, height: 2}}",
        "    - {widget_type: queue-widget, id: b, position: {x: 1, y: 1, width: 2, height: 2}}",
        "metadata:",
        "  name: wall-board",
        "  waivers:" if waivers else "  waivers: []",  # line 11
    ]
    lines += [f"    - {w}" for w in waivers]  # line 12 onwards
    return "\n".join(lines) + "\n"


def waiver(
    rule: str = "layout/overlap", reason: str | None = REASON, expires: object = "2027-03-31"
) -> str:
    fields = [f"rule: {rule}"]
    if reason is not None:
        fields.append(f'reason: "{reason}"')
    if expires is not None:
        fields.append(f"expires: {expires}")
    return "{" + ", ".join(fields) + "}"


def test_without_a_waiver_the_overlap_fails(check_yaml):
    [finding] = check_yaml(overlapping_layout())
    assert (finding.rule_id, finding.line, finding.waived) == ("layout/overlap", OVERLAP_LINE, None)
    assert finding.fails()


@pytest.mark.parametrize(
    "expires",
    [
        pytest.param("2027-03-31", id="next-year"),
        pytest.param(TODAY.isoformat(), id="today"),
        pytest.param(f'"{TODAY.isoformat()}"', id="quoted"),
    ],
)
def test_a_valid_waiver_marks_the_finding_waived_and_it_no_longer_fails(check_yaml, expires):
    findings = check_yaml(overlapping_layout(waiver(expires=expires)))
    assert ids_lines(findings) == [("layout/overlap", OVERLAP_LINE)]  # still reported
    [finding] = findings
    assert finding.waived == REASON
    assert not finding.fails()
    assert not finding.fails(strict=True)
    assert finding.render().endswith(f"(waived: {REASON})")


def test_a_waiver_only_covers_its_own_rule(check_yaml):
    text = overlapping_layout(waiver()).replace("id: b", "id: a")
    findings = check_yaml(text)
    assert [(f.rule_id, f.line, f.waived is not None) for f in findings] == [
        ("layout/overlap", OVERLAP_LINE, True),
        ("layout/widget-id", OVERLAP_LINE, False),
    ]


def test_a_warning_can_be_waived(check_yaml):
    lines = [
        "apiVersion: genesys-compliance/v1",
        "kind: DesktopLayout",
        "metadata:",
        "  name: wall-board",
        "  waivers:",
        f'    - {{rule: layout/load-impact, reason: "{REASON}", expires: 2027-03-31}}',
        f'    - {{rule: layout/widget-limit, reason: "{REASON}", expires: 2027-03-31}}',
        "spec:",
        "  name: Wall board",
        "  grid: {columns: 24, rows: 16}",
        "  widgets:",
    ]
    lines += [
        f"    - {{widget_type: queue-widget, id: w{i}, "
        f"position: {{x: {i}, y: 0, width: 1, height: 1}}}}"
        for i in range(13)
    ]
    findings = check_yaml("\n".join(lines))
    assert [(f.rule_id, f.line, f.severity, f.waived) for f in findings] == [
        ("layout/load-impact", 11, "warning", REASON),
        ("layout/widget-limit", 24, "error", REASON),
    ]
    assert not any(f.fails(strict=True) for f in findings)


@pytest.mark.parametrize(
    ("item", "message"),
    [
        pytest.param(
            waiver(expires=(TODAY - timedelta(days=1)).isoformat()),
            "waiver of layout/overlap expired on 2026-11-22",
            id="expired-yesterday",
        ),
        pytest.param(
            waiver(expires="2020-01-01"),
            "waiver of layout/overlap expired on 2020-01-01",
            id="expired-long-ago",
        ),
        pytest.param(waiver(reason=None), "waiver of layout/overlap has no reason", id="no-reason"),
        pytest.param(
            waiver(reason=""), "waiver of layout/overlap has no reason", id="empty-reason"
        ),
        pytest.param(
            waiver(reason="   "), "waiver of layout/overlap has no reason", id="blank-reason"
        ),
        pytest.param(
            waiver(rule="layout/overlaps"),
            "waiver names unknown rule 'layout/overlaps'; did you mean 'layout/overlap'?",
            id="unknown-rule",
        ),
        pytest.param(
            waiver(rule="overlap"),
            "waiver names unknown rule 'overlap'; did you mean 'layout/overlap'?",
            id="rule-without-family",
        ),
        pytest.param(
            '{reason: "x", expires: 2027-03-31}', "waiver names unknown rule 'None'", id="no-rule"
        ),
        pytest.param(
            waiver(expires=None),
            "waiver of layout/overlap needs an expiry date as YYYY-MM-DD",
            id="no-expiry",
        ),
        pytest.param(
            waiver(expires="next spring"),
            "waiver of layout/overlap needs an expiry date as YYYY-MM-DD, not 'next spring'",
            id="expiry-not-a-date",
        ),
        pytest.param(
            waiver(expires="20270331"),
            "waiver of layout/overlap needs an expiry date as YYYY-MM-DD, not 20270331",
            id="expiry-number",
        ),
        pytest.param(
            waiver(expires="2027-02-30"),
            "waiver of layout/overlap: expires '2027-02-30' is not a date "
            "(February 2027 has 28 days)",
            id="expiry-impossible-date",
        ),
        pytest.param(
            '{rule: layout/overlap, reason: "x", expires: 2027-03-31, by: me}',
            "unknown waiver field(s): by",
            id="unknown-field",
        ),
        pytest.param(
            "layout/overlap",
            "a waiver must be a mapping of rule, reason, expires",
            id="not-a-mapping",
        ),
        pytest.param(
            waiver(rule="config/waiver"), "config/waiver cannot be waived", id="waiving-waivers"
        ),
        pytest.param(
            waiver(rule="config/envelope"),
            "config/envelope cannot be waived",
            id="waiving-the-envelope",
        ),
    ],
)
def test_a_broken_waiver_is_a_finding_and_waives_nothing(check_yaml, item, message):
    findings = check_yaml(overlapping_layout(item))
    assert ids_lines(findings) == [
        ("layout/overlap", OVERLAP_LINE),
        ("config/waiver", FIRST_WAIVER_LINE),
    ]
    assert findings[0].waived is None
    assert findings[0].fails()
    assert findings[1].message == message
    assert findings[1].fails()


def test_each_broken_waiver_is_reported_on_its_own_line(check_yaml):
    text = overlapping_layout(
        waiver(rule="layout/load-impact"),
        waiver(expires="2026-01-01"),
        waiver(rule="layout/nope"),
        waiver(),
    )
    findings = check_yaml(text)
    assert [(f.rule_id, f.line, f.waived) for f in findings] == [
        ("layout/overlap", OVERLAP_LINE, REASON),  # the last waiver is valid
        ("config/waiver", FIRST_WAIVER_LINE + 1, None),
        ("config/waiver", FIRST_WAIVER_LINE + 2, None),
    ]


def test_waivers_must_be_a_list(check_yaml):
    text = overlapping_layout().replace("waivers: []", f"waivers: {waiver()}")
    findings = check_yaml(text)
    assert ids_lines(findings) == [
        ("layout/overlap", OVERLAP_LINE),
        ("config/waiver", FIRST_WAIVER_LINE - 1),
    ]
    assert findings[1].message == "waivers must be a list of {rule, reason, expires}"


def test_a_waiver_finding_points_at_the_first_line_of_the_waiver(check_yaml):
    findings = check_yaml(f"""
        apiVersion: genesys-compliance/v1
        kind: DesktopLayout
        metadata:
          name: agent
          waivers:
            - rule: layout/load-impact    # line 6
              reason: ""
              expires: 2027-03-31
        {LAYOUT_SPEC}
        """)
    assert ids_lines(findings) == [("config/waiver", 6)]


def block_waiver_layout(rule: str, expires: str) -> str:
    """A compliant layout whose one waiver is written in block style: rule on line 6."""
    return f"""
        apiVersion: genesys-compliance/v1
        kind: DesktopLayout
        metadata:
          name: agent
          waivers:
            - rule: "{rule}"
              reason: Reviewed by CX ops
              expires: {expires}
        {LAYOUT_SPEC}
        """


@pytest.mark.parametrize(
    ("expires", "why"),
    [
        pytest.param("2027-13-45", "month 13 does not exist", id="month-13"),
        pytest.param('"2027-13-45"', "month 13 does not exist", id="month-13-quoted"),
        pytest.param("2027-00-10", "month 0 does not exist", id="month-0"),
        pytest.param("2027-04-31", "April 2027 has 30 days", id="day-31-in-april"),
        pytest.param("2027-02-29", "February 2027 has 28 days", id="not-a-leap-year"),
        pytest.param("2027-01-00", "day 0 does not exist", id="day-0"),
        pytest.param("0000-01-01", "year 0 does not exist", id="year-0"),
    ],
)
def test_an_expiry_shaped_like_a_date_that_does_not_exist_says_why(check_yaml, expires, why):
    findings = check_yaml(block_waiver_layout("layout/load-impact", expires))
    assert [(f.rule_id, f.line, f.message) for f in findings] == [
        (
            "config/waiver",
            8,  # the expires field
            f"waiver of layout/load-impact: expires {expires.strip(chr(34))!r} is not a date "
            f"({why})",
        )
    ]


def test_a_leap_day_in_a_leap_year_is_a_valid_expiry(check_yaml):
    assert check_yaml(block_waiver_layout("layout/load-impact", "2028-02-29")) == []


@pytest.mark.parametrize(
    "expires",
    [
        pytest.param('"20270331"', id="basic-format"),  # date.fromisoformat takes these
        pytest.param('"2027-W13-3"', id="week-date"),
        pytest.param('"2027-3-31"', id="one-digit-month"),
        pytest.param('"\u0662\u0660\u0662\u0667-03-31"', id="arabic-indic-digits"),
    ],
)
def test_only_yyyy_mm_dd_is_an_expiry_date(check_yaml, expires):
    findings = check_yaml(block_waiver_layout("layout/load-impact", expires))
    assert [(f.rule_id, f.line, f.message) for f in findings] == [
        (
            "config/waiver",
            8,
            "waiver of layout/load-impact needs an expiry date as YYYY-MM-DD, "
            f"not {expires.strip(chr(34))!r}",
        )
    ]


@pytest.mark.parametrize(
    ("rule", "hint"),
    [
        pytest.param(
            "tr\u0456gger/operator",
            ": it contains U+0456 CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I at position 3; "
            "did you mean 'trigger/operator'?",
            id="cyrillic-i",
        ),
        pytest.param(
            "l\u0430y\u043eut/\u043everlap",
            ": it contains U+0430 CYRILLIC SMALL LETTER A at position 2 "
            "(and 2 more non-ASCII characters); did you mean 'layout/overlap'?",
            id="several-cyrillic",
        ),
        pytest.param(
            "layout\u2215overlap",
            ": it contains U+2215 DIVISION SLASH at position 7; did you mean 'layout/overlap'?",
            id="division-slash",
        ),
        pytest.param(
            "layout/load\u2011impact",
            ": it contains U+2011 NON-BREAKING HYPHEN at position 12; "
            "did you mean 'layout/load-impact'?",
            id="non-breaking-hyphen",
        ),
        pytest.param(
            "layout/grid\uff0dbounds",
            ": it contains U+FF0D FULLWIDTH HYPHEN-MINUS at position 12; "
            "did you mean 'layout/grid-bounds'?",
            id="fullwidth-hyphen",
        ),
        pytest.param(
            "fl\u00f6w/scope",
            ": it contains U+00F6 LATIN SMALL LETTER O WITH DIAERESIS at position 3; "
            "did you mean 'flow/scope'?",
            id="accent",
        ),
        pytest.param(
            "\u0436\u0436\u0436",
            ": it contains U+0436 CYRILLIC SMALL LETTER ZHE at position 1 "
            "(and 2 more non-ASCII characters)",
            id="nothing-alike",
        ),
        pytest.param("Trigger/Operator", "; did you mean 'trigger/operator'?", id="capitals"),
        pytest.param("trigger/operators", "; did you mean 'trigger/operator'?", id="typo"),
        pytest.param("routing-rule/depht", "; did you mean 'routing-rule/depth'?", id="swap"),
        pytest.param("acme/house-style", "", id="nothing-close"),
    ],
)
def test_an_unknown_rule_id_names_a_look_alike_character_and_the_id_it_resembles(
    check_yaml, rule, hint
):
    findings = check_yaml(block_waiver_layout(rule, "2027-03-31"))
    assert [(f.rule_id, f.line, f.message) for f in findings] == [
        ("config/waiver", 6, f"waiver names unknown rule {rule!r}{hint}")
    ]


def test_an_invisible_character_in_a_rule_id_is_shown_escaped(check_yaml):
    findings = check_yaml(block_waiver_layout("layout/load-\u200bimpact", "2027-03-31"))
    assert [(f.rule_id, f.line, f.message) for f in findings] == [
        (
            "config/waiver",
            6,
            "waiver names unknown rule 'layout/load-\\u200bimpact': it contains "
            "U+200B ZERO WIDTH SPACE at position 13; did you mean 'layout/load-impact'?",
        )
    ]


# -- config/duplicate-target --------------------------------------------------------------------


def layout_doc(name: str, layout_id: str | None) -> str:
    target = f"\n  layoutId: {layout_id}" if layout_id else ""
    return (
        f"apiVersion: genesys-compliance/v1\nkind: DesktopLayout\nmetadata:\n"
        f"  name: {name}{target}\n{LAYOUT_SPEC}\n"
    )


def test_two_layouts_with_the_same_layout_id_fail_at_the_second(check_files):
    findings = check_files(
        {"a.yaml": layout_doc("agent-a", "lay-1"), "b.yaml": layout_doc("agent-b", "lay-1")}
    )
    assert [(f.file, f.rule_id, f.line) for f in findings] == [
        ("configs/b.yaml", "config/duplicate-target", 5)
    ]
    assert findings[0].message == (
        "DesktopLayout 'lay-1' is already targeted by a.yaml::agent-a (configs/a.yaml:5)"
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param("lay-1", "lay-2", id="different-ids"),
        pytest.param(None, None, id="both-create"),
        pytest.param("lay-1", None, id="one-creates"),
    ],
)
def test_layouts_with_different_targets_pass(check_files, first, second):
    assert (
        check_files(
            {"a.yaml": layout_doc("agent-a", first), "b.yaml": layout_doc("agent-b", second)}
        )
        == []
    )


def test_a_duplicate_target_within_one_file(check_yaml):
    findings = check_yaml(layout_doc("agent-a", "lay-1") + "---\n" + layout_doc("agent-b", "lay-1"))
    assert ids_lines(findings) == [("config/duplicate-target", 12)]  # 6 lines, ---, 5 lines


def flow_doc(name: str, flow_id: str) -> str:
    return f"""
        apiVersion: genesys-compliance/v1
        kind: FlowSettings
        metadata: {{name: {name}}}
        spec:
          orgId: {ORG}
          flowId: {flow_id}      # line 6
          settings: {{routing: {{type: longestAvailable}}}}
        """


def test_two_flow_settings_for_the_same_flow_fail(check_files):
    findings = check_files(
        {"primary.yaml": flow_doc("primary", FLOW), "copy.yaml": flow_doc("copy", FLOW)}
    )
    # Files are read in name order: copy.yaml comes first, so primary.yaml is the duplicate.
    assert [(f.file, f.rule_id, f.line) for f in findings] == [
        ("configs/primary.yaml", "config/duplicate-target", 6)
    ]
    assert "copy.yaml::copy" in findings[0].message


def test_flow_settings_for_different_flows_pass(check_files):
    other = "b7e2c9d1-4f3a-4c8e-9d2b-6a1f0e3c5d72"
    assert check_files({"a.yaml": flow_doc("a", FLOW), "b.yaml": flow_doc("b", other)}) == []


def trigger_doc(name: str, identity: str) -> str:
    return f"""
        apiVersion: genesys-compliance/v1
        kind: TriggerRule
        metadata:
          name: {name}
          {identity}                # line 5
        spec:
          name: Card
          ruleType: conversation
          conditions: [{{type: keyword, field: text, operator: contains, value: card}}]
          actions: [{{type: call}}]
        """


def test_trigger_rules_are_identified_by_rule_id_or_spec_id(check_files):
    rule_id = "a1b2c3d4-e5f6-7890-abcd-ef1234567891"
    by_metadata = trigger_doc("a", f"ruleId: {rule_id}")
    by_spec = trigger_doc("b", "labels: {}").replace("spec:\n", f"spec:\n          id: {rule_id}\n")
    findings = check_files({"a.yaml": by_metadata, "b.yaml": by_spec})
    assert [(f.file, f.rule_id, f.line) for f in findings] == [
        ("configs/b.yaml", "config/duplicate-target", 7)
    ]


def test_the_same_identity_in_different_kinds_is_no_duplicate(check_files):
    text = trigger_doc("a", "ruleId: shared-1")
    assert check_files({"a.yaml": layout_doc("agent", "shared-1"), "b.yaml": text}) == []


# -- strategy/duplicate-media -------------------------------------------------------------------


def strategy_doc(name: str, queue: str, media: str) -> str:
    return f"""
        apiVersion: genesys-compliance/v1
        kind: RoutingStrategy
        metadata:
          name: {name}
          queueId: {queue}
        spec:
          strategy: longestIdleAgent
          mediaType: {media}         # line 8
        """


def test_two_strategies_for_one_queue_and_media_type_fail(check_files):
    findings = check_files(
        {
            "a.yaml": strategy_doc("support-voice", QUEUE, "voice"),
            "b.yaml": strategy_doc("support-voice-2", QUEUE, "voice"),
        }
    )
    assert [(f.file, f.rule_id, f.line) for f in findings] == [
        ("configs/b.yaml", "strategy/duplicate-media", 8)
    ]
    assert findings[0].message == (
        f"RoutingStrategy '{QUEUE}/voice' is already targeted by "
        "a.yaml::support-voice (configs/a.yaml:8)"
    )


@pytest.mark.parametrize(
    ("second_queue", "second_media"),
    [
        pytest.param(QUEUE, "chat", id="same-queue-other-media"),
        pytest.param(QUEUE, "callback", id="same-queue-callback"),
        pytest.param(OTHER_QUEUE, "voice", id="other-queue-same-media"),
    ],
)
def test_strategies_for_other_queues_or_media_pass(check_files, second_queue, second_media):
    assert (
        check_files(
            {
                "a.yaml": strategy_doc("first", QUEUE, "voice"),
                "b.yaml": strategy_doc("second", second_queue, second_media),
            }
        )
        == []
    )


def test_duplicate_media_within_one_file(check_yaml):
    text = "---\n".join(
        textwrap.dedent(strategy_doc(name, QUEUE, "voice")).lstrip()
        for name in ("voice-a", "voice-b")
    )
    assert ids_lines(check_yaml(text)) == [("strategy/duplicate-media", 8 + 9)]


# -- routing-rule/duplicate-name ----------------------------------------------------------------


def routing_rule_doc(name: str, queue: str, rule_name: str) -> str:
    return f"""
        apiVersion: genesys-compliance/v1
        kind: RoutingRule
        metadata:
          name: {name}
          queueId: {queue}
        spec:
          name: {rule_name}          # line 7
          expression: {{type: condition, field: skill, operator: exists}}
        """


def test_two_routing_rules_with_one_name_in_one_queue_fail(check_files):
    findings = check_files(
        {
            "escalation.yaml": routing_rule_doc("escalation", QUEUE, "Escalation"),
            "vip.yaml": routing_rule_doc("vip", QUEUE, "Escalation"),
        }
    )
    assert [(f.file, f.rule_id, f.line) for f in findings] == [
        ("configs/vip.yaml", "routing-rule/duplicate-name", 7)
    ]
    assert "escalation.yaml::escalation (configs/escalation.yaml:7)" in findings[0].message


@pytest.mark.parametrize(
    ("second_queue", "second_name"),
    [
        pytest.param(OTHER_QUEUE, "Escalation", id="same-name-other-queue"),
        pytest.param(QUEUE, "VIP Escalation", id="other-name-same-queue"),
    ],
)
def test_routing_rules_with_other_names_or_queues_pass(check_files, second_queue, second_name):
    assert (
        check_files(
            {
                "escalation.yaml": routing_rule_doc("escalation", QUEUE, "Escalation"),
                "vip.yaml": routing_rule_doc("vip", second_queue, second_name),
            }
        )
        == []
    )


def test_each_further_duplicate_is_reported_against_the_first(check_files):
    findings = check_files(
        {f"{n}.yaml": routing_rule_doc(f"rule-{n}", QUEUE, "Escalation") for n in "abc"}
    )
    assert [(f.file, f.rule_id, f.line) for f in findings] == [
        ("configs/b.yaml", "routing-rule/duplicate-name", 7),
        ("configs/c.yaml", "routing-rule/duplicate-name", 7),
    ]
    assert all("a.yaml::rule-a" in f.message for f in findings)


@pytest.mark.parametrize("value", ["12345678", "3.14159"])
def test_a_numeric_literal_under_a_secret_key_fails(check_yaml, value):
    findings = check_yaml(layout_with_configuration("password", value))
    assert ids_lines(findings) == [("config/secret", 12)]
    assert value not in findings[0].message


@pytest.mark.parametrize(
    "key", ["maxTokens", "passwordMinLength", "secretName", "tokenTtlSeconds", "keyboard"]
)
def test_settings_about_credentials_are_not_credentials(check_yaml, key):
    assert check_yaml(layout_with_configuration(key, "500")) == []
    assert check_yaml(layout_with_configuration(key, "plain-text")) == []


def test_a_credential_named_by_a_matrix_key_fails_at_its_value(check_yaml):
    findings = check_yaml("""
        apiVersion: genesys-compliance/v1
        kind: FlowSettings
        metadata: {name: flow}
        spec:
          orgId: 5f1c2b7e-9a3d-4e8f-b6c1-2d7a9e4f3b10
          flowId: a1b2c3d4-e5f6-7890-abcd-ef1234567890
          settings:
            routing: {type: longestAvailable}
            configurationMatrix:
              parameter_01: {key: queue_affinity, value: true}
              parameter_02:
                key: webhook_secret
                value: s3cr3t
        """)
    assert ids_lines(findings) == [("config/secret", 13)]
    assert "s3cr3t" not in findings[0].render()
