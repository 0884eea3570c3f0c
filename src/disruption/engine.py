"""The engine: the imperative shell around the pure core.

It only loads a case (a replay of its stored events), decides the command, appends the events
and publishes them to subscribers after they are stored. The steps in between (a repeated
command's earlier outcome, the decision, the logs) are in :mod:`disruption.engine_commands`.

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

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date

from disruption import logs
from disruption.calendar import DEFAULT_CALENDAR, WorkingCalendar
from disruption.clock import Clock, SystemClock
from disruption.commands import Command
from disruption.definition import Procedure, Recorder
from disruption.engine_commands import (
    ACCESS_DECISIONS as ACCESS_DECISIONS,  # still importable from here
)
from disruption.engine_commands import (
    Outcome,
    decide_command,
    earlier_outcome,
    log_applied,
)
from disruption.events import Event
from disruption.exceptions import ConcurrencyError, UnknownCase, UnknownProcedure
from disruption.fold import BOOKKEEPING, evolve, replay
from disruption.migrate import MIGRATED, MIGRATOR, Plan
from disruption.model import Actor, Case, ProcedureRef
from disruption.standard import STANDARD
from disruption.store.base import CaseStore, OverdueDeadline

__all__ = ["Engine", "Outcome", "Subscriber"]


def _procedure_ref(opening: Event) -> ProcedureRef:
    procedure = opening.data["procedure"]
    return ProcedureRef(procedure["name"], procedure["version"])


def _foldable(after: Sequence[Event]) -> bool:
    """Whether events stored after a snapshot may be folded onto it (bookkeeping only)."""
    return all(e.type in BOOKKEEPING for e in after)


logger = logs.get_logger("disruption.engine")

Subscriber = Callable[[Event], None]
"""Called with each event once it is stored."""


class Engine:
    """Runs commands against cases in a store.

    Args:
        store: Where cases are kept.
        procedure: The current procedure: new cases are opened under it.
        procedures: Older versions that cases opened earlier are still decided by.
        calendar: Working days for timescales.
        clock: Tells when commands are recorded.
        retries: How often a command is decided again after a concurrent change.
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
    ) -> None:
        self.store = store
        self.procedure = procedure
        self._procedures = {(p.name, p.version): p for p in (*procedures, procedure)}
        self.calendar = calendar
        self.clock: Clock = clock if clock is not None else SystemClock()
        self._subscribers: list[Subscriber] = []
        self.retries = retries

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
        for _ in range(self.retries + 1):
            earlier = earlier_outcome(self.store, command, self._records)
            if earlier is not None:
                return earlier
            case = self.load(command.case)
            procedure = self.procedure if case is None else self.procedure_of(case.procedure)
            decision = decide_command(
                procedure,
                case,
                command,
                calendar=self.calendar,
                clock=self.clock,
                store=self.store,
                conflict=conflict,
            )
            try:
                self.store.append(
                    decision.case,
                    decision.events,
                    decision.texts,
                    expected_version=0 if case is None else case.version,
                )
            except ConcurrencyError as err:
                conflict = err
                logger.info("command.retried", case=command.case, command=command.name)
                continue
            log_applied(case, decision.case, command)
            self.publish(decision.events)
            return Outcome(decision.case, decision.events)
        assert conflict is not None
        raise conflict.in_context(case=command.case, command=command.name, state=None)

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
            events = self.store.record_missed(on, recorded_at=self.clock.now(), limit=batch)
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
        from disruption.migrate import run_migration

        self._procedures[(to.name, to.version)] = to
        return run_migration(self, to, mapping, actor=actor, dry_run=dry_run)

    def erase(self, child: str, *, actor: Actor | None = None) -> int:
        """Erase a child's free text for good, and record the erasure in each case's history.

        Each of the child's cases first gets a ``PersonalDataErased`` event (bookkeeping: the
        state and the last step are unchanged), so the erasure is in the tamper-evident
        history; then the store destroys the child's key and text. The events, deadlines
        and every figure of the analysis stay as they were.

        Args:
            child: The child's pseudonymous reference.
            actor: Who erases (a system actor by default).

        Returns:
            How many pieces of free text were erased.
        """
        from disruption.erasure import erase

        return erase(self, child, actor=actor)

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
        snapshot = self.store.snapshot(case_id)
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
