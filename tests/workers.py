"""Worker processes for the crash-safety and concurrency tests, and the checks of what they leave.

Run from the repository root as ``python -m tests.workers ...``, or by path as
``python tests/workers.py ...`` with the repository root on ``PYTHONPATH`` (the tests set it)::

    stream DB N SEED [--resume PREVIOUS]   apply the stream plan of SEED (after re-sending the
                                           plan of PREVIOUS, as a client does after a crash)
    hammer DB WORKER N CASES               wait for "go" on stdin, then apply N raise_concern
                                           commands to random cases among CASES opened ones
    deliver DB N SEED                      wait for "go" on stdin, then apply the stream plan
                                           of SEED (every worker the same commands, same ids)

Every command has a unique ``id`` and is valid when sent in plan order, so a refusal is a bug.
Protocol on stdout, one line per write, flushed at once:

``ready``
    Imports are done, SQLAlchemy's included (``stream``: the store is not yet open;
    ``hammer``, ``deliver``: it is open).
``opened``
    The store is open (``stream`` only).
``ack ID applied STATE VERSION`` / ``ack ID duplicate STATE VERSION``
    ``Engine.handle`` returned for the command ``ID``: the command is acknowledged; the case's
    state and version in the outcome.
``retry ID``
    The engine gave up after its retries on a concurrent change; the command is sent again
    with the same id (nothing was written).
``refused ID ERROR``
    The command was refused; the worker stops with exit status 1.
``done``
    Every command was acknowledged.

The module also holds the plans (so that a test knows what each id is) and
:func:`check_store`, the consistency checks both tests run on a store afterwards.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import select
import sqlite3
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import attrs

from disruption.core.fold import replay
from disruption.domain.clock import FixedClock
from disruption.domain.commands import Command
from disruption.domain.events import Event
from disruption.domain.model import Case, ConcernCategory, DeadlineStatus
from disruption.engine.engine import Engine
from disruption.engine.ports import CaseStore, StoredEvent
from disruption.exceptions import CommandError, ConcurrencyError
from disruption.logs import configure
from disruption.procedure.standard import STANDARD
from disruption.store import open_store

# imported before ``ready``, not after:
from disruption.store.sql import store as _sql  # noqa: F401
from tests.builders import (
    MANAGER,
    SW,
    T0,
    command,
    convene_meeting_data,
    day,
    end_placement_data,
    no_further_action_data,
    offer_support_data,
    open_case_data,
    raise_concern_data,
    record_learning_review_data,
    record_meeting_data,
    record_notice_data,
    waiver_data,
)

__all__ = [
    "HAMMER_AT",
    "ROOT",
    "WORKER",
    "Snapshot",
    "check_store",
    "hammer_case",
    "hammer_plan",
    "main",
    "query",
    "read_line",
    "stream_plan",
    "worker_env",
]

ROOT = Path(__file__).resolve().parent.parent
"""The repository's root."""

WORKER = ROOT / "tests" / "workers.py"
"""This module's file, to run by path."""

MAX_RESENDS = 100
"""How often a worker sends a command again after the engine's retries ran out."""

HAMMER_AT = T0 + timedelta(days=1)
"""The ``at`` of every ``hammer`` command: after the cases reached ``support_offered``."""
ENTERED = FixedClock(T0 + timedelta(days=7))
"""When the workers enter their commands: within the backdating limit of every ``at``."""

TEXT = "Ça va: “quoted” 'single' \"double\" \\ back\nslash\n\ttab 😀 — منزل"
"""Free text with quotes, newlines, tabs and characters outside ASCII."""

_LOOP = (
    "raise_concern",  # placed or stabilised -> concern_raised (opens screening)
    "offer_support",  # -> support_offered (meets screening, opens support_review)
    "raise_concern",  # support_offered: recorded, state kept
    "convene_meeting",  # -> disruption_meeting (meets support_review, opens meeting)
    "record_meeting:continue_support",  # -> support_offered (child's views: free text)
    "convene_meeting",  # -> disruption_meeting
    "record_meeting:stabilise",  # -> stabilised (views not obtained: free text)
    "raise_concern",  # -> concern_raised
    "no_further_action",  # -> placed (reason: free text)
    "raise_concern",  # -> concern_raised
    "offer_support",  # -> support_offered
    "stabilise",  # -> stabilised
)
"""A cycle of steps that is valid from ``placed`` or ``stabilised``, cut anywhere."""

_ENDING = ("end_placement", "record_notice", "record_learning_review")
"""An unplanned ending with its follow-ups, valid after any step of :data:`_LOOP`."""

_CATEGORIES = tuple(ConcernCategory)
_RAISED_BY = ("carer", "child", "social_worker", "other_agency")


def _step(case: str, name: str, k: int, rng: random.Random) -> Command:
    """Return the ``k``-th command of a case's plan (its ``at`` is ``k`` days after T0)."""
    at = T0 + timedelta(days=k)
    command_id = f"{case}:{k}"
    role, actor = SW
    data: dict[str, Any]
    if name == "open_case":
        data = open_case_data(child=f"C-{case}")
    elif name == "raise_concern":
        data = raise_concern_data(rng.choice(_CATEGORIES).value, rng.choice(_RAISED_BY))
    elif name == "offer_support":
        role, actor = MANAGER
        data = offer_support_data()
    elif name == "convene_meeting":
        data = convene_meeting_data(day(at))
    elif name == "record_meeting:continue_support":
        name, data = "record_meeting", record_meeting_data(day(at), child_views=TEXT)
    elif name == "record_meeting:stabilise":
        name = "record_meeting"
        data = record_meeting_data(
            day(at), "stabilise", child_views=None, child_views_not_obtained=f"Asleep. {TEXT}"
        )
    elif name == "no_further_action":
        role, actor = MANAGER
        data = no_further_action_data(f"Screened {case}: {TEXT}")
    elif name == "stabilise":
        role, actor = MANAGER
        data = {}
    elif name == "end_placement":
        data = end_placement_data(day(at))
    elif name == "record_notice":
        data = record_notice_data(day(at))
    elif name == "record_learning_review":
        if rng.random() < 0.5:
            role, actor = MANAGER
            data = waiver_data(f"Waived: {TEXT}")
        else:
            data = record_learning_review_data(day(at), recommendations=TEXT)
    else:  # pragma: no cover - a mistake in the plan
        raise AssertionError(name)
    return command(case, name, at, role, actor, data, command_id=command_id)


def _case_plan(case: str, length: int, rng: random.Random) -> list[Command]:
    ending = length >= 2 + len(_ENDING) and rng.random() < 0.5
    loop = itertools.cycle(_LOOP)
    middle = [next(loop) for _ in range(length - 1 - (len(_ENDING) if ending else 0))]
    names = ["open_case", *middle, *(_ENDING if ending else ())]
    return [_step(case, name, k, rng) for k, name in enumerate(names)]


def stream_plan(seed: int, n: int) -> list[Command]:
    """Return the ``n`` commands of the stream of ``seed``, in the order they are sent.

    The cases (``S<seed>-<i>``, one per 10 commands) go through concerns, support offers,
    meetings (with free text), screening decisions and, for about half of them, an unplanned
    ending with its notice and learning review. The cases' commands are interleaved at
    random; each case's own commands stay in order, so sent in this order all are valid.

    Args:
        seed: Chooses the cases' names, their lengths and the interleaving.
        n: How many commands.

    Returns:
        The commands, each with a unique ``id`` (``<case>:<k>``).
    """
    rng = random.Random(f"stream-{seed}")
    count = max(1, n // 10)
    lengths = [n // count + (1 if i < n % count else 0) for i in range(count)]
    queues = [_case_plan(f"S{seed}-{i}", length, rng) for i, length in enumerate(lengths) if length]
    plan: list[Command] = []
    while queues:
        queue = rng.choice(queues)
        plan.append(queue.pop(0))
        if not queue:
            queues.remove(queue)
    return plan


def hammer_case(i: int) -> str:
    """Return the reference of the ``i``-th case the ``hammer`` workers share."""
    return f"H-{i:02d}"


def hammer_plan(worker: int, n: int, cases: int) -> list[Command]:
    """Return the ``n`` commands of one ``hammer`` worker.

    Each raises a concern on a random case among ``cases`` (all in ``support_offered``, where
    a concern is recorded without changing the state, so it may repeat), all at
    :data:`HAMMER_AT`, so that no ordering rule can refuse them.

    Args:
        worker: The worker's number; chooses the cases and names the ids (``w<worker>-<k>``).
        n: How many commands.
        cases: How many cases are shared.

    Returns:
        The commands.
    """
    rng = random.Random(f"hammer-{worker}")
    return [
        command(
            hammer_case(rng.randrange(cases)),
            "raise_concern",
            HAMMER_AT,
            data=raise_concern_data(rng.choice(_CATEGORIES).value, rng.choice(_RAISED_BY)),
            command_id=f"w{worker}-{k:04d}",
        )
        for k in range(n)
    ]


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _apply(engine: Engine, cmd: Command) -> bool:
    """Apply a command, sending it again while the engine reports a concurrent change."""
    for _ in range(MAX_RESENDS):
        try:
            outcome = engine.handle(cmd)
        except ConcurrencyError:
            _say(f"retry {cmd.id}")
            continue
        except CommandError as err:
            reason = " ".join(f"{type(err).__name__}: {err}".split())
            _say(f"refused {cmd.id} {reason}")
            return False
        kind = "duplicate" if outcome.duplicate else "applied"
        _say(f"ack {cmd.id} {kind} {outcome.case.state} {outcome.case.version}")
        return True
    _say(f"refused {cmd.id} still concurrent after {MAX_RESENDS} sends")
    return False


def _run(engine: Engine, commands: Sequence[Command]) -> int:
    for cmd in commands:
        if not _apply(engine, cmd):
            return 1
    _say("done")
    return 0


def _stream(db: str, n: int, seed: int, resume: int | None) -> int:
    commands = [*(stream_plan(resume, n) if resume is not None else ()), *stream_plan(seed, n)]
    _say("ready")
    store = open_store(db)
    _say("opened")
    try:
        return _run(Engine(store, retries=3, clock=ENTERED, clock_tolerance=None), commands)
    finally:
        store.close()


def _hammer(db: str, worker: int, n: int, cases: int) -> int:
    commands = hammer_plan(worker, n, cases)
    store = open_store(db, must_exist=True)
    try:
        engine = Engine(store, retries=3, clock=ENTERED, clock_tolerance=None)
        _say("ready")
        if sys.stdin.readline().strip() != "go":
            return 2
        return _run(engine, commands)
    finally:
        store.close()


def _deliver(db: str, n: int, seed: int) -> int:
    commands = stream_plan(seed, n)
    store = open_store(db, must_exist=True)
    try:
        engine = Engine(store, retries=3, clock=ENTERED, clock_tolerance=None)
        _say("ready")
        if sys.stdin.readline().strip() != "go":
            return 2
        return _run(engine, commands)
    finally:
        store.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Run a worker; return its exit status."""
    parser = argparse.ArgumentParser(prog="python -m tests.workers")
    sub = parser.add_subparsers(dest="worker", required=True)
    stream = sub.add_parser("stream", help="apply a stream of commands (crash safety)")
    stream.add_argument("db")
    stream.add_argument("n", type=int)
    stream.add_argument("seed", type=int)
    stream.add_argument("--resume", type=int, default=None, metavar="PREVIOUS")
    hammer = sub.add_parser("hammer", help="raise concerns on shared cases (concurrency)")
    hammer.add_argument("db")
    hammer.add_argument("worker", type=int)
    hammer.add_argument("n", type=int)
    hammer.add_argument("cases", type=int)
    deliver = sub.add_parser("deliver", help="apply a stream others apply too (duplicates)")
    deliver.add_argument("db")
    deliver.add_argument("n", type=int)
    deliver.add_argument("seed", type=int)
    args = parser.parse_args(argv)
    configure("warning", stream=sys.stderr)
    if args.worker == "stream":
        return _stream(args.db, args.n, args.seed, args.resume)
    if args.worker == "deliver":
        return _deliver(args.db, args.n, args.seed)
    return _hammer(args.db, args.worker, args.n, args.cases)


# Running workers, and checking a store after they ran.


def worker_env() -> dict[str, str]:
    """The environment of a worker run by path: the repository root on ``PYTHONPATH``."""
    env = dict(os.environ)
    paths = [str(ROOT), str(ROOT / "src"), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    return env


def read_line(stream: IO[bytes], timeout: float) -> bytes:
    """Read one line from an unbuffered pipe, byte by byte (so nothing is read beyond it)."""
    deadline = time.monotonic() + timeout
    line = b""
    while not line.endswith(b"\n"):
        ready, _, _ = select.select([stream], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise TimeoutError(f"no line from the worker in {timeout} s (so far {line!r})")
        chunk = os.read(stream.fileno(), 1)
        if not chunk:
            break
        line += chunk
    return line


def query(db: str, sql: str) -> list[tuple[Any, ...]]:
    """Run one query on the database behind a store location, outside the store.

    Args:
        db: A SQLite path or a PostgreSQL URL (its ``options``, such as a search path, apply).
        sql: The query.

    Returns:
        The rows.
    """
    if "://" not in db:
        with closing(sqlite3.connect(db)) as conn:
            return list(conn.execute(sql))
    import psycopg

    url = db.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(url) as conn:
        return list(conn.execute(sql.encode()).fetchall())


@attrs.frozen
class Snapshot:
    """What a consistent store holds.

    Attributes:
        stored: Every event with its position, in position order.
        by_case: Each case's events, in sequence order.
        by_command: Each command id's events, in position order.
        cases: Each case, replayed from its events.
    """

    stored: tuple[StoredEvent, ...]
    by_case: Mapping[str, tuple[Event, ...]]
    by_command: Mapping[str, tuple[Event, ...]]
    cases: Mapping[str, Case]


def _read_all(store: CaseStore, page: int) -> list[StoredEvent]:
    found: list[StoredEvent] = []
    while True:
        batch = store.read_after(found[-1].position if found else 0, page)
        assert len(batch) <= page, f"read_after returned {len(batch)} > limit {page}"
        if not batch:
            return found
        found.extend(batch)


def _refs(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if set(value) == {"ref"}:
            yield value["ref"]
            return
        for item in value.values():
            yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _check_read_model(db: str, cases: Mapping[str, Case]) -> None:
    """Compare the stored ``cases`` and ``deadlines`` rows with the replayed cases."""
    rows = query(db, "SELECT id, state, version, child, updated_at, procedure FROM cases")
    stored = {row[0]: row[1:] for row in rows}
    assert sorted(stored) == sorted(cases), "the cases table does not match the events"
    for case_id, case in cases.items():
        state, version, child, updated_at, procedure = stored[case_id]
        assert (state, version, child, procedure) == (
            case.state,
            case.version,
            case.child,
            case.procedure.name,
        ), f"cases row of {case_id} is not its replay"
        assert datetime.fromisoformat(updated_at) == case.updated_at, case_id
    found: dict[str, set[tuple[Any, ...]]] = {case_id: set() for case_id in cases}
    for row in query(
        db,
        "SELECT case_id, deadline_id, name, due, earliest, status, opened_on, closed_on, "
        "missed_recorded FROM deadlines",
    ):
        assert row[0] in found, f"deadline {row[1]} of a case with no events ({row[0]})"
        found[row[0]].add((*row[1:8], bool(row[8])))
    for case_id, case in cases.items():
        expected = {
            (
                d.id,
                d.name,
                d.due.isoformat(),
                _iso(d.earliest),
                str(d.status),
                d.opened_on.isoformat(),
                _iso(d.closed_on),
                d.missed_recorded,
            )
            for d in case.deadlines
            if d.status is DeadlineStatus.OPEN  # the table holds open deadlines only
        }
        assert found[case_id] == expected, f"deadlines rows of {case_id} are not its replay"


def _check_commands_table(db: str, snapshot: Snapshot) -> None:
    """Each ``commands`` row names the positions of exactly its events, and nothing else."""
    by_position = {s.position: s.event for s in snapshot.stored}
    rows = query(db, "SELECT id, case_id, first_position, last_position FROM commands")
    assert sorted(row[0] for row in rows) == sorted(snapshot.by_command)
    for command_id, case_id, first, last in rows:
        events = tuple(by_position[p] for p in range(first, last + 1))
        assert events == snapshot.by_command[command_id], command_id
        assert {e.case for e in events} == {case_id}, command_id


def _check_texts(db: str, store: CaseStore, snapshot: Snapshot) -> None:
    """Free text exists for every reference in an event, and for nothing else."""
    expected: dict[str, Event] = {}
    for s in snapshot.stored:
        for ref in _refs(dict(s.event.data)):
            expected[ref] = s.event
    rows = query(db, "SELECT ref, child, case_id, field FROM personal_texts")
    orphans = sorted({row[0] for row in rows} - set(expected))
    assert not orphans, f"free text without its event: {orphans[:5]}"
    assert sorted(row[0] for row in rows) == sorted(expected), "free text of an event is missing"
    for ref, child, case_id, field in rows:
        event = expected[ref]
        assert ref == f"{event.case}/{event.seq}/{field}", ref
        assert (case_id, child) == (event.case, snapshot.cases[event.case].child), ref
        assert store.text(ref) is not None, ref


def check_store(store: CaseStore, db: str, *, page: int = 997) -> Snapshot:
    """Check that a store is consistent, and return what it holds.

    * ``read_after`` positions are exactly 1..n, with n the ``last_position``;
    * each case's events have sequence numbers 1..n, in position order, and ``events(case)``
      returns them;
    * each command id's events are contiguous in its case, and ``events_of_command``
      returns them;
    * the replay of each case is what the engine loads, and what the ``cases`` and
      ``deadlines`` rows hold;
    * the ``commands`` rows name exactly the events of their commands;
    * free text exists for every reference in an event, and for nothing else.

    Args:
        store: The store.
        db: Its location, for reading its tables directly.
        page: The ``limit`` of each ``read_after`` call.

    Returns:
        What the store holds.
    """
    stored = _read_all(store, page)
    positions = [s.position for s in stored]
    assert positions == list(range(1, len(stored) + 1)), "positions are not 1..n"
    assert store.last_position() == len(stored)
    assert len(store.read_after(0, 10**9)) == len(stored)
    by_case: dict[str, list[Event]] = {}
    by_command: dict[str, list[Event]] = {}
    for s in stored:
        by_case.setdefault(s.event.case, []).append(s.event)
        if s.event.command_id is not None:
            by_command.setdefault(s.event.command_id, []).append(s.event)
    assert list(store.case_ids()) == sorted(by_case)
    engine = Engine(store)
    cases: dict[str, Case] = {}
    for case_id, events in by_case.items():
        seqs = [e.seq for e in events]
        assert seqs == list(range(1, len(events) + 1)), f"{case_id}: seq {seqs} not 1..n"
        assert tuple(store.events(case_id)) == tuple(events), case_id
        case = replay(events, STANDARD.records)
        assert case is not None
        assert engine.case(case_id) == case, case_id
        cases[case_id] = case
    for command_id, events in by_command.items():
        seqs = [e.seq for e in events]
        assert len({e.case for e in events}) == 1, command_id
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), command_id
        assert tuple(store.events_of_command(command_id)) == tuple(events), command_id
    snapshot = Snapshot(
        tuple(stored),
        {k: tuple(v) for k, v in by_case.items()},
        {k: tuple(v) for k, v in by_command.items()},
        cases,
    )
    _check_read_model(db, cases)
    _check_commands_table(db, snapshot)
    _check_texts(db, store, snapshot)
    return snapshot


if __name__ == "__main__":
    sys.exit(main())
