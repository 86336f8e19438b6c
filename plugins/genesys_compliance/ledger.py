"""What a pytest run checked and did not: findings gathered from reports, gaps, SARIF, summary.

A run that did not check everything it was asked to (collection errors, an org
the org-stage tests could not use, a run stopped early) must never read as
clean: the reasons go to the terminal summary and to SARIF's
``executionSuccessful``. Deselected tests are the user's choice, not a gap.
Findings travel as report attributes, so under xdist they are gathered where
reports end up, in the controller, which alone writes the outputs.

With ``--gc-baseline FILE`` each test judges its own findings against the file
(so the verdict is the test's, on every worker); the reports also carry which
stage found each finding and which ``(stage, file)`` scopes the test checked, so
the controller can list the entries that no longer occur and, with
``--gc-baseline-update``, rewrite the file for what this run checked only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from genesys_compliance.rules import Baseline, Comparison, Finding, Registry, Scope


def is_worker(config: pytest.Config) -> bool:
    """Whether this process is an xdist worker (its reports go to the controller)."""
    return hasattr(config, "workerinput")


class Ledger:
    """The run's findings and gaps, kept from its reports; the plugin's state builds on it."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.strict: bool = config.getoption("gc_strict")
        self.collected: dict[tuple[Any, ...], Finding] = {}
        self.checked = 0
        self.subjects: set[tuple[str, str]] = set()
        self.collection_errors: dict[str, None] = {}
        self.not_run: dict[str, int] = {}
        self.finished = 0  # teardown reports: items may share a node id (schemathesis' do)
        self.not_checked: list[str] = []
        self.failed_subjects: dict[str, set[str]] = {}  # configuration id -> failing rule ids
        self.stage_gaps: list[str] = []  # what a later stage (the plan) could not do
        self.baseline: Baseline | None = None  # what tests judge against (--gc-baseline)
        self.staged: dict[tuple[Any, ...], tuple[str, Finding]] = {}  # with a baseline only
        self.scopes: set[Scope] = set()
        self.comparison: Comparison | None = None
        self.baseline_lines: list[tuple[str, bool]] = []  # (line, is a problem)

    @property
    def registry(self) -> Registry:
        """The run's rule registry, for the SARIF catalogue (the plugin's state provides it)."""
        raise NotImplementedError

    @property
    def directories(self) -> list[Path]:
        """The configuration folders of the run (the plugin's state provides them)."""
        raise NotImplementedError

    def directory_problem(self) -> str | None:
        """Why the configuration folders cannot be read, or ``None`` (the state provides it)."""
        raise NotImplementedError

    def load_baseline(self) -> str | None:
        """Read ``--gc-baseline``; why it cannot be used, or ``None`` (also when none is given).

        A missing file is a usage error unless ``--gc-baseline-update`` is given, so a
        wrong path or a deleted file never turns into a run with nothing known; the
        update judges against an empty baseline then, so its findings still fail.
        """
        given: str | None = self.config.getoption("gc_baseline")
        update: bool = self.config.getoption("gc_baseline_update")
        if given is None and update:
            return "--gc-baseline-update needs --gc-baseline FILE: the file to write"
        if given is None:
            return None  # and nothing imported: most runs never ask for a baseline
        from genesys_compliance.rules import Baseline, BaselineError, read_baseline

        path = Path(self.config.invocation_params.dir, given)
        if not path.exists() and not path.is_symlink():
            if update:
                self.baseline = Baseline()
                return None
            return (
                f"--gc-baseline: baseline file not found: {given} (write it with "
                "--gc-baseline-update, review it and commit it)"
            )
        try:
            self.baseline = read_baseline(path)
        except BaselineError as error:
            return (
                f"--gc-baseline: {error}; fix it, or delete it and write it again "
                "with --gc-baseline-update"
            )
        return None

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """Remember what failed to collect; xdist forwards workers' failures here, once each."""
        if report.failed:
            self.collection_errors[report.nodeid or "."] = None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Gather findings where reports end up: the controller under xdist, else here."""
        if report.when == "teardown":
            self.finished += 1
        reason: str | None = getattr(report, "gc_not_run", None)
        if reason is not None:
            self.not_run[reason] = self.not_run.get(reason, 0) + 1
        raw = getattr(report, "gc_findings", None)
        if raw is None:
            return
        from genesys_compliance.rules import Finding

        self.checked += 1
        self.subjects.update(
            (kind, subject) for kind, subject in getattr(report, "gc_subjects", ())
        )
        stages: list[str] = getattr(report, "gc_stages", None) or ["validate"] * len(raw)
        for item, stage in zip(raw, stages, strict=True):
            finding = Finding.from_dict(item)
            key = tuple(item.values())
            self.collected.setdefault(key, finding)
            if self.baseline is not None:
                self.staged.setdefault((stage, *key), (stage, finding))
        self.scopes.update((stage, file) for stage, file in getattr(report, "gc_scopes", ()))
        if report.failed:  # the contract and org suites' verdicts count for the apply gate too
            found = (Finding.from_dict(item) for item in raw)
            rules = {f.rule_id for f in found if f.fails(strict=self.strict)}
            for kind, subject in getattr(report, "gc_subjects", ()):
                if kind != "file":
                    self.failed_subjects.setdefault(subject, set()).update(rules or {"test"})

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Say what the run did not check, then write SARIF and Allure's run files, once each.

        Only the controller writes them, so ``-n auto`` leaves one copy of each.
        """
        if is_worker(self.config):
            return
        self.not_checked = self._gaps(session, exitstatus)
        if self.baseline is not None:
            self._settle_baseline(self.baseline)
        if self.config.getoption("gc_sarif"):
            self._write_sarif(self.not_checked)
        if self.config.getoption("allure_report_dir", None):
            self._write_allure_run_files()

    def _settle_baseline(self, baseline: Baseline) -> None:
        """Compare the run with its baseline; with ``--gc-baseline-update``, rewrite the file.

        Only what this run checked is judged: entries of files it did not check are
        neither fixed nor dropped, and a file under the configuration folders that is
        gone counts as checked. Waived findings are never written (their waiver is
        their exception). The rewrite happens after a ``--collect-only`` run too: no
        scope was checked, so it keeps every entry.
        """
        from genesys_compliance.rules import entries_of, write_baseline

        given: str = self.config.getoption("gc_baseline")
        staged = self.staged.values()
        found = [entry for stage, finding in staged for entry in entries_of([finding], stage)]
        checked = self.scopes | baseline.missing_files(self.config.rootpath, self.directories)
        self.comparison = baseline.compare(found, checked)
        self.baseline_lines = [(line, False) for line in self.comparison.lines(given)]
        if not self.config.getoption("gc_baseline_update"):
            return
        rewritten = baseline.updated(found, checked)
        try:
            write_baseline(Path(self.config.invocation_params.dir, given), rewritten)
        except OSError as error:
            self.baseline_lines.append((f"baseline NOT written to {given}: {error}", True))
            return
        self.baseline_lines.append(
            (
                f"baseline written to {given}: {len(rewritten.entries)} finding(s), "
                f"was {len(baseline.entries)}; this run was judged against the file as it was",
                False,
            )
        )

    def _write_allure_run_files(self) -> None:
        """Allure's ``environment.properties`` (org, region, commit, versions) and categories."""
        from genesys_compliance.reporting.allure_categories import write_categories
        from genesys_compliance.reporting.allure_environment import (
            run_environment,
            write_environment,
        )

        folder = Path(self.config.invocation_params.dir, self.config.getoption("allure_report_dir"))
        org = self.config.getoption("gc_org", None) or "mock"
        write_environment(folder, run_environment(org, os.environ, self.config.rootpath))
        write_categories(folder)

    def _gaps(self, session: pytest.Session, exitstatus: int) -> list[str]:
        """What the run did not check, one reason each; deselection is the user's choice.

        Tests that never finished (no teardown report: not started, or stopped in
        the middle) are counted against what was collected (after deselection), so a
        run stopped by ``-x``, ``--maxfail``, Ctrl-C or collection errors says how
        much it left out; an interrupted run is never complete, even when the
        interruption came after its last test.
        """
        gaps: list[str] = []
        if self.collection_errors:
            gaps.append(
                f"{len(self.collection_errors)} collection error(s) in "
                f"{', '.join(self.collection_errors)}: their tests did not run"
            )
        gaps += [
            f"{count} test(s) that need the org did not run: {reason}"
            for reason, count in self.not_run.items()
        ]
        if self.config.option.collectonly:
            return [*gaps, "--collect-only: no test ran"]
        gaps += self.stage_gaps
        missed = session.testscollected - self.finished
        if missed <= 0 and exitstatus == pytest.ExitCode.INTERRUPTED:
            gaps.append("the run was interrupted")
        if missed > 0:
            why = session.shouldfail or session.shouldstop
            if not why:
                why = (
                    "pytest stops at collection errors"
                    if self.collection_errors and exitstatus == pytest.ExitCode.INTERRUPTED
                    else "the run was interrupted"
                )
            gaps.append(f"{missed} collected test(s) did not run ({why})")
        return gaps

    def _write_sarif(self, not_checked: list[str]) -> None:
        from genesys_compliance.reporting import write_sarif

        path = Path(self.config.invocation_params.dir, self.config.getoption("gc_sarif"))
        given = self.config.getoption("gc_baseline")
        write_sarif(
            path,
            self.findings(),
            self.registry,
            self.config.rootpath,
            not_checked=not_checked,
            baseline=None if self.comparison is None else (given, self.comparison),
        )

    def usage_error(self, reason: str) -> pytest.UsageError:
        """The usage error to raise for ``reason``, after a SARIF log saying nothing was checked.

        Written so a log left by an earlier run cannot be uploaded as this run's.
        """
        if self.config.getoption("gc_sarif") and not is_worker(self.config):
            self._write_sarif([f"nothing was checked: {reason}"])
        return pytest.UsageError(f"genesys-compliance: {reason}")

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Summarise findings by rule and by file, and say what the run did not check."""
        if is_worker(self.config) or not (self.checked or self._speaks_for_the_gaps()):
            return
        from genesys_compliance.reporting import summary_lines

        files = sum(1 for kind, _ in self.subjects if kind == "file")
        org = sum(1 for kind, _ in self.subjects if kind == "org")  # the org as a whole
        terminalreporter.section("genesys-compliance findings")
        terminalreporter.write_line(
            f"{self.checked} configuration check(s): {files} file(s), "
            f"{len(self.subjects) - files - org} configuration(s)"
            + (", the org's unmanaged resources" if org else "")
        )
        lines = summary_lines(self.findings(), strict=self.strict, not_checked=self.not_checked)
        for line in lines:
            gap = line.startswith("NOT CHECKED")
            terminalreporter.write_line(line, **({"red": True, "bold": True} if gap else {}))
        for line, problem in self.baseline_lines:
            terminalreporter.write_line(line, **({"red": True, "bold": True} if problem else {}))
        target = self.config.getoption("gc_sarif")
        if target:
            terminalreporter.write_line(f"SARIF written to {target}")

    def _speaks_for_the_gaps(self) -> bool:
        """Whether an incomplete run that checked nothing is this plugin's to report.

        It is when an org-stage test did not run, or when the configuration folders
        exist; a project that never uses the plugin hears nothing from it.
        """
        if not self.not_checked or self.config.option.collectonly:
            return False
        return bool(self.not_run) or self.directory_problem() is None

    def findings(self) -> list[Finding]:
        """Every finding reported by a test of this run, in report order."""
        return sorted(self.collected.values(), key=lambda f: f.sort_key())
