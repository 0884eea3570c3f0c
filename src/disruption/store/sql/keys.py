"""Free text encrypted with a key per child, so that a child's text can be erased for good.

Each piece of free text is stored encrypted with its child's own key, kept in a key store
(:mod:`disruption.store.key_store`), or in the case store's ``child_keys`` when none is given:
AES-256 in GCM mode (from ``cryptography``), with the text's reference and its child as
associated data, so that a sealed text copied into another row, or another child's row,
does not open. A sealed text is ``aesgcm1:`` and the URL-safe base64 of a random 12-byte
nonce followed by the ciphertext and its tag (schema version 5; versions 3 and 4 used
Fernet, and ``db upgrade`` re-seals their text under new keys). Erasing a child deletes the
key and the ciphertext: the text cannot be read back by any command or API, while the
events (which carry references only), the deadlines and every figure stay as they were.
Kept in the case store, the key survives in every backup of it; in a key store of its own it
survives only in the key store's backups, kept for less time than the erasure promise
(``docs/privacy.md``).

Example:
    >>> from disruption.store.sql.keys import new_key, open_text, seal_text
    >>> key = new_key()
    >>> sealed = seal_text(key, "Wants to stay near school.", ref="P-1/4/note", child="C-1")
    >>> open_text(key, sealed, ref="P-1/4/note", child="C-1")
    'Wants to stay near school.'
    >>> open_text(key, sealed, ref="P-2/4/note", child="C-1") is None  # another row's
    True
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from disruption.domain.events import PersonalText
from disruption.store.sql.driver import Tx, ask_in, in_chunks, insert_sql

__all__ = ["FORMAT", "ask_keys", "new_key", "open_text", "seal_text", "sealed_rows"]

FORMAT: Final = "aesgcm1:"
"""How every sealed text begins: the format (AES-256-GCM, 12-byte nonce) it is sealed in."""
_NONCE: Final = 12


def new_key() -> str:
    """Make a new child key.

    Returns:
        32 random bytes (an AES-256 key), URL-safe base64.
    """
    return base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode("ascii")


def _cipher(key: str) -> AESGCM:
    return AESGCM(base64.urlsafe_b64decode(key))


def _bound(ref: str, child: str) -> bytes:
    """The associated data of a text: its reference and its child, unambiguously."""
    return orjson.dumps([ref, child])


def _seal(cipher: AESGCM, text: str, ref: str, child: str, nonce: bytes) -> str:
    sealed = cipher.encrypt(nonce, text.encode("utf-8"), _bound(ref, child))
    return FORMAT + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def seal_text(key: str, text: str, *, ref: str, child: str) -> str:
    """Encrypt a text with its child's key, bound to its reference and child.

    Args:
        key: The child's key (:func:`new_key`).
        text: The text.
        ref: The text's reference.
        child: The child's pseudonymous reference.

    Returns:
        The sealed text (:data:`FORMAT` and base64).
    """
    return _seal(_cipher(key), text, ref, child, os.urandom(_NONCE))


def open_text(key: str, token: str, *, ref: str, child: str) -> str | None:
    """Decrypt a text sealed by :func:`seal_text`.

    Args:
        key: The child's key.
        token: The sealed text.
        ref: The reference it was sealed for.
        child: The child it was sealed for.

    Returns:
        The text; ``None`` when it cannot be opened (a wrong key, reference or child, a
        damaged or unknown token).
    """
    if not token.startswith(FORMAT):
        return None
    try:
        raw = base64.urlsafe_b64decode(token[len(FORMAT) :])
        opened = _cipher(key).decrypt(raw[:_NONCE], raw[_NONCE:], _bound(ref, child))
        return opened.decode("utf-8")
    except (InvalidTag, ValueError):  # binascii.Error and UnicodeDecodeError are ValueErrors
        return None


_KEY_COLUMNS: Final = ("child", "key")
_KEYS_OF: Final = 'SELECT child, "key" FROM child_keys WHERE child IN ({})'
_KEYS_OF_LOCKED: Final = f"{_KEYS_OF} FOR KEY SHARE"
"""On PostgreSQL the keys read are locked until the transaction ends: an erasure (which
deletes the key, then the child's texts) waits for it, and then erases the text it sealed.
Unlocked, an erasure committing in between left that text sealed with a key that is gone,
where the erasure's delete had not seen it. SQLite's writers hold its one write lock."""


def ask_keys(tx: Tx, children: Iterable[str]) -> Callable[[], dict[str, str]]:
    """Ask for some children's keys, creating (in the transaction) those missing.

    On PostgreSQL the keys are locked against an erasure until the transaction ends
    (``FOR KEY SHARE``).

    Args:
        tx: A write transaction.
        children: The children's references.

    Returns:
        A function giving the keys by child (call it after :meth:`Tx.sync`).
    """
    wanted = sorted(set(children))
    for chunk in in_chunks(wanted):  # one statement per chunk, not per child
        new = [v for child in chunk for v in (child, new_key())]
        insert = insert_sql("child_keys", _KEY_COLUMNS, len(chunk))
        tx.execute(f"{insert} ON CONFLICT (child) DO NOTHING", new, prepare=len(chunk) == 1)
    asked = ask_in(tx, _KEYS_OF_LOCKED if tx.postgres else _KEYS_OF, wanted, prepare_single=True)

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
    ciphers = {child: _cipher(keys[child]) for child in {t.child for t in texts}}
    random = os.urandom(_NONCE * len(texts))  # every nonce in one call: a system call each costs
    return [
        (t.ref, t.child, t.case, t.field, _seal(ciphers[t.child], t.text, t.ref, t.child, nonce))
        for t, nonce in zip(texts, _slices(random), strict=True)
    ]


def _slices(random: bytes) -> list[bytes]:
    return [random[i : i + _NONCE] for i in range(0, len(random), _NONCE)]
