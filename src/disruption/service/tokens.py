"""Who is asking: bearer tokens (JWT) checked against the identity provider's keys.

Internal: import its public names from :mod:`disruption.service` (``docs/api.md``); the
module itself may move or change without notice.

The keys come from a JWKS document, a file or a URL read at start (a URL is read again, at
most every few minutes, when a token names a key it does not hold: the provider rotated its
keys). A token is accepted when its signature is one of those keys' (by a public-key
algorithm only), it has not expired, and its ``iss`` and ``aud`` are the configured ones; the
actor's id and role are then read from two of its claims. PyJWT does the cryptography and
the claim checks.

A :class:`DevSigner` makes a key at start and signs development tokens with it, for a
demonstration on this machine (the settings refuse it on any other host):

>>> signer = DevSigner(issuer="urn:disruption:dev", audience="disruption")
>>> verifier = Verifier([signer.keys], issuer="urn:disruption:dev", audience="disruption")
>>> verifier.identity("Bearer " + signer.sign("sw-17", "social_worker"))
Identity(id='sw-17', role='social_worker')
>>> verifier.identity(None)
Traceback (most recent call last):
...
disruption.exceptions.NotAuthenticated: not authenticated: no bearer token
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import attrs
import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from disruption.domain.model import check_reference
from disruption.exceptions import InvalidData, NotAuthenticated, ServiceConfigError

__all__ = ["DevSigner", "FileKeys", "Identity", "KeySource", "UrlKeys", "Verifier", "key_source"]

LEEWAY = 30
"""Seconds of clock difference allowed on ``exp``, ``nbf`` and ``iat``."""

CACHE_SECONDS = 300
"""How long a verified token is remembered (never past its ``exp``): a client sends the
same token with every request, and a signature is checked once, not on each."""

CACHE_SIZE = 10_000
"""The most tokens remembered; the memory is emptied when it is full."""


@attrs.frozen
class Identity:
    """The actor a token authenticated: its id, and its role as the token names it."""

    id: str
    role: str


class KeySource(Protocol):
    """Signing keys by key id (``kid``)."""

    def key(self, kid: str | None) -> jwt.PyJWK | None:
        """The key with this id (the only key, for a token without one), or ``None``."""
        ...


def _pick(keys: Sequence[jwt.PyJWK], kid: str | None) -> jwt.PyJWK | None:
    if kid is None:
        return keys[0] if len(keys) == 1 else None
    return next((k for k in keys if k.key_id == kid), None)


class FileKeys:
    """The keys of a JWKS file, read once.

    Raises:
        ServiceConfigError: When the file cannot be read or holds no usable key.
    """

    def __init__(self, path: Path) -> None:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            self.keys: tuple[jwt.PyJWK, ...] = tuple(jwt.PyJWKSet.from_dict(document).keys)
        except (OSError, ValueError, jwt.PyJWTError) as error:
            raise ServiceConfigError(
                f"{path}: not a JWKS document with a usable key ({error})", option="--jwks"
            ) from None

    def key(self, kid: str | None) -> jwt.PyJWK | None:
        """The key with this id, or ``None``."""
        return _pick(self.keys, kid)


class UrlKeys:
    """The keys published at a JWKS URL, read at start and again when a new ``kid`` appears.

    The set is kept for ``lifespan`` seconds; a token naming a key not in it has it read
    again, at most once every :attr:`COOLDOWN` seconds (so that forged key ids cannot make
    the service hammer the provider).

    Raises:
        ServiceConfigError: When the URL cannot be read at start.
    """

    COOLDOWN = 30.0
    """The fewest seconds between two readings for unknown key ids."""

    def __init__(self, url: str, *, lifespan: int = 300) -> None:
        self._client = jwt.PyJWKClient(url, cache_jwk_set=True, lifespan=lifespan, timeout=10)
        try:
            self._client.get_jwk_set()
        except jwt.PyJWTError as error:
            raise ServiceConfigError(
                f"the identity provider's keys cannot be read ({error})", option="--jwks"
            ) from None

    def key(self, kid: str | None) -> jwt.PyJWK | None:
        """The key with this id (the key set read again when it is unknown), or ``None``."""
        try:
            if kid is None:
                return _pick(self._client.get_signing_keys(), None)
            self._client.cooldown_duration = self.COOLDOWN
            return self._client.get_signing_key(kid)
        except jwt.PyJWTError:
            return None


def key_source(jwks: str) -> KeySource:
    """The keys a ``--jwks`` value names: an ``http(s)://`` URL or a file."""
    if jwks.startswith(("http://", "https://")):
        return UrlKeys(jwks)
    return FileKeys(Path(jwks.removeprefix("file://")))


class DevSigner:
    """A key made at start that signs development tokens (ES256), and its public JWKS.

    Args:
        issuer: The tokens' ``iss``.
        audience: The tokens' ``aud``.
    """

    KID = "disruption-dev"

    def __init__(self, *, issuer: str, audience: str) -> None:
        self._private = ec.generate_private_key(ec.SECP256R1())
        public = jwt.algorithms.ECAlgorithm.to_jwk(self._private.public_key(), as_dict=True)
        public.update(kid=self.KID, alg="ES256", use="sig")
        self.jwks: dict[str, Any] = {"keys": [public]}
        self.keys = _StaticKeys(tuple(jwt.PyJWKSet.from_dict(self.jwks).keys))
        self.issuer = issuer
        self.audience = audience

    def sign(self, actor: str, role: str, *, minutes: int = 60, **claims: Any) -> str:
        """A token for ``actor`` in ``role``, valid for ``minutes``.

        Args:
            actor: The ``sub`` claim.
            role: The ``role`` claim.
            minutes: How long it is valid.
            **claims: Other claims (they override the ones above).
        """
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": actor,
            "role": role,
            "iat": now,
            "exp": now + 60 * minutes,
            **claims,
        }
        return jwt.encode(payload, self._private, algorithm="ES256", headers={"kid": self.KID})


@attrs.frozen
class _StaticKeys:
    keys: tuple[jwt.PyJWK, ...]

    def key(self, kid: str | None) -> jwt.PyJWK | None:
        return _pick(self.keys, kid)


class Verifier:
    """Checks a request's ``Authorization`` header and says who it authenticates.

    Args:
        sources: Where the signing keys are (tried in order).
        issuer: The ``iss`` required.
        audience: The ``aud`` required.
        actor_claim: The claim with the actor's id.
        role_claim: The claim with the actor's role.
        algorithms: The algorithms accepted.
    """

    def __init__(
        self,
        sources: Sequence[KeySource],
        *,
        issuer: str,
        audience: str,
        actor_claim: str = "sub",
        role_claim: str = "role",
        algorithms: Sequence[str] = ("RS256", "PS256", "ES256", "EdDSA"),
    ) -> None:
        self.sources = tuple(sources)
        self.issuer = issuer
        self.audience = audience
        self.actor_claim = actor_claim
        self.role_claim = role_claim
        self.algorithms = frozenset(algorithms)
        self._verified: dict[str, tuple[Identity, float]] = {}

    def remembered(self, authorization: str | None) -> Identity | None:
        """The identity of a header verified lately and not expired since, or ``None``.

        Cheap (no signature is checked): the service looks here first, and verifies
        (:meth:`identity`) only a token it has not seen.
        """
        found = self._verified.get(authorization or "")
        if found is None:
            return None
        if time.time() > found[1]:
            self._verified.pop(authorization or "", None)
            return None
        return found[0]

    def identity(self, authorization: str | None) -> Identity:
        """The actor an ``Authorization: Bearer ...`` header authenticates.

        Raises:
            NotAuthenticated: When there is no bearer token, or it is not valid: badly
                formed, signed by no known key, expired, or of another issuer or audience,
                or without the actor's id or role.
        """
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise NotAuthenticated("no bearer token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise NotAuthenticated("malformed token") from None
        kid = header.get("kid")
        key = self._key(kid if isinstance(kid, str) else None)
        if key is None or key.algorithm_name not in self.algorithms:
            raise NotAuthenticated("signed by no key of the identity provider")
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[key.algorithm_name],
                audience=self.audience,
                issuer=self.issuer,
                leeway=LEEWAY,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise NotAuthenticated("expired") from None
        except jwt.InvalidAudienceError:
            raise NotAuthenticated("wrong audience") from None
        except jwt.InvalidIssuerError:
            raise NotAuthenticated("wrong issuer") from None
        except jwt.MissingRequiredClaimError as error:
            raise NotAuthenticated(f"no {error.claim!r} claim") from None
        except jwt.PyJWTError:
            raise NotAuthenticated("invalid token") from None
        identity = Identity(self._actor(claims), self._role(claims))
        if len(self._verified) >= CACHE_SIZE:
            self._verified.clear()
        until = min(float(claims["exp"]) + LEEWAY, time.time() + CACHE_SECONDS)
        self._verified[authorization or ""] = (identity, until)
        return identity

    def _key(self, kid: str | None) -> jwt.PyJWK | None:
        for source in self.sources:
            key = source.key(kid)
            if key is not None:
                return key
        return None

    def _actor(self, claims: dict[str, Any]) -> str:
        value = claims.get(self.actor_claim)
        try:
            return check_reference(value, self.actor_claim)
        except InvalidData:
            raise NotAuthenticated(
                f"the {self.actor_claim!r} claim is not an actor reference"
            ) from None

    def _role(self, claims: dict[str, Any]) -> str:
        value = claims.get(self.role_claim)
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if not isinstance(value, str) or not value or len(value) > 64:
            raise NotAuthenticated(f"the {self.role_claim!r} claim is not one role")
        return value
