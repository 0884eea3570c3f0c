"""Disclosure control: small counts hidden, and no hidden count worked back from the rest.

Every protected table is checked by the independent solver of ``tests.disclosure_check``,
which reads only what is published.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from disruption.analysis.disclosure import Relation, Table, determined, hidden_cells, protect
from disruption.analysis.report_sections import Writer, endings_section, placements_section
from disruption.domain.codes import reason_group
from tests.disclosure_check import (
    read_report,
    shares_beside_hidden,
    small_counts_shown,
    worked_out,
)
from tests.strategies import open_placement_counts, section_rows

PROVIDERS = ["Own authority", "Private", "Other"]

# The source deck's table of open placements (rows with placements only).
DECK = [
    ("Foster placement", 343, 125, 30),
    ("Placed for adoption", 2, 0, 12),
    ("Placed with parents", 0, 0, 85),
    ("Independent living", 0, 5, 0),
    ("Residential accommodation", 2, 15, 0),
    ("Children's Homes", 9, 44, 3),
    ("Residential Care Home", 0, 2, 0),
    ("NHS/Health Trust", 0, 0, 2),
    ("Family Centre", 0, 2, 0),
    ("Young Offender Institution", 0, 0, 1),
    ("Residential school", 0, 0, 1),
]


def _two_way(rows: list[tuple[str, int, int, int]]) -> tuple[Table, list[Relation]]:
    """A table with a Total column and a Total row, and how its cells add up."""
    counts = [[a, b, c, a + b + c] for _, a, b, c in rows]
    totals = [sum(r[i] for r in counts) for i in range(4)]
    frame = pl.DataFrame(
        [*((r[0], *n) for r, n in zip(rows, counts, strict=True)), ("Total", *totals)],
        schema=["placement_type", *PROVIDERS, "Total"],
        orient="row",
    )
    columns = [*PROVIDERS, "Total"]
    last = frame.height - 1
    relations = [
        Relation(tuple(("open", r, c) for c in PROVIDERS), ("open", r, "Total"))
        for r in range(frame.height)
    ]
    relations += [
        Relation(tuple(("open", r, c) for r in range(last)), ("open", last, c)) for c in columns
    ]
    return Table("open", frame, tuple(columns)), relations


def test_the_decks_table_gives_no_hidden_count_away() -> None:
    table, relations = _two_way(DECK)
    shown = protect([table], relations, smallest=5)
    assert worked_out({"open": shown["open"]}) == []
    assert small_counts_shown({"open": shown["open"]}, 5) == []
    adoption = shown["open"].row(1)
    homes = shown["open"].row(5)
    # the examples: "c | 0 | 12 | 14" gave c = 2; "9 | 44 | c | 56" gave c = 3
    assert adoption.count("c") >= 2
    assert homes.count("c") >= 2


def test_primary_suppression_alone_gives_counts_away() -> None:
    table, relations = _two_way(DECK)
    primary = {c for c, v in table.values().items() if 0 < v < 5}
    assert ("open", 1, "Own authority") in determined(table.values(), primary, relations)


def test_a_group_of_reasons_does_not_give_its_reasons_away() -> None:
    # "STAND = 11 - 7 = 4": safeguarding or quality = ALLEG + STAND
    reasons = pl.DataFrame(
        {"reason": ["ALLEG", "STAND", "CARPL", "Total"], "count": [7, 4, 60, 71]}
    )
    groups = pl.DataFrame({"group": ["safeguarding", "planned", "Total"], "count": [11, 60, 71]})
    relations = [
        Relation((("r", 0, "count"), ("r", 1, "count"), ("r", 2, "count")), ("r", 3, "count")),
        Relation((("g", 0, "count"), ("g", 1, "count")), ("g", 2, "count")),
        Relation((("r", 0, "count"), ("r", 1, "count")), ("g", 0, "count")),
        Relation((("r", 2, "count"),), ("g", 1, "count")),
        Relation((("r", 3, "count"),), ("g", 2, "count")),
    ]
    tables = [Table("r", reasons, ("count",)), Table("g", groups, ("count",))]
    values = {k: v for t in tables for k, v in t.values().items()}
    hidden = hidden_cells(values, relations, 5)
    assert {("r", 0, "count"), ("r", 1, "count")} <= hidden
    assert determined(values, hidden, relations) == []


def test_shares_are_hidden_only_beside_a_hidden_count() -> None:
    frame = pl.DataFrame(
        {
            "reason": ["CARPL", "CHILD", "STAND", "Total"],
            "count": [188, 3, 9, 200],
            "percent": [94.0, 1.5, 4.5, 100.0],
        }
    )
    cells = [("e", r, "count") for r in range(4)]
    table = Table("e", frame, ("count",), {"percent": ("count",)}, (cells[3],))
    shown = protect([table], [Relation(tuple(cells[:3]), cells[3])], 5)["e"]
    assert shown.row(0) == ("CARPL", "188", "94.0")  # 188 and its share stay visible
    assert shown["count"].to_list()[1:3] == ["c", "c"]
    assert shown["percent"].to_list()[1:3] == ["c", "c"]
    assert shares_beside_hidden({"e": shown}) == []


def test_nothing_is_hidden_without_a_threshold() -> None:
    table, relations = _two_way(DECK)
    shown = protect([table], relations, smallest=None)["open"]
    assert all(v != "c" for row in shown.rows() for v in row)
    assert shown.row(1)[1] == "2"


@settings(max_examples=25, deadline=None)
@given(open_placement_counts, st.integers(2, 11))
def test_no_protected_table_gives_a_hidden_count_away(
    cells: list[tuple[int, int, int]], smallest: int
) -> None:
    rows = [(f"type {i}", *row) for i, row in enumerate(cells)]
    table, relations = _two_way(rows)
    shown = protect([table], relations, smallest)
    assert worked_out({"open": shown["open"]}) == []
    assert small_counts_shown({"open": shown["open"]}, smallest) == []


@settings(max_examples=8, deadline=None)
@given(rows=section_rows)
def test_no_table_of_the_reports_sections_gives_a_hidden_count_away(
    rows: list[tuple[str, bool, str, str, str, bool]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    out = tmp_path_factory.mktemp("sections")
    start, end = date(2024, 4, 1), date(2025, 3, 31)
    table = pl.DataFrame(
        [
            {
                "child": f"C{i}",
                "start": date(2023, 1, 1),
                "end": date(2024, 6, 1) if ended else None,
                "reason": reason if ended else None,
                "reason_group": reason_group(reason) if ended else None,
                "planned": planned if ended else None,
                "type_group": kind,
                "provider_group": provider,
                "location": location,
            }
            for i, (reason, planned, kind, provider, location, ended) in enumerate(rows)
        ],
        schema={
            "child": pl.String,
            "start": pl.Date,
            "end": pl.Date,
            "reason": pl.String,
            "reason_group": pl.String,
            "planned": pl.Boolean,
            "type_group": pl.String,
            "provider_group": pl.String,
            "location": pl.String,
        },
    )
    writer = Writer(out, 5)
    placements_section(writer, table, end, None)
    endings_section(writer, table, start, end, "the year")
    writer.finish()
    tables = read_report(out)
    assert small_counts_shown(tables, 5) == []
    assert worked_out(tables) == []
    assert shares_beside_hidden(tables) == []
