"""The ``disruption`` command line: the only place logging is configured.

Internal: this package and its modules are not part of the public API (``docs/api.md``); they
may change without notice.

Every command exits 0 on success, 1 when ``run`` had a rejected line (or ``verify`` found
the chain broken), and 2 with a one-line message on bad input (a missing file, an
unreadable store, an invalid date); never with a traceback.
"""

from __future__ import annotations

import importlib

from disruption.cli._common import app

__all__ = ["app", "main"]

_COMMANDS = ("cases", "returns", "reports", "procedures", "audit", "service")
"""The modules whose commands register on ``app`` when imported, in the order of the help."""

for _name in _COMMANDS:
    importlib.import_module(f"disruption.cli.{_name}")


def main() -> None:
    """Entry point of the ``disruption`` console command."""
    app()
