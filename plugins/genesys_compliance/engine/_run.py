"""The rule engine: from files to findings, without pytest.

A :class:`Run` does the work every configuration shares up front (parsing,
envelope and schema, secrets, waivers, duplicates across files) and runs a
configuration's own rules only when asked (:meth:`Run.check`), so a pytest
worker pays only for the configurations it was given.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from genesys_compliance.config import (
    Document,
    SourceFile,
    dotted,
    key_text,
    load_files,
    pointer,
)
from genesys_compliance.kinds import (
    API_VERSION,
    KINDS,
    NAME_PATTERN,
    Config,
    Kind,
    builtin_registry,
    find_secrets,
)
from genesys_compliance.rules import (
    Finding,
    Policy,
    Registry,
    Rule,
    RuleContext,
    Violation,
    read_waivers,
)

_ENVELOPE_FIELDS = ("apiVersion", "kind", "metadata", "spec")
_MAX_SCHEMA_FINDINGS = 50


@dataclass(eq=False, slots=True)
class Entry:
    """One configuration document of a known kind with a valid name: one test per suite.

    ``config`` is the typed configuration, or ``None`` when the envelope or
    spec does not fit its models (the findings say why).
    """

    kind: Kind
    name: str
    document: Document
    config: Config[Any, Any] | None
    findings: list[Finding] = field(default_factory=list)
    waivers: dict[str, str] = field(default_factory=dict)
    waiver_owners: dict[str, str] = field(default_factory=dict)
    _checked: list[Finding] | None = None

    @property
    def id(self) -> str:
        """``<path within its config folder>::<metadata.name>``: the test id."""
        return f"{self.document.source.label}::{self.name}"

    @property
    def file(self) -> str:
        """Path relative to the run's root directory."""
        return self.document.source.relpath

    @property
    def data(self) -> Any:
        """The document as parsed, for tests that look beyond the models."""
        return self.document.data

    @property
    def spec(self) -> Any:
        """The typed spec, or ``None`` when it does not fit its kind."""
        return None if self.config is None else self.config.spec

    @property
    def metadata(self) -> Any:
        """The typed metadata, or ``None`` when it does not fit its kind."""
        return None if self.config is None else self.config.metadata

    def located(self, rule: Rule, violation: Violation) -> Finding:
        """A finding of this configuration at the violation's line, its waiver applied.

        For checks outside the engine (contract, org): they report exactly as the
        engine's own rules do.
        """
        return self.waive(_located(rule, violation, self.document, self.id))

    def waive(self, finding: Finding) -> Finding:
        """``finding`` marked waived, with the reason and owner, if this configuration waives it."""
        reason = self.waivers.get(finding.rule_id)
        if reason is None:
            return finding
        return replace(finding, waived=reason, waiver_owner=self.waiver_owners.get(finding.rule_id))


def _located(rule: Rule, violation: Violation, document: Document, config: str | None) -> Finding:
    return Finding(
        rule_id=rule.id,
        severity=rule.severity,
        message=violation.message,
        file=document.source.relpath,
        line=document.line_of(violation.pointer),
        pointer=violation.pointer,
        config=config,
    )


def _pydantic_violations(error: ValidationError, prefix: str) -> list[Violation]:
    out: dict[tuple[str, str], Violation] = {}
    for item in error.errors(include_url=False):
        loc, kind = item["loc"], item["type"]
        # A refused key: pydantic writes it with str() (a null key reads "None") and, in a
        # dict, adds a "[key]" step; its input is the key itself, the value the file wrote.
        if kind == "invalid_key" or loc[-1:] == ("[key]",):
            key = item["input"]
            parent = pointer(prefix, *loc[: -1 if kind == "invalid_key" else -2])
            at = parent + pointer(key)
            written = dotted(pointer(key))  # dotted(at) would show an integer key as [1]
            where = f"{dotted(parent)}.{written}" if parent else written
            types = ((bool, "a boolean"), (int, "an integer"), (float, "a number"))
            other = "null" if key is None else type(key).__name__
            what = next((name for cls, name in types if isinstance(key, cls)), other)
            message = f'{where}: a key must be a string, not {what}; quote it ("{written}")'
            out.setdefault((at, message), Violation(at, message))
            continue
        at = pointer(prefix, *loc)
        where = dotted(at)
        if kind == "missing":
            message = f"{where}: required field is missing"
        elif kind == "extra_forbidden":
            message = f"{where}: unknown field"
        else:
            message = f"{where}: {item['msg']} (got {type(item['input']).__name__})"
        out.setdefault((at, message), Violation(at, message))
    return list(out.values())


def _envelope(data: Any) -> tuple[Kind | None, str | None, list[Violation]]:
    """Judge the envelope; return the kind and name when a test can be named after them."""
    if not isinstance(data, dict):
        return (
            None,
            None,
            [
                Violation(
                    "",
                    "a document must be a mapping with apiVersion, kind, "
                    f"metadata and spec, not {type(data).__name__}",
                )
            ],
        )
    problems: list[Violation] = []
    unknown = sorted(key_text(k) for k in data if k not in _ENVELOPE_FIELDS)
    if unknown:
        problems.append(
            Violation(
                pointer(unknown[0]),
                f"unknown top-level field(s): {', '.join(u[:40] for u in unknown)}",
            )
        )
    for required in _ENVELOPE_FIELDS:
        if required not in data:
            problems.append(Violation("", f"{required} is missing"))
    version = data.get("apiVersion")
    if "apiVersion" in data and version != API_VERSION:
        problems.append(
            Violation(
                pointer("apiVersion"),
                f"apiVersion must be {API_VERSION!r}, not {str(version)[:60]!r}",
            )
        )
    kind_name = data.get("kind")
    kind: Kind | None = None
    if "kind" in data:
        kind = KINDS.get(kind_name) if isinstance(kind_name, str) else None
        if kind is None:
            problems.append(
                Violation(
                    pointer("kind"),
                    f"unknown kind {str(kind_name)[:60]!r}; expected one of {', '.join(KINDS)}",
                )
            )
    metadata = data.get("metadata")
    name: str | None = None
    if "metadata" in data and not isinstance(metadata, dict):
        problems.append(Violation(pointer("metadata"), "metadata must be a mapping"))
    elif isinstance(metadata, dict):
        raw_name = metadata.get("name")
        if not isinstance(raw_name, str) or not NAME_PATTERN.match(raw_name):
            at = pointer("metadata", "name") if "name" in metadata else pointer("metadata")
            shown = "is missing" if raw_name is None else f"{str(raw_name)[:70]!r} is not valid"
            problems.append(
                Violation(
                    at,
                    f"metadata.name {shown}: use lowercase letters, digits "
                    "and dashes, 1..63 characters",
                )
            )
        else:
            name = raw_name
    if "spec" in data and not isinstance(data.get("spec"), dict):
        problems.append(Violation(pointer("spec"), "spec must be a mapping"))
    return kind, name, problems


@dataclass(eq=False, slots=True)
class Run:
    """All configurations of one run, checked against one policy and registry."""

    files: list[SourceFile]
    registry: Registry
    context: RuleContext
    entries: list[Entry] = field(default_factory=list)
    file_findings: dict[str, list[Finding]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        with _kept_out_of_young_collections():
            for source in self.files:
                self.file_findings[source.relpath] = self._prepare_file(source)
            self._cross_file()

    # -- preparation ---------------------------------------------------------------------------

    def _rule(self, rule_id: str) -> Rule:
        return self.registry.get(rule_id)

    def _prepare_file(self, source: SourceFile) -> list[Finding]:
        found: list[Finding] = []
        if source.problem is not None:
            found.append(
                Finding(
                    "config/parse",
                    "error",
                    source.problem.message,
                    source.relpath,
                    source.problem.line,
                )
            )
        elif not source.documents:
            found.append(
                Finding(
                    "config/envelope",
                    "error",
                    "the file holds no configuration document",
                    source.relpath,
                    1,
                )
            )
        names: set[tuple[str, str]] = set()
        for document in source.documents:
            entry = self._prepare_document(document, found)
            if entry is None:
                continue
            if (entry.kind.name, entry.name) in names:
                found.append(
                    _located(
                        self._rule("config/envelope"),
                        Violation(
                            pointer("metadata", "name"),
                            f"{entry.kind.name} {entry.name!r} appears twice "
                            "in this file; names identify tests",
                        ),
                        document,
                        None,
                    )
                )
                continue
            names.add((entry.kind.name, entry.name))
            self.entries.append(entry)
        return found

    def _prepare_document(self, document: Document, file_findings: list[Finding]) -> Entry | None:
        data = document.data
        kind, name, problems = _envelope(data)
        envelope = self._rule("config/envelope")
        if kind is None or name is None:
            file_findings.extend(_located(envelope, v, document, None) for v in problems)
            file_findings.extend(
                _located(self._rule("config/secret"), v, document, None) for v in find_secrets(data)
            )
            return None
        entry = Entry(kind=kind, name=name, document=document, config=None)
        add = entry.findings.append
        for violation in problems:
            add(_located(envelope, violation, document, entry.id))
        for violation in find_secrets(data):
            add(_located(self._rule("config/secret"), violation, document, entry.id))
        waivers = read_waivers(data["metadata"].get("waivers"), self.registry, self.context.today)
        entry.waivers, entry.waiver_owners = waivers.granted, waivers.owners
        for violation in waivers.problems:
            add(_located(self._rule("config/waiver"), violation, document, entry.id))
        config = self._typed(entry, problems)
        if config is not None and kind.envelope_check is not None:
            for violation in kind.envelope_check(config):
                add(_located(envelope, violation, document, entry.id))
        entry.config = config
        return entry

    def _typed(self, entry: Entry, envelope_problems: list[Violation]) -> Config[Any, Any] | None:
        kind, document, data = entry.kind, entry.document, entry.document.data
        schema, envelope = self._rule("config/schema"), self._rule("config/envelope")
        metadata = spec = None
        try:
            metadata = kind.metadata_model.model_validate(data["metadata"])
        except ValidationError as error:
            entry.findings.extend(
                _located(envelope, v, document, entry.id)
                for v in _pydantic_violations(error, "metadata")
            )
        raw_spec = data.get("spec")
        if not isinstance(raw_spec, dict):
            return None
        violations: list[Violation] = []
        try:
            spec = kind.spec_model.model_validate(raw_spec)
        except ValidationError as error:
            violations.extend(_pydantic_violations(error, "spec"))
        if kind.extra_schema is not None:
            violations.extend(kind.extra_schema(raw_spec))
        if len(violations) > _MAX_SCHEMA_FINDINGS:
            hidden = len(violations) - _MAX_SCHEMA_FINDINGS
            violations = violations[:_MAX_SCHEMA_FINDINGS]
            violations.append(Violation(pointer("spec"), f"... and {hidden} more schema problems"))
        entry.findings.extend(_located(schema, v, document, entry.id) for v in violations)
        if metadata is None or spec is None or violations or envelope_problems:
            return None
        return Config(
            kind=kind.name, name=entry.name, document=document, metadata=metadata, spec=spec
        )

    def _cross_file(self) -> None:
        groups: dict[tuple[str, str], list[tuple[Entry, str]]] = defaultdict(list)
        for entry in self.entries:
            if entry.config is None:
                continue
            identity = entry.kind.identity(entry.config)
            if identity is not None:
                at, key = identity
                groups[(entry.kind.name, key)].append((entry, at))
        for (kind_name, key), members in groups.items():
            if len(members) < 2:
                continue
            first, first_at = members[0]
            rule = self._rule(KINDS[kind_name].duplicate_rule)
            where = f"{first.file}:{first.document.line_of(first_at)}"
            for entry, at in members[1:]:
                entry.findings.append(
                    _located(
                        rule,
                        Violation(
                            at,
                            f"{kind_name} {key[:80]!r} is already targeted by {first.id} ({where})",
                        ),
                        entry.document,
                        entry.id,
                    )
                )

    # -- checking ------------------------------------------------------------------------------

    def check(self, entry: Entry) -> list[Finding]:
        """Every finding of ``entry``, waivers applied, sorted; computed once."""
        if entry._checked is not None:
            return entry._checked
        found = list(entry.findings)
        if entry.config is not None:
            for rule in self.registry.for_kind(entry.kind.name):
                found.extend(self._run_rule(rule, entry))
        if entry.waivers:
            found = [entry.waive(f) for f in found]
        found.sort(key=Finding.sort_key)
        entry._checked = found
        return found

    def _run_rule(self, rule: Rule, entry: Entry) -> Iterator[Finding]:
        assert entry.config is not None
        try:
            violations = list(rule(entry.config, self.context))
        except Exception as error:
            violations = [
                Violation("", f"the rule itself failed: {type(error).__name__}: {str(error)[:200]}")
            ]
        for violation in violations:
            yield _located(rule, violation, entry.document, entry.id)

    def by_kind(self, kind: str) -> list[Entry]:
        """Entries of one kind, in file order."""
        return [e for e in self.entries if e.kind.name == kind]

    def all_findings(self) -> list[Finding]:
        """Every finding of the run: file-level ones and every entry's, sorted."""
        out = [f for found in self.file_findings.values() for f in found]
        for entry in self.entries:
            out.extend(self.check(entry))
        out.sort(key=Finding.sort_key)
        return out


def load_run(
    directories: Sequence[Path] | Iterable[Path],
    root: Path,
    *,
    policy: Policy | None = None,
    registry: Registry | None = None,
    context: RuleContext | None = None,
) -> Run:
    """Read and prepare every configuration under ``directories``."""
    policy = policy or (context.policy if context else Policy())
    context = context or RuleContext(policy=policy)
    with _kept_out_of_young_collections():
        files = load_files(list(directories), root, policy.parse_limits)
        return Run(files=files, registry=registry or builtin_registry(), context=context)


@contextmanager
def _kept_out_of_young_collections() -> Iterator[None]:
    """Pause the cyclic collector while a run loads, then file what it built as old.

    Loading builds millions of containers that all live as long as the run, and
    no garbage cycles to speak of. With the collector on, each young collection
    re-examines what the last one kept, and the full ones walk every document
    loaded so far: about a fifth of the engine's time at 10,000 configurations,
    none of it freeing anything. Reference counting still frees everything as
    usual. Afterwards ``freeze`` then ``unfreeze`` moves every tracked object to
    the oldest generation at once (CPython merges the lists, it walks none), so
    the young collections that follow do not pay for the load either. That step
    is skipped when someone else has frozen objects, whose freeze must stand;
    the collector's own state is restored as it was.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        if enabled:
            gc.enable()
