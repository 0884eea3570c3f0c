"""Free text encrypted with a key per child, so that a child's text can be erased for good.

Each piece of free text is stored encrypted (Fernet, from ``cryptography``: AES in CBC mode
with an HMAC) with its child's own key, kept in ``child_keys``. Erasing a child deletes the
key and the ciphertext: the text cannot be read back by any command or API, while the
events (which carry references only), the deadlines and every figure stay as they were.
Keys live in the same database as the text, so erasure is only as final as the deletion of
the database's backups that still hold the key: an authority keeps backups to its retention
rules, or keeps keys elsewhere.

Example:
    >>> from cryptography.fernet import Fernet
    >>> from disruption.store.keys import open_text, seal_text
    >>> key = Fernet.generate_key().decode()
    >>> open_text(key, seal_text(key, "Wants to stay near school."))
    'Wants to stay near school.'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken

from disruption.store import schema

__all__ = ["child_keys", "open_text", "seal_rows", "seal_text"]


def seal_text(key: str, text: str) -> str:
    """Encrypt a text with a child's key."""
    return Fernet(key.encode()).encrypt(text.encode("utf-8")).decode("ascii")


def open_text(key: str, token: str) -> str | None:
    """Decrypt a text; ``None`` when it cannot be (a wrong key, a damaged token)."""
    try:
        return Fernet(key.encode()).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError):
        return None


def child_keys(conn: sa.Connection, children: Iterable[str]) -> dict[str, str]:
    """The keys of some children, created (in the caller's transaction) where missing."""
    wanted = sorted(set(children))
    if not wanted:
        return {}
    table = schema.child_keys
    found = dict(
        conn.execute(sa.select(table.c.child, table.c.key).where(table.c.child.in_(wanted))).all()
    )
    new = [{"child": c, "key": Fernet.generate_key().decode()} for c in wanted if c not in found]
    if new:
        conn.execute(sa.insert(table), new)
        found.update((row["child"], row["key"]) for row in new)
    return found


def seal_rows(conn: sa.Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``personal_texts`` rows with their text encrypted under each child's key."""
    keys = child_keys(conn, (r["child"] for r in rows))
    for row in rows:
        row["text"] = seal_text(keys[row["child"]], row["text"])
    return rows
