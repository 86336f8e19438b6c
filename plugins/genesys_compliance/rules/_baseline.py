"""Baselines: the findings a team accepted on a given day, so a run fails only on new ones.

Adopting the catalogue on an org that already exists means hundreds of
findings on day one. A baseline file records them; later runs judged against
it fail only on findings not in it and report the rest as *known*, never
hidden. A known finding is not a waiver: it carries no reason and no expiry,
only the promise that the file shrinks. Entries that no longer occur are
*fixed*, and the run lists them so the file can shrink.

A finding is matched by its :class:`Fingerprint`: the stage that reported it,
the rule, the file, the configuration and the JSON pointer. Never the line,
so an edit elsewhere in the file keeps every fingerprint; never the message,
which quotes values that change as people edit. Matching counts: two entries
with one fingerprint let two such findings pass, and a third is new.

A run that checked only part of the repository (``-k``, a few test files, a
suite whose org was not reachable) says what it checked as scopes,
``(stage, file)`` pairs (:data:`Scope`): only entries inside them can be fixed or replaced,
so a narrow run neither reports the rest as fixed nor drops them on rewrite.

The file is JSON, one finding per line, sorted and byte-stable, so a rewrite
reads as a small diff in review::

    GenesysComplianceError
    └── BaselineError          the baseline file cannot be read: missing, not JSON,
                               another version, or an entry of the wrong shape
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

from genesys_compliance.errors import GenesysComplianceError
from genesys_compliance.rules._finding import Finding

BASELINE_VERSION = 1
"""The one layout of the file this release reads and writes."""
_TOP_FIELDS = frozenset({"version", "tool", "findings"})
_REQUIRED = ("rule", "file", "config", "pointer", "stage")
_FIELDS = frozenset({*_REQUIRED, "message"})

Scope = tuple[str, str]
"""``(stage, file)``: a stage checked this file in this run, so its entries there are judged."""


class BaselineError(GenesysComplianceError):
    """The baseline file cannot be used; the message names the file and what is wrong."""


class Fingerprint(NamedTuple):
    """What identifies a finding across runs: never its line, never its message."""

    stage: str
    rule: str
    file: str
    config: str | None
    pointer: str


def fingerprint(finding: Finding, stage: str = "validate") -> Fingerprint:
    """The finding's fingerprint as reported by ``stage`` (Allure's feature: ``validate``...).

    The configuration takes part even where a pointer is given: a file of several
    documents has a ``/spec/grid`` in each.
    """
    return Fingerprint(stage, finding.rule_id, finding.file, finding.config, finding.pointer)


@dataclass(frozen=True, slots=True)
class BaselineEntry:
    """One accepted finding; ``message`` is for the reviewer and takes no part in matching."""

    rule: str
    file: str
    config: str | None
    pointer: str
    stage: str = "validate"
    message: str = ""

    @classmethod
    def of(cls, finding: Finding, stage: str = "validate") -> BaselineEntry:
        """The entry that accepts ``finding`` as reported by ``stage``."""
        return cls(
            finding.rule_id, finding.file, finding.config, finding.pointer, stage, finding.message
        )

    @property
    def fingerprint(self) -> Fingerprint:
        """What a finding must match to be known by this entry."""
        return Fingerprint(self.stage, self.rule, self.file, self.config, self.pointer)

    @property
    def scope(self) -> Scope:
        """The ``(stage, file)`` a run must check for this entry to be judged."""
        return (self.stage, self.file)

    def sort_key(self) -> tuple[str, str, str, str, str, str]:
        """File order, then configuration, pointer, rule: how a reviewer reads the file."""
        return (self.file, self.config or "", self.pointer, self.rule, self.stage, self.message)

    def to_dict(self) -> dict[str, Any]:
        """The entry as written, keys in reading order (not alphabetical)."""
        return {
            "rule": self.rule,
            "file": self.file,
            "config": self.config,
            "pointer": self.pointer,
            "stage": self.stage,
            "message": self.message,
        }

    def render(self) -> str:
        """One line for the terminal: ``file  config  pointer  rule  message``."""
        where = " ".join(part for part in (self.file, self.config, self.pointer) if part)
        return f"{where}  {self.rule}  {self.message}".rstrip()


def entries_of(findings: Iterable[Finding], stage: str = "validate") -> list[BaselineEntry]:
    """The entries a baseline written now would hold for ``findings``: waived ones left out.

    A waived finding has its own, dated exception; were it in the baseline too,
    it would stay accepted after the waiver expired.
    """
    return [BaselineEntry.of(f, stage) for f in findings if f.waived is None]


@dataclass(frozen=True, slots=True)
class Comparison:
    """A run against its baseline: how many findings were known and new, which entries are fixed."""

    known: int
    new: int
    fixed: tuple[BaselineEntry, ...]

    def lines(self, path: str, *, shown: int = 40) -> list[str]:
        """What the terminal says about the baseline: counts, then each fixed entry."""
        head = f"baseline {path}: {self.known} known, {self.new} new, {len(self.fixed)} fixed"
        if not self.fixed:
            return [head]
        out = [head, "fixed (in the baseline, no longer found; rewrite it to drop them):"]
        out += [f"  {entry.render()}" for entry in self.fixed[:shown]]
        if len(self.fixed) > shown:
            out.append(f"  ... and {len(self.fixed) - shown} more")
        return out


@dataclass(frozen=True, slots=True)
class Baseline:
    """The accepted findings, sorted; judges findings and compares a run against itself."""

    entries: tuple[BaselineEntry, ...] = ()
    _allowance: Counter[Fingerprint] = field(
        init=False, repr=False, compare=False, default_factory=Counter
    )

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.entries, key=BaselineEntry.sort_key))
        object.__setattr__(self, "entries", ordered)
        self._allowance.update(entry.fingerprint for entry in ordered)

    def judge(self, findings: Iterable[Finding], stage: str = "validate") -> list[Finding]:
        """``findings`` in their order, those the baseline accepts marked ``known``.

        Each entry accepts one finding of one test's batch: of three findings with
        one fingerprint and two entries, the first two (in the order given) are
        known and the third is new. Waived findings are left as they are.
        """
        left: dict[Fingerprint, int] = {}
        out: list[Finding] = []
        for finding in findings:
            if finding.waived is not None:
                out.append(finding)
                continue
            key = fingerprint(finding, stage)
            allowed = left.get(key, self._allowance.get(key, 0))
            left[key] = max(allowed - 1, 0)
            out.append(replace(finding, known=True) if allowed > 0 else finding)
        return out

    def compare(self, found: Iterable[BaselineEntry], checked: Collection[Scope]) -> Comparison:
        """Count known and new among ``found``; list the entries inside ``checked`` not found.

        Args:
            found: The run's unwaived findings as entries (:func:`entries_of`), each once.
            checked: What the run checked; entries outside it are neither fixed nor found.
        """
        remaining = Counter(self._allowance)
        known = new = 0
        for entry in found:
            key = entry.fingerprint
            if remaining[key] > 0:
                remaining[key] -= 1
                known += 1
            else:
                new += 1
        fixed: list[BaselineEntry] = []
        for entry in reversed(self.entries):  # the last of a fingerprint's entries go first
            key = entry.fingerprint
            if entry.scope in checked and remaining[key] > 0:
                remaining[key] -= 1
                fixed.append(entry)
        return Comparison(known, new, tuple(sorted(fixed, key=BaselineEntry.sort_key)))

    def updated(self, found: Iterable[BaselineEntry], checked: Collection[Scope]) -> Baseline:
        """The baseline to write after this run: ``found``, and the entries it did not check.

        Entries inside ``checked`` (or beside a finding found) are replaced by what the
        run found there; the rest are kept, so a narrow run does not drop them.
        """
        fresh = list(found)
        scopes = {*checked, *(entry.scope for entry in fresh)}
        kept = [entry for entry in self.entries if entry.scope not in scopes]
        return Baseline((*kept, *fresh))

    def missing_files(self, root: Path, folders: Sequence[Path]) -> set[Scope]:
        """Scopes of entries whose file, under one of ``folders``, no longer exists.

        A deleted file is checked by no test, yet its entries are plainly fixed.
        Files outside ``folders`` are not this run's to judge.
        """
        within = [Path(os.path.realpath(folder)) for folder in folders]
        out: set[Scope] = set()
        for entry in self.entries:
            path = Path(os.path.realpath(root / entry.file))  # never raises on a loop
            if any(path.is_relative_to(folder) for folder in within) and not path.exists():
                out.add(entry.scope)
        return out

    def to_text(self) -> str:
        """The file's text: one entry per line, sorted; the same entries give the same bytes."""
        head = f'{{\n  "tool": "genesys-compliance",\n  "version": {BASELINE_VERSION},\n'
        if not self.entries:
            return head + '  "findings": []\n}\n'
        lines = ",\n".join(
            "    " + json.dumps(entry.to_dict(), ensure_ascii=False) for entry in self.entries
        )
        return f'{head}  "findings": [\n{lines}\n  ]\n}}\n'


def read_baseline(path: Path) -> Baseline:
    """Read a baseline file.

    Raises:
        BaselineError: The file is missing or unreadable, not UTF-8 JSON, of another
            version, or an entry is not of the written shape. A baseline that cannot
            be read must stop the run: read as empty, every finding would be new; read
            in part, some would pass unseen.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BaselineError(f"baseline file not found: {path}") from None
    except OSError as error:
        raise BaselineError(f"baseline {path} cannot be read: {error.strerror}") from None
    try:
        data = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicate_keys)
    except UnicodeDecodeError as error:
        raise BaselineError(f"baseline {path} is not UTF-8 (byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise BaselineError(
            f"baseline {path} is not JSON: {error.msg} at line {error.lineno}"
        ) from None
    except _DuplicateKeyError as error:
        raise BaselineError(f"baseline {path}: key {error} appears twice in one object") from None
    return Baseline(tuple(_entries(data, path)))


class _DuplicateKeyError(ValueError):
    """A key written twice in one JSON object: which one wins is not for a reader to guess."""


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKeyError(repr(key))
        out[key] = value
    return out


def _entries(data: Any, path: Path) -> Iterable[BaselineEntry]:
    """The entries of a parsed file, or the first reason it is not a baseline."""
    if not isinstance(data, dict) or "findings" not in data:
        raise BaselineError(f'baseline {path}: expected an object with "version" and "findings"')
    unknown = sorted(set(data) - _TOP_FIELDS)
    if unknown:
        raise BaselineError(f"baseline {path}: unknown field(s) {', '.join(unknown)}")
    version = data.get("version")
    if type(version) is not int or version != BASELINE_VERSION:
        raise BaselineError(
            f"baseline {path} is version {version!r}; this release reads version {BASELINE_VERSION}"
        )
    findings = data["findings"]
    if not isinstance(findings, list):
        raise BaselineError(f'baseline {path}: "findings" must be a list')
    for index, item in enumerate(findings):
        yield _entry(item, f"baseline {path}: findings[{index}]")


def _entry(item: Any, where: str) -> BaselineEntry:
    if not isinstance(item, dict):
        raise BaselineError(f"{where} must be an object of {', '.join(_REQUIRED)}, message")
    unknown = sorted(set(item) - _FIELDS)
    if unknown:
        raise BaselineError(f"{where}: unknown field(s) {', '.join(unknown)}")
    missing = [name for name in _REQUIRED if name not in item]
    if missing:
        raise BaselineError(f"{where}: missing {', '.join(missing)}")
    for name in ("rule", "file", "stage"):
        if not isinstance(item[name], str) or not item[name]:
            raise BaselineError(f"{where}: {name} must be a non-empty string")
    if not isinstance(item["pointer"], str):
        raise BaselineError(f'{where}: pointer must be a string ("" for the whole document)')
    if item["config"] is not None and not isinstance(item["config"], str):
        raise BaselineError(f"{where}: config must be a string or null")
    message = item.get("message", "")
    if not isinstance(message, str):
        raise BaselineError(f"{where}: message must be a string")
    return BaselineEntry(
        item["rule"], item["file"], item["config"], item["pointer"], item["stage"], message
    )


def write_baseline(path: Path, baseline: Baseline) -> None:
    """Write the file whole, then move it into place, so a crash leaves the old one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(baseline.to_text(), encoding="utf-8")
    partial.replace(path)
