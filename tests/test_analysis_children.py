"""Per-child figures: placements in the last year, time in the current placement."""

from __future__ import annotations

from datetime import date

import polars as pl

from disruption.analysis.children import current_durations, out_of_borough, placements_in_year

ON = date(2026, 3, 31)


def _table() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "child": ["A", "A", "A", "B", "C", "D"],
            "start": [
                date(2025, 1, 1),
                date(2025, 6, 1),
                date(2025, 9, 1),
                date(2020, 1, 1),
                date(2025, 1, 1),
                date(2025, 1, 1),
            ],
            # The window is 1 April 2025 (ON - 1 year + 1 day) to ON. A's first placement ends
            # on 1 June 2025, inside it. D's placement ends on ON, so it is not open on ON.
            "end": [date(2025, 6, 1), date(2025, 9, 1), None, None, None, date(2026, 3, 31)],
            "location": [
                "in_borough",
                "in_borough",
                "out_of_borough",
                "in_borough",
                "in_borough",
                "x",
            ],
        }
    )


def test_placements_in_year_counts_children_open_on_the_day() -> None:
    # A: 3 placements in the year; B and C: 1; D is not open on ON.
    assert placements_in_year(_table(), ON).rows() == [("1", 2), ("2", 0), ("3 or more", 1)]


def test_a_placement_ending_on_the_window_start_is_not_counted() -> None:
    table = (
        _table()
        .with_columns(
            pl.when(pl.col("end") == date(2025, 6, 1))
            .then(date(2025, 4, 1))
            .otherwise(pl.col("end"))
            .alias("end")
        )
        .with_columns(
            pl.when(pl.col("start") == date(2025, 6, 1))
            .then(date(2025, 4, 1))
            .otherwise(pl.col("start"))
            .alias("start")
        )
    )
    # A's first placement now ends on 1 April 2025: it occupied days up to 31 March only.
    assert placements_in_year(table, ON).rows() == [("1", 2), ("2", 1), ("3 or more", 0)]


def test_current_durations_band_each_open_placement() -> None:
    bands = dict(current_durations(_table(), ON).rows())
    # A's current one: 7 months; B: 6 years; C: 15 months.
    assert bands == {
        "under 6 months": 0,
        "6 months to 1 year": 1,
        "1 to 2 years": 1,
        "2 to 5 years": 0,
        "5 years or more": 1,
    }


def test_out_of_borough_counts_open_placements() -> None:
    assert out_of_borough(_table(), ON).rows() == [("in_borough", 2), ("out_of_borough", 1)]


def test_the_year_is_a_calendar_year_across_29_february() -> None:
    # On 31 March 2024 the year starts on 1 April 2023 (365 days would give 2 April): a
    # placement ending on 2 April 2023 occupied 1 April 2023, so it counts.
    table = pl.DataFrame(
        {
            "child": ["A", "A", "A"],
            "start": [date(2022, 1, 1), date(2023, 4, 2), date(2023, 9, 1)],
            "end": [date(2023, 4, 2), date(2023, 9, 1), None],
            "location": ["in_borough"] * 3,
        }
    )
    assert placements_in_year(table, date(2024, 3, 31)).rows()[2] == ("3 or more", 1)


def test_duration_bands_start_on_calendar_months() -> None:
    # On 31 March 2026: 6 months before is 30 September 2025 (182 days), 1 year 31 March 2025.
    table = pl.DataFrame(
        {
            "child": ["A", "B", "C", "D"],
            "start": [date(2025, 9, 30), date(2025, 10, 1), date(2025, 3, 31), date(2025, 4, 1)],
            "end": [None] * 4,
            "location": ["in_borough"] * 4,
        }
    )
    bands = dict(current_durations(table, ON).rows())
    assert bands["under 6 months"] == 1  # B
    assert bands["6 months to 1 year"] == 2  # A and D
    assert bands["1 to 2 years"] == 1  # C
