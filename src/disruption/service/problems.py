"""Errors as ``application/problem+json`` (RFC 9457), carrying the typed error's data.

Internal: import its public names from :mod:`disruption.service` (``docs/api.md``); the
module itself may move or change without notice.

Every error of the library's tree maps to one HTTP status; the problem's ``type`` names the
error (``urn:disruption:problem:PermissionRefused``), its ``title`` is the error's summary,
``detail`` its message, and its attributes (``field``, ``case``, ``command``, ``state``,
``role``, ``expected``, ``actual``...) are members of the problem:

>>> from disruption.exceptions import InvalidData
>>> status, body = problem_of(InvalidData("must be a date", field="end", case="P-1"))
>>> status, body["type"], body["field"], body["detail"]
(422, 'urn:disruption:problem:InvalidData', 'end', 'end: must be a date')
"""

from __future__ import annotations

from typing import Any

from disruption.exceptions import (
    ChairNotIndependent,
    CommandNotAllowed,
    ConcurrencyError,
    DisruptionError,
    DuplicateCase,
    InputError,
    InvalidData,
    NotAuthenticated,
    PermissionRefused,
    ServiceConfigError,
    StoreError,
    UnknownCase,
    UnknownCommand,
    UnknownProcedure,
    VersionMismatch,
)

__all__ = ["MEDIA_TYPE", "STATUS", "TYPE_PREFIX", "problem", "problem_of", "status_of"]

MEDIA_TYPE = "application/problem+json"
"""The media type of every error response."""

TYPE_PREFIX = "urn:disruption:problem:"
"""A problem's ``type`` is this prefix and the error's name."""

STATUS: tuple[tuple[type[DisruptionError], int], ...] = (
    (NotAuthenticated, 401),
    (PermissionRefused, 403),  # ActorMismatch too
    (ChairNotIndependent, 403),
    (UnknownCase, 404),
    (VersionMismatch, 412),
    (DuplicateCase, 409),
    (ConcurrencyError, 409),
    (CommandNotAllowed, 409),
    (UnknownCommand, 422),
    (InvalidData, 422),
    (InputError, 422),
    (StoreError, 503),
    (UnknownProcedure, 500),
    (ServiceConfigError, 500),
)
"""The HTTP status of each error, the first that matches (any other error: 400)."""

_HIDDEN = frozenset({"message", "reason_phrase"})


def status_of(error: DisruptionError) -> int:
    """The HTTP status of an error (:data:`STATUS`)."""
    return next((status for kind, status in STATUS if isinstance(error, kind)), 400)


def _json_ready(value: object) -> object:
    if isinstance(value, tuple | list):
        return [_json_ready(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def problem(status: int, name: str, title: str, detail: str, **data: object) -> dict[str, Any]:
    """A problem document.

    Args:
        status: The HTTP status.
        name: The problem's name (the end of its ``type``).
        title: Its summary, the same for every occurrence.
        detail: This occurrence, in words.
        **data: Members carrying its data.
    """
    body: dict[str, Any] = {
        "type": f"{TYPE_PREFIX}{name}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    body.update({k: _json_ready(v) for k, v in data.items() if k not in body})
    return body


def problem_of(error: DisruptionError) -> tuple[int, dict[str, Any]]:
    """The status and problem document of a library error: its name, summary and data."""
    status = status_of(error)
    kind = type(error)
    title = (kind.__doc__ or kind.__name__).strip().splitlines()[0]
    data = {k: v for k, v in vars(error).items() if k not in _HIDDEN and not k.startswith("_")}
    if isinstance(error, NotAuthenticated):
        title = "Not authenticated"
    return status, problem(status, kind.__name__, title, str(error), error=kind.__name__, **data)
