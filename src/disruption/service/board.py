"""The case board: server-rendered pages for people, behind the API's tokens and engine path.

Internal: import its public names from :mod:`disruption.service` (``docs/api.md``); the
module itself may move or change without notice.

The pages (``docs/integration.md``, "The case board"):

- ``GET /``: open cases by state, and the deadlines overdue and due in the next days;
- ``GET /board/cases/{case}``: a case, its deadlines, its timeline, and a form that submits
  a command (``POST /board/cases/{case}/commands``);
- ``GET /board/procedure``: the procedure's states and transitions as tables, and its
  Mermaid text (``GET /board/procedure.mmd``);
- ``GET|POST /signin`` and ``POST /signout``.

Signing in stores a bearer token (an identity provider's, or a development token with
``--dev-tokens``) in a cookie that scripts cannot read (``HttpOnly``), that no other site's
request carries (``SameSite=Strict``) and that travels over HTTPS only unless the board is
reached on loopback (``Secure``). The token is verified on every page as the API verifies
it; an actor whose role the procedure does not know sees no page. A form that changes
something carries a token derived from the session (an HMAC keyed by the session's token),
so a request forged elsewhere is refused even where a browser sends the cookie; a command
goes through the API's own path (the actor is the token's, the case's version is the
form's ``If-Match``, the form's id its idempotency key), and is refused and logged alike.

Free text (a child's views, reasons, recommendations) is shown only to the roles in
:attr:`~disruption.service.settings.Settings.text_readers`; others see that it is withheld.
Each page that shows free text writes a ``board.text_shown`` line (the case and how many
pieces; never the text). Pages are sent with ``Cache-Control: no-store`` and a content
security policy that allows the board's own stylesheet and nothing else (no script runs).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
import weakref
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from importlib import resources
from typing import Annotated, Any
from urllib.parse import parse_qsl, quote
from zoneinfo import ZoneInfo

import jinja2
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from disruption import logs
from disruption.domain.clock import london_date
from disruption.domain.model import Case, ProcedureRef, Role
from disruption.domain.payloads import is_text_ref
from disruption.engine.engine import Outcome
from disruption.engine.ports import OverdueDeadline
from disruption.exceptions import (
    DisruptionError,
    InputError,
    NotAuthenticated,
    UnknownProcedure,
)
from disruption.procedure.definition import Procedure
from disruption.procedure.schema import command_schema
from disruption.service.api import (
    CaseRef,
    HttpProblem,
    Service,
    apply_command,
    command_of,
    identify,
    read_body,
    role_of,
)
from disruption.service.problems import problem_of
from disruption.service.settings import is_loopback
from disruption.service.tokens import Identity

__all__ = ["SESSION_COOKIE", "csrf_token", "install", "router"]

logger = logs.get_logger("disruption.service")

SESSION_COOKIE = "disruption_session"
"""The cookie holding the signed-in actor's bearer token."""

DUE_DAYS = 14
"""The board lists the open deadlines due today and in this many days after."""

PER_STATE = 200
"""The most cases the board lists in one state (it says how many more there are)."""

LONDON = ZoneInfo("Europe/London")

_SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("disruption.service", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_templates.filters["ref"] = lambda value: quote(str(value), safe="")


def csrf_token(session: str) -> str:
    """The token a form of this session carries: an HMAC of a fixed label, keyed by the session.

    It is the same in every worker process and changes with the session, and it reveals
    nothing of the session's token.

    >>> csrf_token("abc") == csrf_token("abc") != csrf_token("abd")
    True
    """
    return hmac.new(session.encode(), b"disruption-board-csrf", hashlib.sha256).hexdigest()


class _Refused(HttpProblem):
    """A board page or form refused: answered with an HTML page, not a problem document."""


class _NotSignedIn(Exception):
    """A page was asked for without a valid session: the answer is the sign-in page."""

    def __init__(self, reason: str | None) -> None:
        super().__init__(reason or "not signed in")
        self.reason = reason


class _Page:
    """Who is looking at a page: the service, the actor, the session's CSRF token."""

    def __init__(self, service: Service, identity: Identity, session: str) -> None:
        self.service = service
        self.identity = identity
        self.csrf = csrf_token(session)
        self.reads_text = identity.role in service.settings.text_readers


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


async def _page(request: Request) -> _Page:
    """The signed-in actor, or :class:`_NotSignedIn` (a known role is needed too)."""
    service = _service(request)
    session = request.cookies.get(SESSION_COOKIE)
    if not session:
        raise _NotSignedIn(None)
    try:
        identity = await identify(service, f"Bearer {session}")
    except NotAuthenticated as error:
        raise _NotSignedIn(f"your sign-in is no longer valid ({error.reason})") from None
    if role_of(identity) is None:
        raise _Refused(
            403,
            "PermissionRefused",
            "Your role may not use the board",
            f"the role {identity.role!r} is not a role of the procedure",
        )
    return _Page(service, identity, session)


def _same_origin(request: Request) -> None:
    """Refuse a form posted from another origin (when the browser says where it came from)."""
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
        raise _Refused(403, "CrossOrigin", "Forms are accepted from the board only", origin)


async def _form(request: Request) -> dict[str, str]:
    """A form's fields (``application/x-www-form-urlencoded``), within the body size limit."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise _Refused(
            415, "UnsupportedMediaType", "A form is expected", f"not a form ({kind or 'none'})"
        )
    body = await read_body(request, _service(request).settings.max_body)
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def _checked_form(page: _Page, fields: Mapping[str, str]) -> None:
    if not hmac.compare_digest(fields.get("csrf", ""), page.csrf):
        raise _Refused(
            403,
            "CsrfRefused",
            "The form is not one this board sent to you",
            "the form's token is missing or not this session's: reload the page",
        )


def _render(
    request: Request, name: str, status: int = 200, page: _Page | None = None, **values: Any
) -> HTMLResponse:
    template = _templates.get_template(name)
    html = template.render(
        page=page,
        identity=None if page is None else page.identity,
        path=request.url.path,
        **values,
    )
    return HTMLResponse(html, status_code=status, headers=_SECURITY_HEADERS)


def _local(moment: datetime) -> str:
    return moment.astimezone(LONDON).strftime("%Y-%m-%d %H:%M")


def _now_local(service: Service) -> str:
    return service.clock.now().astimezone(LONDON).replace(microsecond=0).isoformat()


router = APIRouter(include_in_schema=False)


# -- signing in ---------------------------------------------------------------------------


def _roles() -> list[str]:
    return [r.value for r in Role if r is not Role.SYSTEM]


def _signin_page(request: Request, status: int = 200, error: str | None = None) -> HTMLResponse:
    service = _service(request)
    return _render(
        request,
        "signin.html",
        status,
        error=error,
        dev_tokens=service.signer is not None,
        roles=_roles(),
        next=_next(request.query_params.get("next")),
    )


def _next(value: str | None) -> str:
    """Where to go after signing in: a path of the board only (never another site)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


@router.get("/signin")
async def signin_form(request: Request) -> HTMLResponse:
    """The sign-in page: a bearer token, or (with ``--dev-tokens``) an actor and a role."""
    return _signin_page(request)


@router.post("/signin")
async def signin(request: Request) -> Response:
    """Check the token given (or sign a development token) and keep it in the session cookie."""
    _same_origin(request)
    service = _service(request)
    fields = await _form(request)
    token = fields.get("token", "").strip().removeprefix("Bearer ").strip()
    if not token and service.signer is not None and fields.get("actor"):
        try:
            token = service.signer.sign(fields["actor"].strip(), fields.get("role", ""))
        except (TypeError, ValueError):
            return _signin_page(request, 422, "the actor or role is not valid")
    if not token:
        return _signin_page(request, 422, "give a token")
    try:
        identity = await identify(service, f"Bearer {token}")
    except NotAuthenticated as error:
        return _signin_page(request, 401, f"the token was refused: {error.reason}")
    if role_of(identity) is None:
        return _signin_page(request, 403, f"the role {identity.role!r} may not use the board")
    response = RedirectResponse(_next(fields.get("next")), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/",
    )
    logger.info("board.signed_in")
    return response


def _secure(request: Request) -> bool:
    """Whether the cookie is for HTTPS only: always, unless the board is reached on loopback."""
    return request.url.scheme == "https" or not is_loopback(request.url.hostname or "")


@router.post("/signout")
async def signout(request: Request) -> Response:
    """Forget the session cookie."""
    _same_origin(request)
    page = await _page(request)
    _checked_form(page, await _form(request))
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request)
    )
    return response


# -- the board ----------------------------------------------------------------------------


def _board(service: Service, day: date) -> dict[str, Any]:
    engine = service.engine()
    order = {s.name: i for i, s in enumerate(service.procedure.states)}
    by_state: dict[str, list[Case]] = {}
    ended = 0
    unknown = 0
    for ref in service.store.case_ids():
        try:
            case = engine.load(ref)
        except UnknownProcedure:
            unknown += 1
            continue
        if case is None:
            continue
        if case.state in engine.procedure_of(case.procedure).final_states:
            ended += 1
            continue
        by_state.setdefault(case.state, []).append(case)
    states = [
        {
            "name": state,
            "count": len(cases),
            "cases": [_case_row(c, day) for c in sorted(cases, key=lambda c: c.id)[:PER_STATE]],
        }
        for state, cases in sorted(by_state.items(), key=lambda i: (order.get(i[0], 99), i[0]))
    ]
    overdue = engine.overdue(day)
    soon = [d for d in engine.overdue(day + timedelta(days=DUE_DAYS + 1)) if d.deadline.due >= day]
    return {
        "states": states,
        "open_count": sum(s["count"] for s in states),
        "ended": ended,
        "unknown": unknown,
        "overdue": [_due_row(d, day) for d in overdue],
        "due": [_due_row(d, day) for d in soon],
        "due_days": DUE_DAYS,
        "per_state": PER_STATE,
    }


def _case_row(case: Case, day: date) -> dict[str, Any]:
    open_deadlines = [d for d in case.deadlines if d.closed_on is None and d.status == "open"]
    next_due = min((d.due for d in open_deadlines), default=None)
    return {
        "id": case.id,
        "placement_type": case.placement.type,
        "updated": _local(case.updated_at),
        "open_deadlines": len(open_deadlines),
        "next_due": None if next_due is None else next_due.isoformat(),
        "overdue": next_due is not None and next_due < day,
    }


def _due_row(item: OverdueDeadline, day: date) -> dict[str, Any]:
    return {
        "case": item.case,
        "state": item.state,
        "name": item.deadline.name,
        "due": item.deadline.due.isoformat(),
        "days": (item.deadline.due - day).days,
    }


@router.get("/")
async def board(
    request: Request,
    on: Annotated[date | None, Query(description="The day to judge deadlines on.")] = None,
) -> HTMLResponse:
    """Open cases by state; deadlines overdue and due soon."""
    page = await _page(request)
    service = page.service
    day = on if on is not None else london_date(service.clock.now())
    view = await run_in_threadpool(_board, service, day)
    return _render(request, "board.html", page=page, day=day.isoformat(), **view)


@router.get("/board/case")
async def find_case(
    request: Request, case: Annotated[str, Query(max_length=64)] = ""
) -> RedirectResponse:
    """The board's "go to a case" form: to the case's page."""
    await _page(request)
    if not case.strip():
        return RedirectResponse("/", status_code=303)
    return RedirectResponse(f"/board/cases/{quote(case.strip(), safe='')}", status_code=303)


# -- a case ----------------------------------------------------------------------------------


def _flat(data: object, prefix: str = "") -> list[tuple[str, object]]:
    """Event data as (dotted name, value) rows; a free-text reference stays one value."""
    if isinstance(data, Mapping) and not is_text_ref(data):
        rows: list[tuple[str, object]] = []
        for key, value in data.items():
            rows.extend(_flat(value, f"{prefix}{key}."))
        return rows or [(prefix.rstrip("."), "(none)")]
    if isinstance(data, list) and any(isinstance(v, Mapping) for v in data):
        rows = []
        for i, value in enumerate(data):
            rows.extend(_flat(value, f"{prefix.rstrip('.')}[{i + 1}]."))
        return rows
    return [(prefix.rstrip("."), data)]


def _value(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value) or "(none)"
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _timeline(page: _Page, case: Case, events: Sequence[Any]) -> tuple[list[dict[str, Any]], int]:
    """The case's events for the page, free text resolved for a reader; how many were shown."""
    shown = 0
    entries = []
    for event in events:
        fields = []
        for name, value in _flat(dict(event.data)):
            if is_text_ref(value):
                assert isinstance(value, Mapping)
                text: str | None = None
                if page.reads_text:
                    text = page.service.store.text(str(value["ref"]))
                    shown += text is not None
                fields.append(
                    {"name": name, "text": True, "value": text, "erased": page.reads_text}
                )
            else:
                fields.append({"name": name, "text": False, "value": _value(value)})
        entries.append(
            {
                "seq": event.seq,
                "type": event.type,
                "command": event.command,
                "at": _local(event.at),
                "recorded_at": _local(event.recorded_at),
                "actor": event.actor.id,
                "role": str(event.actor.role),
                "from_state": event.from_state,
                "to_state": event.to_state,
                "fields": fields,
                "deadlines": [
                    {
                        "name": d.name,
                        "change": str(d.change),
                        "due": None if d.due is None else d.due.isoformat(),
                        "on": None if d.on is None else d.on.isoformat(),
                    }
                    for d in event.deadlines
                ],
            }
        )
    return entries, shown


def _schema_fields(
    properties: Mapping[str, Any], required: Sequence[str], prefix: str = ""
) -> list[dict[str, Any]]:
    rows = []
    for name, spec in properties.items():
        if spec.get("type") == "object" and "properties" in spec:
            rows.extend(
                _schema_fields(spec["properties"], spec.get("required", ()), f"{prefix}{name}.")
            )
            continue
        items = spec.get("items") if isinstance(spec.get("items"), Mapping) else {}
        if "enum" in spec:
            kind = "one of " + ", ".join(str(v) for v in spec["enum"])
        elif "enum" in items:
            kind = "a list of: " + ", ".join(str(v) for v in items["enum"])
        elif spec.get("type") == "array":
            kind = "a list"
        else:
            kind = {"string": "text", "boolean": "true or false"}.get(spec.get("type", ""), "")
            kind = kind or str(spec.get("type", "a value"))
        rows.append(
            {
                "name": f"{prefix}{name}",
                "required": name in required,
                "kind": kind,
                "description": str(spec.get("description", "")),
            }
        )
    return rows


def _data_fields(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rows of a command's data schema; each alternative's (``oneOf``, ``anyOf``) named."""
    if "properties" in data:
        return _schema_fields(data["properties"], data.get("required", ()))
    alternatives = data.get("oneOf") or data.get("anyOf") or ()
    rows: list[dict[str, Any]] = []
    for i, alternative in enumerate(alternatives, start=1):
        for row in _data_fields(alternative):
            described = row["description"]
            head = f"Alternative {i}." if len(alternatives) > 1 else ""
            rows.append({**row, "description": " ".join(x for x in (head, described) if x)})
    return rows


_FIELDS: weakref.WeakKeyDictionary[Procedure, dict[str, list[dict[str, Any]]]] = (
    weakref.WeakKeyDictionary()
)
"""Per procedure (by identity), its commands' rows, made when its first page is shown."""


def _command_fields(procedure: Procedure) -> dict[str, list[dict[str, Any]]]:
    """Each command's data fields, as the JSON Schema generated for the procedure says."""
    found = _FIELDS.get(procedure)
    if found is None:
        schema = command_schema([procedure])
        found = {}
        for rule in schema.get("allOf", ()):
            name = rule.get("if", {}).get("properties", {}).get("command", {}).get("const")
            data = rule.get("then", {}).get("properties", {}).get("data", {})
            if isinstance(name, str):
                found[name] = _data_fields(data)
        _FIELDS[procedure] = found
    return found


def _available(procedure: Procedure, case: Case | None) -> list[str]:
    """The commands that act in the case's state (only the opening one for a new case)."""
    if case is None:
        return [c.name for c in procedure.commands if c.creates]
    return [
        c.name
        for c in procedure.commands
        if not c.creates and any(case.state in t.source for t in c.transitions)
    ]


def _case_view(page: _Page, ref: str) -> dict[str, Any]:
    service = page.service
    engine = service.engine()
    case = engine.load(ref)
    today = london_date(service.clock.now())
    if case is None:
        return {
            "case": None,
            "ref": ref,
            "commands": _available(service.procedure, None),
            "fields": _command_fields(service.procedure),
            "procedure": service.procedure,
            "version": 0,
        }
    procedure = engine.procedure_of(case.procedure)
    entries, shown = _timeline(page, case, engine.history(ref))
    if shown:
        logger.info("board.text_shown", case=ref, count=shown)
    deadlines = [
        {
            "name": d.name,
            "due": d.due.isoformat(),
            "status": str(d.status),
            "closed_on": None if d.closed_on is None else d.closed_on.isoformat(),
            "overdue": d.status == "open" and d.due < today,
        }
        for d in case.deadlines
    ]
    return {
        "case": case,
        "ref": ref,
        "placement": case.placement,
        "deadlines": deadlines,
        "timeline": entries,
        "commands": _available(procedure, case),
        "fields": _command_fields(procedure),
        "procedure": procedure,
        "version": case.version,
    }


def _form_defaults(service: Service) -> dict[str, str]:
    return {"command": "", "at": _now_local(service), "data": "{}", "id": str(uuid.uuid4())}


@router.get("/board/cases/{case}")
async def case_page(
    request: Request,
    case: CaseRef,
    applied: Annotated[str | None, Query(max_length=64)] = None,
    duplicate: bool = False,
) -> HTMLResponse:
    """A case: its state, placement, deadlines and timeline, and the command form."""
    page = await _page(request)
    view = await run_in_threadpool(_case_view, page, case)
    done = applied if applied in {c.name for c in view["procedure"].commands} else None
    return _render(
        request,
        "case.html",
        200 if view["case"] is not None else 404,
        page=page,
        applied=done,
        duplicate=duplicate,
        form=_form_defaults(page.service),
        problem=None,
        **view,
    )


def _submitted(
    service: Service, identity: Identity, case: str, fields: Mapping[str, str]
) -> Outcome:
    try:
        data = json.loads(fields.get("data", "").strip() or "{}")
    except json.JSONDecodeError as error:
        raise InputError(f"data: not JSON ({error.msg})", field="data") from None
    except RecursionError:
        raise InputError("data: nested too deeply", field="data") from None
    version = fields.get("version", "")
    expected = int(version) if version.isdigit() and len(version) < 19 else None
    body: dict[str, Any] = {
        "command": fields.get("command", ""),
        "at": fields.get("at", "").strip(),
        "data": data,
    }
    if fields.get("id"):
        body["id"] = fields["id"][:64]
    command, role, claimed = command_of(body, case, identity, None)
    return apply_command(service, command, role, claimed, identity, expected)


@router.post("/board/cases/{case}/commands")
async def submit_command(request: Request, case: CaseRef) -> Response:
    """A command from the case's form, by the API's path: the actor is the session's."""
    _same_origin(request)
    page = await _page(request)
    fields = await _form(request)
    _checked_form(page, fields)
    try:
        outcome = await page.service.write(_submitted, page.service, page.identity, case, fields)
    except (DisruptionError, HttpProblem) as error:
        if isinstance(error, HttpProblem):
            status, title, detail, field = error.status, error.title, error.detail, None
        else:
            status, body = problem_of(error)
            title, detail, field = body["title"], body["detail"], body.get("field")
        view = await run_in_threadpool(_case_view, page, case)
        form = {**_form_defaults(page.service), **fields}
        return _render(
            request,
            "case.html",
            status,
            page=page,
            applied=None,
            duplicate=False,
            form={k: form[k] for k in ("command", "at", "data", "id")},
            problem={"title": title, "detail": detail, "field": field},
            **view,
        )
    target = f"/board/cases/{quote(outcome.case.id, safe='')}?applied={fields['command']}"
    if outcome.duplicate:
        target += "&duplicate=true"
    return RedirectResponse(target, status_code=303)


# -- the procedure ------------------------------------------------------------------------


def _procedure(service: Service, name: str | None, version: int | None) -> Procedure:
    if name is None or version is None:
        return service.procedure
    return service.engine().procedure_of(ProcedureRef(name, version))


def _transitions(procedure: Procedure) -> list[dict[str, Any]]:
    rows = []
    for spec in procedure.commands:
        for transition in spec.transitions:
            for source in transition.source or ("(new case)",):
                roles = spec.roles_in.get(source, spec.roles)
                rows.append(
                    {
                        "command": spec.name,
                        "source": source,
                        "dest": transition.dest,
                        "when": None
                        if transition.when is None
                        else getattr(transition.when, "__name__", "a condition"),
                        "roles": "any role"
                        if roles is None
                        else ", ".join(sorted(str(r) for r in roles)),
                        "creates": spec.creates,
                    }
                )
    return rows


@router.get("/board/procedure")
async def procedure_page(
    request: Request,
    name: Annotated[str | None, Query(max_length=64)] = None,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    """The procedure's states and transitions, as tables (its diagram, in words)."""
    page = await _page(request)
    procedure = _procedure(page.service, name, version)
    return _render(
        request,
        "procedure.html",
        page=page,
        procedure=procedure,
        transitions=_transitions(procedure),
    )


@router.get("/board/procedure.mmd")
async def procedure_mermaid(
    request: Request,
    name: Annotated[str | None, Query(max_length=64)] = None,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> PlainTextResponse:
    """The procedure as a Mermaid state diagram, to download."""
    page = await _page(request)
    procedure = _procedure(page.service, name, version)
    filename = f"{procedure.name}-v{procedure.version}.mmd"
    return PlainTextResponse(
        procedure.diagram() + "\n",
        headers={
            **_SECURITY_HEADERS,
            "Content-Disposition": f'attachment; filename="{quote(filename)}"',
        },
    )


_CSS = resources.files("disruption.service").joinpath("static/board.css")


@router.get("/static/board.css")
async def stylesheet() -> Response:
    """The board's stylesheet (no page needs anything else)."""
    return Response(
        _CSS.read_bytes(),
        media_type="text/css",
        headers={"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


# -- wiring -------------------------------------------------------------------------------


async def _to_signin(request: Request, error: Exception) -> Response:
    assert isinstance(error, _NotSignedIn)
    if request.method == "GET":
        target = "/signin"
        if request.url.path != "/":
            target += "?next=" + quote(request.url.path, safe="")
        return RedirectResponse(target, status_code=303)
    return _signin_page(request, 401, error.reason or "sign in first")


async def _refused_page(request: Request, error: Exception) -> Response:
    """A board page refused (403, 415...): an HTML page, where the API answers a problem."""
    assert isinstance(error, _Refused)
    return _render(
        request,
        "error.html",
        error.status,
        code=error.status,
        title=error.title,
        detail=error.detail,
    )


def install(app: FastAPI) -> None:
    """Add the board's routes to the application, and its answer to a page without a session."""
    app.include_router(router)
    app.add_exception_handler(_NotSignedIn, _to_signin)
    app.add_exception_handler(_Refused, _refused_page)
