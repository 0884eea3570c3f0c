"""What every command shares: the app, its options, and turning errors into exit 2."""

from __future__ import annotations

import contextlib
import functools
import json
import re
import sys
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
    "progress_bar",
    "relative_date",
    "step_status",
    "today",
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
    relative = relative_date(value, today())
    if relative is None:
        raise typer.BadParameter(
            f"{value!r} is not a date: give YYYY-MM-DD, today, yesterday, tomorrow, "
            "-3d, +2w, -6m, +1y, '3 days ago' or 'in 2 weeks'",
            param_hint=option,
        )
    return relative


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


@contextlib.contextmanager
def progress_bar(what: str) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on a terminal; nothing otherwise."""
    if not err.is_terminal:
        yield lambda done, total: None
        return
    from rich.progress import Progress

    with Progress(console=console_of(err), transient=True) as bar:
        task = bar.add_task(what, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


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
