"""Breakdown tables over cases run through the engine, with answers counted by hand."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from disruption.analysis import (
    case_table,
    deadline_performance,
    deadline_table,
    endings,
    load_cases,
    open_placements,
    procedure_outcomes,
    review_factors,
    suppress,
)
from disruption.engine.engine import Engine
from disruption.store.memory import MemoryStore
from tests.builders import (
    MANAGER,
    SW,
    T0,
    day,
    end_placement_data,
    hours,
    make_engine,
    open_case_data,
    reach,
    record_learning_review_data,
    reg14_steps,
    run,
)

YEAR = (date(2025, 1, 1), date(2025, 12, 31))


def _ended(engine: Engine, case: str, reason: str, *, planned: bool, provider: str = "PR1") -> None:
    data = open_case_data(provider=provider)
    run(
        engine,
        case,
        [
            ("open_case", T0, SW, data),
            # Regulation 14: a planned ending follows the IRO informed and the case reviewed.
            *(reg14_steps(hours(T0, 0.5)) if planned else []),
            ("end_placement", hours(T0, 1), SW, end_placement_data(day(T0), reason, planned)),
        ],
    )


@pytest.fixture
def engine() -> Engine:
    """Eight cases: three open (placed, stabilised, move_planned) and five ended."""
    engine = make_engine(T0 + timedelta(days=3), store=MemoryStore())
    reach(engine, "A", "placed")
    reach(engine, "B", "stabilised")
    reach(engine, "C", "move_planned", placement_type="K2")
    _ended(engine, "D", "CREQB", planned=False)
    _ended(engine, "E", "CREQO", planned=False, provider="PR4")
    _ended(engine, "F", "CARPL", planned=True)
    _ended(engine, "G", "CHILD", planned=False)
    reach(engine, "H", "support_offered")
    run(
        engine,
        "H",
        [("end_placement", hours(T0, 5), SW, end_placement_data(day(T0), "ALLEG", False))],
    )
    return engine


def test_the_case_table_has_one_row_per_case_with_codes_only(engine: Engine) -> None:
    table = case_table(load_cases(engine.store))
    assert table.height == 8
    row = table.filter(pl.col("case") == "E").row(0, named=True)
    assert row["state"] == "ended"
    assert row["reason"] == "CREQO"
    assert row["reason_group"] == "carer-initiated"
    assert row["provider_group"] == "Private"
    assert row["type_group"] == "Foster placement"
    assert row["planned"] is False
    assert row["end"] == T0.date()
    assert table.filter(pl.col("case") == "C").row(0, named=True)["type_group"] == (
        "Children's Homes"
    )


def test_endings_by_reason_group_count_only_the_period(engine: Engine) -> None:
    table = case_table(load_cases(engine.store))
    by_group = dict(endings(table, "reason_group", *YEAR).select("reason_group", "count").rows())
    # D and E carer-initiated; F planned; G child; H safeguarding.
    assert by_group == {
        "carer-initiated": 2,
        "planned or care plan": 1,
        "child-initiated": 1,
        "safeguarding or quality": 1,
    }
    assert endings(table, "reason", date(2026, 1, 1), date(2026, 12, 31)).height == 0


def test_endings_percent_adds_up(engine: Engine) -> None:
    table = case_table(load_cases(engine.store))
    planned = endings(table, "planned", *YEAR)
    assert dict(planned.select("planned", "count").rows()) == {False: 4, True: 1}
    assert planned["percent"].to_list() == [80.0, 20.0]


def test_the_placement_table_counts_open_placements_by_type_and_provider(engine: Engine) -> None:
    table = case_table(load_cases(engine.store))
    placements = open_placements(table, T0.date() + timedelta(days=1))
    rows = {r[0]: r[1:] for r in placements.rows()}
    # Open: A, B (U1, PR1), C (K2, PR1); everything else ended on T0.
    assert rows["Foster placement"] == (2, 0, 0, 2)
    assert rows["Children's Homes"] == (1, 0, 0, 1)
    assert rows["Total"] == (3, 0, 0, 3)
    assert placements.columns == ["placement_type", "Own authority", "Private", "Other", "Total"]


def test_the_placement_table_of_an_empty_day_is_a_zero_total() -> None:
    placements = open_placements(case_table([]), date(2025, 1, 1))
    assert placements.rows() == [("Total", 0, 0, 0, 0)]


def test_procedure_outcomes_by_support_type(engine: Engine) -> None:
    table = case_table(load_cases(engine.store))
    outcomes = {r["support"]: r for r in procedure_outcomes(table).iter_rows(named=True)}
    # B stabilised, C move planned (open), H ended: all three had the same support offer.
    offered = outcomes["extra_visits"]
    assert (offered["stabilised"], offered["ended"], offered["open"]) == (1, 1, 1)
    assert offered["percent_stabilised"] == 50.0
    assert "none" not in outcomes  # A had no concern; D-G never entered the procedure


def test_deadline_performance_counts_each_status(engine: Engine) -> None:
    cases = load_cases(engine.store)
    performance = {
        r["deadline"]: r for r in deadline_performance(deadline_table(cases)).iter_rows(named=True)
    }
    screening = performance["screening"]
    # B, C and H had a concern screened the same day by an offer of support.
    assert screening["met"] == 3
    assert screening["late"] == 0
    assert screening["percent_on_time"] == 100.0
    notice = performance["termination_notice"]
    assert notice["open_not_yet_due"] == 4
    assert notice["met"] == 0
    assert notice["percent_on_time"] is None


def test_review_factors_are_counted_per_review(engine: Engine) -> None:
    run(
        engine,
        "D",
        [
            (
                "record_learning_review",
                hours(T0, 30),
                MANAGER,
                record_learning_review_data(day(T0 + timedelta(days=1))),
            )
        ],
    )
    factors = review_factors(case_table(load_cases(engine.store)))
    assert factors["count"].to_list() == [1] * factors.height
    assert factors["percent"].to_list() == [100.0] * factors.height


def test_suppress_hides_counts_under_five_and_every_share_of_the_total_then() -> None:
    table = pl.DataFrame(
        {"group": ["a", "b", "c"], "count": [7, 3, 0], "percent": [70.0, 30.0, 0.0]}
    )
    shown = suppress(table, shares_of_total=True)
    assert shown.rows() == [("a", "7", "c"), ("b", "c", "c"), ("c", "0", "c")]
    whole = suppress(table.filter(pl.col("count") != 3), shares_of_total=True)
    assert whole.rows() == [("a", "7", "70.0"), ("c", "0", "0.0")]


def test_suppress_hides_a_row_share_only_on_the_row_with_a_hidden_count() -> None:
    table = pl.DataFrame(
        {"deadline": ["x", "y"], "met": [20, 9], "late": [3, 6], "percent": [87.0, 60.0]}
    )
    assert suppress(table).rows() == [("x", "20", "c", "c"), ("y", "9", "6", "60.0")]


def test_open_deadlines_past_due_count_as_not_met() -> None:
    due, on = date(2025, 6, 1), date(2026, 3, 31)
    statuses = ["met"] * 143 + ["late"] * 12 + ["open"] * 89 + ["cancelled"] * 3
    table = pl.DataFrame(
        {
            "deadline": ["learning_review"] * len(statuses),
            "due": [due] * len(statuses),
            "status": statuses,
        }
    )
    row = deadline_performance(table, on).row(0, named=True)
    assert (row["met"], row["late"], row["open_past_due"], row["cancelled"]) == (143, 12, 89, 3)
    assert row["percent_on_time"] == round(100 * 143 / 244, 1) == 58.6
    not_yet = deadline_performance(table, date(2025, 5, 1)).row(0, named=True)
    assert (not_yet["open_past_due"], not_yet["open_not_yet_due"]) == (0, 89)
