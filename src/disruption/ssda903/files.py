"""Find the files of SSDA903 returns, given as files, folders or a mix, and tell each one's year.

Internal: import its public names from :mod:`disruption.ssda903` (``docs/api.md``); the module
itself may move or change without notice.

A return is named by the 31 March its collection year ends on (2020: 1 April 2019 to 31 March
2020). Each file's return is found, in this order of precedence:

1. Episodes: from its ``DEC`` dates. Every episode of a return was open during its year and
   ended (if it did) by its 31 March, so a return's ``DEC`` dates all fall in its year: the
   year holding more than half of them (a typo in a few does not move it) is the return's.
   Header: from the Episodes file it pairs with in the same folder (one whose name is the
   same once ``header``/``episodes`` is taken out, or whose name holds the same year; or the
   folder's only Episodes year, when the Header's name holds none), the Episodes files given
   or, when none was given from that folder, those the folder holds.
2. From its name, else its folder's name: ``2019-20``, ``2019_20``, ``201920``,
   ``2019-2020`` name the return ending 31 March 2020; a lone ``2020`` names the return
   ending 31 March 2020 (as the DfE's statistics label years). When the dates decide and the
   name says otherwise, the file is read as its dates say, with a ``return-year`` finding
   (a lone year one below the dates' is not reported: tools also name a year by its start).
3. Otherwise the year cannot be told: `ReturnYearUnknown`, unless the file is the only one of
   its table (one return needs no order).

Two different files of one table claiming the same year raise `ReturnYearClash`.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Final

import attrs
import polars as pl

from disruption.exceptions import FileUnreadable, ReturnYearClash, ReturnYearUnknown

__all__ = [
    "EPISODES",
    "HEADER",
    "Dated",
    "NameYear",
    "PathsArg",
    "ReturnFile",
    "as_paths",
    "dec_year",
    "episodes_dated",
    "header_dated",
    "locate",
    "name_year",
    "return_years",
]

EPISODES: Final = "Episodes"
HEADER: Final = "Header"

PathsArg = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]

_TWO_YEARS = re.compile(r"(?<!\d)((?:19|20)\d\d)[-_/ ]?((?:19|20)?\d\d)(?!\d)")
_ONE_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_TABLE_WORD = re.compile(r"header|episodes?", re.IGNORECASE)


def as_paths(paths: PathsArg) -> list[Path]:
    """The paths given, as a list (a single path is accepted).

    Args:
        paths: A file or folder, or several.

    Returns:
        The paths.
    """
    if isinstance(paths, str | os.PathLike):
        return [Path(paths)]
    return [Path(p) for p in paths]


@attrs.frozen
class ReturnFile:
    """A file of a return, as found.

    Attributes:
        path: The file (inside a folder given, or given itself).
        table: `EPISODES` or `HEADER`.
        folder: The folder given that it was found in; ``None`` when it was given itself.
    """

    path: Path
    table: str
    folder: Path | None = None


def _table_of_name(name: str) -> str | None:
    lower = name.lower()
    if "header" in lower:
        return HEADER
    if "episode" in lower:
        return EPISODES
    return None


def locate(paths: PathsArg, table: str | None = None) -> list[ReturnFile]:
    """The Episodes and Header CSV files in some files and folders, each once.

    Args:
        paths: Files or folders, in any mix and order (a single path is accepted).
        table: `EPISODES` or `HEADER` to find that table only: a file given is then taken as
            it, whatever its name. ``None``: both tables, a file given being a Header when its
            name contains "header" and Episodes otherwise.

    Returns:
        The files, in the order given (a folder's in name order); a file given twice (or
        given and inside a folder given) is listed once.

    Raises:
        FileUnreadable: A path does not exist, or a folder holds no such CSV file (a folder's
            files are found by name: "episode" or "header", any case, ending ``.csv``).
    """
    wanted = (EPISODES, HEADER) if table is None else (table,)
    found: list[ReturnFile] = []
    seen: set[str] = set()
    for path in as_paths(paths):
        if path.is_dir():
            inside = []
            for f in sorted(path.iterdir()):
                kind = _table_of_name(f.name)
                if (
                    kind in wanted
                    and kind is not None
                    and f.suffix.lower() == ".csv"
                    and f.is_file()
                ):
                    inside.append(ReturnFile(f, kind, path))
            if not inside:
                what = " or ".join(wanted)
                raise FileUnreadable(str(path), f"the folder holds no {what} CSV file")
        elif path.exists():
            inside = [ReturnFile(path, table or _table_of_name(path.name) or EPISODES)]
        else:
            raise FileUnreadable(str(path), "no such file or folder")
        for file in inside:
            key = os.path.realpath(file.path)
            if key not in seen:
                seen.add(key)
                found.append(file)
    return found


@attrs.frozen
class NameYear:
    """A return year written in a file or folder name.

    Attributes:
        year: The return, by the 31 March it ends on.
        text: As written (``2019-20``, ``2020``).
        exact: Whether it names both years (``2019-20``); a lone year could also be read as
            the year the return starts in.
    """

    year: int
    text: str
    exact: bool


def _in_name(name: str) -> NameYear | None:
    for match in reversed(list(_TWO_YEARS.finditer(name))):
        first, second = int(match[1]), int(match[2])
        if second % 100 == (first + 1) % 100 and (second < 100 or second == first + 1):
            return NameYear(first + 1, match[0], exact=True)
    found = _ONE_YEAR.findall(name)
    return NameYear(int(found[-1]), found[-1], exact=False) if found else None


def name_year(path: Path) -> tuple[NameYear, str] | None:
    """The return year a file's name gives, else its folder's, and which of the two gave it.

    Args:
        path: The file.

    Returns:
        The year and ``"name"`` or ``"folder's name"``; ``None`` when neither holds one. A
        name's last year is taken (``ssda903_2019-20_v2019.csv``: 2019-20 wins as a pair).
    """
    for name, where in ((path.name, "name"), (path.parent.name, "folder's name")):
        found = _in_name(name)
        if found is not None:
            return found, where
    return None


@attrs.frozen
class Dated:
    """A file's return year, and how it was found.

    Attributes:
        year: The return, by the 31 March it ends on; ``None`` when it cannot be told.
        how: How it was found (``"its DEC dates"``, ``"its name 2019-20"``), or why not.
        note: A disagreement worth a finding (the name says another year), if any.
    """

    year: int | None
    how: str
    note: str | None = None


def _label(year: int) -> str:
    return f"{year - 1}-{year % 100:02d}"


def _year_of(day: date) -> int:
    return day.year + 1 if day.month >= 4 else day.year


def dec_year(dec: pl.Series) -> tuple[int | None, str]:
    """The collection year holding more than half of some DEC dates.

    Cheap on a million rows: the earliest and latest dates settle a return whose dates all
    fall in one year; otherwise only the median's year can hold more than half, and its
    dates are counted.

    Args:
        dec: The DEC column, as dates (nulls ignored).

    Returns:
        The year (by its 31 March) and ``""``; or ``None`` and why the dates do not tell it.
    """
    dates = dec.drop_nulls()
    if dates.len() == 0:
        return None, "no DEC date"
    first, last = dates.min(), dates.max()
    assert isinstance(first, date)
    assert isinstance(last, date)
    low, high = _year_of(first), _year_of(last)
    if low == high:
        return low, ""
    middle = dates.to_physical().median()
    assert isinstance(middle, float)
    year = _year_of(date(1970, 1, 1) + timedelta(days=int(middle)))
    count = dates.is_between(date(year - 1, 4, 1), date(year, 3, 31)).sum()
    if 2 * count > dates.len():
        return year, ""
    return None, f"its DEC dates spread over {_label(low)} to {_label(high)}"


def episodes_dated(path: Path, dec: pl.Series) -> Dated:
    """An Episodes file's return year: from its DEC dates, else its name.

    Args:
        path: The file.
        dec: Its DEC column, as dates.

    Returns:
        The year and how it was found.
    """
    year, why = dec_year(dec)
    named = name_year(path)
    if year is not None:
        note = None
        if named is not None:
            name, where = named
            fits = {name.year} if name.exact else {name.year, name.year + 1}
            if year not in fits:
                note = (
                    f"read as the return for {_label(year)} (year ending 31 March {year}), "
                    f"as its DEC dates say; its {where} says {name.text}"
                )
        return Dated(year, "its DEC dates", note)
    if named is not None:
        name, where = named
        return Dated(name.year, f"its {where} {name.text}")
    return Dated(None, why)


def _key(path: Path) -> str:
    return _TABLE_WORD.sub("", path.name.lower())


def _quick_dec(path: Path) -> pl.Series:
    """An Episodes file's DEC column as dates (``dd/mm/YYYY`` or ``dd/mm/YY``), for its year."""
    try:
        names = pl.read_csv(path, n_rows=0, infer_schema=False).columns
        column = next(n for n in names if n.replace("\ufeff", "").strip().lower() == "dec")
        text = pl.read_csv(
            path, columns=[column], infer_schema=False, encoding="utf8-lossy"
        ).to_series()
    except (OSError, StopIteration, pl.exceptions.PolarsError):
        return pl.Series("dec", [], pl.Date)
    text = text.str.strip_chars()
    four = text.str.contains(r"/\d{4}$")
    return pl.select(
        pl.when(four)
        .then(text.str.strptime(pl.Date, "%d/%m/%Y", strict=False))
        .otherwise(text.str.strptime(pl.Date, "%d/%m/%y", strict=False))
    ).to_series()


def _on_disk(folder: Path) -> dict[Path, Dated]:
    """The Episodes files a folder holds, with their years (read from their DEC dates)."""
    try:
        files = sorted(
            f
            for f in folder.iterdir()
            if f.is_file() and f.suffix.lower() == ".csv" and _table_of_name(f.name) == EPISODES
        )
    except OSError:
        return {}
    return {f: episodes_dated(f, _quick_dec(f)) for f in files}


def header_dated(
    path: Path,
    episodes: Mapping[Path, Dated],
    on_disk: Callable[[Path], Mapping[Path, Dated]] = _on_disk,
) -> Dated:
    """A Header file's return year: from the Episodes file it pairs with, else its name.

    Args:
        path: The Header file.
        episodes: The Episodes files given, with their years.
        on_disk: The Episodes files a folder holds, with their years: asked when no
            Episodes file of the Header's folder was given.

    Returns:
        The year and how it was found.
    """
    folder = path.parent
    same = {e: d for e, d in episodes.items() if e.parent == folder} or dict(on_disk(folder))
    own = _in_name(path.name)
    paired = {
        e
        for e in same
        if _key(e) == _key(path)
        or (
            own is not None and (theirs := _in_name(e.name)) is not None and theirs.year == own.year
        )
    }
    for candidates in (paired, set(same) if own is None else set()):
        years = {same[e].year for e in candidates if same[e].year is not None}
        if len(years) == 1:
            year = years.pop()
            assert year is not None
            named = ", ".join(sorted(e.name for e in candidates))
            return Dated(year, f"the Episodes file {named} beside it")
    named_year = name_year(path)
    if named_year is not None:
        name, where = named_year
        return Dated(name.year, f"its {where} {name.text}")
    return Dated(None, "a Header has no episode dates and no Episodes file beside it tells")


def return_years(table: str, dated: Sequence[tuple[Path, Dated]]) -> dict[Path, int]:
    """Each file's return year, checked: every year told, no two files for one year.

    Args:
        table: `EPISODES` or `HEADER`.
        dated: The files of that table with their years.

    Returns:
        Each file's year; a lone file whose year cannot be told is given 0.

    Raises:
        ReturnYearUnknown: A file's year cannot be told, and it is not the only file (the
            first such file by path).
        ReturnYearClash: Two files claim the same year (the earliest such year; the files
            by path).
    """
    if len(dated) == 1 and dated[0][1].year is None:
        return {dated[0][0]: 0}
    by_year: dict[int, list[tuple[Path, Dated]]] = defaultdict(list)
    for path, d in sorted(dated, key=lambda pair: str(pair[0])):
        if d.year is None:
            raise ReturnYearUnknown(str(path), table, d.how)
        by_year[d.year].append((path, d))
    for year, files in sorted(by_year.items()):
        if len(files) > 1:
            raise ReturnYearClash(
                [str(p) for p, _ in files], table, year, [f"year from {d.how}" for _, d in files]
            )
    return {path: d.year for path, d in dated if d.year is not None}
