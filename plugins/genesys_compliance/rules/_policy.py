"""Policy thresholds: the SPEC's italic defaults, overridable per project.

A project sets them in ``[tool.genesys-compliance]`` of its ``pyproject.toml``
with the kebab-case names below. A misspelt key is an error rather than a
silently ignored setting: a policy that does not apply is worse than none.

The same table says where a project's configurations and custom rules are
(``config-dirs``, ``rules``), so the pytest plugin and the command line find
the same ones; :mod:`genesys_compliance.rules._project` reads those two.

``[[tool.genesys-compliance.webhooks]]`` tables say who is told what apply did
(SPEC 8). They name the environment variable that holds each signing secret,
never the secret: a policy is committed, printed and compared, a secret is not.
:mod:`genesys_compliance.webhooks` reads the variable when it signs a message.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from genesys_compliance.config import ParseLimits
from genesys_compliance.errors import PolicyError

# The loader's defaults are the SPEC's; the policy starts from them rather than restating them.
_LIMITS = ParseLimits()
# ``package.module`` or ``package.module:function``
_RULES_REFERENCE = re.compile(
    r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*(:[A-Za-z_][A-Za-z0-9_]*)?\Z"
)


#: Every event the apply stage sends (SPEC 8), in the order a run emits them; a webhook
#: table without ``events`` receives them all.
WEBHOOK_EVENTS: tuple[str, ...] = (
    "apply.started",
    "apply.resource",
    "apply.completed",
    "apply.failed",
    "apply.rolled-back",
    "apply.conflict",
)
# POSIX's portable environment variable names.
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")


def _kebab(name: str) -> str:
    return name.replace("_", "-")


class WebhookTarget(BaseModel):
    """One ``[[tool.genesys-compliance.webhooks]]`` table: a receiver and the events it wants.

    ``secret-env`` names the environment variable holding the signing secret; the
    secret is read when a message is signed and is never held here, so printing,
    logging or comparing a policy cannot disclose it. Error messages about a
    table never repeat its values, in case a secret was pasted where a name belongs.
    """

    model_config = ConfigDict(
        alias_generator=_kebab, populate_by_name=True, extra="forbid", frozen=True, strict=True
    )

    url: str
    events: tuple[str, ...] = WEBHOOK_EVENTS
    secret_env: str

    @field_validator("events", mode="before")
    @classmethod
    def _events_array(cls, value: Any) -> Any:
        """TOML has arrays, not tuples; a lone string is the likely slip."""
        if isinstance(value, list):
            return tuple(value)
        if not isinstance(value, tuple):
            raise ValueError('must be an array of event names, e.g. ["apply.completed"]')
        return value

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if any(ch.isspace() or not ch.isprintable() for ch in value):
            raise ValueError("must be an http:// or https:// URL without spaces")
        try:
            parts = urlsplit(value)
            _ = parts.port  # parsing the port is what validates it
        except ValueError:
            raise ValueError("must be an http:// or https:// URL with a valid port") from None
        if parts.scheme.lower() not in ("http", "https"):
            scheme = f", not {parts.scheme!r}" if parts.scheme.isalnum() else ""
            raise ValueError(f"must be an http:// or https:// URL{scheme}")
        if parts.username is not None or parts.password is not None:
            # The url is committed and audited; a credential in it would be too.
            raise ValueError(
                "must not hold a user name or password: receivers authenticate a message "
                "by its signature (secret-env)"
            )
        if not parts.hostname:
            raise ValueError("must name a host")
        return value

    @field_validator("events")
    @classmethod
    def _known_events(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("is empty: leave it out to receive every event, or name some")
        for event in value:
            if event not in WEBHOOK_EVENTS:
                close = difflib.get_close_matches(event, WEBHOOK_EVENTS, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ValueError(
                    f"unknown event {event!r}{hint}; the events are {', '.join(WEBHOOK_EVENTS)}"
                )
        # One order whatever the table's: equal targets compare and print alike.
        return tuple(event for event in WEBHOOK_EVENTS if event in value)

    @field_validator("secret_env")
    @classmethod
    def _variable_name(cls, value: str) -> str:
        # The value is never echoed: it may be the secret, pasted in by mistake.
        if value.startswith("whsec_"):
            raise ValueError(
                "holds a secret, not the name of a variable: put the secret in an "
                "environment variable and name that variable here"
            )
        if not _ENV_NAME.match(value):
            raise ValueError(
                "must name the environment variable that holds the secret (letters, "
                "digits and '_', not starting with a digit)"
            )
        return value

    def wants(self, event_type: str) -> bool:
        """Whether this receiver asked for ``event_type``."""
        return event_type in self.events


class Policy(BaseModel):
    """Thresholds every rule reads; field docs name the rule that uses each."""

    model_config = ConfigDict(
        alias_generator=_kebab, populate_by_name=True, extra="forbid", frozen=True, strict=True
    )

    # config/parse
    max_file_bytes: int = Field(_LIMITS.max_bytes, gt=0)
    max_nesting_depth: int = Field(_LIMITS.max_depth, ge=2)
    max_alias_nodes: int = Field(_LIMITS.max_alias_nodes, ge=0)
    # layout/*
    max_grid_columns: int = Field(24, ge=1)
    max_grid_rows: int = Field(16, ge=1)
    max_widgets: int = Field(12, ge=0)
    widget_types: frozenset[str] = frozenset(
        {
            "queue-widget",
            "conversation-widget",
            "notes-widget",
            "custom-widget",
            "contact-center-widget",
        }
    )
    widget_load: float = Field(0.15, ge=0)
    widget_load_by_type: dict[str, float] = Field(default_factory=dict)
    max_load_impact: float = Field(1.8, ge=0)
    # flow/*
    apply_targets: frozenset[str] = frozenset({"queue", "user", "team"})
    max_wait_seconds: int = Field(3600, ge=1)
    # strategy/capacity
    min_available_ratio: float = Field(0.8, ge=0, le=1)
    # apply/interval: seconds between two updates of one flow (0: no minimum)
    min_flow_update_interval: float = 60.0
    # trigger/*
    max_conditions: int = Field(50, ge=1)
    # routing-rule/*
    max_expression_depth: int = Field(10, ge=1)
    routing_fields: frozenset[str] = frozenset(
        {"skill", "language", "priority", "wrapupcode", "vip_flag"}
    )
    # contract: endpoint path overrides per kind, e.g. {DesktopLayout = "/api/v2/..."}
    endpoints: dict[str, str] = Field(default_factory=dict)
    # where the project is: folders of configurations, relative to the pyproject.toml
    config_dirs: tuple[str, ...] = ()
    # custom rules: modules with gc_register_rules(registry), or "module:function"
    rules: tuple[str, ...] = ()
    # SPEC 8: who is told what apply did; [[tool.genesys-compliance.webhooks]] tables
    webhooks: tuple[WebhookTarget, ...] = ()

    @field_validator("min_flow_update_interval", mode="before")
    @classmethod
    def _seconds(cls, value: Any) -> Any:
        """One message for every wrong value: the key is read by people scheduling applies."""
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not math.isfinite(value) or value < 0:
            if number:
                shown = f", not {value!r}"
            elif isinstance(value, str):
                shown = ", not a string: write the number without quotes"
            else:
                shown = f", not {_toml_type(value)}"
            raise ValueError(
                "must be a number of seconds, 0 or more (0 lets a flow be updated "
                f"again at once){shown}"
            )
        return float(value)

    @field_validator("config_dirs")
    @classmethod
    def _some_folder(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not folder.strip() for folder in value):
            raise ValueError("a folder name is empty")
        return value

    @field_validator("rules")
    @classmethod
    def _importable(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for reference in value:
            if not _RULES_REFERENCE.match(reference):
                raise ValueError(
                    f"{reference!r} is not a module ('acme.rules') or a function "
                    "('acme.rules:register')"
                )
        return value

    @field_validator("webhooks", mode="before")
    @classmethod
    def _array_of_tables(cls, value: Any) -> Any:
        if isinstance(value, dict):
            raise ValueError(
                "must be an array of tables: write [[tool.genesys-compliance.webhooks]], "
                "with double brackets, once per receiver"
            )
        return value

    @field_validator("webhooks")
    @classmethod
    def _one_table_per_url(cls, value: tuple[WebhookTarget, ...]) -> tuple[WebhookTarget, ...]:
        seen: set[str] = set()
        for target in value:
            if target.url in seen:
                # Two tables would send the same event to one receiver twice.
                raise ValueError(
                    f"two tables send to {target.url}: give one table all the events it wants"
                )
            seen.add(target.url)
        return value

    @model_validator(mode="before")
    @classmethod
    def _lists_as_sets(cls, data: Any) -> Any:
        """TOML has arrays, not sets; accept arrays for the set-valued thresholds."""
        if isinstance(data, dict):
            for key in ("widget-types", "apply-targets", "routing-fields"):
                for name in (key, key.replace("-", "_")):
                    if isinstance(data.get(name), list):
                        data = {**data, name: frozenset(data[name])}
            for key in ("config-dirs", "rules", "webhooks"):
                for name in (key, key.replace("-", "_")):
                    if isinstance(data.get(name), list):
                        data = {**data, name: tuple(data[name])}
        return data

    @property
    def parse_limits(self) -> ParseLimits:
        """The loader's view of the ``config/parse`` bounds."""
        return ParseLimits(
            max_bytes=self.max_file_bytes,
            max_depth=self.max_nesting_depth,
            max_alias_nodes=self.max_alias_nodes,
        )

    @property
    def update_intervals(self) -> dict[str, float]:
        """Kind to the least seconds between two updates of one resource, as apply takes them.

        Only flows have one (``min-flow-update-interval``); 0 asks for none, so
        apply does not even query the org's audit.
        """
        if self.min_flow_update_interval <= 0:
            return {}
        return {"FlowSettings": self.min_flow_update_interval}

    def load_of(self, widget_type: str) -> float:
        """The load one widget of ``widget_type`` adds to ``layout/load-impact``."""
        return self.widget_load_by_type.get(widget_type, self.widget_load)


def policy_from_mapping(table: dict[str, Any], *, source: str = "policy") -> Policy:
    """Build a :class:`Policy`, turning validation errors into one readable error."""
    try:
        return Policy.model_validate(table)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(table)'}: {e['msg']}{_did_you_mean(e)}"
            for e in error.errors(include_url=False)
        )
        raise PolicyError(f"{source} [tool.genesys-compliance]: {problems}") from None


def _toml_type(value: Any) -> str:
    """The TOML name of a value's type, for messages that must not echo the value."""
    names = {bool: "a boolean", list: "an array", tuple: "an array", dict: "a table"}
    return next((name for kind, name in names.items() if isinstance(value, kind)), "a date")


def _did_you_mean(error: Any) -> str:
    """For an unknown key, the known key it most resembles: a typo fixed in one line."""
    loc = error["loc"]
    if error["type"] != "extra_forbidden":
        return ""
    if len(loc) == 1:
        model: type[BaseModel] = Policy
    elif len(loc) == 3 and loc[0] == "webhooks":
        model = WebhookTarget
    else:
        return ""
    known = [field.alias or name for name, field in model.model_fields.items()]
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def load_policy(pyproject: Path) -> Policy:
    """Read ``[tool.genesys-compliance]`` from ``pyproject``; defaults when absent."""
    if not pyproject.is_file():
        return Policy()
    try:
        document = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise PolicyError(f"{pyproject}: not valid TOML: {error}") from None
    table = document.get("tool", {}).get("genesys-compliance", {})
    if not isinstance(table, dict):
        raise PolicyError(f"{pyproject}: [tool.genesys-compliance] must be a table")
    return policy_from_mapping(table, source=str(pyproject))
