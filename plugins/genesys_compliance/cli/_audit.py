"""``audit verify``: whether the audit log is whole and its checkpoints signed (SPEC 7)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from genesys_compliance.audit import AuditError, Verification, verify
from genesys_compliance.cli._main import main


@main.group()
def audit() -> None:
    """Check the audit log the apply stage writes (SPEC 7).

    \b
    Example:
      genesys-compliance audit verify reports/audit --public-key audit.pub.pem
    """  # noqa: D301 (click's \b keeps the example lines as written)


def _head_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A head is a SHA-256: 64 hex digits, compared in lowercase."""
    if value is None:
        return None
    head = value.strip().lower()
    if len(head) != 64 or any(c not in "0123456789abcdef" for c in head):
        raise click.BadParameter(f"{value!r} is not a SHA-256 (64 hex digits)")
    return head


@audit.command("verify")
@click.argument("directory", metavar="DIR", type=click.Path(path_type=Path))
@click.option(
    "--public-key",
    metavar="PEM",
    type=click.Path(path_type=Path),
    help="Ed25519 public key (PEM) that checks the checkpoints' signatures",
)
@click.option(
    "--head",
    metavar="SHA256",
    callback=_head_option,
    help="a checkpoint head kept outside the log (the apply.completed webhook's): "
    "some checkpoint must carry it",
)
@click.option("--json", "as_json", is_flag=True, help="print one JSON document instead of the text")
def audit_verify(directory: Path, public_key: Path | None, head: str | None, as_json: bool) -> None:
    """Verify DIR/audit.jsonl: its hash chain, checkpoint signatures and head.

    Reads every line and stops at the first record that cannot be trusted,
    naming its seq, its line and what happened to it: edited, removed,
    inserted, reordered, torn by a crash, not JSON, a bad signature, or (with
    --head) a log cut short or replaced. DIR may also be the file itself.

    Signed checkpoints need --public-key: a signature that was not checked is
    not passed as good. With it, every checkpoint from the first signed one on
    must be signed by that key.

    Exits 0 when the log is whole and every signature good, 1 naming the first
    bad seq, 2 on a usage error (no such DIR or file, an unreadable key, a
    malformed head).

    \b
    Examples:
      genesys-compliance audit verify reports/audit --public-key audit.pub.pem
      # with the head of the last apply.completed webhook, kept by its receiver:
      genesys-compliance audit verify reports/audit --head "$(cat head.txt)"
    """  # noqa: D301 (click's \b keeps the examples' lines as written)
    try:
        result = verify(directory, public_key=public_key, head=head)
    except AuditError as error:
        raise click.UsageError(str(error)) from None
    if as_json:
        click.echo(json.dumps(_verification_json(result), indent=2))
    else:
        click.echo(result.summary())
    if not result.ok:
        sys.exit(1)


def _verification_json(result: Verification) -> dict[str, Any]:
    """The ``audit verify --json`` document: the counts and the first problem, if any."""
    problem = result.problem
    return {
        "exitCode": 0 if problem is None else 1,
        "file": str(result.path),
        "records": result.records,
        "runs": result.runs,
        "checkpoints": result.checkpoints,
        "signaturesChecked": result.signatures_checked,
        "unsignedCheckpoints": result.unsigned_checkpoints,
        "afterLastCheckpoint": result.uncovered,
        "head": result.head,
        "problem": None
        if problem is None
        else {
            "seq": problem.seq,
            "line": problem.line,
            "kind": problem.kind,
            "message": problem.message,
        },
    }
