"""A store kept in memory: for tests, dry runs and ``disruption run`` without ``--db``.

Internal: import its public names from :mod:`disruption.store` (``docs/api.md``); the module
itself may move or change without notice.

It keeps the same contract as the SQL store: one command's events are appended whole or not
at all, positions are global and gap-free, a command id is applied once.

>>> store = MemoryStore()
>>> store.case_ids(), store.last_position(), store.consumer_position("feed")
([], 0, 0)
"""

from __future__ import annotations

import marshal
import struct
import threading
from array import array
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from itertools import islice
from typing import Any

import attrs

from disruption.domain.events import DeadlineChange, Event, PersonalText
from disruption.domain.model import Actor, Case, Deadline, filled
from disruption.engine.ports import (
    Applied,
    MissedEvents,
    NewCase,
    OverdueDeadline,
    Refusal,
    Snapshot,
    StoredEvent,
)
from disruption.exceptions import ConcurrencyError, DuplicateCommand

__all__ = ["MemoryStore"]


Record = bytes | Event
"""An event as the store keeps it: one ``bytes`` (see :class:`_Codec`), or the event itself
when it cannot be kept so (data that is not plain JSON, say)."""

_LIMIT = 65_535
"""The most strings, actors, deadline changes and shapes of dicts one store numbers: beyond,
a deadline change is written out, and an event with another type, command, state, actor or
shape is kept as it is."""
_ZONES_LIMIT = 127
"""The most time zones one store numbers; an event in another is kept as it is."""


class _Unkept(Exception):
    """An event that cannot be kept compact (it is kept as it is)."""


class _Codec:
    """A store's compact form of events: each one ``bytes``, written by ``marshal``.

    The record holds no object of its own but that ``bytes`` (no tuple, no instants, no
    container the garbage collector follows): what recurs from event to event is numbered
    once per store (a step: type, command, states, schema version and the keys of the data;
    actors; deadline changes' ids, names and kinds), instants are ``datetime``'s own ten
    bytes and a numbered time zone, days two bytes each. An event is read back equal, with
    the same instants (wall clock, time zone object and ``fold``) and the same data (see
    :func:`_event`).
    """

    def __init__(self) -> None:
        self.codes: dict[Any, int] = {}
        self.values: list[Any] = []
        self.actors: list[Actor | None] = []
        self.zones: dict[int, int] = {}
        """``id`` of a time zone object to its number (the object kept in ``zone_list``)."""
        self.zone_list: list[Any] = []

    def code(self, value: Any) -> Any:
        """The number of a recurring value.

        A string, an actor's ``(id, role)``, a deadline change's ``(id, name, change)`` or
        the keys of an event's data.
        """
        found = self.codes.get(value)
        if found is not None:
            return found
        if len(self.values) >= _LIMIT:
            return value  # written out
        number = self.codes[value] = len(self.values)
        self.values.append(value)
        self.actors.append(None)
        return number

    def step(self, step: tuple[Any, ...]) -> int:
        """The number of a step (numbered once).

        A step is an event's type, command, from and to states, schema version and the
        keys of its data (``str`` keys only, else :class:`_Unkept`).
        """
        for key in step[-1]:
            if type(key) is not str:
                raise _Unkept
        number = self.code(step)
        if type(number) is not int:
            raise _Unkept  # beyond what a store numbers: the event is kept as it is
        return number

    def zone(self, tz: Any) -> int:
        """The number of a time zone object (``None`` too), numbered when first seen."""
        found = self.zones.get(id(tz))
        if found is None:
            if len(self.zone_list) >= _ZONES_LIMIT:
                raise _Unkept
            found = self.zones[id(tz)] = len(self.zone_list)
            self.zone_list.append(tz)  # kept: its id stays its own
        return found

    def moment(self, state: bytes, zone: int) -> datetime:
        """The instant written as ``state`` and ``zone``.

        ``state`` is ``datetime``'s own ten bytes (those it pickles), ``zone`` its time zone's
        number, times two, plus its ``fold``.
        """
        at: datetime = _BUILD(state, self.zone_list[zone >> 1])
        return at.replace(fold=1) if zone & 1 else at

    def actor(self, code: Any) -> Actor:
        """The actor numbered ``code`` (one object per actor), or written out."""
        if type(code) is not int:
            return Actor(code[0], code[1])
        found = self.actors[code]
        if found is None:
            actor_id, role = self.values[code]
            found = self.actors[code] = Actor(actor_id, role)
        return found

    def text(self, code: Any) -> Any:
        """The value numbered ``code`` (or ``code`` itself: written out, or ``None``)."""
        return self.values[code] if type(code) is int else code


_REDUCE: Callable[[datetime], Any] = datetime.__reduce__
_BUILD: Callable[[bytes, Any], datetime] = datetime  # type: ignore[assignment]
"""``datetime`` from the ten bytes it pickles and a time zone (what ``pickle`` calls)."""


def _instant(at: datetime, codec: _Codec) -> tuple[bytes, int]:
    """An instant as ``datetime``'s own ten bytes and its zone (see :meth:`_Codec.moment`).

    A ``datetime`` subclass is read back a ``datetime`` with the same wall clock, time zone
    object and ``fold``: equal, and written the same.
    """
    try:
        args = _REDUCE(at)[1]
    except TypeError:  # not a datetime
        raise _Unkept from None
    return args[0], codec.zone(args[1] if len(args) > 1 else None) * 2 + at.fold


_HEAD = struct.Struct("<HHBBB10s")
"""A record's head: the number of its step (see :func:`_compact`), of its actor, its two
instants' zones (:data:`_SAME` for ``recorded_at`` when it is ``at``), the count of its
deadline changes (plus :data:`_WHOLE` when its tail holds them and a command id), then
``at``'s ten bytes."""
_SAME = 0xFF
_WHOLE = 0x80
_CHANGE = struct.Struct("<HHHH")
"""A deadline change: the number of its ``(id, name, change)``, then its days (see
:data:`_DAY0`)."""
_DAY0 = date(1900, 1, 1).toordinal() - 1
"""Days are written as their ordinal less this (``0`` for none): 1900-01-01 is day 1, and
two bytes reach 2079 (an event naming a later day is kept as it is)."""


def _compact(event: Event, codec: _Codec, seq: int) -> Record:
    """An event as one ``bytes`` (see :class:`_Codec`), or else the event itself.

    The event is kept as it is when its data is not plain JSON (a dict or string subclass,
    say), something in it cannot be numbered, or it is not the case's event number ``seq``
    (a record does not hold its number: its place in the case does).

    The record is :data:`_HEAD` (which ends with ``at``'s ten bytes), ``recorded_at``'s ten
    bytes when it is not ``at``, each deadline change as :data:`_CHANGE`, then ``marshal``'s
    bytes of the data's values. The step, numbered once per store, is the event's type,
    command, states, schema version and the keys of its data: those an event of one kind
    repeats. When a deadline change cannot be numbered or the event has a command id, the
    changes and the command id are written out after the values instead (:data:`_WHOLE`).
    """
    data = event.data
    if type(data) is not dict or event.seq != seq:
        return event
    codes = codec.codes
    actor = event.actor
    who = (actor.id, actor.role._value_)
    at = event.at
    step = (event.type, event.command, event.from_state, event.to_state,
            event.schema_version, tuple(data))  # fmt: skip
    try:
        number = codes.get(step)
        if number is None:
            number = codec.step(step)
        who_number = codes.get(who)
        if who_number is None:
            who_number = codec.code(who)
        args = _REDUCE(at)[1]  # datetime's own ten bytes, and its time zone
        tz = args[1] if len(args) > 1 else None
        at_zone = codec.zones.get(id(tz))
        if at_zone is None:
            at_zone = codec.zone(tz)
        recorded_at = event.recorded_at
        changes = event.deadlines
        command_id = event.command_id
        if recorded_at is at and not changes and command_id is None:  # the usual step
            return _HEAD.pack(number, who_number, at_zone * 2 + at.fold, _SAME, 0, args[0]) + (
                marshal.dumps(tuple(data.values()))
            )
        parts = [b""]
        if recorded_at is at:
            recorded_zone = _SAME
        else:
            stamp, recorded_zone = _instant(recorded_at, codec)
            parts.append(stamp)
        values = tuple(data.values())
        count = len(changes)
        packed = _packed(changes, codec) if changes and command_id is None else None
        if packed is not None:
            parts += packed
            parts.append(marshal.dumps(values))
        elif changes or command_id is not None:
            count = _WHOLE
            parts.append(marshal.dumps((values, _written(changes, codec), command_id)))
        else:
            parts.append(marshal.dumps(values))
        parts[0] = _HEAD.pack(number, who_number, at_zone * 2 + at.fold, recorded_zone, count,
                              args[0])  # fmt: skip
    except (ValueError, TypeError, struct.error, _Unkept):  # not plain JSON, or not numbered
        return event
    return b"".join(parts)


def _packed(changes: tuple[DeadlineChange, ...], codec: _Codec) -> list[bytes] | None:
    """Deadline changes as :data:`_CHANGE` each, or ``None`` when one cannot be.

    As when its ``(id, name, change)`` is not numbered, a day is outside the two bytes, or
    the event has too many changes.
    """
    if len(changes) >= _WHOLE:
        return None
    get = codec.codes.get
    packed = []
    try:
        for d in changes:
            which = (d.id, d.name, d.change)
            number = get(which)
            if number is None:
                number = codec.code(which)
            due, earliest, on = d.due, d.earliest, d.on
            # A day before day 1 is negative (or -1): struct.error.
            packed.append(_CHANGE.pack(number,
                0 if due is None else due.toordinal() - _DAY0 or -1,
                0 if earliest is None else earliest.toordinal() - _DAY0 or -1,
                0 if on is None else on.toordinal() - _DAY0 or -1))  # fmt: skip
    except struct.error:  # a number written out, a day out of reach
        return None
    return packed


def _written(changes: tuple[DeadlineChange, ...], codec: _Codec) -> list[tuple[Any, ...]]:
    """Deadline changes as ``marshal`` writes them.

    Their ``(id, name, change)`` numbered if it can be, and the days' ordinals.
    """
    code = codec.code
    return [
        (
            code((d.id, d.name, d.change)),
            None if d.due is None else d.due.toordinal(),
            None if d.earliest is None else d.earliest.toordinal(),
            None if d.on is None else d.on.toordinal(),
        )
        for d in changes
    ]


_NEW_EVENT = filled(Event)
"""``Event(...)`` of every field by position (events are read back often)."""


def _day(ordinal: int | None) -> date | None:
    return None if ordinal is None else date.fromordinal(ordinal)


def _change(
    codec: _Codec, which: Any, due: int | None, earliest: int | None, on: int | None
) -> DeadlineChange:
    """A deadline change :func:`_written` wrote: its ``(id, name, change)``, its days."""
    id_, name, change = codec.text(which)
    return DeadlineChange(id_, name, change, _day(due), _day(earliest), _day(on))


def _packed_change(codec: _Codec, which: int, due: int, earliest: int, on: int) -> DeadlineChange:
    """A deadline change :func:`_compact` packed (:data:`_CHANGE`)."""
    id_, name, change = codec.values[which]
    return DeadlineChange(
        id_,
        name,
        change,
        date.fromordinal(due + _DAY0) if due else None,
        date.fromordinal(earliest + _DAY0) if earliest else None,
        date.fromordinal(on + _DAY0) if on else None,
    )


def _event(record: Record, codec: _Codec, case: str, seq: int) -> Event:
    """The event a record keeps, the case's event number ``seq`` (see :func:`_compact`)."""
    if type(record) is not bytes:
        assert isinstance(record, Event)
        return record
    number, actor, at_zone, recorded_zone, count, stamp = _HEAD.unpack_from(record)
    start = _HEAD.size
    at = codec.moment(stamp, at_zone)
    if recorded_zone == _SAME:
        recorded_at = at
    else:
        recorded_at = codec.moment(record[start : start + 10], recorded_zone)
        start += 10
    kind, command, from_, to, version, keys = codec.values[number]
    cid = None
    if count == _WHOLE:
        values, changes, cid = marshal.loads(memoryview(record)[start:])
        deadlines = tuple(_change(codec, *change) for change in changes)
    elif count:
        unpack = _CHANGE.unpack_from
        deadlines = tuple(
            _packed_change(codec, *unpack(record, start + i * 8)) for i in range(count)
        )
        values = marshal.loads(memoryview(record)[start + count * 8 :])
    else:
        deadlines = ()
        values = marshal.loads(memoryview(record)[start:])
    return _NEW_EVENT(
        case,
        seq,
        kind,
        command,
        at,
        recorded_at,
        codec.actor(actor),
        dict(zip(keys, values, strict=True)),
        from_,
        to,
        deadlines,
        cid,
        version,
    )


_NEW_SNAPSHOT = filled(Snapshot)
"""``Snapshot(case, after, cached)`` by position: one is read on every command."""

_U16 = struct.Struct("<H")
_FIRST = struct.Struct("<HH")
"""A case's first record's frame: the count (1) and the record's length."""
_SMALL = 4096
"""The most bytes a case's events are kept in as one ``bytes`` (see :func:`_framed`)."""


def _framed(blob: bytes | None, count: int, records: list[Record]) -> bytes | None:
    """A case's events as one ``bytes``: ``blob`` (its ``count`` events) and ``records``.

    Two bytes of count, then each record after two bytes of its length. ``None`` when they
    no longer fit :data:`_SMALL` (or a record is not ``bytes``): appending copies at most
    twice that many bytes (``blob`` less its count, then the whole), so a step costs the
    same on a case with a long history. (A ``bytes`` slice and one ``join`` copy fewer
    instructions than a ``memoryview`` of ``blob`` saves.)
    """
    total = count + len(records)
    parts: list[Any] = [total.to_bytes(2, "little")]
    size = 2 if blob is None else len(blob)
    if blob is not None:
        parts.append(blob[2:])
    for record in records:
        if type(record) is not bytes:
            return None
        size += 2 + len(record)
        if size > _SMALL:
            return None
        parts.append(len(record).to_bytes(2, "little"))
        parts.append(record)
    return b"".join(parts)


def _counted(stored: bytes | list[Record] | None) -> int:
    """How many records a case keeps as ``stored`` (see :func:`_framed`; ``None``: none)."""
    if stored is None:
        return 0
    if type(stored) is list:
        return len(stored)
    blob: bytes = stored  # type: ignore[assignment]
    return blob[0] | blob[1] << 8


def _unframed(blob: bytes) -> list[Record]:
    """The records :func:`_framed` kept in one ``bytes``."""
    records: list[Record] = []
    at, end = 2, len(blob)
    while at < end:
        size = blob[at] | blob[at + 1] << 8
        at += 2
        records.append(blob[at : at + size])
        at += size
    return records


def _index(index: dict[str, str | list[str]], key: str, case: str) -> None:
    """Add a case to an index: the reference alone for a key's first, a list from its second."""
    found = index.get(key)
    if found is None:
        index[key] = case
    elif type(found) is list:
        found.append(case)
    else:
        index[key] = [found, case]  # type: ignore[list-item]


def _indexed(index: dict[str, str | list[str]], key: str) -> list[str]:
    found = index.get(key)
    if found is None:
        return []
    return [found] if type(found) is str else sorted(found)


def _at_least_one(name: str, value: int) -> None:
    if value < 1:
        raise ValueError(f"{name} must be at least 1, not {value}")


class MemoryStore:
    """A :class:`~disruption.engine.ports.CaseStore` in memory. Not shared between processes.

    Threads may share it: every write holds one lock from its checks to its last change.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[str, bytes | list[Record]] = {}
        """Each case's events, compact (see :func:`_compact`): while they are few and small,
        one ``bytes`` holding them all (see :func:`_framed`: no list, no object per event);
        a list of records once they outgrow it (appending stays O(1))."""
        self._codec = _Codec()
        """Numbers of the strings, actors and time zones of the events kept."""
        self._cases: dict[str, Case] = {}
        """Each case as last appended: its snapshot."""
        self._after: dict[str, list[Event]] = {}
        """The sweep's events stored after a case's snapshot (folded by the engine)."""
        self._claimed: set[tuple[str, str]] = set()
        """(case, deadline id) of every deadline recorded missed: the sweep's claims."""
        self._commands: dict[str, tuple[Any, ...]] = {}
        """Each command id's case and the indexes of its events in the case."""
        self._texts: dict[str, str] = {}
        self._children_of_texts: dict[str, str] = {}
        self._log: list[str] = []
        """Every event's case in position order: an event's position is its index plus one."""
        self._indexes = array("I")
        """Every event's index in its case, in position order (beside ``_log``)."""
        self._of_child: dict[str, str | list[str]] = {}
        """Each child's case references, in the order added (a case's child never changes):
        ``case_ids_of`` without a scan of every case (an ending reads the child's history).
        A child of one case keeps the reference alone, a list from the second case on."""
        self._of_carer: dict[str, str | list[str]] = {}
        """Each carer's case references (a placement's carer never changes): for a rule that
        counts the carer's endings (``case_ids_of_carer``)."""
        self._consumers: dict[str, int] = {}
        self._refusals: list[Refusal] = []

    def events(self, case: str) -> Sequence[Event]:
        """Return a case's events in sequence order."""
        codec = self._codec
        return tuple(_event(r, codec, case, seq) for seq, r in enumerate(self._records(case), 1))

    def _records(self, case: str) -> Sequence[Record]:
        stored = self._events.get(case)
        if stored is None:
            return ()
        return stored if type(stored) is list else _unframed(stored)  # type: ignore[arg-type]

    def _count(self, case: str) -> int:
        return _counted(self._events.get(case))

    def snapshot(self, case: str) -> Snapshot | None:
        """Return a case as last stored (the case object itself: it is immutable)."""
        found = self._cases.get(case)
        if found is None:
            return None
        after = self._after.get(case) if self._after else None
        return _NEW_SNAPSHOT(found, tuple(after) if after else (), False)

    def snapshot_unless_applied(
        self, case: str, command_id: str | None
    ) -> Snapshot | Applied | None:
        """Return :class:`Applied` when ``command_id`` is stored, else the case's snapshot."""
        if command_id is not None and command_id in self._commands:
            return Applied(command_id)
        return self.snapshot(case)

    def append(
        self,
        case: Case,
        events: Sequence[Event],
        texts: Sequence[PersonalText],
        *,
        expected_version: int,
    ) -> None:
        """Append one command's events (all or nothing).

        Args:
            case: The case after the events.
            events: The events, numbered from ``expected_version + 1``.
            texts: Free text split off the events.
            expected_version: The version the decision was based on (0 for a new case).

        Raises:
            ConcurrencyError: When the stored version is not ``expected_version``; nothing
                is written.
            DuplicateCommand: When the events' command id was applied already; nothing is
                written.
        """
        with self._lock:  # the checks and the writes (_add) in one body: one call less
            kept = self._events.get(case.id)
            stored = _counted(kept)
            if stored != expected_version:
                raise ConcurrencyError(
                    f"case {case.id} is at version {stored}, not {expected_version}",
                    expected=expected_version,
                    actual=stored,
                    case=case.id,
                )
            for e in events:
                if e.command_id is not None:
                    self._check_commands(events)
                    break
            if texts:
                new_texts = {t.ref: t.text for t in texts}
                # Everything above may fail; after the first update below nothing can.
                self._texts.update(new_texts)
                self._children_of_texts.update((t.ref, t.child) for t in texts)
            self._add(case, events, stored, kept)

    def _check_commands(self, events: Sequence[Event]) -> None:
        cases: dict[str, str] = {}
        for e in events:
            if e.command_id is None:
                continue
            if e.command_id in self._commands or cases.setdefault(e.command_id, e.case) != e.case:
                raise DuplicateCommand(
                    [e.command_id],
                    expected=e.seq - 1,
                    actual=self._count(e.case),
                    case=e.case,
                )

    def _add(
        self,
        case: Case,
        events: Sequence[Event],
        first: int | None = None,
        kept: bytes | list[Record] | None = None,
    ) -> None:
        """Add a command's events.

        ``first``: how many the case has, and ``kept``: its records as stored, when known.
        """
        case_id = case.id
        if first is None:
            kept = self._events.get(case_id)
            first = _counted(kept)
        one = len(events) == 1  # a command's one event: no list, no index to build
        if one:
            event = events[0]
            record = _compact(event, self._codec, first + 1)
            # The command id first: a thread that reads the new case (without the lock)
            # then finds its command stored, as on the SQL store, where both commit at once.
            command_id = event.command_id
            if command_id is not None:
                self._commands[command_id] = (case_id, first)
        else:
            records = self._compacted(case_id, events, first)
        if first == 0:  # a new case: indexed by its child and its carer
            file = case.file  # read once (the case's own properties read it on each call)
            _index(self._of_child, file.child, case_id)
            carer = file.placement.carer
            if carer is not None:
                _index(self._of_carer, carer, case_id)
        if one:
            self._keep_one(case_id, record, first, kept)
        else:
            self._keep(case_id, records, first, kept)
        self._cases[case_id] = case
        if self._after:
            self._after.pop(case_id, None)

    def _compacted(self, case: str, events: Sequence[Event], first: int) -> list[Record]:
        """A command's records, its command ids stored (see :meth:`_add`)."""
        codec = self._codec
        records = [_compact(e, codec, seq) for seq, e in enumerate(events, first + 1)]
        by_command: dict[str, list[Any]] = {}
        for index, e in enumerate(events, start=first):
            if e.command_id is not None:
                by_command.setdefault(e.command_id, [case]).append(index)
        self._commands.update((cid, tuple(where)) for cid, where in by_command.items())
        return records

    def _keep_one(
        self, case: str, record: Record, first: int, stored: bytes | list[Record] | None
    ) -> None:
        """:meth:`_keep` of a command's one record (every command of the procedure's own).

        Without :meth:`_keep`'s list of records and :func:`_framed`'s loop: the record after
        two bytes of its length, the count updated, while the case's records fit
        :data:`_SMALL`.
        """
        if isinstance(stored, list):
            stored.append(record)
        elif type(record) is bytes and (
            len(record) + (4 if stored is None else len(stored) + 2) <= _SMALL
        ):
            self._events[case] = (
                _FIRST.pack(1, len(record)) + record
                if stored is None
                else b"".join((_U16.pack(first + 1), stored[2:], _U16.pack(len(record)), record))
            )
        else:  # outgrown: a list from now on
            self._events[case] = [*(_unframed(stored) if stored else ()), record]
        # The index first: a reader (without the lock) bounded by the log finds it.
        self._indexes.append(first)
        self._log.append(case)

    def _keep(
        self, case: str, records: list[Record], first: int, stored: bytes | list[Record] | None
    ) -> None:
        """Keep a case's new records and give them positions.

        The case had ``first`` records, kept as ``stored`` (``None``: a new case).
        """
        if type(stored) is list:
            stored.extend(records)
        else:
            blob = _framed(stored, first, records)  # type: ignore[arg-type]
            if blob is not None:
                self._events[case] = blob
            else:  # outgrown: a list from now on
                self._events[case] = [*(_unframed(stored) if stored else ()), *records]  # type: ignore[arg-type]
        # The indexes first: a reader (without the lock) bounded by the log finds them.
        if len(records) == 1:
            self._indexes.append(first)
            self._log.append(case)
        else:
            self._indexes.extend(range(first, first + len(records)))
            self._log.extend([case] * len(records))

    def events_of_command(self, command_id: str) -> Sequence[Event]:
        """Return the events of a command by its idempotency key."""
        found = self._commands.get(command_id)
        if found is None:
            return ()
        records = self._records(found[0])
        if found[-1] >= len(records):
            # Its id is stored before its events (see _add), both under the lock: a reader
            # between the two waits for the write to finish.
            with self._lock:
                records = self._records(found[0])
        codec = self._codec
        return tuple(_event(records[i], codec, found[0], i + 1) for i in found[1:])

    def case_ids(self) -> Sequence[str]:
        """Return every case's reference, sorted."""
        return sorted(self._events)

    def case_ids_of(self, child: str) -> Sequence[str]:
        """Return the references of a child's cases, sorted."""
        return _indexed(self._of_child, child)

    def case_ids_of_carer(self, carer: str) -> Sequence[str]:
        """Return the references of the cases whose placement has this carer, sorted."""
        return _indexed(self._of_carer, carer)

    def overdue(self, on: date) -> Sequence[OverdueDeadline]:
        """Return every open deadline due before ``on``."""
        found = [
            OverdueDeadline(case.id, case.state, self._as_claimed(case.id, d))
            for case in self._cases.values()
            for d in case.overdue(on)
        ]
        return sorted(found, key=lambda o: (o.deadline.due, o.case, o.deadline.id))

    def text(self, ref: str) -> str | None:
        """Return a piece of free text by its reference."""
        return self._texts.get(ref)

    def read_after(self, position: int, limit: int = 1000) -> Sequence[StoredEvent]:
        """Return up to ``limit`` events with positions after ``position``, in order.

        Raises:
            ValueError: When ``limit`` is less than 1.
        """
        _at_least_one("limit", limit)
        start = max(position, 0)
        cases = self._log[start : start + limit]
        indexes = self._indexes[start : start + len(cases)]
        codec = self._codec
        records: dict[str, Sequence[Record]] = {}
        read: list[StoredEvent] = []
        for position, (case, index) in enumerate(zip(cases, indexes, strict=True), start + 1):
            kept = records.get(case)
            if kept is None:
                kept = records[case] = self._records(case)
            read.append(StoredEvent(position, _event(kept[index], codec, case, index + 1)))
        return tuple(read)

    def last_position(self) -> int:
        """Return the position of the last event (0 for an empty store)."""
        return len(self._log)

    def consumer_position(self, consumer: str) -> int:
        """Return the position a named consumer saved (0 if it never saved one)."""
        return self._consumers.get(consumer, 0)

    def save_consumer_position(self, consumer: str, position: int) -> None:
        """Save a named consumer's position.

        Raises:
            ValueError: When ``position`` is negative.
        """
        if position < 0:
            raise ValueError(f"a position is never negative, not {position}")
        self._consumers[consumer] = position

    def erase(self, child: str) -> int:
        """Destroy a child's free text; return how many pieces were erased."""
        refs = [ref for ref, of in self._children_of_texts.items() if of == child]
        for ref in refs:
            del self._texts[ref], self._children_of_texts[ref]
        return len(refs)

    def record_refusal(self, refusal: Refusal) -> None:
        """Write a refused access decision to the access log."""
        self._refusals.append(refusal)

    def refusals(self, limit: int = 1000) -> Sequence[Refusal]:
        """Return the access log, most recent last (the latest ``limit`` entries)."""
        return tuple(self._refusals[-limit:]) if limit > 0 else ()

    def _as_claimed(self, case: str, deadline: Deadline) -> Deadline:
        if deadline.missed_recorded or (case, deadline.id) not in self._claimed:
            return deadline
        return attrs.evolve(deadline, missed_recorded=True)

    def record_missed(
        self, on: date, *, recorded_at: datetime, build: MissedEvents, limit: int = 500
    ) -> Sequence[Event]:
        """Append one ``DeadlineMissed`` event for each open deadline due before ``on``.

        The store claims the deadlines; ``build`` decides the events, which are stored after
        the case's snapshot (the engine folds them when it loads the case).

        Args:
            on: The day to judge on.
            recorded_at: When the sweep runs.
            build: Builds a case's events (:func:`disruption.core.system.missed_events`).
            limit: The most deadlines handled at once.

        Returns:
            The events recorded, one per deadline (call again while it returns ``limit``).

        Raises:
            ValueError: When ``limit`` is less than 1.
        """
        _at_least_one("limit", limit)
        with self._lock:
            return self._record_missed(on, recorded_at, build, limit)

    def _record_missed(
        self, on: date, recorded_at: datetime, build: MissedEvents, limit: int
    ) -> Sequence[Event]:
        taken = [o for o in self.overdue(on) if not o.deadline.missed_recorded][:limit]
        by_case: dict[str, list[Deadline]] = {}
        for o in taken:
            by_case.setdefault(o.case, []).append(o.deadline)
        recorded: list[Event] = []
        for case_id in sorted(by_case):
            overdue = sorted(by_case[case_id], key=lambda d: (d.due, d.id))
            state = self._cases[case_id].state
            kept = self._events.get(case_id)
            first = _counted(kept)
            events = build(case_id, first, state, overdue, on=on, recorded_at=recorded_at)
            codec = self._codec
            records = [_compact(e, codec, seq) for seq, e in enumerate(events, first + 1)]
            self._keep(case_id, records, first, kept)
            self._after.setdefault(case_id, []).extend(events)
            self._claimed.update((case_id, d.id) for d in overdue)
            recorded.extend(events)
        return tuple(recorded)

    def bulk_append(
        self,
        cases: Iterable[NewCase],
        *,
        batch_size: int = 1000,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Append whole new cases in batches, each batch whole or not at all.

        Args:
            cases: The cases to load; one whose reference is stored already is skipped.
            batch_size: Cases per batch.
            progress: Called with the number of cases handled after each batch.

        Returns:
            How many cases were added.

        Raises:
            ValueError: When ``batch_size`` is less than 1.
            DuplicateCommand: When a batch holds a command id applied already; that batch
                is not added (those before it are).
        """
        _at_least_one("batch_size", batch_size)
        added = handled = 0
        remaining = iter(cases)
        while batch := list(islice(remaining, batch_size)):
            added += self._load(batch)
            handled += len(batch)
            if progress is not None:
                progress(handled)
        return added

    def _load(self, batch: list[NewCase]) -> int:
        with self._lock:
            return self._load_new(batch)

    def _load_new(self, batch: list[NewCase]) -> int:
        new: dict[str, NewCase] = {}
        for item in batch:
            if item.case.id not in self._events:
                new.setdefault(item.case.id, item)
        self._check_commands([e for item in new.values() for e in item.events])
        for item in new.values():
            self._texts.update((t.ref, t.text) for t in item.texts)
            self._children_of_texts.update((t.ref, t.child) for t in item.texts)
            self._add(item.case, item.events)
        return len(new)

    def close(self) -> None:
        """Nothing to release."""
