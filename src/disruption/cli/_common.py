"""What every command shares: the app, its options, and turning errors into exit 2."""

from __future__ import annotations

import contextlib
import functools
import json
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

import typer

from disruption.cli._dates import DATE_HELP
from disruption.exceptions import DisruptionError

if TYPE_CHECKING:
    from rich.console import Console

    from disruption.engine.engine import Engine
    from disruption.store import CaseStore

# Only typer and the exceptions are imported here: each command imports what it uses (the
# engine, a store, polars, matplotlib, bank holidays) in its body, so that `disruption --help`
# and every command start without paying for the others (benchmarks/bench_cli_startup.py).

__all__ = [
    "DB_ENV",
    "DbOption",
    "F",
    "JsonOption",
    "KeysOption",
    "LazyConsole",
    "MemoryDbOption",
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
    "opened",
    "out",
    "parse_instant",
    "print_json",
    "procedure_app",
    "store_url",
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

DB_ENV = "DISRUPTION_DB"
"""The environment variable naming the store when ``--db`` is not given."""

_DB_HELP = "SQLite file path or database URL (sqlite:///..., postgresql://...)."


def _store_needed(ctx: typer.Context, value: str | None) -> str:
    """``--db``'s check: exit 2 in one line without a store, or with a URL no store runs on."""
    if value is None or not value.strip():
        names: list[str] = []
        at: Any = ctx
        while at.parent is not None:  # the command's words, without the program's
            names.insert(0, at.info_name or "")
            at = at.parent
        name = " ".join(names)
        err.print(
            f"error: {name} needs a store: give --db URL or set {DB_ENV} (only run works "
            "without one, in memory)",
            markup=False,
        )
        raise typer.Exit(2)
    from disruption.store import check_url

    try:  # a URL of another database is refused before the command reads its files
        return check_url(value)
    except DisruptionError as error:
        raise fail(str(error)) from None


DbOption = Annotated[
    str | None,
    typer.Option("--db", envvar=DB_ENV, callback=_store_needed, help=_DB_HELP),
]
"""``--db`` of a command on a store: required (or ``$DISRUPTION_DB``); exits 2 without it."""
MemoryDbOption = Annotated[
    str | None,
    typer.Option(
        "--db", envvar=DB_ENV, help=_DB_HELP + " Without either, a store in memory, thrown away."
    ),
]
"""``--db`` of ``run``: optional; without it the commands run on a store in memory."""
KeysOption = Annotated[
    str | None,
    typer.Option(
        "--keys",
        envvar="DISRUPTION_KEYS",
        help="Key store: a SQLite file path or database URL apart from --db, where the "
        "children's keys are kept (docs/privacy.md). Without it the keys stay in the case "
        "store, with a warning.",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
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


_KEYS_WARNING = (
    "warning: the children's keys are kept in the case store (no --keys or DISRUPTION_KEYS): "
    "a backup of it undoes an erasure; see docs/privacy.md"
)
_warned: list[bool] = []


def store_url(db: str | None) -> str:
    """The ``--db`` value of a command on a store (:data:`DbOption` has refused none already)."""
    if db is None:
        raise fail(f"no store: give --db URL or set {DB_ENV}")
    return db


@contextlib.contextmanager
def opened(
    db: str | None,
    *,
    must_exist: bool = True,
    in_memory: bool = False,
    keys: str | None = None,
    texts: bool = False,
) -> Iterator[CaseStore]:
    """Open the store (and key store) of a command, closed after it.

    Args:
        db: The ``--db`` value.
        must_exist: Refuse to create a store.
        in_memory: Without ``--db``, a store in memory (``run``); otherwise ``--db`` is needed.
        keys: The ``--keys`` value.
        texts: The command reads, writes or erases free text: without a key store, it
            warns once on stderr (keys kept in the case store), or is refused when the
            store's keys were moved to a key store.
    """
    from disruption.exceptions import StoreError
    from disruption.store import open_store

    store = open_store(db if in_memory else store_url(db), must_exist=must_exist, keys=keys)
    try:
        if texts and keys is None and db is not None:
            if getattr(store, "keys_apart", False):
                raise StoreError(
                    "the children's keys of this store are in a key store: give --keys "
                    "or DISRUPTION_KEYS"
                )
            if not _warned:
                _warned.append(True)
                err.print(_KEYS_WARNING, markup=False)
        yield store
    finally:
        store.close()


def engine_for(store: CaseStore, procedure: Path | None) -> Engine:
    """An engine on the standard procedure, or on an authority's file.

    The file also decides the working days; cases opened under the standard definition keep it.
    """
    from disruption.engine.engine import Engine

    if procedure is None:
        return Engine(store)
    from disruption.procedure.file import load_procedure
    from disruption.procedure.standard import STANDARD

    authority = load_procedure(procedure)
    return Engine(
        store, procedure=authority.procedure, procedures=(STANDARD,), calendar=authority.calendar
    )


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


@app.callback()
def _main(
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "warning",
    log_json: Annotated[bool, typer.Option(help="Log one JSON object per line.")] = False,
) -> None:
    if log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise typer.BadParameter("must be debug, info, warning or error", param_hint="--log-level")
    from disruption import logs

    logs.configure(log_level, json=log_json)
