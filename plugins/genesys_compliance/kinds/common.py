"""Rules every configuration is held to, whatever its kind.

Most are reported by the engine itself (parsing, envelope, schema, waivers,
duplicates across files), by the org checks, by the apply stage
(:mod:`genesys_compliance.apply`) or by the nightly drift check
(:mod:`genesys_compliance.drift`), so they carry no check function; they
are here so that the catalogue, SARIF and waivers know them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from genesys_compliance.config import ParseLimits, pointer
from genesys_compliance.kinds._base import NAME_SYNTAX
from genesys_compliance.rules import Rule, Severity, Stage, Violation

_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_SECRET_LAST_WORDS = frozenset(
    {"secret", "password", "passwd", "passphrase", "token", "credential", "credentials", "pat"}
)
_SECRET_KEY_PAIRS = frozenset(
    {
        ("api", "key"),
        ("private", "key"),
        ("access", "key"),
        ("client", "secret"),
        ("signing", "key"),
    }
)
_BEARER = re.compile(r"\bbearer\s+[a-z0-9._~+/=-]{16,}", re.I)
_JWT = re.compile(r"\beyJ[a-zA-Z0-9_-]{5,}\.eyJ[a-zA-Z0-9_-]{5,}\.[a-zA-Z0-9_-]*")
# ${VAR}, $VAR, env:VAR and vault:/... are references to a secret, not the secret itself.
_REFERENCE = re.compile(r"^(\$\{[^}]+\}|\$[A-Z_][A-Z0-9_]*|env:[\w.-]+|vault:\S+)$")


def _engine(
    id: str,
    summary: str,
    explanation: str,
    example: str = "",
    stage: Stage = "file",
    kind: str | None = None,
    severity: Severity = "error",
) -> Rule:
    return Rule(
        id=id,
        severity=severity,
        summary=summary,
        explanation=explanation,
        example=example,
        kind=kind,
        stage=stage,
    )


_LIMITS = ParseLimits()  # the defaults the summary quotes; a policy may set others
PARSE = _engine(
    "config/parse",
    "not valid YAML/JSON: syntax, encoding (UTF-8 only), duplicate keys, alias expansion beyond "
    f"{_LIMITS.max_alias_nodes:,} nodes, nesting deeper than {_LIMITS.max_depth} levels, files "
    f"over {_LIMITS.max_bytes // (1024 * 1024)} MiB (policy: max-alias-nodes, "
    "max-nesting-depth, max-file-bytes)",
    "Files are parsed as plain data only: tags that would construct objects are refused, and "
    "the limits keep a hostile file from exhausting the run. The finding points at the line "
    "where parsing stopped.",
)
ENVELOPE = _engine(
    "config/envelope",
    "apiVersion, kind, metadata and spec are present and right; the kind is known; "
    f"metadata.name matches {NAME_SYNTAX}",
    "The envelope says what a document is and names its test; without it nothing else can be "
    "checked.",
    "apiVersion: genesys-compliance/v1\nkind: DesktopLayout\nmetadata: {name: agent-default}\n"
    "spec: {...}",
)
SCHEMA = _engine(
    "config/schema",
    "spec fits its kind: required fields present, types right (no coercion), no unknown fields",
    "spec is sent to the API as written; a misspelt or mistyped field is dropped or rejected "
    "by the org.",
    stage="document",
)
SECRET = _engine(
    "config/secret",
    "no credential is written into a configuration (secret/password/token/apiKey keys, bearer "
    "tokens, JWTs)",
    "Configurations live in git; a credential there is leaked to everyone with read access. "
    "Reference it instead (${VAR}, env:VAR) and let the pipeline inject it. The finding never "
    "repeats the value.",
    "configuration: {webhookToken: '${ASSIST_WEBHOOK_TOKEN}'}",
    stage="document",
)
DUPLICATE_TARGET = _engine(
    "config/duplicate-target",
    "no two configurations target the same resource (same kind and identity)",
    "Two files writing one resource make the result depend on apply order.",
    stage="run",
)
WAIVER = _engine(
    "config/waiver",
    "every waiver names a known rule, gives a reason and has an expiry date not in the past",
    "A waiver is a reviewed, dated exception; one without a reason or past its date is not.",
    "waivers:\n  - {rule: layout/load-impact, reason: 'Wall board, reviewed by CX ops', "
    "expires: 2027-03-31}",
    stage="document",
)
DUPLICATE_MEDIA = _engine(
    "strategy/duplicate-media",
    "at most one routing strategy per queue and media type",
    "The org keeps one strategy per queue and media type; a second file silently overwrites "
    "the first.",
    stage="run",
    kind="RoutingStrategy",
)
DUPLICATE_NAME = _engine(
    "routing-rule/duplicate-name",
    "routing rule names are unique within a queue",
    "The org refuses a second rule of the same name in a queue with 409 Conflict.",
    stage="run",
    kind="RoutingRule",
)
CAPACITY = _engine(
    "strategy/capacity",
    "needs the org: licences >= requiredAgents and available agents on the queue >= 80 % of "
    "requiredAgents (policy: min-available-ratio)",
    "A strategy planned for more agents than the org can staff routes into an empty queue.",
    stage="org",
    kind="RoutingStrategy",
)
ORG_REFERENCE = _engine(
    "org/reference",
    "every queue, flow, template and user a configuration names exists in the target org",
    "A dangling reference is accepted by some endpoints and fails at routing time.",
    stage="org",
)
# The apply stage's findings (SPEC 6), reported by apply itself, never by a registered check.
_APPLY_STAGE: Stage = "apply"
APPLY_CONFLICT = _engine(
    "apply/conflict",
    "the resource changed in the org since the plan, in a field this configuration manages "
    "(names the field, the planned-from value, the value now, and who changed it and when "
    "where the org can tell)",
    "Each write carries the version the plan read. Someone who changed a managed field since "
    "(in the admin UI, with another tool) would lose that change to a write retried on the "
    "fresher version, which is how last-writer-wins tools lose work; so the run stops at "
    "the first such resource and rolls back every write it made before. A change to fields "
    "the file does not state is no conflict: the write is rebuilt on the new version (a "
    "rebase). The finding is at the field's line. Plan again and decide: take the org's "
    "value into the file, or apply with --gc-force (--force), which is audited as forced.",
    "genesys-compliance plan fixtures/configs --org live   # the org's value beside the file's",
    stage=_APPLY_STAGE,
)
APPLY_FAILED = _engine(
    "apply/failed",
    "a write failed for good (after the retries the client allows); the run was rolled back",
    "An apply is all or nothing. A write the org refuses for good (a validation error, a "
    "missing permission, a server error past the retries; 429 and 503 are waited out, and a "
    "request whose outcome is unknown is read back, never re-sent blindly) ends the run, "
    "and its earlier writes are restored in reverse order from their snapshots, so the org "
    "is left as it was before the run. The finding is at the configuration whose write "
    "failed, with the org's answer. Fix the cause and apply again.",
    "genesys-compliance apply fixtures/configs --org live   # again, once the cause is fixed",
    stage=_APPLY_STAGE,
)
APPLY_ROLLBACK_CONFLICT = _engine(
    "apply/rollback-conflict",
    "a resource that this run wrote changed again before rollback reached it; rollback left "
    "it as it is and says so",
    "Rollback restores a resource only on the version this run wrote. One that changed "
    "again since (a colleague, another pipeline) is left alone, since restoring over it would "
    "undo their change; the finding names the resource and, where the org's audit can tell, "
    "who changed it and when. The audit log keeps what the resource held before the run "
    "(the record's versionBefore and changes): decide with whoever changed it, then apply "
    "or restore by hand.",
    "genesys-compliance plan fixtures/configs --org live   # what the org holds now",
    stage=_APPLY_STAGE,
)
APPLY_INTERVAL = _engine(
    "apply/interval",
    "a flow was updated less than 60 s ago (policy: min-flow-update-interval, read from the "
    "audit log so it holds across runs)",
    "A flow's routing settings are reloaded by every interaction in flight, so updates of "
    "one flow are spaced out. The last change is read from this tool's audit log (earlier "
    "runs into the same audit folder, against the same org; a simulated org in process is "
    "new every run and has none) and from the org's own audit (a colleague's save counts "
    "too). A run with any update too soon writes nothing; the finding says when the flow "
    "last changed, by whom, and from when apply may run again.",
    "[tool.genesys-compliance]\nmin-flow-update-interval = 60   # seconds; 0: no pause",
    stage=_APPLY_STAGE,
)
ORG_DRIFT = _engine(
    "org/drift",
    "a field this configuration manages has another value in the org (names the field, both "
    "values, and who changed it and when where the org's audit can tell)",
    "Git is the record of what the org should hold: a change made in the org directly (the "
    "admin UI, another tool's client) is undone by the next apply, or outlives the file "
    "unseen. The nightly check (genesys-compliance drift, or pytest with --gc-org live) "
    "compares each field a file states with the org as the plan does (lists the API treats "
    "as sets compare unordered; a field the file does not state is never compared) and "
    "reports one finding per field, at its line, with the org's audit record of who changed "
    "it and when. A configuration whose resource is missing from the org is drift too, "
    "reported at the line that names the resource. Apply the file again, or change it to "
    "what the org holds.",
    "spec:\n  priority: 10   # the org's routing rule has priority 10 too",
    stage="org",
)
ORG_UNMANAGED = _engine(
    "org/unmanaged",
    "a resource of a managed kind exists in the org and no configuration manages it",
    "A resource of a kind the project keeps in git that no file states changes without "
    "review and is invisible to the plan. The finding names the resource and the command "
    "that writes the kind's resources as configuration files; move the resource's file into "
    "a configuration folder to manage it, or remove the resource from the org. It is located "
    "at the kind's first configuration file: that is where the kind is managed.",
    "genesys-compliance export --out reports/export --kind DesktopLayout",
    stage="org",
    severity="warning",
)

COMMON_RULES = (PARSE, ENVELOPE, SCHEMA, SECRET, DUPLICATE_TARGET, WAIVER)
RUN_AND_ORG_RULES = (
    DUPLICATE_MEDIA,
    DUPLICATE_NAME,
    CAPACITY,
    ORG_REFERENCE,
    ORG_DRIFT,
    ORG_UNMANAGED,
    APPLY_CONFLICT,
    APPLY_FAILED,
    APPLY_ROLLBACK_CONFLICT,
    APPLY_INTERVAL,
)


def secret_key(key: str) -> bool:
    """Whether a key names a credential: its last word does (``webhookToken``, ``api_key``).

    Judging the last word keeps ``maxTokens`` or ``passwordMinLength`` (settings
    about credentials) and ``secretName`` (a reference to one) out.
    """
    words = [w.lower() for w in _WORDS.findall(key)]
    if not words:
        return False
    return words[-1] in _SECRET_LAST_WORDS or tuple(words[-2:]) in _SECRET_KEY_PAIRS


# Keys repeat across documents (x, y, width...): judge each distinct key once. Bounded, so a
# file of millions of distinct keys cannot grow it without limit.
_is_secret_key = functools.lru_cache(maxsize=8192)(secret_key)


def _literal(key: str) -> str:
    return f"{key[:60]!r} holds a literal credential; reference it from the environment instead"


def _looks_like_secret(key: str | None, value: Any) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        if key is not None and _is_secret_key(key):
            return _literal(key)
        return None
    if not isinstance(value, str):
        return None
    stripped = value.strip()
    if not stripped:
        return None
    if key is not None and _is_secret_key(key) and not _REFERENCE.match(stripped):
        return _literal(key)
    if "eyJ" in value and _JWT.search(value):
        return "value looks like a JWT; credentials do not belong in configuration"
    if len(value) > 20 and _BEARER.search(value):
        return "value looks like a bearer token; credentials do not belong in configuration"
    return None


def find_secrets(data: Any) -> Iterator[Violation]:
    """Credential-looking values anywhere in a document, walked iteratively in one pass.

    Messages name the key and the kind of value, never the value itself.
    Every value of every document passes here, and nearly all are innocent, so
    the walk does the least per value: keys are judged once per distinct key
    (:func:`_is_secret_key`), and a value is looked at closely only when its
    key names a credential or it is a string that could hold a token (one with
    ``eyJ`` in it, or longer than a bearer header). Containers are walked in
    document order with one iterator each; the pointer is built for a hit only.
    """
    if not isinstance(data, dict | list):
        message = _looks_like_secret(None, data)
        if message is not None:
            yield Violation(pointer(), message)
        return
    tokens: list[Any] = []  # the path to the container on top of the stack
    # Per open container: its (token, value) pairs, whether it is a list, and the key its
    # items inherit if it is (a mapping's values are judged by their own keys).
    stack: list[tuple[Iterator[tuple[Any, Any]], bool, str | None]] = []
    opened = _open(data, None, tokens)
    if opened[1] is not None:
        yield opened[1]
    stack.append(opened[0])
    while stack:
        children, is_list, inherited = stack[-1]
        for token, value in children:
            key = inherited if is_list else token if type(token) is str else str(token)
            if isinstance(value, dict | list):
                tokens.append(token)
                frame, found = _open(value, key, tokens)
                if found is not None:
                    yield found
                stack.append(frame)
                break
            named_secret = key is not None and _is_secret_key(key)
            if not named_secret and not (
                isinstance(value, str) and ("eyJ" in value or len(value) > 20)
            ):
                continue  # neither a credential's key nor a string that could be a token
            message = _looks_like_secret(key, value)
            if message is not None:
                yield Violation(pointer(*tokens, token), message)
        else:
            stack.pop()
            if stack:
                tokens.pop()


def _open(
    node: dict[Any, Any] | list[Any], key: str | None, tokens: list[Any]
) -> tuple[tuple[Iterator[tuple[Any, Any]], bool, str | None], Violation | None]:
    """Start walking ``node`` (at ``tokens``); a ``{key: <credential name>, value}`` hit first.

    List items inherit ``key``, the key the list sits under.
    """
    if isinstance(node, list):
        return (enumerate(node), True, key), None
    named = node.get("key", node.get("name"))
    if isinstance(named, str) and "value" in node and _is_secret_key(named):
        # {key: webhook_secret, value: ...}: the credential's name is data, not a key
        message = _looks_like_secret(named, node["value"])
        if message is not None:
            rest = iter([(k, v) for k, v in node.items() if k != "value"])
            return (rest, False, None), Violation(pointer(*tokens, "value"), message)
    return (iter(node.items()), False, None), None
