"""Command line over the same layers as the pytest plugin (SPEC 9).

``validate`` (alias ``check``) runs the rule engine without pytest (pre-commit
hooks, quick local checks, the benchmark's baseline); ``plan`` and ``apply``
are the apply stage of SPEC 6 (:mod:`genesys_compliance.applyrun`, as under
``pytest --gc-apply``); ``serve-org`` serves the simulated org over HTTP;
``audit verify`` checks the audit log; ``report`` makes the Allure HTML;
``rules`` prints the catalogue, and ``rules --update README.md`` regenerates the
README's copy of it. Every command finds the project as the plugin does: the
nearest ``pyproject.toml`` (or ``--config``), its policy, its ``config-dirs`` and
its custom ``rules`` (:mod:`genesys_compliance.rules._project`), so a project's
custom rules and folders hold on the command line as under pytest.
Each subcommand lives in its own module (``_validate``, ``_plan``, ``_apply``,
...); what they share (the project, its files, findings, org and output options)
is in ``_project``, progress on long work in ``_progress``.
Exit codes follow SPEC section 9: 0 nothing failed, 1 error findings, 2 usage
error (including "no configuration found where one was asked for"), 3 an apply
stopped on ``apply/conflict``, 4 the org refused the credentials or could not be
reached.
"""

from __future__ import annotations

# Each subcommand module registers itself on ``main`` when imported.
from genesys_compliance.cli import (  # noqa: F401
    _apply,
    _audit,
    _drift,
    _export,
    _plan,
    _report,
    _rules,
    _serve,
    _validate,
)
from genesys_compliance.cli._main import main

__all__ = ["main"]
