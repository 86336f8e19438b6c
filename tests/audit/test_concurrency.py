"""One writer at a time, across processes and threads: concurrent appenders form one chain."""

from __future__ import annotations

import multiprocessing
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any

from genesys_compliance.audit import verify
from tests.audit.helpers import action, open_log, records_of

PER_WRITER = 300


def _append_many(directory: str, run: str, count: int, start: Any) -> None:
    """One writer (an xdist worker, another run): open the log, wait for the others, append."""
    log = open_log(Path(directory), run=run)
    start.wait()
    for n in range(count):
        log.append(action(n))
    log.checkpoint()


def _assert_one_chain(directory: Path, runs: list[str]) -> None:
    result = verify(directory)
    assert result.ok, result.summary()
    records = records_of(directory)
    assert [r["seq"] for r in records] == list(range(1, len(records) + 1))
    names: dict[str, list[object]] = defaultdict(list)
    for record in records:
        names[str(record["run"])].append(record.get("name", record["action"]))
    assert sorted(names) == sorted(runs)
    for run in runs:  # every record of every writer, each writer's in its own order
        assert names[run] == [f"layout-{n}" for n in range(PER_WRITER)] + ["checkpoint"]


def test_two_processes_appending_at_once_form_one_chain(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    runs = ["run-a", "run-b"]
    writers = [
        context.Process(target=_append_many, args=(str(tmp_path), run, PER_WRITER, start))
        for run in runs
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=120)
    assert [w.exitcode for w in writers] == [0, 0]
    _assert_one_chain(tmp_path, runs)


def test_threads_appending_at_once_form_one_chain(tmp_path: Path) -> None:
    runs = [f"run-{n}" for n in range(4)]
    start = threading.Barrier(len(runs))
    errors: list[BaseException] = []

    def write(run: str) -> None:
        try:
            _append_many(str(tmp_path), run, PER_WRITER, start)
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=write, args=(run,)) for run in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    _assert_one_chain(tmp_path, runs)
