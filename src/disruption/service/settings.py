"""The service's settings: what ``disruption serve`` was started with, checked before it starts.

Internal: import its public names from :mod:`disruption.service` (``docs/api.md``); the
module itself may move or change without notice.

>>> Settings(db="cases.sqlite", dev_tokens=True).issuer
'urn:disruption:dev'
>>> Settings(db="cases.sqlite", dev_tokens=True, host="0.0.0.0")
Traceback (most recent call last):
...
disruption.exceptions.ServiceConfigError: --dev-tokens: development tokens are refused on a host ...
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from disruption.domain.commands import MAX_LINE
from disruption.domain.model import Role
from disruption.exceptions import ServiceConfigError

__all__ = ["DEV_AUDIENCE", "DEV_ISSUER", "TEXT_READERS", "Settings", "is_loopback"]

DEV_ISSUER = "urn:disruption:dev"
"""The issuer of development tokens, unless ``--issuer`` names another."""

DEV_AUDIENCE = "disruption"
"""The audience of development tokens, unless ``--audience`` names another."""


TEXT_READERS = (
    "social_worker",
    "supervising_social_worker",
    "team_manager",
    "fostering_team_manager",
    "head_of_service",
    "iro",
)
"""The roles the case board shows free text to, unless ``--text-reader`` names others: the
child's social workers, their managers and the IRO; not carers, children, other agencies."""


def _strings(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (or ``localhost``): nobody else can reach it.

    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("localhost")
    (True, True, True)
    >>> is_loopback("0.0.0.0"), is_loopback("example.org")
    (False, False)
    """
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@attrs.frozen(kw_only=True)
class Settings:
    """How the service runs: its store, where it listens, and how it authenticates.

    Attributes:
        db: The case store (``--db``): a SQLite path or a database URL.
        keys: The key store (``--keys``), apart from the case store; ``None`` keeps the keys
            in the case store.
        procedure: An authority's procedure file; the standard procedure by default.
        host: The address to listen on (``--host``).
        port: The port (``--port``).
        workers: How many worker processes uvicorn runs (``--workers``).
        jwks: Where the identity provider's signing keys are: a JWKS file or an
            ``http(s)://`` URL (``--jwks``).
        dev_tokens: Sign development tokens with a key made at start (``--dev-tokens``):
            for a demonstration on this machine only.
        issuer: The ``iss`` every token must carry (``--issuer``); with ``dev_tokens``,
            :data:`DEV_ISSUER` unless given.
        audience: The ``aud`` every token must carry (``--audience``); with ``dev_tokens``,
            :data:`DEV_AUDIENCE` unless given.
        actor_claim: The claim holding the actor's id (``--actor-claim``).
        role_claim: The claim holding the actor's role (``--role-claim``).
        algorithms: The signature algorithms accepted (never ``none`` nor a shared secret).
        max_body: The largest request body accepted, in bytes (413 above it).
        source: The CloudEvents ``source`` of the events served.
        poll: How often, in seconds, an event stream looks for new events.
        text_readers: The roles the case board shows free text to (``--text-reader``);
            :data:`TEXT_READERS` by default.
    """

    db: str
    keys: str | None = None
    procedure: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    jwks: str | None = None
    dev_tokens: bool = False
    issuer: str | None = None
    audience: str | None = None
    actor_claim: str = "sub"
    role_claim: str = "role"
    algorithms: tuple[str, ...] = ("RS256", "PS256", "ES256", "EdDSA")
    max_body: int = MAX_LINE
    source: str = "urn:disruption"
    poll: float = 0.5
    text_readers: tuple[str, ...] = attrs.field(default=TEXT_READERS, converter=_strings)

    def __attrs_post_init__(self) -> None:
        if self.dev_tokens:  # development tokens' own issuer and audience, unless given
            object.__setattr__(self, "issuer", self.issuer or DEV_ISSUER)
            object.__setattr__(self, "audience", self.audience or DEV_AUDIENCE)
        if self.dev_tokens and not is_loopback(self.host):
            raise ServiceConfigError(
                f"development tokens are refused on a host that is not loopback "
                f"({self.host!r}): serve on 127.0.0.1, ::1 or localhost",
                option="--dev-tokens",
            )
        if self.dev_tokens and self.workers != 1:
            raise ServiceConfigError(
                "development tokens are signed by a key each process makes: run one worker",
                option="--dev-tokens",
            )
        if self.jwks is None and not self.dev_tokens:
            raise ServiceConfigError(
                "give the identity provider's keys (a JWKS file or URL), or --dev-tokens "
                "for a demonstration on this machine",
                option="--jwks",
            )
        if self.issuer is None or self.audience is None:
            option = "--issuer" if self.issuer is None else "--audience"
            raise ServiceConfigError(
                "the tokens' issuer and audience are checked: give both", option=option
            )
        bad = sorted({a for a in self.algorithms if a.upper() == "NONE" or a.startswith("HS")})
        if bad:
            raise ServiceConfigError(
                f"{bad[0]} is not accepted: only public-key signatures", option="--algorithms"
            )
        unknown = sorted(set(self.text_readers) - {r.value for r in Role})
        if unknown:
            raise ServiceConfigError(
                f"{unknown[0]!r} is not a role of the procedure", option="--text-reader"
            )
        if self.max_body < 1:
            raise ServiceConfigError("must be at least 1 byte", option="--max-body")
        if self.workers < 1:
            raise ServiceConfigError("must be at least 1", option="--workers")

    def to_json(self) -> str:
        """The settings as JSON, for uvicorn's worker processes (:meth:`from_json`)."""
        values: dict[str, Any] = attrs.asdict(self, recurse=False)
        values["procedure"] = None if self.procedure is None else str(self.procedure)
        values["algorithms"] = list(self.algorithms)
        return json.dumps(values)

    @classmethod
    def from_json(cls, text: str) -> Settings:
        """Settings written by :meth:`to_json`."""
        values: dict[str, Any] = json.loads(text)
        if values.get("procedure") is not None:
            values["procedure"] = Path(values["procedure"])
        values["algorithms"] = tuple(values.get("algorithms", ()))
        return cls(**values)
