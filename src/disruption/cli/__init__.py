"""The ``disruption`` command line: the only place logging is configured.

Every command exits 0 on success, 1 when ``run`` had a rejected line, and 2 with a one-line
message on bad input (a missing file, an unreadable store, an invalid date); never with a
traceback.
"""

from __future__ import annotations

from disruption.cli import audit, cases, procedures, reports, returns
from disruption.cli._common import app

__all__ = ["app", "main"]

_COMMANDS = (audit, cases, procedures, reports, returns)
"""The modules whose commands register on ``app`` when imported."""


def main() -> None:
    """Entry point of the ``disruption`` console command."""
    app()
