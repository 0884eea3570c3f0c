"""Commands: what someone asks the procedure to do, and a strict reader for their data.

A :class:`Command` is the envelope of the JSON integration contract: the case, the command's
name, when it happened, who acted, its data and an optional idempotency key. The procedure
definition reads ``data`` with :class:`Fields`, which names the offending field in every
error and refuses fields it does not know.

The contract has a version, :data:`CONTRACT_VERSION`. A command may say which version it was
written to (``"contract_version": 1``); without it, it is read as the current version. A
version this library does not read is refused before any other field, naming the versions
it does:

>>> Command.from_json({"contract_version": 2, "case": "P-1"}, line=4)
Traceback (most recent call last):
...
disruption.exceptions.UnsupportedContractVersion: line 4: contract_version: 2 ... (supported: 1)

>>> from datetime import datetime, timezone
>>> cmd = Command.from_json({"case": "P-0001", "command": "raise_concern",
...     "at": "2025-12-23T10:00:00+00:00", "actor": {"id": "sw-17", "role": "social_worker"},
...     "data": {"category": "carer_difficulty", "raised_by": "carer"}})
>>> (cmd.case, cmd.name, cmd.at.isoformat())
('P-0001', 'raise_concern', '2025-12-23T10:00:00+00:00')
>>> Fields({"end": "2025-13-01"}).date("end")
Traceback (most recent call last):
...
disruption.exceptions.InvalidData: end: must be a date as YYYY-MM-DD, not '2025-13-01'

A line of a JSON Lines file is read from its bytes by :meth:`Command.from_line`, which refuses
what ``json.loads`` alone lets through (duplicate keys) or cannot read (bytes that are not
UTF-8, nesting too deep) with an :class:`~disruption.exceptions.InputError` naming the line:

>>> Command.from_line(b'{"case": "B-1", "case": "B-2"}', line=3)
Traceback (most recent call last):
...
disruption.exceptions.InputError: line 3: duplicate field 'case'
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, NoReturn, TypeVar

import attrs

from disruption.domain.clock import shared_date
from disruption.domain.model import (
    REFERENCE_PATTERN,
    Actor,
    Role,
    check_reference,
    member_reader,
)
from disruption.exceptions import (
    DateOutOfRange,
    InputError,
    InvalidData,
    UnsupportedContractVersion,
)

__all__ = [
    "CONTRACT_VERSION",
    "EARLIEST_DATE",
    "LATEST_DATE",
    "MAX_LINE",
    "MAX_SHOWN",
    "MAX_TEXT",
    "SUPPORTED_CONTRACT_VERSIONS",
    "Command",
    "Fields",
    "read_json",
    "shown",
]

CONTRACT_VERSION = 1
"""The version of the JSON command contract: the command line (its envelope and each
command's data) and what ``disruption run --json`` answers to it. A change that an integration
written to this version would break on (a field renamed, removed, or given another meaning; a
refusal of what this version accepts) makes a new version; fields, commands and error types
are only ever added within one (see ``docs/contract.md``)."""

SUPPORTED_CONTRACT_VERSIONS: tuple[int, ...] = (1,)
"""Every version of the command contract :meth:`Command.from_json` reads, oldest first."""

_ENVELOPE = frozenset({"contract_version", "case", "command", "at", "actor", "data", "id"})

MAX_TEXT = 20_000
"""Longest free text accepted in one field, in characters."""

MAX_LINE = 1_000_000
"""Longest line of command input accepted, in bytes (a command is a few hundred)."""

MAX_SHOWN = 200
"""Most characters of a refused value an error message repeats (see :func:`shown`)."""

EARLIEST_DATE = date(1900, 1, 1)
"""No date or ``at`` of a command is before this day."""

LATEST_DATE = date(2199, 12, 31)
"""No date of a command's data is after this day (a step's ``at`` is bounded by the clock:
:data:`disruption.domain.clock.CLOCK_TOLERANCE`)."""

_EARLIEST_AT = datetime(1900, 1, 1, tzinfo=UTC)
_LATEST_AT = datetime(2200, 1, 1, tzinfo=UTC)


def shown(value: object) -> str:
    """The ``repr`` of a refused value, cut to at most :data:`MAX_SHOWN` characters.

    >>> shown("x" * 1000)[-12:], len(shown("x" * 1000))
    ('xxx...(1002)', 200)
    """
    text = repr(value)
    if len(text) <= MAX_SHOWN:
        return text
    tail = f"...({len(text)})"
    return text[: MAX_SHOWN - len(tail)] + tail


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise InputError(f"duplicate field {shown(key)}", field=key)
            seen.add(key)
    return obj


E = TypeVar("E", bound=StrEnum)


def _aware(instance: Any, attribute: attrs.Attribute[Any], value: datetime) -> None:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidData("must be a timezone-aware date and time", field=attribute.name)
    if not _EARLIEST_AT <= value < _LATEST_AT:
        raise DateOutOfRange(
            f"must be from {EARLIEST_DATE} to {LATEST_DATE}, not {value.isoformat()}",
            field=attribute.name,
        )


def _case_reference(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    check_reference(value, "case")


def _command_id(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        check_reference(value, "id")


@attrs.frozen(hash=False)
class Command:
    """A request to the procedure, as an integration sends it.

    Attributes:
        case: The case's reference.
        name: The command's name, for example ``raise_concern``.
        at: When it happened (timezone-aware); deadlines are judged on it.
        actor: Who acted.
        data: The command's own fields, JSON-shaped.
        id: An idempotency key: a command with an id already applied is not applied again.
    """

    case: str = attrs.field(validator=_case_reference)
    name: str
    at: datetime = attrs.field(validator=_aware)
    actor: Actor
    data: Mapping[str, Any] = attrs.field(factory=dict)
    id: str | None = attrs.field(default=None, validator=_command_id)

    @classmethod
    def from_line(cls, raw: bytes | str, *, line: int | None = None) -> Command:
        """Read a command from one line of JSON Lines input, as bytes (or text).

        Args:
            raw: The line, UTF-8 encoded (a ``str`` is taken as decoded already).
            line: Its line number in the input, for errors.

        Returns:
            The command.

        Raises:
            InputError: When the line is longer than :data:`MAX_LINE` bytes, not UTF-8, not
                JSON, repeats a key, nests too deeply, or is not a command (see
                :meth:`from_json`); names the line and, when known, the field.
        """
        return cls.from_json(read_json(raw, line=line), line=line)

    @classmethod
    def from_json(cls, obj: object, *, line: int | None = None) -> Command:
        """Read a command from a parsed JSON object of the integration contract.

        Args:
            obj: The parsed JSON value.
            line: Its line number in the input, for errors.

        Returns:
            The command.

        Raises:
            UnsupportedContractVersion: When ``contract_version`` is given and is not one of
                :data:`SUPPORTED_CONTRACT_VERSIONS` (checked before any other field).
            InputError: When the envelope is malformed; names the field and the line.
        """
        if not isinstance(obj, dict):
            raise InputError("a command must be a JSON object", line=line)
        version = obj.get("contract_version")
        # An absent (or null) version is the current one; true is not 1 (JSON says 1.0 is).
        if version is not None and (
            isinstance(version, bool) or version not in SUPPORTED_CONTRACT_VERSIONS
        ):
            raise UnsupportedContractVersion(version, SUPPORTED_CONTRACT_VERSIONS, line=line)
        unknown = sorted(set(obj) - _ENVELOPE)
        if unknown:
            raise InputError(f"unknown field {shown(unknown[0])}", line=line, field=unknown[0])
        try:
            fields = Fields(obj)
            case, name, at = fields.string("case"), fields.string("command"), fields.instant("at")
            actor = fields.nested("actor")
            return cls(
                case=case,
                name=name,
                at=at,
                actor=Actor(actor.string("id"), actor.choice("role", Role)),
                data=fields.mapping("data"),
                id=fields.string("id", required=False),
            )
        except InvalidData as err:
            raise InputError(str(err), line=line, field=err.field) from None


def read_json(raw: bytes | str, *, line: int | None = None) -> Any:
    """Read one JSON value as strictly as :meth:`Command.from_line` reads a command line.

    The service reads a request's body with it before filling in what the request says
    elsewhere (the case from the path, the actor from the token).

    >>> read_json(b'{"case": "P-1"}')
    {'case': 'P-1'}

    Args:
        raw: The JSON text, UTF-8 encoded (a ``str`` is taken as decoded already).
        line: Its line number in the input, for errors.

    Returns:
        The parsed value.

    Raises:
        InputError: When it is longer than :data:`MAX_LINE` bytes, not UTF-8, not JSON,
            repeats a key or nests too deeply.
    """
    if len(raw) > MAX_LINE:
        raise InputError(f"longer than {MAX_LINE} bytes", line=line)
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InputError(
                f"not UTF-8 (byte {error.start + 1} is {raw[error.start]:#04x})", line=line
            ) from None
    try:
        obj = json.loads(raw, object_pairs_hook=_no_duplicates)
    except InputError as error:
        raise InputError(str(error), line=line, field=error.field) from None
    except RecursionError:
        raise InputError("nested too deeply", line=line) from None
    except ValueError as error:
        raise InputError(f"not valid JSON ({error})", line=line) from None
    return obj


_IS_REFERENCE = re.compile(REFERENCE_PATTERN).fullmatch
"""The reference check of :func:`~disruption.domain.model.is_reference`, one call: a reader
checks several references a command."""

_DATES: dict[str, date] = {}
"""Dates read before, by the text they were read from (each checked when first read)."""
_DATES_LIMIT = 4096

_READERS: dict[type[Any], Callable[[object], Any]] = {}
"""Each enumeration's :func:`~disruption.domain.model.member_reader`, made when first used."""

_MEMBERS: dict[type[Any], dict[str, Any]] = {}
"""Each enumeration's members by value, for reading a member by one lookup."""


def _members(kind: type[E]) -> dict[str, E]:
    members = _MEMBERS.get(kind)
    if members is None:
        members = _MEMBERS[kind] = {m.value: m for m in kind}
    return members


def _member(kind: type[E], value: object, fields: Fields, name: str, index: int = -1) -> E:
    read = _READERS.get(kind)
    if read is None:
        read = _READERS[kind] = member_reader(kind)
    try:
        return read(value) if isinstance(value, str) else kind("\x00not a member")
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        path = fields.path(name) if index < 0 else f"{fields.path(name)}[{index}]"
        raise InvalidData(f"must be one of {allowed}", field=path) from None


class Fields:
    """A strict reader of one JSON object, naming fields by dotted path in errors.

    Args:
        data: The object to read.
        prefix: The path of the object itself, for nested objects.
    """

    __slots__ = ("_data", "_prefix", "_read")

    def __init__(self, data: Mapping[str, Any], prefix: str = "") -> None:
        self._data = data
        self._prefix = prefix
        self._read: set[str] = set()

    def path(self, name: str) -> str:
        """Return the dotted path of a field."""
        return f"{self._prefix}{name}"

    def _get(self, name: str, required: bool) -> Any:
        self._read.add(name)
        value = self._data.get(name)
        if value is None and required:
            self._missing(name)
        return value

    def _missing(self, name: str) -> NoReturn:
        """Refuse a required field that is absent (or null).

        The readers called on every command look their field up themselves, their common
        case (a value of the right type) first.
        """
        raise InvalidData("is required", field=self.path(name))

    def string(self, name: str, *, required: bool = True) -> Any:
        """Read a non-empty string of valid Unicode (``None`` when optional and absent)."""
        self._read.add(name)
        value = self._data.get(name)
        if type(value) is str and value.isascii() and not value.isspace() and value:
            return value  # the common case: plain ASCII, not blank
        if value is None:
            if required:
                self._missing(name)
            return None
        if not isinstance(value, str) or not value.strip():
            raise InvalidData("must be a non-empty string", field=self.path(name))
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate, from a \ud800 escape in JSON
                raise InvalidData("must be valid Unicode text", field=self.path(name)) from None
        return value

    def text(self, name: str, *, required: bool = True) -> Any:
        """Read free text of at most :data:`MAX_TEXT` characters."""
        value = self.string(name, required=required)
        if value is None:
            return None
        if len(value) > MAX_TEXT:
            raise InvalidData(f"must be at most {MAX_TEXT} characters", field=self.path(name))
        if "\x00" in value:
            raise InvalidData("must not contain NUL characters", field=self.path(name))
        return value

    def reference(self, name: str, *, required: bool = True) -> Any:
        """Read a pseudonymous reference (see :func:`disruption.domain.model.check_reference`)."""
        self._read.add(name)
        value = self._data.get(name)
        if type(value) is str and _IS_REFERENCE(value) is not None:
            return value
        if value is None:
            if required:
                self._missing(name)
            return None
        return check_reference(value, self.path(name))  # raises, naming the field

    def date(self, name: str, *, required: bool = True) -> Any:
        """Read a calendar date written ``YYYY-MM-DD``."""
        self._read.add(name)
        value = self._data.get(name)
        day = _DATES.get(value) if type(value) is str else None
        if day is not None:
            return day  # a day read before: checked, and shared
        if value is None:
            if required:
                self._missing(name)
            return None
        if isinstance(value, str) and len(value) == 10:
            try:
                day = date.fromisoformat(value)
            except ValueError:
                pass
            else:
                if EARLIEST_DATE <= day <= LATEST_DATE:
                    day = shared_date(day)
                    if len(_DATES) >= _DATES_LIMIT:
                        _DATES.clear()
                    _DATES[value] = day
                    return day
                raise DateOutOfRange(
                    f"must be from {EARLIEST_DATE} to {LATEST_DATE}, not {value}",
                    field=self.path(name),
                )
        raise InvalidData(
            f"must be a date as YYYY-MM-DD, not {shown(value)}", field=self.path(name)
        )

    def instant(self, name: str) -> datetime:
        """Read an ISO 8601 date and time with an offset."""
        value = self._get(name, True)
        try:
            parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is None or parsed.utcoffset() is None:
            raise InvalidData(
                f"must be an ISO 8601 date and time with an offset, not {shown(value)}",
                field=self.path(name),
            )
        return parsed

    def integer(self, name: str, *, minimum: int, maximum: int) -> int:
        """Read a whole number from ``minimum`` to ``maximum``."""
        value = self._get(name, True)
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not (minimum <= value <= maximum)
        ):
            raise InvalidData(
                f"must be a whole number from {minimum} to {maximum}", field=self.path(name)
            )
        return value

    def boolean(self, name: str) -> bool:
        """Read a JSON ``true`` or ``false``."""
        value = self._get(name, True)
        if not isinstance(value, bool):
            raise InvalidData("must be true or false", field=self.path(name))
        return value

    def choice(self, name: str, kind: type[E], *, required: bool = True) -> Any:
        """Read one value of an enumeration."""
        self._read.add(name)
        value = self._data.get(name)
        if type(value) is str:
            member = (_MEMBERS.get(kind) or _members(kind)).get(value)
            if member is not None:
                return member
        elif value is None:
            if required:
                self._missing(name)
            return None
        return _member(kind, value, self, name)

    def choices(self, name: str, kind: type[E], *, non_empty: bool = False) -> tuple[E, ...]:
        """Read a list of values of an enumeration."""
        items = self._list(name, non_empty)
        members = _MEMBERS.get(kind) or _members(kind)
        read = [members.get(v) if type(v) is str else None for v in items]
        if None in read:
            return tuple([_member(kind, v, self, name, i) for i, v in enumerate(items)])
        return tuple(read)  # type: ignore[arg-type]  # every item a member

    def labels(
        self, name: str, allowed: frozenset[str], *, non_empty: bool = False
    ) -> tuple[str, ...]:
        """Read a list of labels from a catalogue."""
        items = self._list(name, non_empty)
        for i, item in enumerate(items):
            if item not in allowed:
                raise InvalidData(
                    f"{shown(item)} is not one of {', '.join(sorted(allowed))}",
                    field=f"{self.path(name)}[{i}]",
                )
        return tuple(items)

    def references(self, name: str, *, non_empty: bool = False) -> tuple[str, ...]:
        """Read a list of distinct pseudonymous references (recipients of a notice, say)."""
        items = self._list(name, non_empty)
        refs = tuple(check_reference(v, f"{self.path(name)}[{i}]") for i, v in enumerate(items))
        if len(set(refs)) != len(refs):
            raise InvalidData("must not repeat a reference", field=self.path(name))
        return refs

    def objects(self, name: str, *, non_empty: bool = False) -> list[Fields]:
        """Return a reader for each object of a list (each closed by the caller)."""
        items = self._list(name, non_empty)
        readers = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise InvalidData("must be an object", field=f"{self.path(name)}[{i}]")
            readers.append(Fields(item, f"{self.path(name)}[{i}]."))
        return readers

    def _list(self, name: str, non_empty: bool) -> list[Any]:
        self._read.add(name)
        value = self._data.get(name)
        if type(value) is list and value:
            return value  # the common case: a non-empty list
        if value is None:
            if non_empty:
                raise InvalidData("is required", field=self.path(name))
            value = []
        if not isinstance(value, list):
            raise InvalidData("must be a list", field=self.path(name))
        if non_empty and not value:
            raise InvalidData("must not be empty", field=self.path(name))
        return value

    def mapping(self, name: str) -> dict[str, Any]:
        """Read an object (an absent one reads as empty)."""
        value = self._get(name, False)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise InvalidData("must be an object", field=self.path(name))
        return value

    def nested(self, name: str, *, required: bool = True) -> Fields:
        """Return a reader for a nested object."""
        self._read.add(name)
        value = self._data.get(name)
        if type(value) is not dict:
            if value is None:
                if required:
                    self._missing(name)
                value = {}
            elif not isinstance(value, dict):
                raise InvalidData("must be an object", field=self.path(name))
        return Fields(value, f"{self._prefix}{name}.")

    def has(self, name: str) -> bool:
        """Whether the field is present and not null."""
        return self._data.get(name) is not None

    def close(self) -> None:
        """Refuse any field that was not read.

        Raises:
            InvalidData: Naming the first unknown field.
        """
        if self._read.issuperset(self._data):
            return
        for key in sorted(set(self._data) - self._read, key=str):
            raise InvalidData("is not a field of this command", field=self.path(str(key)))
