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
    KeysOption,
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

_HASH_DIGITS = frozenset("0123456789abcdef")


def parse_expect(value: str) -> tuple[int, str]:
    """One ``--expect``: a position and the chain hash kept for it, ``POSITION:HASH``.

    Args:
        value: The option's text.

    Returns:
        The position and the hash (lower case).

    Raises:
        typer.BadParameter: It is not a position from 1 and 64 hexadecimal digits (exit 2,
            naming the option).

    Example:
        >>> parse_expect("1,366:" + "AB" * 32)[0]
        1366
    """
    position, _, digest = value.strip().partition(":")
    position = position.replace(",", "").replace("_", "")
    digest = digest.strip().lower()
    if not (position.isdigit() and int(position) >= 1 and len(digest) == 64) or not (
        set(digest) <= _HASH_DIGITS
    ):
        shown = value if len(value) <= 80 else value[:80] + "..."
        raise typer.BadParameter(
            f"{shown!r} is not POSITION:HASH (a position from 1, a colon and the 64 "
            "hexadecimal digits `disruption verify` printed as the head)",
            param_hint="--expect",
        )
    return int(position), digest


@app.command()
@friendly
def verify(
    db: DbOption = None,
    expect: Annotated[
        list[str] | None,
        typer.Option(
            "--expect",
            metavar="POSITION:HASH",
            help="A chain head kept elsewhere: the event at POSITION must have this hash "
            "(repeatable).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check that no stored event was changed, removed, inserted or reordered outside disruption.

    Checks the chain link by link, the positions against the store's counter, every case's
    version against its events, and each --expect against a head kept elsewhere. Exits 0
    printing the chain's head (POSITION:HASH, to keep), 1 saying what is wrong, a line each.
    """
    from disruption.store.sql.store import SqlStore

    kept = [parse_expect(value) for value in expect or ()]
    with opened(db) as store:  # --db is required (DbOption): a store in memory has no chain
        if not isinstance(store, SqlStore):
            raise fail("verify needs an SQL store")
        result = store.verify(expect=kept)
    if as_json:
        print_json(
            {
                "ok": result.ok,
                "checked": result.checked,
                "broken_at": result.broken_at,
                "problem": result.problem or None,
                "problems": list(result.problems),
                "counter": result.counter,
                "head": {"position": result.checked, "hash": result.last_hash},
                "last_hash": result.last_hash,
            }
        )
    elif result.ok:
        checked = f"{len(kept)} kept hash{'es' if len(kept) != 1 else ''} matched; " if kept else ""
        out.print(f"{result.checked:,} events verified; {checked}head {result.head}", markup=False)
    else:
        for problem in result.problems[:_SHOWN]:
            err.print(problem, markup=False)
        if len(result.problems) > _SHOWN:
            more = len(result.problems) - _SHOWN
            err.print(f"and {more:,} more problems (--json lists them all)", markup=False)
    if not result.ok:
        raise typer.Exit(1)


_SHOWN = 50
"""Problems ``verify`` prints before it counts the rest."""


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
    keys: KeysOption = None,
    force: ForceOption = False,
) -> None:
    """Write everything held about one child (cases, events, free text, deadlines) as JSON.

    --out writes a file only its owner can read (0600), and never over an existing one
    without --force.
    """
    from disruption.privacy.subject import subject_access

    if out_file is not None:
        refuse_existing(out_file, force=force)
    with opened(db, keys=keys, texts=True) as store:
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
    keys: KeysOption = None,
) -> None:
    """Erase a child's free text for good (their key and text); the history stays.

    The erasure is recorded in each of the child's cases; erasing again records nothing new.
    Figures are unchanged.
    """
    from disruption.core.system import erasure_due

    with opened(db, keys=keys, texts=True) as store:
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
