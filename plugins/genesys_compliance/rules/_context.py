"""What every rule may read besides the configuration itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from genesys_compliance.rules._policy import Policy


@dataclass(frozen=True, slots=True)
class RuleContext:
    """Policy thresholds and today's date (injected so waiver expiry is testable)."""

    policy: Policy = field(default_factory=Policy)
    today: date = field(default_factory=date.today)
