"""Logging set-up for applications, and the processor that keeps personal data out of logs.

The library only logs (``structlog.get_logger("disruption....")``) with stable event names and
pseudonymous ids; it never configures logging. Applications (and the ``disruption`` CLI) call
:func:`configure`, whose chain always includes :func:`drop_personal_fields`.

>>> drop_personal_fields(None, "info", {"event": "x", "case": "P-1", "child_views": "..."})
{'event': 'x', 'case': 'P-1', 'child_views': '[removed]'}
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

__all__ = ["ALLOWED_FIELDS", "configure", "drop_personal_fields"]

ALLOWED_FIELDS = frozenset(
    {
        "event",
        "level",
        "timestamp",
        "logger",
        "case",
        "command",
        "from_state",
        "to_state",
        "state",
        "version",
        "error",
        "count",
        "position",
        "deadline",
        "due",
        "db",
        "path",
        "seconds",
        "cases",
        "events",
        "line",
        "rejected",
        "procedure",
        "on",
        "exc_info",
    }
)
"""Fields a log line may carry as given; any other field's value is replaced."""


def drop_personal_fields(
    logger: Any, method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A structlog processor: replace the value of every field not known to be safe.

    Free text, names and dates of birth are never logged by the library; this processor
    makes sure that a field added by mistake (or by an application) cannot leak them.
    """
    for key in list(event_dict):
        if key not in ALLOWED_FIELDS:
            event_dict[key] = "[removed]"
    return event_dict


def configure(level: str = "warning", *, json: bool = False, stream: TextIO | None = None) -> None:
    """Configure structlog for an application: level, format, and the personal-data filter.

    Args:
        level: The lowest level written (``debug``, ``info``, ``warning``, ``error``).
        json: Write one JSON object per line instead of readable text.
        stream: Where to write; standard error by default.
    """
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            drop_personal_fields,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stderr),
        cache_logger_on_first_use=False,
    )
