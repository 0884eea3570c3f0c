"""Benchmark what reading placement history costs ``Engine.handle`` (issue 20, item 4).

``end_placement`` in the standard procedure is decided with the child's placement history,
which the engine loads from the store for that command alone. Measured on the public path,
``Engine.handle`` over a ``MemoryStore``, the six steps of ``bench_engine.py`` for each of
``--cases`` cases (each a child of its own, so every ending reads the child's index and
finds no other case), in the same run:

- **with history**: the standard procedure as shipped;
- **baseline**: the same procedure with ``end_placement``'s ``history`` switched off (no
  history read; the rule then sees none).

Per step (ns) over ``--rounds`` interleaved rounds, who goes first alternating; the medians
and the median of the rounds' own ratios are printed. Target: at most 1.1x (the history read
is an index lookup, not a scan of every case).

Run it: ``python benchmarks/bench_history.py`` (``--cases N``, ``--rounds N``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import attrs

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_engine  # the six steps' commands and the clock that follows them

from disruption import STANDARD
from disruption.procedure.definition import Procedure

CASES = 3_000
ROUNDS = 7
TARGET = 1.1


def without_history() -> Procedure:
    """The standard procedure with ``end_placement`` decided on no history."""
    draft = STANDARD.draft(version=STANDARD.version)
    draft.add_command(attrs.evolve(STANDARD.command("end_placement"), history=False))
    return draft.build()


def per_step(procedure: Procedure, inputs: bench_engine.Inputs) -> float:
    """Nanoseconds per step of every case's six steps through ``Engine.handle`` (as
    ``bench_engine.py`` times them, its on-enter subscriber included)."""
    elapsed, _ = bench_engine.run_engine(inputs, bench_engine.Ended(), procedure)
    return elapsed / (len(inputs) * len(bench_engine.STEPS))


def main(cases: int = CASES, rounds: int = ROUNDS) -> dict[str, float]:
    """Run the benchmark, print it and return the numbers."""
    baseline_procedure = without_history()
    inputs = bench_engine.make_inputs(cases)
    with_history: list[float] = []
    baseline: list[float] = []
    ratios: list[float] = []
    for round_number in range(rounds):
        sides = [(STANDARD, with_history), (baseline_procedure, baseline)]
        if round_number % 2:
            sides.reverse()
        for procedure, out in sides:
            out.append(per_step(procedure, inputs))
        ratios.append(with_history[-1] / baseline[-1])
    report = {
        "history_step_ns": statistics.median(with_history),
        "baseline_step_ns": statistics.median(baseline),
        "ratio": statistics.median(ratios),
    }
    verdict = "PASS" if report["ratio"] <= TARGET else "FAIL"
    print(
        f"Engine.handle per step, {cases:,} cases, history read on endings (us): "
        f"{report['history_step_ns'] / 1000:.2f} | baseline, no history read "
        f"{report['baseline_step_ns'] / 1000:.2f} | ratio {report['ratio']:.2f}x "
        f"(median of {rounds} interleaved rounds) | target <= {TARGET}x {verdict}"
    )
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=CASES, help=f"default {CASES:,}")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"default {ROUNDS}")
    args = parser.parse_args()
    main(args.cases, args.rounds)
