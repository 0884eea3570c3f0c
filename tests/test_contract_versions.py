"""The JSON command contract and the CloudEvents feed carry their versions.

A command may name the contract version it is written to (``contract_version``); absent, it
is the current one; any other value is refused, naming the field and the versions read. What
``run`` answers says the version too. Every event of the feed is a valid CloudEvent 1.0 (as
the CloudEvents SDK reads it) whose ``dataschema`` names the feed version, and whose data
follows the schema of that name, shipped with the package.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cloudevents.core.exceptions import CloudEventValidationError
from cloudevents.core.formats.json import JSONFormat
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from disruption import (
    CONTRACT_VERSION,
    FEED_VERSION,
    SUPPORTED_CONTRACT_VERSIONS,
    Command,
    InputError,
    StoredEvent,
    UnsupportedContractVersion,
    to_cloudevent,
)
from disruption.cli import app
from disruption.engine.feed import DATA_SCHEMA
from tests.builders import make_engine, reach
from tests.scripts import ROOT
from tests.strategies import valid_journey

runner = CliRunner()

OPEN: dict[str, Any] = {
    "case": "P-1",
    "command": "open_case",
    "at": "2025-12-22T09:00:00+00:00",
    "actor": {"id": "sw-17", "role": "social_worker"},
    "data": {
        "child": "C-1",
        "placement": {
            "id": "PL-1",
            "type": "U4",
            "provider": "PR1",
            "start": "2025-06-02",
            "location": "in_borough",
        },
    },
}
ENTERED = "2025-12-22T17:00:00+00:00"


def _schema(name: str) -> dict[str, Any]:
    text = resources.files("disruption").joinpath(f"schemas/{name}").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


# The command contract ----------------------------------------------------------------------------


def test_the_current_version_is_one_the_library_reads() -> None:
    assert SUPPORTED_CONTRACT_VERSIONS[-1] == CONTRACT_VERSION
    assert isinstance(CONTRACT_VERSION, int)


@pytest.mark.parametrize("version", [*SUPPORTED_CONTRACT_VERSIONS, None])
def test_a_supported_or_absent_version_reads_as_the_same_command(version: int | None) -> None:
    assert Command.from_json({**OPEN, "contract_version": version}) == Command.from_json(OPEN)


@pytest.mark.parametrize(
    "version", [0, 2, -1, 99, True, False, "1", "v1", [1], {"major": 1}, 1.5, 2**70]
)
def test_any_other_version_is_refused_naming_the_field_and_the_versions_read(
    version: object,
) -> None:
    with pytest.raises(UnsupportedContractVersion) as refused:
        Command.from_json({**OPEN, "contract_version": version}, line=9)
    error = refused.value
    assert isinstance(error, InputError)  # what run and integrations already catch
    assert (error.field, error.line, error.supported) == ("contract_version", 9, (1,))
    assert error.version == version
    assert str(error).startswith("line 9: contract_version: ")
    assert str(error).endswith("(supported: 1)")


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


@settings(max_examples=200, deadline=None)
@given(_JSON_VALUES)
def test_a_value_is_read_exactly_when_it_is_absent_or_a_supported_version(value: object) -> None:
    line = {**OPEN, "contract_version": value}
    if value is None or (not isinstance(value, bool) and value in SUPPORTED_CONTRACT_VERSIONS):
        assert Command.from_json(line) == Command.from_json(OPEN)
    else:
        with pytest.raises(UnsupportedContractVersion):
            Command.from_json(line)


def test_the_version_is_read_before_any_field_a_later_version_might_add() -> None:
    line = {**OPEN, "contract_version": 2, "priority": "high", "at": "next tuesday"}
    with pytest.raises(UnsupportedContractVersion):
        Command.from_json(line)
    with pytest.raises(InputError, match="unknown field 'priority'"):
        Command.from_json({**line, "contract_version": 1})


def test_a_refused_version_is_not_repeated_at_length() -> None:
    with pytest.raises(UnsupportedContractVersion) as refused:
        Command.from_line(json.dumps({**OPEN, "contract_version": "9" * 5000}), line=1)
    assert len(str(refused.value)) < 400


def test_run_answers_in_its_contract_version_and_refuses_another(tmp_path: Path) -> None:
    lines = [
        {**OPEN, "contract_version": 1},
        {**OPEN, "case": "P-2", "contract_version": 2},
        "{not json",
        {**OPEN, "case": "P-3"},
    ]
    path = tmp_path / "c.jsonl"
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
    result = runner.invoke(app, ["run", str(path), "--json", "--entered-at", ENTERED])
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 1
    assert [a["contract_version"] for a in answers] == [CONTRACT_VERSION] * 4
    assert [a["ok"] for a in answers] == [True, False, False, True]
    refused = answers[1]
    assert refused["error"]["type"] == "UnsupportedContractVersion"
    assert "contract_version" in refused["error"]["message"]
    assert "supported: 1" in refused["error"]["message"]
    assert (refused["case"], refused["state"]) == (None, None)  # nothing read, nothing written


# The schemas, shipped and published --------------------------------------------------------------


@pytest.mark.parametrize("name", ["command.schema.json", "event.schema.json"])
def test_the_published_schemas_are_the_shipped_ones(name: str) -> None:
    shipped = resources.files("disruption").joinpath(f"schemas/{name}").read_bytes()
    assert (ROOT / "docs" / "schema" / name).read_bytes() == shipped


def test_the_command_schema_takes_the_versions_the_reader_takes() -> None:
    schema = _schema("command.schema.json")
    assert schema["properties"]["contract_version"]["enum"] == list(SUPPORTED_CONTRACT_VERSIONS)
    validator = jsonschema.Draft202012Validator(schema)
    assert not list(validator.iter_errors({**OPEN, "contract_version": CONTRACT_VERSION}))
    assert not list(validator.iter_errors(OPEN))
    assert list(validator.iter_errors({**OPEN, "contract_version": CONTRACT_VERSION + 1}))


def test_the_event_schema_is_named_by_the_feed_version() -> None:
    schema = _schema("event.schema.json")
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"] == DATA_SCHEMA
    assert f"/v{FEED_VERSION}/" in DATA_SCHEMA


# The CloudEvents feed ----------------------------------------------------------------------------

_EVENT_DATA = jsonschema.Draft202012Validator(
    _schema("event.schema.json"), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)


def check_cloudevent(line: str) -> dict[str, Any]:
    """Check one line of the feed: a CloudEvent 1.0 carrying the feed version; return it."""
    event = JSONFormat().read(None, line)  # raises CloudEventValidationError when not valid
    assert event.get_specversion() == "1.0"
    assert event.get_dataschema() == DATA_SCHEMA
    assert event.get_type().startswith("disruption.")
    cloudevent: dict[str, Any] = json.loads(line)
    errors = [e.message for e in _EVENT_DATA.iter_errors(cloudevent["data"])]
    assert errors == [], errors
    return cloudevent


def test_the_check_sees_an_invalid_cloudevent() -> None:
    engine = make_engine()
    reach(engine, "P-1", "placed")
    cloudevent = to_cloudevent(engine.store.read_after(0)[0])
    check_cloudevent(json.dumps(cloudevent))
    for spoilt in (
        {**cloudevent, "record_time": "x"},  # an extension name CloudEvents forbids
        {k: v for k, v in cloudevent.items() if k != "source"},
        {**cloudevent, "dataschema": "https://disruption.invalid/schema/v0/event.schema.json"},
        {**cloudevent, "data": {**cloudevent["data"], "seq": 0}},
    ):
        with pytest.raises((CloudEventValidationError, AssertionError)):
            check_cloudevent(json.dumps(spoilt))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_every_event_of_a_random_journey_is_a_versioned_cloudevent(data: st.DataObject) -> None:
    events = valid_journey(data)
    for position, event in enumerate(events, start=1):
        chained = data.draw(st.booleans())
        stored = StoredEvent(position, event, "ab" * 32 if chained else None)
        check_cloudevent(json.dumps(to_cloudevent(stored, source="urn:la:north-borough")))


def test_the_feed_of_a_store_after_a_sweep_and_an_erasure_is_versioned(tmp_path: Path) -> None:
    db = str(tmp_path / "cases.sqlite")
    journey = [
        OPEN,
        {
            **OPEN,
            "command": "raise_concern",
            "at": "2025-12-22T10:00:00+00:00",
            "data": {"category": "carer_difficulty", "raised_by": "carer"},
        },
    ]
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in journey))
    ran = runner.invoke(app, ["run", str(path), "--db", db, "--entered-at", ENTERED])
    assert ran.exit_code == 0, ran.output
    later = (date(2025, 12, 22) + timedelta(days=60)).isoformat()
    assert runner.invoke(app, ["tick", "--db", db, "--on", later]).exit_code == 0
    assert runner.invoke(app, ["erase", "C-1", "--db", db]).exit_code == 0, "erase"
    result = runner.invoke(app, ["events", "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    feed = [check_cloudevent(line) for line in result.stdout.splitlines()]
    types = {ce["type"] for ce in feed}
    assert {"disruption.DeadlineMissed", "disruption.PersonalDataErased"} <= types, types
    assert all(len(ce["chainhash"]) == 64 for ce in feed)
