"""A national-scale SSDA903 history, generated column-wise (no Python loop per episode).

``national_episodes(children=100_000, per_child=10)`` gives about 1,000,000 episodes: each
child's episodes are contiguous from the day they came into care, the first starting with
``RNE`` ``S`` and later ones changing placement and carer (``P``), placement only (``T``),
legal status only (``L``) or both (``B``); about 60% are still in care at the end, the rest
left with an E-code; 2% are on a series of short breaks (``V3``). Dates span 2012-2025.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

__all__ = ["YEAR_END", "national_episodes", "national_header"]

YEAR_END = date(2025, 3, 31)
_PLACES = np.array(["U1", "U3", "U4", "U6", "K2", "H5", "P1", "A3", "R1", "S1"])
_PLACE_P = np.array([0.08, 0.12, 0.38, 0.12, 0.12, 0.05, 0.06, 0.03, 0.02, 0.02])
_PROVIDERS = np.array(["PR1", "PR4", "PR5", "PR2", "PR0"])
_PROVIDER_P = np.array([0.45, 0.35, 0.1, 0.05, 0.05])
_RNE = np.array(["P", "T", "L", "B"])
_RNE_P = np.array([0.7, 0.1, 0.15, 0.05])
_REASONS = np.array(
    ["CARPL", "OTHER", "PLACE", "CREQB", "CREQO", "CHILD", "LAREQ", "STAND", "CLOSE", "ALLEG"]
)
_REASON_P = np.array([0.34, 0.25, 0.18, 0.08, 0.07, 0.03, 0.02, 0.01, 0.01, 0.01])
_EPOCH = date(1970, 1, 1)


def _days(d: date) -> int:
    return (d - _EPOCH).days


def national_episodes(
    children: int = 100_000, per_child: int = 10, seed: int = 903
) -> pl.DataFrame:
    """Generate the episodes (the Episodes columns; ``DECOM`` and ``DEC`` as dates).

    Args:
        children: How many children.
        per_child: Episodes per child on average (between 1 and twice this).
        seed: The random seed.

    Returns:
        About ``children * per_child`` episodes, sorted by child and start.
    """
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, 2 * per_child, size=children)
    total = int(counts.sum())
    child = np.repeat(np.arange(1, children + 1), counts)
    first = np.r_[0, np.cumsum(counts)[:-1]]
    index = np.arange(total) - np.repeat(first, counts)
    lengths = rng.integers(20, 400, size=total)
    span = np.repeat(np.add.reduceat(lengths, first), counts)
    entered = _days(YEAR_END) - span - np.repeat(rng.integers(0, 600, size=children), counts)
    offset = np.cumsum(lengths) - np.repeat(np.cumsum(lengths)[first] - lengths[first], counts)
    decom = entered + offset - lengths
    dec = decom + lengths
    last = index == np.repeat(counts - 1, counts)
    still_in = np.repeat(rng.random(children) < 0.6, counts) & last
    rne = np.where(index == 0, "S", rng.choice(_RNE, size=total, p=_RNE_P))
    nxt_rne = np.concatenate([rne[1:], np.array(["S"])])
    change = ~last & np.isin(nxt_rne, ["P", "T", "B"])
    ls = np.where(np.repeat(rng.random(children) < 0.02, counts), "V3", "C2")
    frame = pl.DataFrame(
        {
            "CHILD": child.astype(str),
            "DECOM": pl.Series(decom, dtype=pl.Int32).cast(pl.Date),
            "RNE": rne,
            "LS": ls,
            "CIN": "N1",
            "PLACE": rng.choice(_PLACES, size=total, p=_PLACE_P),
            "PLACE_PROVIDER": rng.choice(_PROVIDERS, size=total, p=_PROVIDER_P),
            "DEC": pl.Series(dec, dtype=pl.Int32).cast(pl.Date),
            "REC": np.where(last, "E4A", "X1"),
            "REASON_PLACE_CHANGE": rng.choice(_REASONS, size=total, p=_REASON_P),
            "HOME_POST": "TS1 1AA",
            "PL_POST": "TS1 2AB",
            "URN": (1_000_000 + rng.integers(0, 8_000_000, size=total)).astype(str),
        }
    )
    open_now, changed = pl.Series(still_in), pl.Series(change)
    legal_only = pl.col("RNE") == "L"
    return frame.with_columns(
        pl.when(~open_now).then(pl.col("DEC", "REC")),
        pl.when(changed).then(pl.col("REASON_PLACE_CHANGE")),
        # A change of legal status only keeps the placement and its carer.
        pl.when(~legal_only).then(pl.col("PLACE", "PLACE_PROVIDER", "URN")).forward_fill(),
    )


def national_header(episodes: pl.DataFrame, seed: int = 903) -> pl.DataFrame:
    """One header row per child, born 0 to 17 years before their first episode."""
    rng = np.random.default_rng(seed + 1)
    firsts = episodes.group_by("CHILD", maintain_order=True).agg(pl.col("DECOM").min())
    age = pl.Series(rng.integers(0, 17 * 365, size=firsts.height), dtype=pl.Int32)
    return firsts.select(
        "CHILD",
        pl.lit("1").alias("SEX"),
        (pl.col("DECOM").cast(pl.Int32) - age).cast(pl.Date).alias("DOB"),
        pl.lit("WBRI").alias("ETHNIC"),
    )
