"""An immutable sequence that grows without copying what it holds: a case's long records.

A case keeps every concern raised and every deadline set. Kept as tuples, each step that
adds one copied them all, so a command on a case of 1,000 events cost about twice one on a
new case. A :class:`Chain` shares one list between a case and the cases folded from it: a
case sees the list's first ``n`` items and its own few latest items (a short tuple, which
a step may replace, as when a deadline closes); adding items appends to the shared list
when nobody has appended past ``n`` (otherwise it copies, as a tuple would). Items seen by
a case are never changed, so each case's sequence is as immutable as a tuple.

It reads and compares as a tuple: equal to a tuple with the same items, hashed the same.
:func:`appended` and :func:`replaced` keep a short sequence a plain tuple.

Since the shared list's items never change and it only grows, what a reader works out from
its first items stays true: :meth:`Chain.parts` gives the list, how much of it a chain sees
and its own tail, and the list's :attr:`Shared.memo` keeps what readers worked out (the SQL
store's snapshot keeps the JSON of the items written before, so that writing a long case's
snapshot encodes only its new items).

>>> c = appended(tuple(range(20)), (20,))
>>> type(c).__name__, len(c), c[-1], c == tuple(range(21))
('Chain', 21, 20, True)
>>> d = replaced(c, 20, -1)
>>> (c[20], d[20], d[:2])
(20, -1, (0, 1))
>>> appended((1, 2), (3,))
(1, 2, 3)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, islice
from typing import Final, TypeVar, overload

__all__ = ["Chain", "Shared", "appended", "replaced"]

T = TypeVar("T")
_new = object.__new__

SMALL: Final = 16
"""Up to this many items a record stays a plain tuple (what most cases have)."""
_TAIL: Final = 8
"""At most this many items a chain keeps in its own tuple (replaced without copying the
shared list); past it, all but the last :data:`_KEEP` go to the shared list at once."""
_KEEP: Final = 2


class Shared(list[T]):
    """The list a :class:`Chain` shares with the chains grown from it.

    Items are only ever appended to it, and never changed.

    Attributes:
        memo: What readers worked out from the list's first items, by reader (a reader
            keeps how many items its value covers: more may have been appended since).
    """

    __slots__ = ("memo",)

    def __init__(self, items: Iterable[T] = ()) -> None:
        super().__init__(items)
        self.memo: dict[object, object] = {}


class Chain(Sequence[T]):
    """An immutable sequence sharing a list with the sequences it was grown from.

    Build one with :func:`appended`; read it as a tuple.
    """

    __slots__ = ("_n", "_shared", "_tail")

    def __init__(self, items: Sequence[T] = ()) -> None:
        self._shared: Shared[T] = Shared(items)
        self._n = len(self._shared)
        self._tail: tuple[T, ...] = ()

    @classmethod
    def _made(cls, shared: Shared[T], n: int, tail: tuple[T, ...]) -> Chain[T]:
        made: Chain[T] = object.__new__(cls)
        made._shared, made._n, made._tail = shared, n, tail
        return made

    def __len__(self) -> int:
        return self._n + len(self._tail)

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[T, ...]: ...
    def __getitem__(self, index: int | slice) -> T | tuple[T, ...]:
        if isinstance(index, slice):
            return tuple(self)[index]
        n = self._n
        if index < 0:
            index += n + len(self._tail)
            if index < 0:
                raise IndexError("Chain index out of range")
        if index < n:
            return self._shared[index]
        return self._tail[index - n]

    def __iter__(self) -> Iterator[T]:
        # Never past n: the list may grow (by a later case) while this is read.
        return chain(islice(self._shared, self._n), self._tail)

    def __eq__(self, other: object) -> bool:
        if other is self:
            return True
        if isinstance(other, (Chain, tuple)):
            return len(self) == len(other) and tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"Chain({tuple(self)!r})"

    def __add__(self, other: Sequence[T]) -> Chain[T]:
        return self.appended(tuple(other))

    def __reduce__(self) -> tuple[type[Chain[T]], tuple[tuple[T, ...]]]:
        return (Chain, (tuple(self),))

    def appended(self, items: tuple[T, ...]) -> Chain[T]:
        """Return the sequence with ``items`` after its own."""
        tail = self._tail + items
        if len(tail) <= _TAIL:  # the usual step: a new chain sharing the list
            made: Chain[T] = _new(Chain)
            made._shared = self._shared
            made._n = self._n
            made._tail = tail
            return made
        moving, tail = tail[:-_KEEP], tail[-_KEEP:]
        shared, n = self._shared, self._n
        if len(shared) == n:
            shared.extend(moving)  # one call under the GIL: nobody else's items between
            # Another thread may have grown the list first: then these are not ours.
            if all(shared[n + i] is item for i, item in enumerate(moving)):
                return Chain._made(shared, n + len(moving), tail)
        return Chain._made(Shared([*islice(shared, n), *moving]), n + len(moving), tail)

    def parts(self) -> tuple[Shared[T], int, tuple[T, ...]]:
        """Return the shared list, how many of its first items are this chain's, its tail.

        The chain is the list's first ``n`` items then the tail. The list may hold more
        items (appended by chains grown from this one's ancestors); those are not this
        chain's.
        """
        return self._shared, self._n, self._tail

    def replaced(self, index: int, item: T) -> Chain[T]:
        """Return the sequence with the item at ``index`` (from 0) replaced."""
        n = self._n
        if index < 0:
            index += n + len(self._tail)
        if index >= n:
            at = index - n
            tail = self._tail
            return Chain._made(self._shared, n, (*tail[:at], item, *tail[at + 1 :]))
        items = list(self)  # an old item: copied, as a tuple would be
        items[index] = item
        return Chain(items)


def appended(records: Sequence[T], items: tuple[T, ...]) -> Sequence[T]:
    """Return ``records`` with ``items`` after them: a tuple while short, then a chain.

    Args:
        records: A tuple or a :class:`Chain`.
        items: The items to add.

    Returns:
        The longer sequence; ``records`` is unchanged.
    """
    if type(records) is Chain:
        return records.appended(items)
    if len(records) + len(items) <= SMALL:
        return (*records, *items)
    return Chain(records).appended(items)


def replaced(records: Sequence[T], index: int, item: T) -> Sequence[T]:
    """Return ``records`` with the item at ``index`` (from 0) replaced by ``item``.

    Args:
        records: A tuple or a :class:`Chain`.
        index: Where the item is.
        item: Its replacement.

    Returns:
        The new sequence; ``records`` is unchanged.
    """
    if type(records) is Chain:
        return records.replaced(index, item)
    return (*records[:index], item, *records[index + 1 :])
