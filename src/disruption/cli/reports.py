"""The report and the demo."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from disruption.cli._common import (
    DbOption,
    app,
    friendly,
    opened,
    out,
)
from disruption.cli._dates import DATE_HELP, parse_date, today
from disruption.cli._files import ForceOption, new_folder, refuse_existing
from disruption.cli._progress import working


@app.command()
@friendly
def report(
    db: DbOption = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the report into.")] = Path(
        "disruption-report"
    ),
    start: Annotated[
        str | None,
        typer.Option("--from", help=f"First day: {DATE_HELP} (default: a year before --to)."),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option("--to", help=f"Last day: {DATE_HELP} (default: the last 31 March passed)."),
    ] = None,
    suppress: Annotated[
        str,
        typer.Option(
            "--suppress",
            help="Smallest count published: counts from 1 to N-1 are shown as c, with "
            "secondary suppression (default 5). 'none' publishes every count: internal use "
            "only, and the report says so on every page.",
        ),
    ] = "5",
    force: ForceOption = False,
) -> None:
    """Write the breakdown report: index.html (charts embedded), every table as CSV, PNGs.

    The files are readable by their owner only (0600); a folder with anything in it is
    refused without --force.
    """
    from disruption.analysis.report import write_report

    smallest = _threshold(suppress)
    last = parse_date(end, "--to") if end is not None else _last_year_end()
    first = parse_date(start, "--from") if start is not None else _year_before(last)
    if first > last:
        raise typer.BadParameter(f"{first} is after --to {last}", param_hint="--from")
    with new_folder(out_dir, force=force), working() as work, opened(db) as store:
        written = write_report(
            store, out_dir, start=first, end=last, suppress=smallest, progress=work.step
        )
        work.summary = (
            f"report: {len(written.tables)} tables and {len(written.charts)} charts from "
            f"{written.cases:,} placements"
        )
    out.print(
        f"Report on {written.cases:,} placements, {first} to {last}: {written.index} "
        f"({len(written.tables)} tables, {len(written.charts)} charts)",
        markup=False,
    )


def _threshold(value: str) -> int | None:
    if value.strip().lower() == "none":
        return None
    try:
        smallest = int(value)
    except ValueError:
        smallest = 0
    if smallest < 2:
        raise typer.BadParameter(
            f"{value!r} is not a whole number of 2 or more, nor 'none'", param_hint="--suppress"
        )
    return smallest


def _last_year_end() -> date:
    day = today()
    year_end = date(day.year, 3, 31)
    return year_end if year_end <= day else date(day.year - 1, 3, 31)


def _year_before(last: date) -> date:
    """The day after the same day a calendar year before (29 February: 1 March)."""
    import pendulum

    first = pendulum.Date(last.year, last.month, last.day).subtract(years=1).add(days=1)
    return date(first.year, first.month, first.day)


@app.command()
@friendly
def demo(
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same run.")] = 7,
    db: Annotated[
        Path, typer.Option(help="SQLite file to create (replaced only with --force).")
    ] = Path("disruption-demo/demo.sqlite"),
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the demo's outputs.")] = Path(
        "disruption-demo"
    ),
    force: ForceOption = False,
) -> None:
    """Build the calibrated synthetic authority on SQLite, run its year, write its report.

    Its files are readable by their owner only (0600); an existing --db file, or an --out
    folder with anything in it, is refused without --force.
    """
    from disruption.demo.run import print_summary, run_demo

    refuse_existing(db, force=force)
    with new_folder(out_dir, force=force), working() as work:
        summary = run_demo(seed=seed, db=db, out=out_dir, progress=work.step)
        work.summary = (
            f"demo: {summary.imported:,} placements imported, {summary.commands:,} commands "
            f"run, report written"
        )
    print_summary(summary, out)
