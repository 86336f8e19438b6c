"""The compliance suites' checks as pytest items: one per configuration, cheap to make and run.

A suite module declares its check in one line::

    test_layout_complies = compliance_suite("DesktopLayout")

and gets one test per configuration of the kind, named after it, exactly as a
test function over the ``desktop_layout`` fixture would be (same node ids, so
``-k``, ``--lf``, ``--deselect`` and JUnit cases are unchanged). The items exist
because a check is a lookup: the engine has already judged every configuration
when the suite is collected, and pytest's machinery for a test function
(fixture requests, parametrization, per-phase capture, log and warning
handlers) costs many times that lookup, paid ten thousand times in a large
repository.

So a check runs through a short protocol of its own (:func:`pytest_runtest_protocol`):
the same reports through the same ``makereport`` / ``logreport`` hooks (terminal,
JUnit, ``--lf``, ``-x``, xdist and the plugin's own SARIF see no difference),
without the per-phase hooks, which have nothing to do for a check that runs no
code of the user's. It steps aside, and pytest's own protocol runs, whenever
that could matter: a plugin outside pytest's own and the known ones hooks a
phase (Allure does), the item carries a marker, or ``--pdb`` / ``--setup-show``
style options are given.

Under ``pytest -n auto``, a run that selects only such checks gets no workers
(:func:`pytest_xdist_auto_num_workers`): every worker would have to read every
file for the cross-file rules, and xdist's transfer of each item's reports costs
more than the check. ARCHITECTURE.md explains the choice.
"""

from __future__ import annotations

import ast
import fnmatch
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from genesys_compliance.plugin import (
    collection_run,
    fail_with_findings,
    record_findings,
)

if TYPE_CHECKING:
    from genesys_compliance.config import SourceFile
    from genesys_compliance.engine import Entry
    from genesys_compliance.rules import Finding

FILES = "file"
"""The subject of the file suite: files with problems of their own."""


class ComplianceSuite:
    """A suite's declaration: check every configuration of ``subject`` (a kind, or ``"file"``).

    Only a marker for collection; it holds no state and runs nothing itself.
    """

    def __init__(self, subject: str, lineno: int) -> None:
        self.subject = subject
        self.lineno = lineno

    def __repr__(self) -> str:
        return f"compliance_suite({self.subject!r})"


def compliance_suite(subject: str) -> ComplianceSuite:
    """Declare a compliance suite: one test per configuration of ``subject``.

    ``subject`` is a kind (``"DesktopLayout"``, ...) or ``"file"`` for the files
    that hold problems of their own (parse errors, broken envelopes, a name used
    twice). Bind the result to a test name in a test module.

    Raises:
        ValueError: ``subject`` names no kind.
    """
    from genesys_compliance.kinds import KINDS

    if subject != FILES and subject not in KINDS:
        raise ValueError(
            f"compliance_suite({subject!r}): expected one of {', '.join([*KINDS, FILES])}"
        )
    caller = sys._getframe(1)  # the declaration's line, for the items' location
    return ComplianceSuite(subject, caller.f_lineno)


class ConfigurationCheck(pytest.Item):
    """One configuration (or broken file) checked by one suite, judged when collected."""

    def __init__(
        self,
        *,
        subject: Entry | SourceFile,
        suite: ComplianceSuite,
        findings: list[Finding],
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.subject = subject
        self.suite = suite
        self.findings = findings

    def runtest(self) -> None:
        """Record the findings for the reports; fail when any of them fails the configuration.

        Recording judges them against the run's baseline, if any, so the verdict reads
        the recorded findings, not the ones judged at collection.
        """
        from genesys_compliance.engine import Entry

        if isinstance(self.subject, Entry):
            label, kind, file = self.subject.id, self.subject.kind.name, self.subject.file
        else:
            label, kind, file = self.subject.label, FILES, self.subject.relpath
        recorded = record_findings(self, label, kind, self.findings, file=file)
        fail_with_findings(self.config, label, recorded)

    def reportinfo(self) -> tuple[Path, int, str]:
        """Where the suite declares the check: its module and line."""
        return self.path, self.suite.lineno - 1, self.name


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(
    collector: pytest.Module | pytest.Class, name: str, obj: object
) -> list[ConfigurationCheck] | None:
    """One :class:`ConfigurationCheck` per configuration of a declared suite, in run order."""
    if not isinstance(obj, ComplianceSuite) or not isinstance(collector, pytest.Module):
        return None
    if not collector.funcnamefilter(name):
        return None
    run = collection_run(collector.config)
    subjects: Sequence[Entry | SourceFile]
    if obj.subject == FILES:
        broken = [f for f in run.files if run.file_findings.get(f.relpath)]
        subjects, labels = broken, [f.label for f in broken]
        findings = [sorted(run.file_findings[f.relpath], key=_sort_key) for f in broken]
    else:
        entries = run.by_kind(obj.subject)
        subjects, labels = entries, [e.id for e in entries]
        findings = [run.check(e) for e in entries]
    return [
        ConfigurationCheck.from_parent(
            collector,
            name=f"{name}[{label}]",
            # Given as text, so pytest (9.2 on) parses the id's parameter part as it does a
            # parametrized function's: ids stored by --lf and its kin then match.
            nodeid=f"{collector.nodeid}::{name}[{label}]",
            subject=subject,
            suite=obj,
            findings=found,
        )
        for subject, found, label in zip(subjects, findings, labels, strict=True)
    ]


def _sort_key(finding: Finding) -> tuple[Any, ...]:
    return finding.sort_key()


# -- the short protocol --------------------------------------------------------------------------

_SAFE_TO_SKIP = ("_pytest.", "genesys_compliance.", "_hypothesis_pytestplugin", "schemathesis.")
"""Plugins whose per-phase hooks have nothing to do for a check (pytest's own, hypothesis'
and schemathesis', which act on their own tests only). Any other plugin that hooks a
phase gets pytest's protocol, so its hooks run: Allure's listener, for one."""

_PHASES = ("pytest_runtest_setup", "pytest_runtest_call", "pytest_runtest_teardown")
_OPTIONS_THAT_NEED_PHASES = ("usepdb", "trace", "setupshow", "setuponly", "setupplan")
_SHORT = pytest.StashKey[dict[Path, bool]]()


def _plugin_module(plugin: object) -> str:
    name = getattr(plugin, "__name__", None)
    return name if isinstance(name, str) else type(plugin).__module__


def _short_protocol_fits(item: ConfigurationCheck) -> bool:
    """Whether skipping the per-phase hooks changes nothing for ``item`` (cached per folder)."""
    config = item.config
    cache = config.stash.setdefault(_SHORT, {})
    fits = cache.get(item.path)
    if fits is None:
        ihook = item.ihook
        fits = not any(
            getattr(config.option, option, False) for option in _OPTIONS_THAT_NEED_PHASES
        ) and all(
            _plugin_module(impl.plugin).startswith(_SAFE_TO_SKIP)
            for phase in _PHASES
            for impl in getattr(ihook, phase).get_hookimpls()
        )
        cache[item.path] = fits
    return fits and next(item.iter_markers(), None) is None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    """Run a check through the reporting hooks without the per-phase ones, when that is safe.

    The setup and teardown phases keep pytest's own bookkeeping of set-up nodes, so
    tests of other kinds before and after a check are set up and torn down as usual.
    """
    if not isinstance(item, ConfigurationCheck) or not _short_protocol_fits(item):
        return None
    ihook = item.ihook
    ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    setup_state = item.session._setupstate
    reraise: tuple[type[BaseException], ...] = (pytest.exit.Exception, KeyboardInterrupt)
    phases = (
        ("setup", lambda: setup_state.setup(item)),
        ("call", item.runtest),
        ("teardown", lambda: setup_state.teardown_exact(nextitem)),
    )
    passed = True
    for when, step in phases:
        if when == "call" and not passed:
            continue
        call = pytest.CallInfo.from_call(step, when=when, reraise=reraise)  # type: ignore[arg-type]
        report = ihook.pytest_runtest_makereport(item=item, call=call)
        ihook.pytest_runtest_logreport(report=report)
        passed = report.passed
    ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True


# -- xdist: configuration checks are not distributed ----------------------------------------------


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto`` over configuration checks alone: no workers (see the module's docstring).

    Decided before collection from the test modules' source: every module the
    arguments select must hold nothing but :func:`compliance_suite` declarations.
    Anything else, anything this cannot read, or ``PYTEST_XDIST_AUTO_NUM_WORKERS``
    leaves the count to xdist.
    """
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    modules = _selected_modules(config)
    if modules and all(_declares_checks_only(path) for path in modules):
        return 0
    return None


_MOST_MODULES = 200
"""Past this many selected modules the run is not a configuration check alone: stop reading."""


def _selected_modules(config: pytest.Config) -> list[Path] | None:
    """The test modules the command line's paths select; ``None`` when it cannot tell cheaply."""
    patterns: list[str] = config.getini("python_files")
    skipped: list[str] = config.getini("norecursedirs")
    found: list[Path] = []
    for arg in config.args:
        path = Path(config.invocation_params.dir, arg.split("::", 1)[0])
        if path.is_file():
            found.append(path)
        elif not path.is_dir():
            return None
        for current, dirnames, filenames in os.walk(path):
            dirnames[:] = sorted(
                d for d in dirnames if not any(fnmatch.fnmatch(d, p) for p in skipped)
            )
            found += [
                Path(current, name)
                for name in sorted(filenames)
                if any(fnmatch.fnmatch(name, p) for p in patterns)
            ]
            if len(found) > _MOST_MODULES:
                return None
    return found


def _is_declaration(value: ast.expr) -> bool:
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    return name == "compliance_suite"


def _declares_checks_only(path: Path) -> bool:
    """Whether the module's only tests are ``name = compliance_suite(...)`` declarations.

    Any function or class, any other binding or import of a ``test`` name, counts
    as other work.
    """
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return False
    declared = False
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            return False
        if isinstance(node, ast.Import | ast.ImportFrom):
            if any((a.asname or a.name).startswith("test") for a in node.names):
                return False
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            if not any(n.startswith("test") for n in names):
                continue
            if node.value is None or not _is_declaration(node.value):
                return False
            declared = True
    return declared
