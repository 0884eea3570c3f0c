"""Concurrency on SQLite and PostgreSQL: processes writing the same cases, and the same commands.

4 processes apply 500 commands each to 20 shared cases (the slow tier):

The cases are opened and taken to ``support_offered`` first; then four ``tests/workers.py
hammer`` processes, started together, each raise 500 concerns (unique ids, all at the same
instant) on random cases among them. Afterwards, on a store opened anew:

* every worker acknowledged all its commands, each once, and none was refused;
* every acknowledged command is stored exactly once, with one ``ConcernRaised`` event on the
  case it named; the events with a command id are exactly the acknowledged commands;
* each case's events have sequence numbers 1..n, and the outbox positions (``read_after``) are
  exactly 1..n with n the number of events; replay equals the ``cases`` and ``deadlines`` rows
  (:func:`tests.workers.check_store`);
* sending 50 acknowledged commands again returns their original events as duplicates and
  appends nothing.

4 processes deliver the same commands with the same ids at once (``tests/workers.py
deliver``), as clients retrying through several gateways do: every delivery is answered, none
refused, each command stored once, and every duplicate answered with the original outcome (the
case's state and version after it), whether the original committed before or during the call.
The same with 4 threads sharing a :class:`MemoryStore`.

PostgreSQL runs when ``DISRUPTION_TEST_POSTGRES_URL`` names a server; each test gets a fresh
schema (through the URL's ``search_path`` option, which the workers' stores use too).
"""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

import pytest

from disruption.domain.clock import FixedClock
from disruption.domain.commands import Command
from disruption.engine.engine import Engine
from disruption.exceptions import CommandError
from disruption.store import MemoryStore, SqlStore, open_store
from tests.builders import T0, reach
from tests.workers import (
    ENTERED,
    ROOT,
    WORKER,
    check_store,
    hammer_case,
    hammer_plan,
    read_line,
    stream_plan,
    worker_env,
)

WORKERS = 4
COMMANDS = 500
CASES = 20
DUPLICATES = 50
TIMEOUT = 300.0
"""Seconds the workers may take together."""


@pytest.fixture
def db(db_url: str) -> str:
    """A store location on each backend (``tests/conftest.py``'s ``db_url``)."""
    return db_url


def hammer_args(db: str) -> list[list[str]]:
    """The ``hammer`` workers' arguments."""
    return [["hammer", db, str(w), str(COMMANDS), str(CASES)] for w in range(WORKERS)]


def run_workers(workers: Sequence[Sequence[str]], tmp_path: Path) -> tuple[list[list[str]], float]:
    """Start the workers, let them go at once, and return each one's output lines and the time."""
    procs: list[subprocess.Popen[bytes]] = []
    errors = [tmp_path / f"worker-{w}.err" for w in range(len(workers))]
    try:
        for args, err_path in zip(workers, errors, strict=True):
            with err_path.open("wb") as err:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, str(WORKER), *args],
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        stderr=err,
                        bufsize=0,
                        env=worker_env(),
                        cwd=ROOT,
                    )
                )
        for proc, err_path in zip(procs, errors, strict=True):
            assert proc.stdout is not None
            first = read_line(proc.stdout, 60)
            assert first == b"ready\n", (first, err_path.read_text(errors="replace"))
        started = time.monotonic()
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
            proc.stdin.flush()
        outputs: list[list[str]] = []
        for proc, err_path in zip(procs, errors, strict=True):
            left = max(1.0, TIMEOUT - (time.monotonic() - started))
            out, _ = proc.communicate(timeout=left)
            stderr = err_path.read_text(errors="replace")[-3000:]
            assert proc.returncode == 0, f"worker exited {proc.returncode}\n{stderr}"
            outputs.append(out.decode().splitlines())
        return outputs, time.monotonic() - started
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.mark.slow  # multi-process races: the slow tier (pytest -m slow)
def test_four_processes_share_twenty_cases(db: str, tmp_path: Path) -> None:
    with closing(open_store(db)) as store:
        engine = Engine(store, clock=FixedClock(T0), clock_tolerance=None)
        for i in range(CASES):
            reach(engine, hammer_case(i), "support_offered")
        setup_events = store.last_position()

    outputs, seconds = run_workers(hammer_args(db), tmp_path)

    plans = {w: hammer_plan(w, COMMANDS, CASES) for w in range(WORKERS)}
    commands = {c.id: c for plan in plans.values() for c in plan if c.id is not None}
    retries = 0
    for worker, lines in enumerate(outputs):
        bad = [line for line in lines if line.split(" ", 1)[0] not in ("ack", "retry", "done")]
        assert not bad, f"worker {worker}: {bad[:5]}"
        assert lines[-1] == "done", f"worker {worker} did not finish"
        retries += sum(line.startswith("retry ") for line in lines)
        acks = [line.split(" ") for line in lines if line.startswith("ack ")]
        assert [a[1] for a in acks] == [c.id for c in plans[worker]], f"worker {worker} acks"
        assert {a[2] for a in acks} == {"applied"}, f"worker {worker}: a first send was a duplicate"
    print(
        f"\nconcurrency on {db.split('?')[0].rsplit('/', 1)[-1]}: {WORKERS}x{COMMANDS} commands "
        f"in {seconds:.1f} s, {retries} resends after the engine's retries ran out"
    )

    with closing(open_store(db, must_exist=True)) as store:
        snapshot = check_store(store, db)
        assert len(snapshot.stored) == setup_events + len(commands)
        assert sorted(snapshot.by_command) == sorted(commands), "lost or unknown commands"
        for command_id, cmd in commands.items():
            events = snapshot.by_command[command_id]
            assert len(events) == 1, f"{command_id} has {len(events)} events"
            assert (events[0].case, events[0].type) == (cmd.case, "ConcernRaised"), command_id
        raised = [s.event for s in snapshot.stored if s.event.type == "ConcernRaised"]
        assert sum(e.command_id is not None for e in raised) == len(commands)
        per_case = Counter(cmd.case for cmd in commands.values())
        for i in range(CASES):
            case = snapshot.cases[hammer_case(i)]
            count = per_case[case.id]
            assert (case.state, case.version) == ("support_offered", 3 + count), case.id
            assert len(case.concerns) == 1 + count, case.id

        engine = Engine(store)
        last = store.last_position()
        for command_id in random.Random(7).sample(sorted(commands), DUPLICATES):
            outcome = engine.handle(commands[command_id])
            assert outcome.duplicate, command_id
            assert outcome.events == snapshot.by_command[command_id]
        assert store.last_position() == last
        assert list(store.read_after(last)) == []
        assert len(check_store(store, db).stored) == len(snapshot.stored)
        # Every event chains to the one committed before it, however the writers raced.
        assert isinstance(store, SqlStore)
        chain = store.verify()
        assert (chain.ok, chain.checked) == (True, len(snapshot.stored)), chain.problem


def _answers(lines: Sequence[str]) -> tuple[list[tuple[str, str, str, int]], int]:
    """A worker's acks as (id, applied or duplicate, state, version), and its resends."""
    bad = [line for line in lines if line.split(" ", 1)[0] not in ("ack", "retry", "done")]
    assert not bad, bad[:5]  # a refusal stops the worker: it is the first bad line
    assert lines[-1] == "done"
    acks = [line.split(" ") for line in lines if line.startswith("ack ")]
    resends = sum(line.startswith("retry ") for line in lines)
    return [(a[1], a[2], a[3], int(a[4])) for a in acks], resends


def _reference(commands: Sequence[Command]) -> tuple[dict[str, tuple[str, int]], Engine]:
    """Each command's outcome (state, version) when delivered once, in order; the engine."""
    engine = Engine(MemoryStore(), clock=ENTERED, clock_tolerance=None)
    found: dict[str, tuple[str, int]] = {}
    for cmd in commands:
        outcome = engine.handle(cmd)
        assert cmd.id is not None
        found[cmd.id] = (outcome.case.state, outcome.case.version)
    return found, engine


def _check_answers(
    answers: Sequence[Sequence[tuple[str, str, str, int]]], commands: Sequence[Command]
) -> None:
    """Every delivery answered with the outcome of one delivery; each command applied once."""
    expected, _ = _reference(commands)
    applied: defaultdict[str, int] = defaultdict(int)
    for worker, acks in enumerate(answers):
        assert [a[0] for a in acks] == [c.id for c in commands], f"worker {worker} acks"
        for command_id, kind, state, version in acks:
            applied[command_id] += kind == "applied"
            assert (state, version) == expected[command_id], (worker, command_id, kind)
    assert {applied[c] for c in expected} == {1}, "a command applied twice, or never"


@pytest.mark.parametrize(
    "n", [pytest.param(240, marks=pytest.mark.slow, id="240"), pytest.param(40, id="40")]
)
def test_four_processes_deliver_the_same_commands(db: str, tmp_path: Path, n: int) -> None:
    with closing(open_store(db)):
        pass
    args = [["deliver", db, str(n), "19"] for _ in range(WORKERS)]

    outputs, seconds = run_workers(args, tmp_path)

    commands = stream_plan(19, n)
    answered = [_answers(lines) for lines in outputs]
    _check_answers([a for a, _ in answered], commands)
    duplicates = sum(kind == "duplicate" for acks, _ in answered for _, kind, _, _ in acks)
    print(
        f"\nduplicate delivery on {db.split('?')[0].rsplit('/', 1)[-1]}: {WORKERS}x{n} in "
        f"{seconds:.1f} s, {duplicates} answered as duplicates, "
        f"{sum(r for _, r in answered)} resends after the engine's retries ran out"
    )
    with closing(open_store(db, must_exist=True)) as store:
        snapshot = check_store(store, db)
        assert sorted(snapshot.by_command) == sorted(c.id for c in commands if c.id)
        assert len(snapshot.stored) == sum(len(e) for e in snapshot.by_command.values())
        _, reference = _reference(commands)
        for case_id, case in snapshot.cases.items():
            once = reference.case(case_id)
            assert (case.state, case.version) == (once.state, once.version), case_id


def test_four_threads_deliver_the_same_commands_to_a_memory_store() -> None:
    commands = stream_plan(23, 240)
    engine = Engine(MemoryStore(), clock=ENTERED, clock_tolerance=None)
    start = threading.Barrier(WORKERS)
    answers: list[list[tuple[str, str, str, int]]] = [[] for _ in range(WORKERS)]
    refused: list[CommandError] = []

    def deliver(worker: int) -> None:
        start.wait()
        for cmd in commands:
            try:
                outcome = engine.handle(cmd)
            except CommandError as err:
                refused.append(err)
                return
            assert cmd.id is not None
            kind = "duplicate" if outcome.duplicate else "applied"
            answers[worker].append((cmd.id, kind, outcome.case.state, outcome.case.version))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch often: deliveries interleave mid-command
    try:
        threads = [threading.Thread(target=deliver, args=(w,)) for w in range(WORKERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        sys.setswitchinterval(interval)
    assert refused == []
    _check_answers(answers, commands)
    store = engine.store
    assert len(store.read_after(0, limit=10_000)) == sum(
        len(store.events_of_command(c.id)) for c in commands if c.id
    )
