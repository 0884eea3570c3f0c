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

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

from cryptography.fernet import Fernet, InvalidToken

from disruption.events import PersonalText
from disruption.store.driver import Tx, ask_in, in_chunks, insert_sql

__all__ = ["ask_keys", "open_text", "seal_text", "sealed_rows"]


def seal_text(key: str, text: str) -> str:
    """Encrypt a text with a child's key."""
    return Fernet(key.encode()).encrypt(text.encode("utf-8")).decode("ascii")


def open_text(key: str, token: str) -> str | None:
    """Decrypt a text; ``None`` when it cannot be (a wrong key, a damaged token)."""
    try:
        return Fernet(key.encode()).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError):
        return None


_KEY_COLUMNS: Final = ("child", "key")
_KEYS_OF: Final = 'SELECT child, "key" FROM child_keys WHERE child IN ({})'


def ask_keys(tx: Tx, children: Iterable[str]) -> Callable[[], dict[str, str]]:
    """Ask for some children's keys, creating (in the transaction) those missing.

    Args:
        tx: A write transaction.
        children: The children's references.

    Returns:
        A function giving the keys by child (call it after :meth:`Tx.sync`).
    """
    wanted = sorted(set(children))
    for chunk in in_chunks(wanted):  # one statement per chunk, not per child
        new = [v for child in chunk for v in (child, Fernet.generate_key().decode())]
        insert = insert_sql("child_keys", _KEY_COLUMNS, len(chunk))
        tx.execute(f"{insert} ON CONFLICT (child) DO NOTHING", new, prepare=len(chunk) == 1)
    asked = ask_in(tx, _KEYS_OF, wanted, prepare_single=True)

    def answered() -> dict[str, str]:
        return dict(asked())

    return answered


def sealed_rows(texts: Sequence[PersonalText], keys: dict[str, str]) -> list[tuple[Any, ...]]:
    """``personal_texts`` rows of pieces of free text, each encrypted under its child's key.

    Args:
        texts: The free text split off events.
        keys: The children's keys (from :func:`ask_keys`).

    Returns:
        One tuple per piece, in ``(ref, child, case_id, field, text)`` order.
    """
    fernets = {child: Fernet(key.encode()) for child, key in keys.items()}
    return [
        (t.ref, t.child, t.case, t.field, fernets[t.child].encrypt(t.text.encode()).decode("ascii"))
        for t in texts
    ]
