"""The persistent sequence a case's long records are kept in: a tuple in all but cost."""

from __future__ import annotations

import pickle
import threading
from collections.abc import Sequence

from hypothesis import given
from hypothesis import strategies as st

from disruption.domain.chain import SMALL, Chain, Shared, appended, replaced

# An operation: (which earlier version to start from, append n items | replace at i).
_OPS = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=1_000),
        st.one_of(
            st.tuples(st.just("append"), st.integers(min_value=1, max_value=12)),
            st.tuples(st.just("replace"), st.integers(min_value=0, max_value=1_000)),
        ),
    ),
    max_size=60,
)


@given(_OPS)
def test_every_version_reads_as_the_tuple_it_stands_for(
    ops: list[tuple[int, tuple[str, int]]],
) -> None:
    """Growing and changing any earlier version (a fork) never changes another; a chain's
    part of its shared list never changes either (what readers keep in its memo relies on it)."""
    versions: list[tuple[Sequence[int], tuple[int, ...]]] = [((), ())]
    seen: list[tuple[Shared[int], int, tuple[int, ...]]] = []
    counter = 0
    for start, (op, arg) in ops:
        seq, model = versions[start % len(versions)]
        if op == "append":
            items = tuple(range(counter, counter + arg))
            counter += arg
            seq, model = appended(seq, items), model + items
        elif model:
            at = arg % len(model)
            counter += 1
            seq, model = replaced(seq, at, -counter), (*model[:at], -counter, *model[at + 1 :])
        versions.append((seq, model))
        if isinstance(seq, Chain):
            shared, n, tail = seq.parts()
            assert type(shared) is Shared
            assert (*shared[:n], *tail) == model
            seen.append((shared, n, tuple(shared[:n])))
    for shared, n, items in seen:
        assert tuple(shared[:n]) == items
    for seq, model in versions:
        assert seq == model
        assert model == seq
        assert tuple(seq) == model
        assert len(seq) == len(model)
        assert [seq[i] for i in range(-len(model), len(model))] == [*model, *model]
        assert seq[1:-1] == model[1:-1]
        assert hash(seq) == hash(model)


def test_a_long_record_is_a_chain_and_a_short_one_a_tuple() -> None:
    short = appended((), tuple(range(SMALL)))
    long = appended(short, (SMALL,))
    assert type(short) is tuple
    assert type(long) is Chain
    assert long != short
    assert long != list(long)  # as a tuple: never equal to a list
    assert pickle.loads(pickle.dumps(long)) == long
    assert repr(Chain((1, 2))) == "Chain((1, 2))"
    assert long + (99,) == (*range(SMALL + 1), 99)  # noqa: RUF005 (Chain.__add__)


def test_the_shared_list_is_not_copied_while_it_grows_in_line() -> None:
    seq: Sequence[int] = ()
    for i in range(200):
        seq = appended(seq, (i,))
    assert isinstance(seq, Chain)
    first = seq._shared
    for i in range(200, 400):
        seq = appended(seq, (i,))
    assert isinstance(seq, Chain)
    assert seq._shared is first
    assert seq == tuple(range(400))


def test_threads_growing_one_version_each_keep_their_own_items() -> None:
    base = appended((), tuple(range(40)))
    results: list[Sequence[int]] = []

    def grow(mark: int) -> None:
        seq = base
        for i in range(50):
            seq = appended(seq, (mark * 1_000 + i,))
        results.append(seq)

    threads = [threading.Thread(target=grow, args=(m,)) for m in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(tuple(r) for r in results) == sorted(
        (*range(40), *(m * 1_000 + i for i in range(50))) for m in range(1, 5)
    )
    assert base == tuple(range(40))
