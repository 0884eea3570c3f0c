"""The demo authority's SSDA903 history matches the deck and the published figures exactly."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from disruption.demo.returns import DECK, REASONS, YEAR_END, synthetic_returns
from disruption.domain.codes import placement_type_group, provider_group
from disruption.ssda903 import check_files, derive_placements

DECK_TABLE = {
    ("Foster placement", "Own authority"): 343,
    ("Foster placement", "Private"): 125,
    ("Foster placement", "Other"): 30,
    ("Placed for adoption", "Own authority"): 2,
    ("Placed for adoption", "Other"): 12,
    ("Placed with parents", "Other"): 85,
    ("Independent living", "Private"): 5,
    ("Residential accommodation", "Own authority"): 2,
    ("Residential accommodation", "Private"): 15,
    ("Children's Homes", "Own authority"): 9,
    ("Children's Homes", "Private"): 44,
    ("Children's Homes", "Other"): 3,
    ("Residential Care Home", "Private"): 2,
    ("NHS/Health Trust", "Other"): 2,
    ("Family Centre", "Private"): 2,
    ("Young Offender Institution", "Other"): 1,
    ("Residential school", "Other"): 1,
}
"""The source deck's table of 683 open placements, typed in from the deck."""


def test_the_deck_cells_are_the_decks_table() -> None:
    grouped: dict[tuple[str, str], int] = {}
    for (place, provider), n in DECK.items():
        key = (placement_type_group(place), provider_group(provider))
        grouped[key] = grouped.get(key, 0) + n
    assert grouped == DECK_TABLE
    assert sum(DECK_TABLE.values()) == 683


@pytest.mark.parametrize("seed", [1, 7])
def test_open_placements_on_the_year_end_match_the_deck(seed: int) -> None:
    open_now = synthetic_returns(seed).episodes.filter(pl.col("DEC").is_null())
    cells = open_now.group_by("PLACE", "PLACE_PROVIDER").len().rows()
    assert {(place, provider): n for place, provider, n in cells} == DECK


def test_the_same_seed_gives_the_same_history() -> None:
    assert synthetic_returns(3).episodes.equals(synthetic_returns(3).episodes)
    assert not synthetic_returns(3).episodes.equals(synthetic_returns(4).episodes)


def test_reasons_follow_the_national_mix() -> None:
    changes = synthetic_returns(7).episodes.filter(pl.col("REC") == "X1")
    shares = {
        reason: 100 * n / changes.height
        for reason, n in changes.group_by("REASON_PLACE_CHANGE").len().rows()
    }
    for reason, percent in REASONS:
        assert shares[reason] == pytest.approx(percent, abs=1.0)


def test_the_written_returns_read_back_clean(tmp_path: Path) -> None:
    folders = synthetic_returns(7).write(tmp_path)
    assert [f.name for f in folders][-1] == str(YEAR_END.year)
    report = check_files(folders)
    rules = {f.rule for f in report.findings}
    # Each return repeats the episodes still open at its end: only that is reconciled.
    assert rules <= {"reconcile-duplicate"}
    placements = derive_placements(report.episodes)
    open_now = placements.filter(pl.col("end").is_null() | (pl.col("end") > YEAR_END))
    assert open_now.height == 683
    assert placements.filter(pl.col("start") > date(2025, 3, 31)).height == 0
