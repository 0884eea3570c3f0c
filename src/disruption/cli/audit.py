"""Commands on the audit trail and data protection: verify, access-log, export-subject."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from disruption.cli._common import (
    DbOption,
    JsonOption,
    OnOption,
    ProcedureOption,
    app,
    engine_for,
    err,
    fail,
    friendly,
    opened,
    out,
    print_json,
)
from disruption.cli._dates import parse_date, span
from disruption.cli._files import ForceOption, new_file, refuse_existing


@app.command()
@friendly
def verify(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Check that no stored event was changed, removed, inserted or reordered outside disruption.

    Exits 0 when the chain holds, 1 naming the first broken position.
    """
    from disruption.store.sql.store import SqlStore

    if db is None:
        raise fail("verify needs --db: an in-memory store has no chain to check")
    with opened(db) as store:
        if not isinstance(store, SqlStore):
            raise fail("verify needs an SQL store")
        result = store.verify()
    if as_json:
        print_json(
            {
                "ok": result.ok,
                "checked": result.checked,
                "broken_at": result.broken_at,
                "problem": result.problem or None,
                "last_hash": result.last_hash,
            }
        )
    elif result.ok:
        out.print(f"{result.checked:,} events verified; last hash {result.last_hash}", markup=False)
    else:
        err.print(f"broken at position {result.broken_at}: {result.problem}", markup=False)
    if not result.ok:
        raise typer.Exit(1)


@app.command("access-log")
@friendly
def access_log(
    db: DbOption = None,
    limit: Annotated[int, typer.Option(min=1, help="The latest this many entries.")] = 1000,
    as_json: JsonOption = False,
) -> None:
    """List refused commands (a role not allowed, a chair not independent), oldest first."""
    from rich.table import Table

    with opened(db) as store:
        entries = store.refusals(limit)
    if as_json:
        for r in entries:
            print_json(r.as_json())
        return
    table = Table("recorded", "case", "command", "actor", "role", "refused", title="Access log")
    for r in entries:
        table.add_row(
            r.recorded_at.isoformat(), r.case, r.command, r.actor_id, r.actor_role, r.error
        )
    out.print(table)


@app.command("export-subject")
@friendly
def export_subject(
    child: Annotated[str, typer.Argument(help="The child's pseudonymous reference.")],
    db: DbOption = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write the JSON here (standard output if not).")
    ] = None,
    procedure: ProcedureOption = None,
    force: ForceOption = False,
) -> None:
    """Write everything held about one child (cases, events, free text, deadlines) as JSON.

    --out writes a file only its owner can read (0600), and never over an existing one
    without --force.
    """
    from disruption.privacy.subject import subject_access

    if out_file is not None:
        refuse_existing(out_file, force=force)
    with opened(db) as store:
        held = subject_access(engine_for(store, procedure), child)
    text = json.dumps(held, ensure_ascii=False, indent=2) + "\n"
    if out_file is None:
        sys.stdout.write(text)
        return
    with new_file(out_file, force=force) as part:
        part.write_text(text, encoding="utf-8")
    out.print(f"{len(held['cases'])} cases of {child} written to {out_file}", markup=False)


@app.command()
@friendly
def erase(
    child: Annotated[str, typer.Argument(help="The child's pseudonymous reference.")],
    db: DbOption = None,
    procedure: ProcedureOption = None,
) -> None:
    """Erase a child's free text for good (their key and text); the history stays.

    The erasure is recorded in each of the child's cases; erasing again records nothing new.
    Figures are unchanged.
    """
    from disruption.core.system import erasure_due

    with opened(db) as store:
        cases = store.case_ids_of(child)
        due = sum(erasure_due(store.events(case)) for case in cases)
        erased = engine_for(store, procedure).erase(child)
    if due:
        recorded = f"the erasure recorded in {due} of {len(cases)} cases"
    elif cases:
        recorded = "erased already: nothing new recorded"
    else:
        recorded = "no case of theirs in the store: nothing recorded"
    out.print(f"{erased} pieces of free text of {child} erased; {recorded}", markup=False)


@app.command()
@friendly
def retention(
    db: DbOption = None,
    header: Annotated[
        list[Path] | None,
        typer.Option("--header", help="SSDA903 Header files giving dates of birth."),
    ] = None,
    on: OnOption = None,
    years: Annotated[int, typer.Option(min=1, help="Keep records until this birthday.")] = 75,
    as_json: JsonOption = False,
) -> None:
    """List the children whose records are due for erasure (their 75th birthday passed)."""
    from rich.table import Table

    from disruption.analysis import case_table, load_cases
    from disruption.privacy.retention import due_for_erasure
    from disruption.ssda903 import read_header

    if not header:
        raise fail("retention needs --header: the store keeps no dates of birth")
    day = parse_date(on, "--on")
    dobs = read_header(header)[0]
    with opened(db) as store:
        children = case_table(load_cases(store))["child"].to_list()
    due = due_for_erasure(children, dobs, day, years=years)
    if as_json:
        for child, when in due.rows():
            print_json({"child": child, "due": when.isoformat()})
        return
    table = Table("child", "due for erasure since", "for", title=f"Due for erasure on {day}")
    for child, when in due.rows():
        table.add_row(child, when.isoformat(), span(when, day))
    out.print(table)
