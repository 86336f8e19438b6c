"""The export at the size the issue names: a generated org of 3,000 resources (needs the size).

Everything here reads one org and one pair of exports, made once for the module
(about 10 s on a quiet machine): the properties that only show at size, or
whose point is the size (paging at the largest page, hundreds of queues read
one by one, collisions among thousands of names). Properties that hold at any
size are tested on small orgs in ``test_export.py``.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from pathlib import Path

import pytest

from genesys_compliance.apply import Action, Gate, build_plan
from genesys_compliance.engine import Run
from genesys_compliance.export import ExportResult, export_org, omissions
from genesys_compliance.kinds import NAME_PATTERN
from genesys_compliance.rules import Finding
from tests.export._support import checked, generated, tree

SIZE = 3000  # the "a few thousand resources"


class Exported:
    """The module's org and its two exports."""

    def __init__(self, folder: Path) -> None:
        self.made, self.org = generated(folder, SIZE)
        assert self.org.org is not None
        log = self.org.org.requests
        self.first = export_org(self.org.client, folder / "first")
        self.handled = log.entries()  # what the org did for the first export
        self.second = export_org(self.org.client, folder / "second")

    @functools.cached_property
    def checked(self) -> tuple[Run, list[Finding], Gate]:
        """The first export judged as validate and plan judge it (once: it costs seconds)."""
        return checked(self.first.out, self.org)


@pytest.fixture(scope="module")
def at_size(tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return Exported(tmp_path_factory.mktemp("export-at-size"))


def test_every_resource_is_one_file(at_size: Exported) -> None:
    result = at_size.first
    assert dict(result.counts) == dict(at_size.made.counts)
    assert sum(result.counts.values()) == SIZE == len(result.files)
    written = {p.relative_to(result.out).as_posix() for p in result.out.rglob("*.yaml")}
    assert written == {f.path for f in result.files}


def test_two_exports_of_an_unchanged_org_are_byte_identical(at_size: Exported) -> None:
    first, second = tree(at_size.first.out), tree(at_size.second.out)
    assert len(first) == SIZE + 1  # and the manifest
    assert first == second


def test_the_export_plans_as_zero_changes(at_size: Exported) -> None:
    run, _, admitted = at_size.checked
    plan = build_plan(at_size.org.client, admitted)
    planted = {_file(at_size.first, p.kind, p.key) for p in at_size.made.planted}
    assert {r.file for r in plan.not_planned} == planted  # they fail their checks: not planned
    assert plan.counts() == {
        Action.CREATE.value: 0,
        Action.UPDATE.value: 0,
        Action.NO_OP.value: SIZE - len(planted),
        Action.BLOCKED.value: 0,
    }
    assert len(run.entries) == SIZE


def test_the_export_validates_to_the_findings_the_org_really_has(at_size: Exported) -> None:
    _, findings, _ = at_size.checked
    by_path = {f.path: f for f in at_size.first.files}
    found = Counter((by_path[f.file].kind, by_path[f.file].key, f.rule_id) for f in findings)
    expected = Counter((p.kind, p.key, p.rule_id) for p in at_size.made.planted)
    assert len(expected) >= 5  # a few per kind: the test means something
    assert found == expected


def test_paging_and_the_rate_limit_cost_the_minimum_with_no_failed_request(
    at_size: Exported,
) -> None:
    result = at_size.first
    assert result.retried_after_429 == 0
    assert result.requests == result.minimum_requests + result.token_requests
    assert result.token_requests == 1
    queues, counts = at_size.made.queues, at_size.made.counts
    listed = [n for kind, n in counts.items() if kind != "RoutingStrategy"]
    # Each listed kind at the contract's largest page (500); the queues' pages, then each queue.
    least = sum(math.ceil(n / 500) for n in listed) + math.ceil(queues / 500) + queues
    assert result.minimum_requests == least
    handled = Counter(e.operation_id for e in at_size.handled)
    assert handled["getQueueStrategies"] == queues  # each queue once
    assert sum(handled.values()) == result.requests  # the org saw what the client counted
    assert {e.status for e in at_size.handled} == {200}  # not one failed request
    assert {e.method for e in at_size.handled if e.operation_id != "postOAuthToken"} == {"GET"}


def test_names_are_valid_unique_and_collisions_are_told_apart_by_id(at_size: Exported) -> None:
    files = at_size.first.files
    assert all(NAME_PATTERN.match(f.name) for f in files)
    per_kind = Counter((f.kind, f.name) for f in files)
    assert max(per_kind.values()) == 1
    renamed = at_size.first.renamed
    assert len(renamed) >= 20  # the generator folds names together on purpose
    for item in renamed:
        assert item.name.startswith(item.wanted[: len(item.name) - 7])
        assert len(item.name) <= 63
    assert any(f.name == "desktop-layout" or f.name.startswith("desktop-layout-") for f in files)


def test_every_field_left_out_is_on_the_documented_list(at_size: Exported) -> None:
    documented = {o.where: o.reason for o in omissions(at_size.org.contract)}
    met = {o.where: o.reason for o in at_size.first.left_out if o.reason != "null"}
    assert met, "the org's answers hold fields no file keeps (versions, ids, dates)"
    assert {w: documented.get(w) for w in met} == met


def _file(result: ExportResult, kind: str, key: object) -> str:
    [found] = [f.path for f in result.files if f.kind == kind and f.key == key]
    return found
