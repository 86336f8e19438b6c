"""Write an export's files as one step: a complete new tree, or the old one untouched.

The new tree is written beside the output folder (same file system), then
put in its place with two renames: the old folder aside, the new one in.
Anything that fails before that (a full disk, a file in the way) removes
the new tree and leaves the old one as it was. Between the two renames the
folder is briefly absent, never half written; a process killed exactly
there leaves both trees complete, the old one as ``.<name>.export-old-*``.

The export owns only the files its manifest (``.genesys-export.json``, a
hidden file, so configuration loaders skip it) lists. On re-export those of
the kinds exported are replaced, and the ones whose resource is gone are
removed; every other file (a README, hand-written configurations, another
kind's files after ``--kind``) is carried over unchanged (hard-linked, else
copied). A folder that holds files but no manifest is not an export, and is
refused rather than emptied; so is a file of the user's where the export
would write.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from genesys_compliance.export._errors import ExportError

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

__all__ = ["MANIFEST", "MANIFEST_FORMAT", "Written", "write_tree"]

MANIFEST = ".genesys-export.json"
MANIFEST_FORMAT = "genesys-compliance/export/v1"


@dataclass(frozen=True, slots=True)
class Written:
    """What replacing the tree did.

    Attributes:
        removed: Files the export owned before whose resources are gone.
        carried: Files it does not own (or owns in kinds not exported), left as they were.
    """

    removed: tuple[str, ...]
    carried: tuple[str, ...]


def write_tree(out: Path, files: Mapping[str, bytes], folders: Collection[str]) -> Written:
    """Make ``out`` hold ``files`` (relative POSIX path to content) for the kinds in ``folders``.

    Args:
        out: The export folder; made if missing.
        files: The new files of the exported kinds.
        folders: The top-level folders those kinds own: their earlier files
            are replaced; owned files elsewhere are kept.

    Raises:
        ExportError: ``out`` is not an export folder, a file of the user's
            is in the way, or the file system refused a write.
    """
    out = Path(os.path.realpath(out))  # a linked folder is replaced where it lives
    owned_before = _manifest(out)
    existing = _files(out) if out.is_dir() else set()
    replaced = {p for p in owned_before if PurePosixPath(p).parts[0] in folders}
    carried = sorted(existing - replaced - {MANIFEST})
    clash = sorted(set(files) & set(carried))
    if clash:
        raise ExportError(
            f"{out / clash[0]} is not a file of an earlier export; move it away, or export "
            "into another folder (the export never overwrites a file it did not write)"
        )
    owned = sorted(set(files) | ((owned_before - replaced) & existing))
    staged = _stage(out)
    try:
        for folder in sorted({str(PurePosixPath(p).parent) for p in files} - {"."}):
            (staged / folder).mkdir(parents=True, exist_ok=True)
        for relpath, content in sorted(files.items()):
            _write(staged / relpath, content)
        for relpath in carried:
            _carry(out / relpath, staged / relpath)
        _write(staged / MANIFEST, _manifest_bytes(owned))
        if out.is_dir():
            _copy_folder_modes(out, staged)
    except OSError as error:
        shutil.rmtree(staged, ignore_errors=True)
        raise ExportError(f"cannot write the export beside {out}: {error}") from None
    _swap(out, staged)
    return Written(tuple(sorted(replaced - set(files))), tuple(carried))


def owned_files(out: Path) -> frozenset[str]:
    """The files an earlier export into ``out`` wrote (none when it is not one)."""
    return _manifest(Path(os.path.realpath(out)))


# ---------------------------------------------------------------- the manifest


def _manifest(out: Path) -> frozenset[str]:
    if not out.exists():
        return frozenset()
    if not out.is_dir():
        raise ExportError(f"{out} is not a folder")
    path = out / MANIFEST
    if not path.is_file():
        if any(out.iterdir()):
            raise ExportError(
                f"{out} holds files but no {MANIFEST}: it is not an export folder; "
                "name a new or empty folder, or one an earlier export wrote"
            )
        return frozenset()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ExportError(f"{path} cannot be read: {error}") from None
    listed = data.get("files") if isinstance(data, dict) else None
    if not isinstance(listed, list) or data.get("format") != MANIFEST_FORMAT:
        raise ExportError(f"{path} is not a manifest of this export format ({MANIFEST_FORMAT})")
    return frozenset(str(p) for p in listed if _safe(str(p)))


def _manifest_bytes(owned: list[str]) -> bytes:
    text = json.dumps({"format": MANIFEST_FORMAT, "files": owned}, indent=1, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def _safe(relpath: str) -> bool:
    """Whether a manifest entry names a file inside the folder (a tampered one cannot reach out)."""
    parts = PurePosixPath(relpath).parts
    return bool(parts) and not PurePosixPath(relpath).is_absolute() and ".." not in parts


# ---------------------------------------------------------------- the files


def _files(root: Path) -> set[str]:
    """Every non-folder entry under ``root`` (links not followed), as relative POSIX paths."""
    found: set[str] = set()
    for current, dirnames, filenames in os.walk(root):
        here = Path(current)
        for name in filenames + [d for d in dirnames if (here / d).is_symlink()]:
            found.add((here / name).relative_to(root).as_posix())
    return found


def _stage(out: Path) -> Path:
    """A new, empty folder beside ``out``, made with the usual permissions (not mkdtemp's 0700)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(16):
        staged = out.parent / f".{out.name}.export-{secrets.token_hex(4)}"
        try:
            staged.mkdir()
        except FileExistsError:
            continue
        except OSError as error:
            raise ExportError(f"cannot write the export beside {out}: {error}") from None
        return staged
    raise ExportError(f"cannot make a folder beside {out} for the export")  # pragma: no cover


def _write(path: Path, content: bytes) -> None:
    """One file of the new tree (its folder made already: one mkdir per folder, not per file)."""
    with open(path, "wb") as handle:
        handle.write(content)


def _carry(source: Path, target: Path) -> None:
    """Put a file that is not the export's into the new tree, unchanged."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_symlink():
        os.symlink(os.readlink(source), target)
        return
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _copy_folder_modes(old: Path, new: Path) -> None:
    for current, _, _ in os.walk(old):
        relative = Path(current).relative_to(old)
        if (new / relative).is_dir():
            shutil.copystat(current, new / relative)


def _swap(out: Path, staged: Path) -> None:
    if not out.exists():
        try:
            os.rename(staged, out)
        except OSError as error:
            shutil.rmtree(staged, ignore_errors=True)
            raise ExportError(f"cannot put the export in place at {out}: {error}") from None
        return
    aside = out.parent / f".{out.name}.export-old-{secrets.token_hex(4)}"
    try:
        os.rename(out, aside)
    except OSError as error:
        shutil.rmtree(staged, ignore_errors=True)
        raise ExportError(f"cannot replace {out}: {error}") from None
    try:
        os.rename(staged, out)
    except OSError as error:
        os.rename(aside, out)
        shutil.rmtree(staged, ignore_errors=True)
        raise ExportError(f"cannot put the export in place at {out}: {error}") from None
    shutil.rmtree(aside, ignore_errors=True)
