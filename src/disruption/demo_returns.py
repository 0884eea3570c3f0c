"""The demo authority's SSDA903 history, calibrated to the source deck and published figures.

On the year end (31 March 2025) the authority has exactly the deck's 683 open placements by
type and provider; 12% of those children had three or more placements in the year (the
short-term measure) and 64% of the long-term cohort have lived with the same carer for two
years (the long-term measure); placement changes have the national mix of reasons. Counts
are quotas, not chances, so the figures hold for every seed; the seed moves dates, ages and
which child gets which history.

Example:
    >>> from disruption.demo_returns import DECK, synthetic_returns
    >>> returns = synthetic_returns(seed=1)
    >>> sum(DECK.values()), returns.open_on_year_end
    (683, 683)
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Final

import attrs
import polars as pl

from disruption.codes import collection_year

__all__ = ["DECK", "YEAR_END", "Returns", "synthetic_returns"]

YEAR_END: Final = date(2025, 3, 31)
"""The demo's year end: the last collection year in which the deck's P2 and H5 codes exist."""

DECK: Final[dict[tuple[str, str], int]] = {
    # (PLACE, PLACE_PROVIDER): open placements, matching the deck's table cell by cell.
    ("U4", "PR1"): 343,
    ("U4", "PR4"): 125,
    ("U4", "PR5"): 30,
    ("A3", "PR1"): 2,
    ("A5", "PR2"): 12,
    ("P1", "PR0"): 85,
    ("P2", "PR4"): 5,
    ("H5", "PR1"): 2,
    ("H5", "PR4"): 15,
    ("K2", "PR1"): 9,
    ("K2", "PR4"): 44,
    ("K2", "PR5"): 3,
    ("R1", "PR4"): 2,
    ("R2", "PR3"): 2,
    ("R3", "PR4"): 2,
    ("R5", "PR3"): 1,
    ("S1", "PR5"): 1,
}
SHORT_TERM: Final = 0.12
LONG_TERM: Final = 0.64
LONG_TERM_SHARE: Final = 0.40
"""About this share of the children are in the long-term cohort (under 16, 2.5 years in care)."""
REASONS: Final = (
    ("CARPL", 34),
    ("OTHER", 25),
    ("PLACE", 18),
    ("CREQB", 8),
    ("CREQO", 7),
    ("CHILD", 3),
    ("LAREQ", 2),
    ("STAND", 1),
    ("CLOSE", 1),
    ("ALLEG", 1),
)
"""England 2025's reasons for a placement change, in percent (domain brief)."""
_EARLIER_PLACEMENTS: Final = (("U4", "PR1"), ("U4", "PR4"), ("U6", "PR5"), ("K2", "PR4"))
_EPISODE_COLUMNS: Final = (
    *("CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC"),
    *("REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"),
)


@attrs.frozen
class _Placement:
    start: date
    place: str
    provider: str
    carer: str
    new_carer: bool = True


@attrs.define
class _Child:
    ref: str
    dob: date
    placements: list[_Placement]


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


def _quota(total: int, weights: tuple[tuple[str, int], ...], rng: random.Random) -> list[str]:
    """``total`` labels in proportion to the weights (largest remainders), shuffled."""
    whole = sum(w for _, w in weights)
    exact = [(label, total * w / whole) for label, w in weights]
    counts = {label: int(x) for label, x in exact}
    short = total - sum(counts.values())
    for label, _ in sorted(exact, key=lambda e: e[1] - int(e[1]), reverse=True)[:short]:
        counts[label] += 1
    labels = [label for label, n in counts.items() for _ in range(n)]
    rng.shuffle(labels)
    return labels


def _days(rng: random.Random, low: int, high: int) -> timedelta:
    return timedelta(days=rng.randint(low, high))


def _history(
    rng: random.Random, current: tuple[str, str], kind: str, carer: Iterator[str]
) -> list[_Placement]:
    """A child's placements, oldest first, the last one open on the year end."""
    year_ago = YEAR_END - timedelta(days=364)
    if kind == "settled":  # long-term cohort, same carer for over two years
        entered = YEAR_END - _days(rng, 1000, 3000)
        start = min(entered + _days(rng, 0, 300), YEAR_END - _days(rng, 740, 900))
    elif kind in ("moved", "moved_short"):  # long-term cohort, carer changed within two years
        entered = YEAR_END - _days(rng, 950, 3000)
        start = YEAR_END - _days(rng, 30, 700)
    else:  # newer to care, or older: not in the long-term cohort
        entered = YEAR_END - _days(rng, 20, 900)
        start = entered + _days(rng, 0, max(0, (YEAR_END - entered).days - 10))
    if kind in ("short_term", "moved_short"):
        start = max(start, year_ago + _days(rng, 120, 250))
        entered = min(entered, year_ago - _days(rng, 0, 400))
    placements = [_Placement(start, *current, next(carer))]
    cut = start
    earlier = 2 if kind in ("short_term", "moved_short") else 0
    while cut > entered + timedelta(days=40):
        if earlier > 0:
            begin = max(entered, cut - _days(rng, 30, 110), year_ago - _days(rng, 0, 60))
            earlier -= 1
        elif cut - entered < timedelta(days=400) and rng.random() < 0.5:
            begin = entered
        else:
            begin = max(entered, cut - _days(rng, 120, 900))
        if earlier == 0 and cut > year_ago and kind not in ("short_term", "moved_short"):
            # At most two placements in the year: the one before starts before it.
            begin = max(entered, min(begin, year_ago - _days(rng, 1, 200)))
        placements.insert(0, _Placement(begin, *rng.choice(_EARLIER_PLACEMENTS), next(carer)))
        cut = begin
    if placements[0].start != entered:
        placements[0] = attrs.evolve(placements[0], start=entered)
    return placements


def _kinds(total: int, rng: random.Random) -> list[str]:
    long_term = round(total * LONG_TERM_SHARE)
    settled = round(long_term * LONG_TERM)
    short = round(total * SHORT_TERM)
    moved_short = min(short // 3, long_term - settled)
    kinds = (
        ["settled"] * settled
        + ["moved_short"] * moved_short
        + ["moved"] * (long_term - settled - moved_short)
        + ["short_term"] * (short - moved_short)
    )
    kinds += ["other"] * (total - len(kinds))
    rng.shuffle(kinds)
    return kinds


_LEAVERS: Final = 150
"""Children who left care during the year: their last placements end with a REC E-code."""
_LEFT_CARE: Final = (("E4A", 30), ("E13", 20), ("E11", 12), ("E12", 6), ("E41", 12), ("E8", 20))
_NO_URN: Final = frozenset({"P1", "P2", "R2", "R3", "R5", "S1"})
_IN_BOROUGH: Final = ("TS1", "TS3", "TS4", "TS5", "TS6", "TS7", "TS8")
_OUT_OF_BOROUGH: Final = ("DL1", "NE1", "TS17", "YO21", "LS9", "DH1")


@attrs.define
class _Change:
    """Where one placement ends and the next begins: its reason is filled in later."""

    child: int
    index: int
    critical: bool
    reason: str = "OTHER"


def _children(rng: random.Random) -> list[_Child]:
    cells = [cell for cell, n in DECK.items() for _ in range(n)]
    rng.shuffle(cells)
    kinds = _kinds(len(cells), rng)
    carers = (f"{n:07d}" for n in range(1000001, 9999999))
    children: list[_Child] = []
    for n, (cell, kind) in enumerate(zip(cells, kinds, strict=True)):
        placements = _history(rng, cell, kind, carers)
        entered = placements[0].start
        if kind in ("settled", "moved", "moved_short"):
            age = rng.randint(max(4, (YEAR_END - entered).days // 365 + 1), 15)
        else:
            age = rng.randint((YEAR_END - entered).days // 365 + 1, 17)
        dob = YEAR_END - timedelta(days=365 * age + rng.randint(1, 300))
        children.append(_Child(f"{100001 + n}", dob, placements))
    for n in range(_LEAVERS):
        placements = _history(rng, rng.choice(_EARLIER_PLACEMENTS), "other", carers)
        left = YEAR_END - _days(rng, 1, 360)
        kept = [p for p in placements if p.start < left - timedelta(days=20)]
        placements = kept or [attrs.evolve(placements[0], start=left - _days(rng, 21, 400))]
        dob = placements[0].start - _days(rng, 200, 6000)
        children.append(_Child(f"{200001 + n}", dob, [*placements, _Placement(left, "", "", "")]))
    return children


def _assign_reasons(children: list[_Child], rng: random.Random) -> list[_Change]:
    """Reasons for every placement change, in the national mix; PLACE keeps the carer."""
    changes = [
        _Change(c, i, critical=(i == len(child.placements) - 2 and c < sum(DECK.values())))
        for c, child in enumerate(children)
        for i in range(len(child.placements) - 1)
        if child.placements[i + 1].place  # not the end of care
    ]
    reasons = _quota(len(changes), REASONS, rng)
    keep_carer = [r for r in reasons if r == "PLACE"]
    others = [r for r in reasons if r != "PLACE"]
    critical = [ch for ch in changes if ch.critical]
    for change in critical:  # a long-term child's last move must change carer
        change.reason = others.pop()
    rest = others + keep_carer
    rng.shuffle(rest)
    for change in (ch for ch in changes if not ch.critical):
        change.reason = rest.pop()
    return changes


def _episodes(children: list[_Child], changes: list[_Change], rng: random.Random) -> pl.DataFrame:
    reason = {(ch.child, ch.index): ch.reason for ch in changes}
    left = dict(zip(range(len(children)), _quota(len(children), _LEFT_CARE, rng), strict=True))
    rows: list[tuple[object, ...]] = []
    for c, child in enumerate(children):
        home = f"{rng.choice(_IN_BOROUGH)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJ')}Z"
        carer = ""
        for i, p in enumerate(child.placements):
            if not p.place:
                break
            nxt = child.placements[i + 1] if i + 1 < len(child.placements) else None
            why = reason.get((c, i - 1), "")
            same = why == "PLACE"
            carer = carer if same else p.carer
            rne = "S" if i == 0 else ("T" if same else "P")
            out = rng.random() < 0.3 and p.place not in ("P1",)
            post = f"{rng.choice(_OUT_OF_BOROUGH if out else _IN_BOROUGH)} {rng.randint(1, 9)}AB"
            urn = "XXXXXXX" if p.place in _NO_URN else carer
            ls = "E1" if p.place.startswith("A") else "C2"
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
    children = _children(rng)
    changes = _assign_reasons(children, rng)
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
