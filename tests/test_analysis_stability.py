"""The stability measures on small hand-built histories, answers worked out by hand.

Y is 31 March 2025 throughout: the short-term window is 1 April 2024 to Y, the two-year one
1 April 2023 to Y; continuous care since 30 September 2022 or earlier for the long-term
cohort, the same carer since 31 March 2023 or earlier.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from disruption.analysis.stability import stability, store_inputs
from disruption.domain.dates import age_on, months_before
from disruption.ssda903 import Report, check_files
from disruption.ssda903.findings import Finding
from disruption.ssda903.historic import historic_cases
from disruption.store.memory import MemoryStore
from tests.returns903 import Returns903
from tests.strategies import stability_histories, year_ends

Y = date(2025, 3, 31)
Ep = tuple[str, date, date | None, str, str]  # child, decom, dec, rne, place (ls C2)


def frame(*rows: Ep, ls: dict[int, str] | None = None) -> pl.DataFrame:
    legal = ls or {}
    return pl.DataFrame(
        {
            "child": [r[0] for r in rows],
            "decom": [r[1] for r in rows],
            "dec": [r[2] for r in rows],
            "rne": [r[3] for r in rows],
            "ls": [legal.get(i, "C2") for i in range(len(rows))],
            "place": [r[4] for r in rows],
            "place_provider": ["PR1"] * len(rows),
            "urn": [f"SC-{r[4]}" for r in rows],  # one carer per placement type
            "rec": ["X1" if r[2] else None for r in rows],
            "reason_place_change": [None] * len(rows),
        },
        schema_overrides={"decom": pl.Date, "dec": pl.Date},
    )


def header(**dobs: date) -> pl.DataFrame:
    return pl.DataFrame({"child": list(dobs), "dob": list(dobs.values())})


def d(y: int, m: int, day: int) -> date:
    return date(y, m, day)


def measure(episodes: pl.DataFrame, dobs: pl.DataFrame | None, name: str) -> tuple[int, int]:
    result = stability(episodes, dobs, Y)[name]
    return result["numerator"], result["denominator"]


def test_the_cohort_is_open_on_y_an_episode_ending_on_y_is_not() -> None:
    episodes = frame(
        ("A", d(2024, 1, 1), Y, "S", "U4"),  # ends on Y: not open on Y
        ("B", Y, None, "S", "U4"),  # starts on Y: open on Y
        ("C", d(2024, 1, 1), d(2025, 4, 1), "S", "U4"),  # ends after Y: open on Y
    )
    assert measure(episodes, None, "short_term") == (0, 2)


def test_short_breaks_are_left_out_of_the_cohort() -> None:
    episodes = frame(
        ("A", d(2024, 1, 1), None, "S", "U4"),
        ("B", d(2024, 1, 1), None, "S", "U4"),
        ls={1: "V3"},
    )
    assert measure(episodes, None, "short_term") == (0, 1)


def test_an_unknown_legal_status_is_not_a_short_break() -> None:
    # A case opened live with no episode before it has no legal status: the child is looked
    # after and counted (only V3 and V4 are left out).
    episodes = frame(
        ("A", d(2024, 1, 1), None, "S", "U4"),
        ("B", d(2024, 1, 1), None, "S", "U4"),
        ("C", d(2024, 1, 1), None, "S", "U4"),
        ls={1: "V4"},
    ).with_columns(pl.when(pl.col("child") == "C").then(None).otherwise(pl.col("ls")).alias("ls"))
    assert measure(episodes, None, "short_term") == (0, 2)


def test_three_placements_in_the_year_count_and_the_window_start_is_exact() -> None:
    episodes = frame(
        # A: placement ending on 1 April 2024 occupies up to 31 March only: 2 in the window.
        ("A", d(2023, 1, 1), d(2024, 4, 1), "S", "U4"),
        ("A", d(2024, 4, 1), d(2024, 9, 1), "P", "U4"),
        ("A", d(2024, 9, 1), None, "P", "K2"),
        # B: the first placement ends on 2 April 2024: it occupies 1 April, so 3.
        ("B", d(2023, 1, 1), d(2024, 4, 2), "S", "U4"),
        ("B", d(2024, 4, 2), d(2024, 9, 1), "P", "U4"),
        ("B", d(2024, 9, 1), None, "P", "K2"),
    )
    assert measure(episodes, None, "short_term") == (1, 2)


def test_legal_status_changes_and_temporary_placements_are_not_placements() -> None:
    episodes = frame(
        ("A", d(2024, 5, 1), d(2024, 6, 1), "S", "U4"),
        ("A", d(2024, 6, 1), d(2024, 7, 1), "L", "U4"),  # same placement
        ("A", d(2024, 7, 1), d(2024, 7, 8), "T", "T2"),  # temporary: not a placement
        ("A", d(2024, 7, 8), d(2024, 9, 1), "T", "U4"),  # back to the same place and URN
        ("A", d(2024, 9, 1), None, "P", "K2"),
    )
    # One placement from May (the L episode and the return continue it), then K2: 2 in all.
    assert measure(episodes, None, "short_term") == (0, 1)
    moved_on = episodes.with_columns(
        pl.when(pl.col("decom") == d(2024, 7, 8))
        .then(pl.lit("SC-other"))
        .otherwise("urn")
        .alias("urn")
    )
    # A return to another carer is a new placement: 3.
    assert measure(moved_on, None, "short_term") == (1, 1)


def test_two_year_needs_two_years_of_continuous_care() -> None:
    episodes = frame(
        # A: in care since 31 March 2023 (= Y - 2 years): in the cohort; 3 placements.
        ("A", d(2023, 3, 31), d(2023, 9, 1), "S", "U4"),
        ("A", d(2023, 9, 1), d(2024, 9, 1), "P", "U4"),
        ("A", d(2024, 9, 1), None, "P", "U4"),
        # B: a gap in care in 2023 restarts continuity on 2 May 2023: not in the cohort.
        ("B", d(2020, 1, 1), d(2023, 5, 1), "S", "U4"),
        ("B", d(2023, 5, 2), None, "S", "U4"),
    )
    assert measure(episodes, None, "two_year") == (1, 1)


def test_long_term_same_carer_with_l_t_u_keeping_the_carer() -> None:
    episodes = frame(
        # A: since 2020, carer since 2021 (T and L keep the carer): same carer.
        ("A", d(2020, 1, 1), d(2021, 1, 1), "S", "U4"),
        ("A", d(2021, 1, 1), d(2023, 6, 1), "P", "U4"),
        ("A", d(2023, 6, 1), d(2024, 1, 1), "T", "U4"),
        ("A", d(2024, 1, 1), None, "L", "U4"),
        # B: since 2020, a new carer (B) in June 2023: not the same carer for 2 years.
        ("B", d(2020, 1, 1), d(2023, 6, 1), "S", "U4"),
        ("B", d(2023, 6, 1), None, "B", "U4"),
        # C: in care only since 1 October 2022 (after 30 September): not in the cohort.
        ("C", d(2022, 10, 1), None, "S", "U4"),
    )
    dobs = header(A=d(2012, 1, 1), B=d(2012, 1, 1), C=d(2012, 1, 1))
    assert measure(episodes, dobs, "long_term") == (1, 2)


def test_the_adoption_clause_the_issue_example() -> None:
    """U4 from 12/09/2018, A5 with a new carer from 27/07/2020: stable on 31/03/2021."""
    y = d(2021, 3, 31)
    episodes = frame(
        ("A", d(2018, 9, 12), d(2020, 7, 27), "S", "U4"),
        ("A", d(2020, 7, 27), None, "P", "A5"),
    )
    dobs = header(A=d(2015, 6, 1))
    result = stability(episodes, dobs, y)["long_term"]
    assert (result["numerator"], result["denominator"]) == (1, 1)
    # Not placed for adoption (a second foster carer): not stable.
    fostered = episodes.with_columns(pl.lit("U4").alias("place"))
    result = stability(fostered, dobs, y)["long_term"]
    assert (result["numerator"], result["denominator"]) == (0, 1)


def test_the_adoption_clause_needs_the_carer_before_to_start_two_years_before_y() -> None:
    episodes = frame(
        # A: the foster carer began on 31 March 2023 (= Y - 2 years): stable.
        ("A", d(2022, 1, 1), d(2023, 3, 31), "S", "U4"),
        ("A", d(2023, 3, 31), d(2024, 6, 1), "P", "U4"),
        ("A", d(2024, 6, 1), None, "P", "A6"),
        # B: the foster carer began on 1 April 2023, a day late: not stable.
        ("B", d(2022, 1, 1), d(2023, 4, 1), "S", "U4"),
        ("B", d(2023, 4, 1), d(2024, 6, 1), "P", "U4"),
        ("B", d(2024, 6, 1), None, "P", "A6"),
        # C: T keeps the carer: U4 (carer since 2022) then U5, then adoption: stable.
        ("C", d(2022, 1, 1), d(2023, 6, 1), "S", "U4"),
        ("C", d(2023, 6, 1), d(2024, 6, 1), "T", "U5"),
        ("C", d(2024, 6, 1), None, "P", "A3"),
    )
    dobs = header(A=d(2015, 1, 1), B=d(2015, 1, 1), C=d(2015, 1, 1))
    assert measure(episodes, dobs, "long_term") == (2, 3)


def test_the_adoption_clause_needs_the_adoptive_placement_on_y() -> None:
    episodes = frame(
        # A: placed for adoption in 2024, then back to a foster carer: not stable.
        ("A", d(2022, 1, 1), d(2024, 1, 1), "S", "U4"),
        ("A", d(2024, 1, 1), d(2024, 9, 1), "P", "A5"),
        ("A", d(2024, 9, 1), None, "P", "U4"),
        # B: a foster carer became the adopter (A3 with the current foster carer, T), but
        # that carer began only in 2024, after two years of another: not the clause's case
        # (the change of carer was not a move to adoption), so not stable.
        ("B", d(2022, 1, 1), d(2024, 1, 1), "S", "U4"),
        ("B", d(2024, 1, 1), d(2024, 9, 1), "P", "U4"),
        ("B", d(2024, 9, 1), None, "T", "A3"),
    )
    dobs = header(A=d(2015, 1, 1), B=d(2015, 1, 1))
    assert measure(episodes, dobs, "long_term") == (0, 2)


def test_a_child_turning_16_on_y_is_not_under_16() -> None:
    episodes = frame(
        ("A", d(2020, 1, 1), None, "S", "U4"),
        ("B", d(2020, 1, 1), None, "S", "U4"),
    )
    dobs = header(A=d(2009, 3, 31), B=d(2009, 4, 1))  # A turns 16 on Y, B the day after
    assert measure(episodes, dobs, "long_term") == (1, 1)


def test_without_dates_of_birth_the_long_term_cohort_is_empty() -> None:
    result = stability(frame(("A", d(2020, 1, 1), None, "S", "U4")), None, Y)
    assert result["long_term"] == {"numerator": 0, "denominator": 0, "percent": None}


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 3, 31), 12, date(2024, 3, 31)),
        (date(2025, 3, 31), 30, date(2022, 9, 30)),
        (date(2024, 2, 29), 12, date(2023, 2, 28)),
        (date(2025, 3, 31), 16 * 12, date(2009, 3, 31)),
    ],
)
def test_months_before(day: date, months: int, expected: date) -> None:
    assert months_before(day, months) == expected


@pytest.mark.parametrize(
    ("born", "day", "age"),
    [
        (date(2008, 2, 29), date(2024, 2, 28), 15),
        (date(2008, 2, 29), date(2024, 2, 29), 16),
        (date(2008, 2, 29), date(2025, 2, 28), 16),  # 29 February: a year older on 1 March
        (date(2008, 2, 29), date(2025, 3, 1), 17),
        (date(2009, 3, 31), date(2025, 3, 30), 15),
        (date(2009, 3, 31), date(2025, 3, 31), 16),
    ],
)
def test_age_on_counts_whole_years(born: date, day: date, age: int) -> None:
    assert age_on(born, day) == age


@settings(max_examples=300, deadline=None)
@given(
    born=st.dates(date(1990, 1, 1), date(2110, 12, 31)),
    day=st.dates(date(2006, 1, 1), date(2127, 12, 31)),
)
def test_the_under_16_column_test_is_the_age_in_whole_years(born: date, day: date) -> None:
    # The measures compare the column of dates of birth with one boundary date per year end;
    # it must say what the age in whole years says, 29 February and month ends included.
    assert (born > months_before(day, 16 * 12)) == (age_on(born, day) < 16)


def test_a_child_born_on_29_february_turns_16_on_1_march() -> None:
    # Y = 28 February 2025, 16 years after 28 February 2009: not a leap year, so the child
    # born on 29 February 2008 turned 16 in 2024, and one born 1 March 2009 is under 16.
    y = d(2025, 2, 28)
    episodes = frame(
        ("A", d(2020, 1, 1), None, "S", "U4"),
        ("B", d(2020, 1, 1), None, "S", "U4"),
        ("C", d(2020, 1, 1), None, "S", "U4"),
    )
    dobs = header(A=d(2008, 2, 29), B=d(2009, 2, 28), C=d(2009, 3, 1))
    assert stability(episodes, dobs, y)["long_term"]["denominator"] == 1  # C only
    # On 29 February 2024, one born 29 February 2008 turns 16 that day: not under 16.
    leap = stability(episodes, header(A=d(2008, 2, 29)), d(2024, 2, 29))["long_term"]
    assert leap["denominator"] == 0
    assert (
        stability(episodes, header(A=d(2008, 3, 1)), d(2024, 2, 29))["long_term"]["denominator"]
        == 1
    )


def test_windows_from_29_february_are_calendar_years() -> None:
    # Y = 29 February 2024: the short-term window starts 1 March 2023 (28 February 2023 plus
    # a day); the two-year one 1 March 2022; 2½ years (30 months) of care since 29 August 2021
    # or earlier: the day of the month is kept, not moved to the month's end.
    y = d(2024, 2, 29)
    episodes = frame(
        # A: a placement ending on 1 March 2023 occupied 28 February 2023 only: not counted.
        ("A", d(2021, 1, 1), d(2023, 3, 1), "S", "U4"),
        ("A", d(2023, 3, 1), d(2023, 6, 1), "P", "U5"),
        ("A", d(2023, 6, 1), None, "P", "U6"),
        # B: a placement ending on 2 March 2023 occupied 1 March 2023: counted.
        ("B", d(2021, 1, 1), d(2023, 3, 2), "S", "U4"),
        ("B", d(2023, 3, 2), d(2023, 6, 1), "P", "U5"),
        ("B", d(2023, 6, 1), None, "P", "U6"),
        # C: in care since 29 August 2021 (2½ years exactly); D since 30 August 2021.
        ("C", d(2021, 8, 29), None, "S", "U4"),
        ("D", d(2021, 8, 30), None, "S", "U4"),
    )
    dobs = header(A=d(2015, 1, 1), B=d(2015, 1, 1), C=d(2015, 1, 1), D=d(2015, 1, 1))
    result = stability(episodes, dobs, y)
    assert (result["short_term"]["numerator"], result["short_term"]["denominator"]) == (1, 4)
    # Long-term cohort: A, B (since 2021-01-01) and C, not D.
    assert result["long_term"]["denominator"] == 3


def test_31_march_windows_are_exact_on_both_sides() -> None:
    # Y = 31 March 2025: in care since 30 September 2022 is in the long-term cohort, since
    # 1 October 2022 is not; the same carer since 31 March 2023 is stable, 1 April 2023 not.
    episodes = frame(
        ("A", d(2022, 9, 30), None, "S", "U4"),
        ("B", d(2022, 10, 1), None, "S", "U4"),
        ("C", d(2022, 1, 1), d(2023, 3, 31), "S", "U4"),
        ("C", d(2023, 3, 31), None, "P", "U5"),
        ("D", d(2022, 1, 1), d(2023, 4, 1), "S", "U4"),
        ("D", d(2023, 4, 1), None, "P", "U5"),
    )
    dobs = header(A=d(2015, 1, 1), B=d(2015, 1, 1), C=d(2015, 1, 1), D=d(2015, 1, 1))
    assert measure(episodes, dobs, "long_term") == (2, 3)  # A and C stable; B not in it


def test_another_tools_returns_give_sane_measures(returns903: Returns903) -> None:
    report = check_files(list(returns903.folders))
    first = min(returns903.years)
    result = stability(report.episodes, report.header, date(first, 3, 31))
    assert result["year_end"] == f"{first}-03-31"
    for name in ("short_term", "two_year", "long_term"):
        m = result[name]
        assert 0 <= m["numerator"] <= m["denominator"]
    assert result["short_term"]["denominator"] > 300
    assert result["two_year"]["denominator"] <= result["short_term"]["denominator"]


@settings(max_examples=60, deadline=None)
@given(stability_histories(), year_ends)
def test_figures_are_consistent(history: tuple[pl.DataFrame, pl.DataFrame], y: date) -> None:
    episodes, dobs = history
    result = stability(episodes, dobs, y)
    for name in ("short_term", "two_year", "long_term"):
        assert 0 <= result[name]["numerator"] <= result[name]["denominator"]
    assert result["two_year"]["denominator"] <= result["short_term"]["denominator"]
    assert result["long_term"]["denominator"] <= result["two_year"]["denominator"]
    # The order of the rows does not matter.
    assert stability(episodes.reverse(), dobs.reverse(), y) == result


@settings(max_examples=60, deadline=None)
@given(stability_histories(), year_ends)
def test_placing_for_adoption_never_lowers_the_long_term_measure(
    history: tuple[pl.DataFrame, pl.DataFrame], y: date
) -> None:
    episodes, dobs = history
    # One-to-one onto codes the history does not use, so that the placements stay the same
    # (a return after a temporary placement is to the same PLACE).
    adopted = episodes.with_columns(pl.col("place").replace({"U4": "A4", "U5": "A6"}))
    before, after = stability(episodes, dobs, y), stability(adopted, dobs, y)
    assert after["long_term"]["denominator"] == before["long_term"]["denominator"]
    assert after["long_term"]["numerator"] >= before["long_term"]["numerator"]
    assert after["short_term"] == before["short_term"]


@settings(max_examples=60, deadline=None)
@given(stability_histories(), year_ends, st.data())
def test_a_change_of_legal_status_only_changes_nothing(
    history: tuple[pl.DataFrame, pl.DataFrame], y: date, data: st.DataObject
) -> None:
    """Splitting an episode with RNE L (same legal status, place and carer) is invisible."""
    episodes, dobs = history
    long = episodes.filter(
        pl.col("dec").is_not_null() & ((pl.col("dec") - pl.col("decom")).dt.total_days() > 1)
    )
    if long.height == 0:
        return
    row = long.row(data.draw(st.integers(0, long.height - 1)), named=True)
    cut = row["decom"] + timedelta(
        days=data.draw(st.integers(1, (row["dec"] - row["decom"]).days - 1))
    )
    split = pl.concat(
        [
            episodes.filter((pl.col("child") != row["child"]) | (pl.col("decom") != row["decom"])),
            pl.DataFrame(
                [{**row, "dec": cut}, {**row, "decom": cut, "rne": "L"}], schema=episodes.schema
            ),
        ]
    )
    assert stability(split, dobs, y) == stability(episodes, dobs, y)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stability_histories(), year_ends)
def test_the_store_gives_back_the_figures_of_the_episodes_it_imported(
    history: tuple[pl.DataFrame, pl.DataFrame], y: date
) -> None:
    episodes, dobs = history
    report_episodes = episodes.with_columns(
        pl.lit("TS1 1AA").alias("home_post"),
        pl.lit("TS1 1AB").alias("pl_post"),
        pl.lit("episodes.csv").alias("_file"),
        pl.int_range(2, pl.len() + 2).alias("_row"),
    )
    store = MemoryStore()
    found: list[Finding] = []
    cases = historic_cases(
        Report(report_episodes, dobs, ()),
        recorded_at=datetime(2026, 1, 1, tzinfo=UTC),
        findings=found,
    )
    store.bulk_append(list(cases))
    assert found == []
    stored, months = store_inputs(store)
    expected = stability(episodes, dobs, y)
    assert stability(stored, dobs, y) == expected
    assert stability(stored, months, y) == expected  # 31 March: months of birth decide
