"""What every command shares: the app, its options, and turning errors into exit 2."""

from __future__ import annotations

import contextlib
import functools
import json
import re
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

import typer

from disruption.exceptions import DisruptionError

if TYPE_CHECKING:
    from rich.console import Console

    from disruption.clock import Clock
    from disruption.engine import Engine
    from disruption.store import CaseStore

# Only typer and the exceptions are imported here: each command imports what it uses (the
# engine, a store, polars, matplotlib, bank holidays) in its body, so that `disruption --help`
# and every command start without paying for the others (benchmarks/bench_cli_startup.py).

__all__ = [
    "DATE_HELP",
    "DbOption",
    "F",
    "JsonOption",
    "LazyConsole",
    "OnOption",
    "ProcedureOption",
    "Work",
    "app",
    "case_app",
    "console_of",
    "db_app",
    "engine_for",
    "err",
    "fail",
    "friendly",
    "now",
    "opened",
    "out",
    "parse_date",
    "parse_instant",
    "print_json",
    "procedure_app",
    "relative",
    "relative_date",
    "span",
    "step_status",
    "today",
    "took",
    "working",
]

app = typer.Typer(
    name="disruption",
    help="The placement disruption procedure as a durable case workflow.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Plain (click) help and usage errors: typer's rich formatting imports rich's markdown,
    # syntax and traceback modules, which cost more than the rest of `disruption --help`.
    rich_markup_mode=None,
)
case_app = typer.Typer(help="Look at cases.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(case_app, name="case")
db_app = typer.Typer(help="Manage a store's schema.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(db_app, name="db")


class LazyConsole:
    """A rich ``Console`` made on first use: importing rich costs more than typer itself.

    Attribute look-ups go to the console, so ``out.print(...)`` works as on a Console.
    """

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def get(self) -> Console:
        """The console itself (made now if it was not yet)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.get(), name)


def console_of(console: Console) -> Console:
    """The real console behind ``out`` or ``err`` (for rich objects that keep a console)."""
    return console.get() if isinstance(console, LazyConsole) else console


out = cast("Console", LazyConsole(highlight=False, soft_wrap=True))
err = cast("Console", LazyConsole(stderr=True, highlight=False, soft_wrap=True))

F = TypeVar("F", bound=Callable[..., Any])

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="SQLite file path or database URL (sqlite:///..., postgresql://...)."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
DATE_HELP = (
    "YYYY-MM-DD, or today, yesterday, tomorrow, -3d, +2w, -6m, +1y, '3 days ago' or "
    "'in 2 weeks' (days counted from today in Europe/London; months and years by the "
    "calendar: a month before 31 March is 28 or 29 February)"
)
"""What every option taking a date accepts (see :func:`parse_date`)."""
OnOption = Annotated[
    str | None, typer.Option("--on", help=f"The day: {DATE_HELP}. Today by default.")
]
ProcedureOption = Annotated[
    Path | None,
    typer.Option(
        "--procedure",
        help="An authority's procedure file (YAML or JSON); the standard procedure by default.",
    ),
]
procedure_app = typer.Typer(
    help="Check an authority's procedure file, or move open cases to a new one.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(procedure_app, name="procedure")


def fail(message: str) -> typer.Exit:
    err.print(f"error: {message}", markup=False)
    return typer.Exit(2)


def friendly(command: F) -> F:
    """Turn the library's errors and OS errors into a message and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (DisruptionError, OSError) as error:
            raise fail(str(error)) from None

    return wrapper  # type: ignore[return-value]


@contextlib.contextmanager
def opened(db: str | None, *, must_exist: bool = True) -> Iterator[CaseStore]:
    from disruption.store import open_store

    store = open_store(db, must_exist=must_exist)
    try:
        yield store
    finally:
        store.close()


def engine_for(store: CaseStore, procedure: Path | None) -> Engine:
    """An engine on the standard procedure, or on an authority's file.

    The file also decides the working days; cases opened under the standard definition keep it.
    """
    from disruption.engine import Engine

    if procedure is None:
        return Engine(store)
    from disruption.procedure_file import load_procedure
    from disruption.standard import STANDARD

    authority = load_procedure(procedure)
    return Engine(
        store, procedure=authority.procedure, procedures=(STANDARD,), calendar=authority.calendar
    )


clock: Clock | None = None
"""The clock the commands read "now" from: the system clock when ``None`` (tests set one)."""


def now() -> datetime:
    """The current instant, from :data:`clock`."""
    if clock is not None:
        return clock.now()
    from disruption.clock import SystemClock

    return SystemClock().now()


def today() -> date:
    """Today in Europe/London, from :data:`clock`."""
    from disruption.clock import london_date

    return london_date(now())


_UNITS = {"d": "days", "w": "weeks", "m": "months", "y": "years"}
_SHORT = re.compile(r"([+-])\s*(\d{1,5})\s*([dwmy])")
_WORDS = re.compile(r"(?:(in)\s+)?(\d{1,5})\s+(day|week|month|year)s?(?:\s+(ago))?")
_NAMED = {"today": 0, "yesterday": -1, "tomorrow": 1}


def relative_date(text: str, reference: date) -> date | None:
    """A relative date (``today``, ``-3d``, ``+2w``, ``3 days ago``, ...), or ``None``.

    Days and weeks are counted; months and years move by the calendar with ``pendulum``
    (the month's last day when it is shorter). Case and spaces do not matter. Anything else
    (an ISO date included), or a date out of range, gives ``None``.

    Args:
        text: The option's text.
        reference: Today.

    Returns:
        The date, or ``None``.

    >>> day = date(2024, 3, 31)
    >>> [relative_date(t, day) for t in ("yesterday", "-3d", "+2w", "1 month ago", "in 1 year")]
    ... # doctest: +NORMALIZE_WHITESPACE
    [datetime.date(2024, 3, 30), datetime.date(2024, 3, 28), datetime.date(2024, 4, 14),
     datetime.date(2024, 2, 29), datetime.date(2025, 3, 31)]
    >>> relative_date("3 days", day) is None  # neither "in" nor "ago": which way?
    True
    """
    words = " ".join(text.lower().split())
    if words in _NAMED:
        sign, count, unit = (-1 if _NAMED[words] < 0 else 1), abs(_NAMED[words]), "days"
    elif short := _SHORT.fullmatch(words):
        sign, count = (-1 if short[1] == "-" else 1), int(short[2])
        unit = _UNITS[short[3]]
    elif (long := _WORDS.fullmatch(words)) and bool(long[1]) != bool(long[4]):
        sign, count, unit = (1 if long[1] else -1), int(long[2]), long[3] + "s"
    else:
        return None
    import pendulum

    start = pendulum.Date(reference.year, reference.month, reference.day)
    try:
        moved = start.add(**{unit: sign * count})
    except (ValueError, OverflowError):  # before year 1 or after 9999
        return None
    return date(moved.year, moved.month, moved.day)


def span(earlier: date, later: date) -> str:
    """The time from one day to another, in words (English), for people: never in JSON.

    Calendar years, months, weeks and days, by ``pendulum``'s ``Interval.in_words()``.

    >>> span(date(2025, 12, 29), date(2025, 12, 30)), span(date(2025, 1, 1), date(2026, 2, 14))
    ('1 day', '1 year 1 month 1 week 6 days')
    >>> span(date(2025, 1, 1), date(2025, 1, 1))
    '0 days'
    """
    if earlier == later:
        return "0 days"
    import pendulum

    first = pendulum.Date(earlier.year, earlier.month, earlier.day)
    return first.diff(pendulum.Date(later.year, later.month, later.day)).in_words(locale="en")


def relative(day: date, reference: date) -> str:
    """A day said from another (today): ``today``, ``in 3 days``, ``1 week 2 days ago``.

    >>> relative(date(2025, 12, 29), date(2025, 12, 23)), relative(date(2025, 12, 9),
    ...     date(2025, 12, 23)), relative(date(2025, 12, 23), date(2025, 12, 23))
    ('in 6 days', '2 weeks ago', 'today')
    """
    if day == reference:
        return "today"
    if day > reference:
        return f"in {span(reference, day)}"
    return f"{span(day, reference)} ago"


def parse_date(value: str | None, option: str) -> date:
    """An option's date: ISO (YYYY-MM-DD) or relative to today (:func:`relative_date`).

    Args:
        value: The option's text; ``None`` for today.
        option: The option's name, for the error.

    Raises:
        typer.BadParameter: Neither (exit 2, naming the option).
    """
    if value is None:
        return today()
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        pass
    moved = relative_date(value, today())
    if moved is None:
        raise typer.BadParameter(
            f"{value!r} is not a date: give YYYY-MM-DD, today, yesterday, tomorrow, "
            "-3d, +2w, -6m, +1y, '3 days ago' or 'in 2 weeks'",
            param_hint=option,
        )
    return moved


def parse_instant(value: str, option: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.utcoffset() is None:
        raise typer.BadParameter(
            f"{value!r} is not a date and time with an offset (2025-12-23T10:00:00+00:00)",
            param_hint=option,
        )
    return parsed


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False) + "\n")


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
    console = console_of(err)
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
        err.print(f"{work.summary} in {took(time.perf_counter() - started)}", markup=False)


_STEPS = {"read": "Reading the returns", "reconcile": "Reconciling", "validate": "Validating"}


@contextlib.contextmanager
def step_status() -> Iterator[Callable[[str], None]]:
    """A spinner naming each step of `check_files` on a terminal; nothing otherwise."""
    if not err.is_terminal:
        yield lambda step: None
        return
    with err.status("") as status:

        def show(step: str) -> None:
            status.update(_STEPS.get(step, step))

        yield show


@app.callback()
def _main(
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "warning",
    log_json: Annotated[bool, typer.Option(help="Log one JSON object per line.")] = False,
) -> None:
    if log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise typer.BadParameter("must be debug, info, warning or error", param_hint="--log-level")
    from disruption import logs

    logs.configure(log_level, json=log_json)
