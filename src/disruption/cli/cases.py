"""Commands on cases: run, case show, overdue, events, tick, db upgrade."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

from disruption.cli._common import (
    DB_ENV,
    DbOption,
    JsonOption,
    KeysOption,
    MemoryDbOption,
    OnOption,
    ProcedureOption,
    app,
    case_app,
    db_app,
    engine_for,
    err,
    friendly,
    opened,
    out,
    parse_instant,
    print_json,
    store_url,
)
from disruption.cli._dates import parse_date, relative, span, today
from disruption.exceptions import CommandError, InputError, UnknownProcedure

if TYPE_CHECKING:
    from disruption.engine.engine import Engine

DEFAULT_SOURCE = "urn:disruption"
"""``disruption.engine.feed.DEFAULT_SOURCE``, written out so that the help does not import the feed
(a test checks they agree)."""


def _lines(path: str) -> Iterator[bytes]:
    """The input's lines as bytes: each is decoded on its own, so one bad line stops nothing."""
    if path == "-":
        yield from sys.stdin.buffer
        return
    with open(path, "rb") as handle:
        yield from handle


def _apply_line(engine: Engine, raw: bytes, number: int) -> dict[str, Any]:
    """Apply one line; every refusal is a result (never an exception, never a traceback)."""
    from disruption.domain.commands import CONTRACT_VERSION, Command, shown

    result: dict[str, Any] = {
        "contract_version": CONTRACT_VERSION,  # the version this result is written to
        "line": number,
        "case": None,
        "command": None,
    }
    command = None
    try:
        command = Command.from_line(raw, line=number)
        name = command.name  # any string: shown as its repr, cut, unless short and plain ASCII
        result["case"] = command.case
        result["command"] = name if len(name) <= 64 and name.isascii() else shown(name)
        outcome = engine.handle(command)
        return {**result, "ok": True, "state": outcome.case.state}
    except (CommandError, InputError, UnknownProcedure) as error:
        try:
            current = engine.load(command.case) if command is not None else None
        except UnknownProcedure:
            current = None
        return {
            **result,
            "ok": False,
            "state": None if current is None else current.state,
            "error": {"type": type(error).__name__, "message": str(error)},
        }


def _print_result(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(result)
        return
    head = f"{result['line']}: {result['case']} {result['command']}"
    if result["ok"]:
        out.print(f"{head} -> {result['state']}", markup=False)
    else:
        error = result["error"]
        out.print(f"{head} REJECTED {error['type']}: {error['message']}", markup=False)


@app.command()
@friendly
def run(
    commands: Annotated[str, typer.Argument(help="A JSON Lines file of commands, or - for stdin.")],
    db: MemoryDbOption = None,
    as_json: JsonOption = False,
    procedure: ProcedureOption = None,
    entered_at: Annotated[
        str | None,
        typer.Option(
            "--entered-at",
            help="When the commands were entered (ISO 8601 with an offset); now by default. "
            "Steps entered more than the procedure's backdating limit after they happened "
            "need a manager role.",
        ),
    ] = None,
    keys: KeysOption = None,
) -> None:
    """Apply commands in order (in memory without --db); exit 1 if any line was rejected."""
    from disruption.domain.clock import FixedClock

    clock = None if entered_at is None else FixedClock(parse_instant(entered_at, "--entered-at"))
    rejected = 0
    if not db:
        db = None
        err.print(
            f"run: no --db (nor {DB_ENV}): the commands run on a store in memory, thrown away "
            "at exit",
            markup=False,
        )
    with opened(db, must_exist=False, in_memory=True, keys=keys, texts=True) as store:
        engine = engine_for(store, procedure)
        if clock is not None:
            engine.clock = clock
        for number, text in enumerate(_lines(commands), start=1):
            if text.strip():
                result = _apply_line(engine, text.rstrip(b"\r\n"), number)
                rejected += not result["ok"]
                _print_result(result, as_json)
    if rejected:
        raise typer.Exit(1)


@case_app.command("show")
@friendly
def case_show(
    case: Annotated[str, typer.Argument(help="The case reference.")],
    db: DbOption = None,
    as_json: JsonOption = False,
    procedure: ProcedureOption = None,
) -> None:
    """Print a case: state, placement, deadlines and history."""
    from rich.table import Table

    from disruption.engine.views import case_json

    with opened(db) as store:
        engine = engine_for(store, procedure)
        view = case_json(engine.case(case), engine.history(case))
    if as_json:
        print_json(view)
        return
    out.print(
        f"[bold]{view['case']}[/] ({view['procedure']['name']} "
        f"v{view['procedure']['version']}): [bold]{view['state']}[/]"
    )
    p = view["placement"]
    out.print(
        f"placement {p['id']}: {p['type']} / {p['provider']} from {p['start']}, {p['location']}",
        markup=False,
    )
    table = Table("deadline", "due", "status", "when", title="Deadlines")
    day = today()
    for d in view["deadlines"]:
        when = relative(date.fromisoformat(d["due"]), day) if d["status"] == "open" else ""
        table.add_row(d["name"], d["due"], d["status"], when)
    out.print(table)
    history = Table("#", "at", "event", "by", "to state", title="History")
    for e in view["history"]:
        history.add_row(str(e["seq"]), e["at"], e["type"], e["actor"]["role"], e["to_state"])
    out.print(history)


@app.command()
@friendly
def overdue(
    db: DbOption = None,
    on: OnOption = None,
    as_json: JsonOption = False,
    procedure: ProcedureOption = None,
) -> None:
    """List open deadlines due before a date."""
    from rich.table import Table

    from disruption.engine.views import overdue_json

    when = parse_date(on, "--on")
    with opened(db) as store:
        items = [overdue_json(o) for o in engine_for(store, procedure).overdue(when)]
    if as_json:
        print_json(items)
        return
    table = Table("case", "state", "deadline", "due", "late by", title=f"Overdue on {when}")
    for item in items:
        late = span(date.fromisoformat(item["due"]), when)
        table.add_row(item["case"], item["state"], item["name"], item["due"], late)
    out.print(table)


@app.command()
@friendly
def events(
    db: DbOption = None,
    after: Annotated[int, typer.Option(min=0, help="Print events after this position.")] = 0,
    limit: Annotated[int, typer.Option(min=1, help="At most this many events.")] = 1000,
    source: Annotated[str, typer.Option(help="The CloudEvents source.")] = DEFAULT_SOURCE,
    as_json: JsonOption = False,
) -> None:
    """Print stored events after a position, as CloudEvents 1.0 JSON (one per line)."""
    from rich.table import Table

    from disruption.engine.feed import to_cloudevent

    with opened(db) as store:
        stored = store.read_after(after, limit)
    if as_json:
        for item in stored:
            print_json(to_cloudevent(item, source=source))
        return
    table = Table("position", "case", "seq", "type", "at", title=f"Events after {after}")
    for item in stored:
        e = item.event
        table.add_row(str(item.position), e.case, str(e.seq), e.type, e.at.isoformat())
    out.print(table)


@app.command()
@friendly
def tick(
    db: DbOption = None,
    on: OnOption = None,
    as_json: JsonOption = False,
    procedure: ProcedureOption = None,
) -> None:
    """Record a DeadlineMissed event once for every deadline overdue on a date."""
    when = parse_date(on, "--on")
    with opened(db) as store:
        recorded = engine_for(store, procedure).tick(when)
    if as_json:
        print_json({"on": when.isoformat(), "recorded": recorded})
    else:
        out.print(f"{recorded} missed deadlines recorded (due before {when})", markup=False)


@db_app.command("upgrade")
@friendly
def db_upgrade(
    db: DbOption = None,
    keys: KeysOption = None,
) -> None:
    """Create or upgrade a store's schema to this library's version.

    With --keys, the children's keys kept in the case store are moved to the key store.
    """
    from disruption.store import open_key_store
    from disruption.store.sql.store import upgrade_store

    db = store_url(db)  # checked by DbOption: given, and of a scheme a store runs on
    before, after = upgrade_store(db, keys=None if keys is None else open_key_store(keys))
    if before == 0:
        out.print(f"{db}: created a store at schema version {after}", markup=False)
    elif before == after:
        out.print(f"{db}: schema version {after}, nothing to do", markup=False)
    else:
        out.print(f"{db}: upgraded schema version {before} to {after}", markup=False)
    if keys is not None:
        out.print(f"{db}: the children's keys are kept in {keys}", markup=False)
