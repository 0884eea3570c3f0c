"""The command schema is generated from the procedure definitions and agrees with the readers.

When a command is added to a shipped procedure (or its data changes), the committed schema
files no longer equal the generated one: regenerate them with

    disruption procedure schema > src/disruption/schemas/command.schema.json
    cp src/disruption/schemas/command.schema.json docs/schema/command.schema.json
"""

from __future__ import annotations

import json
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import attrs
import jsonschema
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from disruption.cli import app
from disruption.domain.commands import Command, Fields
from disruption.exceptions import DisruptionError
from disruption.procedure import schema as js
from disruption.procedure.catalogue import payload_reader
from disruption.procedure.definition import Procedure
from disruption.procedure.file import load_procedure
from disruption.procedure.schema import command_schema, data_schema, dump
from disruption.procedure.standard import SHIPPED, STANDARD
from tests.scripts import ROOT
from tests.strategies import spoil, valid_payload

REGENERATE = (
    "the committed command schema is not the generated one: regenerate it with "
    "`disruption procedure schema > src/disruption/schemas/command.schema.json` and copy it "
    "to docs/schema/command.schema.json"
)
GENERATED = command_schema(SHIPPED)
VALIDATOR = jsonschema.Draft202012Validator(
    GENERATED, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)
ON = date(2025, 12, 22)
runner = CliRunner()


def _line(name: str, data: Any, role: str = "team_manager") -> dict[str, Any]:
    return {
        "case": "P-1",
        "command": name,
        "at": "2025-12-22T10:00:00+00:00",
        "actor": {"id": "tm-1", "role": role},
        "data": data,
    }


def _parser_accepts(line: dict[str, Any], procedures: tuple[Procedure, ...]) -> bool:
    """Whether the envelope reader and the command's data reader of any procedure take it."""
    try:
        command = Command.from_json(line)
    except DisruptionError:
        return False
    for proc in procedures:
        if command.name not in {c.name for c in proc.commands}:
            continue
        fields = Fields(command.data)
        try:
            proc.command(command.name).read(fields)
            fields.close()
        except DisruptionError:
            continue
        return True
    return False


def _has_null(value: Any) -> bool:
    if isinstance(value, dict):
        return any(v is None or _has_null(v) for v in value.values())
    if isinstance(value, list):
        return any(v is None or _has_null(v) for v in value)
    return False


# The committed files are the generated schema ------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [ROOT / "src" / "disruption" / "schemas" / "command.schema.json", ROOT / "docs" / "schema"],
    ids=["package", "docs"],
)
def test_the_committed_schema_is_the_generated_one(path: Path) -> None:
    if path.is_dir():
        path = path / "command.schema.json"
    assert path.read_text("utf-8") == dump(GENERATED), REGENERATE
    shipped = resources.files("disruption").joinpath("schemas/command.schema.json")
    assert json.loads(shipped.read_text("utf-8")) == GENERATED, REGENERATE


def test_the_cli_prints_the_generated_schema() -> None:
    result = runner.invoke(app, ["procedure", "schema"])
    assert result.exit_code == 0, result.output
    assert result.stdout == dump(GENERATED)


def test_the_schema_is_a_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(GENERATED)
    assert GENERATED["$id"] == "https://disruption.invalid/schema/command.schema.json"


@pytest.mark.parametrize("proc", SHIPPED, ids=lambda p: f"{p.name}-v{p.version}")
def test_every_command_of_every_shipped_procedure_is_in_the_schema(proc: Procedure) -> None:
    named = GENERATED["properties"]["command"]["enum"]
    ruled = [r["if"]["properties"]["command"]["const"] for r in GENERATED["allOf"]]
    for spec in proc.commands:
        assert spec.name in named
        assert ruled.count(spec.name) == 1
        assert data_schema(spec.read) is not None, f"{spec.name}: its reader declares no schema"


def _top_level_fields(schema: dict[str, Any]) -> set[str]:
    if "properties" in schema:
        return set(schema["properties"])
    variants = schema.get("oneOf") or schema.get("anyOf") or []
    return set().union(*(_top_level_fields(v) for v in variants))


@pytest.mark.parametrize("proc", SHIPPED, ids=lambda p: f"{p.name}-v{p.version}")
def test_each_payload_declares_the_fields_it_has(proc: Procedure) -> None:
    """A field added to a payload and not to its declared schema is caught here."""
    for spec in proc.commands:
        reader = getattr(spec.read, "__wrapped__", spec.read)
        payload = getattr(reader, "__self__", None)
        assert isinstance(payload, type), f"{spec.name}: no payload class to compare"
        schema = data_schema(spec.read)
        assert schema is not None
        assert _top_level_fields(schema) == {f.name for f in attrs.fields(payload)}, spec.name


def test_a_subclass_does_not_inherit_its_bases_declaration() -> None:
    @attrs.frozen
    class Base:
        DATA: ClassVar[dict[str, Any]] = js.obj({"end": js.date()}, ["end"])
        end: str

        @classmethod
        def read(cls, fields: Fields) -> Any:
            return cls(fields.string("end"))

    @attrs.frozen
    class More(Base):
        more: bool = False

    assert data_schema(Base.read) == Base.DATA
    assert data_schema(More.read) is None


def test_a_command_whose_data_differs_between_versions_names_each_version() -> None:
    rule = next(
        r
        for r in GENERATED["allOf"]
        if r["if"]["properties"]["command"]["const"] == "record_notice"
    )
    variants = rule["then"]["properties"]["data"]["anyOf"]
    assert [v["description"] for v in variants] == [
        "In standard version 1.",
        "In adoption version 1; standard version 2.",
    ]
    v1 = _line("record_notice", {"sent_on": "2025-12-22"})
    v2 = _line("record_notice", {"sent_on": "2025-12-22", "recipients": ["carer-9"]})
    assert VALIDATOR.is_valid(v1)
    assert VALIDATOR.is_valid(v2)
    only_v2 = jsonschema.Draft202012Validator(command_schema([STANDARD]))
    assert not only_v2.is_valid(v1)
    assert only_v2.is_valid(v2)


# An authority's procedure file ----------------------------------------------------------------


def test_a_procedure_files_own_command_is_in_its_schema(tmp_path: Path) -> None:
    read = payload_reader(
        "arrange_respite",
        {
            "starts_on": {"type": "date"},
            "nights": {"type": "integer", "minimum": 1, "maximum": 28},
            "kind": {"type": "choice", "values": ["day", "overnight"]},
            "notes": {"type": "text", "required": False},
            "tags": {"type": "choices", "values": ["a", "b"]},
        },
    )
    schema = data_schema(read)
    assert schema is not None
    assert schema["required"] == ["starts_on", "nights", "kind"]
    assert schema["properties"]["nights"] == {"type": "integer", "minimum": 1, "maximum": 28}
    assert schema["properties"]["kind"] == {"enum": ["day", "overnight"]}
    validator = jsonschema.Draft202012Validator(schema)
    for data in (
        {"starts_on": "2026-01-16", "nights": 2, "kind": "day"},
        {"starts_on": "2026-01-16", "nights": 2, "kind": "day", "notes": "x", "tags": ["a"]},
        {"starts_on": "2026-01-16", "nights": 0, "kind": "day"},
        {"starts_on": "2026-01-16", "nights": 2, "kind": "week"},
        {"starts_on": "2026-01-16", "nights": 2},
        {"starts_on": "2026-01-16", "nights": 2, "kind": "day", "colour": "red"},
    ):
        fields = Fields(data)
        try:
            read(fields)
            fields.close()
            accepted = True
        except DisruptionError:
            accepted = False
        assert validator.is_valid(data) == accepted, data


@pytest.mark.parametrize("name", ["adoption.yaml", "north-borough.yaml"])
def test_the_cli_prints_the_schema_of_a_procedure_file(name: str) -> None:
    path = ROOT / "examples" / "procedures" / name
    result = runner.invoke(app, ["procedure", "schema", "--procedure", str(path)])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    proc = load_procedure(path).procedure
    assert schema["properties"]["command"]["enum"] == [c.name for c in proc.commands]
    assert "declares no schema" not in result.stdout


def test_a_procedure_file_that_cannot_be_read_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("extends: nowhere\n")
    result = runner.invoke(app, ["procedure", "schema", "--procedure", str(path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


# The schema and the readers agree -----------------------------------------------------------

REFUSED = [
    _line("inform_iro", {"informed_on": "2025-12-22", "iro": "Ms Smith"}),
    _line("review_case", {}),
    _line("record_immediate_risk", {"on": "2025-12-22", "reason": ""}),
    _line("record_immediate_risk", {"on": "2025-12-22", "reason": "x" * 20_001}),
    _line("give_notice", {"sent_on": "2025-12-22", "recipients": ["carer-9", "carer-9"]}),
    _line("record_line_manager", {"social_worker": "sw-1"}),
    _line(
        "issue_report",
        {"issued_on": "2025-12-22", "circulation": ["iro-1"], "recommendations": [{"id": "R1"}]},
    ),
    _line("issue_report", {"issued_on": "2025-12-22", "circulation": []}),
    _line("complete_recommendation", {"recommendation": "R1", "completed_on": "2025-02-30"}),
    _line(
        "record_meeting",
        {
            "held_on": "2025-12-22",
            "attendees": ["iro"],
            "decision": "stabilise",
            "child_views": "ok",
        },
    ),
    _line(
        "record_meeting",
        {"held_on": "2025-12-22", "attendees": ["social_worker"], "decision": "stabilise"},
    ),
    _line("record_learning_review", {"waived": {"reason": "moved"}, "held_on": "2025-12-22"}),
    _line(
        "record_learning_review",
        {"held_on": "2025-12-22", "chair": {"id": "iro-1", "role": "iro"}, "factors": []},
    ),
    _line("end_placement", {"end": "2025-12-22", "left_care": "X1", "planned": False}),
    _line("end_placement", {"end": "2025-12-22", "reason": "CARPL", "planned": "no"}),
    _line("offer_support", {"support": ["hugs"]}),
    _line("stabilise", {"why": "calmer"}),
    _line(
        "open_case",
        {
            "child": "C-1",
            "placement": {
                "id": "PL-1",
                "type": "U4",
                "provider": "PR7",
                "start": "2025-06-02",
                "location": "in_borough",
            },
        },
    ),
    {
        **_line("raise_concern", {"category": "complaint", "raised_by": "carer"}),
        "actor": {"id": "x", "role": "boss"},
    },
    {
        **_line("raise_concern", {"category": "complaint", "raised_by": "carer"}),
        "at": "2025-12-22T10:00:00",
    },
    {
        **_line("raise_concern", {"category": "complaint", "raised_by": "carer"}),
        "contract_version": 2,
    },
    _line("no_such_command", {}),
]


@pytest.mark.parametrize("line", REFUSED, ids=lambda line: str(line["command"]))
def test_lines_the_schema_refuses_the_readers_refuse(line: dict[str, Any]) -> None:
    assert not VALIDATOR.is_valid(line)
    assert not _parser_accepts(line, SHIPPED)


_NAMES = tuple(c.name for c in STANDARD.commands)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.data(), st.sampled_from(_NAMES))
def test_lines_the_readers_take_validate_and_lines_the_schema_refuses_are_refused(
    data: st.DataObject, name: str
) -> None:
    payload = valid_payload(data, name, ON, None)
    spoilt = data.draw(st.booleans())
    if spoilt:
        payload = spoil(data, payload)
    # The engine reads a null field as absent; the schema asks for it to be left out.
    assume(not _has_null(payload))
    line = _line(name, payload)
    accepted = _parser_accepts(line, SHIPPED)
    valid = VALIDATOR.is_valid(line)
    if accepted:
        assert valid, [e.message for e in VALIDATOR.iter_errors(line)]
    if not valid:
        assert not accepted
    if not spoilt:  # usually valid: text the reader refuses (a NUL) the schema does not see
        assert valid
