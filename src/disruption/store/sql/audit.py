"""The tamper-evident chain of stored events, and its check.

Every event row carries ``hash``: SHA-256 of the previous row's hash and the row's own
columns (JSON, keys sorted), the first row chained to :data:`GENESIS`. A row changed,
removed, inserted or reordered outside the library breaks the chain at that position, and
:func:`verify` names the first broken one. The chain proves the history was not altered
behind the library's back; it does not stop someone with write access from rewriting the
whole chain, so an authority should keep the latest hash (``disruption verify`` prints it)
somewhere else too.

Example:
    >>> from disruption.store.sql.audit import GENESIS, link
    >>> link(GENESIS, {"position": 1, "type": "CaseOpened"})[:12]
    'd76e83c92d9e'
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import orjson

__all__ = ["GENESIS", "Verification", "link", "verify_rows"]

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
    """

    checked: int
    broken_at: int | None = None
    problem: str = ""
    last_hash: str = GENESIS

    @property
    def ok(self) -> bool:
        """Whether the whole chain holds."""
        return self.broken_at is None


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
            return Verification(checked, expected, problem, previous)
        if row.get("hash") != link(previous, row):
            problem = (
                f"the row at position {position} was changed, inserted or moved outside disruption"
            )
            return Verification(checked, position, problem, previous)
        previous, expected, checked = str(row["hash"]), expected + 1, checked + 1
    return Verification(checked, None, "", previous)
