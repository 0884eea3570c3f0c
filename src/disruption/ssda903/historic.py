"""Historic placements as cases: the events an SSDA903 placement becomes.

Internal: import its public names from :mod:`disruption.ssda903` (``docs/api.md``); the module
itself may move or change without notice.

A placement derived from the returns (:func:`~disruption.ssda903.derive_placements`) becomes
a case of the standard procedure: opened in ``placed`` on its start, and when it ended, an
ending with its REASON_PLACE_CHANGE on its end date. The events are built here, not decided
as commands: history is not live procedure work, so an imported unplanned ending opens no
termination-notice or learning-review deadline that would be overdue the moment it lands.
Each event carries ``"imported": {"from": "ssda903", "file": ..., "row": ...}`` in its data:
the Episodes file and row of the placement's first episode (for the ending, its last one).
The opening's block also keeps what the stability measures need, codes and dates only:
``"episodes"``, the placement's episodes (:data:`EPISODE_FIELDS`; a temporary placement's
episode with the placement it interrupts), and ``"born"``, the child's month of birth
(``YYYY-MM``; the date of birth itself is personal data and is not kept).

SSDA903 does not record whether an ending was planned. An imported ending is *planned* when
its reason is ``CARPL`` (care plan), ``PLACE`` (same carer) or ``CUSTOD``, or when the child
left care with it (its REC is not ``X1``; the REC code is kept as ``left_care``), and
*unplanned* otherwise.

Case references are ``903-<CHILD>-<YYYYMMDD of the start>``: pseudonymous (the return's own
child identifier), and stable across imports, so importing the same files twice adds
nothing (the store skips a case it holds).

Example:
    >>> from disruption.ssda903.historic import case_reference
    >>> case_reference("100045", __import__("datetime").date(2024, 6, 3))
    '903-100045-20240603'
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time

import polars as pl

from disruption.core.fold import replay
from disruption.core.system import imported_event
from disruption.domain.events import Event
from disruption.domain.model import Placement
from disruption.engine.ports import NewCase
from disruption.exceptions import InvalidData
from disruption.procedure.standard import STANDARD
from disruption.ssda903 import Report, derive_placements
from disruption.ssda903.findings import Finding
from disruption.ssda903.placements import placement_episodes

__all__ = [
    "EPISODE_FIELDS",
    "PLANNED_REASONS",
    "case_reference",
    "historic_cases",
    "location_of",
    "placement_rows",
]

PLANNED_REASONS = frozenset({"CARPL", "PLACE", "CUSTOD"})
"""REASON_PLACE_CHANGE codes whose endings are imported as planned."""
_NO_URN = frozenset({"", "XXXXXXX"})
EPISODE_FIELDS = ("decom", "dec", "rne", "ls", "place", "urn")
"""The fields of each episode an imported case keeps (``imported.episodes``): the SSDA903
columns, lower case, dates ``YYYY-MM-DD`` (``dec`` null while open)."""


def case_reference(child: str, start: date) -> str:
    """The case reference of a historic placement."""
    return f"903-{child}-{start:%Y%m%d}"


def _at(day: date) -> datetime:
    # Noon UTC is the same calendar day in London all year round.
    return datetime.combine(day, time(12), tzinfo=UTC)


def placement_rows(
    episodes: pl.DataFrame, header: pl.DataFrame | None = None, *, sources: bool = False
) -> pl.DataFrame:
    """Derived placements, with details of their first and last episodes.

    Args:
        episodes: Reconciled episodes (``check_files(...).episodes``).
        header: Header rows (``child``, ``dob``): with them, ``born`` is each child's month
            of birth, ``YYYY-MM`` (the last date of birth given for the child).
        sources: Add ``episodes``: the placement's episodes, as JSON-ready dicts (see
            :data:`EPISODE_FIELDS`).

    Returns:
        The columns of ``derive_placements`` and ``home_post``, ``pl_post``, ``file``,
        ``row``, ``rec``, ``end_file``, ``end_row`` (and ``born``, ``episodes``).
    """
    if sources:
        kept = tuple(c for c in EPISODE_FIELDS if c != "decom")
        placements = placement_episodes(episodes, kept).with_columns(
            pl.col("episodes").list.eval(
                pl.element().struct.with_fields(
                    pl.element().struct.field("decom", "dec").dt.to_string("%Y-%m-%d")
                )
            )
        )
    else:
        placements = derive_placements(episodes)
    first = episodes.select(
        "child",
        pl.col("decom").alias("start"),
        "home_post",
        "pl_post",
        pl.col("_file").alias("file"),
        pl.col("_row").alias("row"),
    ).unique(["child", "start"], keep="last")
    last = (
        episodes.filter(pl.col("dec").is_not_null())
        .select(
            "child",
            pl.col("dec").alias("end"),
            "rec",
            pl.col("_file").alias("end_file"),
            pl.col("_row").alias("end_row"),
        )
        .unique(["child", "end"], keep="last")
    )
    rows = placements.join(first, on=["child", "start"], how="left").join(
        last, on=["child", "end"], how="left"
    )
    if header is None or "dob" not in header.columns:
        return rows
    born = (
        header.filter(pl.col("dob").is_not_null())
        .unique("child", keep="last", maintain_order=True)
        .select("child", pl.col("dob").dt.to_string("%Y-%m").alias("born"))
    )
    return rows.join(born, on="child", how="left")


def _area(postcode: object) -> str:
    text = str(postcode or "").strip().upper()
    return "".join(ch for ch in text.split(" ")[0] if ch.isalpha())


def location_of(row: Mapping[str, object], districts: frozenset[str] | None) -> str:
    """``in_borough`` or ``out_of_borough``, from a row's ``pl_post`` (and ``home_post``).

    See :func:`historic_cases` for the rule.
    """
    placed = str(row.get("pl_post") or "").strip().upper()
    if districts is not None:
        return "in_borough" if placed.split(" ")[0] in districts else "out_of_borough"
    home = _area(row.get("home_post"))
    if not placed or not home:
        return "in_borough"
    return "in_borough" if _area(placed) == home else "out_of_borough"


def _case(row: dict[str, object], districts: frozenset[str] | None, recorded: datetime) -> NewCase:
    child, start = str(row["child"]), row["start"]
    assert isinstance(start, date)
    urn = str(row.get("urn") or "").strip()
    placement = Placement(
        id=f"{child}-{start:%Y%m%d}",
        start=start,
        type=str(row["type"]),
        provider=str(row["provider"]),
        location=location_of(row, districts),
        carer=None if urn.upper() in _NO_URN else urn,
    )
    ref = case_reference(child, start)

    def event(
        seq: int, name: str, day: date, data: Mapping[str, object], source: Mapping[str, object]
    ) -> Event:
        return imported_event(
            STANDARD,
            ref,
            seq,
            name,
            at=_at(day),
            recorded_at=recorded,
            data=data,
            source=source,
            from_state=None if seq == 1 else STANDARD.initial_state,
            to_state=STANDARD.initial_state if seq == 1 else "ended",
        )

    opening = {
        "child": child,
        "placement": {
            "id": placement.id,
            "type": placement.type,
            "provider": placement.provider,
            "start": start.isoformat(),
            "location": placement.location.value,
            **({"carer": placement.carer} if placement.carer else {}),
        },
        "procedure": {"name": STANDARD.name, "version": STANDARD.version},
    }
    source = {
        "from": "ssda903",
        "file": row.get("file"),
        "row": row.get("row"),
        **({"episodes": row["episodes"]} if row.get("episodes") else {}),
        **({"born": row["born"]} if row.get("born") else {}),
    }
    events = [event(1, "open_case", start, opening, source)]
    end = row.get("end")
    if isinstance(end, date):
        reason = str(row.get("reason") or "")
        rec = str(row.get("rec") or "")
        left = rec if bool(row.get("left_care")) and rec else None
        ending = {
            "end": end.isoformat(),
            "reason": reason,
            "planned": reason in PLANNED_REASONS or left is not None,
            **({"left_care": left} if left else {}),
        }
        end_source = {"from": "ssda903", "file": row.get("end_file"), "row": row.get("end_row")}
        events.append(event(2, "end_placement", end, ending, end_source))
    case = replay(events, STANDARD.records)
    assert case is not None
    return NewCase(case, tuple(events))


def historic_cases(
    report: Report,
    *,
    recorded_at: datetime,
    borough_districts: frozenset[str] | None = None,
    findings: list[Finding] | None = None,
) -> Iterator[NewCase]:
    """Turn the placements of checked returns into cases.

    Args:
        report: From :func:`~disruption.ssda903.check_files`.
        recorded_at: When the import runs (each event's ``recorded_at``).
        borough_districts: The authority's postcode districts (``TS1``...): a placement whose
            PL_POST district is among them is in borough. Without them, a placement is in
            borough when its postcode area (the letters, ``TS``) is the child's home one.
        findings: Where a placement that cannot become a case is reported (then skipped):
            for example a PLACE code not valid in the year the placement started.

    Yields:
        One new case per placement.
    """
    rows = placement_rows(report.episodes, report.header, sources=True)
    for row in rows.iter_rows(named=True):
        try:
            yield _case(row, borough_districts, recorded_at)
        except InvalidData as error:
            if findings is not None:
                number = row.get("row")
                findings.append(
                    Finding(
                        str(row.get("file") or ""),
                        number if isinstance(number, int) else None,
                        None,
                        "import-skipped",
                        f"placement starting {row['start']} not imported: {error}",
                        str(row["child"]),
                    )
                )
