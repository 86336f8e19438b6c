"""No byte of a credential in anything an apply run leaves behind (issue 9).

Two real ``pytest --gc-apply`` runs in subprocesses, authenticated as a live
org would be (``--gc-org live`` and the ``GENESYSCLOUD_*`` variables, pointed at
the simulated org served over HTTP by the server ``genesys-compliance-simorg``
runs, here on a thread of the test so that the org's token store can be read
directly: no control request hands tokens out), with every report switched on, debug
logging to the terminal, a webhook receiver signing with a secret from the
environment, and faults scheduled through the org's control interface:

- the first run meets a 429 and a 503 on reads (the client logs both and
  retries), then a create that fails for good, so it rolls back;
- the second meets a 429 on a write and completes.

Then every byte is searched: every file the runs wrote (plan, audit log,
journal, SARIF, JUnit, every Allure result and attachment), both runs' stdout
and stderr, and every webhook body and header but the signature. The needles
are the client secret, every bearer token the org issued (from its token
store), the webhook secret and its key, each also base64-encoded (at every
alignment, standard and URL-safe), URL-encoded, JSON-escaped and as hex.
Failures name the output and the form, never the value.
"""

from __future__ import annotations

import base64
import json
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from genesys_compliance.simorg import SimOrg, SimOrgControl, serve
from tests.api_support import seed
from tests.helpers import suite_file
from tests.test_plugin import QUIET, make_project
from tests.webhooks.receiver import Receiver

REPO = Path(__file__).resolve().parents[1]
CLIENT = "leak-probe-apply-client"
SECRET_ENV = "GC_LEAK_PROBE_WEBHOOK_SECRET"
# Characters that every encoding below writes differently, so each form is its own needle.
_AWKWARD = "+/=~%&"


@dataclass(frozen=True)
class Needle:
    """One credential, by a label that may be printed, and every spelling of it to look for."""

    label: str
    forms: dict[str, bytes]


def spellings(value: bytes) -> dict[str, bytes]:
    """``value`` raw and in every encoding an output could carry it in (8 bytes or longer)."""
    text = value.decode("latin-1")
    forms = {
        "raw": value,
        "url-encoded": quote(text, safe="").encode(),
        "form-encoded": quote_plus(text).encode(),
        "json-escaped": json.dumps(text)[1:-1].encode(),
        "hex": value.hex().encode(),
    }
    for shift in range(3):
        # Base64 of a longer text holding ``value`` at offset ``shift`` (mod 3) holds this core:
        # the groups touched only by ``value``'s own bytes.
        encoded = base64.b64encode(b"\0" * shift + value)
        core = encoded[4 if shift else 0 :]
        if (shift + len(value)) % 3:
            core = core[:-4]
        forms[f"base64@{shift}"] = core
        forms[f"base64url@{shift}"] = core.translate(bytes.maketrans(b"+/", b"-_"))
    return {name: form for name, form in forms.items() if len(form) >= 8}


def needles(client_secret: str, tokens: tuple[str, ...], webhook_secret: str) -> list[Needle]:
    key = base64.b64decode(webhook_secret.removeprefix("whsec_"))
    found = [
        Needle("the client secret", spellings(client_secret.encode())),
        Needle("the webhook secret", spellings(webhook_secret.encode())),
        Needle("the webhook secret's key", spellings(key)),
        Needle(
            "the webhook secret's key text",
            spellings(webhook_secret.removeprefix("whsec_").encode()),
        ),
    ]
    found += [Needle(f"bearer token #{n}", spellings(t.encode())) for n, t in enumerate(tokens)]
    return found


def leaks(outputs: dict[str, bytes], searched: list[Needle]) -> list[str]:
    """Where each needle was found, as ``label (form) in output``: no value is ever printed."""
    return [
        f"{needle.label} ({form}) in {name}"
        for name, data in outputs.items()
        for needle in searched
        for form, spelled in needle.forms.items()
        if spelled in data
    ]


def files_of(root: Path, prefix: str) -> dict[str, bytes]:
    """Every file under ``root`` the run could have written into, by path."""
    return {
        f"{prefix}:{path.relative_to(root)}": path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def run_outputs(result: pytest.RunResult, root: Path, prefix: str) -> dict[str, bytes]:
    return {
        f"{prefix}:stdout": result.stdout.str().encode(),
        f"{prefix}:stderr": result.stderr.str().encode(),
        **files_of(root, prefix),
    }


def webhook_outputs(receiver: Receiver) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for n, received in enumerate(receiver.received):
        headers = {k: v for k, v in received.headers.items() if k != "webhook-signature"}
        out[f"webhook #{n} headers"] = "\n".join(f"{k}: {v}" for k, v in headers.items()).encode()
        out[f"webhook #{n} body"] = received.body
    return out


@pytest.fixture
def credentials() -> tuple[str, str]:
    """A client secret and a ``whsec_`` webhook secret made for this test."""
    client_secret = f"{secrets.token_urlsafe(18)}{_AWKWARD}{secrets.token_urlsafe(9)}"
    webhook_secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    return client_secret, webhook_secret


def _project(pytester: pytest.Pytester, receiver: Receiver) -> None:
    """The suites over the example configurations, the webhook table, the contract suites."""
    make_project(
        pytester,
        {},
        policy=(
            # The first run's rollback rewrites the flows: the second must not wait on it.
            "min-flow-update-interval = 0\n\n"
            "[[tool.genesys-compliance.webhooks]]\n"
            f'url = "{receiver.url}"\n'
            f'secret-env = "{SECRET_ENV}"\n'
        ),
    )
    shutil.rmtree(pytester.path / "configs")
    shutil.copytree(REPO / "fixtures" / "configs", pytester.path / "configs")
    for suite in ("test_contract.py", "test_api_contract.py"):
        shutil.copy(suite_file(suite), pytester.path / suite)


def _apply_run(pytester: pytest.Pytester, name: str) -> pytest.RunResult:
    """``--gc-apply`` against the live org, every output on, debug logs in the terminal."""
    return pytester.runpytest_subprocess(
        *QUIET,
        "--gc-org",
        "live",
        "--gc-config-dir",
        "configs",
        "--gc-apply",
        "--gc-plan",
        f"out/{name}/plan.json",
        "--gc-audit-dir",
        "out/audit",
        "--gc-sarif",
        f"out/{name}/findings.sarif",
        "--junitxml",
        f"out/{name}/junit.xml",
        "--alluredir",
        f"out/{name}/allure",
        "--log-cli-level=DEBUG",
        "-rA",
        "--showlocals",
    )


def _fired(control: SimOrgControl) -> set[str]:
    return {fault for entry in control.requests() for fault in entry.faults}


def test_no_secret_or_token_in_anything_an_apply_run_leaves(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, credentials: tuple[str, str]
) -> None:
    client_secret, webhook_secret = credentials
    org = SimOrg(seed())  # the system clock: a live org's waits are real
    org.add_client(CLIENT, client_secret)
    outputs: dict[str, bytes] = {}
    with Receiver(webhook_secret) as receiver, serve(org, control=True) as server:
        _project(pytester, receiver)
        monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_ID", CLIENT)
        monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", client_secret)
        monkeypatch.setenv("GENESYSCLOUD_REGION", "mypurecloud.ie")
        monkeypatch.setenv("GENESYSCLOUD_API_BASE_URL", server.url)
        monkeypatch.setenv(SECRET_ENV, webhook_secret)
        with SimOrgControl(server.url) as control:
            control.faults.rate_limit(times=1, retry_after=1, operation="listFlows")
            control.faults.server_error(times=1, status=503, operation="getQueueStrategies")
            failing = control.faults.server_error(
                times=None, status=500, operation="createTriggerRule"
            )
            rolled_back = _apply_run(pytester, "rolled-back")
            outputs.update(run_outputs(rolled_back, pytester.path, "rolled-back"))
            fired = _fired(control)
            control.faults.clear()
            control.faults.rate_limit(times=1, retry_after=1, operation="patchFlowSettings")
            applied = _apply_run(pytester, "applied")
            outputs.update(run_outputs(applied, pytester.path, "applied"))
            fired |= _fired(control)
        outputs.update(webhook_outputs(receiver))
        deliveries = receiver.received

    tokens = org.issued_tokens()
    found = leaks(outputs, needles(client_secret, tokens, webhook_secret))
    assert not found, found  # labels only: a failure must not print what it found

    # The runs did what they were set up to do, or the search above would prove little.
    assert len(tokens) >= 2, "each run authenticated"
    assert rolled_back.ret == pytest.ExitCode.TESTS_FAILED, "\n".join(rolled_back.outlines[-40:])
    rolled_back.stdout.fnmatch_lines(["apply failed: *", "*apply/failed*"])
    assert applied.ret == 0, "\n".join(applied.outlines[-40:])
    applied.stdout.fnmatch_lines(["apply applied: *create*update* (run *)"])
    assert failing.id in fired, "the failing create was hit"
    assert len(fired) == 4, "every scheduled fault hit a request"
    logged = rolled_back.stdout.str() + applied.stdout.str()
    assert "GET /api/v2/architect/flows: 429, waiting 1.0 s (retry 1)" in logged
    assert "PATCH /api/v2/architect/flows/{flowId}: 429, waiting" in logged
    assert "/api/v2/routing/queues/{queueId}/strategies: 503" in logged
    kinds = {json.loads(d.body)["type"] for d in deliveries}
    assert {"apply.started", "apply.resource", "apply.rolled-back", "apply.failed"} <= kinds
    assert "apply.completed" in kinds
    assert all(d.verified for d in deliveries), "every webhook was signed with the secret"
    for name in ("plan.json", "findings.sarif", "junit.xml"):
        assert f"applied:out/applied/{name}" in outputs
    assert "applied:out/audit/audit.jsonl" in outputs
    assert "rolled-back:out/audit/journal.jsonl" in outputs
    assert any("-attachment" in name for name in outputs), "allure attachments were written"


def test_the_search_finds_every_spelling_it_claims_to() -> None:
    """The search itself can fail: a token is found in each encoding of a longer output."""
    token = "gcsim_" + secrets.token_urlsafe(32)
    [needle] = [n for n in needles("s" * 20, (token,), "whsec_" + "a" * 44) if "token" in n.label]
    head = b"Authorization: Bearer "
    line = head + token.encode() + b"\r\n"
    for prefix in (b"", b"a", b"ab"):  # every alignment of the token in a base64 stream
        shift = (len(prefix) + len(head)) % 3
        found = leaks({"b64": base64.b64encode(prefix + line)}, [needle])
        assert f"{needle.label} (base64@{shift}) in b64" in found
        found = leaks({"b64url": base64.urlsafe_b64encode(prefix + line)}, [needle])
        assert f"{needle.label} (base64url@{shift}) in b64url" in found
    assert leaks({"url": quote(f"?t={token}&x=1", safe="").encode()}, [needle])
    awkward = f'secret {_AWKWARD}\\"value'  # a space: URL and form encoding differ
    [secret] = [
        n for n in needles(awkward, (), "whsec_" + "a" * 44) if n.label == "the client secret"
    ]
    for form, spelled in (
        ("url-encoded", quote(awkward, safe="")),
        ("form-encoded", quote_plus(awkward)),
        ("json-escaped", json.dumps(awkward)),
    ):
        found = leaks({"out": f"x={spelled}&y".encode()}, [secret])
        assert found == [f"the client secret ({form}) in out"], form
    assert leaks({"hex": line.hex().encode()}, [needle])
    assert leaks({"json": json.dumps({"t": token}).encode()}, [needle])
    assert leaks({"clean": b"Authorization: Bearer [REDACTED]"}, [needle]) == []
