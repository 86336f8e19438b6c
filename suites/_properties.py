"""What the property suites share: check YAML through the real loader, and independent oracles.

Nothing here calls a rule. Configurations go the way a user's files go
(written to disk, read by the loader, checked by the engine), and what the
findings should be is worked out here from first principles: lines from
PyYAML's own composer, not from the loader's line index.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from hypothesis import note, settings

from genesys_compliance import Finding, Policy, RuleContext, load_run
from genesys_compliance.strategies import Mutation, to_yaml

SEED: str | None = None
"""``--hypothesis-seed`` of this run, when one was given (set by ``conftest.py``)."""


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


def reproduction() -> str:
    """How to get this failure again, in the words of the active profile."""
    profile = settings.get_current_profile_name()
    if settings().derandomize:
        return (
            f"Seed: derandomised (profile {profile!r}): the same command reproduces this failure."
        )
    if SEED is not None:
        return f"Seed: rerun with --hypothesis-seed={SEED} --hypothesis-profile {profile}."
    return (
        f"Seed: random (profile {profile!r}); rerun with the @reproduce_failure decorator "
        "printed with this failure, or replay the profile's example database."
    )


def show(text: str) -> None:
    """Attach the YAML to the report; hypothesis prints it only for the shrunk failure."""
    note(
        f"Counterexample as YAML, ready to paste into a .yaml file:\n---\n{text.rstrip()}\n"
        f"{reproduction()}"
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
