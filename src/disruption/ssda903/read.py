"""Read SSDA903 Episodes and Header CSV files, as messy as local authorities write them.

Internal: import its public names from :mod:`disruption.ssda903` (``docs/api.md``); the module
itself may move or change without notice.

Tolerated, silently: the DfE column names in any case, a UTF-8 BOM, spaces around names and
values, extra columns, lower-case codes, blank lines. Tolerated with a finding: a two-digit year
(``08/11/19``), a missing column (read as blank), a malformed date or one out of range
(before 1900, after 2199; an implausible date of birth), a blank CHILD, a line that is not
UTF-8 (read as Windows-1252), a cell too long (the row skipped: `disruption.ssda903._cells`).
Only a file that cannot be read at all (missing, not CSV, no CHILD column) raises
`FileUnreadable`, saying which columns were expected and which found.

Several returns (collection years) may be given, as files, folders or a mix, in any order; a
folder may hold several years. Each file's return year is found from its dates or its name (see
`disruption.ssda903.files`); the ``_return`` column holds it (by the 31 March it ends on), so
that later returns can win, and the rows come oldest return first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import polars as pl

from disruption.exceptions import FileUnreadable
from disruption.ssda903._cells import too_long, transcoded
from disruption.ssda903._normalise import as_text, normalise, unified
from disruption.ssda903._order import in_order
from disruption.ssda903._row_findings import row_findings
from disruption.ssda903.files import (
    EPISODES,
    HEADER,
    Dated,
    PathsArg,
    episodes_dated,
    header_dated,
    locate,
    return_years,
)
from disruption.ssda903.findings import Finding

__all__ = [
    "EPISODE_COLUMNS",
    "HEADER_COLUMNS",
    "FileUnreadable",
    "PathsArg",
    "ReadRows",
    "read_episode_rows",
    "read_episodes",
    "read_header",
]

EPISODE_COLUMNS = (
    "child",
    "decom",
    "rne",
    "ls",
    "cin",
    "place",
    "place_provider",
    "dec",
    "rec",
    "reason_place_change",
    "home_post",
    "pl_post",
    "urn",
)
HEADER_COLUMNS = ("child", "sex", "dob", "ethnic", "upn", "mother", "mc_dob")

_CODE_COLUMNS = frozenset(
    {"rne", "ls", "cin", "place", "place_provider", "rec", "reason_place_change", "ethnic"}
)
_FEW_VALUES = frozenset({"home_post", "pl_post"})
"""Text columns normalised through their distinct values (partial postcodes: a few thousand)."""
_PARTS = ("present", "date", "two")
"""What normalising keeps of each date column ``c``: ``_c_present``, ``_c_date``, ``_c_two``."""


def _clean(name: str) -> str:
    return name.replace("\ufeff", "").strip().lower()


def _options(strict: bool) -> dict[str, Any]:
    return {
        "infer_schema": False,
        "encoding": "utf8" if strict else "utf8-lossy",
        "truncate_ragged_lines": True,
        "raise_if_empty": True,
    }


def _scan(path: Path | bytes, strict: bool, categorical: Collection[str]) -> pl.LazyFrame:
    """The file, every column as text; ``strict`` fails on bytes that are not UTF-8.

    The ``categorical`` columns (names as written in the file) are read as text too, but as a
    `polars.Categorical` of categories of their own: the reader finds each column's distinct
    values while it parses, at almost no cost, where hashing the column afterwards costs about
    half the read again (see `disruption.ssda903._normalise`).
    """
    overrides = {c: _own_categorical() for c in categorical}
    return pl.scan_csv(path, schema_overrides=overrides, **_options(strict))


def _own_categorical() -> pl.Categorical:
    return pl.Categorical(pl.Categories.random())


def _header(file: str, path: Path, columns: Sequence[str]) -> tuple[dict[str, str], list[Finding]]:
    """Each wanted column's name as written in the file, and the findings on the header line."""
    try:
        names = pl.read_csv(path, n_rows=0, **_options(strict=False)).columns
    except (OSError, pl.exceptions.PolarsError) as err:
        raise FileUnreadable(file, str(err).splitlines()[0] if str(err) else repr(err)) from err
    findings: list[Finding] = []
    source: dict[str, str] = {}
    for original in names:
        name = _clean(original)
        if name in source and name in columns:
            message = "column given twice; the first is read, this one is ignored"
            findings.append(Finding(file, 1, name.upper(), "duplicate-column", message))
        else:
            source.setdefault(name, original)
    if "child" not in source:
        raise FileUnreadable(file, _no_child(names, columns))
    findings.extend(
        Finding(file, 1, c.upper(), "missing-column", "column missing; read as blank on every row")
        for c in columns
        if c not in source
    )
    return source, findings


_DATA_LIKE = re.compile(r"\d")
"""A column name with a digit: the first line is then taken for a row of data (no DfE column
name holds one), and not repeated (a row of data is personal data)."""


def _no_child(names: Sequence[str], columns: Sequence[str]) -> str:
    """Why a file without a CHILD column cannot be read: what was expected, what was found."""
    table = EPISODES if "decom" in columns else HEADER
    expected = ",".join(c.upper() for c in columns)
    found = ["".join(ch if ch.isprintable() else "?" for ch in _clean(n)) for n in names]
    if any(_DATA_LIKE.search(n) for n in found):
        seen = f"its first line looks like a row of data ({len(found)} values), not column names"
    else:
        listed = ",".join(n.upper() if len(n) <= 40 else n[:37].upper() + "..." for n in found)
        if len(listed) > 200:
            listed = listed[:197] + "..."
        seen = f"its first line has {len(found)} column(s): {listed or '(none)'}"
    return (
        f"no CHILD column: an SSDA903 {table} file's first line names its columns, "
        f"{expected}; {seen}"
    )


def _raw(
    file: str, path: Path, source: Mapping[str, str], categorical: Sequence[str]
) -> tuple[pl.DataFrame, list[Finding]]:
    """The columns of ``source`` (name read: name in the file), as text, and encoding findings.

    The ``categorical`` columns (names read) are categoricals of their own categories: read
    so by the reader (`_scan`) when its categories are sound (`_sound`); otherwise the file
    is read as text and those columns cast. A file that is not UTF-8 is read with each line
    that is not as Windows-1252, with a finding each (`disruption.ssda903._cells`); a file
    that cannot be read as text even so is unreadable.
    """
    wanted = [pl.col(name).alias(c) for c, name in source.items()]
    try:
        frame = _scan(path, True, [source[c] for c in categorical]).select(wanted).collect()
        if _sound(frame, categorical):
            return frame, []
    except pl.exceptions.PolarsError:
        pass
    findings: list[Finding] = []
    try:
        try:
            frame = _scan(path, True, ()).select(wanted).collect()
        except pl.exceptions.PolarsError:
            data, findings = transcoded(file, path)
            if not findings:
                raise
            frame = _scan(data, True, ()).select(wanted).collect()
    except pl.exceptions.PolarsError as err:
        message = str(err).splitlines()[0] if str(err) else repr(err)
        raise FileUnreadable(file, message) from err
    except OSError as err:
        raise FileUnreadable(file, err.strerror or repr(err)) from err
    return frame.with_columns(pl.col(c).cast(_own_categorical()) for c in categorical), findings


def _sound(frame: pl.DataFrame, categorical: Sequence[str]) -> bool:
    """Whether the reader's categories hold only what a read as text would accept.

    On a malformed line (a quote left open) the reader's categoricals, unlike its text, are
    not checked: a category can then run over a delimiter or a line end, or cut a character
    in two (not UTF-8: polars panics when such a category is made a Python string). The
    categories are checked as bytes, in polars; the text read then judges the file.
    """
    for c in categorical:
        top = frame.select(pl.col(c).to_physical().max()).item()
        if top is None:
            continue
        every = pl.int_range(top + 1, dtype=pl.UInt32).cat.to(frame.schema[c], strict=False)
        texts = pl.select(every.cast(pl.String).cast(pl.Binary).alias("text"))
        text = pl.col("text")
        unsound = text.is_null() | pl.any_horizontal(text.bin.contains(b) for b in _UNSOUND)
        if texts.select(unsound.any()).item():
            return False
        try:
            for value in texts["text"].to_list():
                value.decode("utf-8")
        except UnicodeDecodeError:
            return False
    return True


_UNSOUND = [b'"', b",", b"\n", b"\r"]
"""Bytes that no category of a well-formed code or date column holds (`_sound`)."""


def _blank(columns: Sequence[str], dates: Sequence[str]) -> list[pl.Expr]:
    """Columns missing from the file, blank on every row, with what normalising gives a date."""
    blank = [pl.lit(None, pl.String).alias(c) for c in columns]
    for c in (c for c in columns if c in dates):
        blank += [
            pl.lit(None, pl.Date).alias(f"_{c}_date"),
            pl.lit(False).alias(f"_{c}_present"),
            pl.lit(False).alias(f"_{c}_two"),
        ]
    return blank


def _flags(columns: Sequence[str], dates: Sequence[str], required: frozenset[str]) -> list[pl.Expr]:
    """``_noted``: a row with a per-row finding; ``_kept``: a row kept. Blank lines are neither."""

    def filled(c: str) -> pl.Expr:
        return pl.col(f"_{c}_present") if c in dates else pl.col(c).is_not_null()

    line = pl.any_horizontal([filled(c) for c in columns])
    skip = pl.col("child").is_null()
    noted = pl.any_horizontal(
        [skip]
        + [pl.col(f"_{c}_present") & pl.col(f"_{c}_date").is_null() for c in dates]
        + [pl.col(f"_{c}_two") for c in dates]
        + [~pl.col(f"_{c}_present") for c in required]
    )
    kept = pl.all_horizontal([~skip] + [pl.col(f"_{c}_date").is_not_null() for c in required])
    return [(line & noted).alias("_noted"), (line & kept).alias("_kept")]


@attrs.frozen(eq=False)
class ReadRows:
    """The rows read from the files of one kind, and the values of their code columns.

    Attributes:
        frame: The rows, as `read_episodes` or `read_header` return them (internally,
            `episode_rows` gives the code and postcode columns as `polars.Enum` columns of
            ``values``, which the rules compare much more cheaply: `as_text` makes them
            strings).
        values: Each code and postcode column's distinct non-null values, normalised (those
            of skipped rows included: a superset of the values in ``frame``), so that
            `validate_rows` need not look for them again.
        findings: The findings, ordered by file and row.
        years: Each file read and the return it was read as (by the 31 March it ends on).
        dated: Each file read, with its year as found (before checking) and how.
    """

    frame: pl.DataFrame
    values: Mapping[str, frozenset[str]]
    findings: list[Finding]
    years: Mapping[Path, int] = attrs.field(factory=dict)
    dated: Mapping[Path, Dated] = attrs.field(factory=dict)


def _read_one(
    path: Path,
    columns: Sequence[str],
    dates: Sequence[str],
    required_dates: frozenset[str],
    ordered: bool = False,
) -> ReadRows:
    file = str(path)
    source, findings = _header(file, path, columns)
    present = [c for c in columns if c in source]
    by_value = [c for c in columns if c in _CODE_COLUMNS | _FEW_VALUES]
    categorical = [c for c in present if c in by_value or c in dates]
    raw, encoding = _raw(file, path, {c: source[c] for c in present}, categorical)
    findings += encoding
    # The line number of each row (line 1 is the header); cheaper here than in the reader.
    raw = raw.with_columns(pl.int_range(2, raw.height + 2, dtype=pl.Int64).alias("_row"))
    raw, long = too_long(file, raw, present)
    findings += long
    raw = raw.with_columns(_blank([c for c in columns if c not in source], dates))
    given = [c for c in dates if c in source]
    raw, found = normalise(
        raw, [c for c in present if c not in dates], _CODE_COLUMNS, by_value, given
    )
    values = {c: found.get(c, frozenset()) for c in by_value}
    df = raw.with_columns(_flags(columns, dates, required_dates))
    del raw  # the columns as read: their memory is used again for the rows kept
    needed = ["_row", "child", *dates, *(f"_{c}_{p}" for c in dates for p in _PARTS)]
    noted_rows = df.select(needed).filter(df["_noted"]).with_columns(pl.col(given).cast(pl.String))
    findings += row_findings(file, noted_rows, given, dates, required_dates)
    keep = df["_kept"]
    df = df.select(
        [pl.col(f"_{c}_date").alias(c) if c in dates else pl.col(c) for c in columns]
        + [pl.col("_row")]
    )
    if ordered:
        df = _kept_in_order(df, keep)
    elif not keep.all():
        df = df.filter(keep)
    df = df.select(*columns, pl.lit(file, pl.String).alias("_file"), "_row")
    return ReadRows(df, values, findings)


def _kept_in_order(df: pl.DataFrame, keep: pl.Series) -> pl.DataFrame:
    """The rows of ``df`` that ``keep`` keeps, by CHILD, DECOM, then line.

    One gather of every column, where filtering then sorting would copy them twice; rows
    already in that order are only filtered.
    """
    keys = df.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_at"), "child", "decom").filter(
        keep
    )
    if in_order(keys, ("child", "decom")):
        return df if keys.height == df.height else df.filter(keep)
    at = pl.col("_at").sort_by(["child", "decom"], maintain_order=True)
    return df[keys.select(at).to_series()]


def _read(
    paths: Sequence[Path],
    table: str,
    columns: Sequence[str],
    dates: Sequence[str],
    required_dates: frozenset[str],
    dated: Callable[[Path, pl.DataFrame], Dated],
    ordered: bool = False,
) -> ReadRows:
    """Read the files of one table, each as the return its year says, oldest return first.

    Each file's rows come in line order; or, when ``ordered``, by CHILD, DECOM, then line.
    """
    parts = {path: _read_one(path, columns, dates, required_dates, ordered) for path in paths}
    if not parts:
        raise FileUnreadable("(no paths)", f"no {table} file was given")
    found = {path: dated(path, part.frame) for path, part in parts.items()}
    years = return_years(table, list(found.items()))
    order = sorted(parts, key=lambda p: (years[p], str(p)))
    first = parts[order[0]]
    values = {c: frozenset().union(*(p.values[c] for p in parts.values())) for c in first.values}
    findings = [f for p in order for f in parts[p].findings]
    findings += [
        Finding(str(p), None, None, "return-year", note)
        for p in order
        if (note := found[p].note) is not None
    ]
    findings.sort(key=lambda f: (f.file, f.row or 0))
    frames = [
        frame.with_columns(pl.lit(years[p], pl.Int64).alias("_return"))
        for p, frame in zip(order, unified([parts[p].frame for p in order], values), strict=True)
    ]
    frame = frames[0] if len(frames) == 1 else pl.concat(frames, how="vertical")
    return ReadRows(frame, values, findings, {p: years[p] for p in order}, found)


def _episodes_dated(path: Path, frame: pl.DataFrame) -> Dated:
    return episodes_dated(path, frame["dec"])


def episode_rows(paths: Sequence[Path], *, ordered: bool = False) -> ReadRows:
    """The Episodes files' rows; when ``ordered``, each file's by CHILD, DECOM, then line."""
    return _read(
        paths,
        EPISODES,
        EPISODE_COLUMNS,
        ("decom", "dec"),
        frozenset({"decom"}),
        _episodes_dated,
        ordered,
    )


def header_rows(paths: Sequence[Path], episodes: Mapping[Path, Dated]) -> ReadRows:
    def dated(path: Path, _: pl.DataFrame) -> Dated:
        return header_dated(path, episodes)

    read = _read(paths, HEADER, HEADER_COLUMNS, ("dob", "mc_dob"), frozenset(), dated)
    frame, findings = _births_in_range(read.frame)
    if findings:
        findings = sorted([*read.findings, *findings], key=lambda f: (f.file, f.row or 0))
        read = attrs.evolve(read, findings=findings)
    return attrs.evolve(read, frame=as_text(frame))


_OLDEST = 25
"""No child is read as having turned this age before the return's year began: a child leaves
care by 18, and a care leaver is supported until 25 (the DfE's rule 351)."""


def _births_in_range(frame: pl.DataFrame) -> tuple[pl.DataFrame, list[Finding]]:
    """The Header rows with each implausible date of birth read as blank, and a finding each.

    DOB and MC_DOB: not after the return's last day (31 March); DOB: the child not `_OLDEST`
    before the return's first day (1 April). A return whose year cannot be told (``_return``
    0) is not checked (every date read is from 1900 to 2199 already: `_normalise`). A blank
    date of birth is safer than a wrong one: the retention rule would erase a child's records
    from their 75th birthday, and a child without a date of birth is never listed.
    """
    year = pl.col("_return")
    known = year > 0
    first = pl.date(year - 1, 4, 1)
    last = pl.date(year, 3, 31)
    checks: list[tuple[str, pl.Expr, Callable[[int], str]]] = []
    for c in ("dob", "mc_dob"):
        day = pl.col(c)
        checks.append((c, known & (day > last), lambda y: f"is after the return's end (31/03/{y})"))
    dob = pl.col("dob")
    checks.append(
        ("dob", known & (dob.dt.offset_by(f"{_OLDEST}y") < first),
         lambda y: f"says the child was {_OLDEST} before the return's year began (01/04/{y - 1})")
    )  # fmt: skip
    flags = [mask.fill_null(False).alias(f"_range{i}") for i, (_, mask, _) in enumerate(checks)]
    marked = frame.with_columns(flags)
    flagged = [pl.col(f"_range{i}") for i in range(len(checks))]
    bad = marked.filter(pl.any_horizontal(flagged))
    if bad.height == 0:
        return frame, []
    findings: list[Finding] = []
    for row in bad.iter_rows(named=True):
        for i, (c, _, why) in enumerate(checks):
            if row[f"_range{i}"] and row[c] is not None:
                findings.append(
                    Finding(
                        row["_file"],
                        row["_row"],
                        c.upper(),
                        "date-range",
                        f"{c.upper()} {why(row['_return'])}; read as blank",
                        str(row["child"]),
                    )
                )
                row[c] = None  # one finding per value
    blank = {
        c: pl.any_horizontal([flagged[i] for i, (column, _, _) in enumerate(checks) if column == c])
        for c in ("dob", "mc_dob")
    }
    cleared = marked.with_columns(
        pl.when(~blank[c]).then(pl.col(c)).alias(c) for c in ("dob", "mc_dob")
    )
    return cleared.drop(f"_range{i}" for i in range(len(checks))), findings


def read_episode_rows(paths: PathsArg) -> ReadRows:
    """Read Episodes files as `read_episodes` does, with the values of their code columns.

    Args:
        paths: As for `read_episodes`.

    Returns:
        The rows read, and each file's return year.

    Raises:
        FileUnreadable: A file is missing, not CSV, or has no CHILD column.
        ReturnYearError: A file's return year cannot be told, or two files claim one year.
    """
    read = episode_rows([f.path for f in locate(paths, EPISODES)])
    return attrs.evolve(read, frame=as_text(read.frame))


def read_episodes(paths: PathsArg) -> tuple[pl.DataFrame, list[Finding]]:
    """Read the Episodes CSV files of one or several returns.

    Args:
        paths: Episodes files, or folders holding some (name containing "episode"), in any
            mix and order; each file is read as the return its dates or name say (module
            docstring).

    Returns:
        The episodes (columns `EPISODE_COLUMNS`, ``decom`` and ``dec`` as dates, codes upper
        case, blanks as null, plus ``_file``, ``_row`` and ``_return``, the return's year),
        oldest return first, each file in line order, and the findings. A row with a blank
        CHILD or a blank or malformed DECOM is skipped; a malformed DEC is read as blank.

    Raises:
        FileUnreadable: A file is missing, not CSV, or has no CHILD column.
        ReturnYearError: A file's return year cannot be told, or two files claim one year.
    """
    read = read_episode_rows(paths)
    return read.frame, read.findings


def read_header(paths: PathsArg) -> tuple[pl.DataFrame, list[Finding]]:
    """Read the Header CSV files of one or several returns.

    Args:
        paths: Header files, or folders holding some (name containing "header"), in any mix
            and order. A Header's return is that of the Episodes file beside it (read for
            its dates only), else the one its name says.

    Returns:
        The header rows (columns `HEADER_COLUMNS`, ``dob`` and ``mc_dob`` as dates, plus
        ``_file``, ``_row`` and ``_return``), oldest return first, and the findings. A row
        with a blank CHILD is skipped; a malformed date is read as blank.

    Raises:
        FileUnreadable: A file is missing, not CSV, or has no CHILD column.
        ReturnYearError: A file's return year cannot be told, or two files claim one year.
    """
    read = header_rows([f.path for f in locate(paths, HEADER)], {})
    return read.frame, read.findings
