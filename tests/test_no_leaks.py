"""No client secret or bearer token in any output of a run: terminal, logs, SARIF, JUnit, Allure.

The suites run in a subprocess against the simulated org served over HTTP
(the live path), with debug logging on, then every byte the run wrote is
searched for the secret and for every token the org issued.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from genesys_compliance.simorg import SimOrg, serve
from tests.helpers import suite_file

REPO = Path(__file__).resolve().parents[1]
SECRET = "leak-probe-secret-Zx81QwErTy5"
CLIENT = "leak-probe-client"


def _outputs(result: pytest.RunResult, folder: Path) -> dict[str, str]:
    texts = {"stdout": result.stdout.str(), "stderr": result.stderr.str()}
    for path in folder.rglob("*"):
        if path.is_file() and path.suffix not in {".pyc"}:
            texts[str(path.relative_to(folder))] = path.read_bytes().decode("utf-8", "replace")
    return texts


@pytest.mark.parametrize("secret", [SECRET, "wrong-secret-Qa9Zp2Lm7"])
def test_no_secret_or_token_in_any_output(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, secret: str
) -> None:
    org = SimOrg.from_path(REPO / "fixtures" / "org")
    org.add_client(CLIENT, SECRET)
    for suite in ("test_contract.py", "test_api_contract.py"):
        shutil.copy(suite_file(suite), pytester.path / suite)
    with serve(org) as server:
        monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_ID", CLIENT)
        monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", secret)
        monkeypatch.setenv("GENESYSCLOUD_API_BASE_URL", server.url)
        result = pytester.runpytest_subprocess(
            "-p",
            "no:schemathesis",
            "-p",
            "no:cacheprovider",
            "--gc-org",
            "live",
            "--gc-config-dir",
            str(REPO / "fixtures" / "configs"),
            "--gc-sarif",
            "out/findings.sarif",
            "--junitxml",
            "out/junit.xml",
            "--alluredir",
            "out/allure",
            "--log-cli-level=DEBUG",
            "-rA",
            "--showlocals",
        )
    outputs = _outputs(result, pytester.path / "out")
    assert "findings.sarif" in outputs
    if secret == SECRET:
        assert "junit.xml" in outputs
        assert any(k.startswith("allure") for k in outputs), "allure results were written"
        result.assert_outcomes(passed=30, skipped=6)
        tokens = org.issued_tokens()
        assert tokens, "the run authenticated"
    else:  # refused at session start: one usage error, and a SARIF log saying nothing ran
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        assert "refused the credentials" in outputs["stderr"]
        assert "nothing was checked" in outputs["findings.sarif"]
        tokens = ()
    for name, text in outputs.items():
        assert secret not in text, f"the client secret leaked into {name}"
        for token in tokens:
            assert token not in text, f"a bearer token leaked into {name}"
