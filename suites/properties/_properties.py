"""What the property suites share: check YAML through the real loader, and independent oracles.

Nothing here calls a rule. Configurations go the way a user's files go
(written to disk, read by the loader, checked by the engine), and what the
findings should be is worked out here from first principles: lines from
PyYAML's own composer, not from the loader's line index.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import yaml
from hypothesis import note, settings

from genesys_compliance import Finding, Policy, RuleContext, load_run
from genesys_compliance.strategies import Mutation, suite_settings, to_yaml

SEED: str | None = None
"""``--hypothesis-seed`` of this run, when one was given (set by ``conftest.py``)."""

COUNTEREXAMPLES = Path("reports", "counterexamples")
"""Where a counterexample too long to print is written when its test fails (``conftest.py``)."""

SHOWN_LINES = 100
"""Lines of a counterexample printed with a failure.

Enough for a layout one widget past the limit; a trigger rule one condition
past the limit (270 lines) or a file nested one level past the limit (600)
is cut short, and its note names the file that holds all of it.
"""

WHOLE_FILE = "more lines not shown; the whole file: "
"""What a cut-short counterexample's last line says, before the file's path."""

LONG: dict[Path, str] = {}
"""Long counterexamples noted by the running test, by the file named in the note.

``conftest.py`` writes the ones a failure report names and clears the rest
between tests; nothing is written for a test that passes.
"""

_LONG_KEPT = 16
"""The newest long counterexamples kept: a failing test reports at most a few."""

_Test = TypeVar("_Test", bound=Callable[..., Any])


def no_deadline(test: _Test) -> _Test:
    """Settings for every property of the suites: the project's budget, with no deadline.

    The budget is the active profile's with the project's examples for its
    name (``ci``: 50, derandomised; ``dev``: 10; ``nightly``: 2,000), applied
    here, to the suites' own tests: the plugin changes no profile, so other
    projects' tests in the same environment keep hypothesis' settings
    (``ci``: 100 examples). A slow example on a loaded machine is not a bug in
    anyone's configuration, so the deadline (200 ms in hypothesis' own
    ``default`` profile) is lifted per test too. Everything is read from the
    profile active when the suite is imported.
    """
    return suite_settings(deadline=None)(test)


@dataclass(frozen=True, slots=True)
class Checked:
    """The YAML text written and every finding the run reported for it."""

    text: str
    findings: list[Finding]

    def failing(self) -> list[Finding]:
        """Findings not waived, warnings included: a valid configuration has none at all."""
        return [f for f in self.findings if f.waived is None]

    def ids(self, rule_id: str) -> list[Finding]:
        """Findings of one rule."""
        return [f for f in self.findings if f.rule_id == rule_id]


LOWER, UPPER = ("lower-1", "lower"), ("upper", "upper+1")
"""Edge properties' parameters: each bound of a threshold, and the first value past it."""


def at_edge(edge: str, lower: int, upper: int | None = None) -> int:
    """The value ``edge`` names for the range ``lower..upper`` (``upper`` absent: no upper bound).

    An off-by-one shows only there: ``<=`` written ``<`` refuses ``upper``,
    ``>= 1`` written ``>= 2`` refuses ``lower``, and their outward twins let
    ``upper+1`` and ``lower-1`` through.
    """
    if edge in UPPER:
        assert upper is not None, f"{edge}: this threshold has no upper bound"
        return upper if edge == "upper" else upper + 1
    return lower if edge == "lower" else lower - 1


def edge_property(test: _Test) -> _Test:
    """Settings for a property with a threshold's edge as its parameter: a fifth of the examples.

    Every example sits on the edge, so a rule whose edge moved fails at the
    first one; the examples vary only the rest of the configuration, and the
    ``ci`` budget stays small (10 examples). No deadline, as :func:`no_deadline`.

    Random values would not do: among a test's other draws hypothesis picks
    the first elements of a ``sampled_from`` far more often than the last, and
    50 examples can miss an upper bound altogether (``maxWaitTime: 3601`` was
    never drawn).
    """
    examples = max(5, suite_settings().max_examples // 5)
    return suite_settings(deadline=None, max_examples=examples)(test)


def reproduction() -> str:
    """How to get this failure again, in the words of the active profile."""
    profile = settings.get_current_profile_name()
    active = settings()
    if active.derandomize:
        return (
            f"Seed: derandomised (profile {profile!r}): the same command reproduces this failure."
        )
    if SEED is not None:
        return f"Seed: rerun with --hypothesis-seed={SEED} --hypothesis-profile {profile}."
    ways = [
        "rerun the same command (hypothesis replays it from its example database)"
        if active.database is not None
        else "",
        "paste the @reproduce_failure decorator printed with this failure"
        if active.print_blob
        else "",
    ]
    how = " or ".join(way for way in ways if way) or "rerun with --hypothesis-seed"
    return f"Seed: random (profile {profile!r}); {how}."


def show(text: str) -> None:
    """Attach the YAML to the report; hypothesis prints it only for the shrunk failure.

    Past :data:`SHOWN_LINES` lines only the start is printed, and the note
    names a file under :data:`COUNTEREXAMPLES` that holds the whole example:
    a deep example (the nesting limit is 200 levels) would otherwise flood the
    log, once per failing test. The file is named after its content, so the
    same example is always the same file.
    """
    lines = text.rstrip().splitlines()
    shown = "\n".join(lines[:SHOWN_LINES])
    if len(lines) > SHOWN_LINES:
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
        whole = COUNTEREXAMPLES / f"{digest}.yaml"
        LONG.pop(whole, None)
        LONG[whole] = text
        while len(LONG) > _LONG_KEPT:
            LONG.pop(next(iter(LONG)))
        shown += f"\n# ... {len(lines) - SHOWN_LINES} {WHOLE_FILE}{whole}"
    note(
        f"Counterexample as YAML, ready to paste into a .yaml file:\n---\n{shown}\n{reproduction()}"
    )


def check(
    documents: Sequence[dict[str, Any]], policy: Policy, *, today: date | None = None
) -> Checked:
    """Write ``documents`` as one YAML file in a fresh folder, load and check it with the engine.

    ``tempfile`` rather than ``tmp_path``: the folder must be new for every
    example, and ``tmp_path`` is one folder for the whole test.
    """
    text = to_yaml(*documents)
    show(text)
    with tempfile.TemporaryDirectory(prefix="gc-property-") as folder:
        root = Path(folder)
        (root / "config.yaml").write_text(text, encoding="utf-8")
        run = load_run(
            [root], root, context=RuleContext(policy=policy, today=today or date.today())
        )
        return Checked(text, run.all_findings())


def tokens(ptr: str) -> list[str]:
    """RFC 6901 reference tokens, unescaped."""
    return [t.replace("~1", "/").replace("~0", "~") for t in ptr.split("/")[1:]]


def line_of(text: str, document: int, ptr: str, *, at_key: bool = True) -> int:
    """The line the SPEC says a finding at ``ptr`` points at, from PyYAML's own node marks.

    A field starts at its key (``at_key``), a list item at the item; a
    pointer to something absent points at its nearest present ancestor.
    """
    node = list(yaml.compose_all(text, Loader=yaml.SafeLoader))[document]
    assert node is not None
    line = node.start_mark.line + 1
    for token in tokens(ptr):
        if isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if k.value == token), None)
            if found is None:
                return line
            key, node = found
            line = (key if at_key else node).start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            index = int(token)
            if index >= len(node.value):
                return line
            node = node.value[index]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def depth(node: Any) -> int:
    """Expression depth counted directly: a condition is 1, each logical level adds 1."""
    children = node.get("children") if isinstance(node, dict) else None
    if not children:
        return 1
    return 1 + max(depth(child) for child in children)


def assert_breaks_exactly(mutation: Mutation, policy: Policy) -> None:
    """The mutated file fails with one finding: the mutation's rule, at the mutated element.

    The line comes from :func:`line_of`; a ``config/parse`` finding has no
    pointer and sits where the parser stopped, at the collection itself.
    """
    note(f"Mutation: {mutation!r}")
    checked = check(mutation.documents, policy)
    parse = mutation.rule_id == "config/parse"
    line = line_of(checked.text, mutation.document, mutation.pointer, at_key=not parse)
    failing = checked.failing()
    assert [(f.rule_id, f.line) for f in failing] == [(mutation.rule_id, line)], (
        f"expected only {mutation.rule_id} at line {line}, got:\n"
        + "\n".join(f"  {f.render()}  [{f.pointer}]" for f in checked.findings)
    )
    if not parse:
        assert failing[0].pointer == mutation.pointer
    waived = sorted(f.rule_id for f in checked.findings if f.waived is not None)
    assert waived == sorted(mutation.waived)


def assert_complies(checked: Checked) -> None:
    """No finding at all, warnings and waived ones included."""
    assert checked.findings == [], "\n".join(f.render() for f in checked.findings)
