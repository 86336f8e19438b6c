"""The terminal summary: what a person reads at the end of a run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from genesys_compliance.rules import Finding

_SHOWN = 40


def _counts(findings: Sequence[Finding], key: str) -> list[str]:
    errors: Counter[str] = Counter()
    warnings: Counter[str] = Counter()
    waived: Counter[str] = Counter()
    known: Counter[str] = Counter()
    for f in findings:
        if f.waived is not None:
            bucket = waived
        elif f.known:  # in the baseline: counted apart so "by rule" shows only what fails
            bucket = known
        else:
            bucket = errors if f.severity == "error" else warnings
        bucket[getattr(f, key)] += 1
    names = sorted(set(errors) | set(warnings) | set(waived) | set(known))
    width = max((len(n) for n in names), default=0)
    return [
        f"  {name:<{width}}  {errors[name]:>4} error(s)  {warnings[name]:>4} warning(s)  "
        f"{waived[name]:>4} waived" + (f"  {known[name]:>4} known" if known else "")
        for name in names
    ]


def summary_lines(
    findings: Sequence[Finding], *, strict: bool = False, not_checked: Sequence[str] = ()
) -> list[str]:
    """Findings by rule and by file, then the ones that did not fail a test, listed.

    Args:
        findings: Every finding of the run.
        strict: Whether warnings fail (``--gc-strict``).
        not_checked: Why part of the run was not checked; each reason gets a
            ``NOT CHECKED:`` line at the end, where it is read, so an incomplete
            run never reads as clean.
    """
    gap = [f"NOT CHECKED: {reason}" for reason in not_checked]
    if not findings:
        if not_checked:
            return ["no findings in what was checked, but the run is incomplete", *gap]
        return ["no findings: every configuration checked complies"]
    failing = sum(1 for f in findings if f.fails(strict=strict))
    lines = [f"{len(findings)} finding(s), {failing} failing", "by rule:"]
    lines += _counts(findings, "rule_id")
    lines.append("by file:")
    lines += _counts(findings, "file")
    quiet = [f for f in findings if not f.fails(strict=strict)]
    if quiet:
        lines.append("warnings, waived and known findings (they do not fail the run):")
        lines += [f"  {f.render()}" for f in quiet[:_SHOWN]]
        if len(quiet) > _SHOWN:
            lines.append(f"  ... and {len(quiet) - _SHOWN} more (see the SARIF output)")
    return [*lines, *gap]
