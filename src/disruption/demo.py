"""``disruption demo``: a synthetic authority's year of fragile placements, run by the engine.

Every case goes through the real engine and is stored in SQLite; nothing is written around it.
The same seed always gives the same cases, events and summary.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pendulum
from rich.console import Console
from rich.table import Table

from disruption import codes
from disruption.commands import Command
from disruption.engine import Engine
from disruption.exceptions import CommandError
from disruption.model import Case
from disruption.store import open_store

__all__ = ["DemoSummary", "print_summary", "run_demo"]

YEAR_START = date(2025, 4, 1)
YEAR_END = date(2026, 3, 31)
_TYPES = (
    ("U1", 14),
    ("U3", 30),
    ("U4", 20),
    ("U6", 6),
    ("K2", 12),
    ("R1", 3),
    ("P1", 8),
    ("H5", 4),
    ("A3", 3),
)
_PROVIDERS = {
    "P1": ("PR0",),
    "A3": ("PR1", "PR2", "PR5"),
    "K2": ("PR4", "PR4", "PR1"),
    "R1": ("PR4",),
    "H5": ("PR4", "PR5"),
}
_REASONS = (
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


@attrs.frozen
class DemoSummary:
    """What the demo did: where it wrote, and the cases it left."""

    db: Path
    cases: tuple[Case, ...]
    rejected: int
    on: date


class _Clock:
    """The demo's clock: each command is entered a little after it happened."""

    def __init__(self) -> None:
        self.at = datetime(2025, 4, 1, tzinfo=pendulum.UTC)

    def now(self) -> datetime:
        return self.at


def _at(day: date, rng: random.Random) -> datetime:
    return pendulum.datetime(
        day.year,
        day.month,
        day.day,
        rng.randint(8, 17),
        rng.choice((0, 15, 30, 45)),
        tz="Europe/London",
    )


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


class _Script:
    """Builds one case's commands, moving its own day forward."""

    def __init__(self, case: str, rng: random.Random, day: date) -> None:
        self.case, self.rng, self.day = case, rng, day
        self.sw = {"id": f"sw-{rng.randint(1, 12):02d}", "role": "social_worker"}
        self.manager = {"id": f"tm-{rng.randint(1, 4)}", "role": "team_manager"}
        self.commands: list[Command] = []

    def wait(self, low: int, high: int) -> date:
        """Move the day on by a random number of days and return it."""
        self.day += timedelta(days=self.rng.randint(low, high))
        return self.day

    def _next_at(self) -> datetime:
        at = _at(self.day, self.rng)
        if self.commands and at <= self.commands[-1].at:
            at = self.commands[-1].at + timedelta(minutes=10)
        return at

    def add(self, name: str, data: dict[str, Any], actor: dict[str, str] | None = None) -> None:
        """Add a command happening on the current day."""
        self.commands.append(
            Command.from_json(
                {
                    "case": self.case,
                    "command": name,
                    "at": self._next_at().isoformat(),
                    "actor": actor or self.sw,
                    "data": data,
                }
            )
        )


def _journey(s: _Script) -> None:
    rng = s.rng
    s.add(
        "raise_concern",
        {
            "category": rng.choice(
                (
                    "carer_difficulty",
                    "relationship",
                    "missing_episodes",
                    "child_wants_to_leave",
                    "needs_not_met",
                    "allegation",
                )
            ),
            "raised_by": rng.choice(("carer", "social_worker", "iro", "child")),
        },
    )
    s.wait(0, 4)
    if rng.random() < 0.2:
        s.add(
            "no_further_action", {"reason": "Screened: manageable within the care plan."}, s.manager
        )
        return
    s.add(
        "offer_support",
        {
            "support": rng.sample(
                (
                    "extra_visits",
                    "respite",
                    "therapeutic",
                    "direct_work",
                    "mentor_carer",
                    "education",
                ),
                k=rng.randint(1, 3),
            )
        },
        s.manager,
    )
    if rng.random() < 0.35:
        s.wait(10, 30)
        s.add("stabilise", {}, s.manager)
        return
    convened = s.wait(5, 25)
    chair = {"id": f"tm-{rng.randint(5, 6)}", "role": "team_manager"}
    planned_for = convened + timedelta(days=rng.randint(1, 10))
    s.add("convene_meeting", {"date": planned_for.isoformat(), "chair": chair})
    held = planned_for + timedelta(days=rng.choice((0, 0, 0, 1, 3)))
    s.day = held
    s.wait(0, 2)
    decision = rng.choice(("stabilise", "plan_move", "plan_move", "continue_support"))
    views = (
        {"child_views": "Wants to stay near school."}
        if rng.random() < 0.7
        else {"child_views_not_obtained": "Declined to take part."}
    )
    s.add(
        "record_meeting",
        {
            "held_on": held.isoformat(),
            "attendees": ["social_worker", "supervising_social_worker", "carer"],
            "factors": rng.sample(
                ("carer_capacity", "child_behaviour", "matching", "education", "family_contact"),
                k=2,
            ),
            "decision": decision,
            **views,
        },
    )
    if decision == "plan_move":
        _ending(s, planned=rng.random() < 0.5)


def _ending(s: _Script, planned: bool) -> None:
    rng = s.rng
    end = s.wait(1, 20)
    reason = "CARPL" if planned else _weighted(rng, _REASONS[1:])
    s.add("end_placement", {"end": end.isoformat(), "reason": reason, "planned": planned})
    if planned:
        return
    if rng.random() < 0.85:
        sent = s.wait(1, 16)
        s.add("record_notice", {"sent_on": sent.isoformat()})
    if rng.random() < 0.7:
        held = s.wait(20, 40)
        s.add(
            "record_learning_review",
            {
                "held_on": held.isoformat(),
                "chair": {"id": "iro-1", "role": "iro"},
                "factors": ["carer_capacity", "matching"],
                "recommendations": "Earlier respite; review matching.",
            },
        )


def _scripts(rng: random.Random, count: int) -> Iterator[_Script]:
    for n in range(1, count + 1):
        start = YEAR_START - timedelta(days=rng.randint(30, 900))
        ptype = _weighted(rng, _TYPES)
        s = _Script(f"P-{n:04d}", rng, start)
        s.wait(0, 10)
        s.add(
            "open_case",
            {
                "child": f"C-{rng.randint(10000, 99999)}",
                "placement": {
                    "id": f"PL-{n:04d}",
                    "type": ptype,
                    "provider": rng.choice(_PROVIDERS.get(ptype, ("PR1", "PR1", "PR4"))),
                    "start": start.isoformat(),
                    "location": "out_of_borough" if rng.random() < 0.3 else "in_borough",
                },
            },
        )
        s.day = YEAR_START + timedelta(days=rng.randint(0, 300))
        if rng.random() < 0.85:
            _journey(s)
        elif rng.random() < 0.5:
            _ending(s, planned=True)
        yield s


def run_demo(*, seed: int = 7, db: Path, out: Path, count: int = 48) -> DemoSummary:
    """Run the demo: ``count`` placements through the procedure into a fresh SQLite file.

    Args:
        seed: The random seed.
        db: The SQLite file to create; an existing one is replaced.
        out: The folder for outputs (created).
        count: How many placements.

    Returns:
        The summary.
    """
    out.mkdir(parents=True, exist_ok=True)
    db.parent.mkdir(parents=True, exist_ok=True)
    db.unlink(missing_ok=True)
    rng = random.Random(seed)
    clock = _Clock()
    store = open_store(str(db))
    rejected = 0
    try:
        engine = Engine(store, clock=clock)
        commands = sorted((c for s in _scripts(rng, count) for c in s.commands), key=lambda c: c.at)
        for command in commands:
            clock.at = command.at + timedelta(minutes=rng.randint(5, 600))
            try:
                engine.handle(command)
            except CommandError:
                rejected += 1
        cases = tuple(engine.case(c) for c in store.case_ids())
    finally:
        store.close()
    return DemoSummary(db, cases, rejected, YEAR_END)


def print_summary(summary: DemoSummary, console: Console) -> None:
    """Print the demo's summary tables."""
    cases = summary.cases
    console.print(
        f"[bold]disruption demo[/]: {len(cases)} placements run through the "
        f"procedure, stored in {summary.db}"
    )
    states = Table("state", "cases", title="Where the cases are")
    for state, n in sorted(Counter(c.state for c in cases).items()):
        states.add_row(state, str(n))
    console.print(states)
    endings = Table("reason", "group", "planned", "unplanned", title="Why placements ended")
    ended = [c.ending for c in cases if c.ending is not None]
    for reason in sorted({e.reason for e in ended}):
        of = [e for e in ended if e.reason == reason]
        endings.add_row(
            f"{reason} {codes.REASON_PLACE_CHANGE.describe(reason)}",
            codes.reason_group(reason),
            str(sum(e.planned for e in of)),
            str(sum(not e.planned for e in of)),
        )
    console.print(endings)
    deadlines = Table(
        "deadline",
        "met",
        "late",
        "open",
        "overdue",
        "cancelled",
        title=f"Deadlines (overdue on {summary.on})",
    )
    every = [d for c in cases for d in c.deadlines]
    for name in sorted({d.name for d in every}):
        named = [d for d in every if d.name == name]
        counts = Counter(d.status.value for d in named)
        overdue = sum(d.is_overdue(summary.on) for d in named)
        row = [str(counts[s]) for s in ("met", "late", "open")]
        deadlines.add_row(name, *row, str(overdue), str(counts["cancelled"]))
    console.print(deadlines)
    if summary.rejected:
        console.print(f"{summary.rejected} commands were refused by the procedure's rules.")
    console.print(
        f"Look at a case: disruption case show {cases[0].id} --db {summary.db}"
        if cases
        else "No cases."
    )
