"""RoutingStrategy rules: enums, overflow rules, skills and the Erlang C peak-load warning.

Most cases use :func:`strategy`; the ``*_LINE`` constants say where each judged field is.
Overflow rule ``i`` (one flow mapping per line) is on line ``15 + i``. The cross-file rule
``strategy/duplicate-media`` is tested in test_config_rules.py with the other duplicates.
"""

import pytest

from genesys_compliance import mean_queue_length
from tests.helpers import ids_lines

QUEUE = "6c2d9e4f-1a3b-4c5d-8e7f-0a1b2c3d4e5f"
PEAK_LINE, STRATEGY_LINE, MEDIA_LINE = 6, 8, 9
SKILLS_LINE, REQUIRED_LINE, PREFERRED_LINE = 10, 11, 12
QUEUE_DEPTH_15 = "{condition: queueDepth, threshold: 15, action: routeToNextQueue}"
WAIT_TIME_120 = "{condition: waitTime, threshold: 120, action: addSkillToInteraction}"
# 120 calls an hour of 300 s each: an offered load of exactly 10 Erlangs.
TEN_ERLANGS = "arrivalsPerHour: 120, avgHandleSeconds: 300"


def line_of_rule(index: int) -> int:
    return 15 + index


def strategy(
    *rules: str,
    kind: str = "mostSkilled",
    media: str = "voice",
    required: str = "[billing]",
    preferred: str = "[escalation_capable]",
    peak: str | None = None,
) -> str:
    lines = [
        "apiVersion: genesys-compliance/v1",
        "kind: RoutingStrategy",
        "metadata:",
        "  name: billing-voice",
        f"  queueId: {QUEUE}",
        f"  peak: {{{peak}}}" if peak else "  requiredAgents: 15",  # line 6
        "spec:",
        f"  strategy: {kind}",  # line 8
        f"  mediaType: {media}",  # line 9
        "  skills:",  # line 10
        f"    required: {required}",  # line 11
        f"    preferred: {preferred}",  # line 12
        "  overflow:",
        "    rules:" if rules else "    rules: []",
    ]
    lines += [f"      - {r}" for r in rules]  # line 15 onwards
    return "\n".join(lines) + "\n"


def test_helper_places_lines_as_documented():
    lines = strategy(QUEUE_DEPTH_15, WAIT_TIME_120, peak="agents: 1").splitlines()
    assert lines[PEAK_LINE - 1].strip().startswith("peak:")
    assert lines[STRATEGY_LINE - 1].strip() == "strategy: mostSkilled"
    assert lines[MEDIA_LINE - 1].strip() == "mediaType: voice"
    assert lines[SKILLS_LINE - 1].strip() == "skills:"
    assert lines[REQUIRED_LINE - 1].strip().startswith("required:")
    assert lines[PREFERRED_LINE - 1].strip().startswith("preferred:")
    assert "waitTime" in lines[line_of_rule(1) - 1]


def test_a_complete_strategy_is_compliant(check_yaml):
    findings = check_yaml(f"""
        # Voice mostSkilled strategy with two overflow rules, and one for chat.
        apiVersion: genesys-compliance/v1
        kind: RoutingStrategy
        metadata:
          name: technical-support-voice
          queueId: {QUEUE}
          requiredAgents: 20
          peak: {{arrivalsPerHour: 45, avgHandleSeconds: 240, agents: 6,
                 serviceLevelSeconds: 20, serviceLevelTarget: 0.8}}
        spec:
          strategy: mostSkilled
          mediaType: voice
          overflow:
            rules:
              - {{condition: queueDepth, threshold: 15, action: routeToNextQueue}}
              - {{condition: waitTime, threshold: 120, action: addSkillToInteraction}}
          skills:
            required: [support_tier1, billing]
            preferred: [escalation_capable]
        ---
        apiVersion: genesys-compliance/v1
        kind: RoutingStrategy
        metadata:
          name: technical-support-chat
          queueId: {QUEUE}
        spec:
          strategy: longestIdleAgent
          mediaType: chat
        """)
    assert findings == []


def test_the_helper_document_is_compliant(check_yaml):
    assert check_yaml(strategy(QUEUE_DEPTH_15, WAIT_TIME_120)) == []


# -- strategy/enum ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["longestIdleAgent", "mostSkilled", "random", "custom"])
@pytest.mark.parametrize("media", ["voice", "chat", "callback"])
def test_known_strategies_and_media_types_pass(check_yaml, kind, media):
    assert check_yaml(strategy(kind=kind, media=media)) == []


@pytest.mark.parametrize("kind", ["roundRobin", "MostSkilled", "longest_idle_agent", '""'])
def test_an_unknown_strategy_fails(check_yaml, kind):
    findings = check_yaml(strategy(kind=kind))
    assert ids_lines(findings) == [("strategy/enum", STRATEGY_LINE)]
    assert "is not one of custom, longestIdleAgent, mostSkilled, random" in findings[0].message


@pytest.mark.parametrize("media", ["email", "Voice", "sms", '""'])
def test_an_unknown_media_type_fails(check_yaml, media):
    findings = check_yaml(strategy(media=media))
    assert ids_lines(findings) == [("strategy/enum", MEDIA_LINE)]
    assert "is not one of callback, chat, voice" in findings[0].message


# -- strategy/overflow --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule",
    [
        "{condition: queueDepth, threshold: 1, action: routeToNextQueue}",
        "{condition: waitTime, threshold: 3600, action: addSkillToInteraction}",
        "{condition: queueDepth, threshold: 100000, action: addSkillToInteraction}",
    ],
)
def test_well_formed_overflow_rules_pass(check_yaml, rule):
    assert check_yaml(strategy(rule)) == []


@pytest.mark.parametrize(
    "rule",
    [
        pytest.param(
            "{condition: queueLength, threshold: 15, action: routeToNextQueue}",
            id="unknown-condition",
        ),
        pytest.param(
            "{condition: QueueDepth, threshold: 15, action: routeToNextQueue}", id="condition-case"
        ),
        pytest.param(
            "{condition: queueDepth, threshold: 0, action: routeToNextQueue}", id="zero-threshold"
        ),
        pytest.param(
            "{condition: queueDepth, threshold: -5, action: routeToNextQueue}",
            id="negative-threshold",
        ),
        pytest.param(
            "{condition: queueDepth, threshold: 1.5, action: routeToNextQueue}",
            id="float-threshold",
        ),
        pytest.param(
            '{condition: queueDepth, threshold: "15", action: routeToNextQueue}',
            id="string-threshold",
        ),
        pytest.param(
            "{condition: queueDepth, threshold: true, action: routeToNextQueue}",
            id="boolean-threshold",
        ),
        pytest.param("{condition: queueDepth, action: routeToNextQueue}", id="no-threshold"),
        pytest.param(
            "{condition: queueDepth, threshold: 15, action: voicemail}", id="unknown-action"
        ),
    ],
)
def test_malformed_overflow_rules_fail_at_the_rule(check_yaml, rule):
    text = strategy(QUEUE_DEPTH_15, rule, WAIT_TIME_120)
    assert ids_lines(check_yaml(text)) == [("strategy/overflow", line_of_rule(1))]


def test_every_problem_of_one_overflow_rule_is_reported(check_yaml):
    text = strategy("{condition: depth, threshold: 0, action: drop}")
    findings = check_yaml(text)
    assert ids_lines(findings) == [("strategy/overflow", line_of_rule(0))] * 3
    assert sorted(f.message for f in findings) == [
        "overflow rule 0: action 'drop' is not routeToNextQueue or addSkillToInteraction",
        "overflow rule 0: condition 'depth' is not queueDepth or waitTime",
        "overflow rule 0: threshold must be a positive integer, not 0",
    ]


def test_overflow_findings_point_at_the_first_line_of_the_rule(check_yaml):
    findings = check_yaml(f"""
        apiVersion: genesys-compliance/v1
        kind: RoutingStrategy
        metadata: {{name: billing-voice, queueId: {QUEUE}}}
        spec:
          strategy: longestIdleAgent
          mediaType: voice
          overflow:
            rules:
              - condition: queueDepth   # line 9
                threshold: 15
                action: routeToNextQueue
              - condition: waitTime     # line 12
                action: routeToNextQueue
                threshold: "120"
        """)
    assert ids_lines(findings) == [("strategy/overflow", 12)]
    assert findings[0].message == "overflow rule 1: threshold must be a positive integer, not str"


# -- strategy/skills ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "required", "preferred"),
    [
        ("mostSkilled", "[billing]", "[]"),
        ("mostSkilled", "[billing, support_tier1]", "[escalation_capable, spanish]"),
        ("longestIdleAgent", "[]", "[]"),
        ("random", "[]", "[billing]"),
    ],
)
def test_sound_skills_pass(check_yaml, kind, required, preferred):
    assert check_yaml(strategy(kind=kind, required=required, preferred=preferred)) == []


@pytest.mark.parametrize(
    ("kind", "required", "preferred", "line"),
    [
        pytest.param("mostSkilled", "[]", "[billing]", SKILLS_LINE, id="mostSkilled-no-required"),
        pytest.param(
            "longestIdleAgent", "[billing, billing]", "[]", REQUIRED_LINE, id="repeated-required"
        ),
        pytest.param("random", "[]", "[spanish, spanish]", PREFERRED_LINE, id="repeated-preferred"),
        pytest.param(
            "mostSkilled", "[billing]", "[billing]", PREFERRED_LINE, id="required-and-preferred"
        ),
    ],
)
def test_unsound_skills_fail(check_yaml, kind, required, preferred, line):
    text = strategy(kind=kind, required=required, preferred=preferred)
    assert ids_lines(check_yaml(text)) == [("strategy/skills", line)]


def test_most_skilled_without_a_skills_block_fails_at_the_strategy(check_yaml):
    findings = check_yaml(f"""
        apiVersion: genesys-compliance/v1
        kind: RoutingStrategy
        metadata: {{name: billing-voice, queueId: {QUEUE}}}
        spec:
          mediaType: voice
          strategy: mostSkilled  # line 6
        """)
    assert ids_lines(findings) == [("strategy/skills", 6)]
    assert findings[0].message == "mostSkilled routing needs at least one required skill"


def test_skills_findings_point_at_the_repeated_skill(check_yaml):
    findings = check_yaml(f"""
        apiVersion: genesys-compliance/v1
        kind: RoutingStrategy
        metadata: {{name: billing-voice, queueId: {QUEUE}}}
        spec:
          strategy: mostSkilled
          mediaType: voice
          skills:
            required:
              - billing
              - support_tier1
              - billing        # line 11: repeated
            preferred:
              - spanish
              - support_tier1  # line 14: also required
        """)
    assert ids_lines(findings) == [("strategy/skills", 11), ("strategy/skills", 14)]
    assert [f.message for f in findings] == [
        "skill 'billing' is repeated in skills.required",
        "skill 'support_tier1' is both required and preferred",
    ]


# -- strategy/peak-load -------------------------------------------------------------------------


def test_no_peak_means_no_peak_load_check(check_yaml):
    text = strategy("{condition: queueDepth, threshold: 1, action: routeToNextQueue}")
    assert check_yaml(text) == []


def test_the_ten_erlang_example_has_the_expected_mean_queue():
    # Erlang C for 10 Erlangs on 12 agents is 0.4494; Lq = C * A / (N - A) = 2.247.
    assert mean_queue_length(12, 10.0) == pytest.approx(2.2469, abs=1e-4)


@pytest.mark.parametrize(
    ("threshold", "warns"),
    [
        pytest.param(1, True, id="far-below"),
        pytest.param(2, True, id="just-below-2.25"),
        pytest.param(3, False, id="just-above-2.25"),
        pytest.param(15, False, id="high"),
    ],
)
def test_peak_queue_against_the_queue_depth_threshold(check_yaml, threshold, warns):
    text = strategy(
        f"{{condition: queueDepth, threshold: {threshold}, action: routeToNextQueue}}",
        peak=f"{TEN_ERLANGS}, agents: 12",
    )
    findings = check_yaml(text)
    assert ids_lines(findings) == ([("strategy/peak-load", PEAK_LINE)] if warns else [])
    if warns:
        assert findings[0].severity == "warning"
        assert findings[0].message == (
            "at peak, Erlang C gives a mean queue of 2.2 callers (P(wait) 0.45), above the "
            f"queueDepth overflow threshold {threshold}"
        )


def test_the_lowest_queue_depth_threshold_counts(check_yaml):
    text = strategy(
        "{condition: queueDepth, threshold: 15, action: routeToNextQueue}",
        "{condition: queueDepth, threshold: 2, action: addSkillToInteraction}",
        peak=f"{TEN_ERLANGS}, agents: 12",
    )
    findings = check_yaml(text)
    assert ids_lines(findings) == [("strategy/peak-load", PEAK_LINE)]
    assert findings[0].message.endswith("threshold 2")


def test_wait_time_thresholds_are_not_queue_depths(check_yaml):
    text = strategy(
        "{condition: waitTime, threshold: 1, action: routeToNextQueue}",
        peak=f"{TEN_ERLANGS}, agents: 12",
    )
    assert check_yaml(text) == []


@pytest.mark.parametrize(
    ("target", "warns"),
    [
        pytest.param("0.8", True, id="80%"),
        pytest.param("0.61", True, id="61%"),
        pytest.param("0.6", False, id="60%"),
        pytest.param("0.5", False, id="50%"),
    ],
)
def test_peak_service_level_against_the_target(check_yaml, target, warns):
    # 10 Erlangs on 12 agents, 300 s handle time: 60.7 % answered within 20 s.
    text = strategy(
        QUEUE_DEPTH_15,
        peak=f"{TEN_ERLANGS}, agents: 12, serviceLevelSeconds: 20, serviceLevelTarget: {target}",
    )
    findings = check_yaml(text)
    assert ids_lines(findings) == ([("strategy/peak-load", PEAK_LINE)] if warns else [])
    if warns:
        assert findings[0].message.startswith("at peak, 60.7% of callers are answered within 20s")


def test_queue_and_service_level_each_warn(check_yaml):
    text = strategy(
        "{condition: queueDepth, threshold: 2, action: routeToNextQueue}",
        peak=f"{TEN_ERLANGS}, agents: 12, serviceLevelSeconds: 20, serviceLevelTarget: 0.8",
    )
    findings = check_yaml(text)
    assert ids_lines(findings) == [("strategy/peak-load", PEAK_LINE)] * 2
    assert {f.severity for f in findings} == {"warning"}
    assert not any(f.fails() for f in findings)


@pytest.mark.parametrize(
    ("agents", "rules"),
    [
        pytest.param(10, (), id="load-equals-agents-no-overflow"),
        pytest.param(9, (), id="load-above-agents"),
        pytest.param(1, (WAIT_TIME_120,), id="one-agent"),
        pytest.param(10, (QUEUE_DEPTH_15,), id="with-high-threshold"),
    ],
)
def test_an_unstable_queue_always_warns_once(check_yaml, agents, rules):
    text = strategy(
        *rules,
        peak=f"{TEN_ERLANGS}, agents: {agents}, serviceLevelSeconds: 20, serviceLevelTarget: 0.1",
    )
    findings = check_yaml(text)
    assert ids_lines(findings) == [("strategy/peak-load", PEAK_LINE)]
    [warning] = findings
    assert warning.severity == "warning"
    assert warning.message == (
        f"unstable queue: offered load 10.00 Erlangs needs more than {agents} agents"
    )
    assert not warning.fails()


def test_a_well_staffed_peak_does_not_warn(check_yaml):
    text = strategy(
        QUEUE_DEPTH_15,
        peak=f"{TEN_ERLANGS}, agents: 14, serviceLevelSeconds: 20, serviceLevelTarget: 0.8",
    )
    assert check_yaml(text) == []


def test_peak_load_points_at_the_first_line_of_the_peak(check_yaml):
    findings = check_yaml(f"""
        apiVersion: genesys-compliance/v1
        kind: RoutingStrategy
        metadata:
          name: billing-voice
          queueId: {QUEUE}
          peak:                   # line 6
            arrivalsPerHour: 120
            avgHandleSeconds: 300
            agents: 8
        spec:
          strategy: longestIdleAgent
          mediaType: voice
        """)
    assert ids_lines(findings) == [("strategy/peak-load", 6)]
