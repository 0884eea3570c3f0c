"""The engine: the imperative shell around the pure core.

It only loads a case (a replay of its stored events), decides the command, appends the events
and publishes them to subscribers after they are stored. The steps in between are functions
here: a command whose ``id`` was applied before gets its original outcome back
(:func:`earlier_outcome`), also when that delivery committed while this one was being decided;
a refusal is logged, and written to the store's access log when it is an access decision
(:func:`refuse`).

>>> from datetime import datetime, timezone
>>> from disruption import Command, Engine, FixedClock, MemoryStore
>>> at = datetime(2025, 12, 23, 10, tzinfo=timezone.utc)
>>> engine = Engine(MemoryStore(), clock=FixedClock(at))
>>> sw = {"id": "sw-17", "role": "social_worker"}
>>> engine.handle(Command.from_json({"case": "P-1", "command": "open_case",
...     "at": at.isoformat(), "actor": sw, "data": {"child": "C-1", "placement": {
...     "id": "PL-1", "type": "U1", "provider": "PR1", "start": "2025-01-06",
...     "location": "in_borough"}}})).case.state
'placed'
>>> outcome = engine.handle(Command.from_json({"case": "P-1", "command": "raise_concern",
...     "at": at.isoformat(), "actor": sw,
...     "data": {"category": "carer_difficulty", "raised_by": "carer"}}))
>>> outcome.case.state, [(d.name, d.due.isoformat()) for d in outcome.case.open_deadlines()]
('concern_raised', [('screening', '2025-12-29')])
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import NoReturn

import attrs

from disruption import logs
from disruption.core.decide import decide
from disruption.core.fold import evolve, replay
from disruption.core.migrate import Plan, plan_migration
from disruption.core.system import (
    BOOKKEEPING,
    ERASER,
    MIGRATED,
    MIGRATOR,
    erasure_due,
    erasure_event,
    migration_event,
    missed_events,
)
from disruption.domain.calendar import DEFAULT_CALENDAR, WorkingCalendar
from disruption.domain.clock import CLOCK_TOLERANCE, Clock, SystemClock
from disruption.domain.commands import Command
from disruption.domain.events import Event
from disruption.domain.history import History
from disruption.domain.model import Actor, Case, ProcedureRef, filled
from disruption.engine.history import load_history
from disruption.engine.ports import (
    AccessLog,
    Applied,
    CaseStore,
    EventLog,
    OverdueDeadline,
    Refusal,
    Snapshot,
)
from disruption.exceptions import (
    ChairNotIndependent,
    CommandError,
    ConcurrencyError,
    PermissionRefused,
    UnknownCase,
    UnknownProcedure,
)
from disruption.procedure.definition import Procedure, Recorder
from disruption.procedure.standard import SHIPPED, STANDARD

__all__ = ["ACCESS_DECISIONS", "Engine", "Outcome", "Subscriber"]


logger = logs.get_logger("disruption.engine")
migrate_logger = logs.get_logger("disruption.migrate")
erasure_logger = logs.get_logger("disruption.erasure")

ACCESS_DECISIONS = (PermissionRefused, ChairNotIndependent)
"""Refusals written to the store's access log: a role not allowed (a backdated entry
without a manager role included), a chair who is not independent."""


@attrs.frozen
class Outcome:
    """The result of a command: the case after it, and the events it appended.

    Attributes:
        duplicate: ``True`` when the command's id had been applied before, so nothing was
            appended and ``events`` are the original ones.
    """

    case: Case
    events: tuple[Event, ...]
    duplicate: bool = False


_NEW_OUTCOME = filled(Outcome)
"""``Outcome(...)`` of every field by position: one is built on every command."""


def earlier_outcome(
    store: EventLog,
    command: Command,
    records: Callable[[Sequence[Event]], Mapping[str, Recorder]],
) -> Outcome | None:
    """The outcome of a command whose ``id`` was applied before, or ``None``.

    Args:
        store: Where the case is kept.
        command: The command.
        records: The recorders for a case's events.

    Returns:
        The case as it stood after the command's events, and those events, marked duplicate.
    """
    if command.id is None:
        return None
    earlier = tuple(store.events_of_command(command.id))
    if not earlier:
        return None
    events = store.events(earlier[0].case)
    case = replay((e for e in events if e.seq <= earlier[-1].seq), records(events))
    assert case is not None
    return Outcome(case, earlier, duplicate=True)


def refuse(
    store: AccessLog,
    clock: Clock,
    command: Command,
    err: CommandError,
    conflict: ConcurrencyError | None,
) -> NoReturn:
    """Log a refused command (and write an access decision to the store), and raise.

    Raises:
        CommandError: ``err``, when the case was read once.
        ConcurrencyError: When it is refused after a concurrent change (``conflict``), with
            the refusal as its ``__cause__``.
    """
    if isinstance(err, ACCESS_DECISIONS):
        _log_refusal(store, clock, command, err)
    logger.info(
        "command.refused",
        case=command.case,
        command=command.name,
        state=err.state,
        error=type(err).__name__,
    )
    if conflict is None:
        raise err
    raise ConcurrencyError(
        f"case {command.case} changed while {command.name} was applied, and it no "
        f"longer applies: {err}",
        expected=conflict.expected,
        actual=conflict.actual,
        case=command.case,
        command=command.name,
        state=err.state,
    ) from err


def _log_refusal(store: AccessLog, clock: Clock, command: Command, err: CommandError) -> None:
    store.record_refusal(
        Refusal(
            at=command.at,
            recorded_at=clock.now(),
            case=command.case,
            command=command.name,
            actor_id=command.actor.id,
            actor_role=command.actor.role.value,
            error=type(err).__name__,
            state=err.state,
        )
    )


def log_applied(before: Case | None, after: Case, command: Command) -> None:
    """Log an applied command: the case, the command, and the states it went between.

    Written on every command: its fields are not worked out when the line would be dropped.
    """
    if not logger.enabled(logging.INFO):
        return
    logger.info(
        "command.applied",
        case=command.case,
        command=command.name,
        from_state=None if before is None else before.state,
        to_state=after.state,
        version=after.version,
    )


def _procedure_ref(opening: Event) -> ProcedureRef:
    procedure = opening.data["procedure"]
    return ProcedureRef(procedure["name"], procedure["version"])


def _foldable(after: Sequence[Event]) -> bool:
    """Whether events stored after a snapshot may be folded onto it (bookkeeping only)."""
    return all(e.type in BOOKKEEPING for e in after)


Subscriber = Callable[[Event], None]
"""Called with each event once it is stored."""


class Engine:
    """Runs commands against cases in a store.

    Args:
        store: Where cases are kept.
        procedure: The current procedure: new cases are opened under it.
        procedures: Older versions that cases opened earlier are still decided by (every
            shipped version of the standard procedure is known without being given).
        calendar: Working days for timescales.
        clock: Tells when commands are recorded.
        retries: How often a command is decided again after a concurrent change.
        clock_tolerance: How far a step's ``at`` may be after the clock's ``now``
            (:data:`~disruption.domain.clock.CLOCK_TOLERANCE` by default); ``None`` checks
            nothing (for replaying steps whose entry time is not known).
    """

    def __init__(
        self,
        store: CaseStore,
        *,
        procedure: Procedure = STANDARD,
        procedures: Iterable[Procedure] = (),
        calendar: WorkingCalendar = DEFAULT_CALENDAR,
        clock: Clock | None = None,
        retries: int = 3,
        clock_tolerance: timedelta | None = CLOCK_TOLERANCE,
    ) -> None:
        self.store = store
        self.procedure = procedure
        self._procedures = {(p.name, p.version): p for p in (*SHIPPED, *procedures, procedure)}
        self.calendar = calendar
        self.clock: Clock = clock if clock is not None else SystemClock()
        self._subscribers: list[Subscriber] = []
        self.retries = retries
        self.clock_tolerance = clock_tolerance

    def subscribe(self, subscriber: Subscriber) -> None:
        """Call ``subscriber`` with every event after it is stored."""
        self._subscribers.append(subscriber)

    def procedure_of(self, ref: ProcedureRef) -> Procedure:
        """Return the definition a case was opened under.

        Raises:
            UnknownProcedure: When the engine was not given that version.
        """
        try:
            return self._procedures[(ref.name, ref.version)]
        except KeyError:
            raise UnknownProcedure(ref.name, ref.version) from None

    def handle(self, command: Command) -> Outcome:
        """Decide a command and store its events; a refused command writes nothing.

        When another writer changed the case in between (a :class:`ConcurrencyError` from the
        store), the command is decided again on the fresh case, up to :attr:`retries` times.

        A command whose ``id`` is stored already is answered with its original outcome,
        whether that delivery committed before this call or during it (its events stored
        after this one looked the id up: this one is refused by the changed case, or its
        append by the store's :class:`~disruption.exceptions.DuplicateCommand`). So the same
        command delivered by several processes at once is applied once, and every delivery
        is answered.

        Args:
            command: The command.

        Returns:
            The case after the command and the events appended; for a command whose ``id``
            was applied before, the original result with ``duplicate=True``.

        Raises:
            CommandError: When the command is refused (the case is unchanged).
            ConcurrencyError: When the case kept changing, or the command no longer applies
                to the changed case (the refusal is its ``__cause__``).
        """
        conflict: ConcurrencyError | None = None
        store = self.store
        # A refusal on a case the store answered from memory (Snapshot.cached) stands only
        # if the case as stored refuses it too: then it is decided again on a fresh read.
        reread = False
        tries = 0
        while tries <= self.retries:
            # One read: whether the id is stored, else the case (two round trips a command,
            # with the append, on a server); none when the store answers from memory.
            fresh, reread = reread, False
            found = (
                store.snapshot(command.case)
                if fresh
                else store.snapshot_unless_applied(command.case, command.id)
            )
            if type(found) is Snapshot and not found.after and found.case is not None:
                case: Case | None = found.case  # the common read: a snapshot to trust as is
            elif found is None:
                case = None  # no such case: one opened, or refused by decide
            else:
                if isinstance(found, Applied):
                    earlier = earlier_outcome(store, command, self._records)
                    if earlier is not None:
                        return earlier
                    found = store.snapshot(command.case)  # pragma: no cover - ids stay
                case = self._from_snapshot(command.case, found)
            procedure = (
                self._opening(command) if case is None else self.procedure_of(case.procedure)
            )
            try:
                decision = decide(
                    procedure,
                    case,
                    command,
                    calendar=self.calendar,
                    recorded_at=self.clock.now(),
                    tolerance=self.clock_tolerance,
                    history=None if case is None else self._history(procedure, case, command),
                )
            except CommandError as err:
                # Another delivery of the command may have committed after its id was looked
                # up: the case read then is past it, and refuses it. It is a duplicate.
                earlier = earlier_outcome(self.store, command, self._records)
                if earlier is not None:
                    return earlier
                if not fresh and type(found) is Snapshot and found.cached:
                    # Decided on the case as this store last wrote it, which another
                    # process may have changed since: decided again on the stored case.
                    reread = True
                    continue
                refuse(self.store, self.clock, command, err, conflict)
            try:
                self.store.append(
                    decision.case,
                    decision.events,
                    decision.texts,
                    expected_version=0 if case is None else case.version,
                )
            except ConcurrencyError as err:  # DuplicateCommand too: answered at the top
                conflict = err
                tries += 1
                logger.info("command.retried", case=command.case, command=command.name)
                continue
            log_applied(case, decision.case, command)
            self.publish(decision.events)
            return _NEW_OUTCOME(decision.case, decision.events, False)
        earlier = earlier_outcome(self.store, command, self._records)
        if earlier is not None:
            return earlier
        assert conflict is not None
        raise conflict.in_context(case=command.case, command=command.name, state=None)

    def _opening(self, command: Command) -> Procedure:
        """The definition a new case opens under: the engine's, or the one its data names.

        ``open_case`` may name a procedure (``"procedure": "adoption"``): the latest version
        of that name the engine knows (the shipped variants, and those it was given). A name
        it does not know is refused when the command is decided (``InvalidData`` on
        ``procedure``).
        """
        wanted = command.data.get("procedure") if command.name == "open_case" else None
        if not isinstance(wanted, str) or wanted == self.procedure.name:
            return self.procedure
        versions = [p for (name, _), p in self._procedures.items() if name == wanted]
        return max(versions, key=lambda p: p.version) if versions else self.procedure

    def _history(self, procedure: Procedure, case: Case, command: Command) -> History | None:
        """The placement history, for a command on a case that needs it (else ``None``, unread)."""
        try:
            spec = procedure.command(command.name)
        except CommandError:
            return None  # refused by decide, with its own error
        if not spec.history:
            return None
        carer = procedure.rules.triggers.carer_unplanned is not None
        return load_history(self.store, case, self.load, carer=carer)

    def publish(self, events: Iterable[Event]) -> None:
        """Call every subscriber with each event (after it is stored)."""
        for event in events:
            for subscriber in self._subscribers:
                subscriber(event)

    def tick(self, on: date, *, batch: int = 500) -> int:
        """Record a ``DeadlineMissed`` event once for every deadline overdue on ``on``.

        Safe to run from several processes at once: each missed deadline is recorded once.

        Args:
            on: The day to judge on (deadlines due before it are missed).
            batch: Deadlines handled per transaction.

        Returns:
            How many deadlines were recorded missed.
        """
        total = 0
        while True:
            events = self.store.record_missed(
                on, recorded_at=self.clock.now(), build=missed_events, limit=batch
            )
            total += len(events)
            self.publish(events)
            if len(events) < batch:
                break
        logger.info("deadlines.swept", on=on.isoformat(), count=total)
        return total

    def migrate(
        self,
        to: Procedure,
        mapping: Mapping[str, str],
        *,
        actor: Actor = MIGRATOR,
        dry_run: bool = False,
    ) -> Plan:
        """Move every open case of the store to the definition ``to``, recorded per case.

        The migration is planned and checked for every case first; if it cannot run, nothing
        is written. Each move is appended with the case's version, so a case changed in
        between is refused (``ConcurrencyError``) rather than moved on stale state.

        Args:
            to: The new definition (the engine learns it, if it did not know it).
            mapping: Old state -> new state; unmapped states keep their names.
            actor: Who runs the migration.
            dry_run: Plan and check only.

        Returns:
            The plan that ran (or would run).

        Raises:
            DefinitionError: Listing every reason the migration cannot run.
            UnknownProcedure: A case was opened under a definition the engine was not given.
        """
        self._procedures[(to.name, to.version)] = to
        cases = [self.case(case_id) for case_id in self.store.case_ids()]
        plan = plan_migration(
            cases,
            to,
            mapping,
            finished=lambda c: c.state in self.procedure_of(c.procedure).final_states,
        )
        plan.check()
        if dry_run:
            return plan
        at = self.clock.now()
        for move in plan.moves:
            event = migration_event(move.case, move.to_state, to, mapping, at=at, actor=actor)
            after = evolve(move.case, event, to.records)
            self.store.append(after, (event,), (), expected_version=move.case.version)
            self.publish((event,))
        migrate_logger.info(
            "procedure.migrated", to=to.name, version=to.version, cases=len(plan.moves)
        )
        return plan

    def erase(self, child: str, *, actor: Actor | None = None) -> int:
        """Erase a child's free text for good, and record the erasure in each case's history.

        Each of the child's cases first gets a ``PersonalDataErased`` event (bookkeeping: the
        state and the last step are unchanged), so the erasure is in the tamper-evident
        history; then the store destroys the child's key and text. The events, deadlines
        and every figure of the analysis stay as they were. Erasing again records nothing
        new: a case whose last erasure no free text followed gets no second event
        (:func:`~disruption.core.system.erasure_due`), and the store destroys whatever is
        left (nothing).

        Args:
            child: The child's pseudonymous reference.
            actor: Who erases (a system actor by default).

        Returns:
            How many pieces of free text were erased.
        """
        at = self.clock.now()
        for case_id in self.store.case_ids_of(child):
            if not erasure_due(self.store.events(case_id)):
                continue  # erased already, and no free text since
            case = self.case(case_id)
            event = erasure_event(case, child, at=at, actor=actor or ERASER)
            after = evolve(case, event, self.procedure_of(case.procedure).records)
            self.store.append(after, (event,), (), expected_version=case.version)
            self.publish((event,))
        erased = self.store.erase(child)
        erasure_logger.info("personal_data.erased", count=erased)
        return erased

    def load(self, case_id: str) -> Case | None:
        """Return a case as stored, or ``None`` if there is none.

        The store's snapshot of the case is used when it can be trusted: written in the
        current snapshot format and event schema, under a definition this engine knows by the
        same name and version, with at most bookkeeping events (a sweep's, an erasure's)
        stored after it, which are folded onto it. Otherwise the case is rebuilt from all its
        events (:meth:`replay`).

        Raises:
            UnknownProcedure: When the engine was not given the case's definition.
        """
        return self._from_snapshot(case_id, self.store.snapshot(case_id))

    def _from_snapshot(self, case_id: str, snapshot: Snapshot | None) -> Case | None:
        """The case from its stored snapshot, as :meth:`load` returns it."""
        if snapshot is None:
            return None
        case, after = snapshot.case, snapshot.after
        if case is None or (after and not _foldable(after)):
            return self.replay(case_id)
        procedure = self.procedure_of(case.procedure)  # as a replay would: known, or refused
        for event in after:
            case = evolve(case, event, procedure.records)
        return case

    def replay(self, case_id: str) -> Case | None:
        """Return a case rebuilt from all its stored events, or ``None`` if there is none."""
        events = self.store.events(case_id)
        if not events:
            return None
        return replay(events, self._records(events))

    def _records(self, events: Sequence[Event]) -> Mapping[str, Recorder]:
        """The recorders for a case's events.

        Its opening definition's, and after a migration those of every definition it moved to.
        """
        records = self.procedure_of(_procedure_ref(events[0])).records
        migrations = [e.data["to"] for e in events if e.type == MIGRATED]
        if not migrations:
            return records
        merged = dict(records)
        for to in migrations:
            merged.update(self.procedure_of(ProcedureRef(to["name"], to["version"])).records)
        return merged

    def case(self, case_id: str) -> Case:
        """Return a case.

        Raises:
            UnknownCase: When there is no such case.
        """
        case = self.load(case_id)
        if case is None:
            raise UnknownCase(f"no case {case_id}", case=case_id)
        return case

    def history(self, case_id: str) -> Sequence[Event]:
        """Return a case's events, oldest first."""
        return self.store.events(case_id)

    def overdue(self, on: date) -> Sequence[OverdueDeadline]:
        """Return the open deadlines due before ``on``, from the stored deadlines."""
        return self.store.overdue(on)
