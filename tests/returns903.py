"""SSDA903 returns as another tool writes them: in the repository, or the shared ones if present.

The tests of reading, reconciling, validating and importing returns need messy input. The
repository makes its own: the project's return writer (:mod:`disruption.demo.returns`) writes
the demo authority's last two returns, then they are rewritten with the faults of the shared
synthetic returns (``shared/data/ssda903-synth``, written by another tool): ``DEC`` with a
two-digit year while ``DECOM`` has four digits, and open episodes still carrying a ``REC``
(every other one) and a ``REASON_PLACE_CHANGE`` (every fourth). Those shared returns, when they
are beside the repository, are optional extra data: the same tests run on them too.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import attrs

from disruption.demo.returns import synthetic_returns

__all__ = ["SHARED", "Returns903", "other_tools_returns", "shared_returns"]

SHARED = next(
    (
        p / "shared" / "data" / "ssda903-synth"
        for p in Path(__file__).resolve().parents[1:4]
        if (p / "shared" / "data" / "ssda903-synth").is_dir()
    ),
    None,
)
"""The shared synthetic returns beside the repository (optional), or None."""


@attrs.frozen
class Returns903:
    """Two consecutive returns, one folder each, oldest first.

    Attributes:
        folders: The two folders.
        years: The collection years they hold (the year each return ends in, ``_return``).
    """

    folders: tuple[Path, Path]
    years: frozenset[int]


def other_tools_returns(folder: Path, seed: int = 5) -> Returns903:
    """Write the writer's last two returns under ``folder`` with another tool's faults.

    Args:
        folder: Where to write them (``folder/2024``, ``folder/2025``).
        seed: The writer's seed.

    Returns:
        The two folders and their collection years.
    """
    written = synthetic_returns(seed).write(folder / "writer")[-2:]
    faulty = []
    for clean in written:
        target = folder / clean.name
        target.mkdir(parents=True)
        shutil.copy(clean / "header.csv", target / "header.csv")
        with (clean / "episodes.csv").open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        for i, row in enumerate(rows):
            if row["DEC"]:
                day, month, year = row["DEC"].split("/")
                row["DEC"] = f"{day}/{month}/{year[2:]}"
            elif i % 2 == 0:
                row["REC"] = "X1"
                if i % 4 == 0:
                    row["REASON_PLACE_CHANGE"] = "CARPL"
        with (target / "episodes.csv").open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        faulty.append(target)
    shutil.rmtree(folder / "writer")
    return Returns903((faulty[0], faulty[1]), frozenset(int(p.name) for p in faulty))


def shared_returns() -> Returns903 | None:
    """Return the shared synthetic returns (folders named by the year each starts in), or None."""
    if SHARED is None:
        return None
    return Returns903((SHARED / "2019", SHARED / "2020"), frozenset({2020, 2021}))
