"""The HTTP service: its API over HTTP against SQLite and PostgreSQL, tokens, HTTP semantics.

Most tests use the framework's TestClient (the application in the test's process, over
httpx); the event stream and a few others run against a real uvicorn server on loopback.
"""

from __future__ import annotations

import contextlib
import http.server
import io
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import httpx
import jwt
import pytest
import structlog
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from disruption import logs
from disruption.cli import app as cli
from disruption.domain.clock import FixedClock
from disruption.domain.commands import Command
from disruption.engine.engine import Engine
from disruption.exceptions import ServiceConfigError
from disruption.service import Settings, create_app
from disruption.service.api import AtVersion
from disruption.service.run import SETTINGS_ENV, from_environment
from disruption.service.settings import is_loopback
from disruption.service.tokens import UrlKeys
from disruption.store import SqlStore
from tests.scripts import ROOT, load_script
from tests.servers import running
from tests.strategies import command_lines, command_objects

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:starlette.*")

NOW = datetime.now(UTC).replace(microsecond=0)
SW = ("sw-17", "social_worker")
TM = ("tm-3", "team_manager")


def at(minutes: int = 0) -> str:
    """A step's time: an hour ago, plus ``minutes`` (never backdated, never in the future)."""
    return (NOW - timedelta(hours=1) + timedelta(minutes=minutes)).isoformat()


def opening(child: str = "C-1") -> dict[str, Any]:
    start = (NOW - timedelta(days=30)).date().isoformat()
    return {
        "command": "open_case",
        "at": at(),
        "data": {
            "child": child,
            "placement": {
                "id": "PL-1",
                "type": "U1",
                "provider": "PR1",
                "start": start,
                "location": "in_borough",
            },
        },
    }


def concern(minutes: int = 1) -> dict[str, Any]:
    return {
        "command": "raise_concern",
        "at": at(minutes),
        "data": {"category": "carer_difficulty", "raised_by": "carer"},
    }


@pytest.fixture
def db(db_url: str) -> str:
    """A store location on each backend (``tests/conftest.py``'s ``db_url``)."""
    return db_url


def make_app(db: str, **options: Any) -> FastAPI:
    return create_app(Settings(db=db, dev_tokens=True, **options))


@pytest.fixture
def client(db: str) -> Iterator[TestClient]:
    with TestClient(make_app(db)) as test_client:
        yield test_client


def bearer(
    client: TestClient | FastAPI, who: tuple[str, str] = SW, **claims: Any
) -> dict[str, str]:
    app: Any = client.app if isinstance(client, TestClient) else client
    token = app.state.service.signer.sign(*who, **claims)
    return {"Authorization": f"Bearer {token}"}


def post(
    client: TestClient,
    case: str,
    body: dict[str, Any],
    who: tuple[str, str] = SW,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    response: httpx.Response = client.post(
        f"/cases/{case}/commands", json=body, headers={**bearer(client, who), **(headers or {})}
    )
    return response


def problem(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == f"urn:disruption:problem:{error}"
    assert body["status"] == status
    return body


# -- the API ------------------------------------------------------------------------------


def test_health_needs_no_token_and_reads_the_database(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "position": 0}


def test_health_is_503_when_the_store_cannot_be_used(client: TestClient) -> None:
    client.app.state.service.close()  # type: ignore[attr-defined]
    problem(client.get("/health"), 503, "StoreError")


def test_the_openapi_document_names_every_route_and_the_bearer_scheme(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert {
        "/health",
        "/cases/{case}/commands",
        "/cases/{case}",
        "/overdue",
        "/events",
        "/events/stream",
        "/diagram",
    } <= set(document["paths"])
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert client.get("/docs").status_code == 404  # no pages that load a CDN's scripts


def test_a_command_is_applied_and_the_case_read_with_its_version(client: TestClient) -> None:
    created = post(client, "P-1", opening())
    assert created.status_code == 201, created.text
    assert created.headers["etag"] == '"1"'
    assert created.headers["location"] == "/cases/P-1"
    assert created.json()["state"] == "placed"
    assert created.json()["contract_version"] == 1
    assert created.json()["events"][0]["actor"] == {"id": "sw-17", "role": "social_worker"}

    assert post(client, "P-1", concern()).json()["state"] == "concern_raised"
    case = client.get("/cases/P-1", headers=bearer(client))
    assert case.status_code == 200
    assert case.headers["etag"] == '"2"'
    assert case.json()["state"] == "concern_raised"
    assert [e["type"] for e in case.json()["history"]] == ["CaseOpened", "ConcernRaised"]
    unchanged = client.get("/cases/P-1", headers={**bearer(client), "If-None-Match": '"2"'})
    assert unchanged.status_code == 304


def test_refusals_are_problems_carrying_the_typed_error(client: TestClient) -> None:
    body = problem(client.get("/cases/P-404", headers=bearer(client)), 404, "UnknownCase")
    assert body["case"] == "P-404"
    post(client, "P-1", opening())
    invalid = dict(concern(), data={"category": "nonsense", "raised_by": "carer"})
    body = problem(post(client, "P-1", invalid), 422, "InvalidData")
    assert body["field"] == "category"
    assert body["state"] == "placed"
    wrong_state = {"command": "stabilise", "at": at(2), "data": {}}
    body = problem(post(client, "P-1", wrong_state, TM), 409, "CommandNotAllowed")
    assert body["command"] == "stabilise"
    not_json = client.post("/cases/P-1/commands", content=b'{"command": ', headers=bearer(client))
    assert "not valid JSON" in problem(not_json, 422, "InputError")["detail"]
    newer = dict(concern(), contract_version=2)
    body = problem(post(client, "P-1", newer), 422, "UnsupportedContractVersion")
    assert (body["field"], body["version"], body["supported"]) == ("contract_version", 2, [1])
    other_case = dict(concern(), case="P-2")
    assert problem(post(client, "P-1", other_case), 422, "InputError")["field"] == "case"
    bad_day = client.get("/overdue?on=2026-13-01", headers=bearer(client))
    assert problem(bad_day, 422, "InvalidRequest")["field"] == "on"


def test_overdue_events_and_the_diagram(client: TestClient) -> None:
    post(client, "P-1", opening())
    post(client, "P-1", concern())
    later = (NOW + timedelta(days=30)).date().isoformat()
    overdue = client.get(f"/overdue?on={later}", headers=bearer(client)).json()
    assert [(o["case"], o["name"]) for o in overdue] == [("P-1", "screening")]
    assert client.get("/overdue", headers=bearer(client)).json() == []

    page = client.get("/events?after=0&limit=1", headers=bearer(client))
    assert page.headers["content-type"] == "application/cloudevents-batch+json"
    assert page.headers["link"] == '</events?after=1&limit=1>; rel="next"'
    [first] = page.json()
    assert (first["specversion"], first["id"], first["position"]) == ("1.0", "P-1/1", 1)
    assert len(first["chainhash"]) == 64
    [second] = client.get("/events?after=1", headers=bearer(client)).json()
    assert second["type"] == "disruption.ConcernRaised"
    assert client.get("/events?after=2", headers=bearer(client)).json() == []

    diagram = client.get("/diagram", headers=bearer(client))
    assert "stateDiagram-v2" in diagram.text


# -- authentication -----------------------------------------------------------------------


def test_no_token_or_a_bad_one_is_401(client: TestClient) -> None:
    for path in ("/cases/P-1", "/overdue", "/events", "/diagram"):
        body = problem(client.get(path), 401, "NotAuthenticated")
        assert body["reason"] == "no bearer token"
    response = client.get("/events", headers={"Authorization": "Bearer not-a-token"})
    assert problem(response, 401, "NotAuthenticated")["reason"] == "malformed token"
    assert response.headers["www-authenticate"].startswith("Bearer")
    expired = bearer(client, exp=int(time.time()) - 3600)
    assert (
        problem(client.get("/events", headers=expired), 401, "NotAuthenticated")["reason"]
        == "expired"
    )
    other_audience = bearer(client, aud="someone-else")
    assert (
        problem(client.get("/events", headers=other_audience), 401, "NotAuthenticated")["reason"]
        == "wrong audience"
    )
    other_issuer = bearer(client, iss="urn:elsewhere")
    assert (
        problem(client.get("/events", headers=other_issuer), 401, "NotAuthenticated")["reason"]
        == "wrong issuer"
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        {
            "sub": "sw-17",
            "role": "social_worker",
            "iss": "urn:disruption:dev",
            "aud": "disruption",
            "exp": int(time.time()) + 60,
        },
        key,
        algorithm="RS256",
        headers={"kid": "disruption-dev"},
    )
    response = client.get("/events", headers={"Authorization": f"Bearer {forged}"})
    problem(response, 401, "NotAuthenticated")
    assert post(client, "P-1", opening(), ("not a reference", "social_worker")).status_code == 401


def test_the_actor_is_the_tokens_and_a_body_naming_another_is_refused_and_logged(
    client: TestClient,
) -> None:
    same = dict(opening(), actor={"id": "sw-17", "role": "social_worker"})
    assert post(client, "P-1", same).status_code == 201
    claimed = dict(concern(), actor={"id": "tm-3", "role": "team_manager"})
    body = problem(post(client, "P-1", claimed), 403, "ActorMismatch")
    assert body["claimed"] == {"id": "tm-3", "role": "team_manager"}
    assert (body["actor"], body["state"]) == ("sw-17", "placed")
    store = client.app.state.service.store  # type: ignore[attr-defined]
    [refusal] = store.refusals()
    assert (refusal.actor_id, refusal.actor_role, refusal.error, refusal.state) == (
        "sw-17",
        "social_worker",
        "ActorMismatch",
        "placed",
    )
    assert client.get("/cases/P-1", headers=bearer(client)).headers["etag"] == '"1"'


def test_a_role_not_allowed_is_403_and_in_the_access_log(client: TestClient) -> None:
    post(client, "P-1", opening())
    post(client, "P-1", concern())
    nfa = {"command": "no_further_action", "at": at(2), "data": {"reason": "settled"}}
    body = problem(post(client, "P-1", nfa, SW), 403, "PermissionRefused")
    assert body["role"] == "social_worker"
    wizard = problem(post(client, "P-1", nfa, ("wz-1", "wizard")), 403, "PermissionRefused")
    assert wizard["role"] == "wizard"
    problem(
        client.get("/cases/P-1", headers=bearer(client, ("wz-1", "wizard"))),
        403,
        "PermissionRefused",
    )
    store = client.app.state.service.store  # type: ignore[attr-defined]
    refused = [(r.actor_id, r.actor_role, r.error) for r in store.refusals()]
    assert sorted(refused) == [
        ("sw-17", "social_worker", "PermissionRefused"),
        ("wz-1", "wizard", "PermissionRefused"),
    ]
    assert post(client, "P-1", nfa, TM).json()["state"] == "placed"


# -- HTTP semantics -----------------------------------------------------------------------


def test_a_case_reference_too_long_for_the_command_route_is_refused_by_the_router(
    client: TestClient,
) -> None:
    # The command route's fast path (CommandRoute) leaves it to FastAPI, which says which
    # parameter is invalid; nothing is written.
    body = problem(post(client, "P" * 65, opening()), 422, "InvalidRequest")
    assert body["field"] == "case"
    assert client.get("/events", headers=bearer(client)).json() == []
    assert post(client, "P" * 64, opening()).status_code == 201


def test_an_idempotency_key_is_the_command_id_applied_once(client: TestClient) -> None:
    first = post(client, "P-1", opening(), headers={"Idempotency-Key": "lcs-1"})
    again = post(client, "P-1", opening(), headers={"Idempotency-Key": "lcs-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["duplicate"] is True
    assert again.json()["events"] == first.json()["events"]
    assert first.json()["events"][0]["command_id"] == "lcs-1"
    assert len(client.get("/events", headers=bearer(client)).json()) == 1
    clash = dict(concern(), id="lcs-other")
    body = problem(
        post(client, "P-1", clash, headers={"Idempotency-Key": "lcs-2"}), 422, "InputError"
    )
    assert body["field"] == "id"


def test_if_match_carries_the_version_and_a_stale_one_is_412(client: TestClient) -> None:
    post(client, "P-1", opening())
    stale = post(client, "P-1", concern(), headers={"If-Match": '"0"'})
    body = problem(stale, 412, "VersionMismatch")
    assert (body["expected"], body["actual"], body["command"]) == (0, 1, "raise_concern")
    assert client.get("/cases/P-1", headers=bearer(client)).headers["etag"] == '"1"'
    applied = post(client, "P-1", concern(), headers={"If-Match": '"1"'})
    assert (applied.status_code, applied.headers["etag"]) == (201, '"2"')
    problem(
        post(client, "P-1", concern(), headers={"If-Match": "yesterday"}), 400, "InvalidIfMatch"
    )


def test_if_match_holds_when_another_writer_gets_in_between_read_and_write(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    post(client, "P-1", opening())
    service = client.app.state.service  # type: ignore[attr-defined]
    reads = AtVersion.snapshot_unless_applied

    def read_then_another_writes(self: Any, case: str, command_id: str | None) -> Any:
        found = reads(self, case, command_id)  # at version 1, as If-Match says
        monkeypatch.setattr(AtVersion, "snapshot_unless_applied", reads)
        other = {**concern(), "case": case, "actor": {"id": "sw-9", "role": "social_worker"}}
        service.engine().handle(Command.from_json(other))  # the case moves to version 2
        return found

    monkeypatch.setattr(AtVersion, "snapshot_unless_applied", read_then_another_writes)
    raced = post(client, "P-1", concern(5), headers={"If-Match": '"1"'})
    body = problem(raced, 412, "VersionMismatch")
    assert (body["expected"], body["actual"]) == (1, 2)
    history = client.get("/cases/P-1", headers=bearer(client)).json()["history"]
    assert [e["actor"]["id"] for e in history] == ["sw-17", "sw-9"]  # the other write only


def test_if_match_is_judged_on_the_case_as_stored_when_another_process_moved_it(
    client: TestClient, db: str
) -> None:
    """The service's store keeps P-1 at version 1 in memory; another process's store moves
    it to 2 (concern raised): ``If-Match: "2"`` is judged on the case as stored, not refused
    with 412 on the version kept."""
    post(client, "P-1", opening())
    other = {**concern(), "case": "P-1", "actor": {"id": "sw-9", "role": "social_worker"}}
    with SqlStore(db) as elsewhere:
        Engine(elsewhere, clock=FixedClock(NOW)).handle(Command.from_json(other))
    again = post(client, "P-1", concern(5), headers={"If-Match": '"2"'})
    assert problem(again, 409, "CommandNotAllowed")["state"] == "concern_raised"


def test_a_body_over_the_limit_is_413(tmp_path: Path) -> None:
    with TestClient(make_app(str(tmp_path / "c.sqlite"), max_body=2_000)) as client:
        big = dict(opening(), data={"padding": "x" * 3_000})
        body = problem(post(client, "P-1", big), 413, "ContentTooLarge")
        assert body["limit"] == 2_000
        assert post(client, "P-1", opening()).status_code == 201


def test_the_access_log_carries_the_route_not_the_values(tmp_path: Path) -> None:
    stream = io.StringIO()
    logs.configure("info", json=True, stream=stream)
    try:
        with TestClient(make_app(str(tmp_path / "c.sqlite"))) as client:
            post(client, "P-SECRET-1", opening())
            post(client, "P-SECRET-1", concern())
            nfa = {
                "command": "no_further_action",
                "at": at(2),
                "data": {"reason": "Jane Doe's carer is moving house"},
            }
            post(client, "P-SECRET-1", nfa, TM)
            client.get("/overdue?on=2026-01-01", headers=bearer(client))
    finally:
        structlog.reset_defaults()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    requests = [line for line in lines if line["event"] == "http.request"]
    assert [(r["method"], r["path"], r["status"]) for r in requests] == [
        ("POST", "/cases/{case}/commands", 201),
        ("POST", "/cases/{case}/commands", 201),
        ("POST", "/cases/{case}/commands", 201),
        ("GET", "/overdue", 200),
    ]
    text = stream.getvalue()
    assert "Jane" not in text
    assert "2026-01-01" not in text
    assert "Bearer" not in text


# -- configuration and identity providers ---------------------------------------------------


def test_development_tokens_are_off_by_default_and_refused_off_loopback(tmp_path: Path) -> None:
    with pytest.raises(ServiceConfigError) as refused:
        Settings(db="x.sqlite", dev_tokens=True, host="0.0.0.0")
    assert refused.value.option == "--dev-tokens"
    with pytest.raises(ServiceConfigError) as nothing:
        Settings(db="x.sqlite")
    assert nothing.value.option == "--jwks"
    assert (is_loopback("127.0.0.2"), is_loopback("10.0.0.1")) == (True, False)
    result = CliRunner().invoke(
        cli, ["serve", "--db", str(tmp_path / "c.sqlite"), "--dev-tokens", "--host", "0.0.0.0"]
    )
    assert result.exit_code == 2
    assert "refused on a host that is not loopback" in result.output
    assert not (tmp_path / "c.sqlite").exists()


def test_the_dev_token_route_signs_only_in_development_mode(tmp_path: Path) -> None:
    with TestClient(make_app(str(tmp_path / "c.sqlite"))) as client:
        response = client.post("/dev/tokens?actor=sw-17&role=social_worker")
        token = response.json()["access_token"]
        assert client.get("/events", headers={"Authorization": f"Bearer {token}"}).json() == []
    provider = Provider()
    settings = Settings(
        db=str(tmp_path / "d.sqlite"), jwks=provider.file(tmp_path), issuer=ISSUER, audience=AUD
    )
    with TestClient(create_app(settings)) as client:
        problem(client.post("/dev/tokens?actor=sw-17&role=social_worker"), 404, "NotFound")


ISSUER = "https://login.example.test/tenant"
AUD = "api://disruption"


class Provider:
    """An identity provider's key pair: signs tokens, publishes its JWKS."""

    def __init__(self, kid: str = "key-1") -> None:
        self.kid = kid
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> dict[str, Any]:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [dict(public, kid=self.kid, use="sig", alg="RS256")]}

    def file(self, folder: Path) -> str:
        path = folder / "jwks.json"
        path.write_text(json.dumps(self.jwks()), encoding="utf-8")
        return str(path)

    def token(self, **claims: Any) -> dict[str, str]:
        payload = {"iss": ISSUER, "aud": AUD, "exp": int(time.time()) + 300, **claims}
        token = jwt.encode(payload, self.key, algorithm="RS256", headers={"kid": self.kid})
        return {"Authorization": f"Bearer {token}"}


def test_tokens_of_an_identity_provider_with_its_own_claim_names(tmp_path: Path) -> None:
    provider = Provider()
    settings = Settings(
        db=str(tmp_path / "c.sqlite"),
        jwks=provider.file(tmp_path),
        issuer=ISSUER,
        audience=AUD,
        actor_claim="oid",
        role_claim="roles",
    )
    with TestClient(create_app(settings)) as client:
        good = provider.token(oid="sw-17", roles=["social_worker"])
        response = client.post("/cases/P-1/commands", json=opening(), headers=good)
        assert response.status_code == 201, response.text
        assert response.json()["events"][0]["actor"] == {"id": "sw-17", "role": "social_worker"}
        no_role = provider.token(oid="sw-17")
        problem(client.get("/events", headers=no_role), 401, "NotAuthenticated")
        two_roles = provider.token(oid="sw-17", roles=["social_worker", "team_manager"])
        problem(client.get("/events", headers=two_roles), 401, "NotAuthenticated")
        stranger = Provider("key-1").token(oid="sw-17", roles=["social_worker"])
        problem(client.get("/events", headers=stranger), 401, "NotAuthenticated")


class _Jwks(http.server.BaseHTTPRequestHandler):
    document: ClassVar[dict[str, Any]] = {}

    def do_GET(self) -> None:
        body = json.dumps(type(self).document).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def jwks_server(document: dict[str, Any]) -> Iterator[type[_Jwks]]:
    handler = type("Jwks", (_Jwks,), {"document": document})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}/jwks"  # type: ignore[attr-defined]
    try:
        yield handler
    finally:
        server.shutdown()
        server.server_close()


def test_keys_from_a_jwks_url_and_a_rotated_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = Provider("old"), Provider("new")
    with jwks_server(old.jwks()) as published:
        settings = Settings(
            db=str(tmp_path / "c.sqlite"),
            jwks=published.url,  # type: ignore[attr-defined]
            issuer=ISSUER,
            audience=AUD,
        )
        with TestClient(create_app(settings)) as client:
            claims = {"sub": "sw-17", "role": "social_worker"}
            monkeypatch.setattr(UrlKeys, "COOLDOWN", 0.0)
            assert client.get("/events", headers=old.token(**claims)).status_code == 200
            # the provider publishes a new key: the first token naming it has it read again
            published.document = {"keys": old.jwks()["keys"] + new.jwks()["keys"]}
            assert client.get("/events", headers=new.token(**claims)).status_code == 200
            # a key it does not publish is refused (and does not have it read again at once)
            stranger = Provider("other").token(**claims)
            problem(client.get("/events", headers=stranger), 401, "NotAuthenticated")


def test_an_unreadable_jwks_stops_the_service_from_starting(tmp_path: Path) -> None:
    (tmp_path / "jwks.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ServiceConfigError) as refused:
        create_app(Settings(db="x", jwks=str(tmp_path / "jwks.json"), issuer="i", audience="a"))
    assert refused.value.option == "--jwks"


# -- over a real server ---------------------------------------------------------------------


def _sse(lines: Iterator[str], count: int) -> list[dict[str, str]]:
    """The next ``count`` events of a stream, as their fields."""
    events: list[dict[str, str]] = []
    fields: dict[str, str] = {}
    for line in lines:
        if not line:
            if "data" in fields:
                events.append(fields)
                if len(events) == count:
                    return events
            fields = {}
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        fields[name] = value.removeprefix(" ")
    return events


def test_the_event_stream_sends_every_event_in_order_and_resumes(db: str) -> None:
    app = create_app(Settings(db=db, dev_tokens=True, poll=0.05))
    with running(app) as url, httpx.Client(base_url=url, timeout=20) as http:
        headers = bearer(app)
        for case in ("P-1", "P-2"):
            response = http.post(f"/cases/{case}/commands", json=opening(), headers=headers)
            assert response.status_code == 201
        with http.stream("GET", "/events/stream?after=0", headers=headers) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.iter_lines()
            first = _sse(lines, 2)
            # an event stored while the stream is open arrives on it
            http.post("/cases/P-1/commands", json=concern(), headers=headers)
            [third] = _sse(lines, 1)
        got = [json.loads(e["data"]) for e in [*first, third]]
        assert [e["position"] for e in got] == [1, 2, 3]
        assert [e["id"] for e in [*first, third]] == ["1", "2", "3"]
        assert third["event"] == "disruption.ConcernRaised"
        assert all(len(e["chainhash"]) == 64 for e in got)
        # resuming after the last one seen (as a browser does) sends the rest only
        http.post("/cases/P-2/commands", json=concern(), headers=headers)
        resumed = {**headers, "Last-Event-ID": "3"}
        with http.stream("GET", "/events/stream", headers=resumed) as stream:
            [fourth] = _sse(stream.iter_lines(), 1)
        assert json.loads(fourth["data"])["id"] == "P-2/2"
        paged = http.get("/events?after=0", headers=headers).json()
        assert [e["chainhash"] for e in paged] == [
            *(e["chainhash"] for e in got),
            json.loads(fourth["data"])["chainhash"],
        ]


def test_a_real_server_answers_commands_and_refuses_without_a_token(db: str) -> None:
    app = make_app(db)
    with running(app) as url, httpx.Client(base_url=url, timeout=20) as http:
        assert http.get("/health").json()["status"] == "ok"
        assert http.get("/cases/P-1").status_code == 401
        created = http.post("/cases/P-1/commands", json=opening(), headers=bearer(app))
        assert created.status_code == 201


# -- the command line -----------------------------------------------------------------------


def test_disruption_serve_runs_the_service_on_loopback(tmp_path: Path) -> None:
    bench = load_script(ROOT / "benchmarks" / "bench_service.py", "bench_service")
    with bench.server(str(tmp_path / "c.sqlite")) as url, httpx.Client(base_url=url) as http:
        assert http.get("/health").json()["status"] == "ok"
        token = http.post("/dev/tokens", params={"actor": "sw-17", "role": "social_worker"})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        created = http.post("/cases/P-1/commands", json=opening(), headers=headers)
        assert created.status_code == 201, created.text
        assert "server" not in created.headers  # uvicorn's own header is off


def test_workers_build_their_application_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(
        db=str(tmp_path / "c.sqlite"),
        jwks=Provider().file(tmp_path),
        issuer=ISSUER,
        audience=AUD,
        workers=2,
        role_claim="roles",
    )
    assert Settings.from_json(settings.to_json()) == settings
    monkeypatch.setenv(SETTINGS_ENV, settings.to_json())
    app = from_environment()
    assert app.state.service.settings == settings
    with pytest.raises(ServiceConfigError):
        Settings(db="x", dev_tokens=True, workers=2)


def test_serve_without_the_server_extra_says_how_to_install_it(tmp_path: Path) -> None:
    code = (
        "import sys\nsys.modules['fastapi'] = None  # as if not installed\n"
        "from disruption.cli import main\n"
        f"sys.argv = ['disruption', 'serve', '--db', {str(tmp_path / 'c.sqlite')!r}, "
        "'--dev-tokens']\nmain()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 2
    assert "pip install 'disruption[server]'" in done.stderr
    assert "Traceback" not in done.stderr


# -- anything a caller might send -----------------------------------------------------------


def _without_case_or_actor(obj: Any) -> bytes:
    """A fuzzed command as a body of the service: the path gives the case, the token the actor."""
    if isinstance(obj, dict):
        obj = {k: v for k, v in obj.items() if k not in ("case", "actor")}
    return json.dumps(obj, default=str).encode()


def test_any_body_is_answered_with_a_result_or_a_problem_and_a_refusal_writes_nothing(
    tmp_path: Path,
) -> None:
    with TestClient(make_app(str(tmp_path / "fuzz.sqlite"))) as client:
        headers = {**bearer(client, ("sw-1", "social_worker")), "Content-Type": "application/json"}

        @settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
        @given(line=st.one_of(command_lines(), command_objects().map(_without_case_or_actor)))
        def answered(line: bytes) -> None:
            before = client.get("/health").json()["position"]
            response = client.post("/cases/P-1/commands", content=line, headers=headers)
            if response.status_code in (200, 201):
                return
            assert 400 <= response.status_code < 500, response.text
            assert response.headers["content-type"] == "application/problem+json"
            body = response.json()
            assert body["type"].startswith("urn:disruption:problem:")
            assert body["status"] == response.status_code
            assert client.get("/health").json()["position"] == before

        answered()
