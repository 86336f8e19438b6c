"""Allure's ``categories.json``: why a test failed, sorted into the four reasons a team acts on.

An apply that lost a race (``conflict``), an org that kept answering 429
(``rate-limited``), a payload the API contract rejects (``contract mismatch``)
and a configuration that breaks a rule (``rule violation``) call for different
people, so the report files each failure under one of them. The controller
writes the file once into the ``--alluredir`` folder at session finish.

Allure 2 files a result under the *first* category whose statuses and
``messageRegex`` match (a Java regex, matched against the whole message with
``DOTALL``), so the specific reasons come first: a contract test's failure
also lists "finding(s) fail this configuration" and must read as a contract
mismatch, not a rule violation. The patterns use only syntax Java and Python
read alike, so :func:`category_of` (Python's reading) answers as Allure does.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

CATEGORIES_FILE = "categories.json"

Status = Literal["failed", "broken", "skipped", "passed", "unknown"]


@dataclass(frozen=True)
class Category:
    """One entry of ``categories.json``."""

    name: str
    description: str
    statuses: tuple[Status, ...]
    message_regex: str

    def to_json(self) -> dict[str, Any]:
        """The entry as Allure 2 reads it."""
        return {
            "name": self.name,
            "description": self.description,
            "matchedStatuses": list(self.statuses),
            "messageRegex": self.message_regex,
        }


CATEGORIES: tuple[Category, ...] = (
    Category(
        "conflict",
        "apply/conflict, apply/rollback-conflict: the resource changed in the org since the "
        "plan (or since this run wrote it), in a managed field",
        ("failed", "broken"),
        r".*\bapply/(?:rollback-)?conflict\b.*",
    ),
    Category(
        "rate-limited",
        "the org kept answering 429 after the retries allowed (RateLimitedError)",
        ("failed", "broken"),
        # RateLimitedError by name, or an API error's text: "429 code: message" / "429: message"
        r".*(?:\bRateLimitedError\b|(?<![\w.:/-])429(?: [\w.-]+)?: ).*",
    ),
    Category(
        "contract mismatch",
        "the configuration's payload does not fit the API contract's request schema",
        ("failed",),
        r".*\bAPI contract: .*",
    ),
    Category(
        "rule violation",
        "a finding fails the configuration: a rule of the catalogue or a custom rule",
        ("failed",),
        r".*\bfinding\(s\) fail this configuration\b.*",
    ),
)


def categories_json() -> str:
    """The categories as ``categories.json`` holds them."""
    return json.dumps([category.to_json() for category in CATEGORIES], indent=2) + "\n"


def category_of(status: Status, message: str) -> str | None:
    """The category Allure files a result under, or ``None`` (Allure's defaults then)."""
    for category in CATEGORIES:
        if status in category.statuses and re.fullmatch(category.message_regex, message, re.DOTALL):
            return category.name
    return None


def write_categories(folder: Path) -> Path:
    """Write ``folder/categories.json``, replacing an earlier run's."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CATEGORIES_FILE
    path.write_text(categories_json(), encoding="utf-8")
    return path
