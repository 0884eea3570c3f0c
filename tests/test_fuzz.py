"""Fuzzing the two readers of outside input: only the library's typed errors come out.

The JSON command reader (``Command.from_json`` then the engine) and the SSDA903 reader
(``check_files``) get generated input; any exception other than a ``DisruptionError`` fails,
and a refused command leaves the store unchanged. All of it is in the slow tier
(``pytest -m slow``, which CI runs): a few hundred examples of each, then 10,000 of each.

``disruption run``'s reading of a line (raw bytes: random bytes, other encodings, deep nesting,
extreme dates, lone surrogates, duplicate keys, huge values) runs 300 examples in the default
tier and 10,000 in the slow one: every line gets a result, printable as UTF-8 JSON, and a
refusal writes nothing.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from disruption import Command, Engine, FixedClock, MemoryStore
from disruption.cli.cases import _apply_line
from disruption.domain.commands import MAX_SHOWN
from disruption.exceptions import DisruptionError
from disruption.ssda903 import check_files
from tests.strategies import command_lines, command_objects, episode_file_bytes
from tests.test_contract_schema import OPEN as OPEN_LINE

NOW = datetime(2025, 12, 23, 17, tzinfo=UTC)
OPENED = OPEN_LINE


def _apply(obj: Any) -> None:
    store = MemoryStore()
    engine = Engine(store, clock=FixedClock(NOW))
    engine.handle(Command.from_json(OPENED))
    before = store.read_after(0, 100)
    try:
        engine.handle(Command.from_json(json.loads(json.dumps(obj, default=str))))
    except DisruptionError:
        assert store.read_after(0, 100) == before  # a refusal writes nothing
    except ValueError as error:  # json.dumps of a float nan/inf is allowed; nothing else
        raise AssertionError(f"untyped error: {error!r}") from error


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(command_objects())
def test_generated_commands_give_only_typed_errors(obj: Any) -> None:
    _apply(obj)


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(command_objects())
def test_ten_thousand_generated_commands_give_only_typed_errors(obj: Any) -> None:
    _apply(obj)


def _read(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "episodes.csv"
        path.write_bytes(data)
        try:
            report = check_files([path])
        except DisruptionError:
            return
        assert report.episodes.height >= 0


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(episode_file_bytes())
def test_generated_episode_files_give_only_typed_errors(data: bytes) -> None:
    _read(data)


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(episode_file_bytes())
def test_ten_thousand_generated_episode_files_give_only_typed_errors(data: bytes) -> None:
    _read(data)


_RUN_ENGINE = Engine(MemoryStore(), clock=FixedClock(NOW))
_RUN_ENGINE.handle(Command.from_json(OPENED))
_TYPED = {
    "InputError",
    "UnsupportedContractVersion",
    "DateOutOfRange",
    "DateOutOfOrder",
    "InvalidData",
    "UnknownCode",
}


def _run_line(raw: bytes) -> None:
    engine = _RUN_ENGINE
    before = engine.store.read_after(0, 10)
    result = _apply_line(engine, raw, 7)  # never raises
    printed = json.dumps(result, ensure_ascii=False).encode("utf-8")  # stdout can take it
    assert result["line"] == 7
    if result["ok"]:  # a generated line may be valid: undo nothing, just check the shape
        assert isinstance(result["state"], str)
        return
    error = result["error"]
    assert (
        error["type"] in _TYPED
        or error["type"].endswith(("Refused", "NotAllowed"))
        or error["type"]
        in ("UnknownCommand", "UnknownCase", "DuplicateCase", "ChairNotIndependent")
    ), result
    assert len(printed) < 2 * MAX_SHOWN + 600, printed[:400]  # nothing huge echoed
    assert engine.store.read_after(0, 10) == before  # a refusal writes nothing


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(command_lines())
def test_run_gives_every_generated_line_a_result(raw: bytes) -> None:
    _run_line(raw)


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(command_lines())
def test_run_gives_ten_thousand_generated_lines_a_result(raw: bytes) -> None:
    _run_line(raw)
