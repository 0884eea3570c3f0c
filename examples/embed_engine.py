"""Embed the engine in an integration: commands in, events out, cases in SQLite.

Run it: ``python examples/embed_engine.py``
"""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from disruption import Command, Engine, Event, FixedClock, open_store


def main(folder: Path | None = None) -> dict[str, Any]:
    """Run one fragile placement to an unplanned ending; return what an integration sees."""
    folder = folder or Path(tempfile.mkdtemp(prefix="disruption-"))
    store = open_store(str(folder / "cases.sqlite"))
    published: list[Event] = []
    at = datetime(2025, 12, 23, 10, 0, tzinfo=UTC)
    engine = Engine(store, clock=FixedClock(at))
    engine.subscribe(published.append)  # called once the events are stored
    sw = {"id": "sw-17", "role": "social_worker"}
    manager = {"id": "tm-2", "role": "team_manager"}
    commands: list[tuple[int, str, dict[str, str], dict[str, Any]]] = [
        (
            0,
            "open_case",
            sw,
            {
                "child": "C-1042",
                "placement": {
                    "id": "PL-5",
                    "type": "U3",
                    "provider": "PR4",
                    "start": "2025-03-03",
                    "location": "out_of_borough",
                    "carer": "FC-881",
                },
            },
        ),
        (0, "raise_concern", sw, {"category": "carer_difficulty", "raised_by": "carer"}),
        (1, "offer_support", manager, {"support": ["extra_visits", "respite"]}),
        (14, "end_placement", sw, {"end": "2026-01-06", "reason": "CREQB", "planned": False}),
        # The IRO is told of the unplanned ending the same day (Regulation 14(3)(b)).
        (14, "inform_iro", sw, {"informed_on": "2026-01-06", "iro": "iro-3"}),
    ]
    for days, name, actor, data in commands:
        # Each step is entered as it happens: the engine refuses a step dated more than
        # CLOCK_TOLERANCE (5 minutes) after its clock says it was entered.
        engine.clock = FixedClock(at + timedelta(days=days))
        engine.handle(
            Command.from_json(
                {
                    "case": "P-0001",
                    "command": name,
                    "at": (at + timedelta(days=days)).isoformat(),
                    "actor": actor,
                    "data": data,
                    "id": f"lcs-{name}-P-0001",
                }
            )
        )
    case = engine.case("P-0001")
    overdue = engine.overdue(date(2026, 2, 1))
    store.close()
    for event in published:
        print(f"{event.seq} {event.type}: {event.from_state} -> {event.to_state}")
    for item in overdue:
        print(f"overdue: {item.case} {item.deadline.name} due {item.deadline.due}")
    return {"case": case, "events": published, "overdue": overdue}


if __name__ == "__main__":
    from disruption import logs

    logs.configure("warning")
    main()
