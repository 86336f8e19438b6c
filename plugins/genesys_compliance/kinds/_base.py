"""What every kind shares: the strict model base, the typed configuration, the kind record."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from genesys_compliance.config import Document
from genesys_compliance.rules import Rule, Violation

API_VERSION = "genesys-compliance/v1"
# metadata.name: lowercase letters, digits and dashes, 1..63 characters, no leading dash.
# Defined once: the engine judges names by NAME_PATTERN, the strategies draw from it,
# and rule texts quote NAME_SYNTAX, so what is checked and what is said cannot drift.
NAME_SYNTAX = "[a-z0-9][a-z0-9-]{0,62}"
NAME_PATTERN = re.compile(rf"^{NAME_SYNTAX}\Z")  # \Z, not $: "agent\n" is not a name

# A field whose type a rule owns (layout/position, flow/max-wait, ...): the model
# accepts anything so the rule can report it precisely, once, under its own id.
Scalar = Any


class Strict(BaseModel):
    """Strict, closed models: no coercion of ``"yes"`` to ``True``, no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Waiver(Strict):
    """Shape only; :func:`genesys_compliance.rules.read_waivers` judges the content."""

    rule: Any = None
    reason: Any = None
    expires: Any = None


class Metadata(Strict):
    """Fields every kind's metadata has; kinds add their identity fields."""

    name: str
    labels: dict[str, Scalar] = Field(default_factory=dict)
    # Checked by read_waivers, which turns a malformed waiver into config/waiver.
    waivers: Any = None


M = TypeVar("M", bound=Metadata)
S = TypeVar("S", bound=Strict)


@dataclass(frozen=True, slots=True, eq=False)
class Config(Generic[M, S]):
    """A configuration whose envelope and spec fit their models: what rules check."""

    kind: str
    name: str
    document: Document
    metadata: M
    spec: S

    @property
    def id(self) -> str:
        """Test id and human handle: ``layouts/agent-default.yaml::agent-default``."""
        return f"{self.document.source.label}::{self.name}"

    @property
    def file(self) -> str:
        """Path relative to the run's root directory, as reports print it."""
        return self.document.source.relpath


Identity = Callable[[Config[Any, Any]], "tuple[str, str] | None"]


@dataclass(frozen=True, slots=True)
class Kind:
    """One configuration kind: its models, how it is identified on the org, its rules.

    ``identity`` returns ``(pointer, key)``: where the identity is written and
    the value two configurations must not share; ``None`` for a configuration
    that creates a new resource.
    """

    name: str
    fixture: str
    metadata_model: type[Metadata]
    spec_model: type[Strict]
    rules: tuple[Rule, ...]
    identity: Identity
    duplicate_rule: str = "config/duplicate-target"
    extra_schema: Callable[[dict[str, Any]], Iterable[Violation]] | None = None
    envelope_check: Callable[[Config[Any, Any]], Iterable[Violation]] | None = None
    description: str = ""
