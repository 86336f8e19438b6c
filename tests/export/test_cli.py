"""``genesys-compliance export`` through click: output, progress, exit codes (SPEC 9)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import genesys_compliance.cli._export as command
from genesys_compliance.cli._main import main
from genesys_compliance.cli._progress import Progress
from genesys_compliance.errors import ApiError
from genesys_compliance.simorg import GeneratedOrg, generate_org
from tests.export._support import tree

KINDS = ("FlowSettings", "RoutingStrategy", "RoutingRule", "TriggerRule", "DesktopLayout")


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> GeneratedOrg:
    return generate_org(tmp_path_factory.mktemp("cli") / "seed", resources=80, seed=4)


def export(tmp_path: Path, seed: GeneratedOrg, *args: str) -> Result:
    base = ["export", "--seed", str(seed.directory), "--root", str(tmp_path)]
    return CliRunner().invoke(main, [*base, *args], catch_exceptions=False)


def test_export_writes_the_files_and_says_what_it_read(tmp_path: Path, seed: GeneratedOrg) -> None:
    result = export(tmp_path, seed, "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    read = [line.split(":")[0] for line in lines if " resource(s) read in " in line]
    assert read == list(KINDS)  # one plain line per kind, in the order they were read
    assert "\r" not in result.output  # no bar drawn where no one watches
    assert f"exported {seed.total} resource(s) to {tmp_path / 'out'}" in result.output
    assert len([p for p in (tmp_path / "out").rglob("*.yaml")]) == seed.total


def test_json_is_one_document_and_nothing_else(tmp_path: Path, seed: GeneratedOrg) -> None:
    result = export(tmp_path, seed, "--out", str(tmp_path / "out"), "--json")
    assert result.exit_code == 0
    document = json.loads(result.output)
    assert document["exitCode"] == 0
    assert sum(document["counts"].values()) == seed.total == len(document["files"])
    assert document["retriedAfter429"] == 0
    assert document["requests"] == document["minimumRequests"]


def test_kind_filters_what_is_exported(tmp_path: Path, seed: GeneratedOrg) -> None:
    out = tmp_path / "out"
    result = export(
        tmp_path, seed, "--out", str(out), "--kind", "RoutingRule", "--kind", "FlowSettings"
    )
    assert result.exit_code == 0
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["flow-settings", "routing-rule"]


def test_an_unknown_kind_is_a_usage_error(tmp_path: Path, seed: GeneratedOrg) -> None:
    result = export(tmp_path, seed, "--out", str(tmp_path / "out"), "--kind", "Queue")
    assert result.exit_code == 2
    assert not (tmp_path / "out").exists()


def test_a_folder_no_export_wrote_is_a_usage_error(tmp_path: Path, seed: GeneratedOrg) -> None:
    out = tmp_path / "configs"
    out.mkdir()
    (out / "mine.yaml").write_text("x: 1\n", encoding="utf-8")
    before = tree(out)
    result = export(tmp_path, seed, "--out", str(out))
    assert result.exit_code == 2
    assert "not an export folder" in result.output
    assert tree(out) == before


def test_missing_live_credentials_exit_4(
    tmp_path: Path, seed: GeneratedOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("GENESYSCLOUD_OAUTHCLIENT_ID", "GENESYSCLOUD_OAUTHCLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    result = export(tmp_path, seed, "--out", str(tmp_path / "out"), "--org", "live")
    assert result.exit_code == 4
    assert not (tmp_path / "out").exists()


def test_an_org_that_fails_a_read_exits_4_and_writes_nothing(
    tmp_path: Path, seed: GeneratedOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(*_: Any, **__: Any) -> None:
        raise ApiError("the service is unavailable", status=503)

    monkeypatch.setattr(command, "export_org", failing)
    result = export(tmp_path, seed, "--out", str(tmp_path / "out"))
    assert result.exit_code == 4
    assert "could not be read" in result.output
    assert not (tmp_path / "out").exists()


def test_sarif_is_written_with_nothing_to_report(tmp_path: Path, seed: GeneratedOrg) -> None:
    sarif = tmp_path / "export.sarif"
    result = export(tmp_path, seed, "--out", str(tmp_path / "out"), "--sarif", str(sarif))
    assert result.exit_code == 0
    assert json.loads(sarif.read_text(encoding="utf-8"))["runs"][0]["results"] == []


def test_on_a_terminal_each_kind_gets_a_bar_that_counts_its_reads(
    tmp_path: Path, seed: GeneratedOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    bars: list[Recording] = []

    class Recording(Progress):
        def __init__(self, label: str, *, bar: bool, quiet: bool) -> None:
            super().__init__(label, bar=False, quiet=quiet)
            self.label, self.asked, self.length, self.steps = label.strip(), bar, -1, 0
            bars.append(self)

        def start(self, length: int) -> None:
            self.length = length

        def advance(self, steps: int = 1, *, current: str | None = None) -> None:
            self.steps += steps

    monkeypatch.setattr(command, "on_terminal", lambda: True)
    monkeypatch.setattr(command, "Progress", Recording)
    result = export(tmp_path, seed, "--out", str(tmp_path / "out"), "--json")
    document = json.loads(result.output)
    assert [b.label for b in bars] == list(KINDS)
    assert all(b.asked for b in bars)
    reads = document["requests"] - document["tokenRequests"]
    assert sum(b.steps for b in bars) == reads
    assert all(b.length >= 1 for b in bars)
