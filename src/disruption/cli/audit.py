"""Commands on the audit trail: verify."""

from __future__ import annotations

import typer

from disruption.cli._common import (
    DbOption,
    JsonOption,
    app,
    err,
    fail,
    friendly,
    opened,
    out,
    print_json,
)
from disruption.store.sql import SqlStore


@app.command()
@friendly
def verify(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Check that no stored event was changed, removed, inserted or reordered outside disruption.

    Exits 0 when the chain holds, 1 naming the first broken position.
    """
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
