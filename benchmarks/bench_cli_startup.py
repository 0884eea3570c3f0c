"""Benchmark how fast the ``disruption`` command starts, against importing ``typer`` alone.

Every sample is a fresh Python process (``sys.executable``, the same interpreter and site
packages), timed from start to exit by the parent with ``time.perf_counter``:

- ``python -c "import typer"``: the baseline, the command-line library the CLI is built on;
- ``python -c "import disruption.cli"``: what every ``disruption`` command pays first;
- ``disruption --help`` (``python -c`` calling ``disruption.cli.main`` with ``--help``);
- ``python -c "pass"``: the interpreter alone, for information.

The sides run in interleaved rounds (each round runs each once, who goes first rotating) and
the median of the rounds is reported. The target (issue 17) compares imports: importing
``disruption.cli`` at most 2x importing ``typer``, each import taken as its process's median
less the bare interpreter's (the stricter reading; the whole processes' ratio is printed too).

Run it: ``python benchmarks/bench_cli_startup.py [--rounds N]`` (``--quick``: 5 rounds).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from typing import Final

__all__ = ["SIDES", "main", "measure"]

TARGET_RATIO: Final = 2.0
"""Importing ``disruption.cli`` at most this many times importing ``typer`` alone."""
ROUNDS: Final = 15
QUICK_ROUNDS: Final = 5

_HELP: Final = (
    "import sys; from disruption.cli import main; sys.argv = ['disruption', '--help']\n"
    "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code"
)
SIDES: Final = {
    "python": "pass",
    "typer": "import typer",
    "disruption.cli": "import disruption.cli",
    "disruption --help": _HELP,
}
"""What each side's process runs (``python -c``)."""


def run_once(code: str) -> float:
    """Seconds a fresh interpreter takes to run ``code`` and exit."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure(rounds: int = ROUNDS) -> dict[str, float]:
    """Run every side ``rounds`` times, interleaved; return the medians and the ratios.

    Returns:
        ``<side>_s`` (median seconds per process) for every side, and ``cli_ratio`` (the
        ``disruption.cli`` process over the ``typer`` one), ``help_ratio``, and
        ``cli_import_ratio`` (the import alone: both less the bare interpreter).
    """
    if rounds < 1:
        raise ValueError("rounds must be at least 1")
    names = list(SIDES)
    for name in names:  # warm the file-system cache and byte-code once, untimed
        run_once(SIDES[name])
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        turn = r % len(names)
        for name in names[turn:] + names[:turn]:
            samples[name].append(run_once(SIDES[name]))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    bare = medians["python"]
    typer_import = max(medians["typer"] - bare, 1e-6)
    return {
        "rounds": float(rounds),
        **{f"{name}_s": seconds for name, seconds in medians.items()},
        "cli_ratio": medians["disruption.cli"] / medians["typer"],
        "help_ratio": medians["disruption --help"] / medians["typer"],
        "cli_import_ratio": max(medians["disruption.cli"] - bare, 0.0) / typer_import,
    }


def print_report(r: dict[str, float]) -> None:
    """Print the medians, the ratios and the verdict."""
    print(f"disruption CLI start-up: fresh processes, median of {int(r['rounds'])} rounds")
    for name in SIDES:
        print(f"{name:>18}: {r[f'{name}_s'] * 1e3:7.1f} ms")
    ok = r["cli_import_ratio"] <= TARGET_RATIO
    print(
        f"import disruption.cli / import typer (the imports: each process less the bare "
        f"interpreter's {r['python_s'] * 1e3:.0f} ms): {r['cli_import_ratio']:.2f}x | "
        f"target <= {TARGET_RATIO:g}x {'PASS' if ok else 'FAIL'}"
    )
    print(f"  whole processes: {r['cli_ratio']:.2f}x (info)")
    print(f"disruption --help / import typer: {r['help_ratio']:.2f}x (info)")


def main(rounds: int = ROUNDS) -> dict[str, float]:
    """Measure, print and return the numbers."""
    numbers = measure(rounds)
    print_report(numbers)
    return numbers


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"default {ROUNDS}")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROUNDS} rounds")
    args = parser.parse_args()
    main(QUICK_ROUNDS if args.quick else args.rounds)
