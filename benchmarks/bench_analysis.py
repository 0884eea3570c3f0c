"""Benchmark the breakdown analysis at national scale, against hand-written polars queries.

A national-scale history (``benchmarks/national.py``: about 1,000,000 episodes of 100,000
children) is turned into placements (``derive_placements``) and a case table with the
columns of ``disruption.analysis.CASE_SCHEMA``, untimed. Then, in interleaved rounds, each
breakdown table the report computes (endings by reason, by reason group, planned or not, by
placement type group, by provider group; the open-placements table by type and provider) is
timed through ``disruption.analysis`` and through a hand-written polars query that computes
the same numbers, and the results are checked equal.

The three stability measures (``disruption.analysis.stability``, with the long-term
measure's adoption clause) are timed against a hand-written polars query of the same
figures: median of 5 interleaved rounds, the order alternating.

Target (issues 5 and 16): under 5 seconds for all of it, at most 1.5x the hand-written
queries.

Run it: ``python benchmarks/bench_analysis.py [--children N]`` (100,000 by default).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from national import YEAR_END, national_episodes, national_header

from disruption.analysis import endings_by, open_placements
from disruption.analysis.stability import stability
from disruption.domain.codes import (
    PLACEMENT_TYPE_GROUPS,
    PROVIDER_GROUPS,
    REASON_GROUPS,
)
from disruption.domain.dates import months_before
from disruption.ssda903 import derive_placements

__all__ = ["main", "measure"]

TARGET_SECONDS: Final = 5.0
TARGET_RATIO: Final = 1.5
ROUNDS: Final = 7
STABILITY_ROUNDS: Final = 5
START: Final = YEAR_END - timedelta(days=364)
BREAKDOWNS: Final = ("reason", "reason_group", "planned", "type_group", "provider_group")


def _inverse(groups: Any) -> dict[str, str]:
    return {code: group for group, codes in groups.items() for code in codes}


def case_table_of(episodes: pl.DataFrame) -> pl.DataFrame:
    """The case table of the placements derived from SSDA903 episodes (untimed set-up)."""
    lower = episodes.rename({c: c.lower() for c in episodes.columns})
    placements = derive_placements(lower)
    return placements.select(
        pl.format("{}-{}", "child", "placement").alias("case"),
        "child",
        pl.when(pl.col("end").is_null())
        .then(pl.lit("placed"))
        .otherwise(pl.lit("ended"))
        .alias("state"),
        pl.col("type").alias("placement_type"),
        pl.col("type")
        .replace_strict(_inverse(PLACEMENT_TYPE_GROUPS), default=None)
        .alias("type_group"),
        "provider",
        pl.col("provider")
        .replace_strict(_inverse(PROVIDER_GROUPS), default=None)
        .alias("provider_group"),
        pl.lit("in_borough").alias("location"),
        "start",
        "end",
        "reason",
        pl.col("reason")
        .replace_strict(_inverse(REASON_GROUPS), default=None)
        .alias("reason_group"),
        pl.when(pl.col("end").is_null())
        .then(None)
        .otherwise(pl.col("reason") == "CARPL")
        .alias("planned"),
    )


def ours(table: pl.DataFrame) -> list[pl.DataFrame]:
    """Every breakdown table through ``disruption.analysis``."""
    tables = list(endings_by(table, BREAKDOWNS, START, YEAR_END).values())
    tables.append(open_placements(table, YEAR_END))
    return tables


def hand_written(table: pl.DataFrame) -> list[pl.DataFrame]:
    """The same numbers, as one would write them straight in polars."""
    ended = table.filter(pl.col("end").is_between(START, YEAR_END))
    tables = []
    for by in BREAKDOWNS:
        counted = ended.group_by(by).len("count")
        tables.append(
            counted.with_columns(
                (100 * pl.col("count") / pl.col("count").sum()).round(1).alias("percent")
            ).sort("count", descending=True)
        )
    open_now = table.filter(
        (pl.col("start") <= YEAR_END) & (pl.col("end").is_null() | (pl.col("end") > YEAR_END))
    )
    tables.append(
        open_now.pivot(
            on="provider_group", index="type_group", values="case", aggregate_function="len"
        )
    )
    return tables


def stability_by_hand(episodes: pl.DataFrame, header: pl.DataFrame) -> dict[str, Any]:
    """The three measures as one would write them straight in polars, for this history.

    Written to be quick, not general: one sort, then running sums instead of windows. The
    national history has no temporary placements, so a placement starts at every episode
    with RNE S, P, B, T or U or after a gap in care, and ends where the next one starts. The
    long-term numerator: the same carer for 2 years, or placed for adoption (A3-A6) on Y with
    a new carer and the carer before it starting 2 years before Y or earlier.
    """
    y = YEAR_END
    two_years = months_before(y, 24)
    adoption = ["A3", "A4", "A5", "A6"]
    same_child = pl.col("CHILD") == pl.col("CHILD").shift()
    gap = ~(same_child & (pl.col("DECOM") == pl.col("DEC").shift())).fill_null(False)
    e = (
        episodes.sort("CHILD", "DECOM")
        .with_columns(gap.alias("gap"))
        .with_columns(
            (pl.col("gap") | pl.col("RNE").is_in(["S", "P", "B", "T", "U"])).alias("new"),
            pl.when(pl.col("gap")).then(pl.col("DECOM")).forward_fill().alias("since"),
        )
        .with_columns(pl.col("new").cum_sum().alias("pid"))
    )
    starts = e.filter(pl.col("new")).select(
        "CHILD",
        "pid",
        pl.col("DECOM").alias("start"),
        pl.col("PLACE").is_in(adoption).alias("adoption"),
        (pl.col("gap") | pl.col("RNE").is_in(["S", "P", "B"])).alias("new_carer"),
    )
    ends = e.filter(pl.col("pid") != pl.col("pid").shift(-1).fill_null(-1)).select(
        pl.col("DEC").alias("end")
    )
    placements = starts.with_columns(ends["end"]).filter(pl.col("start") <= y)

    def in_window(months: int) -> pl.DataFrame:
        first = months_before(y, months) + timedelta(days=1)
        return (
            placements.filter(pl.col("end").is_null() | (pl.col("end") > first))
            .group_by("CHILD")
            .len("n")
        )

    carers = (
        placements.filter(pl.col("new_carer"))
        .group_by("CHILD")
        .agg(
            pl.col("start").last().alias("carer_since"),
            pl.col("start").slice(-2, 1).first().alias("previous_since"),
            pl.len().alias("carers"),
            pl.col("adoption").last().alias("began_adoptive"),
        )
    )
    on_y = placements.group_by("CHILD").agg(
        (pl.col("adoption") & (pl.col("end").is_null() | (pl.col("end") > y)))
        .last()
        .alias("adoptive_on_y")
    )
    cohort = (
        e.filter((pl.col("DECOM") <= y) & (pl.col("DEC").is_null() | (pl.col("DEC") > y)))
        .filter(~pl.col("LS").is_in(["V3", "V4"]))
        .select("CHILD", "since")
        .join(header.select("CHILD", "DOB"), on="CHILD", how="left")
        .join(in_window(12), on="CHILD", how="left")
        .join(in_window(24).rename({"n": "n2"}), on="CHILD", how="left")
        .join(carers, on="CHILD", how="left")
        .join(on_y, on="CHILD", how="left")
        .with_columns(pl.col("n", "n2").fill_null(0))
    )
    two = cohort.filter(pl.col("since") <= months_before(y, 24))
    long = cohort.filter(
        (pl.col("DOB") > months_before(y, 192)) & (pl.col("since") <= months_before(y, 30))
    )
    adopted = (
        pl.col("began_adoptive")
        & pl.col("adoptive_on_y")
        & (pl.col("carers") >= 2)
        & (pl.col("previous_since") <= two_years)
    )
    stable = (pl.col("carer_since") <= two_years) | adopted
    return {
        "short_term": (cohort.filter(pl.col("n") >= 3).height, cohort.height),
        "two_year": (two.filter(pl.col("n2") >= 3).height, two.height),
        "long_term": (long.filter(stable.fill_null(False)).height, long.height),
    }


def stability_ours(episodes: pl.DataFrame, header: pl.DataFrame) -> dict[str, Any]:
    """The measures through ``disruption.analysis.stability``."""
    measures = stability(episodes, header, YEAR_END)
    return {
        name: (measures[name]["numerator"], measures[name]["denominator"])
        for name in ("short_term", "two_year", "long_term")
    }


def _same(a: pl.DataFrame, b: pl.DataFrame) -> bool:
    key = a.columns[0]
    common = [c for c in a.columns if c in b.columns]
    left = a.select(common).sort(key, nulls_last=True)
    right = b.select(common).sort(key, nulls_last=True)
    return left.cast(dict.fromkeys(common[1:], pl.Float64)).equals(
        right.cast(dict.fromkeys(common[1:], pl.Float64))
    )


def _agree(ours_: list[pl.DataFrame], theirs: list[pl.DataFrame]) -> bool:
    same = all(_same(a, b) for a, b in zip(ours_[:-1], theirs[:-1], strict=True))
    placements = ours_[-1].filter(pl.col("placement_type") != "Total")
    total = int(placements["Total"].sum())
    counted = theirs[-1].drop("type_group").sum_horizontal().sum()
    return same and total == int(counted)


def _timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def measure(children: int = 100_000) -> dict[str, float]:
    """Build the history and time both sides; return the numbers."""
    episodes = national_episodes(children)
    header = national_header(episodes)
    table = case_table_of(episodes)
    agree = _agree(ours(table), hand_written(table))
    lower = episodes.rename({c: c.lower() for c in episodes.columns})
    dobs = header.rename({c: c.lower() for c in header.columns})
    measured = stability_ours(lower, dobs)
    agree = agree and measured == stability_by_hand(episodes, header)
    best_ours, best_hand = float("inf"), float("inf")
    for _ in range(ROUNDS):
        best_ours = min(best_ours, _timed(lambda: ours(table)))
        best_hand = min(best_hand, _timed(lambda: hand_written(table)))
    # The measures: median of interleaved rounds, the hand-written query first in odd ones.
    stab: list[float] = []
    stab_hand: list[float] = []
    for round_ in range(STABILITY_ROUNDS):
        pair = [
            (stab, lambda: stability_ours(lower, dobs)),
            (stab_hand, lambda: stability_by_hand(episodes, header)),
        ]
        for times, fn in pair if round_ % 2 == 0 else reversed(pair):
            times.append(_timed(fn))
    best_stab, best_stab_hand = statistics.median(stab), statistics.median(stab_hand)
    return {
        "stability_s": best_stab,
        "stability_hand_s": best_stab_hand,
        "stability_ratio": best_stab / best_stab_hand,
        "short_term_percent": 100 * measured["short_term"][0] / max(1, measured["short_term"][1]),
        "episodes": float(episodes.height),
        "children": float(children),
        "placements": float(table.height),
        "breakdown_s": best_ours,
        "hand_written_s": best_hand,
        "ratio": best_ours / best_hand,
        "agree": float(agree),
    }


def main(children: int = 100_000) -> dict[str, float]:
    """Run the benchmark, print the numbers and return them."""
    r = measure(children)
    verdict = r["breakdown_s"] < TARGET_SECONDS and r["ratio"] <= TARGET_RATIO
    print(
        f"breakdown analysis: {int(r['episodes']):,} episodes, {int(r['children']):,} children, "
        f"{int(r['placements']):,} placements"
    )
    print(
        f"breakdown tables (6): {r['breakdown_s']:.3f} s | hand-written polars "
        f"{r['hand_written_s']:.3f} s | ratio {r['ratio']:.2f}x | target < {TARGET_SECONDS:g} s "
        f"and <= {TARGET_RATIO:g}x {'PASS' if verdict else 'FAIL'}"
    )
    stab_ok = r["stability_s"] < TARGET_SECONDS and r["stability_ratio"] <= TARGET_RATIO
    print(
        f"stability measures (3): {r['stability_s']:.3f} s | hand-written polars "
        f"{r['stability_hand_s']:.3f} s | ratio {r['stability_ratio']:.2f}x | target < "
        f"{TARGET_SECONDS:g} s and <= {TARGET_RATIO:g}x {'PASS' if stab_ok else 'FAIL'}"
    )
    total = r["breakdown_s"] + r["stability_s"]
    print(f"all of it: {total:.3f} s (target < {TARGET_SECONDS:g} s)")
    print(
        f"- same numbers on both sides: {'yes' if r['agree'] else 'NO'}; breakdown: best of "
        f"{ROUNDS}; measures: median of {STABILITY_ROUNDS} interleaved rounds"
    )
    return r


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--children", type=int, default=100_000, metavar="N")
    main(parser.parse_args().children)
