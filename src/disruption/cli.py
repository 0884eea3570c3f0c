"""The ``disruption`` command line: the only place logging is configured.

Every command exits 0 on success, 1 when ``run`` had a rejected line, and 2 with a one-line
message on bad input (a missing file, an unreadable store, an invalid date); never with a
traceback.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sys
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from disruption import logs
from disruption.clock import FixedClock, SystemClock, london_date
from disruption.commands import Command
from disruption.engine import Engine
from disruption.exceptions import CommandError, DisruptionError, InputError
from disruption.feed import DEFAULT_SOURCE, to_cloudevent
from disruption.standard import STANDARD
from disruption.store import CaseStore, open_store
from disruption.views import case_json, overdue_json

__all__ = ["app", "main"]

app = typer.Typer(
    name="disruption",
    help="The placement disruption procedure as a durable case workflow.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
case_app = typer.Typer(help="Look at cases.", no_args_is_help=True)
app.add_typer(case_app, name="case")
db_app = typer.Typer(help="Manage a store's schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="SQLite file path or database URL (sqlite:///..., postgresql://...)."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ProcedureOption = Annotated[
    Path | None,
    typer.Option(
        "--procedure",
        help="An authority's procedure file (YAML or JSON); the standard procedure by default.",
    ),
]
procedure_app = typer.Typer(help="Check an authority's procedure file.", no_args_is_help=True)
app.add_typer(procedure_app, name="procedure")


def _fail(message: str) -> typer.Exit:
    err.print(f"error: {message}", markup=False)
    return typer.Exit(2)


def _friendly(command: F) -> F:
    """Turn the library's errors and OS errors into a message and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (DisruptionError, OSError) as error:
            raise _fail(str(error)) from None

    return wrapper  # type: ignore[return-value]


@contextlib.contextmanager
def _opened(db: str | None, *, must_exist: bool = True) -> Iterator[CaseStore]:
    store = open_store(db, must_exist=must_exist)
    try:
        yield store
    finally:
        store.close()


def _engine(store: CaseStore, procedure: Path | None) -> Engine:
    """An engine on the standard procedure, or on an authority's file.

    The file also decides the working days; cases opened under the standard definition keep it.
    """
    if procedure is None:
        return Engine(store)
    from disruption.procedure_file import load_procedure

    authority = load_procedure(procedure)
    return Engine(
        store, procedure=authority.procedure, procedures=(STANDARD,), calendar=authority.calendar
    )


def _parse_date(value: str | None, option: str) -> date:
    if value is None:
        return london_date(SystemClock().now())
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date as YYYY-MM-DD", param_hint=option
        ) from None


def _parse_instant(value: str, option: str) -> datetime:
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


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False) + "\n")


@app.callback()
def _main(
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "warning",
    log_json: Annotated[bool, typer.Option(help="Log one JSON object per line.")] = False,
) -> None:
    if log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise typer.BadParameter("must be debug, info, warning or error", param_hint="--log-level")
    logs.configure(log_level, json=log_json)


def _lines(path: str) -> Iterator[str]:
    if path == "-":
        yield from sys.stdin
        return
    with open(path, encoding="utf-8") as handle:
        yield from handle


def _apply_line(engine: Engine, text: str, number: int) -> dict[str, Any]:
    result: dict[str, Any] = {"line": number, "case": None, "command": None}
    try:
        obj = json.loads(text)
    except ValueError as error:
        obj = error
    try:
        if isinstance(obj, ValueError):
            raise InputError(f"not valid JSON ({obj})", line=number)
        if isinstance(obj, dict):
            result["case"], result["command"] = obj.get("case"), obj.get("command")
        command = Command.from_json(obj, line=number)
        outcome = engine.handle(command)
        return {**result, "ok": True, "state": outcome.case.state}
    except (CommandError, InputError) as error:
        current = engine.load(result["case"]) if isinstance(result["case"], str) else None
        return {
            **result,
            "ok": False,
            "state": None if current is None else current.state,
            "error": {"type": type(error).__name__, "message": str(error)},
        }


def _print_result(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _print_json(result)
        return
    head = f"{result['line']}: {result['case']} {result['command']}"
    if result["ok"]:
        out.print(f"{head} -> {result['state']}", markup=False)
    else:
        error = result["error"]
        out.print(f"{head} REJECTED {error['type']}: {error['message']}", markup=False)


@app.command()
@_friendly
def run(
    commands: Annotated[str, typer.Argument(help="A JSON Lines file of commands, or - for stdin.")],
    db: DbOption = None,
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
) -> None:
    """Apply commands in order (in memory without --db); exit 1 if any line was rejected."""
    clock = None if entered_at is None else FixedClock(_parse_instant(entered_at, "--entered-at"))
    rejected = 0
    with _opened(db, must_exist=False) as store:
        engine = _engine(store, procedure)
        if clock is not None:
            engine.clock = clock
        for number, text in enumerate(_lines(commands), start=1):
            if text.strip():
                result = _apply_line(engine, text, number)
                rejected += not result["ok"]
                _print_result(result, as_json)
    if rejected:
        raise typer.Exit(1)


@case_app.command("show")
@_friendly
def case_show(
    case: Annotated[str, typer.Argument(help="The case reference.")],
    db: DbOption = None,
    as_json: JsonOption = False,
    procedure: ProcedureOption = None,
) -> None:
    """Print a case: state, placement, deadlines and history."""
    with _opened(db) as store:
        engine = _engine(store, procedure)
        view = case_json(engine.case(case), engine.history(case))
    if as_json:
        _print_json(view)
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
    table = Table("deadline", "due", "status", title="Deadlines")
    for d in view["deadlines"]:
        table.add_row(d["name"], d["due"], d["status"])
    out.print(table)
    history = Table("#", "at", "event", "by", "to state", title="History")
    for e in view["history"]:
        history.add_row(str(e["seq"]), e["at"], e["type"], e["actor"]["role"], e["to_state"])
    out.print(history)


@app.command()
@_friendly
def overdue(
    db: DbOption = None,
    on: Annotated[str | None, typer.Option(help="YYYY-MM-DD; today by default.")] = None,
    as_json: JsonOption = False,
    procedure: ProcedureOption = None,
) -> None:
    """List open deadlines due before a date."""
    when = _parse_date(on, "--on")
    with _opened(db) as store:
        items = [overdue_json(o) for o in _engine(store, procedure).overdue(when)]
    if as_json:
        _print_json(items)
        return
    table = Table("case", "state", "deadline", "due", title=f"Overdue on {when}")
    for item in items:
        table.add_row(item["case"], item["state"], item["name"], item["due"])
    out.print(table)


@app.command()
@_friendly
def events(
    db: DbOption = None,
    after: Annotated[int, typer.Option(min=0, help="Print events after this position.")] = 0,
    limit: Annotated[int, typer.Option(min=1, help="At most this many events.")] = 1000,
    source: Annotated[str, typer.Option(help="The CloudEvents source.")] = DEFAULT_SOURCE,
    as_json: JsonOption = False,
) -> None:
    """Print stored events after a position, as CloudEvents 1.0 JSON (one per line)."""
    with _opened(db) as store:
        stored = store.read_after(after, limit)
    if as_json:
        for item in stored:
            _print_json(to_cloudevent(item, source=source))
        return
    table = Table("position", "case", "seq", "type", "at", title=f"Events after {after}")
    for item in stored:
        e = item.event
        table.add_row(str(item.position), e.case, str(e.seq), e.type, e.at.isoformat())
    out.print(table)


@app.command()
@_friendly
def tick(
    db: DbOption = None,
    on: Annotated[str | None, typer.Option(help="YYYY-MM-DD; today by default.")] = None,
    as_json: JsonOption = False,
    procedure: ProcedureOption = None,
) -> None:
    """Record a DeadlineMissed event once for every deadline overdue on a date."""
    when = _parse_date(on, "--on")
    with _opened(db) as store:
        recorded = _engine(store, procedure).tick(when)
    if as_json:
        _print_json({"on": when.isoformat(), "recorded": recorded})
    else:
        out.print(f"{recorded} missed deadlines recorded (due before {when})", markup=False)


@db_app.command("upgrade")
@_friendly
def db_upgrade(
    db: Annotated[str, typer.Option("--db", help="SQLite path or database URL.")],
) -> None:
    """Create or upgrade a store's schema to this library's version."""
    from disruption.store.sql import upgrade_store

    before, after = upgrade_store(db)
    if before == 0:
        out.print(f"{db}: created a store at schema version {after}", markup=False)
    elif before == after:
        out.print(f"{db}: schema version {after}, nothing to do", markup=False)
    else:
        out.print(f"{db}: upgraded schema version {before} to {after}", markup=False)


@app.command("validate-903")
@_friendly
def validate_903(
    files: Annotated[
        list[Path], typer.Argument(help="SSDA903 Header/Episodes CSV files or folders.")
    ],
    as_json: JsonOption = False,
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="Write the findings as CSV.")
    ] = None,
) -> None:
    """Check SSDA903 returns: reconcile the years and report every data-quality finding.

    Exits 0 when the files are usable (with findings or not), 2 when one cannot be read.
    """
    from disruption.ssda903 import check_files, findings_to_json, write_findings_csv

    report = check_files(files)
    if csv_out is not None:
        write_findings_csv(report.findings, csv_out)
    if as_json:
        sys.stdout.write(findings_to_json(report.findings) + "\n")
    elif csv_out is None:
        table = Table("file", "row", "column", "rule", "message", title="Findings")
        for f in report.findings[:200]:
            table.add_row(f.file, str(f.row or ""), f.column or "", f.rule, f.message)
        out.print(table)
        more = len(report.findings) - 200
        if more > 0:
            out.print(f"... and {more} more (use --json or --csv)", markup=False)
    if not as_json:
        children = report.episodes["child"].n_unique() if report.episodes.height else 0
        err.print(
            f"{len(report.findings)} findings; {report.episodes.height} episodes of "
            f"{children} children",
            markup=False,
        )


@app.command()
@_friendly
def stability(
    files: Annotated[
        list[Path] | None,
        typer.Argument(help="SSDA903 Header/Episodes CSV files or folders (or --db)."),
    ] = None,
    year_end: Annotated[
        list[str] | None,
        typer.Option("--year-end", help="Y, YYYY-MM-DD (repeat for a series)."),
    ] = None,
    db: DbOption = None,
    header: Annotated[
        list[Path] | None,
        typer.Option("--header", help="With --db: Header files giving dates of birth."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Print the DfE placement-stability measures for one or more year ends."""
    from disruption.analysis.stability import stability as measures

    if not year_end:
        raise typer.BadParameter("give at least one --year-end YYYY-MM-DD", param_hint="--year-end")
    if bool(files) == (db is not None):
        raise typer.BadParameter("give SSDA903 files or --db, not both", param_hint="FILES")
    ends = [_parse_date(y, "--year-end") for y in year_end]
    episodes, dobs = _stability_inputs(files, db, header)
    results = [measures(episodes, dobs, y) for y in ends]
    if as_json:
        for result in results:
            _print_json(result)
        return
    shown = Table("year end", "measure", "children", "of", "%", title="Placement stability")
    for result in results:
        for name in ("short_term", "two_year", "long_term"):
            m = result[name]
            percent = "" if m["percent"] is None else f"{m['percent']:.1f}"
            shown.add_row(
                result["year_end"], name, str(m["numerator"]), str(m["denominator"]), percent
            )
    out.print(shown)


def _stability_inputs(
    files: list[Path] | None, db: str | None, header: list[Path] | None
) -> tuple[Any, Any]:
    from disruption.ssda903 import check_files, read_header

    if files:
        report = check_files(files)
        return report.episodes, report.header
    from disruption.analysis import case_table, load_cases
    from disruption.analysis.stability import episodes_of_cases

    with _opened(db) as store:
        episodes = episodes_of_cases(case_table(load_cases(store)))
    if not header:
        err.print("no --header: the long-term measure needs dates of birth", markup=False)
        return episodes, None
    return episodes, read_header(header)[0]


@app.command("import-903")
@_friendly
def import_903(
    files: Annotated[
        list[Path], typer.Argument(help="SSDA903 Header/Episodes CSV files or folders.")
    ],
    db: DbOption = None,
    districts: Annotated[
        str | None,
        typer.Option(
            "--borough-districts",
            help="The authority's postcode districts, comma-separated (TS1,TS2,...): placements "
            "there are in borough. Without it: the same postcode area as the child's home.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Load historic placements from SSDA903 returns into a store, one case each.

    Importing the same files again adds nothing. Exits 2 only when a file cannot be read.
    """
    from disruption.ssda903.load import plan_import

    borough = (
        None if districts is None else frozenset(d.strip().upper() for d in districts.split(","))
    )
    plan = plan_import(files, recorded_at=SystemClock().now(), borough_districts=borough)
    with _opened(db, must_exist=False) as store, _progress("Importing placements") as advance:
        summary = plan.load(store, progress=advance)
    result = {
        "episodes": summary.episodes,
        "children": summary.children,
        "placements": summary.placements,
        "added": summary.added,
        "present": summary.present,
        "findings": len(summary.findings),
    }
    if as_json:
        _print_json(result)
        return
    out.print(
        f"{summary.placements:,} placements of {summary.children:,} children from "
        f"{summary.episodes:,} episodes: {summary.added:,} cases added, {summary.present:,} "
        f"already in the store; {len(summary.findings):,} findings (see validate-903)",
        markup=False,
    )


@contextlib.contextmanager
def _progress(what: str) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on a terminal; nothing otherwise."""
    if not err.is_terminal:
        yield lambda done, total: None
        return
    from rich.progress import Progress

    with Progress(console=err, transient=True) as bar:
        task = bar.add_task(what, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


@app.command("export-903")
@_friendly
def export_903(
    db: DbOption = None,
    out_file: Annotated[
        Path, typer.Option("--out", help="The Episodes-shaped CSV file to write.")
    ] = Path("episodes-ended.csv"),
    start: Annotated[
        str | None, typer.Option("--from", help="Endings on or after YYYY-MM-DD.")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Endings on or before YYYY-MM-DD.")
    ] = None,
) -> None:
    """Write the placements the procedure ended as Episodes rows, for the next return."""
    from disruption.analysis.cases import load_cases
    from disruption.ssda903.export import episodes_of, write_episodes

    first = None if start is None else _parse_date(start, "--from")
    last = None if end is None else _parse_date(end, "--to")
    with _opened(db) as store:
        table = episodes_of(load_cases(store), start=first, end=last)
    write_episodes(table, out_file)
    out.print(f"{table.height:,} ended placements written to {out_file}", markup=False)


@app.command()
@_friendly
def diagram(procedure: ProcedureOption = None) -> None:
    """Print the procedure (the standard one, or an authority's file) as a Mermaid diagram."""
    if procedure is None:
        sys.stdout.write(STANDARD.diagram() + "\n")
        return
    from disruption.procedure_file import load_procedure

    sys.stdout.write(load_procedure(procedure).procedure.diagram() + "\n")


@procedure_app.command("migrate")
@_friendly
def procedure_migrate(
    procedure: Annotated[Path, typer.Option("--procedure", help="The new definition's file.")],
    db: DbOption = None,
    previous: Annotated[
        list[Path] | None,
        typer.Option("--previous", help="A file of an earlier definition cases were opened under."),
    ] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option("--map", help="OLD=NEW: the new state of cases in state OLD (repeatable)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and list, write nothing.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Move every open case to a new definition, recorded in each case's history.

    The whole migration is checked first: if any case cannot move, nothing is written.
    """
    from disruption.procedure_file import load_procedure

    states = dict(_pair(item) for item in mapping or ())
    authority = load_procedure(procedure)
    earlier = [load_procedure(p).procedure for p in previous or ()]
    with _opened(db) as store:
        engine = Engine(
            store,
            procedure=authority.procedure,
            procedures=(STANDARD, *earlier),
            calendar=authority.calendar,
        )
        plan = engine.migrate(authority.procedure, states, dry_run=dry_run)
    moves = [{"case": m.case.id, "from": m.case.state, "to": m.to_state} for m in plan.moves]
    if as_json:
        _print_json({"dry_run": dry_run, "moved": moves})
        return
    verb = "would move" if dry_run else "moved"
    out.print(
        f"{verb} {len(moves)} open cases to {authority.procedure.name} "
        f"v{authority.procedure.version}",
        markup=False,
    )


def _pair(item: str) -> tuple[str, str]:
    old, sep, new = item.partition("=")
    if not sep or not old or not new:
        raise typer.BadParameter(f"{item!r} is not OLD=NEW", param_hint="--map")
    return old, new


@procedure_app.command("check")
@_friendly
def procedure_check(
    file: Annotated[Path, typer.Argument(help="The procedure file (YAML or JSON).")],
    as_json: JsonOption = False,
) -> None:
    """Check a procedure file: exit 0 and summarise it, or exit 2 listing every problem."""
    from disruption.procedure_file import load_procedure

    authority = load_procedure(file)
    proc = authority.procedure
    summary = {
        "name": proc.name,
        "version": proc.version,
        "states": [s.name for s in proc.states],
        "commands": [c.name for c in proc.commands],
        "deadlines": {
            d.name: {"days": d.working_days, "working_days": not d.calendar_days}
            for d in proc.deadlines
        },
        "nation": authority.calendar.nation.value,
        "closure_days": sorted(d.isoformat() for d in authority.calendar.closures),
    }
    if as_json:
        _print_json(summary)
        return
    out.print(
        f"{file}: {proc.name} version {proc.version} is valid: {len(proc.states)} states, "
        f"{len(proc.commands)} commands, {len(proc.deadlines)} deadlines",
        markup=False,
    )


@app.command()
@_friendly
def report(
    db: DbOption = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the report into.")] = Path(
        "disruption-report"
    ),
    start: Annotated[
        str | None,
        typer.Option("--from", help="First day, YYYY-MM-DD (default: a year before --to)."),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option("--to", help="Last day, YYYY-MM-DD (default: the last 31 March passed)."),
    ] = None,
) -> None:
    """Write the breakdown report: index.html (charts embedded), every table as CSV, PNGs."""
    from disruption.analysis.report import write_report

    last = _parse_date(end, "--to") if end is not None else _last_year_end()
    first = _parse_date(start, "--from") if start is not None else _year_before(last)
    if first > last:
        raise typer.BadParameter(f"{first} is after --to {last}", param_hint="--from")
    with _opened(db) as store:
        written = write_report(store, out_dir, start=first, end=last)
    out.print(
        f"Report on {written.cases:,} placements, {first} to {last}: {written.index} "
        f"({len(written.tables)} tables, {len(written.charts)} charts)",
        markup=False,
    )


def _last_year_end() -> date:
    today = london_date(SystemClock().now())
    year_end = date(today.year, 3, 31)
    return year_end if year_end <= today else date(today.year - 1, 3, 31)


def _year_before(last: date) -> date:
    try:
        return last.replace(year=last.year - 1) + timedelta(days=1)
    except ValueError:  # 29 February
        return date(last.year - 1, 3, 1)


@app.command()
@_friendly
def demo(
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same run.")] = 7,
    db: Annotated[Path, typer.Option(help="SQLite file to create (replaced if it exists).")] = Path(
        "disruption-demo/demo.sqlite"
    ),
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the demo's outputs.")] = Path(
        "disruption-demo"
    ),
) -> None:
    """Run a synthetic authority's cases through the procedure on SQLite and summarise them."""
    from disruption.demo import print_summary, run_demo

    summary = run_demo(seed=seed, db=db, out=out_dir)
    print_summary(summary, out)


def main() -> None:
    """Entry point of the ``disruption`` console command."""
    app()
