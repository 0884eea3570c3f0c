"""Benchmark what progress costs: ``disruption import-903`` piped against on a terminal.

The public path: the ``import-903`` command (in-process, through typer's test runner) loading
the demo authority's synthetic SSDA903 returns (every year, seed 7) into a fresh SQLite file.

- ``piped``: standard error is not a terminal: no bar, one summary line;
- ``terminal``: standard error is a terminal (a rich ``Console`` forced to one, writing to
  memory): the bar is drawn, fed by every batch of cases, redrawn at most 10 times a second.

The sides run in interleaved rounds (who goes first rotating); the medians and their ratio
(terminal / piped) are printed. Also printed: what one ``Work.step`` call costs on a drawn
bar when it is throttled (the demo feeds one per command of its year).

Run it: ``python benchmarks/bench_progress.py [--rounds N]`` (``--quick``: 3 rounds).
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Final

from rich.console import Console
from typer.testing import CliRunner

from disruption.cli import _common, _progress, app
from disruption.demo.returns import synthetic_returns

__all__ = ["SIDES", "main"]

ROUNDS: Final = 7
QUICK_ROUNDS: Final = 3
SIDES: Final = ("piped", "terminal")
STEPS: Final = 200_000


def _import_once(folders: list[str], db: Path, terminal: bool) -> tuple[float, int]:
    runner = CliRunner()
    before = _common.err
    if terminal:
        _common.err = Console(file=io.StringIO(), force_terminal=True, width=100)
    try:
        start = time.perf_counter()
        result = runner.invoke(app, ["import-903", *folders, "--db", str(db), "--json"])
        took = time.perf_counter() - start
    finally:
        _common.err = before
    assert result.exit_code == 0, result.output
    return took, json.loads(result.stdout)["added"]


def step_cost_us() -> float:
    """Microseconds per throttled ``Work.step`` on a bar drawn to a forced terminal."""
    from rich.progress import Progress

    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    with Progress(console=console, transient=True) as bar:
        work = _progress.Work(bar)
        start = time.perf_counter()
        for done in range(STEPS):
            work.step("Running", done, STEPS)
        return (time.perf_counter() - start) / STEPS * 1e6


def main(rounds: int = ROUNDS) -> dict[str, float]:
    """Run both sides ``rounds`` times, interleaved; print and return the medians."""
    with tempfile.TemporaryDirectory() as tmp:
        folders = [str(f) for f in synthetic_returns(7).write(Path(tmp) / "returns")]
        samples: dict[str, list[float]] = {side: [] for side in SIDES}
        cases = 0
        for r in range(rounds):
            order = SIDES if r % 2 == 0 else SIDES[::-1]
            for side in order:
                db = Path(tmp) / f"{side}-{r}.sqlite"
                took, cases = _import_once(folders, db, side == "terminal")
                samples[side].append(took)
    numbers = {f"{side}_s": statistics.median(samples[side]) for side in SIDES}
    numbers["cases"] = cases
    numbers["ratio"] = numbers["terminal_s"] / numbers["piped_s"]
    numbers["step_us"] = step_cost_us()
    numbers["rounds"] = rounds
    print(
        f"import-903 of the demo's returns ({cases:,} cases), "
        f"median of {rounds} interleaved rounds:"
    )
    print(f"  piped     {numbers['piped_s']:.3f} s")
    print(f"  terminal  {numbers['terminal_s']:.3f} s")
    print(f"  terminal / piped: {numbers['ratio']:.3f}")
    print(f"one throttled Work.step on a drawn bar: {numbers['step_us']:.2f} us")
    return numbers


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROUNDS} rounds")
    args = parser.parse_args()
    main(QUICK_ROUNDS if args.quick else args.rounds)
