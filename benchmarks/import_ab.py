"""Compare two versions of the SSDA903 import on one file, alternating processes.

On a shared machine whose speed drifts, two runs of `bench_import.py` minutes apart do not
compare two versions: this script does. It runs ``check_files`` (the same call in every
version since the import exists) from each source tree in turn, in fresh processes, several
times; each process times a few rounds, each round the import and then ``polars.read_csv``
of the same file (every column as text). It reports per version the medians of wall time,
CPU time (user and system, all threads) and the rounds' own ratios to the bare read.

Run it::

    git worktree add /tmp/before <commit>
    python benchmarks/import_ab.py before=/tmp/before/src after=src [--processes 4]

The file is written by `bench_import.write_messy_episodes` (about 1,000,000 rows unless
``--rows`` says otherwise).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Final

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_import import write_messy_episodes

__all__ = ["compare", "main"]

ROUNDS: Final = 5

_CHILD: Final = """
import json, os, sys, time
import polars as pl
from disruption.ssda903 import check_files
path, rounds = sys.argv[1], int(sys.argv[2])
def cpu():
    t = os.times()
    return t.user + t.system
check_files([path]); pl.read_csv(path, infer_schema_length=0)
out = []
for _ in range(rounds):
    w, c = time.perf_counter(), cpu(); check_files([path])
    ours = (time.perf_counter() - w, cpu() - c)
    w, c = time.perf_counter(), cpu(); pl.read_csv(path, infer_schema_length=0)
    out.append([*ours, time.perf_counter() - w, cpu() - c])
print(json.dumps(out))
"""


def _rounds(src: str, path: Path, rounds: int) -> list[list[float]]:
    """One fresh process importing from ``src``: ``[wall, cpu, bare wall, bare cpu]`` a round."""
    env = {**os.environ, "PYTHONPATH": src}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), str(rounds)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    rows: list[list[float]] = json.loads(done.stdout.strip().splitlines()[-1])
    return rows


def compare(
    versions: dict[str, str], rows: int = 1_000_000, processes: int = 4, rounds: int = ROUNDS
) -> dict[str, dict[str, float]]:
    """Time each version (name to source folder) in alternating processes; the medians."""
    found: dict[str, list[list[float]]] = {name: [] for name in versions}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "episodes.csv"
        write_messy_episodes(path, rows)
        for _ in range(processes):
            for name, src in versions.items():
                found[name] += _rounds(src, path, rounds)
    return {name: _medians(r) for name, r in found.items()}


def _medians(rounds: list[list[float]]) -> dict[str, float]:
    """The medians of one version's rounds (the CPU ratio is of the medians: the CPU clock
    ticks every 10 ms, too coarse for a ratio per round on a small file)."""
    cpu, bare_cpu = (statistics.median(x[k] for x in rounds) for k in (1, 3))
    return {
        "rounds": float(len(rounds)),
        "wall_s": statistics.median(x[0] for x in rounds),
        "cpu_s": cpu,
        "bare_wall_s": statistics.median(x[2] for x in rounds),
        "ratio": statistics.median(x[0] / x[2] for x in rounds),
        "cpu_ratio": cpu / bare_cpu if bare_cpu > 0 else math.nan,
    }


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    """Parse ``name=src`` pairs and options, compare, print a line per version."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("versions", nargs="+", metavar="NAME=SRC")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args(argv)
    versions = dict(v.split("=", 1) for v in args.versions)
    result = compare(versions, args.rows, args.processes, args.rounds)
    for name, r in result.items():
        print(
            f"{name}: {int(r['rounds'])} rounds | wall {r['wall_s'] * 1000:,.0f} ms (bare "
            f"{r['bare_wall_s'] * 1000:,.0f} ms) | cpu {r['cpu_s'] * 1000:,.0f} ms | ratio "
            f"{r['ratio']:.2f}x | cpu ratio {r['cpu_ratio']:.2f}x (medians)"
        )
    return result


if __name__ == "__main__":
    main()
