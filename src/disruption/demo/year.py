"""The demo's live year: what the authority's history says happened, as commands.

The demo imports the returns up to the year before (their placements become cases), then
runs the last collection year through the engine: each placement that starts in the year is
opened, each one that ends in it is ended on its recorded date with its recorded reason,
and before an unplanned ending the procedure runs (a concern, support, a stability meeting
that plans the move; the IRO told, notice to the carer and others, and a learning review
after it, whose chair's report circulates recommendations, some completed). Before a planned
ending Regulation 14's steps come first: the IRO informed, the child's case reviewed (or, now
and then, an immediate risk recorded by a manager), and usually advance notice with its
recipients (otherwise notice follows the ending). A placement for adoption (``A3``-``A6``)
opened in the year follows the adoption variant (its disruption meeting 28 to 42 days after
a breakdown). Now and then a case opened in the year and the next child's case are
linked as siblings (each naming the other), and a decision about the sibling is recorded
before a planned ending of either (or after an unplanned one). Stability meetings invite
the IRO and record the carer's views. Some placements that do not end have a concern too,
screened out or stabilised. So the store ends the year holding exactly the history the
returns describe, and the procedure's records besides.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

import polars as pl

from disruption.demo.returns import YEAR_END
from disruption.domain.commands import Command
from disruption.domain.model import Actor, Role
from disruption.ssda903.historic import PLANNED_REASONS, case_reference, location_of

__all__ = ["YEAR_START", "year_commands"]

YEAR_START: Final = date(YEAR_END.year - 1, 4, 1)
"""The first day of the live year."""
STEADY_CONCERNS: Final = 0.3
"""The share of placements open all year that have a concern screened or stabilised."""
SIBLINGS: Final = 0.1
"""The share of cases opened in the year linked to the next child's case as siblings."""
ADOPTIVE: Final = frozenset({"A3", "A4", "A5", "A6"})
"""Placement types whose cases, opened in the year, follow the adoption variant."""
_LONDON = ZoneInfo("Europe/London")
_CATEGORIES = ("carer_difficulty", "relationship", "missing_episodes", "child_wants_to_leave")
_SUPPORT = ("extra_visits", "respite", "therapeutic", "direct_work", "mentor_carer", "education")
_FACTORS = ("carer_capacity", "child_behaviour", "matching", "education", "family_contact")
_OWNERS = ("team_manager", "fostering_team_manager", "supervising_social_worker", "social_worker")


class _Case:
    """One case's commands in order, each at a time of its day later than the one before."""

    def __init__(
        self, case: str, rng: random.Random, commands: list[Command], carer: str | None = None
    ) -> None:
        self.case, self.rng, self.out = case, rng, commands
        self.sw = Actor(f"sw-{rng.randint(1, 30):02d}", Role.SOCIAL_WORKER)
        self.manager = Actor(f"tm-{rng.randint(1, 6)}", Role.TEAM_MANAGER)
        self.iro = f"iro-{rng.randint(1, 5)}"
        self.carer = carer
        self.last: datetime | None = None
        self.adoption = False
        self.siblings: tuple[str, ...] = ()

    def recipients(self) -> list[str]:
        """Who written notice goes to: the carer, the IRO, and now and then the school."""
        school = [f"sch-{self.rng.randint(1, 40):02d}"] if self.rng.random() < 0.5 else []
        return [*([self.carer] if self.carer else []), self.iro, *school]

    def add(self, name: str, day: date, data: Mapping[str, Any], manager: bool = False) -> None:
        at = datetime.combine(day, time(self.rng.randint(9, 16), 0), tzinfo=_LONDON)
        if self.last is not None and at <= self.last:
            at = self.last + timedelta(minutes=10)
        self.last = at
        actor = self.manager if manager else self.sw
        self.out.append(Command(self.case, name, at, actor, dict(data)))


def _opened(row: Mapping[str, Any]) -> dict[str, Any]:
    urn = str(row.get("urn") or "")
    placement: dict[str, Any] = {
        "id": f"{row['child']}-{row['start']:%Y%m%d}",
        "type": row["type"],
        "provider": row["provider"],
        "start": row["start"].isoformat(),
        "location": location_of(row, None),
    }
    if urn and urn != "XXXXXXX":
        placement["carer"] = urn
    opened: dict[str, Any] = {"child": row["child"], "placement": placement}
    if row["type"] in ADOPTIVE:
        opened["procedure"] = "adoption"
    return opened


def _procedure(c: _Case, first: date, end: date) -> None:
    """Concern, support and a meeting that plans the move, all before ``end``."""
    rng = c.rng
    room = (end - first).days
    concern = end - timedelta(days=min(room, rng.randint(15, 45)))
    c.add("raise_concern", concern, {"category": rng.choice(_CATEGORIES), "raised_by": "carer"})
    offered = min(end, concern + timedelta(days=rng.randint(0, 2)))
    support = {"support": rng.sample(_SUPPORT, k=rng.randint(1, 3))}
    c.add("offer_support", offered, support, manager=True)
    if (end - offered).days < 4:
        return
    latest = max(1, (end - offered).days - 2)
    meeting = offered + timedelta(days=rng.randint(1, min(latest, rng.choice((5, 7, 9, 14)))))
    chair = {"id": f"iro-{rng.randint(1, 5)}", "role": "iro"}
    invited = ["social_worker", "supervising_social_worker", "carer", "iro"]
    convened = {"date": meeting.isoformat(), "chair": chair, "invited": invited}
    c.add("convene_meeting", offered, convened)
    views: dict[str, str] = (
        {"child_views": "Wants to stay near school and friends."}
        if rng.random() < 0.7
        else {"child_views_not_obtained": "Declined to take part."}
    )
    if rng.random() < 0.8:
        views["carer_views"] = "We can carry on with more respite and support."
    else:
        views["carer_views_not_obtained"] = "The carer could not attend."
    attended = invited if rng.random() < 0.6 else invited[:-1]
    record = {
        "held_on": meeting.isoformat(),
        "attendees": attended,
        "factors": rng.sample(_FACTORS, k=2),
        "decision": "plan_move",
        **views,
    }
    c.add("record_meeting", meeting, record)


def _before_planned(c: _Case, first: date, end: date) -> bool:
    """Regulation 14 before a planned ending; whether advance notice was given."""
    rng = c.rng
    on = max(first, end - timedelta(days=rng.randint(3, 20)))
    if rng.random() < 0.3:  # the line manager, so that they are never asked to chair
        c.add("record_line_manager", on, {"social_worker": c.sw.id, "line_manager": c.manager.id})
    c.add("inform_iro", on, {"informed_on": on.isoformat(), "iro": c.iro})
    if rng.random() < 0.05:
        risk = {"on": on.isoformat(), "reason": "Risk of significant harm in the placement."}
        c.add("record_immediate_risk", on, risk, manager=True)
    else:
        c.add("review_case", on, {"held_on": on.isoformat()})
    _decide_siblings(c, on)
    if rng.random() < 0.8:
        c.add("give_notice", on, {"sent_on": on.isoformat(), "recipients": c.recipients()})
        return True
    return False


def _decide_siblings(c: _Case, on: date) -> None:
    """The decision about each linked sibling (before a planned ending, or after one)."""
    if not c.siblings:
        return
    choice = c.rng.choice(("move_together", "stay", "move_separately"))
    decisions = [{"case": other, "decision": choice} for other in c.siblings]
    c.add("record_sibling_decision", on, {"decided_on": on.isoformat(), "decisions": decisions})


def _notice_after(c: _Case, end: date) -> None:
    if c.rng.random() < 0.85:
        sent = end + timedelta(days=c.rng.randint(1, 16))
        c.add("record_notice", sent, {"sent_on": sent.isoformat(), "recipients": c.recipients()})


def _after_breakdown(c: _Case, end: date) -> None:
    rng = c.rng
    if rng.random() < 0.9:  # the IRO told of the ending (Regulation 14(3)(b))
        told = end + timedelta(days=rng.randint(0, 3))
        c.add("inform_iro", told, {"informed_on": told.isoformat(), "iro": c.iro})
    _notice_after(c, end)
    _decide_siblings(c, end + timedelta(days=rng.randint(0, 4)))
    if rng.random() < 0.7:
        # The adoption variant's window: 28 to 42 days after a breakdown before an order.
        held = end + timedelta(days=rng.randint(28, 42) if c.adoption else rng.randint(20, 45))
        review = {
            "held_on": held.isoformat(),
            "chair": {"id": "tm-9", "role": "team_manager"},
            "factors": rng.sample(_FACTORS, k=2),
        }
        c.add("record_learning_review", held, review, manager=True)
        if rng.random() < 0.85:
            _report(c, held)


def _report(c: _Case, held: date) -> None:
    """The chair's report, its recommendations, and those completed."""
    rng = c.rng
    issued = held + timedelta(days=rng.randint(5, 35))
    items = [
        {
            "id": f"R{n}",
            "owner": rng.choice(_OWNERS),
            "due": (issued + timedelta(days=rng.randint(20, 120))).isoformat(),
            "text": "Review the support plan for the carers.",
        }
        for n in range(1, rng.randint(1, 3) + 1)
    ]
    circulation = ["panel-1", c.manager.id, c.iro]
    report = {"issued_on": issued.isoformat(), "circulation": circulation, "recommendations": items}
    c.add("issue_report", issued, report, manager=True)
    done = sorted(
        (issued + timedelta(days=rng.randint(5, 150)), item["id"])
        for item in items
        if rng.random() < 0.6
    )
    for on, rid in done:
        c.add(
            "complete_recommendation", on, {"recommendation": rid, "completed_on": on.isoformat()}
        )


def _steady(c: _Case, first: date) -> None:
    rng = c.rng
    concern = first + timedelta(days=rng.randint(10, 300))
    c.add("raise_concern", concern, {"category": rng.choice(_CATEGORIES), "raised_by": "iro"})
    if rng.random() < 0.3:
        reason = {"reason": "Screened: manageable within the care plan."}
        c.add("no_further_action", concern + timedelta(days=1), reason, manager=True)
        return
    offered = concern + timedelta(days=rng.randint(0, 2))
    support = {"support": rng.sample(_SUPPORT, k=rng.randint(1, 3))}
    c.add("offer_support", offered, support, manager=True)
    c.add("stabilise", offered + timedelta(days=rng.randint(10, 40)), {}, manager=True)


def _ending(c: _Case, row: Mapping[str, Any], first: date) -> None:
    end: date = row["end"]
    reason, rec = str(row.get("reason") or ""), str(row.get("rec") or "")
    if row.get("left_care") and rec:
        noticed = _before_planned(c, first, end)
        left: dict[str, Any] = {"end": end.isoformat(), "left_care": rec, "planned": True}
        if c.adoption:
            left["adoption_order"] = rec in ("E11", "E12")  # adopted: the order made
        c.add("end_placement", end, left)
        if not noticed:
            _notice_after(c, end)
        return
    planned = reason in PLANNED_REASONS
    if not planned and (end - first).days >= 3:
        _procedure(c, first, end)
    noticed = _before_planned(c, first, end) if planned else False
    ending: dict[str, Any] = {"end": end.isoformat(), "reason": reason, "planned": planned}
    if c.adoption:
        ending["adoption_order"] = False
    c.add("end_placement", end, ending)
    if not planned:
        _after_breakdown(c, end)
    elif not noticed:
        _notice_after(c, end)


def year_commands(placements: pl.DataFrame, seed: int) -> list[Command]:
    """The live year's commands, in the order they happened.

    Args:
        placements: ``placement_rows`` of the authority's whole history.
        seed: The random seed (times of day, people, which steady placements have a concern).

    Returns:
        The commands, sorted by ``at``.
    """
    rng = random.Random(seed)
    commands: list[Command] = []
    rows = list(_in_year(placements))
    linked_by: dict[int, str] = {}  # a row's case, linked by the case of the row before
    for n, row in enumerate(rows):
        start, end = row["start"], row["end"]
        urn = str(row.get("urn") or "")
        carer = urn if urn and urn != "XXXXXXX" else None
        c = _Case(case_reference(row["child"], start), rng, commands, carer)
        first = max(start, YEAR_START)
        if start >= YEAR_START:
            c.add("open_case", start, _opened(row))
            c.adoption = row["type"] in ADOPTIVE
            sibling = _sibling(rows, n)
            if sibling is not None and rng.random() < SIBLINGS:
                c.siblings = (sibling,)
                c.add("link_siblings", start, {"group": f"SG-{c.case}", "cases": [sibling]})
                linked_by[n + 1] = c.case
        if n in linked_by:  # each case of a group is linked, naming the others
            other = linked_by[n]
            c.siblings = (*c.siblings, other)
            c.add("link_siblings", first, {"group": f"SG-{other}", "cases": [other]})
        if end is not None and end <= YEAR_END:
            _ending(c, row, first)
        elif rng.random() < STEADY_CONCERNS and (YEAR_END - first).days > 350:
            _steady(c, first)
    return sorted(commands, key=lambda command: command.at)


def _sibling(rows: list[dict[str, Any]], n: int) -> str | None:
    """The case of the next row's child, when it is another child's (a sibling, say)."""
    if n + 1 >= len(rows) or rows[n + 1]["child"] == rows[n]["child"]:
        return None
    other = rows[n + 1]
    return case_reference(other["child"], other["start"])


def _in_year(placements: pl.DataFrame) -> Iterator[dict[str, Any]]:
    live = placements.filter(
        (pl.col("start") <= YEAR_END) & (pl.col("end").is_null() | (pl.col("end") >= YEAR_START))
    )
    yield from live.sort("child", "start").iter_rows(named=True)
