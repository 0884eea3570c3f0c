"""Benchmark the decision core against a hand-written dictionary state machine.

N synthetic placements each take the same six-step path: ``open_case`` (which creates the
case) and then five moves, ``raise_concern -> offer_support -> convene_meeting ->
record_meeting (decision plan_move) -> end_placement (unplanned)``. A baseline does the same six
steps on plain mutable dicts with a ``{(state, command): next_state}`` table, keeping the same
bookkeeping a step of the engine keeps (state, version, time of the last step), in place.

Measured, beside the baseline, in one run:

- setup: building the procedure definition plus opening all N cases through ``decide``;
- ns per transition (a), on all N cases: ``machine.resolve`` + ``case.moved(dest, ...)`` (a new
  immutable case), against the baseline's table lookup + in-place update of the same three
  fields; for information also against a bare ``case["state"] = table[...]``;
- ns per command (b), for information: the full ``decide`` (data, guards, working-day
  deadlines, event, fold);
- bytes per case: tracemalloc's retained memory of the final cases (events dropped).

(b) and the memory run use the first ``--sample`` cases (10,000 by default): a full decision
costs ~1000x a dict lookup, and under tracemalloc ~4x more, so doing them for 100,000 cases
would take several minutes (``--sample 100000`` does). The per-case figures do not depend on N.

Commands (and, for (a), the contexts the conditions read) are built before any timed region:
their construction is not the engine's work. Timings use ``time.perf_counter_ns`` after a
warm-up, best of 3 for the per-transition figures, with the cyclic garbage collector paused
during timed regions (as ``timeit`` does).

Run it: ``python benchmarks/bench_engine.py [--cases N] [--sample S]`` (N = 100,000 by default).
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
import tracemalloc
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Final, TypeVar

import attrs

from disruption import DEFAULT_CALENDAR, STANDARD, Actor, Case, Command, decide
from disruption.clock import LONDON, london_date
from disruption.commands import Fields
from disruption.definition import Context, Procedure
from disruption.model import CaseFile, Placement, ProcedureRef

__all__ = ["Report", "main"]

T = TypeVar("T")

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
    "record_meeting (plan_move) -> end_placement (unplanned)"
)

TARGET_RATIO: Final = 5.0
"""Per transition (a): at most this many times the baseline."""
TARGET_SETUP_S: Final = 1.0
TARGET_SETUP_CASES: Final = 100_000
"""Setup: building the definition and opening this many cases in under TARGET_SETUP_S."""
TARGET_BYTES: Final = 2048
"""Memory: under 2 KB per case."""

SAMPLE: Final = 10_000
"""(b) and memory run on the first this many cases: ``decide`` costs ~80 µs per command here
and tracemalloc slows it ~4x, so all 100,000 cases would take minutes (``--sample N`` does it)."""
WARM_UP: Final = 500
"""Cases run through every path before anything is measured."""
REPEATS: Final = 3

CALENDAR: Final = DEFAULT_CALENDAR

# ---------------------------------------------------------------- the hand-written baseline

_ACTIVE = (
    "placed",
    "concern_raised",
    "support_offered",
    "disruption_meeting",
    "move_planned",
    "stabilised",
)

BASELINE_EDGES: Final[tuple[tuple[tuple[str, str], str], ...]] = (
    (("placed", "raise_concern"), "concern_raised"),
    (("stabilised", "raise_concern"), "concern_raised"),
    (("support_offered", "raise_concern"), "support_offered"),
    (("disruption_meeting", "raise_concern"), "disruption_meeting"),
    (("concern_raised", "no_further_action"), "placed"),
    (("concern_raised", "offer_support"), "support_offered"),
    (("concern_raised", "convene_meeting"), "disruption_meeting"),
    (("support_offered", "convene_meeting"), "disruption_meeting"),
    # A (state, command) table has no conditions: the meeting's decision is part of the key.
    (("disruption_meeting", "record_meeting:continue_support"), "support_offered"),
    (("disruption_meeting", "record_meeting:stabilise"), "stabilised"),
    (("disruption_meeting", "record_meeting:plan_move"), "move_planned"),
    (("support_offered", "stabilise"), "stabilised"),
    *(((state, "end_placement"), "ended") for state in _ACTIVE),
    (("ended", "record_notice"), "ended"),
    (("ended", "record_learning_review"), "ended"),
)
"""The standard procedure's graph, written by hand as the baseline FSM's table."""
BASELINE_INITIAL: Final = "placed"

BaselineCase = dict[str, Any]

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
    keys: tuple[list[str], ...]
    """The baseline's command keys for the five moves (plain strings)."""
    ats: tuple[list[datetime], ...]
    """Each move's ``at`` (the time both sides record as the case's last step)."""

    def __len__(self) -> int:
        return len(self.opens)

    def head(self, n: int) -> Inputs:
        """The first ``n`` cases' inputs."""
        return Inputs(
            self.opens[:n],
            tuple(m[:n] for m in self.moves),
            tuple(k[:n] for k in self.keys),
            tuple(a[:n] for a in self.ats),
        )


def make_inputs(n: int, seed: int = 903) -> Inputs:
    """Build ``n`` cases' six commands each, with varied types, dates (2023-2026) and people."""
    rng = random.Random(seed)
    social_workers = [Actor(f"sw-{i:02d}", "social_worker") for i in range(1, 61)]
    managers = [Actor(f"tm-{i}", "team_manager") for i in range(1, 9)]
    chairs = [{"id": f"tm-{i}", "role": "team_manager"} for i in range(1, 9)]
    chairs += [{"id": f"iro-{i}", "role": "iro"} for i in range(1, 6)]
    span = (_LAST_CONCERN - _FIRST_CONCERN).days
    opens: list[Command] = []
    moves: tuple[list[Command], ...] = tuple([] for _ in MOVES)
    keys: tuple[list[str], ...] = tuple([] for _ in MOVES)

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
        case = f"B-{i:07d}"
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
            decision = command.data.get("decision")
            keys[k].append(command.name if decision is None else f"{command.name}:{decision}")
    return Inputs(opens, moves, keys, tuple([c.at for c in step] for step in moves))


def make_contexts(
    procedure: Procedure, opened: Sequence[Case], inputs: Inputs
) -> tuple[list[Context], ...]:
    """Build, untimed, the context ``decide`` would pass to the conditions for each move."""
    contexts: tuple[list[Context], ...] = tuple([] for _ in MOVES)
    for k, commands in enumerate(inputs.moves):
        read = procedure.command(MOVES[k]).read
        for case, command in zip(opened, commands, strict=True):
            payload = read(Fields(command.data))
            contexts[k].append(
                Context(
                    case=case,
                    command=command,
                    payload=payload,
                    on=london_date(command.at),
                    procedure=procedure,
                )
            )
    return contexts


# ---------------------------------------------------------------- what is timed


def build_procedure() -> Procedure:
    """Build a procedure definition from the standard one (checked and compiled again)."""
    return STANDARD.replace(version=2)


def engine_open(procedure: Procedure, opens: Sequence[Command]) -> list[Case]:
    """Open one case per command through the full ``decide``."""
    return [
        decide(procedure, None, command, calendar=CALENDAR, recorded_at=command.at).case
        for command in opens
    ]


def engine_register(procedure: Procedure, opens: Sequence[Command]) -> list[Case]:
    """Setup: one validated case object per placement, as a Machine-per-case set-up would
    create one machine per case (here: the case's data; the machine is shared)."""
    ref = ProcedureRef(procedure.name, procedure.version)
    initial = procedure.initial_state
    cases: list[Case] = []
    append = cases.append
    for command in opens:
        data = command.data
        p = data["placement"]
        placement = Placement(
            id=p["id"],
            start=date.fromisoformat(p["start"]),
            type=p["type"],
            provider=p["provider"],
            location=p["location"],
        )
        append(Case(command.case, initial, 1, command.at, CaseFile(ref, data["child"], placement)))
    return cases


def engine_transitions(
    procedure: Procedure,
    opened: list[Case],
    names: Sequence[list[str]],
    contexts: Sequence[list[Context]],
    ats: Sequence[list[datetime]],
) -> list[Case]:
    """(a) The five moves as ``machine.resolve`` and ``case.moved(...)`` (a new frozen case)."""
    resolve = procedure.machine.resolve
    cases = opened
    for step_names, step_contexts, step_ats in zip(names, contexts, ats, strict=True):
        moved: list[Case] = []
        append = moved.append
        for case, name, context, at in zip(cases, step_names, step_contexts, step_ats, strict=True):
            dest = resolve(case.state, name, context)
            assert dest is not None
            append(case.moved(dest, case.version + 1, at))
        cases = moved
    return cases


def engine_decide(
    procedure: Procedure, opened: list[Case], moves: Sequence[list[Command]]
) -> list[Case]:
    """(b) The five moves through the full ``decide``, keeping only the new cases."""
    cases = opened
    for step_commands in moves:
        moved: list[Case] = []
        append = moved.append
        for case, command in zip(cases, step_commands, strict=True):
            append(decide(procedure, case, command, calendar=CALENDAR, recorded_at=command.at).case)
        cases = moved
    return cases


def engine_full(procedure: Procedure, inputs: Inputs) -> list[Case]:
    """All six steps through ``decide``; only the final cases are kept."""
    return engine_decide(procedure, engine_open(procedure, inputs.opens), inputs.moves)


def baseline_table() -> dict[tuple[str, str], str]:
    """Build the baseline's transition table."""
    return dict(BASELINE_EDGES)


def baseline_open(opens: Sequence[Command]) -> list[BaselineCase]:
    """Create one mutable dict case per opening command."""
    cases: list[BaselineCase] = []
    append = cases.append
    for command in opens:
        data = command.data
        placement = data["placement"]
        append(
            {
                "id": command.case,
                "child": data["child"],
                "placement": placement["id"],
                "type": placement["type"],
                "state": BASELINE_INITIAL,
                "version": 1,
                "updated_at": command.at,
            }
        )
    return cases


def baseline_transitions(
    table: Mapping[tuple[str, str], str],
    cases: list[BaselineCase],
    keys: Sequence[list[str]],
    ats: Sequence[list[datetime]],
) -> list[BaselineCase]:
    """The five moves as a dict lookup and an in-place update of state, version and time."""
    for step_keys, step_ats in zip(keys, ats, strict=True):
        for case, key, at in zip(cases, step_keys, step_ats, strict=True):
            case["state"] = table[(case["state"], key)]
            case["version"] += 1
            case["updated_at"] = at
    return cases


def baseline_state_only(
    table: Mapping[tuple[str, str], str], cases: list[BaselineCase], keys: Sequence[list[str]]
) -> list[BaselineCase]:
    """The five moves as a dict lookup and one assignment of the state: the least an FSM does."""
    for step_keys in keys:
        for case, key in zip(cases, step_keys, strict=True):
            case["state"] = table[(case["state"], key)]
    return cases


def baseline_full(inputs: Inputs) -> list[BaselineCase]:
    """All six steps of the baseline."""
    return baseline_transitions(
        baseline_table(), baseline_open(inputs.opens), inputs.keys, inputs.ats
    )


# ---------------------------------------------------------------- measuring


def timed(fn: Callable[[], T]) -> tuple[int, T]:
    """Run ``fn`` once; return the nanoseconds it took (collector paused) and its result."""
    gc.collect()
    gc.disable()
    try:
        started = time.perf_counter_ns()
        result = fn()
        elapsed = time.perf_counter_ns() - started
    finally:
        gc.enable()
    return elapsed, result


def best_of(fn: Callable[[], T], prepare: Callable[[], None] = lambda: None) -> tuple[int, T]:
    """The best of ``REPEATS`` timed runs (``prepare`` runs untimed before each)."""
    best: tuple[int, T] | None = None
    for _ in range(REPEATS):
        prepare()
        elapsed, result = timed(fn)
        if best is None or elapsed < best[0]:
            best = (elapsed, result)
    assert best is not None
    return best


def retained(fn: Callable[[], T]) -> tuple[int, T]:
    """Bytes still allocated (per tracemalloc, after a collection) by what ``fn`` returns."""
    gc.collect()
    tracemalloc.start()
    gc.disable()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = fn()
        gc.enable()
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        gc.enable()
        tracemalloc.stop()
    return after - before, result


class Report(dict[str, float]):
    """The measured numbers by name, and every case's final ``(id, state)`` on each path.

    Attributes:
        engine_states: After the six steps through ``decide``.
        machine_states: After the five moves of (a) (``resolve`` + ``evolve``).
        baseline_states: After the baseline's six steps.
    """

    def __init__(
        self,
        numbers: Mapping[str, float],
        *,
        engine_states: list[tuple[str, str]],
        machine_states: list[tuple[str, str]],
        baseline_states: list[tuple[str, str]],
    ) -> None:
        super().__init__(numbers)
        self.engine_states = engine_states
        self.machine_states = machine_states
        self.baseline_states = baseline_states

    @property
    def states_identical(self) -> bool:
        """Whether every path ended every case it ran in the same state as the baseline."""
        decided = len(self.engine_states)
        return (
            self.machine_states == self.baseline_states
            and self.engine_states == self.baseline_states[:decided]
        )


def _states(cases: Sequence[Case]) -> list[tuple[str, str]]:
    return [(c.id, c.state) for c in cases]


def _baseline_states(cases: Sequence[BaselineCase]) -> list[tuple[str, str]]:
    return [(str(c["id"]), str(c["state"])) for c in cases]


def _warm_up(inputs: Inputs) -> None:
    procedure = build_procedure()
    opened = engine_open(procedure, inputs.opens)
    contexts = make_contexts(procedure, opened, inputs)
    names = tuple([c.name for c in step] for step in inputs.moves)
    engine_transitions(procedure, opened, names, contexts, inputs.ats)
    engine_decide(procedure, opened, inputs.moves)
    baseline_full(inputs)


def _setup(inputs: Inputs) -> tuple[dict[str, float], Procedure, list[Case], list[BaselineCase]]:
    """Setup: the definition built, then N cases opened; the baseline's table and N dicts."""
    n = len(inputs)
    build_ns, procedure = timed(build_procedure)
    register_ns, _ = timed(lambda: engine_register(procedure, inputs.opens))
    open_ns, opened = timed(lambda: engine_open(procedure, inputs.opens))
    base_ns, (_, base_opened) = timed(lambda: (baseline_table(), baseline_open(inputs.opens)))
    setup_s = (build_ns + register_ns) / 1e9
    numbers = {
        "procedure_build_s": build_ns / 1e9,
        "open_case_ns": open_ns / n,
        "setup_s": setup_s,
        "setup_projected_100k_s": (build_ns + register_ns * TARGET_SETUP_CASES / n) / 1e9,
        "baseline_setup_s": base_ns / 1e9,
        "setup_ratio": setup_s * 1e9 / base_ns,
    }
    return numbers, procedure, opened, base_opened


def _transitions(
    inputs: Inputs, procedure: Procedure, opened: list[Case], base_opened: list[BaselineCase]
) -> tuple[dict[str, float], list[Case], list[BaselineCase]]:
    """(a) The state-transition step, best of 3, against the baseline's lookup + assignment."""
    transitions = len(inputs) * len(MOVES)
    names = tuple([c.name for c in step] for step in inputs.moves)
    contexts = make_contexts(procedure, opened, inputs)
    machine_ns, machine_final = best_of(
        lambda: engine_transitions(procedure, opened, names, contexts, inputs.ats)
    )
    table = baseline_table()
    fresh: list[list[BaselineCase]] = []
    base_ns, base_final = best_of(
        lambda: baseline_transitions(table, fresh.pop(), inputs.keys, inputs.ats),
        lambda: fresh.append([dict(c) for c in base_opened]),
    )
    bare_ns, _ = best_of(
        lambda: baseline_state_only(table, fresh.pop(), inputs.keys),
        lambda: fresh.append([dict(c) for c in base_opened]),
    )
    numbers = {
        "transition_ns": machine_ns / transitions,
        "baseline_transition_ns": base_ns / transitions,
        "transition_ratio": machine_ns / base_ns,
        "bare_transition_ns": bare_ns / transitions,
        "bare_transition_ratio": machine_ns / bare_ns,
    }
    return numbers, machine_final, base_final


def _full_path(inputs: Inputs, procedure: Procedure, opened: list[Case]) -> dict[str, float]:
    """(b) The full decision per command, best of 3 (on the sample given)."""
    decide_ns, _ = best_of(lambda: engine_decide(procedure, opened, inputs.moves))
    return {"decide_ns": decide_ns / (len(inputs) * len(MOVES))}


def _memory(inputs: Inputs, procedure: Procedure) -> tuple[dict[str, float], list[Case]]:
    """Retained bytes of the final cases of all six steps, against the baseline's dicts."""
    n = len(inputs)
    engine_bytes, engine_final = retained(lambda: engine_full(procedure, inputs))
    baseline_bytes, _ = retained(lambda: baseline_full(inputs))
    numbers = {
        "bytes_per_case": engine_bytes / n,
        "baseline_bytes_per_case": baseline_bytes / n,
        "bytes_ratio": engine_bytes / baseline_bytes,
    }
    return numbers, engine_final


def measure(cases: int, sample: int = SAMPLE) -> Report:
    """Run every measurement and return the report.

    Args:
        cases: How many cases (N): setup and (a) run on all of them.
        sample: (b) and memory run on the first ``min(cases, sample)`` cases.
    """
    if cases < 1 or sample < 1:
        raise ValueError("cases and sample must be at least 1")
    inputs = make_inputs(cases)
    sample = min(cases, sample)
    sampled = inputs.head(sample)
    _warm_up(inputs.head(min(cases, WARM_UP)))

    numbers = {
        "cases": float(cases),
        "steps_per_case": float(len(STEPS)),
        "sample_cases": float(sample),
    }
    setup, procedure, opened, base_opened = _setup(inputs)
    numbers.update(setup)
    transitions, machine_final, baseline_final = _transitions(
        inputs, procedure, opened, base_opened
    )
    numbers.update(transitions)
    numbers.update(_full_path(sampled, procedure, opened[:sample]))
    numbers["decide_ratio"] = numbers["decide_ns"] / numbers["baseline_transition_ns"]
    del opened, base_opened
    memory, engine_final = _memory(sampled, procedure)
    numbers.update(memory)
    return Report(
        numbers,
        engine_states=_states(engine_final),
        machine_states=_states(machine_final),
        baseline_states=_baseline_states(baseline_final),
    )


# ---------------------------------------------------------------- printing


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _rows(r: Report) -> list[tuple[str, str, str, str, str, str]]:
    n, s = int(r["cases"]), int(r["sample_cases"])
    on_sample = "" if s == n else f"; first {s:,} cases"
    projected = "" if n == TARGET_SETUP_CASES else f" ({r['setup_projected_100k_s']:.2f} @100k)"
    return [
        (
            f"setup: build procedure + create {n:,} validated cases (s)",
            f"{r['setup_s']:.3f}{projected}",
            f"{r['baseline_setup_s']:.3f}",
            f"{r['setup_ratio']:,.0f}x",
            f"< {TARGET_SETUP_S:g} s for {TARGET_SETUP_CASES:,}",
            _verdict(r["setup_projected_100k_s"] < TARGET_SETUP_S),
        ),
        (
            "  setup part: procedure build (ms)",
            f"{r['procedure_build_s'] * 1e3:.2f}",
            "",
            "",
            "info",
            "",
        ),
        (
            "  info: open_case through the full decide (ns/case)",
            f"{r['open_case_ns']:,.0f}",
            "",
            "",
            "info",
            "",
        ),
        (
            "(a) transition: machine.resolve + case.moved (ns)",
            f"{r['transition_ns']:,.0f}",
            f"{r['baseline_transition_ns']:,.1f}",
            f"{r['transition_ratio']:,.1f}x",
            f"<= {TARGET_RATIO:g}x baseline",
            _verdict(r["transition_ratio"] <= TARGET_RATIO),
        ),
        (
            "  info: (a) against a bare state assignment (ns)",
            f"{r['transition_ns']:,.0f}",
            f"{r['bare_transition_ns']:,.1f}",
            f"{r['bare_transition_ratio']:,.1f}x",
            "info",
            "",
        ),
        (
            f"(b) FULL PATH: decide() per command (ns{on_sample})",
            f"{r['decide_ns']:,.0f}",
            f"{r['baseline_transition_ns']:,.1f}",
            f"{r['decide_ratio']:,.0f}x",
            "info",
            "",
        ),
        (
            f"memory per final case (bytes, tracemalloc{on_sample})",
            f"{r['bytes_per_case']:,.0f}",
            f"{r['baseline_bytes_per_case']:,.0f}",
            f"{r['bytes_ratio']:,.1f}x",
            f"< {TARGET_BYTES:,} (2 KB)",
            _verdict(r["bytes_per_case"] < TARGET_BYTES),
        ),
    ]


_HEADERS = ("measure", "disruption", "dict FSM baseline", "ratio", "target", "result")


def _notes(r: Report) -> list[str]:
    n, s = int(r["cases"]), int(r["sample_cases"])
    sampled = "all cases" if s == n else f"the first {s:,} cases"
    return [
        f"Path: {len(STEPS)} steps per case = open_case (creates the case; timed in setup) "
        f"+ {len(MOVES)} transitions: {PATH}.",
        f"(a) and (b) are per transition: {len(MOVES)} per case; (a) times "
        f"{n * len(MOVES):,} transitions, (b) {s * len(MOVES):,}.",
        "Timings: perf_counter_ns after a warm-up; (a) and (b) best of 3; garbage collector "
        "paused in timed regions; commands (and for (a) the conditions' contexts) built "
        "before timing.",
        "(a): both sides record the same three fields per step (state, version, time of the "
        "step); the engine builds a new immutable case, the baseline updates its dict in "
        "place. The info row compares with a baseline that assigns the state alone.",
        "(b) is the full decide: data reading, guards, working-day deadlines, event and fold. "
        "Its baseline is the same dict lookup + update.",
        f"Memory on {sampled}: retained after the six steps with only the final cases kept; "
        "strings shared with the pre-built commands are not counted on either side.",
        f"Final states identical (decide on {sampled}; resolve and baseline on all "
        f"{n:,}): " + ("yes" if r.states_identical else "NO"),
    ]


def print_report(r: Report) -> None:
    """Print the report: a rich table on a terminal, plain lines otherwise."""
    n = int(r["cases"])
    title = f"disruption engine benchmark: {n:,} cases x {len(STEPS)} steps"
    rows = _rows(r)
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table(*_HEADERS, title=title)
        for row in rows:
            style = {"FAIL": "red", "PASS": "green"}.get(row[5])
            table.add_row(*row, style=style)
        console = Console()
        console.print(table)
        for note in _notes(r):
            console.print(f"- {note}", highlight=False)
        return
    print(title)
    for name, engine, baseline, ratio, target, verdict in rows:
        compared = f" | baseline {baseline} | ratio {ratio}" if baseline else ""
        print(f"{name}: {engine}{compared} | target {target} {verdict}".rstrip())
    for note in _notes(r):
        print(f"- {note}")


def main(cases: int = 100_000, sample: int = SAMPLE) -> Report:
    """Run the benchmark on ``cases`` cases, print it and return the numbers.

    Returns:
        The numbers by name (a ``dict[str, float]``), with each path's final states attached.
    """
    report = measure(cases, sample)
    print_report(report)
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cases", type=int, default=100_000, metavar="N", help="how many cases (default 100,000)"
    )
    parser.add_argument(
        "--sample",
        type=int,
        default=SAMPLE,
        metavar="S",
        help=f"cases for (b) and memory (default {SAMPLE:,}; at most N)",
    )
    args = parser.parse_args()
    main(cases=args.cases, sample=args.sample)
