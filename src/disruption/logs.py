"""Logging for the library and its applications, and the processor that keeps personal data out.

The library logs through :func:`get_logger` with stable event names and pseudonymous ids, and
never configures logging itself:

- a host that has configured nothing sees nothing: the library's lines go to the standard
  :mod:`logging` module, which drops ``info`` lines when no handler is set up (structlog's own
  unconfigured default would print them on standard output);
- a host that configures standard :mod:`logging` gets them as ``logfmt`` messages from loggers
  named ``disruption.*``;
- a host that configures structlog gets them through its own processors and logger factory.

Whichever way, :func:`drop_personal_fields` runs first on every line the library writes.
Applications (and the ``disruption`` CLI) may call :func:`configure` for a ready-made set-up.

>>> drop_personal_fields(None, "info", {"event": "x", "case": "P-1", "child_views": "..."})
{'event': 'x', 'case': 'P-1', 'child_views': '[removed]'}
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, MutableMapping
from typing import Any, TextIO, cast

import structlog

__all__ = ["ALLOWED_FIELDS", "LibraryLogger", "configure", "drop_personal_fields", "get_logger"]

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
        "to",
        "exc_info",
        "method",
        "status",
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


class _FilteredChain:
    """The processors structlog is configured with when a line is written, the filter first."""

    def __iter__(self) -> Iterator[Any]:
        yield drop_personal_fields
        yield from structlog.get_config()["processors"]


_FILTERING_LEVELS: dict[Any, int] = {
    structlog.make_filtering_bound_logger(level): level
    for level in (
        logging.NOTSET,
        logging.DEBUG,
        logging.INFO,
        logging.WARNING,
        logging.ERROR,
        logging.CRITICAL,
    )
}
"""structlog's level-filtering wrapper classes (``make_filtering_bound_logger`` returns one
of these), by the lowest level each writes: a line below it is dropped before any work."""


class LibraryLogger:
    """The logger the library writes through; see the module's description for where lines go.

    Args:
        name: The logger's name, ``disruption.`` and the module's concept (``disruption.engine``).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        # The host's processors, wrapper class (its level filter) and logger factory, read when
        # a line is written, with the personal-data filter in front of the processors.
        self._configured = structlog.wrap_logger(
            None, processors=_FilteredChain(), logger_factory_args=(name,)
        )
        self._stdlib_logger = logging.getLogger(name)  # the same object on every call
        self._stdlib = structlog.wrap_logger(
            self._stdlib_logger,
            processors=[
                drop_personal_fields,
                structlog.processors.LogfmtRenderer(key_order=["event"], bool_as_flag=False),
            ],
            wrapper_class=structlog.stdlib.BoundLogger,
        )

    def _bound(self, level: int) -> Any:
        """What writes a line at ``level`` as logging stands now, or ``None``: dropped."""
        if not self.enabled(level):
            return None
        return self._configured if structlog.is_configured() else self._stdlib

    def enabled(self, level: int) -> bool:
        """Whether a line at ``level`` may be written (``False``: it would be dropped).

        For a line written on every command: its fields are not worked out when it would
        be dropped. ``True`` does not promise the line is written (a host's processor may
        still drop it).
        """
        if structlog.is_configured():
            # A host's filtering level, known without building a logger for the line.
            lowest = _FILTERING_LEVELS.get(structlog.get_config()["wrapper_class"])
            return lowest is None or level >= lowest
        return self._stdlib_logger.isEnabledFor(level)

    def _log(self, level: int, method: str, event: str, fields: dict[str, Any]) -> None:
        bound = self._bound(level)
        if bound is not None:
            getattr(bound, method)(event, **fields)

    def debug(self, event: str, **fields: Any) -> None:
        """Log ``event`` at debug level."""
        self._log(logging.DEBUG, "debug", event, fields)

    def info(self, event: str, **fields: Any) -> None:
        """Log ``event`` at info level."""
        self._log(logging.INFO, "info", event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        """Log ``event`` at warning level."""
        self._log(logging.WARNING, "warning", event, fields)

    def error(self, event: str, **fields: Any) -> None:
        """Log ``event`` at error level."""
        self._log(logging.ERROR, "error", event, fields)


def get_logger(name: str) -> LibraryLogger:
    """The library's logger called ``name``: silent unless the host configures logging, redacted.

    Args:
        name: The logger's name, ``disruption.`` and the module's concept.
    """
    return LibraryLogger(name)


class _CurrentStderr:
    """Standard error as it is when a line is written, not as it was when logging was set up.

    A host (or a test runner) that swaps ``sys.stderr`` after :func:`configure` and closes the
    old stream would otherwise make every later log line fail with "I/O operation on closed
    file".
    """

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure(level: str = "warning", *, json: bool = False, stream: TextIO | None = None) -> None:
    """Configure structlog for an application: level, format, and the personal-data filter.

    Args:
        level: The lowest level written (``debug``, ``info``, ``warning``, ``error``).
        json: Write one JSON object per line instead of readable text.
        stream: Where to write; by default standard error, whichever stream ``sys.stderr``
            is when each line is written.
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
        logger_factory=structlog.PrintLoggerFactory(stream or cast("TextIO", _CurrentStderr())),
        cache_logger_on_first_use=False,
    )
