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


def _step(name: str, data: dict[str, Any], role: str = "social_worker") -> dict[str, Any]:
    return {
        **OPEN,
        "command": name,
        "at": "2025-12-22T09:30:00+00:00",
        "actor": {"id": "tm-1" if role == "team_manager" else "sw-17", "role": role},
        "data": data,
    }


INFORM = _step("inform_iro", {"informed_on": "2025-12-22", "iro": "iro-1"})
REVIEW = _step("review_case", {"held_on": "2025-12-22"})
NOTICE = _step("give_notice", {"sent_on": "2025-12-22", "recipients": ["carer-9", "school-4"]})
RISK = _step(
    "record_immediate_risk", {"on": "2025-12-22", "reason": "Threats made."}, "team_manager"
)
LINE_MANAGER = _step("record_line_manager", {"social_worker": "sw-17", "line_manager": "tm-1"})
SIBLINGS = _step("link_siblings", {"group": "SG-1", "cases": ["P-2", "P-3"]})
SIBLING_DECISION = _step(
    "record_sibling_decision",
    {
        "decided_on": "2025-12-22",
        "decisions": [
            {"case": "P-2", "decision": "move_together"},
            {"case": "P-3", "decision": "stay"},
        ],
    },
)

ACCEPTED = [
    OPEN,
    _end({"end": "2025-12-22", "reason": "CREQB", "planned": False}),
    # A planned ending follows Regulation 14's steps (sent before it by the tests below).
    _end({"end": "2025-12-22", "left_care": "E4A", "planned": True}),
    INFORM,
    REVIEW,
    NOTICE,
    RISK,
    LINE_MANAGER,
    SIBLINGS,
    {**OPEN, "data": {**OPEN["data"], "procedure": "adoption"}},
]
BEFORE_PLANNED = [INFORM, REVIEW, NOTICE]
REFUSED = [
    _step("give_notice", {"sent_on": "2025-12-22", "recipients": ["Ms Smith"]}),
    _step("give_notice", {"sent_on": "2025-12-22", "recipients": []}),
    _step("inform_iro", {"informed_on": "2025-12-22"}),
    _end({"end": "2025-12-22", "reason": "CREQB", "left_care": "E4A", "planned": False}),
    _end({"end": "2025-12-22", "planned": False}),
    _end({"end": "2025-12-22", "left_care": "X1", "planned": True}),
    {**OPEN, "data": {**OPEN["data"], "colour": "red"}},
    _step("link_siblings", {"group": "SG-1", "cases": []}),
    _step("link_siblings", {"group": "SG-1", "cases": ["P-2", "P-2"]}),
    _step(
        "record_sibling_decision",
        {"decided_on": "2025-12-22", "decisions": [{"case": "P-2", "decision": "split"}]},
    ),
]


@pytest.mark.parametrize("line", ACCEPTED)
def test_lines_the_schema_accepts_the_engine_applies(line: dict[str, Any]) -> None:
    assert not list(VALIDATOR.iter_errors(line))
    engine = Engine(MemoryStore(), clock=FixedClock(datetime(2025, 12, 22, 12, tzinfo=UTC)))
    if line["command"] != "open_case":
        engine.handle(Command.from_json(OPEN))
    if line.get("data", {}).get("planned"):
        for before in BEFORE_PLANNED:
            assert not list(VALIDATOR.iter_errors(before))
            engine.handle(Command.from_json(before))
    assert engine.handle(Command.from_json(line)).events


@pytest.mark.parametrize("line", REFUSED)
def test_lines_the_schema_refuses_the_engine_refuses(line: dict[str, Any]) -> None:
    assert list(VALIDATOR.iter_errors(line))
    engine = Engine(MemoryStore(), clock=FixedClock(datetime(2025, 12, 22, 12, tzinfo=UTC)))
    if line["command"] != "open_case":
        engine.handle(Command.from_json(OPEN))
    with pytest.raises(InvalidData):
        engine.handle(Command.from_json(line))


def test_a_sibling_decision_the_schema_accepts_the_engine_applies() -> None:
    engine = Engine(MemoryStore(), clock=FixedClock(datetime(2025, 12, 22, 12, tzinfo=UTC)))
    engine.handle(Command.from_json(OPEN))
    for line in (SIBLINGS, SIBLING_DECISION):
        assert not list(VALIDATOR.iter_errors(line))
        engine.handle(Command.from_json(line))
    assert [c for c, _ in engine.case("P-1").sibling_decisions] == ["P-2", "P-3"]


def test_a_left_care_ending_is_recorded_with_its_rec_code() -> None:
    engine = Engine(MemoryStore(), clock=FixedClock(datetime(2025, 12, 22, 12, tzinfo=UTC)))
    engine.handle(Command.from_json(OPEN))
    for before in BEFORE_PLANNED:
        engine.handle(Command.from_json(before))
    case = engine.handle(Command.from_json(ACCEPTED[2])).case
    assert case.ending is not None
    assert (case.ending.reason, case.ending.left_care, case.ending.planned) == ("", "E4A", True)
    # A planned ending after Regulation 14's steps opens no notice, IRO deadline or review.
    assert case.deadlines == ()
