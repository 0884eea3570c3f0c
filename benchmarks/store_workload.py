"""The workload of ``bench_store.py``: decided commands, whole cases, and the raw side's rows.

Every command is decided with :func:`disruption.core.decide.decide` before any clock starts, and
the raw drivers' rows are built from the same events with the store's own row builder, so
both sides write the same event rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import attrs

from disruption.core.decide import decide
from disruption.domain.calendar import DEFAULT_CALENDAR
from disruption.domain.commands import Command
from disruption.domain.events import Event, PersonalText
from disruption.domain.model import Actor, Case, Role
from disruption.engine.ports import NewCase
from disruption.procedure.standard import STANDARD
from disruption.store.sql.event_rows import EVENT_COLUMNS, event_values

__all__ = [
    "COLUMNS",
    "IN_FLIGHT",
    "PATHS",
    "FollowingClock",
    "Row",
    "Step",
    "bulk_cases_of",
    "bulk_rows",
    "command_list",
    "command_stream",
    "insert_sql",
    "raw_ddl",
    "rows_per_step",
]

IN_FLIGHT: Final = 50
"""Cases whose commands are interleaved in the single-command stream."""

T0: Final = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
SW: Final = Actor("sw-1", Role.SOCIAL_WORKER)
TM: Final = Actor("tm-1", Role.TEAM_MANAGER)
PATHS: Final = (
    "raise_concern, offer_support, stabilise",
    "raise_concern, no_further_action (free text), raise_concern",
    "raise_concern, convene_meeting, record_meeting (free text)",
    "raise_concern, offer_support, end_placement (unplanned)",
)
"""What each case does after ``open_case``; case n takes path n % 4."""

COLUMNS: Final = EVENT_COLUMNS
"""The columns of the store's ``events`` table (but ``hash``), which the raw side writes."""

Row = tuple[Any, ...]


def raw_ddl(position_type: str) -> str:
    """The raw side's table: the store's events table without ``hash`` and the foreign key."""
    return (
        f"CREATE TABLE raw_events (position {position_type} PRIMARY KEY, case_id TEXT NOT NULL, "
        "seq INTEGER NOT NULL, type TEXT NOT NULL, command TEXT NOT NULL, command_id TEXT, "
        "at TEXT NOT NULL, recorded_at TEXT NOT NULL, actor_id TEXT NOT NULL, "
        "actor_role TEXT NOT NULL, from_state TEXT, to_state TEXT NOT NULL, data TEXT NOT NULL, "
        "deadlines TEXT NOT NULL, schema_version INTEGER NOT NULL, UNIQUE (case_id, seq))"
    )


def insert_sql(mark: str) -> str:
    """The raw side's insert, with ``mark`` as the driver's placeholder."""
    return (
        f"INSERT INTO raw_events ({', '.join(COLUMNS)}) VALUES ({', '.join([mark] * len(COLUMNS))})"
    )


@attrs.frozen
class Step:
    """One decided command, ready to append."""

    case: Case
    events: tuple[Event, ...]
    texts: tuple[PersonalText, ...]
    expected_version: int


def case_commands(ref: str, n: int) -> list[Command]:
    """The four commands of case ``n``: ``open_case``, then path ``n % 4`` (see PATHS)."""
    at = [T0 + timedelta(days=n % 150 + 3 * k, minutes=n % 480) for k in range(4)]
    day = [a.date() for a in at]
    opening: dict[str, Any] = {
        "child": f"C-{n:06d}",
        "placement": {
            "id": f"PL-{n:06d}",
            "type": ("U1", "U4", "K2")[n % 3],
            "provider": "PR1",
            "start": "2025-01-06",
            "location": ("in_borough", "out_of_borough")[n % 2],
        },
    }
    concern = {"category": "carer_difficulty", "raised_by": "carer"}
    meeting = (day[2] + timedelta(days=1)).isoformat()
    paths: list[list[tuple[str, Actor, dict[str, Any]]]] = [
        [
            ("offer_support", TM, {"support": ["extra_visits", "respite"],
                                   "review_by": (day[2] + timedelta(days=14)).isoformat()}),
            ("stabilise", TM, {}),
        ],
        [
            ("no_further_action", TM, {"reason": f"Screened: carers coping well ({ref})."}),
            ("raise_concern", SW, concern),
        ],
        [
            ("convene_meeting", SW, {"date": meeting, "chair": {"id": "iro-1", "role": "iro"}}),
            ("record_meeting", SW, {
                "held_on": meeting, "attendees": ["social_worker", "carer", "iro"],
                "factors": ["carer_capacity", "matching"], "decision": "stabilise",
                "child_views": "I like it here but I miss my brother."}),
        ],
        [
            ("offer_support", TM, {"support": ["respite"]}),
            ("end_placement", SW, {"end": day[3].isoformat(), "reason": "CARPL",
                                   "planned": False}),
        ],
    ]  # fmt: skip
    named: list[tuple[str, Actor, dict[str, Any]]] = [
        ("open_case", SW, opening),
        ("raise_concern", SW, concern),
        *paths[n % 4],
    ]
    return [
        Command(case=ref, name=name, at=at[k], actor=actor, data=data, id=f"{ref}-{k}")
        for k, (name, actor, data) in enumerate(named)
    ]


def decide_case(ref: str, n: int) -> list[Step]:
    """Decide case ``n``'s commands against the case folded so far, in memory."""
    steps: list[Step] = []
    case: Case | None = None
    for command in case_commands(ref, n):
        decision = decide(
            STANDARD, case, command, calendar=DEFAULT_CALENDAR, recorded_at=command.at
        )
        version = 0 if case is None else case.version
        steps.append(Step(decision.case, decision.events, decision.texts, version))
        case = decision.case
    return steps


def command_stream(commands: int, prefix: str = "P") -> list[Step]:
    """Decide ``commands`` commands: IN_FLIGHT cases at a time, their commands interleaved."""
    steps: list[Step] = []
    first = 0
    while len(steps) < commands:
        block = [decide_case(f"{prefix}-{n:06d}", n) for n in range(first, first + IN_FLIGHT)]
        first += IN_FLIGHT
        for k in range(len(block[0])):
            steps.extend(case[k] for case in block)
    return steps[:commands]


def command_list(commands: int, prefix: str = "P") -> list[Command]:
    """The commands behind ``command_stream(commands, prefix)``, in the same order."""
    listed: list[Command] = []
    first = 0
    while len(listed) < commands:
        block = [case_commands(f"{prefix}-{n:06d}", n) for n in range(first, first + IN_FLIGHT)]
        first += IN_FLIGHT
        for k in range(len(block[0])):
            listed.extend(case[k] for case in block)
    return listed[:commands]


class FollowingClock:
    """An engine's clock that tells the ``at`` of the command being handled (set by the
    caller's loop), so that every command is recorded when it happened, as ``command_stream``
    decides them."""

    def __init__(self) -> None:
        self.at = T0

    def now(self) -> datetime:
        """The instant of the current command."""
        return self.at


def bulk_cases_of(count: int, prefix: str = "B") -> list[NewCase]:
    """Decide ``count`` whole cases for bulk loading."""
    cases: list[NewCase] = []
    for n in range(count):
        steps = decide_case(f"{prefix}-{n:06d}", n)
        events = tuple(e for s in steps for e in s.events)
        cases.append(NewCase(steps[-1].case, events, tuple(t for s in steps for t in s.texts)))
    return cases


def rows_per_step(steps: Sequence[Step]) -> list[list[Row]]:
    """The event rows each step appends, at the positions the store will give them."""
    rows: list[list[Row]] = []
    position = 1
    for step in steps:
        built = event_values(step.events, position)
        position += len(built)
        rows.append(built)
    return rows


def bulk_rows(cases: Sequence[NewCase]) -> list[Row]:
    """The event rows of a bulk load, at the positions the store will give them."""
    return event_values((e for c in cases for e in c.events), 1)
