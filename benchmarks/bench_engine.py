"""Benchmark ``Engine.handle`` on a ``MemoryStore``, the path callers take, against two FSMs.

Every case takes the same six steps: ``open_case -> raise_concern -> offer_support ->
convene_meeting -> record_meeting (a guard on the decision: plan_move) -> end_placement``,
with one on-enter action when the case ends. In the same run, on the same pre-built commands:

- **disruption**: ``Engine.handle(command)`` on an engine over a ``MemoryStore`` (load the
  case, check permissions and data, decide, work out deadlines, record the events, publish
  them); the on-enter action is a subscriber called with the ``PlacementEnded`` event;
- **transitions**: a trigger (``machine.events[name].trigger(case, data)``) on ONE
  ``transitions.Machine`` shared by all cases, with the same graph, the same guard (three
  ``record_meeting`` branches, the decision checked by a condition) and the same on-enter
  callable (``on_enter`` of ``ended``); a case is a small object with a ``state`` (not
  registered with ``add_model``, whose membership check makes adding N models cost O(N^2));
- **dict FSM**: a hand-written ``{(state, command): ((dest, guard), ...)}`` table and a
  ``fire`` function updating a dict case in place, with the same guard and on-enter callable;
- *internal* (for information, not a caller's path): ``decide()`` alone, no store;
- *internal floor* (for information): the frozen values each step returns (the event, its
  data and deadline changes, the new deadlines and records, the case file and the case),
  rebuilt from their field values with the library's own fastest builders (``filled``), with
  nothing read, looked up, checked or worked out and nothing stored but a list append. No
  engine whose steps return the public model's immutable values builds less; what the
  trigger takes beyond it is all the room left for everything else a step does.

Measured:

1. **per step** (ns/step over the six steps of ``--cases`` cases, fresh state each round), in
   ``--rounds`` interleaved rounds (each round runs every side once, who goes first
   rotating); the medians and the medians of the rounds' own ratios are printed;
2. **opening 100,000 cases** through ``handle`` (seconds, one run, the dict FSM beside it);
   Its CPU time (``time.process_time``) is printed beside it: on a shared machine the
   wall clock also counts the time other processes held the core;
3. **memory per case**: tracemalloc's retained bytes of a ``MemoryStore`` (and its engine)
   holding ``--memory-cases`` cases after the six steps, with all their events kept; the
   commands are built inside the traced region and dropped, so strings the store keeps from
   them are counted. Beside it, by part: ``sys.getsizeof`` of every object the cases'
   snapshots hold (each object counted once, so values shared between cases count once),
   by class; the rest of the traced bytes is the store's event records and indexes;
4. **flatness**: the cost of one more command (``raise_concern`` on a placed case) when
   the case already has 1, 11, 101 and 1,001 events (the history is
   ``open_case`` then ``raise_concern``/``no_further_action`` pairs: an odd count leaves the
   case placed, so the command timed is the same at every level), interleaved rounds.

Targets (issue 17, item 4): per step no slower than the ``transitions`` trigger (stretch:
within 10x the dict FSM); 100,000 cases opened in under 2 s; under 2 KB per case; per-command
cost flat (here: at 1,001 events at most 1.5x the cost at 1).

Commands are built before timing; the engine's clock follows the commands (each is recorded
at its own ``at``, as when entered live). Logging is configured at ``warning`` (an
application's production setting). The cyclic garbage collector runs as in an application;
a collection runs before each timed region, and the pre-built commands are frozen out of its
sight (``gc.freeze``) while the sides run.

Run it: ``python benchmarks/bench_engine.py`` (``--quick`` for a short run; ``--help``).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import marshal
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

import attrs
import structlog
from transitions import Machine

from disruption import DEFAULT_CALENDAR, STANDARD, Actor, Command, Engine, MemoryStore, decide
from disruption.domain.clock import LONDON
from disruption.domain.commands import Fields
from disruption.domain.model import Case, filled
from disruption.logs import configure
from disruption.procedure.definition import Procedure

__all__ = ["QUICK", "Report", "main"]

STEPS: Final = (
    "open_case",
    "raise_concern",
    "offer_support",
    "convene_meeting",
    "record_meeting",
    "end_placement",
)
"""The six steps of every case: the opening, then five moves."""
MOVES: Final = STEPS[1:]
PATH: Final = (
    "open_case -> raise_concern -> offer_support -> convene_meeting -> "
    "record_meeting (guard: decision plan_move) -> end_placement (on enter: one action)"
)

TARGET_TRANSITIONS: Final = 1.0
"""Per step: at most this many times the transitions trigger."""
STRETCH_DICT: Final = 10.0
"""Per step, stretch: at most this many times the dict FSM."""
TARGET_OPEN_S: Final = 2.0
OPEN_CASES: Final = 100_000
"""Opening this many cases through ``handle`` in under TARGET_OPEN_S."""
TARGET_BYTES: Final = 2048
"""Memory: under 2 KB per case, events kept."""
FLAT_LEVELS: Final = (1, 11, 101, 1001)
"""Events in a case before the command timed for flatness."""
TARGET_FLAT: Final = 1.5
"""Flat: the command at the last level costs at most this many times the one at the first."""

CASES: Final = 5_000
ROUNDS: Final = 7
MEMORY_CASES: Final = 2_000
FLAT_SAMPLES: Final = 10
"""Cases per level and round for flatness (each timed for one command)."""
QUICK: Final = {
    "cases": 300,
    "rounds": 5,
    "open_cases": 5_000,
    "memory_cases": 200,
    "flat_samples": 2,
}
"""``--quick``: small numbers; opening is projected to 100,000 cases."""

# ---------------------------------------------------------------- the same graph, three ways

_ACTIVE = (
    "placed",
    "concern_raised",
    "support_offered",
    "disruption_meeting",
    "move_planned",
    "stabilised",
)
STATES: Final = (*_ACTIVE, "ended")


def continue_support(data: Mapping[str, Any]) -> bool:
    """Guard: the meeting decided to continue support."""
    return bool(data["decision"] == "continue_support")


def stabilise(data: Mapping[str, Any]) -> bool:
    """Guard: the meeting decided the placement is stable."""
    return bool(data["decision"] == "stabilise")


def plan_move(data: Mapping[str, Any]) -> bool:
    """Guard: the meeting decided to plan a move."""
    return bool(data["decision"] == "plan_move")


Guard = Callable[[Mapping[str, Any]], bool]

EDGES: Final[tuple[tuple[str, tuple[str, ...], str | None, Guard | None], ...]] = (
    ("raise_concern", ("placed", "stabilised"), "concern_raised", None),
    ("raise_concern", ("support_offered", "disruption_meeting"), None, None),
    ("no_further_action", ("concern_raised",), "placed", None),
    ("offer_support", ("concern_raised",), "support_offered", None),
    ("convene_meeting", ("concern_raised", "support_offered"), "disruption_meeting", None),
    ("record_meeting", ("disruption_meeting",), "support_offered", continue_support),
    ("record_meeting", ("disruption_meeting",), "stabilised", stabilise),
    ("record_meeting", ("disruption_meeting",), "move_planned", plan_move),
    ("stabilise", ("support_offered",), "stabilised", None),
    ("end_placement", _ACTIVE, "ended", None),
    ("record_notice", ("ended",), None, None),
    ("record_learning_review", ("ended",), None, None),
)
"""The standard procedure's graph, written out for the two baselines: (command, sources,
destination or None for staying, guard); branches are tried in this order, as the engine's."""


class Ended:
    """The on-enter action of ``ended``, shared by every side: counts the endings."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, data: Mapping[str, Any]) -> None:
        self.count += 1


class MachineCase:
    """A case of the transitions side: the model, with the state the machine sets."""

    __slots__ = ("id", "state")

    def __init__(self, case_id: str, state: str) -> None:
        self.id = case_id
        self.state = state


def shared_machine(on_ended: Ended) -> Machine:
    """One ``transitions.Machine`` for every case (no model of its own)."""
    return Machine(
        model=None,
        states=[
            {"name": s, "on_enter": [on_ended]} if s == "ended" else {"name": s} for s in STATES
        ],
        transitions=[
            {
                "trigger": command,
                "source": list(sources),
                "dest": dest,
                "conditions": [guard] if guard is not None else [],
            }
            for command, sources, dest, guard in EDGES
        ],
        initial="placed",
        auto_transitions=False,
        send_event=False,
    )


DictCase = dict[str, Any]
Table = dict[tuple[str, str], tuple[tuple[str | None, Guard | None], ...]]


def dict_table() -> Table:
    """The dict FSM's table: ``(state, command) -> ((dest, guard), ...)``."""
    table: dict[tuple[str, str], list[tuple[str | None, Guard | None]]] = {}
    for command, sources, dest, guard in EDGES:
        for source in sources:
            table.setdefault((source, command), []).append((dest, guard))
    return {key: tuple(branches) for key, branches in table.items()}


def fire(
    table: Table,
    on_enter: Mapping[str, Ended],
    case: DictCase,
    command: str,
    data: Mapping[str, Any],
) -> bool:
    """The dict FSM's step: the first branch whose guard holds; the on-enter action."""
    for dest, guard in table.get((case["state"], command), ()):
        if guard is None or guard(data):
            if dest is not None:
                case["state"] = dest
                enter = on_enter.get(dest)
                if enter is not None:
                    enter(data)
            return True
    return False


class FollowingClock:
    """The engine's clock: tells the ``at`` of the command being handled (set by the loop)."""

    def __init__(self) -> None:
        self.at = datetime(2020, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        """The instant of the current command."""
        return self.at


# ---------------------------------------------------------------- realistic varied inputs


# SSDA903 placement types, weighted; K1, K2 and R1 have a 3-working-day meeting timescale.
_TYPES = ("U1", "U3", "U4", "U6", "K2", "K1", "R1", "P1", "A3")
_TYPE_WEIGHTS = (14, 30, 20, 6, 12, 1, 3, 8, 3)
_PROVIDERS = {
    "P1": ("PR0",),
    "A3": ("PR1", "PR2", "PR5"),
    "K2": ("PR4", "PR4", "PR1"),
    "K1": ("PR1", "PR2"),
    "R1": ("PR4",),
}
_OTHER_PROVIDERS = ("PR1", "PR1", "PR4", "PR5")
_UNPLANNED = ("OTHER", "PLACE", "CREQB", "CREQO", "CHILD", "LAREQ", "STAND", "CLOSE", "ALLEG")
_CATEGORIES = (
    "carer_difficulty",
    "relationship",
    "missing_episodes",
    "child_wants_to_leave",
    "needs_not_met",
    "allegation",
)
_RAISED_BY = ("carer", "social_worker", "iro", "child")
_SUPPORT = ("extra_visits", "respite", "therapeutic", "direct_work", "mentor_carer", "education")
_FACTORS = (
    "carer_capacity",
    "child_behaviour",
    "matching",
    "education",
    "family_contact",
    "missing_episodes",
    "placement_history",
)
_ATTENDEES = ("social_worker", "supervising_social_worker", "carer", "iro", "child")
_FIRST_CONCERN = date(2024, 1, 2)
_LAST_CONCERN = date(2026, 10, 30)  # leaves room for the other steps within 2026


@attrs.frozen
class Inputs:
    """Every case's pre-built commands, step by step (``opens[i]`` and ``moves[k][i]``)."""

    opens: list[Command]
    moves: tuple[list[Command], ...]

    def __len__(self) -> int:
        return len(self.opens)

    def steps(self) -> Iterator[list[Command]]:
        """The commands of each step in turn (all cases' openings, then each move)."""
        yield self.opens
        yield from self.moves


def make_inputs(n: int, seed: int = 903, *, prefix: str = "B", whole: bool = True) -> Inputs:
    """Build ``n`` cases' six commands each (``whole=False``: the openings alone), with varied
    types, dates (2023-2026) and people."""
    rng = random.Random(seed)
    social_workers = [Actor(f"sw-{i:02d}", "social_worker") for i in range(1, 61)]
    managers = [Actor(f"tm-{i}", "team_manager") for i in range(1, 9)]
    chairs = [{"id": f"tm-{i}", "role": "team_manager"} for i in range(1, 9)]
    chairs += [{"id": f"iro-{i}", "role": "iro"} for i in range(1, 6)]
    span = (_LAST_CONCERN - _FIRST_CONCERN).days
    opens: list[Command] = []
    moves: tuple[list[Command], ...] = tuple([] for _ in MOVES)

    def at(day: date, step: int) -> datetime:
        # Later steps of one day come later in it, so a case's commands stay in order.
        return datetime(
            day.year,
            day.month,
            day.day,
            8 + 2 * step,
            rng.randrange(0, 60, 5),
            tzinfo=LONDON,
        )

    for i in range(1, n + 1):
        case = f"{prefix}-{i:07d}"
        sw = rng.choice(social_workers)
        ptype = rng.choices(_TYPES, _TYPE_WEIGHTS)[0]
        concern = _FIRST_CONCERN + timedelta(days=rng.randint(0, span))
        start = concern - timedelta(days=rng.randint(20, 700))
        opened = start + timedelta(days=rng.randint(0, 14))
        offered = concern + timedelta(days=rng.randint(0, 4))
        convened = offered + timedelta(days=rng.randint(1, 21))
        meeting = convened + timedelta(days=rng.randint(0, 6))
        held = meeting + timedelta(days=rng.randint(0, 2))
        recorded = held + timedelta(days=rng.randint(0, 3))
        ending = recorded + timedelta(days=rng.randint(1, 21))
        end = max(recorded, ending - timedelta(days=rng.randint(0, 3)))
        placement: dict[str, Any] = {
            "id": f"PL-{i:07d}",
            "type": ptype,
            "provider": rng.choice(_PROVIDERS.get(ptype, _OTHER_PROVIDERS)),
            "start": start.isoformat(),
            "location": "out_of_borough" if rng.random() < 0.3 else "in_borough",
        }
        if rng.random() < 0.6:
            placement["carer"] = f"CR-{rng.randint(1, 5000):05d}"
        opens.append(
            Command(
                case,
                "open_case",
                at(opened, 0),
                sw,
                {"child": f"C-{i:07d}", "placement": placement},
            )
        )
        if not whole:
            continue
        offer: dict[str, Any] = {"support": rng.sample(_SUPPORT, k=rng.randint(1, 3))}
        if rng.random() < 0.4:
            offer["review_by"] = (offered + timedelta(days=rng.randint(10, 40))).isoformat()
        views = (
            {"child_views": "Wants to stay near school and friends."}
            if rng.random() < 0.7
            else {"child_views_not_obtained": "Declined to take part."}
        )
        step_commands = (
            Command(
                case,
                "raise_concern",
                at(concern, 1),
                sw,
                {"category": rng.choice(_CATEGORIES), "raised_by": rng.choice(_RAISED_BY)},
            ),
            Command(case, "offer_support", at(offered, 2), rng.choice(managers), offer),
            Command(
                case,
                "convene_meeting",
                at(convened, 3),
                sw,
                {"date": meeting.isoformat(), "chair": rng.choice(chairs)},
            ),
            Command(
                case,
                "record_meeting",
                at(recorded, 4),
                sw,
                {
                    "held_on": held.isoformat(),
                    "attendees": [
                        "social_worker",
                        *rng.sample(_ATTENDEES[1:], k=rng.randint(1, 3)),
                    ],
                    "factors": rng.sample(_FACTORS, k=rng.randint(1, 3)),
                    "decision": "plan_move",
                    **views,
                },
            ),
            Command(
                case,
                "end_placement",
                at(ending, 5),
                sw,
                {"end": end.isoformat(), "reason": rng.choice(_UNPLANNED), "planned": False},
            ),
        )
        for k, command in enumerate(step_commands):
            moves[k].append(command)
    return Inputs(opens, moves)


def make_opens(n: int, prefix: str = "O") -> list[Command]:
    """``n`` opening commands alone (for opening many cases)."""
    return make_inputs(n, prefix=prefix, whole=False).opens


# ---------------------------------------------------------------- the sides, timed

Elapsed = tuple[int, list[tuple[str, str]]]
"""Nanoseconds taken, and every case's ``(id, final state)``."""


def _engine(
    clock: FollowingClock, on_ended: Ended | None = None, procedure: Procedure = STANDARD
) -> Engine:
    engine = Engine(MemoryStore(), clock=clock, procedure=procedure)
    if on_ended is not None:

        def on_event(event: Any) -> None:
            if event.type == "PlacementEnded":
                on_ended(event.data)

        engine.subscribe(on_event)
    return engine


def run_engine(inputs: Inputs, on_ended: Ended, procedure: Procedure = STANDARD) -> Elapsed:
    """The six steps of every case through ``Engine.handle`` on a fresh ``MemoryStore``
    (opening cases under ``procedure``, the standard procedure by default)."""
    clock = FollowingClock()
    engine = _engine(clock, on_ended, procedure)
    handle = engine.handle
    gc.collect()
    start = time.perf_counter_ns()
    for commands in inputs.steps():
        for command in commands:
            clock.at = command.at
            handle(command)
    elapsed = time.perf_counter_ns() - start
    return elapsed, [(c.case, engine.case(c.case).state) for c in inputs.opens]


def run_transitions(inputs: Inputs, on_ended: Ended) -> Elapsed:
    """The six steps as triggers on one shared ``transitions.Machine``."""
    machine = shared_machine(on_ended)
    events = machine.events
    initial = str(machine.initial)
    gc.collect()
    start = time.perf_counter_ns()
    cases = [MachineCase(command.case, initial) for command in inputs.opens]
    for commands in inputs.moves:
        for case, command in zip(cases, commands, strict=True):
            events[command.name].trigger(case, command.data)
    elapsed = time.perf_counter_ns() - start
    return elapsed, [(c.id, c.state) for c in cases]


def run_dict(inputs: Inputs, on_ended: Ended) -> Elapsed:
    """The six steps on the hand-written dict FSM."""
    table = dict_table()
    on_enter = {"ended": on_ended}
    gc.collect()
    start = time.perf_counter_ns()
    cases: list[DictCase] = []
    for command in inputs.opens:
        data = command.data
        placement = data["placement"]
        cases.append(
            {
                "id": command.case,
                "child": data["child"],
                "placement": placement["id"],
                "type": placement["type"],
                "state": "placed",
            }
        )
    for commands in inputs.moves:
        for case, command in zip(cases, commands, strict=True):
            fire(table, on_enter, case, command.name, command.data)
    elapsed = time.perf_counter_ns() - start
    return elapsed, [(str(c["id"]), str(c["state"])) for c in cases]


def run_decide(inputs: Inputs, on_ended: Ended) -> Elapsed:
    """Internal: the six steps through the pure ``decide`` alone (no store, no load)."""
    gc.collect()
    start = time.perf_counter_ns()
    cases: list[Case] = [
        decide(STANDARD, None, c, calendar=DEFAULT_CALENDAR, recorded_at=c.at).case
        for c in inputs.opens
    ]
    for commands in inputs.moves:
        cases = [
            decide(STANDARD, case, c, calendar=DEFAULT_CALENDAR, recorded_at=c.at).case
            for case, c in zip(cases, commands, strict=True)
        ]
    elapsed = time.perf_counter_ns() - start
    return elapsed, [(c.id, c.state) for c in cases]


Build = Callable[..., Any]
"""How the floor side builds one value: a ``filled`` builder, a class's own init, ``tuple``
or ``dict``."""
Steps = list[tuple[list[tuple[Build, tuple[Any, ...]]], Any, Callable[[Fields], Any], Any]]
"""Per step of every case (in the order handled): the values it builds, children first (the
case last), the data of a ``PlacementEnded`` event it records (else ``None``), and the
procedure's reader of the command's data with that data."""

_FLOOR_PLANS: dict[int, tuple[Inputs, Steps]] = {}


def _builder(kind: type, builders: dict[type, Build]) -> Build:
    """The fastest way the library builds an instance of ``kind`` from its field values."""
    found = builders.get(kind)
    if found is None:
        try:
            found = filled(kind)
        except TypeError:  # it converts or validates: the library builds it with its init
            found = kind
        builders[kind] = found
    return found


def _values(obj: Any) -> tuple[Any, ...] | None:
    """The field values of an attrs instance, a tuple's items or a dict, else ``None``."""
    kind = type(obj)
    if kind is tuple or kind is list:
        return tuple(obj)
    if kind is dict:
        return tuple(obj.items())
    if attrs.has(kind):
        return tuple(getattr(obj, a.name) for a in attrs.fields(kind))
    return None


def _reached(obj: Any, seen: set[int]) -> None:
    """Add the ids of ``obj`` and every container and attrs value in it to ``seen``."""
    if id(obj) in seen:
        return
    seen.add(id(obj))
    values = _values(obj)
    for value in values or ():
        _reached(value[1] if type(obj) is dict else value, seen)


def _new_values(
    obj: Any, old: set[int], builders: dict[type, Build], out: list[tuple[Build, tuple[Any, ...]]]
) -> None:
    """Append how to rebuild ``obj`` and every value in it not in ``old``, children first."""
    if id(obj) in old:
        return
    old.add(id(obj))
    values = _values(obj)
    if values is None:
        return  # a string, date, number or enum member: shared or built by the caller
    kind = type(obj)
    for value in values:
        _new_values(value[1] if kind is dict else value, old, builders, out)
    if kind is dict:
        out.append((dict, (values,)))
    elif kind is tuple or kind is list:
        out.append((tuple, (values,)))
    else:
        out.append((_builder(kind, builders), values))


def floor_plan(inputs: Inputs) -> Steps:
    """What every step of ``inputs`` builds through ``Engine.handle`` (run once, untimed).

    For each step, the values new in its outcome (its events and the case after it): those
    neither in the case before the step nor in the command. Kept per ``inputs``.
    """
    cached = _FLOOR_PLANS.get(id(inputs))
    if cached is not None and cached[0] is inputs:
        return cached[1]
    clock = FollowingClock()
    engine = _engine(clock)
    builders: dict[type, Build] = {}
    before: dict[str, Case] = {}
    steps: Steps = []
    for commands in inputs.steps():
        for command in commands:
            clock.at = command.at
            old: set[int] = set()
            _reached(command, old)
            previous = before.get(command.case)
            if previous is not None:
                _reached(previous, old)
            outcome = engine.handle(command)
            built: list[tuple[Build, tuple[Any, ...]]] = []
            for event in outcome.events:
                _new_values(event, old, builders, built)
            _new_values(outcome.case, old, builders, built)
            ended = [e.data for e in outcome.events if e.type == "PlacementEnded"]
            read = STANDARD.command(command.name).read
            steps.append((built, ended[0] if ended else None, read, command.data))
            before[command.case] = outcome.case
    _FLOOR_PLANS.clear()  # one plan kept: the inputs being measured
    _FLOOR_PLANS[id(inputs)] = (inputs, steps)
    return steps


def run_floor(inputs: Inputs, on_ended: Ended) -> Elapsed:
    """Internal floor: every step's frozen values rebuilt from their fields, nothing else.

    The values each step of ``Engine.handle`` returns (see :func:`floor_plan`), built in
    the order it builds them with the library's own fastest builders; each case kept by id,
    the on-enter action called with the ending's data.
    """
    plan = floor_plan(inputs)
    gc.collect()
    start = time.perf_counter_ns()
    cases: dict[str, Any] = {}
    made: Any = None
    for built, ended, _, _ in plan:
        for build, values in built:
            made = build(*values)
        cases[made.id] = made  # the last value a step builds is the case
        if ended is not None:
            on_ended(ended)
    elapsed = time.perf_counter_ns() - start
    return elapsed, [(c.case, cases[c.case].state) for c in inputs.opens]


def run_floor_read(inputs: Inputs, on_ended: Ended) -> Elapsed:
    """Internal floor with the data read: :func:`run_floor`, each step first reading its
    command's data with the procedure's reader (every field checked, an unknown one refused),
    as every step must to refuse bad input with an error naming the field."""
    plan = floor_plan(inputs)
    gc.collect()
    start = time.perf_counter_ns()
    cases: dict[str, Any] = {}
    made: Any = None
    for built, ended, read, data in plan:
        fields = Fields(data)
        read(fields)
        fields.close()
        for build, values in built:
            made = build(*values)
        cases[made.id] = made
        if ended is not None:
            on_ended(ended)
    elapsed = time.perf_counter_ns() - start
    return elapsed, [(c.case, cases[c.case].state) for c in inputs.opens]


SIDES: Final[dict[str, Callable[[Inputs, Ended], Elapsed]]] = {
    "engine": run_engine,
    "transitions": run_transitions,
    "dict": run_dict,
    "decide": run_decide,
    "floor": run_floor,
    "floor_read": run_floor_read,
}
"""Every side of the per-step comparison (``decide`` and the floors are internal)."""


def per_step(inputs: Inputs, rounds: int) -> tuple[dict[str, list[float]], dict[str, Any]]:
    """Interleaved rounds of every side on the same commands: ns per step, per round."""
    samples: dict[str, list[float]] = {name: [] for name in SIDES}
    states: dict[str, Any] = {}
    names = list(SIDES)
    steps = len(inputs) * len(STEPS)
    for r in range(rounds):
        turn = r % len(names)
        for name in names[turn:] + names[:turn]:
            on_ended = Ended()
            elapsed, final = SIDES[name](inputs, on_ended)
            samples[name].append(elapsed / steps)
            if name != "decide" and on_ended.count != len(inputs):
                raise AssertionError(f"{name}: {on_ended.count} on-enter calls")
            states[name] = final
    return samples, states


def open_many(n: int) -> dict[str, float]:
    """Open ``n`` cases through ``handle`` (one run), the dict FSM's opening beside it."""
    opens = make_opens(n)
    with frozen():
        return _open_many(opens)


def _open_many(opens: Sequence[Command]) -> dict[str, float]:
    n = len(opens)
    clock = FollowingClock()
    engine = _engine(clock)
    handle = engine.handle
    gc.collect()
    cpu_start = time.process_time_ns()
    start = time.perf_counter_ns()
    for command in opens:
        clock.at = command.at
        handle(command)
    engine_ns = time.perf_counter_ns() - start
    engine_cpu_ns = time.process_time_ns() - cpu_start
    del engine
    gc.collect()
    start = time.perf_counter_ns()
    cases = [
        {
            "id": c.case,
            "child": c.data["child"],
            "placement": c.data["placement"]["id"],
            "type": c.data["placement"]["type"],
            "state": "placed",
        }
        for c in opens
    ]
    dict_ns = time.perf_counter_ns() - start
    assert len(cases) == n
    return {
        "open_cases": float(n),
        "open_s": engine_ns / 1e9,
        "open_projected_s": engine_ns / 1e9 * OPEN_CASES / n,
        "open_cpu_s": engine_cpu_ns / 1e9,
        "dict_open_s": dict_ns / 1e9,
        "open_ratio": engine_ns / dict_ns,
    }


def memory_per_case(n: int) -> dict[str, float]:
    """Retained bytes per case of a ``MemoryStore`` holding ``n`` cases after six steps."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        clock = FollowingClock()
        engine = _engine(clock)
        inputs = make_inputs(n, prefix="M")
        for commands in inputs.steps():
            for command in commands:
                clock.at = command.at
                engine.handle(command)
        events = sum(len(engine.history(c.case)) for c in inputs.opens)
        del inputs, commands, command
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
        ids = engine.store.case_ids()  # the cases measured, and only those
        parts = _case_parts([engine.case(case_id) for case_id in ids])
        data_bytes = sum(
            len(marshal.dumps(tuple(event.data.values())))
            for case_id in ids
            for event in engine.history(case_id)
        )
    finally:
        tracemalloc.stop()
    assert engine.store.case_ids()  # the store is alive while measured
    per_case = (after - before) / n
    numbers = {
        "memory_cases": float(n),
        "events_per_case": events / n,
        "bytes_per_case": per_case,
    }
    held = 0.0
    for kind, size in sorted(parts.items(), key=lambda item: -item[1]):
        numbers[f"part_{kind}_bytes"] = size / n
        held += size / n
    numbers["part_store_rest_bytes"] = per_case - held
    numbers["data_values_bytes"] = data_bytes / n
    numbers["memory_bound_bytes"] = held + data_bytes / n
    return numbers


def _case_parts(cases: Sequence[Case]) -> dict[str, int]:
    """Bytes of the objects the cases hold, by class, each object counted once.

    Only objects allocated while tracemalloc traced (those the cases' steps made): strings,
    dates and enum members that existed before are shared, not the cases' own.
    """
    seen: set[int] = set()
    sizes: dict[str, int] = {}
    todo: list[Any] = list(cases)
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if tracemalloc.get_object_traceback(obj) is not None:
            kind = type(obj).__name__
            sizes[kind] = sizes.get(kind, 0) + sys.getsizeof(obj)
        values = _values(obj)
        if values is not None:
            todo.extend(v[1] if type(obj) is dict else v for v in values)
    return sizes


# ---------------------------------------------------------------- flatness

_SW: Final = Actor("sw-flat", "social_worker")
_TM: Final = Actor("tm-flat", "team_manager")
_FLAT_T0: Final = datetime(2024, 1, 8, 9, tzinfo=LONDON)


def _flat_commands(case_id: str, events: int) -> tuple[list[Command], Command]:
    """A history of ``events`` commands (open, then concern / no further action pairs) and
    the command timed after it: a ``raise_concern`` on the placed case."""
    if events % 2 != 1:
        raise ValueError("a placed case has an odd number of events")
    at = [_FLAT_T0 + timedelta(hours=h) for h in range(events + 1)]
    history = [
        Command(
            case_id,
            "open_case",
            at[0],
            _SW,
            {
                "child": f"C-{case_id}",
                "placement": {
                    "id": f"PL-{case_id}",
                    "type": "U4",
                    "provider": "PR1",
                    "start": "2023-06-05",
                    "location": "in_borough",
                },
            },
        )
    ]
    concern = {"category": "carer_difficulty", "raised_by": "carer"}
    for k in range(1, events):
        if k % 2:
            history.append(Command(case_id, "raise_concern", at[k], _SW, concern))
        else:
            reason = {"reason": "Screened: the carers are coping."}
            history.append(Command(case_id, "no_further_action", at[k], _TM, reason))
    return history, Command(case_id, "raise_concern", at[events], _SW, concern)


def _stored_history(store: MemoryStore, history: Sequence[Command]) -> None:
    """Store a case's history as the engine would (decided here, untimed, to save time)."""
    case: Case | None = None
    for command in history:
        decision = decide(
            STANDARD, case, command, calendar=DEFAULT_CALENDAR, recorded_at=command.at
        )
        version = 0 if case is None else case.version
        store.append(decision.case, decision.events, decision.texts, expected_version=version)
        case = decision.case


def flatness(rounds: int, samples: int) -> dict[str, float]:
    """ns of one ``raise_concern`` through ``handle`` on cases of 1 to 1,001 events."""
    clock = FollowingClock()
    engine = _engine(clock)
    store = engine.store
    assert isinstance(store, MemoryStore)
    timed: dict[int, list[Command]] = {level: [] for level in FLAT_LEVELS}
    for r in range(rounds):
        for level in FLAT_LEVELS:
            for s in range(samples):
                history, command = _flat_commands(f"F{level}-{r}-{s}", level)
                _stored_history(store, history)
                timed[level].append(command)
    per_round: dict[int, list[float]] = {level: [] for level in FLAT_LEVELS}
    cpu_round: dict[int, list[float]] = {level: [] for level in FLAT_LEVELS}
    levels = list(FLAT_LEVELS)
    for r in range(rounds):
        gc.collect()
        turn = r % len(levels)
        for level in levels[turn:] + levels[:turn]:
            total = 0
            cpu_start = time.process_time_ns()
            for command in timed[level][r * samples : (r + 1) * samples]:
                clock.at = command.at
                start = time.perf_counter_ns()
                outcome = engine.handle(command)
                total += time.perf_counter_ns() - start
                assert outcome.case.version == level + 1
            cpu_round[level].append((time.process_time_ns() - cpu_start) / samples)
            per_round[level].append(total / samples)
    numbers = {f"flat_{level}_ns": statistics.median(v) for level, v in per_round.items()}
    numbers |= {f"flat_cpu_{level}_ns": statistics.median(v) for level, v in cpu_round.items()}
    first, last = FLAT_LEVELS[0], FLAT_LEVELS[-1]
    numbers["flat_ratio"] = numbers[f"flat_{last}_ns"] / numbers[f"flat_{first}_ns"]
    numbers["flat_cpu_ratio"] = numbers[f"flat_cpu_{last}_ns"] / numbers[f"flat_cpu_{first}_ns"]
    return numbers


# ---------------------------------------------------------------- the run


class Report(dict[str, float]):
    """The measured numbers by name, and every case's final ``(id, state)`` on each side."""

    def __init__(self, numbers: Mapping[str, float], *, states: Mapping[str, Any]) -> None:
        super().__init__(numbers)
        self.states: dict[str, list[tuple[str, str]]] = dict(states)

    @property
    def states_identical(self) -> bool:
        """Whether every side ended every case in the same state."""
        first, *others = self.states.values()
        return all(other == first for other in others)


@contextlib.contextmanager
def frozen() -> Iterator[None]:
    """The objects alive now (the pre-built commands) out of the collector's sight meanwhile.

    The collector still runs, over what the sides allocate: as in an application, whose
    commands arrive one at a time rather than 30,000 at once.
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _median_ratio(a: Sequence[float], b: Sequence[float]) -> float:
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


def _warm_up() -> None:
    inputs = make_inputs(200, prefix="W")
    for side in SIDES.values():
        side(inputs, Ended())
    memory_per_case(20)


def measure(
    cases: int = CASES,
    rounds: int = ROUNDS,
    open_cases: int = OPEN_CASES,
    memory_cases: int = MEMORY_CASES,
    flat_samples: int = FLAT_SAMPLES,
) -> Report:
    """Run every measurement and return the report (logging at ``warning`` meanwhile)."""
    if min(cases, rounds, open_cases, memory_cases, flat_samples) < 1:
        raise ValueError("every count must be at least 1")
    saved = structlog.get_config()
    configure("warning")
    try:
        _warm_up()
        inputs = make_inputs(cases)
        floor_plan(inputs)  # built untimed, before the collector is told to look away
        with frozen():
            samples, states = per_step(inputs, rounds)
        del inputs
        _FLOOR_PLANS.clear()
        numbers: dict[str, float] = {"cases": float(cases), "rounds": float(rounds)}
        for name, values in samples.items():
            numbers[f"{name}_step_ns"] = statistics.median(values)
        for name in ("transitions", "dict"):
            numbers[f"{name}_ratio"] = _median_ratio(samples["engine"], samples[name])
        numbers["decide_ratio"] = _median_ratio(samples["decide"], samples["dict"])
        numbers["engine_over_decide"] = _median_ratio(samples["engine"], samples["decide"])
        numbers["floor_ratio"] = _median_ratio(samples["floor"], samples["transitions"])
        numbers["engine_over_floor"] = _median_ratio(samples["engine"], samples["floor"])
        numbers["floor_read_ratio"] = _median_ratio(samples["floor_read"], samples["transitions"])
        numbers |= open_many(open_cases)
        numbers |= memory_per_case(memory_cases)
        numbers |= flatness(rounds, flat_samples)
        numbers["flat_samples"] = float(flat_samples)
    finally:
        structlog.configure(**saved)
    return Report(numbers, states=states)


# ---------------------------------------------------------------- printing


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _us(ns: float) -> str:
    return f"{ns / 1e3:,.2f}"


def _rows(r: Report) -> list[tuple[str, str, str, str, str, str]]:
    opened = int(r["open_cases"])
    projected = "" if opened == OPEN_CASES else f" ({r['open_projected_s']:.2f} @100k)"
    levels = " / ".join(_us(r[f"flat_{level}_ns"]) for level in FLAT_LEVELS)
    last = FLAT_LEVELS[-1]
    return [
        (
            "Engine.handle per step (us) vs transitions trigger, one shared Machine",
            _us(r["engine_step_ns"]),
            _us(r["transitions_step_ns"]),
            f"{r['transitions_ratio']:,.1f}x",
            f"<= {TARGET_TRANSITIONS:g}x",
            _verdict(r["transitions_ratio"] <= TARGET_TRANSITIONS),
        ),
        (
            "Engine.handle per step (us) vs hand-written dict FSM",
            _us(r["engine_step_ns"]),
            _us(r["dict_step_ns"]),
            f"{r['dict_ratio']:,.0f}x",
            f"<= {STRETCH_DICT:g}x (stretch)",
            _verdict(r["dict_ratio"] <= STRETCH_DICT),
        ),
        (
            f"open {opened:,} cases through Engine.handle (s) vs dict FSM",
            f"{r['open_s']:.2f}{projected}",
            f"{r['dict_open_s']:.3f}",
            f"{r['open_ratio']:,.0f}x",
            f"< {TARGET_OPEN_S:g} s for {OPEN_CASES:,}",
            _verdict(r["open_projected_s"] < TARGET_OPEN_S),
        ),
        (
            "  CPU time (process_time) of the same opening",
            f"{r['open_cpu_s']:.2f}",
            "",
            "",
            "info",
            "",
        ),
        (
            f"memory per case, MemoryStore with its {r['events_per_case']:.0f} events (bytes)",
            f"{r['bytes_per_case']:,.0f}",
            "",
            "",
            f"< {TARGET_BYTES:,} (2 KB)",
            _verdict(r["bytes_per_case"] < TARGET_BYTES),
        ),
        (
            "one command at " + " / ".join(f"{x:,}" for x in FLAT_LEVELS) + " events (us)",
            levels,
            "",
            f"{r['flat_ratio']:,.1f}x",
            f"flat: {last:,} <= {TARGET_FLAT:g}x 1",
            _verdict(r["flat_ratio"] <= TARGET_FLAT),
        ),
        (
            "  CPU time (process_time, whole batch): the same commands",
            " / ".join(_us(r[f"flat_cpu_{level}_ns"]) for level in FLAT_LEVELS),
            "",
            f"{r['flat_cpu_ratio']:,.1f}x",
            "info",
            "",
        ),
        (
            "  internal: decide() per step, no store or load (us) vs dict FSM",
            _us(r["decide_step_ns"]),
            _us(r["dict_step_ns"]),
            f"{r['decide_ratio']:,.0f}x",
            "info",
            "",
        ),
        (
            "  internal floor: the frozen values a step returns, rebuilt from their fields (us)"
            " vs transitions trigger",
            _us(r["floor_step_ns"]),
            _us(r["transitions_step_ns"]),
            f"{r['floor_ratio']:,.2f}x",
            "info",
            "",
        ),
        (
            "  internal floor with each command's data read and checked (us) vs transitions"
            " trigger",
            _us(r["floor_read_step_ns"]),
            _us(r["transitions_step_ns"]),
            f"{r['floor_read_ratio']:,.2f}x",
            "info",
            "",
        ),
    ]


_HEADERS: Final = ("measure", "disruption", "baseline", "ratio", "target", "result")


def _notes(r: Report) -> list[str]:
    n = int(r["cases"])
    return [
        f"Path: {len(STEPS)} steps per case: {PATH}; {n:,} cases, {n * len(STEPS):,} steps per "
        f"side and round; median of {int(r['rounds'])} interleaved rounds (who goes first "
        "rotates); ratios are the medians of the rounds' own ratios.",
        "disruption: Engine.handle on a MemoryStore (load, permissions, data, guards, "
        "working-day deadlines, events stored, subscribers called); the on-enter action is a "
        "subscriber. transitions: machine.events[name].trigger(case, data) on one Machine for "
        "all cases (the guard a condition, the action on_enter of 'ended'). dict FSM: a "
        "(state, command) table and a fire() function, same guard and action.",
        f"Engine.handle costs {r['engine_over_decide']:.1f}x the internal decide() alone "
        "(the difference: loading the case from the store, storing events, the engine's own "
        "steps).",
        f"Floor: the values a step returns (its event, the event's data and deadline changes, "
        "new deadlines and records, the case file and the case), built with the library's "
        "fastest builders and nothing else (no command read or checked, no permission, guard, "
        f"deadline worked out, record or subscriber), take {r['floor_ratio']:.2f}x the "
        f"trigger: {_us(max(r['transitions_step_ns'] - r['floor_step_ns'], 0))} us of the "
        "trigger's time is left for all of that. Engine.handle costs "
        f"{r['engine_over_floor']:.1f}x the floor. With each command's data read and checked "
        "first (the procedure's reader: what refusing bad input with an error naming the field "
        f"takes), the floor is {r['floor_read_ratio']:.2f}x the trigger.",
        f"Memory: tracemalloc, {int(r['memory_cases']):,} cases after the six steps, the engine "
        "and its MemoryStore kept (events, cases, indexes); commands built in the traced "
        "region and dropped. By part, bytes per case: " + _parts(r) + ". Bound: the cases' "
        f"own objects and their events' data values alone (marshal: {r['data_values_bytes']:,.0f}"
        f") come to {r['memory_bound_bytes']:,.0f} bytes a case, with no instant, actor, type "
        "or index of an event kept.",
        f"Flatness: {int(r['flat_samples'])} cases per level and round, each with a history of "
        "open_case and raise_concern / no_further_action pairs, then one raise_concern timed; "
        "median over the rounds. The CPU-time row times each level's batch of the round with "
        "time.process_time (less moved by other processes than the wall clock; information).",
        "The garbage collector runs in timed regions, as in an application (the pre-built "
        "commands frozen out of its sight).",
        "Final states identical on every side: " + ("yes" if r.states_identical else "NO"),
        "Machine: 2 cores shared with other work; compare the ratios, not the absolute times.",
    ]


def _parts(r: Report) -> str:
    """The memory per case by part: the cases' own objects by class, then the rest."""
    parts = [
        (name[len("part_") : -len("_bytes")], value)
        for name, value in r.items()
        if name.startswith("part_") and name != "part_store_rest_bytes"
    ]
    shown = [f"{kind} {value:,.0f}" for kind, value in parts if value >= 1]
    rest = r.get("part_store_rest_bytes", 0.0)
    return ", ".join([*shown, f"the store's event records and indexes (the rest) {rest:,.0f}"])


def print_report(r: Report) -> None:
    """Print the report: a rich table on a terminal, plain lines otherwise."""
    title = f"disruption engine benchmark: Engine.handle on MemoryStore, {int(r['cases']):,} cases"
    rows = _rows(r)
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table(*_HEADERS, title=title)
        for row in rows:
            table.add_row(*row, style={"FAIL": "red", "PASS": "green"}.get(row[5]))
        console = Console()
        console.print(table)
        for note in _notes(r):
            console.print(f"- {note}", highlight=False)
        return
    print(title)
    for name, ours, baseline, ratio, target, verdict in rows:
        compared = f" | baseline {baseline}" if baseline else ""
        ratio_shown = f" | ratio {ratio}" if ratio else ""
        print(f"{name}: {ours}{compared}{ratio_shown} | target {target} {verdict}".rstrip())
    for note in _notes(r):
        print(f"- {note}")


def main(
    cases: int = CASES,
    rounds: int = ROUNDS,
    open_cases: int = OPEN_CASES,
    memory_cases: int = MEMORY_CASES,
    flat_samples: int = FLAT_SAMPLES,
) -> Report:
    """Run the benchmark, print it and return the numbers (with each side's final states)."""
    report = measure(cases, rounds, open_cases, memory_cases, flat_samples)
    print_report(report)
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=CASES, help=f"default {CASES:,}")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"default {ROUNDS}")
    parser.add_argument(
        "--open-cases", type=int, default=OPEN_CASES, help=f"default {OPEN_CASES:,}"
    )
    parser.add_argument(
        "--memory-cases", type=int, default=MEMORY_CASES, help=f"default {MEMORY_CASES:,}"
    )
    parser.add_argument(
        "--flat-samples", type=int, default=FLAT_SAMPLES, help=f"default {FLAT_SAMPLES}"
    )
    parser.add_argument("--quick", action="store_true", help=f"small numbers: {QUICK}")
    args = parser.parse_args()
    chosen = (
        dict(QUICK)
        if args.quick
        else {
            "cases": args.cases,
            "rounds": args.rounds,
            "open_cases": args.open_cases,
            "memory_cases": args.memory_cases,
            "flat_samples": args.flat_samples,
        }
    )
    main(**chosen)
