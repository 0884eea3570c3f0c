"""Every example script runs, and shows what it claims."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import structlog

from tests.scripts import load_script

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load(name: str) -> ModuleType:
    return load_script(EXAMPLES / f"{name}.py", f"example_{name}")


def run(name: str, *args: Any) -> Any:
    with structlog.testing.capture_logs():
        return load(name).main(*args)


def test_every_example_has_a_main() -> None:
    scripts = sorted(p.stem for p in EXAMPLES.glob("*.py"))
    assert scripts
    for name in scripts:
        assert callable(getattr(load(name), "main", None)), name


def test_extend_procedure_runs_a_case_through_the_variant() -> None:
    result = run("extend_procedure")
    assert result["states"] == [
        "placed",
        "concern_raised",
        "support_offered",
        "respite_arranged",
        "stabilised",
    ]
    assert result["procedure"].deadline("meeting").working_days == 5


def test_embed_engine_publishes_stored_events(tmp_path: Path) -> None:
    result = run("embed_engine", tmp_path)
    assert [e.type for e in result["events"]] == [
        "CaseOpened",
        "ConcernRaised",
        "SupportOffered",
        "PlacementEnded",
        "IroInformed",
    ]
    assert result["case"].state == "ended"
    assert {o.deadline.name for o in result["overdue"]} == {"termination_notice"}


def test_run_commands_answers_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    answers = run("run_commands")
    assert [a["ok"] for a in answers] == [True, True, False]
    assert answers[2]["error"]["type"] == "CommandNotAllowed"
    assert answers[2]["state"] == "concern_raised"


def test_analyse_returns_measures_loads_and_reports(tmp_path: Path) -> None:
    result = run("analyse_returns", tmp_path)
    assert result["measures"]["short_term"]["percent"] == 12.0
    assert result["cases"] > 1000
    assert result["report"].is_file()


def test_service_client_talks_to_disruption_serve(tmp_path: Path) -> None:
    result = run("service_client", tmp_path)
    assert (result["opened"], result["again"], result["raised"], result["refused"]) == (
        201,
        200,
        201,
        403,
    )
    assert result["problem"]["type"] == "urn:disruption:problem:PermissionRefused"
    assert result["events"] == ["disruption.CaseOpened", "disruption.ConcernRaised"]
    assert result["head"][0] == 2
    assert len(result["head"][1]) == 64
