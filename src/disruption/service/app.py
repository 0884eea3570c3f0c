"""The ASGI application: the JSON API over the engine and the store, behind bearer tokens.

Internal: import its public names from :mod:`disruption.service` (``docs/api.md``); the
module itself may move or change without notice.

:func:`create_app` builds it from :class:`~disruption.service.settings.Settings`; the store
is opened when the application starts (each uvicorn worker process opens its own) and
closed when it stops. The routes are in :mod:`disruption.service.api` (and the development
token route, included only with ``--dev-tokens``); the case board's pages are in
:mod:`disruption.service.board`, with their templates and stylesheet beside it.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from disruption import logs
from disruption.domain.clock import Clock
from disruption.exceptions import DisruptionError
from disruption.service import board
from disruption.service.api import (
    COMMAND_ROUTE,
    HttpProblem,
    Service,
    command_response,
    dev_router,
    router,
)
from disruption.service.problems import MEDIA_TYPE, problem, problem_of
from disruption.service.settings import Settings

__all__ = ["create_app"]

logger = logs.get_logger("disruption.service")

_COMMAND_PATH = re.compile(r"/cases/([^/]{1,64})/commands")


def _problem_response(status: int, body: dict[str, Any], **headers: str) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=MEDIA_TYPE, headers=headers)


async def _library_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, DisruptionError)
    status, body = problem_of(error)
    body["instance"] = request.url.path
    if status == 401:
        return _problem_response(
            status, body, **{"WWW-Authenticate": 'Bearer error="invalid_token"'}
        )
    if status >= 500:
        logger.error("http.failed", error=type(error).__name__, path=_route(request.scope))
    return _problem_response(status, body)


async def _http_problem(request: Request, error: Exception) -> Response:
    assert isinstance(error, HttpProblem)
    body = problem(error.status, error.name, error.title, error.detail, **error.data)
    body["instance"] = request.url.path
    return _problem_response(error.status, body)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    name = {404: "NotFound", 405: "MethodNotAllowed", 413: "ContentTooLarge"}.get(
        error.status_code, "HttpError"
    )
    body = problem(error.status_code, name, str(error.detail), str(error.detail))
    body["instance"] = request.url.path
    return _problem_response(error.status_code, body, **(error.headers or {}))


async def _invalid_request(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    first = error.errors()[0] if error.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("query", "path", "header"))
    detail = f"{where}: {first.get('msg', 'invalid')}"
    body = problem(
        422, "InvalidRequest", "A parameter of the request is invalid", detail, field=where
    )
    body["instance"] = request.url.path
    return _problem_response(422, body)


def _route(scope: Scope) -> str:
    """The route's template (``/cases/{case}``), never the path with its values."""
    route = scope.get("route")
    return str(getattr(route, "path", "(no route)"))


class AccessLog:
    """ASGI middleware writing one ``http.request`` line per request.

    The line carries the method, the route's template (not the path: no case reference, no
    query string), the status and the seconds taken; never a header or a body. Uvicorn's own
    access log is off (:func:`disruption.service.run.serve`).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            logger.info(
                "http.request",
                method=scope["method"],
                path=_route(scope),
                status=status,
                seconds=round(time.perf_counter() - started, 6),
            )


class CommandRoute:
    """ASGI middleware serving ``POST /cases/{case}/commands`` ahead of the framework's router.

    The service's hot path: the route's work (:func:`~disruption.service.api.
    command_response`) without FastAPI's routing (its included routers matched one by one)
    and its dependency and validation machinery, which the route does not use and which
    cost about a tenth of the server's CPU a command (``docs/performance.md``). Everything
    else, and a command path the route would refuse (a case reference longer than 64
    characters: 422), goes on to the application. An error becomes the response the
    application's exception handlers make of it; the access log, outside, logs the route.
    """

    def __init__(self, app: ASGIApp, *, owner: FastAPI, service: Service) -> None:
        self.app = app
        self._owner = owner
        self._service = service
        self._route = next(r for r in router.routes if getattr(r, "path", "") == COMMAND_ROUTE)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        path, root = scope["path"], scope.get("root_path", "")
        found = _COMMAND_PATH.fullmatch(path[len(root) :] if path.startswith(root) else path)
        if found is None:
            await self.app(scope, receive, send)
            return
        case = found.group(1)
        scope["route"] = self._route
        scope["path_params"] = {"case": case}
        request = Request(scope, receive)
        try:
            response = await command_response(self._service, request, case)
        except Exception as error:
            handler = _handler(self._owner, error)
            if handler is None:
                raise
            response = await handler(request, error)
        await response(scope, receive, send)


def _handler(app: FastAPI, error: Exception) -> Any:
    for kind in type(error).__mro__:
        if kind in app.exception_handlers:
            return app.exception_handlers[kind]
    return None


def create_app(settings: Settings, *, clock: Clock | None = None) -> FastAPI:
    """The service's ASGI application.

    Args:
        settings: The store, the identity provider and the limits.
        clock: Tells when commands are recorded; the system clock by default.

    Returns:
        The application: its store opens when it starts and closes when it stops.

    Raises:
        ServiceConfigError: When the identity provider's keys cannot be read.
        DefinitionError: When the procedure file is invalid.
    """
    service = Service(settings, clock=clock)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service.open()
        logger.info("service.started", procedure=service.procedure.name)
        try:
            yield
        finally:
            service.close()
            logger.info("service.stopped")

    app = FastAPI(
        title="disruption",
        summary="The placement disruption procedure as a durable case workflow, over HTTP.",
        version=_version(),
        lifespan=lifespan,
        docs_url=None,  # the interactive pages load scripts from a CDN: none is used
        redoc_url=None,
        openapi_url="/openapi.json",
        # FastAPI's own OpenTelemetry spans, metrics and logs carry paths and exception
        # messages, which may repeat a request's values: off (the access log is ours).
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.service = service
    app.include_router(router)
    if settings.dev_tokens:
        app.include_router(dev_router)
    board.install(app)
    app.add_exception_handler(DisruptionError, _library_error)
    app.add_exception_handler(HttpProblem, _http_problem)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_middleware(CommandRoute, owner=app, service=service)
    app.add_middleware(AccessLog)
    return app


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("disruption")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "0"
