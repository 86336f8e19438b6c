"""Allure's run files, ``environment.properties`` and ``categories.json``, from the controller.

Written once into the ``--alluredir`` folder at session finish, under ``-n`` too;
the environment names the org, region and commit and the versions, and never a
secret, whatever the environment holds; the categories sort the real failure
messages of a run the way Allure 2 does (the first category that matches).
"""

from __future__ import annotations

import json
import platform
import re
import subprocess
from pathlib import Path

import pytest

from genesys_compliance.errors import RateLimitedError
from genesys_compliance.reporting.allure_categories import (
    CATEGORIES,
    categories_json,
    category_of,
)
from genesys_compliance.reporting.allure_environment import (
    git_commit,
    properties_text,
    run_environment,
)
from genesys_compliance.simorg import SimOrg, serve
from tests.helpers import suite_file
from tests.reporting.conftest import REPO, allure_results, run_with_allure

SECRET = "fake-client-secret-Qm4Xv9Lp2Zr7"
CLIENT = "report-probe-client"
FAILS = "a.yaml::a: 1 finding(s) fail this configuration"  # plugin.py's failure's first line
KEYS = ["org", "region", "commit", "genesys-compliance", "python"]


def read_properties(path: Path) -> dict[str, str]:
    """A properties file as Allure reads the simple ones written here."""
    pairs = (line.split("=", 1) for line in path.read_text(encoding="ascii").splitlines())
    return {key: value for key, value in pairs}


def every_byte(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("workers", ["0", "2"])
def test_the_controller_writes_both_files_once_with_no_secret_in_them(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_ID", CLIENT)
    monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", SECRET)
    monkeypatch.setenv("GENESYSCLOUD_REGION", "eu-west-1")
    result = run_with_allure(project, "-n", workers)
    result.assert_outcomes(failed=3, passed=40)
    folder = project.path / "results"
    assert sorted(p.name for p in folder.glob("*.properties")) == ["environment.properties"]
    environment = read_properties(folder / "environment.properties")
    assert list(environment) == KEYS
    assert environment["org"] == "mock (the simulated org)"
    assert environment["region"] == "none (simulated org)"  # the mock org has no region
    assert environment["commit"] == "unknown"  # pytester's folder is no git repository
    assert environment["genesys-compliance"] == "0.1.0"
    assert environment["python"] == f"{platform.python_version()} (CPython)"
    assert (folder / "categories.json").read_text(encoding="utf-8") == categories_json()
    for name, data in every_byte(folder).items():
        assert SECRET.encode() not in data, f"the client secret is in {name}"


def test_a_live_run_names_its_org_and_region_and_no_secret(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The live path, over real HTTP to the simulated org, as the nightly check runs it."""
    org = SimOrg.from_path(REPO / "fixtures" / "org")
    org.add_client(CLIENT, SECRET)
    (pytester.path / "test_contract.py").write_bytes(suite_file("test_contract.py").read_bytes())
    with serve(org) as server:
        monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_ID", CLIENT)
        monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", SECRET)
        monkeypatch.setenv("GENESYSCLOUD_API_BASE_URL", server.url)
        result = pytester.runpytest_subprocess(
            "-p",
            "no:cacheprovider",
            "-p",
            "no:schemathesis",
            "--gc-org",
            "live",
            "--gc-config-dir",
            str(REPO / "fixtures" / "configs"),
            "--alluredir",
            "results",
        )
    assert result.ret == pytest.ExitCode.OK, result.outlines[-20:]
    folder = pytester.path / "results"
    environment = read_properties(folder / "environment.properties")
    assert environment["org"] == "live"
    assert environment["region"] == "custom API base URL (GENESYSCLOUD_API_BASE_URL)"
    tokens = org.issued_tokens()
    assert tokens, "the run authenticated"
    for name, data in every_byte(folder).items():
        assert SECRET.encode() not in data, f"the client secret is in {name}"
        for token in tokens:
            assert token.encode() not in data, f"a bearer token is in {name}"


@pytest.mark.parametrize(
    ("environ", "region"),
    [
        ({"GENESYSCLOUD_REGION": "eu-west-1"}, "eu-west-1 (mypurecloud.ie)"),
        (
            {"GENESYSCLOUD_REGION": "https://login.mypurecloud.jp"},
            "ap-northeast-1 (mypurecloud.jp)",
        ),
        ({}, "unknown"),  # the client refuses to guess a region, so the report does not
        # a secret pasted where the region goes is never echoed
        ({"GENESYSCLOUD_REGION": SECRET}, "unknown"),
        # a base URL may carry a user and password: named, never shown
        (
            {"GENESYSCLOUD_API_BASE_URL": f"https://u:{SECRET}@api.example.com"},
            "custom API base URL (GENESYSCLOUD_API_BASE_URL)",
        ),
    ],
    ids=["name", "url", "missing", "garbage", "base-url"],
)
def test_a_live_region_is_shown_by_name_only(
    tmp_path: Path, environ: dict[str, str], region: str
) -> None:
    env = {
        "GENESYSCLOUD_OAUTHCLIENT_ID": CLIENT,
        "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET,
        **environ,
    }
    values = run_environment("live", env, tmp_path)
    assert values["org"] == "live"
    assert values["region"] == region
    assert SECRET not in properties_text(values)


def test_the_commit_is_git_head_when_there_is_one(tmp_path: Path) -> None:
    assert git_commit(tmp_path) == "unknown"  # no repository
    env = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp_path)}

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    git("init", "-q")
    assert git_commit(tmp_path) == "unknown"  # a repository without a commit
    git("commit", "-q", "--allow-empty", "-m", "one")
    head = git("rev-parse", "HEAD")
    assert re.fullmatch(r"[0-9a-f]{40}", head)
    assert git_commit(tmp_path) == head


def test_properties_are_escaped_as_java_reads_them() -> None:
    text = properties_text({"a key": "x=y: #1\nnext", "k": "café ☕", "c": " lead"})
    assert text == ("a\\ key=x\\=y\\: \\#1\\nnext\n" + "k=caf\\u00e9 \\u2615\n" + "c=\\ lead\n")


def test_categories_are_the_four_reasons_in_the_order_allure_tries_them() -> None:
    assert [c.name for c in CATEGORIES] == [
        "conflict",
        "rate-limited",
        "contract mismatch",
        "rule violation",
    ]
    written = json.loads(categories_json())
    assert [c["name"] for c in written] == [c.name for c in CATEGORIES]
    assert all(c["matchedStatuses"] and c["messageRegex"] for c in written)


def test_a_runs_real_failures_fall_into_their_categories(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_rate_limited="""
        from genesys_compliance.errors import RateLimitedError

        def test_org_says_slow_down():
            raise RateLimitedError("Rate limit exceeded", status=429, code="too.many.requests")
        """
    )
    run_with_allure(project).assert_outcomes(failed=4, passed=40)
    results = allure_results(project.path / "results")
    sorted_into = {
        name: category_of(r["status"], r["statusDetails"]["message"])
        for name, r in results.items()
        if r["status"] != "passed"
    }
    assert sorted_into == {
        "test_layout_complies[overlap.yaml::wall-board]": "rule violation",
        "test_file_is_readable[broken.yaml]": "rule violation",
        "test_payload_fits_the_contract[bare.yaml::bare]": "contract mismatch",
        "test_org_says_slow_down": "rate-limited",
    }


@pytest.mark.parametrize(
    ("status", "message", "category"),
    [
        (
            "failed",
            "routing/after-hours: 1 finding(s) fail this configuration\n"
            "  configs/a.yaml:3  apply/conflict  maxWaitTime changed in the org since the plan",
            "conflict",
        ),
        (
            "failed",
            "agent-default: 1 finding(s) fail this configuration\n"
            "  configs/a.yaml:3  apply/rollback-conflict  changed again before rollback",
            "conflict",
        ),
        (
            "broken",
            f"genesys_compliance.errors.RateLimitedError: {RateLimitedError('x')}",
            "rate-limited",
        ),
        (
            "failed",
            "apply/failed  PUT /api/v2/flows/1: 429 too.many.requests: slow down",
            "rate-limited",
        ),
        (
            "failed",
            f"{FAILS}\n  x  layout/widget-limit  429 widgets, at most 12",
            "rule violation",
        ),
        (
            "failed",
            f"{FAILS}\n  a.yaml:5  config/schema  API contract: spec.x",
            "contract mismatch",
        ),
        ("broken", FAILS, None),  # a rule fails; it broke
        ("failed", "AssertionError: assert 1 == 2", None),  # Allure's own defects then
    ],
    ids=[
        "conflict",
        "rollback-conflict",
        "error-class",
        "api-error-text",
        "429-in-a-rule",
        "contract",
        "broken",
        "other",
    ],
)
def test_category_of_reads_a_message_as_allure_does(
    status: str, message: str, category: str | None
) -> None:
    assert category_of(status, message) == category  # type: ignore[arg-type]
