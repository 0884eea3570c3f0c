"""The case board: pages behind a session, the command form, free text by role (no browser).

The browser's own tests (Playwright driving Chromium, with an accessibility check) are in
``tests/test_board_browser.py``; these drive the pages over HTTP with the framework's
TestClient, against SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest
import structlog
from fastapi.testclient import TestClient

from disruption import logs
from disruption.domain.clock import SystemClock, london_date
from disruption.exceptions import ServiceConfigError
from disruption.service import Settings, create_app
from disruption.service.board import SESSION_COOKIE, csrf_token
from tests.test_service import SW, TM, at, bearer, concern, db, opening, post

__all__ = ["db"]  # the fixture, imported: SQLite and PostgreSQL

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:starlette.*")

LOOPBACK = "http://127.0.0.1:8000"
PAGES = ("/", "/board/cases/P-1", "/board/procedure", "/board/procedure.mmd")


@pytest.fixture
def client(db: str) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=db, dev_tokens=True)), base_url=LOOPBACK) as test:
        yield test


def sign_in(client: TestClient, who: tuple[str, str] = SW) -> httpx.Response:
    response: httpx.Response = client.post(
        "/signin", data={"actor": who[0], "role": who[1]}, follow_redirects=False
    )
    return response


def form_of(page: httpx.Response) -> dict[str, str]:
    """The hidden fields of a page's command form."""
    found = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page.text))
    return {k: found[k] for k in ("csrf", "id", "version")}


def submit(
    client: TestClient, case: str, command: str, payload: dict[str, Any], **fields: str
) -> httpx.Response:
    page = client.get(f"/board/cases/{case}")
    body = {
        **form_of(page),
        "command": command,
        "at": at(5),
        "data": json.dumps(payload),
        **fields,
    }
    response: httpx.Response = client.post(
        f"/board/cases/{case}/commands", data=body, follow_redirects=False
    )
    return response


def test_every_page_needs_a_session(client: TestClient) -> None:
    for path in PAGES:
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/signin"), path
    assert client.get("/board/cases/P-1", follow_redirects=False).headers["location"] == (
        "/signin?next=%2Fboard%2Fcases%2FP-1"
    )
    posted = client.post(
        "/board/cases/P-1/commands", data={"command": "open_case"}, follow_redirects=False
    )
    assert posted.status_code == 401
    assert "Sign in" in posted.text
    assert client.app.state.service.store.last_position() == 0  # type: ignore[attr-defined]
    # a cookie that is not a valid token is no session either
    client.cookies.set(SESSION_COOKIE, "not-a-token")
    assert client.get("/", follow_redirects=False).headers["location"] == "/signin"


def test_signing_in_keeps_the_token_in_a_strict_http_only_cookie(client: TestClient) -> None:
    page = client.get("/signin")
    assert page.status_code == 200
    assert 'for="token"' in page.text
    assert 'for="actor"' in page.text
    response = sign_in(client)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Secure" not in cookie  # reached on loopback: plain HTTP is allowed
    board = client.get("/")
    assert board.status_code == 200
    assert "Signed in as <strong>sw-17</strong> (social_worker)" in board.text
    assert board.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in board.headers["content-security-policy"]
    # signing out forgets it (a form with the session's token)
    csrf = form_of(client.get("/board/cases/P-1"))["csrf"]
    out = client.post("/signout", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303
    assert 'disruption_session=""' in out.headers["set-cookie"]


def test_the_cookie_is_secure_off_loopback_and_a_pasted_bearer_token_signs_in(db: str) -> None:
    app = create_app(Settings(db=db, dev_tokens=True))
    with TestClient(app, base_url="http://board.example.org") as client:
        token = app.state.service.signer.sign("tm-3", "team_manager")
        response = client.post(
            "/signin",
            data={"token": f"Bearer {token}", "next": "/board/procedure"},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/board/procedure"
        assert "Secure" in response.headers["set-cookie"]
        # a next page on another site is not followed
        again = client.post(
            "/signin", data={"token": token, "next": "//evil.example"}, follow_redirects=False
        )
        assert again.headers["location"] == "/"
        refused = client.post("/signin", data={"token": token + "x"}, follow_redirects=False)
        assert refused.status_code == 401
        assert "the token was refused" in refused.text
        assert "set-cookie" not in refused.headers
        wizard = client.post(
            "/signin", data={"actor": "wz-1", "role": "wizard"}, follow_redirects=False
        )
        assert wizard.status_code == 403
        assert "set-cookie" not in wizard.headers


def test_a_command_from_the_form_goes_through_the_engine_as_the_sessions_actor(
    client: TestClient,
) -> None:
    sign_in(client)
    new = client.get("/board/cases/P-1")
    assert new.status_code == 404
    assert '<option value="open_case"' in new.text
    data = opening()["data"]
    applied = submit(client, "P-1", "open_case", data)
    assert applied.status_code == 303, applied.text
    assert applied.headers["location"] == "/board/cases/P-1?applied=open_case"
    shown = client.get(applied.headers["location"])
    assert "<strong>open_case</strong> was applied" in shown.text
    case = client.get("/cases/P-1", headers=bearer(client)).json()
    assert case["history"][0]["actor"] == {"id": "sw-17", "role": "social_worker"}
    assert case["version"] == 1
    # the same form sent again (its id is the idempotency key) records nothing new
    page = client.get("/board/cases/P-1")
    fields = form_of(page)
    raw = json.dumps(concern()["data"])
    body = {**fields, "command": "raise_concern", "at": at(5), "data": raw}
    first = client.post("/board/cases/P-1/commands", data=body, follow_redirects=False)
    assert first.status_code == 303
    again = client.post("/board/cases/P-1/commands", data=body, follow_redirects=False)
    assert again.headers["location"].endswith("&duplicate=true")
    assert client.get("/cases/P-1", headers=bearer(client)).json()["version"] == 2


def test_a_refused_command_is_shown_with_its_error_and_writes_nothing(client: TestClient) -> None:
    post(client, "P-1", opening())
    sign_in(client)
    invalid = submit(client, "P-1", "raise_concern", {"category": "nonsense", "raised_by": "x"})
    assert invalid.status_code == 422
    assert 'role="alert"' in invalid.text
    assert "category" in invalid.text
    [data_field] = re.findall(r'<textarea id="data"[^>]*>', invalid.text)
    assert 'aria-invalid="true"' in data_field
    assert "nonsense" in invalid.text  # the form keeps what was typed
    not_json = submit(client, "P-1", "raise_concern", {}, data="{")
    assert not_json.status_code == 422
    assert "not JSON" in not_json.text
    stale = submit(client, "P-1", "raise_concern", concern()["data"], version="0")
    assert stale.status_code == 412
    post(client, "P-1", concern())
    # a step the role may not take: refused by the engine and written to the access log
    nfa = submit(client, "P-1", "no_further_action", {"reason": "settled"})
    assert nfa.status_code == 403
    store = client.app.state.service.store  # type: ignore[attr-defined]
    assert [(r.actor_id, r.error) for r in store.refusals()] == [("sw-17", "PermissionRefused")]
    assert client.get("/cases/P-1", headers=bearer(client)).json()["version"] == 2


def test_a_form_without_the_sessions_token_or_from_another_site_is_refused(
    client: TestClient,
) -> None:
    response = sign_in(client)
    session = response.cookies[SESSION_COOKIE]
    body = {"command": "open_case", "at": at(), "data": json.dumps(opening()["data"])}
    for csrf in (None, "0" * 64, csrf_token(session + "x")):
        fields = body if csrf is None else {**body, "csrf": csrf}
        refused = client.post("/board/cases/P-1/commands", data=fields)
        assert refused.status_code == 403
        assert "not one this board sent to you" in refused.text
    foreign = client.post(
        "/board/cases/P-1/commands",
        data={**body, "csrf": csrf_token(session)},
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    as_json = client.post("/board/cases/P-1/commands", json=body)
    assert as_json.status_code == 415
    assert client.app.state.service.store.last_position() == 0  # type: ignore[attr-defined]
    applied = client.post(
        "/board/cases/P-1/commands",
        data={**body, "csrf": csrf_token(session)},
        headers={"Origin": LOOPBACK},
        follow_redirects=False,
    )
    assert applied.status_code == 303


def _with_free_text(client: TestClient) -> str:
    post(client, "P-1", opening())
    post(client, "P-1", concern())
    reason = "Ann says the placement feels settled now"
    nfa = {"command": "no_further_action", "at": at(2), "data": {"reason": reason}}
    assert post(client, "P-1", nfa, TM).status_code == 201
    return reason


def test_free_text_is_shown_only_to_the_roles_allowed_and_never_logged(
    client: TestClient,
) -> None:
    reason = _with_free_text(client)
    out = io.StringIO()
    structlog.configure(
        processors=[logs.drop_personal_fields, structlog.processors.JSONRenderer()],
        logger_factory=structlog.PrintLoggerFactory(out),
    )
    try:
        sign_in(client, TM)
        manager = client.get("/board/cases/P-1")
        assert reason in manager.text
        sign_in(client, ("carer-1", "carer"))
        carer = client.get("/board/cases/P-1")
        assert carer.status_code == 200
        assert reason not in carer.text
        assert "(free text withheld)" in carer.text
        assert "your role (carer) may not read it" in carer.text
    finally:
        structlog.reset_defaults()
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert {"event": "board.text_shown", "case": "P-1", "count": 1} in lines
    assert reason not in out.getvalue()


def test_the_text_readers_are_configurable(db: str) -> None:
    with pytest.raises(ServiceConfigError, match="'wizard' is not a role") as refused:
        Settings(db=db, dev_tokens=True, text_readers=("iro", "wizard"))
    assert refused.value.option == "--text-reader"
    app = create_app(Settings(db=db, dev_tokens=True, text_readers=("carer",)))
    with TestClient(app, base_url=LOOPBACK) as client:
        reason = _with_free_text(client)
        sign_in(client, ("carer-1", "carer"))
        assert reason in client.get("/board/cases/P-1").text
        sign_in(client, TM)
        assert reason not in client.get("/board/cases/P-1").text


def test_the_board_lists_open_cases_by_state_and_deadlines_due_and_overdue(
    client: TestClient,
) -> None:
    post(client, "P-1", opening())
    post(client, "P-2", opening("C-2"))
    post(client, "P-2", concern())
    sign_in(client)
    board = client.get("/")
    assert board.status_code == 200
    assert '<h3 id="state-placed">placed (1)</h3>' in board.text
    assert '<h3 id="state-concern_raised">concern_raised (1)</h3>' in board.text
    assert 'href="/board/cases/P-2"' in board.text
    assert "Fragile placements by state (2 open)" in board.text
    assert "Deadlines due in the next 14 days (1)" in board.text
    assert "No deadline is overdue." in board.text
    later = client.get("/?on=2199-01-01")
    assert "Deadlines overdue (1)" in later.text
    assert '<strong class="overdue">(overdue)</strong>' in later.text
    found = client.get("/board/case?case=P-2", follow_redirects=False)
    assert found.headers["location"] == "/board/cases/P-2"
    assert client.get("/board/case?case=+", follow_redirects=False).headers["location"] == "/"
    case = client.get("/board/cases/P-2")
    assert '<ol class="timeline">' in case.text
    assert "1. open_case" in case.text
    assert "2. raise_concern" in case.text
    assert "placed to concern_raised" in case.text
    # each command's data fields, from the contract's JSON Schema
    assert "<summary>no_further_action</summary>" in case.text
    assert '<th scope="row"><code>reason</code></th><td>yes</td>' in case.text


def test_the_procedure_page_lists_states_and_transitions_and_offers_the_mermaid(
    client: TestClient,
) -> None:
    sign_in(client)
    page = client.get("/board/procedure")
    assert page.status_code == 200
    procedure = client.app.state.service.procedure  # type: ignore[attr-defined]
    for state in procedure.states:
        assert f'<th scope="row">{state.name}</th>' in page.text
    for spec in procedure.commands:
        assert f'<th scope="row">{spec.name}</th>' in page.text
    mermaid = client.get("/board/procedure.mmd")
    assert mermaid.text == client.get("/diagram", headers=bearer(client)).text
    assert mermaid.headers["content-disposition"] == 'attachment; filename="standard-v2.mmd"'
    v1 = client.get("/board/procedure?name=standard&version=1")
    assert "standard version 1" in v1.text


def test_the_stylesheet_is_served_and_needs_no_session(client: TestClient) -> None:
    css = client.get("/static/board.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert ":focus-visible" in css.text


def test_todays_date_on_the_system_clock_is_a_plain_date(client: TestClient) -> None:
    """The board asks the system clock (pendulum) for today: a pendulum ``Date`` shared by
    ``london_date``'s cache ended up in the next command's case, which could not be stored."""
    assert type(london_date(SystemClock().now())) is date
    post(client, "P-1", opening())
    sign_in(client)
    assert client.get("/").status_code == 200
    assert post(client, "P-1", concern()).status_code == 201
