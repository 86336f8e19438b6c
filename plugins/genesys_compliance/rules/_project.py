"""Where a project's configurations and custom rules are: one answer for pytest and the CLI.

Both read ``[tool.genesys-compliance]`` of the project's ``pyproject.toml``
through these functions, so ``pytest`` and ``genesys-compliance check`` see the
same folders and the same rules:

* ``config-dirs``: folders of configuration files, relative to the file;
* ``rules``: modules exposing ``gc_register_rules(registry)``, or
  ``module:function`` naming such a function; imported from the project's
  folder first, then from the environment.

The pytest plugin also keeps its own ways (``--gc-config-dir``, the
``gc_config_dirs`` ini, the ``pytest_gc_register_rules`` hook). For projects
that configured the ini in ``pyproject.toml``, the command line reads it too
(:func:`pytest_ini_config_dirs`).
"""

from __future__ import annotations

import importlib
import os
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from genesys_compliance.errors import PolicyError
from genesys_compliance.rules._policy import Policy
from genesys_compliance.rules._registry import Registry

PYPROJECT = "pyproject.toml"
REGISTER_FUNCTION = "gc_register_rules"


def find_pyproject(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` in ``start`` or a folder above it (SPEC 9); else ``None``."""
    here = Path(os.path.abspath(start))
    for folder in (here, *here.parents):
        candidate = folder / PYPROJECT
        if candidate.is_file():
            return candidate
    return None


def config_directories(policy: Policy, base: Path) -> list[Path]:
    """The ``config-dirs`` folders, relative to ``base`` (the folder of the pyproject.toml)."""
    return [base / folder for folder in policy.config_dirs]


def pytest_ini_config_dirs(pyproject: Path) -> list[Path]:
    """``gc_config_dirs`` of ``[tool.pytest.ini_options]`` in ``pyproject``, relative to it.

    For the command line: a project that told pytest where its configurations
    are need not say it twice. Other ini files (``pytest.ini``, ``tox.ini``,
    ``setup.cfg``) are not read; ``config-dirs`` serves both tools.
    """
    table = _tool_table(pyproject, "pytest").get("ini_options", {})
    folders = table.get("gc_config_dirs", []) if isinstance(table, dict) else []
    if isinstance(folders, str):  # pytest accepts one whitespace-separated string too
        folders = folders.split()
    if not isinstance(folders, list) or not all(isinstance(f, str) for f in folders):
        raise PolicyError(f"{pyproject}: gc_config_dirs must be a list of folder names")
    return [pyproject.parent / folder for folder in folders]


def register_rule_modules(registry: Registry, references: Sequence[str], base: Path) -> None:
    """Import each ``rules`` reference and let it register its rules into ``registry``.

    ``base`` (the project's folder) is searched first, as pytest finds a
    project's ``conftest.py``, without staying on ``sys.path`` afterwards.

    Raises:
        PolicyError: A reference cannot be imported, names no function, or its
            registration fails (a taken id, a stage no check runs in).
    """
    for reference in references:
        module_name, _, function_name = reference.partition(":")
        function_name = function_name or REGISTER_FUNCTION
        module = _import(module_name, base, reference)
        register = getattr(module, function_name, None)
        if not callable(register):
            raise PolicyError(
                f"rules: {module_name} has no function {function_name}(registry) "
                f"to register its rules with (from {reference!r})"
            )
        try:
            register(registry)
        except PolicyError as error:
            raise PolicyError(f"rules: {reference}: {error}") from None


def _import(module_name: str, base: Path, reference: str) -> Any:
    folder = str(base)
    added = folder not in sys.path
    if added:
        sys.path.insert(0, folder)
    try:
        return importlib.import_module(module_name)
    except Exception as error:  # a user's module may fail in any way; say which and why
        raise PolicyError(
            f"rules: cannot import {module_name} (from {reference!r}): "
            f"{type(error).__name__}: {error}"
        ) from None
    finally:
        if added:
            sys.path.remove(folder)


def _tool_table(pyproject: Path, name: str) -> dict[str, Any]:
    if not pyproject.is_file():
        return {}
    try:
        document = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise PolicyError(f"{pyproject}: not valid TOML: {error}") from None
    table = document.get("tool", {}).get(name, {})
    return table if isinstance(table, dict) else {}
