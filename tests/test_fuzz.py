"""Fuzzing the two readers of outside input: only the library's typed errors come out.

The JSON command reader (``Command.from_json`` then the engine) and the SSDA903 reader
(``check_files``) get generated input; any exception other than a ``DisruptionError`` fails,
and a refused command leaves the store unchanged. All of it is in the slow tier
(``pytest -m slow``, which CI runs): a few hundred examples of each, then 10,000 of each.
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
from disruption.exceptions import DisruptionError
from disruption.ssda903 import check_files
from tests.strategies import command_objects, episode_files
from tests.test_contract_schema import OPEN as OPEN_LINE

pytestmark = pytest.mark.slow  # fuzzing: the slow tier (pytest -m slow)

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


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(command_objects())
def test_generated_commands_give_only_typed_errors(obj: Any) -> None:
    _apply(obj)


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(command_objects())
def test_ten_thousand_generated_commands_give_only_typed_errors(obj: Any) -> None:
    _apply(obj)


def _read(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "episodes.csv"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        try:
            report = check_files([path])
        except DisruptionError:
            return
        assert report.episodes.height >= 0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(episode_files())
def test_generated_episode_files_give_only_typed_errors(text: str) -> None:
    _read(text)


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(episode_files())
def test_ten_thousand_generated_episode_files_give_only_typed_errors(text: str) -> None:
    _read(text)
