"""Feed a JSON Lines file of commands to ``disruption run`` and read its JSON answers.

Run it: ``python examples/run_commands.py``
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

LINES = [
    {
        "case": "P-0001",
        "command": "open_case",
        "at": "2025-12-22T09:00:00+00:00",
        "actor": {"id": "sw-17", "role": "social_worker"},
        "data": {
            "child": "C-1",
            "placement": {
                "id": "PL-1",
                "type": "K2",
                "provider": "PR4",
                "start": "2025-06-02",
                "location": "in_borough",
            },
        },
    },
    {
        "case": "P-0001",
        "command": "raise_concern",
        "at": "2025-12-23T10:00:00+00:00",
        "actor": {"id": "sw-17", "role": "social_worker"},
        "data": {"category": "carer_difficulty", "raised_by": "carer"},
    },
    {
        "case": "P-0001",
        "command": "stabilise",
        "at": "2025-12-23T11:00:00+00:00",
        "actor": {"id": "sw-17", "role": "social_worker"},
        "data": {},
    },
]


def main() -> list[dict[str, Any]]:
    """Run three commands (the last is refused) and return the parsed answers."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "commands.jsonl"
        path.write_text("".join(json.dumps(line) + "\n" for line in LINES), encoding="utf-8")
        done = subprocess.run(
            # --entered-at: when the lines were entered (now by default). A step entered more
            # than 10 working days after it happened needs a manager role, so these dated
            # lines are entered on the day they happened.
            [
                *(sys.executable, "-m", "disruption", "run", str(path), "--json"),
                *("--entered-at", "2025-12-23T17:00:00+00:00"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    for answer in answers:
        print(answer)
    print(f"exit code {done.returncode} (1: a line was rejected)")
    return answers


if __name__ == "__main__":
    from disruption import logs

    logs.configure("warning")
    main()
