"""The command line: JSON contract, exit codes, and no tracebacks on bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from disruption.cli import app
from disruption.store.sql.schema import SCHEMA_VERSION
from tests.returns903 import Returns903

runner = CliRunner()
SW = {"id": "sw-17", "role": "social_worker"}
OPEN = {
    "case": "P-0001",
    "command": "open_case",
    "at": "2025-12-22T09:00:00+00:00",
    "actor": SW,
    "data": {
        "child": "C-1",
        "placement": {
            "id": "PL-1",
            "type": "K2",
            "provider": "PR4",
            "start": "2025-06-02",
            "location": "in_borough",
        },
    },
}
CONCERN = {
    "case": "P-0001",
    "command": "raise_concern",
    "at": "2025-12-23T10:00:00+00:00",
    "actor": SW,
    "data": {"category": "carer_difficulty", "raised_by": "carer"},
}
STABILISE = {
    "case": "P-0001",
    "command": "stabilise",
    "at": "2025-12-23T11:00:00+00:00",
    "actor": SW,
    "data": {},
}


def write(path: Path, *lines: Any) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
    return path


ENTERED = "2025-12-23T17:00:00+00:00"
"""When the tests' commands are entered: a fixed instant, so no result depends on today."""


def invoke(*args: str) -> Any:
    if args and args[0] == "run":
        args = (*args, "--entered-at", ENTERED)
    return runner.invoke(app, list(args))


def test_run_prints_one_object_per_line_and_exits_1_on_a_rejection(tmp_path: Path) -> None:
    result = invoke("run", str(write(tmp_path / "c.jsonl", OPEN, CONCERN, STABILISE)), "--json")
    assert result.exit_code == 1
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert answers[0] == {
        "contract_version": 1,
        "line": 1,
        "case": "P-0001",
        "command": "open_case",
        "ok": True,
        "state": "placed",
    }
    assert answers[1]["state"] == "concern_raised"
    assert answers[1]["ok"] is True
    assert answers[2]["ok"] is False
    assert answers[2]["state"] == "concern_raised"
    assert answers[2]["error"]["type"] == "CommandNotAllowed"
    assert "stabilise" in answers[2]["error"]["message"]


def test_run_exits_0_when_every_line_applies(tmp_path: Path) -> None:
    result = invoke("run", str(write(tmp_path / "c.jsonl", OPEN, "", CONCERN)), "--json")
    assert result.exit_code == 0
    assert [json.loads(x)["line"] for x in result.stdout.splitlines()] == [1, 3]


def test_run_rejects_a_line_that_is_not_json_and_goes_on(tmp_path: Path) -> None:
    result = invoke(
        "run", str(write(tmp_path / "c.jsonl", "{nope", OPEN, {"case": "P-2"})), "--json"
    )
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 1
    assert answers[0]["error"]["type"] == "InputError"
    assert answers[0]["error"]["message"].startswith("line 1:")
    assert answers[1]["ok"] is True
    assert answers[2]["error"]["type"] == "InputError"
    assert "command" in answers[2]["error"]["message"]


def test_run_persists_to_sqlite_and_case_show_reads_it(tmp_path: Path) -> None:
    db = str(tmp_path / "cases.sqlite")
    assert invoke("run", str(write(tmp_path / "c.jsonl", OPEN, CONCERN)), "--db", db).exit_code == 0
    shown = invoke("case", "show", "P-0001", "--db", db, "--json")
    assert shown.exit_code == 0
    view = json.loads(shown.stdout)
    assert view["state"] == "concern_raised"
    assert view["placement"]["type"] == "K2"
    assert view["deadlines"] == [
        {
            "id": "screening-2",
            "name": "screening",
            "due": "2025-12-29",
            "earliest": None,
            "met": None,
            "status": "open",
            "opened_on": "2025-12-23",
            "closed_on": None,
        }
    ]
    assert [e["type"] for e in view["history"]] == ["CaseOpened", "ConcernRaised"]
    human = invoke("case", "show", "P-0001", "--db", db)
    assert human.exit_code == 0
    assert "concern_raised" in human.stdout


def test_overdue_lists_deadlines_due_strictly_before_the_date(tmp_path: Path) -> None:
    db = str(tmp_path / "cases.sqlite")
    invoke("run", str(write(tmp_path / "c.jsonl", OPEN, CONCERN)), "--db", db)
    on_due = json.loads(invoke("overdue", "--db", db, "--on", "2025-12-29", "--json").stdout)
    after = json.loads(invoke("overdue", "--db", db, "--on", "2025-12-30", "--json").stdout)
    assert on_due == []
    assert [(o["case"], o["name"], o["due"], o["state"]) for o in after] == [
        ("P-0001", "screening", "2025-12-29", "concern_raised")
    ]


@pytest.mark.parametrize(
    "args",
    [
        ["run", "missing.jsonl"],
        ["case", "show", "P-9", "--db", "missing.sqlite"],
        ["overdue", "--db", "missing.sqlite", "--on", "2025-01-01"],
        ["overdue", "--db", "x.sqlite", "--on", "31/12/2025"],
    ],
)
def test_bad_input_gives_a_message_and_exit_2_without_traceback(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(*args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert not (tmp_path / "missing.sqlite").exists()


def test_case_show_of_an_unknown_case_exits_2(tmp_path: Path) -> None:
    db = str(tmp_path / "cases.sqlite")
    invoke("run", str(write(tmp_path / "c.jsonl", OPEN)), "--db", db)
    result = invoke("case", "show", "P-404", "--db", db)
    assert result.exit_code == 2
    assert "P-404" in result.stderr


def test_a_file_that_is_not_a_store_exits_2(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.sqlite"
    bogus.write_bytes(b"this is not a database" * 100)
    result = invoke("case", "show", "P-1", "--db", str(bogus))
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert bogus.read_bytes() == b"this is not a database" * 100


def test_diagram_prints_mermaid() -> None:
    result = invoke("diagram")
    assert result.exit_code == 0
    assert "stateDiagram-v2" in result.stdout
    assert "concern_raised --> support_offered: offer_support" in result.stdout


@pytest.mark.slow  # the demo end to end
def test_demo_runs_on_sqlite_and_summarises(tmp_path: Path) -> None:
    db = tmp_path / "demo.sqlite"
    result = invoke("demo", "--db", str(db), "--out", str(tmp_path / "out"), "--seed", "3")
    assert result.exit_code == 0, result.output
    assert db.exists()
    assert "Why placements ended" in result.stdout
    # Piped: no bar, one summary line on standard error.
    summary = r"demo: [\d,]+ placements imported, [\d,]+ commands run, report written in .+\n"
    assert re.fullmatch(summary, result.stderr)
    args = ("demo", "--db", str(db), "--out", str(tmp_path / "out"), "--seed", "3")
    refused = invoke(*args)
    assert refused.exit_code == 2
    assert refused.stderr == (
        f"error: {db} exists already: nothing was written (--force replaces it)\n"
    )
    again = invoke(*args, "--force")
    assert again.stdout == result.stdout


def test_events_prints_cloudevents_after_a_position(tmp_path: Path) -> None:
    db = str(tmp_path / "cases.sqlite")
    invoke("run", str(write(tmp_path / "c.jsonl", OPEN, CONCERN)), "--db", db)
    result = invoke("events", "--db", db, "--after", "1", "--json")
    assert result.exit_code == 0
    (event,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert event["specversion"] == "1.0"
    assert event["type"] == "disruption.ConcernRaised"
    assert event["subject"] == "P-0001"
    assert event["time"] == "2025-12-23T10:00:00+00:00"
    assert event["position"] == 2
    assert event["data"]["data"] == {"category": "carer_difficulty", "raised_by": "carer"}
    assert invoke("events", "--db", db, "--after", "2", "--json").stdout == ""


def test_tick_records_missed_deadlines_once(tmp_path: Path) -> None:
    db = str(tmp_path / "cases.sqlite")
    invoke("run", str(write(tmp_path / "c.jsonl", OPEN, CONCERN)), "--db", db)
    first = invoke("tick", "--db", db, "--on", "2025-12-30", "--json")
    second = invoke("tick", "--db", db, "--on", "2025-12-30", "--json")
    assert json.loads(first.stdout) == {"on": "2025-12-30", "recorded": 1}
    assert json.loads(second.stdout) == {"on": "2025-12-30", "recorded": 0}
    view = json.loads(invoke("case", "show", "P-0001", "--db", db, "--json").stdout)
    assert view["history"][-1]["type"] == "DeadlineMissed"
    assert view["state"] == "concern_raised"


def test_db_upgrade_upgrades_a_version_1_store_once(tmp_path: Path) -> None:
    import shutil

    fixture = Path(__file__).parent / "fixtures" / "store-v1.sqlite"
    db = tmp_path / "old.sqlite"
    shutil.copy(fixture, db)
    refused = invoke("case", "show", "P-0001", "--db", str(db))
    assert refused.exit_code == 2
    assert "db upgrade" in refused.stderr
    upgraded = invoke("db", "upgrade", "--db", str(db))
    assert upgraded.exit_code == 0
    assert f"upgraded schema version 1 to {SCHEMA_VERSION}" in upgraded.stdout
    assert "nothing to do" in invoke("db", "upgrade", "--db", str(db)).stdout
    assert invoke("case", "show", "P-0001", "--db", str(db), "--json").exit_code == 0


def test_validate_903_reports_findings_and_exits_0(returns903: Returns903, tmp_path: Path) -> None:
    older, newer = returns903.folders
    result = invoke("validate-903", str(older), str(newer), "--json")
    assert result.exit_code == 0
    findings = json.loads(result.stdout)
    assert findings
    assert {"file", "row", "column", "rule", "message"} <= set(findings[0])
    assert any(f["rule"] == "reconcile-duplicate" for f in findings)
    out = tmp_path / "findings.csv"
    assert invoke("validate-903", str(older), "--csv", str(out)).exit_code == 0
    assert out.read_text(encoding="utf-8").splitlines()[0].startswith("file,row,column,rule")


def test_validate_903_exits_2_on_a_file_that_cannot_be_read(tmp_path: Path) -> None:
    result = invoke("validate-903", str(tmp_path / "missing.csv"))
    assert result.exit_code == 2
    assert "cannot be read" in result.stderr
    assert "Traceback" not in result.output


def _crashers() -> list[bytes]:
    """Lines that once stopped `run` with a traceback (issue 19), and other bad ones."""
    concern = json.dumps(CONCERN)
    return [
        json.dumps({**CONCERN, "at": "0001-01-01T00:00:00+00:00"}).encode(),
        json.dumps({**CONCERN, "at": "9999-12-31T23:59:59-14:00"}).encode(),
        json.dumps({**CONCERN, "at": "2030-01-01T00:00:00+00:00"}).encode(),  # after entered
        concern.replace("carer_difficulty", "caf\u00e9").encode("latin-1"),  # not UTF-8
        b"\xff\xfe\x00\x01binary\x80\x81",
        b"[" * 100_000 + b"]" * 100_000,  # nested too deeply
        b'{"a":' * 5000 + b"1" + b"}" * 5000,
        concern.replace('"P-0001"', '"P-\\ud800"').encode(),  # lone surrogate in case
        concern.replace('"raise_concern"', '"\\udc80"').encode(),  # lone surrogate in command
        concern.replace('"P-0001"', '"P-0001", "case": "P-0002"').encode(),  # duplicate key
        json.dumps({**CONCERN, "at": "x" * 10_000_000}).encode(),  # huge value
        json.dumps(OPEN).replace("2025-06-02", "0001-01-01").replace("P-0001", "P-9").encode(),
        json.dumps({**CONCERN, "at": "x" * 900_000}).encode(),  # huge, under the line limit
    ]


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_run_gives_every_line_a_result_and_never_a_traceback(tmp_path: Path, store: str) -> None:
    lines = [json.dumps(OPEN).encode(), *_crashers(), json.dumps(CONCERN).encode()]
    path = tmp_path / "c.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    db = () if store == "memory" else ("--db", str(tmp_path / "cases.sqlite"))
    result = invoke("run", str(path), "--json", *db)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["line"] for a in answers] == list(range(1, len(lines) + 1))
    assert answers[0]["ok"] is True
    assert answers[-1] == {**answers[-1], "ok": True, "state": "concern_raised"}
    for answer in answers[1:-1]:
        assert answer["ok"] is False, answer
        assert answer["error"]["type"] in ("InputError", "DateOutOfRange", "UnknownCommand")
        if answer["error"]["type"] == "InputError":
            assert answer["error"]["message"].startswith(f"line {answer['line']}:")
        assert len(answer["error"]["message"]) < 400, answer
    assert "not UTF-8" in answers[4]["error"]["message"]
    assert "nested too deeply" in answers[6]["error"]["message"]
    assert "duplicate field 'case'" in answers[10]["error"]["message"]
    assert "command: must be valid Unicode text" in answers[9]["error"]["message"]
    assert answers[3]["error"]["type"] == "DateOutOfRange"
    assert answers[3]["state"] == "placed"  # the case is named, and unchanged
    assert "placement.start" in answers[12]["error"]["message"]
    assert "longer than" in answers[11]["error"]["message"]


def test_run_never_echoes_free_text_or_a_whole_huge_value(tmp_path: Path) -> None:
    secret = "Jo Bloggs told the carer about her mother " * 50
    wrong = {**CONCERN, "data": {"category": secret, "raised_by": "carer"}}
    nfa = {**CONCERN, "command": "no_further_action", "data": {"reason": secret * 20}}
    code = json.dumps({**OPEN, "case": "P-2"}).replace('"K2"', json.dumps(secret))
    lines = (OPEN, wrong, nfa, code)
    result = invoke("run", str(write(tmp_path / "c.jsonl", *lines)), "--json")
    assert result.exit_code == 1
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(answers[1]["error"]["message"]) <= 250
    assert secret not in result.stdout
    assert "Jo Bloggs" not in answers[2]["error"]["message"]
    assert answers[3]["error"]["type"] == "UnknownCode"
    assert len(answers[3]["error"]["message"]) <= 300  # the value: 200 characters at most


def test_run_reads_bytes_from_standard_input_line_by_line() -> None:
    raw = json.dumps(OPEN).encode() + b"\n\xff\xfe not utf-8\n" + json.dumps(CONCERN).encode()
    result = runner.invoke(app, ["run", "-", "--json", "--entered-at", ENTERED], input=raw)
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 1
    assert [a["ok"] for a in answers] == [True, False, True]
    assert answers[1]["error"]["message"] == "line 2: not UTF-8 (byte 1 is 0xff)"
