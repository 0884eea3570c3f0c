"""The demo authority's SSDA903 history, calibrated to the source deck and published figures.

On the year end (31 March 2025) the authority has exactly the deck's 683 open placements by
type and provider; 12% of those children had three or more placements in the year (the
short-term measure) and 64% of the long-term cohort have lived with the same carer for two
years (the long-term measure); placement changes have the national mix of reasons. Counts
are quotas, not chances, so the figures hold for every seed; the seed moves dates, ages and
which child gets which history. The children's histories (and the calibration: the deck, the
measures, the reasons) are drawn in :mod:`disruption.demo.histories`; this module writes them
as episodes and returns.

Example:
    >>> from disruption.demo.returns import DECK, synthetic_returns
    >>> returns = synthetic_returns(seed=1)
    >>> sum(DECK.values()), returns.open_on_year_end
    (683, 683)
"""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path
from typing import Final

import attrs
import polars as pl

from disruption.demo.histories import (
    DECK,
    YEAR_END,
    Change,
    Child,
    assign_reasons,
    demo_children,
    quota,
)
from disruption.demo.histories import LONG_TERM as LONG_TERM
from disruption.demo.histories import LONG_TERM_SHARE as LONG_TERM_SHARE
from disruption.demo.histories import REASONS as REASONS
from disruption.demo.histories import SHORT_TERM as SHORT_TERM
from disruption.domain.codes import collection_year

__all__ = ["DECK", "YEAR_END", "Returns", "synthetic_returns"]

_EPISODE_COLUMNS: Final = (
    *("CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC"),
    *("REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"),
)
_LEFT_CARE: Final = (("E4A", 30), ("E13", 20), ("E11", 12), ("E12", 6), ("E41", 12), ("E8", 20))
_NO_URN: Final = frozenset({"P1", "P2", "R2", "R3", "R5", "S1"})
_IN_BOROUGH: Final = ("TS1", "TS3", "TS4", "TS5", "TS6", "TS7", "TS8")
_OUT_OF_BOROUGH: Final = ("DL1", "NE1", "TS17", "YO21", "LS9", "DH1")


@attrs.frozen(eq=False)
class Returns:
    """The history: every episode and header row, and a writer of yearly return files.

    Attributes:
        episodes: One row per episode, the Episodes columns, dates as dates.
        header: One row per child.
        open_on_year_end: How many placements are open on the year end.
    """

    episodes: pl.DataFrame
    header: pl.DataFrame
    open_on_year_end: int

    def write(self, folder: Path) -> list[Path]:
        """Write one folder per collection year (``2019/episodes.csv``, ``header.csv``, ...).

        Each year's return holds the episodes open at some time in it, as they stood at its
        31 March (an episode that ended later is open in it), dates as ``dd/mm/YYYY``.

        Returns:
            The folders written, oldest first.
        """
        earliest = self.episodes["DECOM"].min()
        first = collection_year(earliest) if isinstance(earliest, date) else YEAR_END.year
        written = []
        for year in range(first, YEAR_END.year + 1):
            written.append(self._write_year(folder / str(year), year))
        return written

    def _write_year(self, folder: Path, year: int) -> Path:
        start, end = date(year - 1, 4, 1), date(year, 3, 31)
        later = pl.col("DEC") > end
        rows = self.episodes.filter(
            (pl.col("DECOM") <= end) & (pl.col("DEC").is_null() | (pl.col("DEC") >= start))
        ).with_columns(
            pl.when(later).then(None).otherwise(pl.col(c)).alias(c)
            for c in ("DEC", "REC", "REASON_PLACE_CHANGE")
        )
        folder.mkdir(parents=True, exist_ok=True)
        fmt = [pl.col(pl.Date).dt.strftime("%d/%m/%Y")]
        rows.with_columns(fmt).write_csv(folder / "episodes.csv")
        children = rows.select("CHILD").unique()
        self.header.join(children, on="CHILD").sort("CHILD").with_columns(fmt).write_csv(
            folder / "header.csv"
        )
        return folder


def _episodes(children: list[Child], changes: list[Change], rng: random.Random) -> pl.DataFrame:
    reason = {(ch.child, ch.index): ch.reason for ch in changes}
    left = dict(zip(range(len(children)), quota(len(children), _LEFT_CARE, rng), strict=True))
    rows: list[tuple[object, ...]] = []
    for c, child in enumerate(children):
        home = f"{rng.choice(_IN_BOROUGH)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJ')}Z"
        carer, legal = "", ""
        for i, p in enumerate(child.placements):
            if not p.place:
                break
            nxt = child.placements[i + 1] if i + 1 < len(child.placements) else None
            why = reason.get((c, i - 1), "")
            same = why == "PLACE"
            carer = carer if same else p.carer
            ls = "E1" if p.place.startswith("A") else "C2"
            # RNE as the DfE's rules 435 and 436 read it: U and B when the legal status
            # changes with the placement (a placement order with a placement for adoption).
            rne = "S" if i == 0 else ("TU" if same else "PB")[ls != legal]
            legal = ls
            out = rng.random() < 0.3 and p.place not in ("P1",)
            post = f"{rng.choice(_OUT_OF_BOROUGH if out else _IN_BOROUGH)} {rng.randint(1, 9)}AB"
            urn = "XXXXXXX" if p.place in _NO_URN else carer
            end = nxt.start if nxt else None
            rec = None if nxt is None else ("X1" if nxt.place else left[c])
            rows.append(
                (
                    child.ref,
                    p.start,
                    rne,
                    ls,
                    "N1",
                    p.place,
                    p.provider,
                    end,
                    rec,
                    reason.get((c, i)) if rec == "X1" else None,
                    home,
                    post,
                    urn,
                )
            )
    schema: dict[str, pl.DataType] = dict.fromkeys(_EPISODE_COLUMNS, pl.String())
    schema.update(DECOM=pl.Date(), DEC=pl.Date())
    return pl.DataFrame(rows, schema=schema, orient="row")


def synthetic_returns(seed: int = 7) -> Returns:
    """Build the demo authority's SSDA903 history.

    Args:
        seed: The random seed: the same seed gives the same history.

    Returns:
        The episodes and header rows, and a writer of yearly return files.
    """
    rng = random.Random(seed)
    children = demo_children(rng)
    changes = assign_reasons(children, rng)
    episodes = _episodes(children, changes, rng)
    header = pl.DataFrame(
        {
            "CHILD": [c.ref for c in children],
            "SEX": [rng.choice("12") for _ in children],
            "DOB": [c.dob for c in children],
            "ETHNIC": [
                rng.choice(("WBRI", "WBRI", "WBRI", "MWBC", "AOTH", "BAFR")) for _ in children
            ],
            "UPN": [f"A{rng.randint(10**11, 10**12 - 1)}X" for _ in children],
            "MOTHER": [None] * len(children),
            "MC_DOB": [None] * len(children),
        },
        schema_overrides={"MOTHER": pl.String(), "MC_DOB": pl.Date()},
    )
    open_now = episodes.filter(pl.col("DEC").is_null()).height
    return Returns(episodes, header, open_now)
