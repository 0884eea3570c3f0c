"""Commands on SSDA903 returns: validate-903, import-903, export-903, stability."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from disruption.cli._common import (
    DB_ENV,
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
from disruption.cli._dates import DATE_HELP, now, parse_date
from disruption.cli._files import ForceOption, new_file, refuse_existing
from disruption.cli._progress import step_status, working

RETURNS_HELP = (
    "SSDA903 Episodes and Header CSV files or folders: any mix, any number of years, any "
    "order. Each file is read as the return its DEC dates say, else its name (2019-20, or "
    "2020 for the year ending 31 March 2020); see docs/ssda903.md."
)


@app.command("validate-903")
@friendly
def validate_903(
    files: Annotated[list[Path], typer.Argument(help=RETURNS_HELP)],
    as_json: JsonOption = False,
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="Write the findings as CSV.")
    ] = None,
    force: ForceOption = False,
) -> None:
    """Check SSDA903 returns: reconcile the years and report every data-quality finding.

    Exits 0 when the files are usable (with findings or not); 2, with one line naming the
    files, when one cannot be read, a file's return year cannot be told, or two files claim
    the same year and table.
    """
    from rich.table import Table

    from disruption.ssda903 import check_files, findings_to_json, write_findings_csv

    if csv_out is not None:
        refuse_existing(csv_out, force=force)
    with step_status() as step:
        report = check_files(files, on_step=step)
    if csv_out is not None:
        with new_file(csv_out, force=force) as part:
            write_findings_csv(report.findings, part)
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
@friendly
def stability(
    ctx: typer.Context,
    files: Annotated[
        list[Path] | None,
        typer.Argument(help=RETURNS_HELP + " Or --db."),
    ] = None,
    year_end: Annotated[
        list[str] | None,
        typer.Option("--year-end", help=f"Y: {DATE_HELP} (repeat for a series)."),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar=DB_ENV,
            help="Instead of FILES: the store's SQLite path or database URL (read only when no "
            "FILES are given).",
        ),
    ] = None,
    header: Annotated[
        list[Path] | None,
        typer.Option(
            "--header",
            help="With --db: Header files or folders giving dates of birth (else the months "
            "of birth the import kept); each read as the return of the Episodes file beside "
            "it, else as its name says.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Print the DfE placement-stability measures for one or more year ends.

    Exits 2 when a file cannot be read, a file's return year cannot be told, or two files
    claim the same year and table.
    """
    from rich.table import Table

    from disruption.analysis.stability import stability as measures

    if not year_end:
        raise typer.BadParameter("give at least one --year-end DATE", param_hint="--year-end")
    source = ctx.get_parameter_source("db")
    if files and source is not None and source.name == "ENVIRONMENT":
        db = None  # files given: $DISRUPTION_DB is not read
    if files and db:
        raise fail("give SSDA903 files or --db, not both")
    if not files and not db:
        raise fail(f"stability needs SSDA903 files or a store: give FILES, --db URL or {DB_ENV}")
    ends = [parse_date(y, "--year-end") for y in year_end]
    episodes, dobs = _stability_inputs(files, db, header, ends)
    results = [measures(episodes, dobs, y) for y in ends]
    if as_json:
        for result in results:
            print_json(result)
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
    files: list[Path] | None, db: str | None, header: list[Path] | None, ends: list[Any]
) -> tuple[Any, Any]:
    from disruption.ssda903 import check_files, read_header

    if files:
        with step_status() as step:
            report = check_files(files, on_step=step)
        return report.episodes, report.header
    from disruption.analysis.stability import months_of_birth_suffice, store_inputs

    with opened(db) as store:
        episodes, months = store_inputs(store)
    if header:
        return episodes, read_header(header)[0]
    if months.height == 0:
        err.print("no --header: the long-term measure needs dates of birth", markup=False)
    elif not all(months_of_birth_suffice(y) for y in ends):
        raise typer.BadParameter(
            "the store keeps months of birth only, which cannot tell who is under 16 on a year "
            "end whose date 16 years before is not a month's last day: give --header",
            param_hint="--year-end",
        )
    return episodes, months


@app.command("import-903")
@friendly
def import_903(
    files: Annotated[list[Path], typer.Argument(help=RETURNS_HELP)],
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

    Importing the same files again adds nothing. Exits 2, writing nothing, only when a file
    cannot be read, a file's return year cannot be told, or two files claim the same year
    and table.
    """
    from disruption.ssda903.load import plan_import

    borough = (
        None if districts is None else frozenset(d.strip().upper() for d in districts.split(","))
    )
    with working() as work:
        plan = plan_import(
            files, recorded_at=now(), borough_districts=borough, on_step=work.checking
        )
        with opened(db, must_exist=False) as store:
            summary = plan.load(store, progress=work.advance("Importing placements"))
        work.summary = (
            f"imported {summary.added:,} cases ({summary.present:,} already in the store) "
            f"from {summary.episodes:,} episodes"
        )
    result = {
        "episodes": summary.episodes,
        "children": summary.children,
        "placements": summary.placements,
        "added": summary.added,
        "present": summary.present,
        "findings": len(summary.findings),
    }
    if as_json:
        print_json(result)
        return
    out.print(
        f"{summary.placements:,} placements of {summary.children:,} children from "
        f"{summary.episodes:,} episodes: {summary.added:,} cases added, {summary.present:,} "
        f"already in the store; {len(summary.findings):,} findings (see validate-903)",
        markup=False,
    )


@app.command("export-903")
@friendly
def export_903(
    db: DbOption = None,
    out_file: Annotated[
        Path, typer.Option("--out", help="The Episodes-shaped CSV file to write.")
    ] = Path("episodes-ended.csv"),
    start: Annotated[
        str | None, typer.Option("--from", help=f"Endings on or after this day: {DATE_HELP}.")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help=f"Endings on or before this day: {DATE_HELP}.")
    ] = None,
    force: ForceOption = False,
) -> None:
    """Write the placements the procedure ended as Episodes rows, for the next return.

    The file is readable by its owner only (0600), and never written over an existing one
    without --force.
    """
    from disruption.analysis.cases import load_cases
    from disruption.ssda903.export import episodes_of, write_episodes

    first = None if start is None else parse_date(start, "--from")
    last = None if end is None else parse_date(end, "--to")
    refuse_existing(out_file, force=force)
    with opened(db) as store:
        table = episodes_of(load_cases(store), start=first, end=last)
    with new_file(out_file, force=force) as part:
        write_episodes(table, part)
    out.print(f"{table.height:,} ended placements written to {out_file}", markup=False)
