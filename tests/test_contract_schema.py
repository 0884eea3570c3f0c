"""The JSON Schema of the command contract agrees with the engine's strict reader."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import jsonschema
import pytest

from disruption import Command, Engine, FixedClock, MemoryStore
from disruption.exceptions import InvalidData
from tests.scripts import ROOT

SCHEMA = json.loads((ROOT / "docs" / "schema" / "command.schema.json").read_text("utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
SW = {"id": "sw-17", "role": "social_worker"}
OPEN: dict[str, Any] = {
    "case": "P-1",
    "command": "open_case",
    "at": "2025-12-22T09:00:00+00:00",
    "actor": SW,
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


def _end(data: dict[str, Any]) -> dict[str, Any]:
    return {**OPEN, "command": "end_placement", "at": "2025-12-22T10:00:00+00:00", "data": data}


ACCEPTED = [
    OPEN,
    _end({"end": "2025-12-22", "reason": "CREQB", "planned": False}),
    _end({"end": "2025-12-22", "left_care": "E4A", "planned": True}),
]
REFUSED = [
    _end({"end": "2025-12-22", "reason": "CREQB", "left_care": "E4A", "planned": False}),
    _end({"end": "2025-12-22", "planned": False}),
    _end({"end": "2025-12-22", "left_care": "X1", "planned": True}),
    {**OPEN, "data": {**OPEN["data"], "colour": "red"}},
]


@pytest.mark.parametrize("line", ACCEPTED)
def test_lines_the_schema_accepts_the_engine_applies(line: dict[str, Any]) -> None:
    assert not list(VALIDATOR.iter_errors(line))
    engine = Engine(MemoryStore(), clock=FixedClock(datetime(2025, 12, 22, 12, tzinfo=UTC)))
    if line["command"] != "open_case":
        engine.handle(Command.from_json(OPEN))
    assert engine.handle(Command.from_json(line)).events


@pytest.mark.parametrize("line", REFUSED)
def test_lines_the_schema_refuses_the_engine_refuses(line: dict[str, Any]) -> None:
    assert list(VALIDATOR.iter_errors(line))
    engine = Engine(MemoryStore(), clock=FixedClock(datetime(2025, 12, 22, 12, tzinfo=UTC)))
    if line["command"] != "open_case":
        engine.handle(Command.from_json(OPEN))
    with pytest.raises(InvalidData):
        engine.handle(Command.from_json(line))


def test_a_left_care_ending_is_recorded_with_its_rec_code() -> None:
    engine = Engine(MemoryStore(), clock=FixedClock(datetime(2025, 12, 22, 12, tzinfo=UTC)))
    engine.handle(Command.from_json(OPEN))
    case = engine.handle(Command.from_json(ACCEPTED[2])).case
    assert case.ending is not None
    assert (case.ending.reason, case.ending.left_care, case.ending.planned) == ("", "E4A", True)
    assert case.deadlines == ()  # a planned ending opens no notice or review
