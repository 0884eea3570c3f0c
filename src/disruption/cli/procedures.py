"""Commands on procedure definitions: diagram, procedure check, migrate and schema."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from disruption.cli._common import (
    DbOption,
    JsonOption,
    ProcedureOption,
    app,
    friendly,
    opened,
    out,
    print_json,
    procedure_app,
)


@app.command()
@friendly
def diagram(procedure: ProcedureOption = None) -> None:
    """Print the procedure (the standard one, or an authority's file) as a Mermaid diagram."""
    if procedure is None:
        from disruption.procedure.standard import STANDARD

        sys.stdout.write(STANDARD.diagram() + "\n")
        return
    from disruption.procedure.file import load_procedure

    sys.stdout.write(load_procedure(procedure).procedure.diagram() + "\n")


@procedure_app.command("migrate")
@friendly
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
    from disruption.engine.engine import Engine
    from disruption.procedure.file import load_procedure
    from disruption.procedure.standard import STANDARD

    states = dict(_pair(item) for item in mapping or ())
    authority = load_procedure(procedure)
    earlier = [load_procedure(p).procedure for p in previous or ()]
    with opened(db) as store:
        engine = Engine(
            store,
            procedure=authority.procedure,
            procedures=(STANDARD, *earlier),
            calendar=authority.calendar,
        )
        plan = engine.migrate(authority.procedure, states, dry_run=dry_run)
    moves = [{"case": m.case.id, "from": m.case.state, "to": m.to_state} for m in plan.moves]
    if as_json:
        print_json({"dry_run": dry_run, "moved": moves})
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
@friendly
def procedure_check(
    file: Annotated[Path, typer.Argument(help="The procedure file (YAML or JSON).")],
    as_json: JsonOption = False,
) -> None:
    """Check a procedure file: exit 0 and summarise it, or exit 2 listing every problem."""
    from disruption.procedure.file import load_procedure

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
        print_json(summary)
        return
    out.print(
        f"{file}: {proc.name} version {proc.version} is valid: {len(proc.states)} states, "
        f"{len(proc.commands)} commands, {len(proc.deadlines)} deadlines",
        markup=False,
    )


@procedure_app.command("schema")
@friendly
def procedure_schema(procedure: ProcedureOption = None) -> None:
    """Print the JSON Schema of a command line for the procedure's commands.

    Without --procedure: every shipped version of the standard procedure (the schema shipped
    as disruption/schemas/command.schema.json is this output).
    """
    from disruption.procedure.schema import command_schema, dump

    if procedure is None:
        from disruption.procedure.standard import SHIPPED

        sys.stdout.write(dump(command_schema(SHIPPED)))
        return
    from disruption.procedure.file import load_procedure

    sys.stdout.write(dump(command_schema([load_procedure(procedure).procedure])))
