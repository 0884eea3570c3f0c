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
from hypothesis import strategies as st

from disruption import Command, Engine, FixedClock, MemoryStore
from disruption.exceptions import DisruptionError
from disruption.ssda903 import check_files
from tests.test_contract_schema import OPEN as OPEN_LINE

pytestmark = pytest.mark.slow  # fuzzing: the slow tier (pytest -m slow)

NOW = datetime(2025, 12, 23, 17, tzinfo=UTC)
COMMANDS = [
    "open_case",
    "raise_concern",
    "no_further_action",
    "offer_support",
    "convene_meeting",
    "record_meeting",
    "stabilise",
    "end_placement",
    "record_notice",
    "record_learning_review",
    "nonesuch",
]
FIELDS = [
    "child",
    "placement",
    "category",
    "raised_by",
    "reason",
    "support",
    "review_by",
    "date",
    "chair",
    "held_on",
    "attendees",
    "child_views",
    "child_views_not_obtained",
    "factors",
    "decision",
    "end",
    "planned",
    "left_care",
    "sent_on",
    "recommendations",
    "waived",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(["2025-12-22", "U4", "PR1", "CREQB", "iro", "C-1"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def command_objects(draw: st.DrawFn) -> Any:
    if draw(st.booleans()):
        return draw(json_values)  # anything at all
    data = draw(st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6))
    obj: dict[str, Any] = {
        "case": draw(st.one_of(st.just("P-1"), st.text(max_size=8), st.integers())),
        "command": draw(st.sampled_from(COMMANDS)),
        "at": draw(st.one_of(st.just("2025-12-22T10:00:00+00:00"), st.text(max_size=25))),
        "actor": draw(
            st.one_of(
                st.just({"id": "sw-1", "role": "social_worker"}),
                st.just({"id": "tm-1", "role": "team_manager"}),
                json_values,
            )
        ),
        "data": data,
    }
    for key in draw(st.lists(st.sampled_from(list(obj)), max_size=2)):
        obj.pop(key, None)
    return obj


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


HEADER = (
    "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN"
)
cells = st.one_of(
    st.sampled_from(["", " ", "1", "01/04/2020", "1/4/20", "31/02/2020", "U4", "p", "X1", '"']),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12),
)
lines = st.lists(cells, min_size=0, max_size=15).map(
    lambda row: ",".join(c.replace("\n", " ").replace("\r", " ") for c in row)
)


@st.composite
def episode_files(draw: st.DrawFn) -> str:
    header = draw(st.one_of(st.just(HEADER), st.just(HEADER.lower()), lines))
    body = draw(st.lists(lines, max_size=12))
    return "\n".join([header, *body]) + draw(st.sampled_from(["", "\n", "\r\n"]))


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
