"""Files that are not plain files: FIFOs, devices, sockets and symbolic links.

Each is one ``config/parse`` finding on line 1 of the file as it sits in the
repository, the run goes on, and the neighbours (``a-neighbour.yaml`` and
``z-neighbour.yaml``, one overlap each) are still checked. The loader, a pytest
run of the plugin (serial and under xdist) and ``genesys-compliance check`` are
each tested.

Runs that could hang (a FIFO opened for reading waits for a writer) or take the
machine's memory (``/dev/zero`` read whole) if the loader regressed are made in a
child process with a timeout and a memory cap, so that a regression fails the
test instead of the machine. The timeout is a guard against a hang, not a
measure of speed: a correct run finishes far inside it.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from genesys_compliance import load_run
from genesys_compliance.config import ParseLimits, discover, load_files, read_file
from tests.config.test_hostile import NEIGHBOUR
from tests.test_plugin import (
    QUIET,
    assert_clean,
    make_project,
    result_key,
    sarif_results,
    summary_outcomes,
)

pytestmark = pytest.mark.skipif(
    sys.platform != "linux", reason="FIFOs, /dev/zero and device nodes as Linux has them"
)

NEIGHBOURS = ("a-neighbour.yaml", "z-neighbour.yaml")
OVERLAP_LINE = 9  # the second widget of a NEIGHBOUR text

HANG_GUARD_SECONDS = 300
MEMORY_CAP = 2 * 1024**3  # address space of a child run: far above its need, far below a disk
CAPPED = f"import resource\nresource.setrlimit(resource.RLIMIT_AS, ({MEMORY_CAP}, {MEMORY_CAP}))\n"
LOADER = CAPPED + textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from genesys_compliance.config import load_files
    sources = load_files([Path(sys.argv[1])], Path(sys.argv[2]))
    print(json.dumps([
        [s.relpath, s.label, s.problem and [s.problem.line, s.problem.message], len(s.documents)]
        for s in sources
    ]))
    """
)
CLI = CAPPED + "from genesys_compliance.cli import main\nmain()\n"
PYTEST = CAPPED + "import sys, pytest\nsys.exit(pytest.main())\n"

REGULAR_ONLY = "; only regular files are read"


# -- the hostile files ---------------------------------------------------------------------------


def make_fifo(path: Path) -> None:
    os.mkfifo(path)


def make_zero_link(path: Path) -> None:
    path.symlink_to("/dev/zero")


def make_socket(path: Path) -> None:
    # A socket path is limited to about 100 bytes; bind by the short relative name.
    cwd = Path.cwd()
    os.chdir(path.parent)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.bind(path.name)
    finally:
        os.chdir(cwd)


def make_block_device(path: Path) -> None:
    """A node of a loop-device number that is not attached: nothing could be read from it.

    Creating a device node needs CAP_MKNOD; without it, link to a block device of the
    machine instead (never opened by a correct loader, only looked at).
    """
    try:
        os.mknod(path, stat.S_IFBLK | 0o600, os.makedev(7, 255))
        return
    except PermissionError:
        pass
    devices = sorted(p for p in Path("/dev").iterdir() if p.is_block_device())
    if not devices:
        pytest.skip("cannot create a block device node and /dev has none to link to")
    path.symlink_to(devices[0])


def make_loop(path: Path) -> None:
    path.symlink_to(path.name)


def make_dangling(path: Path) -> None:
    path.symlink_to("/nonexistent/x.yaml")


Maker = Callable[[Path], None]
# (id, file name, how to make it, the finding's message; a trailing * matches any rest)
SPECIAL_CASES: tuple[tuple[str, str, Maker, str], ...] = (
    ("fifo", "p.yaml", make_fifo, "not a regular file: a FIFO (named pipe)" + REGULAR_ONLY),
    (
        "dev-zero",
        "zero.yaml",
        make_zero_link,
        "not a regular file: a character device (symbolic link to /dev/zero)" + REGULAR_ONLY,
    ),
    ("socket", "s.yaml", make_socket, "not a regular file: a socket" + REGULAR_ONLY),
    ("block-device", "disk.yaml", make_block_device, "not a regular file: a block device*"),
    (
        "symlink-loop",
        "self.yaml",
        make_loop,
        "symbolic link loop: self.yaml -> self.yaml never reaches a file",
    ),
    (
        "dangling-symlink",
        "x.yaml",
        make_dangling,
        "broken symbolic link to /nonexistent/x.yaml: the target does not exist",
    ),
)
SPECIAL = [pytest.param(*case[1:], id=case[0]) for case in SPECIAL_CASES]


def message_matches(message: str, expected: str) -> bool:
    """Equal, or starting with ``expected`` up to a trailing ``*``."""
    if expected.endswith("*"):
        return message.startswith(expected[:-1])
    return message == expected


def write_neighbours(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in NEIGHBOURS:
        (folder / name).write_text(NEIGHBOUR.format(name=name.removesuffix(".yaml")))


@pytest.fixture
def fifo_guard() -> Iterator[list[Path]]:
    """FIFOs to release after the test: wake any process still blocked opening one.

    Only a regressed loader blocks; the workers of a killed xdist run would otherwise
    wait forever. Opening read-write never blocks and counts as the writer they await.
    """
    fifos: list[Path] = []
    yield fifos
    for path in fifos:
        os.close(os.open(path, os.O_RDWR | os.O_NONBLOCK))


def add_special(folder: Path, name: str, maker: Maker, fifo_guard: list[Path]) -> None:
    maker(folder / name)
    if (folder / name).is_fifo():
        fifo_guard.append(folder / name)


@pytest.fixture
def hostile(tmp_path: Path, fifo_guard: list[Path]) -> Callable[[str, Maker], Path]:
    """Make ``configs/<name>`` with ``maker`` between the two neighbours; return the root."""

    def make(name: str, maker: Maker) -> Path:
        folder = tmp_path / "configs"
        write_neighbours(folder)
        add_special(folder, name, maker, fifo_guard)
        return tmp_path

    return make


def run_child(
    args: list[str], cwd: Path, what: str, *, ok: tuple[int, ...] = (0,)
) -> subprocess.CompletedProcess[str]:
    """Run a capped child; a hang or a crash fails the test with what the child said."""
    try:
        done = subprocess.run(
            [sys.executable, *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=HANG_GUARD_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{what} hung: no result after {HANG_GUARD_SECONDS} s")
    assert done.returncode in ok, f"{what} exited {done.returncode}:\n{done.stderr[-3000:]}"
    return done


# -- the loader ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "maker", "message"), SPECIAL)
def test_loader_gives_a_special_file_one_finding_and_reads_its_neighbours(
    hostile, name, maker, message
):
    root = hostile(name, maker)
    done = run_child(["-c", LOADER, "configs", "."], root, "load_files")
    loaded = {relpath: rest for relpath, *rest in json.loads(done.stdout)}
    assert sorted(loaded) == sorted(f"configs/{n}" for n in (*NEIGHBOURS, name))
    label, problem, documents = loaded[f"configs/{name}"]
    assert label == name
    assert problem[0] == 1
    assert message_matches(problem[1], message), problem[1]
    assert documents == 0
    for neighbour in NEIGHBOURS:
        assert loaded[f"configs/{neighbour}"] == [neighbour, None, 1]


def test_read_file_refuses_a_directory(tmp_path):
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    source = read_file(folder, "folder.yaml", "folder.yaml", ParseLimits())
    assert source.problem is not None
    assert (source.problem.line, source.problem.message) == (
        1,
        "not a regular file: a directory" + REGULAR_ONLY,
    )


def test_a_file_that_grows_past_the_limit_is_read_only_to_the_limit_plus_one_byte(
    tmp_path, monkeypatch
):
    path = tmp_path / "growing.yaml"
    path.write_bytes(b"#" * 4096)
    real_fstat, real_read = os.fstat, os.read
    read_total = 0

    def fstat_when_small(descriptor: int) -> os.stat_result:
        """The size the file had when it was opened: under the limit."""
        info = list(real_fstat(descriptor))
        info[stat.ST_SIZE] = 100
        return os.stat_result(info)

    def counting_read(descriptor: int, size: int) -> bytes:
        nonlocal read_total
        chunk = real_read(descriptor, size)
        read_total += len(chunk)
        return chunk

    monkeypatch.setattr(os, "fstat", fstat_when_small)
    monkeypatch.setattr(os, "read", counting_read)
    source = read_file(path, "growing.yaml", "growing.yaml", ParseLimits(max_bytes=1024))
    monkeypatch.undo()
    assert source.problem is not None
    assert source.problem.line == 1
    assert source.problem.message.startswith("file is larger than the ")
    assert "it grew while it was read" in source.problem.message
    assert read_total == 1025


def test_two_links_looping_through_each_other_are_two_findings(tmp_path):
    folder = tmp_path / "configs"
    write_neighbours(folder)
    (folder / "ping.yaml").symlink_to("pong.yaml")
    (folder / "pong.yaml").symlink_to("ping.yaml")
    sources = {s.relpath: s for s in load_files([folder], tmp_path)}
    assert sorted(sources) == [
        "configs/a-neighbour.yaml",
        "configs/ping.yaml",
        "configs/pong.yaml",
        "configs/z-neighbour.yaml",
    ]
    problems = {relpath: s.problem for relpath, s in sources.items() if s.problem is not None}
    assert {relpath: (p.line, p.message) for relpath, p in problems.items()} == {
        "configs/ping.yaml": (1, "symbolic link loop: ping.yaml -> pong.yaml never reaches a file"),
        "configs/pong.yaml": (1, "symbolic link loop: pong.yaml -> ping.yaml never reaches a file"),
    }


# -- naming: the file as it sits in the repository -----------------------------------------------


def test_a_link_is_named_by_its_own_path_not_its_target(tmp_path):
    folder = tmp_path / "configs"
    write_neighbours(folder)
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "target.yaml").write_text(NEIGHBOUR.format(name="linked"))
    (folder / "link.yaml").symlink_to("../shared/target.yaml")
    findings = load_run([folder], tmp_path).all_findings()
    assert [(f.file, f.rule_id, f.line) for f in findings] == [
        ("configs/a-neighbour.yaml", "layout/overlap", OVERLAP_LINE),
        ("configs/link.yaml", "layout/overlap", OVERLAP_LINE),
        ("configs/z-neighbour.yaml", "layout/overlap", OVERLAP_LINE),
    ]


def test_a_link_to_a_file_outside_the_root_is_named_inside_the_root(tmp_path):
    root, outside = tmp_path / "repo", tmp_path / "outside"
    folder = root / "configs"
    write_neighbours(folder)
    outside.mkdir()
    (outside / "target.yaml").write_text(NEIGHBOUR.format(name="far"))
    (folder / "far.yaml").symlink_to(outside / "target.yaml")
    found = [(relpath, label) for _, relpath, label in discover([folder], root)]
    assert ("configs/far.yaml", "far.yaml") in found
    assert not [relpath for relpath, _ in found if "outside" in relpath]


def test_a_dangling_link_is_a_finding_on_the_link(tmp_path):
    folder = tmp_path / "configs"
    write_neighbours(folder)
    make_dangling(folder / "x.yaml")
    findings = load_run([folder], tmp_path).all_findings()
    assert [(f.file, f.rule_id, f.line) for f in findings] == [
        ("configs/a-neighbour.yaml", "layout/overlap", OVERLAP_LINE),
        ("configs/x.yaml", "config/parse", 1),
        ("configs/z-neighbour.yaml", "layout/overlap", OVERLAP_LINE),
    ]
    assert findings[1].message == (
        "broken symbolic link to /nonexistent/x.yaml: the target does not exist"
    )


def test_two_dangling_links_to_one_target_are_two_findings(tmp_path):
    folder = tmp_path / "configs"
    folder.mkdir()
    make_dangling(folder / "one.yaml")
    make_dangling(folder / "two.yaml")
    sources = load_files([folder], tmp_path)
    assert [(s.relpath, s.problem is not None) for s in sources] == [
        ("configs/one.yaml", True),
        ("configs/two.yaml", True),
    ]


def test_a_file_and_a_link_to_it_are_read_once_under_the_file_s_own_name(tmp_path):
    folder = tmp_path / "configs"
    write_neighbours(folder)
    (folder / "a-alias.yaml").symlink_to("a-neighbour.yaml")  # sorts before its target
    found = [(relpath, label) for _, relpath, label in discover([folder, folder], tmp_path)]
    assert found == [
        ("configs/a-neighbour.yaml", "a-neighbour.yaml"),
        ("configs/z-neighbour.yaml", "z-neighbour.yaml"),
    ]


def test_a_root_reached_through_a_symlinked_folder_still_gives_relative_paths(tmp_path):
    real = tmp_path / "real"
    write_neighbours(real / "configs")
    (tmp_path / "via").symlink_to(real, target_is_directory=True)
    found = [relpath for _, relpath, _ in discover([real / "configs"], tmp_path / "via")]
    assert found == ["configs/a-neighbour.yaml", "configs/z-neighbour.yaml"]
    found = [relpath for _, relpath, _ in discover([tmp_path / "via" / "configs"], real)]
    assert found == ["configs/a-neighbour.yaml", "configs/z-neighbour.yaml"]


# -- the plugin, serial and under xdist ----------------------------------------------------------


def run_plugin(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """pytest over the suites in a capped child of ``pytester``; a hang fails the test."""
    try:
        return pytester.run(
            sys.executable,
            "-c",
            PYTEST,
            *QUIET,
            "--gc-config-dir",
            "configs",
            "-rA",
            *args,
            timeout=HANG_GUARD_SECONDS,
        )
    except pytester.TimeoutExpired:
        pytest.fail(f"the pytest run hung: no result after {HANG_GUARD_SECONDS} s")


@pytest.mark.parametrize(
    "workers", [pytest.param((), id="serial"), pytest.param(("-n", "2"), id="xdist")]
)
def test_plugin_fails_each_special_file_s_test_and_checks_its_neighbours(
    pytester, fifo_guard, workers
):
    folder = make_project(pytester, {n: NEIGHBOUR.format(name=n[:-5]) for n in NEIGHBOURS})
    for _, name, maker, _ in SPECIAL_CASES:
        add_special(folder, name, maker, fifo_guard)
    result = run_plugin(pytester, "--gc-sarif", "out.sarif", *workers)
    assert_clean(result)
    # one file test per special file fails, both neighbours' layouts fail on their overlap
    # (a clean file has no file test: its configurations' tests are its checks); the four
    # suites whose kind has no configuration here have no test at all
    result.assert_outcomes(failed=len(SPECIAL_CASES) + 2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    outcomes = summary_outcomes(result)
    text = "\n".join(result.outlines)
    assert {line for line in outcomes if "test_files.py" in line} == {
        f"FAILED test_files.py::test_file_is_readable[{name}]" for _, name, _, _ in SPECIAL_CASES
    }  # exactly one file test per special file, none for the neighbours
    for _, name, _, message in SPECIAL_CASES:
        assert f"  configs/{name}:1  config/parse  {message.removesuffix('*')}" in text
    for neighbour in NEIGHBOURS:
        layout = f"{neighbour}::{neighbour.removesuffix('.yaml')}"
        assert f"FAILED test_layouts.py::test_layout_complies[{layout}]" in outcomes
        assert f"  configs/{neighbour}:{OVERLAP_LINE}  layout/overlap  widget 'b' " in text
    _, results = sarif_results(pytester.path / "out.sarif")
    located = sorted(result_key(r)[:4] for r in results)
    expected = sorted(
        [("config/parse", f"configs/{name}", 1) for _, name, _, _ in SPECIAL_CASES]
        + [("layout/overlap", f"configs/{n}", OVERLAP_LINE) for n in NEIGHBOURS]
    )
    assert [item[:3] for item in located] == expected
    messages = {uri: message for _, uri, _, message in located}
    for _, name, _, message in SPECIAL_CASES:
        assert message_matches(messages[f"configs/{name}"], message)


def test_plugin_names_a_symlinked_file_by_its_own_path(pytester):
    folder = make_project(pytester, {n: NEIGHBOUR.format(name=n[:-5]) for n in NEIGHBOURS})
    (pytester.path / "shared").mkdir()
    (pytester.path / "shared" / "target.yaml").write_text(NEIGHBOUR.format(name="linked"))
    (folder / "link.yaml").symlink_to("../shared/target.yaml")
    make_dangling(folder / "x.yaml")
    result = run_plugin(pytester, "--gc-sarif", "out.sarif")
    assert_clean(result)
    text = "\n".join(result.outlines)
    assert "shared/target.yaml" not in text
    assert "/nonexistent/x.yaml:1" not in text
    assert f"  configs/link.yaml:{OVERLAP_LINE}  layout/overlap  " in text
    assert "  configs/x.yaml:1  config/parse  broken symbolic link to /nonexistent/x.yaml" in text
    _, results = sarif_results(pytester.path / "out.sarif")
    assert sorted(result_key(r)[1] for r in results) == [
        "configs/a-neighbour.yaml",
        "configs/link.yaml",
        "configs/x.yaml",
        "configs/z-neighbour.yaml",
    ]


# -- the command line ----------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "maker", "message"), SPECIAL)
def test_cli_check_reports_the_special_file_and_its_neighbours(hostile, name, maker, message):
    root = hostile(name, maker)
    done = run_child(["-c", CLI, "check", "--root", ".", "configs"], root, "check", ok=(1,))
    assert "Traceback" not in done.stderr
    lines = done.stdout.splitlines()
    [special] = [line for line in lines if line.startswith(f"configs/{name}:")]
    prefix = f"configs/{name}:1  config/parse  "
    assert special.startswith(prefix)
    assert message_matches(special.removeprefix(prefix), message), special
    for neighbour in NEIGHBOURS:
        assert any(
            line.startswith(f"configs/{neighbour}:{OVERLAP_LINE}  layout/overlap  ")
            for line in lines
        )


def test_cli_check_names_a_symlinked_file_by_its_own_path(tmp_path):
    folder = tmp_path / "configs"
    write_neighbours(folder)
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "target.yaml").write_text(NEIGHBOUR.format(name="linked"))
    (folder / "link.yaml").symlink_to("../shared/target.yaml")
    done = run_child(["-c", CLI, "check", "--root", ".", "configs"], tmp_path, "check", ok=(1,))
    assert f"configs/link.yaml:{OVERLAP_LINE}  layout/overlap  " in done.stdout
    assert "shared/target.yaml" not in done.stdout
