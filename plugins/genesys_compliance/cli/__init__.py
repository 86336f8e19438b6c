"""Command line over the same layers as the pytest plugin.

``validate`` (alias ``check``) runs the rule engine without pytest (pre-commit
hooks, quick local checks, the benchmark's baseline); ``rules`` prints the
catalogue, and ``rules --update README.md`` regenerates the README's copy of it.
Both find the project as the plugin does: the nearest ``pyproject.toml`` (SPEC 9),
its policy, its ``config-dirs`` and its custom ``rules``
(:mod:`genesys_compliance.rules._project`), so a project's custom rules and
folders hold on the command line as under pytest.
Each subcommand lives in its own module (``_validate``, ``_plan``, ...); what they
share (the project, its files, its findings) is in ``_project``.
Exit codes follow SPEC section 9: 0 nothing failed, 1 error findings, 2 usage
error (including "no configuration found where one was asked for").
"""

from __future__ import annotations

# Each subcommand module registers itself on ``main`` when imported.
from genesys_compliance.cli import _audit, _plan, _report, _rules, _validate  # noqa: F401
from genesys_compliance.cli._main import main

__all__ = ["main"]
