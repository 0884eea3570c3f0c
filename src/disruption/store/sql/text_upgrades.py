"""Schema upgrade steps for free text: sealing text kept in clear, re-sealing Fernet text.

Part of :mod:`disruption.store.sql.migrations`. Version 3 sealed free text with Fernet (AES-128
in CBC mode with an HMAC); version 5 seals it with AES-256-GCM bound to its reference and
child (:mod:`disruption.store.sql.keys`). A store upgraded from version 2 or earlier has its
clear text sealed in the current format directly; one upgraded from version 3 or 4 has each
Fernet text opened with its child's old key and sealed again under a new key.
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken

from disruption.domain.events import PersonalText
from disruption.store.sql import keys
from disruption.store.sql.connection import tx_of
from disruption.store.sql.driver import Tx
from disruption.store.sql.old_tables import V1_METADATA, V3_CHILD_KEYS

__all__ = ["reseal_fernet_texts", "seal_clear_texts"]

_UPDATE_TEXT = "UPDATE personal_texts SET text = ? WHERE ref = ?"
_TEXTS = V1_METADATA.tables["personal_texts"]
"""``personal_texts`` as versions 1 to 4 had it (version 5 changed its content only)."""


def _write(tx: Tx, found: list[PersonalText], key_of: dict[str, str]) -> None:
    sealed = keys.sealed_rows(found, key_of)
    tx.executemany(_UPDATE_TEXT, [(row[4], row[0]) for row in sealed])
    tx.sync()


def seal_clear_texts(conn: sa.Connection) -> None:
    """Encrypt the free text an older store kept in clear, each under its child's key.

    Args:
        conn: The upgrade's connection, in its transaction.
    """
    texts = _TEXTS
    query = sa.select(texts.c.ref, texts.c.child, texts.c.case_id, texts.c.field, texts.c.text)
    found = [PersonalText(*row) for row in conn.execute(query).all()]
    if not found:
        return
    tx = tx_of(conn)
    asked = keys.ask_keys(tx, (t.child for t in found))
    tx.sync()
    _write(tx, found, asked())


def _opened(key: str, token: str) -> str | None:
    try:
        return Fernet(key.encode()).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError):
        return None


def reseal_fernet_texts(conn: sa.Connection) -> None:
    """Re-seal each Fernet text under a new key for its child, in the current format.

    A child whose text is re-sealed gets a new key (the old one is not used with AES-GCM). A
    token that does not open with its child's key (damaged before the upgrade) is left as
    it is: it did not open before either.

    Args:
        conn: The upgrade's connection, in its transaction.
    """
    texts, held = _TEXTS, V3_CHILD_KEYS
    query = (
        sa.select(
            texts.c.ref, texts.c.child, texts.c.case_id, texts.c.field, texts.c.text, held.c.key
        )
        .join(held, held.c.child == texts.c.child)
        .where(sa.not_(texts.c.text.startswith(keys.FORMAT, autoescape=True)))
    )
    by_child: defaultdict[str, list[PersonalText]] = defaultdict(list)
    for ref, child, case, field, token, key in conn.execute(query).all():
        text = _opened(key, token)
        if text is not None:
            by_child[child].append(PersonalText(ref, child, case, field, text))
    if not by_child:
        return
    key_of = {child: keys.new_key() for child in by_child}
    tx = tx_of(conn)
    tx.executemany('UPDATE child_keys SET "key" = ? WHERE child = ?',
                   [(key, child) for child, key in sorted(key_of.items())])  # fmt: skip
    _write(tx, [t for child in sorted(by_child) for t in by_child[child]], key_of)
