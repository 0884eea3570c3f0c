"""Crash safety: a process applying commands to SQLite is killed with SIGKILL at random moments.

Each trial starts ``tests/workers.py stream`` in a child process, waits until it has imported
everything (its ``ready`` line), lets it run for 0.05-0.6 s (the first trial on a file, 0-0.03 s)
and kills it with SIGKILL. Then:

* the store opens cleanly (``must_exist=True``) and SQLite's integrity check passes; only when
  the kill came before the worker's first store was created may there be no store yet;
* every command the worker acknowledged is there with its event, every command stored before
  the trial is still there, and the only other command that may have been stored is the one
  the worker was applying when it was killed;
* no case has a partial command, and the whole store is consistent
  (:func:`tests.workers.check_store`: positions 1..n, sequences 1..n, replay equals the
  ``cases`` and ``deadlines`` rows, the ``commands`` rows and the free text match the events);
* each case's commands are a prefix of its plan, in order, and each stored event is the one
  its command asked for.

Trials share a SQLite file in runs of :data:`PER_FILE`: each trial first re-sends the previous
trial's whole plan (as a client does after a crash, with the same ids) and then its own. So
every trial opens the store the previous kill left, acknowledged commands are checked across
many kills, and re-sent commands must come back as duplicates exactly when they were stored
(including one stored but never acknowledged). The first trial on each file may be killed
while the store is being created. After the last trial on a file its plan is run to the end
without a kill. A new file every :data:`PER_FILE` trials keeps the whole-store checks cheap.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from disruption.domain.commands import Command
from disruption.engine.ports import CaseStore
from disruption.exceptions import SchemaError, StoreError
from disruption.store import open_store
from tests.workers import ROOT, WORKER, check_store, read_line, stream_plan, worker_env

pytestmark = pytest.mark.slow  # crash trials: the slow tier (pytest -m slow)

COMMANDS = 40
"""Commands in each trial's own plan (about 60 are applied per second on a disk)."""

PER_FILE = 10
"""Trials that continue on one SQLite file."""

TRIALS = 30
SLOW_TRIALS = 200
KILL_AFTER = (0.05, 0.6)
"""The range of the random delay between the worker's ``ready`` and the kill, in seconds."""
KILL_FIRST_AFTER = (0.0, 0.03)
"""The range for the first trial on a file, which may land while the store is created."""


@dataclass
class Trial:
    """What one worker did, as its complete output lines tell."""

    seed: int
    resume: int | None
    delay: float | None
    sent: list[str]
    acks: list[tuple[str, str]] = field(default_factory=list)
    opened: bool = False
    done: bool = False
    returncode: int = 0
    stderr: str = ""

    def describe(self) -> str:
        last = self.acks[-1][0] if self.acks else None
        return (
            f"trial seed={self.seed} resume={self.resume} delay={self.delay} "
            f"returncode={self.returncode} opened={self.opened} done={self.done} "
            f"acks={len(self.acks)}/{len(self.sent)} last ack={last}\nstderr: {self.stderr}"
        )


def run_worker(db: Path, seed: int, resume: int | None, delay: float | None) -> Trial:
    """Run ``stream`` on ``db``; kill it ``delay`` seconds after ``ready`` (or let it finish)."""
    plan = [
        *(stream_plan(resume, COMMANDS) if resume is not None else ()),
        *stream_plan(seed, COMMANDS),
    ]
    trial = Trial(seed, resume, delay, [c.id for c in plan if c.id is not None])
    args = [sys.executable, str(WORKER), "stream", str(db), str(COMMANDS), str(seed)]
    if resume is not None:
        args += ["--resume", str(resume)]
    err_path = db.with_name(f"worker-{seed}.err")
    with err_path.open("wb") as err:
        proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=err, bufsize=0, env=worker_env(), cwd=ROOT
        )
    try:
        assert proc.stdout is not None
        first = read_line(proc.stdout, 60)
        if delay is not None and first == b"ready\n":
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    trial.returncode = proc.returncode
    trial.stderr = err_path.read_text(errors="replace")[-3000:]
    assert first == b"ready\n", f"worker did not start: {first!r}\n{trial.describe()}"
    # A line counts only when complete: the worker may be killed in the middle of one.
    for raw in (first + out).split(b"\n")[:-1]:
        word, *rest = raw.decode().split(" ")
        if word == "opened":
            trial.opened = True
        elif word == "ack":
            trial.acks.append((rest[0], rest[1]))
        elif word == "done":
            trial.done = True
        elif word != "ready":
            raise AssertionError(f"unexpected worker line {raw!r}\n{trial.describe()}")
    killed = -signal.SIGKILL
    assert trial.returncode == killed or (trial.returncode == 0 and trial.done), trial.describe()
    return trial


@contextmanager
def opened(db: Path, may_be_missing: bool) -> Iterator[CaseStore]:
    """Open the store a kill left (creating it only when it may be missing)."""
    try:
        store = open_store(str(db), must_exist=True)
    except SchemaError:
        raise
    except StoreError:
        if not may_be_missing:
            raise
        store = open_store(str(db))
        assert store.last_position() == 0
    with closing(store):
        yield store
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


@dataclass
class Stats:
    """What the trials saw, for the report."""

    trials: int = 0
    before_open: int = 0
    with_acks: int = 0
    acks: int = 0
    duplicates: int = 0
    stored_unacknowledged: int = 0
    largest_store: int = 0


def check_trial(
    db: Path, trial: Trial, plans: dict[str, Command], before: set[str], stats: Stats | None
) -> set[str]:
    """Check the store after a trial; return the ids of the commands it holds."""
    with opened(db, may_be_missing=not before and not trial.opened) as store:
        snapshot = check_store(store, str(db))
    stored = set(snapshot.by_command)
    lost = sorted(before - stored)
    assert not lost, f"commands stored before the trial are gone: {lost}"
    acked = [command_id for command_id, _ in trial.acks]
    assert acked == trial.sent[: len(acked)], "acknowledgements out of order"
    missing = sorted(set(acked) - stored)
    assert not missing, f"acknowledged commands are missing: {missing}"
    for command_id, kind in trial.acks:
        assert (kind == "duplicate") == (command_id in before), (command_id, kind)
    in_flight = set(trial.sent[len(acked) : len(acked) + 1])
    extra = stored - before - set(acked)
    assert extra <= in_flight, f"stored but never sent in order: {sorted(extra - in_flight)}"
    for events in snapshot.by_case.values():
        ids = [e.command_id for e in events]
        case_plan = [c.id for c in plans.values() if c.case == events[0].case]
        assert ids == case_plan[: len(ids)], f"{events[0].case} is not a prefix of its plan"
    for command_id, events in snapshot.by_command.items():
        cmd = plans[command_id]
        assert len(events) == 1, f"{command_id} has {len(events)} events, not 1"
        event = events[0]
        assert (event.case, event.command, event.at, event.actor) == (
            cmd.case,
            cmd.name,
            cmd.at,
            cmd.actor,
        ), command_id
    if stats is None:
        return stored
    stats.trials += 1
    stats.before_open += not trial.opened
    stats.with_acks += bool(acked)
    stats.acks += len(acked)
    stats.duplicates += sum(kind == "duplicate" for _, kind in trial.acks)
    stats.stored_unacknowledged += len(extra)
    stats.largest_store = max(stats.largest_store, len(snapshot.stored))
    return stored


def run_trials(tmp_path: Path, trials: int, first_seed: int) -> Stats:
    """Run ``trials`` killed workers, :data:`PER_FILE` to a file, checking after each."""
    rng = random.Random(first_seed)
    stats = Stats()
    for start in range(first_seed, first_seed + trials, PER_FILE):
        db = tmp_path / f"crash-{start}.sqlite"
        plans: dict[str, Command] = {}
        stored: set[str] = set()
        previous: int | None = None
        for seed in range(start, min(start + PER_FILE, first_seed + trials)):
            plans.update((c.id, c) for c in stream_plan(seed, COMMANDS) if c.id is not None)
            delay = rng.uniform(*(KILL_AFTER if previous is not None else KILL_FIRST_AFTER))
            trial = run_worker(db, seed, previous, round(delay, 3))
            try:
                stored = check_trial(db, trial, plans, stored, stats)
            except AssertionError as err:
                err.add_note(f"{db}\n{trial.describe()}")
                raise
            previous = seed
        assert previous is not None
        finish = run_worker(db, previous, None, None)
        assert finish.done, finish.describe()
        stored = check_trial(db, finish, plans, stored, None)
        assert {c.id for c in stream_plan(previous, COMMANDS)} <= stored
    print(f"\ncrash safety: {stats}")
    return stats


def test_killed_writer_leaves_a_consistent_store(tmp_path: Path) -> None:
    stats = run_trials(tmp_path, TRIALS, first_seed=0)
    assert stats.trials == TRIALS
    # Most kills must land while commands are being applied, or the test proves little.
    assert stats.with_acks >= TRIALS // 2, stats


@pytest.mark.slow
def test_many_kills_leave_a_consistent_store(tmp_path: Path) -> None:
    stats = run_trials(tmp_path, SLOW_TRIALS, first_seed=1000)
    assert stats.trials == SLOW_TRIALS
    assert stats.with_acks >= SLOW_TRIALS // 2, stats
