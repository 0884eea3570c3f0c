"""Long commands on a terminal: a progress bar fed by the work, and a summary line.

``rich.progress`` is imported only when standard error is a terminal, and ``pendulum`` only
to say a time over a minute, so that the CLI starts without them.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

from disruption.cli import _common

__all__ = ["Work", "step_status", "took", "working"]


class Work:
    """A command's long work, fed by its units (cases, commands, sections) as they are done.

    On a terminal it draws a rich progress bar on standard error, redrawn at most
    :data:`REFRESHES` times a second however often it is fed; otherwise it draws nothing.
    Either way :func:`working` ends with one summary line on standard error, so standard
    output stays what the command prints (JSON stays machine-readable).
    """

    REFRESHES = 10
    """Redraws a second, at most."""

    def __init__(self, bar: Any | None = None) -> None:
        self._bar = bar
        self._task: Any = None
        self._what: tuple[str, int | None] | None = None
        self._last = 0.0
        self.summary = ""
        """The summary line :func:`working` prints when the work is done (none if empty)."""

    def step(self, what: str, done: int = 0, total: int | None = None) -> None:
        """Show ``what`` is being done: ``done`` units of ``total`` (``None``: not known)."""
        if self._bar is None:
            return
        moment = time.monotonic()
        if (what, total) != self._what:  # a new step: a bar of its own
            if self._task is not None:
                self._bar.remove_task(self._task)
            self._task = self._bar.add_task(what, total=total, completed=done)
            self._what, self._last = (what, total), moment
        elif done == total or moment - self._last >= 1 / self.REFRESHES:
            self._bar.update(self._task, completed=done)
            self._last = moment

    def checking(self, step: str) -> None:
        """Show a step of ``check_files`` (its ``on_step``)."""
        self.step(_STEPS.get(step, step))

    def advance(self, what: str) -> Callable[[int, int], None]:
        """A ``(done, total)`` callback, as the import's ``progress`` takes, showing ``what``."""
        return lambda done, total: self.step(what, done, total)


def took(seconds: float) -> str:
    """How long something took, for people: ``2.3 s`` under a minute, else in words.

    >>> took(2.34), took(75.2), took(3725)
    ('2.3 s', '1 minute 15 seconds', '1 hour 2 minutes 5 seconds')
    """
    if round(seconds, 1) < 60:
        return f"{seconds:.1f} s"
    import pendulum

    return pendulum.duration(seconds=round(seconds)).in_words(locale="en")


@contextlib.contextmanager
def working() -> Iterator[Work]:
    """A :class:`Work` for a command; set its ``summary`` to print it when the work is done.

    The summary line, with how long the work took, goes to standard error on a terminal
    (after the bar, which disappears) as when piped. Nothing is printed when the work fails.
    """
    console = _common.console_of(_common.err)
    started = time.perf_counter()
    if console.is_terminal:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn())
        with Progress(
            *columns,
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            refresh_per_second=Work.REFRESHES,
        ) as bar:
            work = Work(bar)
            yield work
    else:
        work = Work()
        yield work
    if work.summary:
        _common.err.print(f"{work.summary} in {took(time.perf_counter() - started)}", markup=False)


_STEPS = {"read": "Reading the returns", "reconcile": "Reconciling", "validate": "Validating"}


@contextlib.contextmanager
def step_status() -> Iterator[Callable[[str], None]]:
    """A spinner naming each step of `check_files` on a terminal; nothing otherwise."""
    if not _common.err.is_terminal:
        yield lambda step: None
        return
    with _common.err.status("") as status:

        def show(step: str) -> None:
            status.update(_STEPS.get(step, step))

        yield show
