"""Extend the standard procedure without editing the library.

An authority adds a ``respite_arranged`` state between ``support_offered`` and ``stabilised``
(with its own command, data and event) and holds stability meetings within 5 working days
instead of 7, then runs a case through its variant.

Run it: ``python examples/extend_procedure.py``
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs

from disruption import (
    MANAGER_ROLES,
    STANDARD,
    Command,
    CommandSpec,
    Engine,
    Fields,
    FixedClock,
    MemoryStore,
    Procedure,
    State,
    Transition,
)


@attrs.frozen
class ArrangeRespite:
    """The data of ``arrange_respite``: when respite starts and for how many nights."""

    starts_on: date
    nights: int

    @classmethod
    def read(cls, fields: Fields) -> ArrangeRespite:
        """Read the command's data; errors name the field."""
        return cls(fields.date("starts_on"), fields.integer("nights", minimum=1, maximum=28))


def build_variant() -> Procedure:
    """Return the authority's variant of the standard procedure, checked when built."""
    return (
        STANDARD.draft(name="north-borough", version=1)
        .add_state(State("respite_arranged", "Respite care is arranged for the placement."))
        .add_command(
            CommandSpec(
                name="arrange_respite",
                event="RespiteArranged",
                read=ArrangeRespite.read,
                transitions=[Transition("support_offered", "respite_arranged")],
                roles=MANAGER_ROLES,
                description="Arrange respite care as part of the support offer.",
            )
        )
        # From respite, the placement can be stabilised, taken to a meeting or end, and
        # further concerns are recorded without leaving the state.
        .add_sources("stabilise", "respite_arranged")
        .add_sources("convene_meeting", "respite_arranged")
        .add_sources("end_placement", "respite_arranged")
        .set_transitions(
            "raise_concern",
            Transition(("placed", "stabilised"), "concern_raised"),
            Transition(("support_offered", "disruption_meeting", "respite_arranged")),
        )
        .set_timescale("meeting", working_days=5)
        .build()
    )


def main() -> dict[str, Any]:
    """Run one case through the variant and return what happened."""
    procedure = build_variant()
    start = datetime(2026, 1, 12, 9, 30, tzinfo=UTC)
    engine = Engine(MemoryStore(), procedure=procedure, clock=FixedClock(start))
    sw = {"id": "sw-3", "role": "social_worker"}
    manager = {"id": "tm-1", "role": "team_manager"}
    steps: list[tuple[str, dict[str, str], dict[str, Any]]] = [
        (
            "open_case",
            sw,
            {
                "child": "C-77",
                "placement": {
                    "id": "PL-9",
                    "type": "U4",
                    "provider": "PR1",
                    "start": "2024-09-02",
                    "location": "in_borough",
                },
            },
        ),
        ("raise_concern", sw, {"category": "carer_difficulty", "raised_by": "carer"}),
        ("offer_support", manager, {"support": ["respite", "extra_visits"]}),
        ("arrange_respite", manager, {"starts_on": "2026-01-16", "nights": 2}),
        ("stabilise", manager, {}),
    ]
    states = []
    for day, (name, actor, data) in enumerate(steps):
        at = start + timedelta(days=day)
        engine.clock = FixedClock(at)  # entered as it happens (at most 5 minutes early)
        outcome = engine.handle(
            Command.from_json(
                {
                    "case": "P-77",
                    "command": name,
                    "at": at.isoformat(),
                    "actor": actor,
                    "data": data,
                }
            )
        )
        states.append(outcome.case.state)
    print(" -> ".join(states))
    print(f"meeting timescale: {procedure.deadline('meeting').working_days} working days")
    return {"states": states, "procedure": procedure}


if __name__ == "__main__":
    from disruption import logs

    logs.configure("warning")
    main()
