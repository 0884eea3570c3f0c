"""The JSON API's routes, and the service state they share (:class:`Service`).

Internal: import its public names from :mod:`disruption.service` (``docs/api.md``); the
module itself may move or change without notice.

``POST /cases/{case}/commands`` takes a command of the JSON contract (``docs/contract.md``)
without its actor, which is the bearer token's (a body that names another actor is refused);
the path gives the case, ``Idempotency-Key`` the command's id, and ``If-Match`` the version
the case must be at. The reads are ``GET /cases/{case}`` (with an ``ETag``), ``GET
/overdue``, ``GET /events`` (CloudEvents, paged by position), ``GET /events/stream``
(Server-Sent Events), ``GET /diagram`` and ``GET /schema/command`` (the JSON Schema of a
command for the service's procedure); ``GET /health`` needs no token.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import re
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Annotated, Any, TypeVar

import anyio
import orjson
from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import PlainTextResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from disruption import logs
from disruption.domain.clock import Clock, SystemClock, london_date
from disruption.domain.commands import CONTRACT_VERSION, Command, read_json, shown
from disruption.domain.model import Role
from disruption.engine.engine import Engine, Outcome
from disruption.engine.feed import to_cloudevent
from disruption.engine.ports import Applied, CaseStore, Refusal, Snapshot
from disruption.engine.views import case_json, event_json, overdue_json
from disruption.exceptions import (
    ActorMismatch,
    ConcurrencyError,
    InputError,
    NotAuthenticated,
    PermissionRefused,
    StoreError,
    VersionMismatch,
)
from disruption.procedure.definition import Procedure
from disruption.procedure.schema import command_schema, dump
from disruption.procedure.standard import STANDARD
from disruption.service.settings import Settings
from disruption.service.tokens import DevSigner, Identity, KeySource, Verifier, key_source
from disruption.store import open_store

__all__ = [
    "COMMAND_ROUTE",
    "AtVersion",
    "HttpProblem",
    "Service",
    "command_response",
    "dev_router",
    "router",
    "writers",
]

logger = logs.get_logger("disruption.service")

T = TypeVar("T")

_ETAG = re.compile(r'^\s*(?:W/)?"(\d{1,18})"\s*$')
EVENTS_MAX = 1000
"""The most events one ``GET /events`` returns."""
HEARTBEAT = 15.0
"""Seconds between the comments an idle event stream sends, so proxies keep it open."""


class HttpProblem(Exception):
    """A request the HTTP layer refuses before the library sees it (a body too large...)."""

    def __init__(self, status: int, name: str, title: str, detail: str, **data: object) -> None:
        super().__init__(detail)
        self.status = status
        self.name = name
        self.title = title
        self.detail = detail
        self.data = data


def _version_of(found: Snapshot | None) -> int:
    if found is None:
        return 0
    return (0 if found.case is None else found.case.version) + len(found.after)


class AtVersion:
    """The store, refusing a command on a case that is not at the version ``If-Match`` named.

    Both where the engine reads the case and where it appends (under the store's own version
    guard), so a change by another writer in between is refused too.
    """

    def __init__(self, store: CaseStore, expected: int) -> None:
        self._store = store
        self._expected = expected

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def _mismatch(self, case: str, actual: int) -> VersionMismatch:
        return VersionMismatch(
            f"case {case} is at version {actual}, not {self._expected} (If-Match)",
            expected=self._expected,
            actual=actual,
            case=case,
        )

    def snapshot_unless_applied(self, case: str, command_id: str | None) -> Any:
        """The store's answer, refused when the case is not at the expected version."""
        found = self._store.snapshot_unless_applied(case, command_id)
        if isinstance(found, Applied) or _version_of(found) == self._expected:
            return found
        if isinstance(found, Snapshot) and found.cached:  # as kept in memory: read it
            if command_id is not None and self._store.events_of_command(command_id):
                return Applied(command_id)
            found = self._store.snapshot(case)
            if _version_of(found) == self._expected:
                return found
        raise self._mismatch(case, _version_of(found))

    def append(self, case: Any, events: Any, texts: Any, *, expected_version: int) -> Any:
        """The store's append, refused when it is not based on the expected version."""
        if expected_version != self._expected:
            raise self._mismatch(case.id, expected_version)
        return self._store.append(case, events, texts, expected_version=expected_version)


class Service:
    """What the routes share: settings, the store, the engine's definitions, the verifier.

    Args:
        settings: How the service runs.
        clock: Tells when commands are recorded.
    """

    def __init__(self, settings: Settings, *, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock: Clock = clock if clock is not None else SystemClock()
        issuer, audience = settings.issuer or "", settings.audience or ""  # Settings checks
        self.signer = DevSigner(issuer=issuer, audience=audience) if settings.dev_tokens else None
        sources: list[KeySource] = [] if self.signer is None else [self.signer.keys]
        if settings.jwks is not None:
            sources.append(key_source(settings.jwks))
        self.verifier = Verifier(
            sources,
            issuer=issuer,
            audience=audience,
            actor_claim=settings.actor_claim,
            role_claim=settings.role_claim,
            algorithms=settings.algorithms,
        )
        self.procedure: Procedure = STANDARD
        self.procedures: tuple[Procedure, ...] = ()
        self._calendar: Any = None
        if settings.procedure is not None:
            from disruption.procedure.file import load_procedure

            authority = load_procedure(settings.procedure)
            self.procedure, self.procedures = authority.procedure, (STANDARD,)
            self._calendar = authority.calendar
        self._store: CaseStore | None = None
        self._engine: Engine | None = None
        self._writers: ThreadPoolExecutor | None = None

    @property
    def store(self) -> CaseStore:
        """The open store.

        Raises:
            StoreError: Before the application started, or after it stopped.
        """
        if self._store is None:
            raise StoreError("the service's store is not open")
        return self._store

    def open(self) -> None:
        """Open the store (when the application starts)."""
        self._store = open_store(self.settings.db, keys=self.settings.keys)
        if self.settings.keys is None and not getattr(self._store, "keys_apart", False):
            logger.warning("service.keys_in_case_store")
        self._engine = self.engine()
        self._writers = ThreadPoolExecutor(
            writers(self.settings.db), thread_name_prefix="disruption-writer"
        )

    def close(self) -> None:
        """Close the store (when the application stops)."""
        if self._writers is not None:
            self._writers.shutdown()
            self._writers = None
        if self._store is not None:
            self._store.close()
        self._store = self._engine = None

    async def write(self, function: Callable[..., T], *args: Any) -> T:
        """Run ``function(*args)`` (a command's work) on one of the service's writer threads.

        The store's calls block, so they run outside the event loop; on threads of the
        service's own (:func:`writers`), not the framework's pool of 40, which applied
        commands slower and for more CPU (the threads contending for the store's lock and
        the interpreter).

        Raises:
            StoreError: Before the application started, or after it stopped.
        """
        if self._writers is None:
            raise StoreError("the service's store is not open")
        call = functools.partial(contextvars.copy_context().run, function, *args)
        return await asyncio.get_running_loop().run_in_executor(self._writers, call)

    def engine(self, expected: int | None = None) -> Engine:
        """The engine; one that refuses a case not at version ``expected``, when given."""
        if expected is None and self._engine is not None:
            return self._engine
        store: Any = self.store if expected is None else AtVersion(self.store, expected)
        options: dict[str, Any] = {} if self._calendar is None else {"calendar": self._calendar}
        return Engine(
            store,
            procedure=self.procedure,
            procedures=self.procedures,
            clock=self.clock,
            retries=3 if expected is None else 0,
            **options,
        )


def writers(db: str) -> int:
    """How many threads apply the service's commands: 1 on SQLite, 4 on PostgreSQL.

    SQLite lets one transaction write at a time (the store's writes begin ``IMMEDIATE``),
    so one thread applies commands in turn with nothing to wait for; on PostgreSQL a few
    overlap their round trips to the server. (``benchmarks/bench_service.py``: on SQLite
    one thread instead of the framework's pool cut the server's CPU a command by a
    seventh.) More processes: ``--workers``.

    >>> writers("cases.sqlite"), writers("postgresql://db.example/cases")
    (1, 4)
    """
    return 4 if db.partition("://")[0].lower().startswith("postgres") else 1


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(_service)]

_bearer = HTTPBearer(
    auto_error=False,
    description="A JWT from the identity provider; the actor and role come from its claims.",
)


async def identify(service: Service, header: str | None) -> Identity:
    """The identity an ``Authorization`` header authenticates (a token seen lately: at once)."""
    known = service.verifier.remembered(header)
    if known is not None:
        return known
    try:  # in a thread: a JWKS URL may be read again
        return await run_in_threadpool(service.verifier.identity, header)
    except NotAuthenticated as error:
        logger.info("auth.refused", error=error.reason)
        raise


async def _identity(
    service: ServiceDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Identity:
    header = None if credentials is None else f"{credentials.scheme} {credentials.credentials}"
    return await identify(service, header)


IdentityDep = Annotated[Identity, Depends(_identity)]


def role_of(identity: Identity) -> Role | None:
    try:
        return Role(identity.role)
    except ValueError:
        return None


def _known_role(identity: Identity) -> Role:
    role = role_of(identity)
    if role is None:
        raise PermissionRefused(
            f"role {shown(identity.role)} is not a role of the procedure", role=identity.role
        )
    return role


router = APIRouter()

CaseRef = Annotated[str, Path(description="The case's reference.", max_length=64)]


@router.get("/health", summary="Whether the service can reach its database (no token needed)")
async def health(service: ServiceDep) -> dict[str, object]:
    """Read the store's last event position: 200 when the database answers, else 503."""
    position = await run_in_threadpool(service.store.last_position)
    return {"status": "ok", "position": position}


async def read_body(request: Request, limit: int) -> bytes:
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> HttpProblem:
    return HttpProblem(
        413,
        "ContentTooLarge",
        "The request body is too large",
        f"longer than {limit} bytes",
        limit=limit,
    )


def _if_match(value: str | None) -> int | None:
    if value is None:
        return None
    found = _ETAG.match(value)
    if found is None:
        raise HttpProblem(
            400,
            "InvalidIfMatch",
            "If-Match must be a case version as the ETag gives it",
            f'If-Match {shown(value)} is not a version such as "3"',
        )
    return int(found.group(1))


def _etag(version: int) -> str:
    return f'"{version}"'


def _refuse(service: Service, command: Command, error: PermissionRefused) -> None:
    """Write an access decision the service made (not the engine) to the store's access log."""
    current = service.engine().load(command.case)
    error.in_context(
        case=command.case, command=command.name, state=None if current is None else current.state
    )
    service.store.record_refusal(
        Refusal(
            at=command.at,
            recorded_at=service.clock.now(),
            case=command.case,
            command=command.name,
            actor_id=command.actor.id,
            actor_role=error.role,
            error=type(error).__name__,
            state=None if current is None else current.state,
        )
    )
    logger.info(
        "command.refused", case=command.case, command=command.name, error=type(error).__name__
    )


def command_of(
    obj: Any, case: str, identity: Identity, key: str | None
) -> tuple[Command, Role | None, object]:
    """The command a request body and its headers make, the token's role, the body's actor."""
    if not isinstance(obj, dict):
        raise InputError("a command must be a JSON object")
    if "case" in obj and obj["case"] != case:
        raise InputError(f"the body's case {shown(obj['case'])} is not the path's", field="case")
    if key is not None:
        if obj.get("id") not in (None, key):
            raise InputError("the body's id is not the Idempotency-Key", field="id")
        obj["id"] = key
    claimed = obj.get("actor")
    role = role_of(identity)
    # The actor is the token's. A role the procedure does not know is refused after the
    # command is read (so the refusal is logged with its case and command).
    obj["actor"] = {"id": identity.id, "role": identity.role if role else Role.OTHER_AGENCY}
    obj["case"] = case
    return Command.from_json(obj), role, claimed


def _claimed(value: object) -> dict[str, str] | None:
    if not isinstance(value, dict):
        return None
    return {k: shown(v) if not isinstance(v, str) else v[:64] for k, v in value.items()}


COMMAND_ROUTE = "/cases/{case}/commands"


@router.post(
    COMMAND_ROUTE,
    summary="Apply a command to a case (its actor is the token's)",
    status_code=201,
    dependencies=[Depends(_bearer)],  # the security scheme, in the OpenAPI document
    openapi_extra={
        "parameters": [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string"},
                "description": "The command's id: applied once, whatever the retries.",
            },
            {
                "name": "If-Match",
                "in": "header",
                "required": False,
                "schema": {"type": "string"},
                "description": "The case version (its ETag) the command is meant for.",
            },
        ],
        "requestBody": {
            "required": True,
            "description": "A command of the JSON contract (docs/contract.md), without "
            "`case` and `actor`: the path's case, the token's actor.",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
    },
    responses={
        200: {"description": "The command's Idempotency-Key was applied before: its outcome"},
        201: {"description": "Applied: the case's new state and the events appended"},
        401: {"description": "No bearer token, or not a valid one"},
        403: {"description": "The role may not, or the body named another actor"},
        409: {"description": "Refused in the case's state, or the case kept changing"},
        412: {"description": "The case is not at the If-Match version"},
        413: {"description": "The body is too large"},
        422: {"description": "Not a command, or invalid data (the field is named)"},
    },
)
async def post_command(request: Request, case: CaseRef) -> Response:
    """Decide a command of the JSON contract on the case and store its events.

    The application serves this route ahead of its router
    (:class:`~disruption.service.app.CommandRoute`); the router reaches it only with a
    request the fast path leaves alone. Declared here for the OpenAPI document.
    """
    service: Service = request.app.state.service
    return await command_response(service, request, case)


async def command_response(service: Service, request: Request, case: str) -> Response:
    """The answer to ``POST /cases/{case}/commands``: authenticate, read, apply, answer.

    The route's whole work, without the framework: :class:`~disruption.service.app.
    CommandRoute` calls it ahead of the router (the service's hot path), the route above
    when the application is reached otherwise.

    Raises:
        DisruptionError: The command's refusal (a problem for the exception handlers).
        HttpProblem: A body too large, an ``If-Match`` that is not a version.
    """
    headers = request.headers
    identity = await identify(service, headers.get("authorization"))
    body = await read_body(request, service.settings.max_body)
    expected = _if_match(headers.get("if-match"))
    key = headers.get("idempotency-key")
    command, role, claimed = command_of(read_json(body), case, identity, key)
    outcome = await service.write(
        apply_command, service, command, role, claimed, identity, expected
    )
    view = {
        "contract_version": CONTRACT_VERSION,
        "case": outcome.case.id,
        "command": command.name,
        "id": command.id,
        "state": outcome.case.state,
        "version": outcome.case.version,
        "duplicate": outcome.duplicate,
        "events": [event_json(e) for e in outcome.events],
    }
    return Response(
        orjson.dumps(view),
        status_code=200 if outcome.duplicate else 201,
        media_type="application/json",
        headers={"ETag": _etag(outcome.case.version), "Location": f"/cases/{outcome.case.id}"},
    )


def apply_command(
    service: Service,
    command: Command,
    role: Role | None,
    claimed: object,
    identity: Identity,
    expected: int | None,
) -> Outcome:
    if role is None:
        refused = PermissionRefused(
            f"role {shown(identity.role)} is not a role of the procedure",
            role=identity.role,
            case=command.case,
            command=command.name,
        )
        _refuse(service, command, refused)
        raise refused
    if claimed is not None and claimed != {"id": identity.id, "role": identity.role}:
        mismatch = ActorMismatch(
            f"the body's actor is not the token's ({identity.id} as {identity.role}): the "
            "actor comes from the token only",
            actor=identity.id,
            role=identity.role,
            claimed=_claimed(claimed),
            case=command.case,
            command=command.name,
        )
        _refuse(service, command, mismatch)
        raise mismatch
    try:
        return service.engine(expected).handle(command)
    except VersionMismatch as error:
        raise error.in_context(case=command.case, command=command.name, state=None) from None
    except ConcurrencyError as error:
        if expected is None:
            raise
        # another writer got in between the read and the write: the case moved past If-Match
        raise VersionMismatch(
            f'case {command.case} changed while the command was applied (If-Match "{expected}")',
            expected=expected,
            actual=error.actual,
            case=command.case,
            command=command.name,
        ) from error


@router.get("/cases/{case}", summary="A case: state, placement, deadlines and history")
def get_case(
    case: CaseRef,
    service: ServiceDep,
    identity: IdentityDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The case as ``disruption case show --json`` prints it; its version is the ``ETag``."""
    _known_role(identity)
    engine = service.engine()
    found = engine.case(case)
    etag = _etag(found.version)
    if if_none_match is not None and if_none_match.strip() in (etag, f"W/{etag}"):
        return Response(status_code=304, headers={"ETag": etag})
    view = case_json(found, engine.history(case))
    return Response(orjson.dumps(view), media_type="application/json", headers={"ETag": etag})


@router.get("/overdue", summary="Open deadlines due before a day")
def get_overdue(
    service: ServiceDep,
    identity: IdentityDep,
    on: Annotated[date | None, Query(description="The day (YYYY-MM-DD); today by default.")] = None,
) -> list[dict[str, Any]]:
    """The open deadlines due before ``on`` (today in England by default), with their case."""
    _known_role(identity)
    day = on if on is not None else london_date(service.clock.now())
    return [overdue_json(item) for item in service.engine().overdue(day)]


@router.get(
    "/events",
    summary="Stored events after a position, as a CloudEvents batch",
    response_class=Response,
    responses={
        200: {
            "description": "Up to `limit` CloudEvents 1.0 after `after`, oldest first; the "
            "`Link` header names the next page",
            "content": {"application/cloudevents-batch+json": {}},
        }
    },
)
def get_events(
    service: ServiceDep,
    identity: IdentityDep,
    after: Annotated[int, Query(ge=0, description="The last position already handled.")] = 0,
    limit: Annotated[int, Query(ge=1, le=EVENTS_MAX)] = 100,
) -> Response:
    """The events after ``after``, oldest first.

    A consumer saves the last position it handled and asks again from there: it gets every
    event at least once, in order.
    """
    _known_role(identity)
    stored = service.store.read_after(after, limit)
    batch = [to_cloudevent(s, source=service.settings.source) for s in stored]
    last = stored[-1].position if stored else after
    return Response(
        orjson.dumps(batch),
        media_type="application/cloudevents-batch+json",
        headers={"Link": f'</events?after={last}&limit={limit}>; rel="next"'},
    )


def _start(after: int, last_event_id: str | None) -> int:
    if last_event_id is None:
        return after
    value = last_event_id.strip()
    if not value.isdigit() or len(value) > 18:
        raise HttpProblem(
            400,
            "InvalidLastEventId",
            "Last-Event-ID must be an event's position",
            f"Last-Event-ID {shown(last_event_id)} is not a position",
        )
    return int(value)


@router.get(
    "/events/stream",
    summary="Stored events, then new ones as they are stored (Server-Sent Events)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream_events(
    request: Request,
    service: ServiceDep,
    identity: IdentityDep,
    after: Annotated[int, Query(ge=0, description="The last position already handled.")] = 0,
    last_event_id: Annotated[
        str | None, Header(description="Resume after this position (the browser sends it).")
    ] = None,
) -> StreamingResponse:
    """Every event after ``after`` (or ``Last-Event-ID``), in order, then each new one.

    Each is sent as ``id: POSITION``, ``event: TYPE`` and ``data: CLOUDEVENT`` (one line of
    JSON, with its ``chainhash``); a comment is sent when the stream is idle.
    """
    _known_role(identity)
    start = _start(after, last_event_id)
    store, source, poll = service.store, service.settings.source, service.settings.poll

    async def events() -> AsyncIterator[bytes]:
        position = start
        idle = 0.0
        yield b"retry: 2000\n\n"
        while not await request.is_disconnected():
            batch = await run_in_threadpool(store.read_after, position, 500)
            for stored in batch:
                cloudevent = to_cloudevent(stored, source=source)
                yield b"id: %d\nevent: %s\ndata: %s\n\n" % (
                    stored.position,
                    cloudevent["type"].encode(),
                    orjson.dumps(cloudevent),
                )
                position = stored.position
            if batch:
                idle = 0.0
                continue
            await anyio.sleep(poll)
            idle += poll
            if idle >= HEARTBEAT:
                idle = 0.0
                yield b": idle\n\n"

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get(
    "/diagram", summary="The procedure as a Mermaid state diagram", response_class=PlainTextResponse
)
def get_diagram(service: ServiceDep, identity: IdentityDep) -> PlainTextResponse:
    """The current procedure's states and commands, as Mermaid text."""
    _known_role(identity)
    return PlainTextResponse(service.procedure.diagram() + "\n")


@router.get(
    "/schema/command",
    summary="The JSON Schema of a command line for the service's procedure",
    response_class=Response,
    responses={200: {"content": {"application/schema+json": {}}}},
)
def get_command_schema(service: ServiceDep, identity: IdentityDep) -> Response:
    """The JSON Schema (draft 2020-12) of a command for the service's procedure.

    The procedure new cases are opened under; generated from its definition, as
    ``disruption procedure schema`` prints it.
    """
    _known_role(identity)
    return Response(dump(command_schema([service.procedure])), media_type="application/schema+json")


dev_router = APIRouter()
"""``POST /dev/tokens``: included only when the service signs development tokens."""


@dev_router.post("/dev/tokens", summary="A development token (--dev-tokens, loopback only)")
def dev_token(
    service: ServiceDep,
    actor: Annotated[str, Query(max_length=64)],
    role: Annotated[str, Query(max_length=64)],
) -> dict[str, object]:
    """Sign a token for ``actor`` in ``role`` with the service's development key."""
    if service.signer is None:
        raise HttpProblem(404, "NotFound", "Not Found", "development tokens are off")
    token = service.signer.sign(actor, role)
    return {"access_token": token, "token_type": "Bearer", "expires_in": 3600}
