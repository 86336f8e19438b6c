"""Progress on long work: click's bar on a terminal, plain lines everywhere else.

A person at a terminal wants to see that a long apply or export is moving; a
CI log wants one line per thing done and no carriage returns. So the bar is
drawn only when standard output is a terminal, and never in ``--json``
mode. A bar and lines cannot share a terminal without garbling each other,
so on a terminal the lines wait until the bar is done; elsewhere each line
is printed the moment it is known, so a job killed half-way leaves what it
did in its log.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

import click

__all__ = ["Progress", "on_terminal", "progress"]


def on_terminal() -> bool:
    """Whether standard output is a terminal (a person watching), not a pipe or a CI log."""
    try:
        return bool(sys.stdout.isatty())
    except (AttributeError, ValueError):  # a replaced or closed stream is no terminal
        return False


class Progress:
    """Steps of one piece of work, and the lines it reports.

    Use :func:`progress`; call :meth:`start` once the number of steps is
    known (at once, or when the work announces it), :meth:`advance` per step
    and :meth:`line` for each result line. Output failures (a closed pipe)
    never reach the work: progress is a courtesy, not part of the result.
    """

    def __init__(self, label: str, *, bar: bool, quiet: bool) -> None:
        self._label = label
        self._want_bar = bar and not quiet
        self._quiet = quiet
        self._bar: Any = None  # click's ProgressBar: a private class, typed loosely on purpose
        self._held: list[str] = []
        self._broken = False

    @property
    def drawing(self) -> bool:
        """Whether a bar is on the screen now."""
        return self._bar is not None

    def start(self, length: int) -> None:
        """Begin counting ``length`` steps; draws the bar on a terminal. Called once."""
        if not self._want_bar or self._bar is not None:
            return
        self._bar = click.progressbar(
            length=max(length, 0),
            label=self._label,
            item_show_func=lambda item: item,
            show_pos=True,
        )
        self._bar.__enter__()

    def advance(self, steps: int = 1, *, current: str | None = None) -> None:
        """Count ``steps`` done; ``current`` names what is being worked on, beside the bar."""
        if self._bar is not None:
            self._guard(lambda: self._bar.update(steps, current_item=current))

    def line(self, text: str) -> None:
        """A result line: printed now without a bar, after the bar with one."""
        if self._quiet:
            return
        if self._bar is not None:
            self._held.append(text)
        else:
            self._guard(lambda: click.echo(text))

    def close(self) -> None:
        """Finish the bar and print what waited for it."""
        if self._bar is not None:
            bar, self._bar = self._bar, None
            self._guard(lambda: bar.__exit__(None, None, None))
        held, self._held = self._held, []
        for text in held:
            self._guard(lambda text=text: click.echo(text))

    def _guard(self, write: Any) -> None:
        if self._broken:
            return
        try:
            write()
        except OSError:  # the reader went away: stop talking, let the work finish
            self._broken = True


@contextlib.contextmanager
def progress(label: str, length: int | None = None, *, quiet: bool = False) -> Iterator[Progress]:
    """A :class:`Progress` for the block; a bar only when standard output is a terminal.

    Args:
        label: What the work is (``applying``, ``exporting``), shown before the bar.
        length: The number of steps, when known now; else call ``start`` later.
        quiet: Print nothing at all (``--json``: standard output holds one document).
    """
    tracker = Progress(label, bar=on_terminal(), quiet=quiet)
    if length is not None:
        tracker.start(length)
    try:
        yield tracker
    finally:
        tracker.close()
        if not quiet:
            with contextlib.suppress(OSError):
                sys.stdout.flush()
