"""``genesys-compliance report``: its usage errors, its refusals, and what it asks of Allure.

A stand-in for Allure's launcher (a shell script laid out as ``npm ci`` lays out
``allure-commandline``) records what it was given and writes the page a test
chooses, so every path of the command is seen without Java; the real Allure is
run by ``test_allure_report.py``.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from genesys_compliance.cli import main
from genesys_compliance.reporting.allure_html import ReportUsageError, find_allure

FAKE_LAUNCHER = """\
#!/bin/sh
out=""
prev=""
for arg in "$@"; do
  [ "$prev" = "--output" ] && out="$arg"
  prev="$arg"
done
here="$(dirname "$0")"
env > "$here/env.txt"
printf '%s\\n' "$@" > "$here/args.txt"
echo "fake allure: generating"
mkdir -p "$out"
cp "$here/page.html" "$out/index.html"
exit "${FAKE_EXIT:-0}"
"""
CLEAN_PAGE = "<!DOCTYPE html><html><head><title>r</title></head><body>ok</body></html>"
TRACKED_PAGE = (
    "<!DOCTYPE html><html><body>"
    '<script async src="https://www.googletagmanager.com/gtag/js?id=G-1"></script>'
    "</body></html>"
)


def install_fake_allure(root: Path, *, version: str = "2.46.1", page: str = CLEAN_PAGE) -> Path:
    """``root/node_modules/allure-commandline`` with the stand-in launcher; its path."""
    package = root / "node_modules" / "allure-commandline"
    bin_dir = package / "dist" / "bin"
    bin_dir.mkdir(parents=True)
    (package / "package.json").write_text(
        json.dumps({"name": "allure-commandline", "version": version}), encoding="utf-8"
    )
    launcher = bin_dir / "allure"
    launcher.write_text(FAKE_LAUNCHER, encoding="utf-8")
    launcher.chmod(launcher.stat().st_mode | stat.S_IXUSR)
    (bin_dir / "page.html").write_text(page, encoding="utf-8")
    return launcher


def results_dir(root: Path) -> Path:
    folder = root / "results"
    folder.mkdir()
    (folder / "0-result.json").write_text('{"name": "t", "status": "passed"}', encoding="utf-8")
    return folder


def report(cwd: Path, *args: str) -> Result:
    here = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, ["report", *args], prog_name="genesys-compliance")
    finally:
        os.chdir(here)


@pytest.fixture
def java(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``JAVA_HOME`` the command accepts (the stand-in launcher never runs Java)."""
    home = tmp_path / "jdk"
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "java").write_text("", encoding="utf-8")
    monkeypatch.setenv("JAVA_HOME", str(home))


def assert_usage_error(result: Result, *phrases: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    for phrase in phrases:
        assert phrase in result.output


@pytest.mark.usefixtures("java")
def test_the_report_is_written_from_the_allure_found_above_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", "fake-secret-for-the-report")
    launcher = install_fake_allure(tmp_path)
    results = results_dir(tmp_path)
    sub = tmp_path / "deep" / "down"
    sub.mkdir(parents=True)
    out = tmp_path / "reports" / "report.html"
    result = report(sub, str(results), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == CLEAN_PAGE
    assert f"report written to {out}" in result.output
    assert "Allure 2.46.1" in result.output
    args = (launcher.parent / "args.txt").read_text(encoding="utf-8").splitlines()
    assert args[:3] == ["generate", "--single-file", str(results)]
    env = (launcher.parent / "env.txt").read_text(encoding="utf-8").splitlines()
    assert "ALLURE_NO_ANALYTICS=true" in env  # no post to Google, no tag in the page
    assert not [line for line in env if line.startswith("GENESYSCLOUD_")]
    assert [p.name for p in out.parent.iterdir()] == ["report.html"]  # no work folder left


@pytest.mark.usefixtures("java")
def test_a_page_that_would_reach_another_host_is_not_written(tmp_path: Path) -> None:
    install_fake_allure(tmp_path, page=TRACKED_PAGE)
    out = tmp_path / "report.html"
    result = report(tmp_path, str(results_dir(tmp_path)), "--out", str(out))
    assert result.exit_code == 1, result.output
    assert "would reach another host, so no report was written" in result.output
    assert "<script src>: https://www.googletagmanager.com/gtag/js?id=G-1" in result.output
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jdk", "node_modules", "results"]


@pytest.mark.usefixtures("java")
def test_allure_failing_exits_1_with_what_it_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_fake_allure(tmp_path)
    monkeypatch.setenv("FAKE_EXIT", "3")
    out = tmp_path / "report.html"
    result = report(tmp_path, str(results_dir(tmp_path)), "--out", str(out))
    assert result.exit_code == 1, result.output
    assert "Allure failed (exit code 3)" in result.output
    assert "fake allure: generating" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_no_allure_installed_is_a_usage_error_naming_npm_ci(tmp_path: Path) -> None:
    result = report(tmp_path, str(results_dir(tmp_path)), "--out", str(tmp_path / "r.html"))
    assert_usage_error(result, "the Allure command line is not installed", "npm ci")


def test_a_named_launcher_that_does_not_exist_is_a_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "allure"
    result = report(
        tmp_path,
        str(results_dir(tmp_path)),
        "--out",
        str(tmp_path / "r.html"),
        "--allure",
        str(missing),
    )
    assert_usage_error(result, str(missing), "npm ci")


@pytest.mark.usefixtures("java")
def test_another_major_version_of_allure_is_a_usage_error(tmp_path: Path) -> None:
    install_fake_allure(tmp_path, version="3.18.0")
    result = report(tmp_path, str(results_dir(tmp_path)), "--out", str(tmp_path / "r.html"))
    assert_usage_error(result, "allure-commandline 3.18.0", "allure-commandline 2.x", "npm ci")


def test_no_java_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install_fake_allure(tmp_path)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = report(tmp_path, str(results_dir(tmp_path)), "--out", str(tmp_path / "r.html"))
    assert_usage_error(result, "needs Java", "no java is on the PATH")


def test_a_java_home_without_java_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_fake_allure(tmp_path)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    result = report(tmp_path, str(results_dir(tmp_path)), "--out", str(tmp_path / "r.html"))
    assert_usage_error(result, f"JAVA_HOME is {tmp_path}", "bin/java")


@pytest.mark.usefixtures("java")
def test_results_that_are_missing_or_empty_are_a_usage_error(tmp_path: Path) -> None:
    install_fake_allure(tmp_path)
    result = report(tmp_path, str(tmp_path / "none"), "--out", str(tmp_path / "r.html"))
    assert_usage_error(result, "is not a folder", "--alluredir")
    (tmp_path / "empty").mkdir()
    result = report(tmp_path, str(tmp_path / "empty"), "--out", str(tmp_path / "r.html"))
    assert_usage_error(result, "holds no Allure results", "--alluredir")


@pytest.mark.usefixtures("java")
def test_out_must_be_given_and_be_a_file(tmp_path: Path) -> None:
    install_fake_allure(tmp_path)
    results = results_dir(tmp_path)
    assert_usage_error(report(tmp_path, str(results)), "Missing option '--out'")
    assert_usage_error(report(tmp_path, str(results), "--out", str(tmp_path)), "--out")


def test_find_allure_takes_the_nearest_install_and_never_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outer = install_fake_allure(tmp_path)
    inner = install_fake_allure(tmp_path / "project")
    assert find_allure(tmp_path / "project") == inner
    assert find_allure(tmp_path / "elsewhere") == outer
    monkeypatch.setenv("PATH", str(outer.parent))  # an allure on the PATH is not looked at
    with pytest.raises(ReportUsageError, match="npm ci"):
        find_allure(Path("/"))
