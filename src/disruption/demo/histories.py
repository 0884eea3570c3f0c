"""The demo children and their placement histories, by quota: the calibration of the demo.

The deck's open placements (:data:`DECK`: the source deck's table of about autumn 2020, put on
the demo's own year end, :data:`YEAR_END`), the short-term (Middlesbrough's published 2025
figure) and long-term (the deck's figure) stability measures, and England's 2025 mix of
reasons for a placement change (:data:`REASONS`) are met by counts, not chances; the sources
are cited in :data:`disruption.demo.run.CALIBRATION`. :mod:`disruption.demo.returns` turns the
histories into SSDA903 episodes and imports these names from here.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Final

import attrs

__all__ = ["DECK", "LONG_TERM", "LONG_TERM_SHARE", "REASONS", "SHORT_TERM", "YEAR_END"]

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
"""Middlesbrough's published short-term figure for 2025 (59 of 493; DfE, see demo.CALIBRATION)."""
LONG_TERM: Final = 0.64
"""The source deck's long-term figure (about 2020): not Middlesbrough's 2025 one (57%)."""
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
"""England 2025's reasons for a placement change, in percent (59,140 changes; DfE, "Children
looked after in England including adoptions", reporting year 2025, as in the domain brief)."""
_EARLIER_PLACEMENTS: Final = (
    *(("U4", "PR1"), ("U4", "PR4"), ("U6", "PR5"), ("K2", "PR4")) * 3,
    # Kinship fostering (U1 long-term, U2 with a relative who is also an approved adopter,
    # U3 short-term), the other foster types, residential and adoptive placements: so that
    # the year's endings cover every kind of placement the procedure treats differently.
    ("U1", "PR1"),
    ("U2", "PR1"),
    ("U3", "PR1"),
    ("U5", "PR1"),
    ("K1", "PR1"),
    ("R1", "PR4"),
    ("A4", "PR1"),
    ("A6", "PR2"),
)
"""The placements before a child's current one (and a leaver's), drawn uniformly: mostly
the deck's common foster and residential ones."""


@attrs.frozen
class _Placement:
    start: date
    place: str
    provider: str
    carer: str
    new_carer: bool = True


@attrs.define
class Child:
    ref: str
    dob: date
    placements: list[_Placement]


def quota(total: int, weights: tuple[tuple[str, int], ...], rng: random.Random) -> list[str]:
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


@attrs.define
class Change:
    """Where one placement ends and the next begins: its reason is filled in later."""

    child: int
    index: int
    critical: bool
    reason: str = "OTHER"


def demo_children(rng: random.Random) -> list[Child]:
    cells = [cell for cell, n in DECK.items() for _ in range(n)]
    rng.shuffle(cells)
    kinds = _kinds(len(cells), rng)
    carers = (f"{n:07d}" for n in range(1000001, 9999999))
    children: list[Child] = []
    for n, (cell, kind) in enumerate(zip(cells, kinds, strict=True)):
        placements = _history(rng, cell, kind, carers)
        entered = placements[0].start
        if kind in ("settled", "moved", "moved_short"):
            age = rng.randint(max(4, (YEAR_END - entered).days // 365 + 1), 15)
        else:
            age = rng.randint((YEAR_END - entered).days // 365 + 1, 17)
        dob = YEAR_END - timedelta(days=365 * age + rng.randint(1, 300))
        children.append(Child(f"{100001 + n}", dob, placements))
    for n in range(_LEAVERS):
        placements = _history(rng, rng.choice(_EARLIER_PLACEMENTS), "other", carers)
        left = YEAR_END - _days(rng, 1, 360)
        kept = [p for p in placements if p.start < left - timedelta(days=20)]
        placements = kept or [attrs.evolve(placements[0], start=left - _days(rng, 21, 400))]
        dob = placements[0].start - _days(rng, 200, 6000)
        children.append(Child(f"{200001 + n}", dob, [*placements, _Placement(left, "", "", "")]))
    return children


def assign_reasons(children: list[Child], rng: random.Random) -> list[Change]:
    """Reasons for every placement change, in the national mix; PLACE keeps the carer."""
    changes = [
        Change(c, i, critical=(i == len(child.placements) - 2 and c < sum(DECK.values())))
        for c, child in enumerate(children)
        for i in range(len(child.placements) - 1)
        if child.placements[i + 1].place  # not the end of care
    ]
    reasons = quota(len(changes), REASONS, rng)
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
