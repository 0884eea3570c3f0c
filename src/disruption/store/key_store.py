"""Key stores: where the children's keys are kept, apart from the case store.

Internal: import its public names from :mod:`disruption.store` (``docs/api.md``); the module
itself may move or change without notice.

Free text is sealed with a key per child (:mod:`disruption.store.sql.keys`). A
:class:`KeyStore` keeps those keys in a database or file of its own, so that the case
database alone decrypts nothing and erasing a child's key (crypto-shredding) is not undone
by a backup of the case database. :class:`MemoryKeyStore` keeps them in memory (tests);
:class:`~disruption.store.sql.key_store.SqlKeyStore` in a SQLite file or a PostgreSQL database
(:func:`disruption.store.open_key_store` opens one from a ``--keys`` value). See
``docs/privacy.md``.

>>> keys = MemoryKeyStore()
>>> made = keys.keys_for(["C-1"])
>>> keys.key("C-1") == made["C-1"], keys.erase("C-1"), keys.key("C-1")
(True, True, None)
"""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Iterable, Mapping
from typing import Protocol, runtime_checkable

from disruption.exceptions import StoreError

__all__ = ["KeyStore", "MemoryKeyStore"]


@runtime_checkable
class KeyStore(Protocol):
    """Where each child's key is kept, apart from the text it seals."""

    url: str
    """Where the keys are (without a password)."""

    def keys_for(self, children: Iterable[str]) -> dict[str, str]:
        """Return some children's keys, creating (and committing) those missing first."""
        ...

    def key(self, child: str) -> str | None:
        """Return a child's key, or ``None`` when there is none (never made, or erased)."""
        ...

    def put(self, keys: Mapping[str, str]) -> None:
        """Keep keys made elsewhere (moving them from a case store).

        Raises:
            StoreError: When the store holds another key for one of the children.
        """
        ...

    def erase(self, child: str) -> bool:
        """Destroy a child's key, leaving no copy in the store; whether there was one."""
        ...

    def close(self) -> None:
        """Release the store's resources."""
        ...


def _new_key() -> str:
    """32 random bytes, URL-safe base64 (as :func:`disruption.store.sql.keys.new_key`)."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")


class MemoryKeyStore:
    """A :class:`KeyStore` in memory (tests, dry runs)."""

    url = ":memory:"

    def __init__(self) -> None:
        self._keys: dict[str, str] = {}
        self._lock = threading.Lock()

    def keys_for(self, children: Iterable[str]) -> dict[str, str]:
        """Return some children's keys, making those missing."""
        with self._lock:
            return {c: self._keys.setdefault(c, _new_key()) for c in sorted(set(children))}

    def key(self, child: str) -> str | None:
        """Return a child's key, or ``None``."""
        return self._keys.get(child)

    def put(self, keys: Mapping[str, str]) -> None:
        """Keep keys made elsewhere.

        Raises:
            StoreError: When another key is held for one of the children.
        """
        with self._lock:
            clash = sorted(c for c, k in keys.items() if self._keys.get(c, k) != k)
            if clash:
                raise StoreError(f"the key store holds other keys for {len(clash)} children")
            self._keys.update(keys)

    def erase(self, child: str) -> bool:
        """Forget a child's key."""
        with self._lock:
            return self._keys.pop(child, None) is not None

    def close(self) -> None:
        """Nothing to release."""
