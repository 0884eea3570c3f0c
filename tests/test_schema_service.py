"""The service's command schema and the board's field lists come from its procedure."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from disruption.procedure.file import load_procedure
from disruption.procedure.schema import command_schema, dump
from disruption.procedure.standard import STANDARD
from disruption.service import Settings, create_app
from tests.scripts import ROOT
from tests.test_board import LOOPBACK, sign_in
from tests.test_service import bearer, opening, post

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:starlette.*")
ADOPTION = ROOT / "examples" / "procedures" / "adoption.yaml"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(db=str(tmp_path / "cases.sqlite"), dev_tokens=True)
    with TestClient(create_app(settings), base_url=LOOPBACK) as test:
        yield test


def test_the_api_answers_the_schema_of_the_services_procedure(client: TestClient) -> None:
    assert client.get("/schema/command").status_code == 401
    answer = client.get("/schema/command", headers=bearer(client))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/schema+json")
    assert answer.text == dump(command_schema([STANDARD]))


def test_a_service_with_an_authoritys_procedure_answers_its_schema(tmp_path: Path) -> None:
    settings = Settings(db=str(tmp_path / "c.sqlite"), dev_tokens=True, procedure=ADOPTION)
    with TestClient(create_app(settings), base_url=LOOPBACK) as client:
        answer = client.get("/schema/command", headers=bearer(client))
        proc = load_procedure(ADOPTION).procedure
        assert json.loads(answer.text) == command_schema([proc])
        names = json.loads(answer.text)["properties"]["command"]["enum"]
        assert names == [c.name for c in proc.commands]


def test_the_board_lists_the_fields_of_every_command_it_offers(client: TestClient) -> None:
    post(client, "P-1", opening())
    sign_in(client)
    page = client.get("/board/cases/P-1").text
    # Commands of version 2 the packaged schema of version 1 did not list.
    for name, field in (
        ("inform_iro", "informed_on"),
        ("review_case", "held_on"),
        ("give_notice", "recipients"),
        ("record_immediate_risk", "reason"),
        ("record_line_manager", "line_manager"),
    ):
        assert f"<summary>{name}</summary>" in page
        assert f'<th scope="row"><code>{field}</code></th><td>yes</td>' in page
    new = client.get("/board/cases/P-9").text
    assert '<th scope="row"><code>placement.provider</code></th><td>yes</td>' in new
