"""The tamper-evident chain of stored events, and its check.

Every event row carries ``hash``: SHA-256 of the previous row's hash and the row's own
columns (JSON, keys sorted), the first row chained to :data:`GENESIS`. A row changed,
removed, inserted or reordered outside the library breaks the chain at that position, and
:func:`verify` names the first broken one. The chain proves the history was not altered
behind the library's back. Rows removed at the end leave no break in the chain, so
:func:`completeness` checks the positions against the store's counter and every case's
version against its events. None of this stops someone with write access from rewriting the
whole chain (counter and versions included), so an authority should keep the chain's head
(``disruption verify`` prints it as ``POSITION:HASH``) somewhere else too, and check against
it with :func:`expectations` (``disruption verify --expect POSITION:HASH``).

Example:
    >>> from disruption.store.sql.audit import GENESIS, link
    >>> link(GENESIS, {"position": 1, "type": "CaseOpened"})[:12]
    'd76e83c92d9e'
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import orjson

__all__ = [
    "GENESIS",
    "CaseCount",
    "Verification",
    "completeness",
    "expectations",
    "link",
    "verify_rows",
]

GENESIS = "0" * 64
"""What the first event is chained to."""


def link(previous: str, row: Mapping[str, Any]) -> str:
    """The hash of an event row chained to the one before it.

    Args:
        previous: The previous row's hash (:data:`GENESIS` for the first).
        row: The row's columns but ``hash``.

    Returns:
        64 hexadecimal digits.
    """
    plain = type(row) is dict and "hash" not in row
    fields = row if plain else {k: v for k, v in row.items() if k != "hash"}
    try:
        # orjson writes what json.dumps(sort_keys=True, ensure_ascii=False,
        # separators=(",", ":")) writes for the text, integers and nulls of a row, faster.
        body = orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        text = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        body = text.encode()
    return hashlib.sha256(previous.encode() + b"\n" + body).hexdigest()


@attrs.frozen
class Verification:
    """What :func:`verify_rows` found.

    Attributes:
        checked: Rows checked (up to the first broken one).
        broken_at: The first position where the chain breaks, or ``None``.
        problem: What is wrong there, in words.
        last_hash: The hash of the last row checked (keep it elsewhere to detect rewrites).
        problems: Everything found wrong, one line each: the broken link, positions missing
            against the counter, cases without all their events, hashes not as expected.
        counter: The store's position counter, when it was read.
    """

    checked: int
    broken_at: int | None = None
    problem: str = ""
    last_hash: str = GENESIS
    problems: tuple[str, ...] = ()
    counter: int | None = None

    @property
    def ok(self) -> bool:
        """Whether the whole chain holds, and nothing is missing from it."""
        return self.broken_at is None and not self.problems

    @property
    def head(self) -> str:
        """The last row checked as ``POSITION:HASH``, what ``verify --expect`` takes."""
        return f"{self.checked}:{self.last_hash}"


@attrs.frozen
class CaseCount:
    """A case's version in the ``cases`` table beside the events stored for it.

    Attributes:
        case: The case's id.
        version: Its version (``None`` when events name a case that has no row).
        events: How many events are stored for it.
        last_seq: The highest ``seq`` among them (0 for none).
    """

    case: str
    version: int | None
    events: int
    last_seq: int


def verify_rows(rows: Iterable[Mapping[str, Any]]) -> Verification:
    """Check event rows, in position order, against their chain.

    Args:
        rows: Every column of every event row (``hash`` included), ordered by position.

    Returns:
        The verification: at the first broken position, what is wrong.
    """
    previous, expected, checked = GENESIS, 1, 0
    for row in rows:
        position = int(row["position"])
        if position != expected:
            problem = (
                f"position {expected} is missing: a row was removed"
                if position > expected
                else f"position {position} comes again after {expected - 1}"
            )
            return _broken(checked, expected, problem, previous)
        if row.get("hash") != link(previous, row):
            problem = (
                f"the row at position {position} was changed, inserted or moved outside disruption"
            )
            return _broken(checked, position, problem, previous)
        previous, expected, checked = str(row["hash"]), expected + 1, checked + 1
    return Verification(checked, None, "", previous)


def _broken(checked: int, at: int, problem: str, previous: str) -> Verification:
    return Verification(checked, at, problem, previous, (f"broken at position {at}: {problem}",))


def _span(first: int, last: int) -> str:
    return f"event {first:,} is" if first == last else f"events {first:,}-{last:,} are"


def completeness(
    verified: Verification,
    counter: int,
    cases: Iterable[CaseCount],
    later: tuple[int, int] = (0, 0),
) -> Verification:
    """Add to a verification what is missing against the counter and the cases' versions.

    Rows deleted from the end of the events leave the chain unbroken; the store's position
    counter still says how many there were, and each case's version how many are its own.

    Args:
        verified: What :func:`verify_rows` found for the rows up to ``counter``.
        counter: The store's position counter (the last position it handed out).
        cases: Every case's version beside its events, read with ``counter``.
        later: The counter and the highest stored position, read together after the rows: a
            row past the counter was put there outside disruption.

    Returns:
        The verification with ``counter`` set and one problem more for each thing missing.

    Example:
        >>> done = verify_rows([])
        >>> completeness(done, 3, [CaseCount("C-1", 3, 0, 0)]).problems
        ('events 1-3 are missing: the counter says 3', 'case C-1 at version 3 has 0 events')
    """
    found: list[str] = []
    if verified.ok and verified.checked < counter:
        gone = _span(verified.checked + 1, counter)
        found.append(f"{gone} missing: the counter says {counter:,}")
    if later[1] > later[0]:
        found.append(
            f"events past the counter's {later[0]:,} (up to {later[1]:,}) were put there "
            "outside disruption"
        )
    for c in sorted(cases, key=lambda c: c.case):
        if c.version is None:
            found.append(f"case {c.case} has {c.events:,} events but no case row")
        elif c.events != c.version or c.last_seq != c.version:
            last = f", the last {c.last_seq}" if c.events and c.last_seq != c.events else ""
            found.append(f"case {c.case} at version {c.version} has {c.events} events{last}")
    return attrs.evolve(verified, problems=(*verified.problems, *found), counter=counter)


def expectations(
    verified: Verification, expected: Sequence[tuple[int, str]], held: Mapping[int, str]
) -> Verification:
    """Add to a verification the hashes kept elsewhere that the store does not hold.

    Args:
        verified: What :func:`verify_rows` (and :func:`completeness`) found.
        expected: Positions and the chain hash kept for each (``verify --expect``).
        held: The stored hash at each of those positions the chain reached intact.

    Returns:
        The verification with one problem more for each hash not as kept.

    Example:
        >>> done = Verification(2, last_hash="ab" * 32)
        >>> expectations(done, [(2, "cd" * 32), (5, "ef" * 32)], {2: "ab" * 32}).problems[1]
        'event 5 is missing: a hash was kept for it (efefefefefef...)'
    """
    found: list[str] = []
    for position, want in expected:
        have = held.get(position)
        if verified.broken_at is not None and position >= verified.broken_at:
            found.append(f"event {position:,} not checked: the chain breaks before it")
        elif have == want:
            continue
        elif have is not None:
            found.append(
                f"event {position:,} has hash {have[:12]}..., not the {want[:12]}... kept: "
                "the chain was rewritten"
            )
        else:
            found.append(f"event {position:,} is missing: a hash was kept for it ({want[:12]}...)")
    return attrs.evolve(verified, problems=(*verified.problems, *found))
