from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings

from disruption.ssda903 import PLACEMENT_COLUMNS, check_files, derive_placements
from disruption.ssda903.placements import placement_episodes
from tests.returns903 import Returns903
from tests.strategies import placement_histories

# (child, decom, rne, place, dec, rec, reason_place_change, urn); provider is "PR" + place.
Row = tuple[str, date, str, str, date | None, str | None, str | None, str | None]


def d(day: int, month: int = 1, year: int = 2020) -> date:
    return date(year, month, day)


def episodes(*rows: Row) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "child": [r[0] for r in rows],
            "decom": [r[1] for r in rows],
            "rne": [r[2] for r in rows],
            "ls": ["C2"] * len(rows),
            "cin": ["N1"] * len(rows),
            "place": [r[3] for r in rows],
            "place_provider": ["PR" + r[3] for r in rows],
            "dec": [r[4] for r in rows],
            "rec": [r[5] for r in rows],
            "reason_place_change": [r[6] for r in rows],
            "urn": [r[7] for r in rows],
        },
        schema_overrides={"decom": pl.Date, "dec": pl.Date},
    )


def spans(df: pl.DataFrame) -> list[tuple[str, int, str, date, date | None]]:
    return [
        (r["child"], r["placement"], r["type"], r["start"], r["end"])
        for r in df.iter_rows(named=True)
    ]


def test_columns_and_s_starts_a_placement() -> None:
    df = derive_placements(episodes(("1", d(1), "S", "U1", d(10), "E11", None, "SC1")))
    assert df.columns == list(PLACEMENT_COLUMNS)
    assert df.schema["start"] == pl.Date
    assert df.schema["end"] == pl.Date
    assert df.schema["left_care"] == pl.Boolean
    # One S episode, 1-10 Jan: one placement with the same dates.
    assert df.row(0) == ("1", 1, "U1", "PRU1", d(1), d(10), None, True, "SC1")


def test_l_continues_the_placement() -> None:
    df = derive_placements(
        episodes(
            ("1", d(1), "S", "U1", d(10), "X1", None, "SC1"),
            ("1", d(10), "L", "U1", d(20), "X1", None, "SC1"),
            ("1", d(20), "L", "U1", d(30), "E11", None, "SC1"),
        )
    )
    # S then two contiguous L: a single placement 1-30 Jan.
    assert spans(df) == [("1", 1, "U1", d(1), d(30))]


@pytest.mark.parametrize("rne", ["P", "B", "T", "U"])
def test_p_b_t_u_start_a_new_placement(rne: str) -> None:
    df = derive_placements(
        episodes(
            ("1", d(1), "S", "U1", d(10), "X1", None, "SC1"),
            ("1", d(10), rne, "U1", d(20), "E11", None, "SC1"),
        )
    )
    # Contiguous, same PLACE, but the second RNE starts a placement: 1-10 and 10-20 Jan.
    assert spans(df) == [("1", 1, "U1", d(1), d(10)), ("1", 2, "U1", d(10), d(20))]


def test_gap_in_care_starts_a_new_placement_even_with_l() -> None:
    df = derive_placements(
        episodes(
            ("1", d(1), "S", "U1", d(10), "E11", None, "SC1"),
            ("1", d(15), "L", "U1", d(20), "E11", None, "SC1"),
        )
    )
    # Second episode starts 15 Jan, the first ended 10 Jan: a gap, so two placements.
    assert spans(df) == [("1", 1, "U1", d(1), d(10)), ("1", 2, "U1", d(15), d(20))]


@pytest.mark.parametrize("temporary", ["T0", "T1", "T2", "T3", "T4"])
def test_temporary_skipped_and_return_to_same_place_and_urn_continues(temporary: str) -> None:
    df = derive_placements(
        episodes(
            ("1", d(1), "S", "U1", d(10), "X1", None, "SC1"),
            ("1", d(10), "T", temporary, d(12), "X1", None, None),
            ("1", d(12), "P", "U1", d(20), "X1", "CARPL", "SC1"),
            ("1", d(20), "P", "K2", d(30), "E11", None, "SC2"),
        )
    )
    # The T episode is dropped; the P back to U1/SC1 continues placement 1 (1-20 Jan, reason
    # of its last episode CARPL); K2 from 20 Jan is placement 2.
    assert spans(df) == [("1", 1, "U1", d(1), d(20)), ("1", 2, "K2", d(20), d(30))]
    assert df["reason"].to_list() == ["CARPL", None]
    assert temporary not in df["type"].to_list()


def test_return_after_several_temporary_episodes_continues() -> None:
    df = derive_placements(
        episodes(
            ("1", d(1), "S", "U1", d(10), "X1", None, "SC1"),
            ("1", d(10), "T", "T1", d(11), "X1", None, None),
            ("1", d(11), "T", "T3", d(12), "X1", None, None),
            ("1", d(12), "P", "U1", d(20), "X1", None, "SC1"),
            ("1", d(20), "L", "U1", d(25), "E11", None, "SC1"),
        )
    )
    # Two temporary episodes dropped; the return and its L run continue placement 1 to 25 Jan.
    assert spans(df) == [("1", 1, "U1", d(1), d(25))]


@pytest.mark.parametrize(("place", "urn"), [("U1", "SC2"), ("U4", "SC1")])
def test_return_to_a_different_place_or_urn_starts_new(place: str, urn: str) -> None:
    df = derive_placements(
        episodes(
            ("1", d(1), "S", "U1", d(10), "X1", None, "SC1"),
            ("1", d(10), "T", "T2", d(12), "X1", None, None),
            ("1", d(12), "P", place, d(20), "E11", None, urn),
        )
    )
    # PLACE or URN differs from before the T2 episode: normal rules, P starts placement 2 on
    # 12 Jan; placement 1 ends 10 Jan (its last episode's DEC).
    assert spans(df) == [("1", 1, "U1", d(1), d(10)), ("1", 2, place, d(12), d(20))]


def test_return_after_a_gap_in_care_starts_new() -> None:
    df = derive_placements(
        episodes(
            ("1", d(1), "S", "U1", d(10), "X1", None, "SC1"),
            ("1", d(10), "T", "T2", d(12), "E11", None, None),
            ("1", d(15), "S", "U1", d(20), "E11", None, "SC1"),
        )
    )
    # Same PLACE and URN, but the child was out of care 12-15 Jan: a new placement.
    assert spans(df) == [("1", 1, "U1", d(1), d(10)), ("1", 2, "U1", d(15), d(20))]


def test_reason_and_left_care_from_the_last_episode() -> None:
    df = derive_placements(
        episodes(
            ("1", d(1), "S", "U1", d(10), "E11", "ALLEG", "SC1"),
            ("1", d(10), "L", "U1", d(20), "X1", "CARPL", "SC1"),
            ("1", d(20), "P", "K2", d(30), "X1", None, "SC2"),
            ("1", d(30), "L", "K2", d(31), "E11", "CHILD", "SC2"),
        )
    )
    # Placement 1's last episode is the L (X1, CARPL); placement 2's the L (E11, CHILD).
    assert df["reason"].to_list() == ["CARPL", "CHILD"]
    assert df["left_care"].to_list() == [False, True]


def test_blank_rec_is_not_leaving_care() -> None:
    df = derive_placements(episodes(("1", d(1), "S", "U1", d(10), None, None, "SC1")))
    # Closed, but REC blank: left_care is False.
    assert df["left_care"].to_list() == [False]


def test_open_last_placement_has_null_end() -> None:
    df = derive_placements(
        episodes(
            ("1", d(1), "S", "U1", d(10), "X1", None, "SC1"),
            ("1", d(10), "P", "K2", None, "E11", None, "SC2"),
        )
    )
    # The K2 episode has no DEC: placement 2 is open (and, open, has not left care).
    assert spans(df) == [("1", 1, "U1", d(1), d(10)), ("1", 2, "K2", d(10), None)]
    assert df["left_care"].to_list() == [False, False]


def test_two_children_kept_apart() -> None:
    df = derive_placements(
        episodes(
            ("2", d(10), "L", "K2", d(20), "E11", None, "SC2"),
            ("1", d(1), "S", "U1", d(10), "X1", None, "SC1"),
            ("2", d(1), "S", "U1", d(10), "X1", None, "SC1"),
            ("1", d(10), "L", "U1", d(20), "E11", None, "SC1"),
        )
    )
    # Child 1: S then L, one placement. Child 2: S then L - contiguous - continues too, and
    # child 2's first episode is not read as continuing child 1's placement.
    assert spans(df) == [
        ("1", 1, "U1", d(1), d(20)),
        ("2", 1, "U1", d(1), d(20)),
    ]


def test_first_episode_of_a_child_starts_even_with_l() -> None:
    df = derive_placements(
        episodes(
            ("1", d(1), "S", "U1", d(10), "X1", None, "SC1"),
            ("2", d(10), "L", "K2", d(20), "E11", None, "SC2"),
        )
    )
    # Child 2 starts on 10 Jan, the day child 1's episode ended, with RNE L: still a new
    # placement (numbered 1) because it is child 2's first.
    assert spans(df) == [("1", 1, "U1", d(1), d(10)), ("2", 1, "K2", d(10), d(20))]


def test_no_episodes() -> None:
    df = derive_placements(episodes())
    assert df.columns == list(PLACEMENT_COLUMNS)
    assert df.height == 0


def test_another_tools_returns(returns903: Returns903) -> None:
    report = check_files(list(returns903.folders))
    df = derive_placements(report.episodes)
    assert df.height > 0
    bad = df.filter(pl.col("end").is_not_null() & (pl.col("start") > pl.col("end")))
    assert bad.height == 0, bad


def test_placement_episodes_keep_temporary_ones_with_the_placement_they_interrupt() -> None:
    rows = episodes(
        ("1", d(1), "T", "T1", d(3), "X1", None, None),  # temporary first: the next placement's
        ("1", d(3), "S", "U4", d(10), "X1", None, "SC1"),
        ("1", d(10), "L", "U4", d(12), "X1", None, "SC1"),
        ("1", d(12), "T", "T2", d(14), "X1", None, None),  # back to U4 after: the same one
        ("1", d(14), "T", "U4", d(20), "X1", "CARPL", "SC1"),
        ("1", d(20), "P", "K2", d(25), "X1", None, "SC2"),
        ("1", d(25), "T", "T3", None, None, None, None),  # open, after K2 ended: K2's
        ("2", d(1), "S", "T0", None, None, None, None),  # only temporary: no placement
    )
    kept = placement_episodes(rows, ("dec", "rne", "place"))
    assert kept.drop("episodes").equals(derive_placements(rows))
    listed = [[(e["decom"], e["rne"], e["place"]) for e in row] for row in kept["episodes"]]
    assert listed == [
        [(d(1), "T", "T1"), (d(3), "S", "U4"), (d(10), "L", "U4"), (d(12), "T", "T2"),
         (d(14), "T", "U4")],
        [(d(20), "P", "K2"), (d(25), "T", "T3")],
    ]  # fmt: skip
    # Every episode of a child with a placement is in exactly one placement.
    assert sum(len(row) for row in kept["episodes"]) == rows.height - 1


def _reference(rows: list[Row]) -> list[tuple[object, ...]]:
    """The module's rules, one child at a time, in plain Python (for the property below)."""
    out: list[tuple[object, ...]] = []
    by_child: dict[str, list[Row]] = {}
    for r in sorted(rows, key=lambda r: (r[0], r[1])):
        by_child.setdefault(r[0], []).append(r)
    for child in sorted(by_child):
        eps = by_child[child]
        gaps = [i == 0 or eps[i][1] != eps[i - 1][4] for i in range(len(eps))]
        current: list[Row] = []
        current_period = last_kept = -1
        placements: list[list[Row]] = []
        period = -1
        for i, e in enumerate(eps):
            period += gaps[i]
            if e[3] in ("T0", "T1", "T2", "T3", "T4"):
                continue
            after_temp = i > 0 and eps[i - 1][3] in ("T0", "T1", "T2", "T3", "T4")
            returning = (
                after_temp
                and last_kept >= 0
                and e[3] == eps[last_kept][3]
                and e[7] == eps[last_kept][7]
                and period == current_period
            )
            starts = not current or (not returning and (e[2] in "SPBTU" or gaps[i]))
            if starts:
                current = [e]
                placements.append(current)
            else:
                current.append(e)
            last_kept, current_period = i, period
        for n, p in enumerate(placements, 1):
            last = p[-1]
            left = last[4] is not None and last[5] is not None and last[5] != "X1"
            out.append((child, n, p[0][3], p[0][1], last[4], last[6], left, p[0][7]))
    return out


@settings(max_examples=150, deadline=None)
@given(placement_histories())
def test_derive_placements_follows_the_rules(rows: list[Row]) -> None:
    got = derive_placements(episodes(*rows))
    expected = _reference(rows)
    assert [
        (r["child"], r["placement"], r["type"], r["start"], r["end"], r["reason"], r["left_care"],
         r["urn"])
        for r in got.iter_rows(named=True)
    ] == expected  # fmt: skip
    # Every episode lands in exactly one placement of its child, temporary ones included.
    kept = placement_episodes(episodes(*rows), ("place",))
    children_with_placements = {r[0] for r in expected}
    assert sum(len(e) for e in kept["episodes"]) == sum(
        1 for r in rows if r[0] in children_with_placements
    )
