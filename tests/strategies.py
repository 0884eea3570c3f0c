"""The Hypothesis strategies of the test suite, in one module.

Each section names the tests that draw from it. Strategies are values (``st.lists(...)``),
``@st.composite`` functions, or helpers taking ``st.data()``'s object where a draw depends on
what the engine said (the replay state machine and ``valid_journey``).
"""

from __future__ import annotations

import json
from datetime import date, timedelta, timezone
from typing import Any

import polars as pl
from hypothesis import strategies as st

from disruption.domain import codes
from disruption.domain.calendar import Nation, WorkingCalendar
from disruption.domain.clock import london_date
from disruption.domain.codes import PROVIDER_GROUPS
from disruption.domain.commands import Command
from disruption.domain.events import Event
from disruption.domain.model import (
    Actor,
    Case,
    ConcernCategory,
    Location,
    MeetingDecision,
    Role,
    SiblingDecision,
    SupportType,
)
from disruption.exceptions import CommandError
from disruption.logs import ALLOWED_FIELDS
from disruption.procedure.standard import CHAIR_ROLES, STANDARD
from disruption.procedure.standard.data import FACTORS
from tests.builders import MANAGER_ROLE_NAMES, T0, make_engine

PlacementRow = tuple[str, date, str, str, date | None, str | None, str | None, str | None]
"""An episode as tests/test_ssda903_placements.py builds it (child, DECOM, RNE, PLACE, DEC, REC,
REASON_PLACE_CHANGE, URN)."""


# Working-day calendars (tests/test_calendar.py) --------------------------------------------------

calendar_dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))
holiday_dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2098, 12, 31))  # holidays: 2100
working_day_counts = st.integers(min_value=1, max_value=400)


@st.composite
def calendars(draw: st.DrawFn, near: date) -> WorkingCalendar:
    offsets = draw(st.lists(st.integers(min_value=-20, max_value=60), max_size=6))
    return WorkingCalendar(
        draw(st.sampled_from(Nation)), [near + timedelta(days=k) for k in offsets]
    )


# Commands and journeys through the engine (tests/test_replay.py) ---------------------------------

COMMAND_NAMES = (
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
    "inform_iro",
    "review_case",
    "record_immediate_risk",
    "give_notice",
    "record_line_manager",
    "issue_report",
    "complete_recommendation",
    "link_siblings",
    "record_sibling_decision",
)
_SIBLING_DECISIONS = [d.value for d in SiblingDecision]
MANAGEMENT_COMMANDS = {"no_further_action", "offer_support", "stabilise", "record_immediate_risk"}
ACTOR_IDS = ("sw-1", "sw-2", "tm-1", "fm-1", "hos-1", "iro-1", "carer-1")
_ROLES = tuple(r.value for r in Role)
_FACTOR_LIST = tuple(sorted(FACTORS))

junk_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.text(max_size=12),
    st.dates(date(1700, 1, 1), date(2400, 12, 31)).map(date.isoformat),
    st.sampled_from(["2025-02-30", "2025-13-01", "25-12-01", "", " ", "U1", "PR9", "CARPL"]),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
"""Values that are usually wrong wherever they are put."""


def _iso(d: date) -> str:
    return d.isoformat()


def _days_back(draw: st.DataObject, on: date, most: int, floor: date | None = None) -> date:
    """A date up to ``most`` days before ``on``, not before ``floor`` when that is possible."""
    chosen = on - timedelta(days=draw.draw(st.integers(0, most)))
    return max(chosen, floor) if floor is not None and floor <= on else chosen


def _some_text(draw: st.DataObject) -> str:
    return draw.draw(st.text(min_size=1, max_size=40).filter(lambda s: s.strip() != ""))


def _chair(draw: st.DataObject) -> dict[str, str]:
    """A chair: usually independent, sometimes someone who acted as a social worker."""
    roles = sorted(r.value for r in CHAIR_ROLES)
    ids = ["iro-1", "iro-2", "hos-1", "tm-1", "iro-1", "iro-2", "sw-1"]
    return {"id": draw.draw(st.sampled_from(ids)), "role": draw.draw(st.sampled_from(roles))}


def pick_command(draw: st.DataObject, fitting: tuple[str, ...]) -> str:
    """One of the commands that act in a state, ``end_placement`` seldom (it ends the case)."""
    others = [n for n in fitting if n != "end_placement"]
    if others and (len(others) == len(fitting) or draw.draw(st.integers(0, 7)) != 0):
        return draw.draw(st.sampled_from(others))
    return draw.draw(st.sampled_from(fitting))


def valid_payload(draw: st.DataObject, name: str, on: date, case: Case | None) -> dict[str, Any]:
    """Data for ``name`` that is usually valid for ``case`` at the date ``on``."""
    if name == "open_case":
        start = on - timedelta(days=draw.draw(st.integers(0, 3000)))
        types = codes.PLACE.codes_in(codes.collection_year(start))
        placement: dict[str, Any] = {
            "id": draw.draw(st.sampled_from(["PL-1", "PL-2", "p.3"])),
            "type": draw.draw(st.sampled_from(types)),
            "provider": draw.draw(st.sampled_from(list(codes.PLACE_PROVIDER))),
            "start": _iso(start),
            "location": draw.draw(st.sampled_from([x.value for x in Location])),
        }
        if draw.draw(st.booleans()):
            placement["carer"] = "carer-1"
        return {"child": draw.draw(st.sampled_from(["C-1", "C-2"])), "placement": placement}
    if name == "raise_concern":
        return {
            "category": draw.draw(st.sampled_from([c.value for c in ConcernCategory])),
            "raised_by": draw.draw(st.sampled_from(_ROLES)),
        }
    if name == "no_further_action":
        return {"reason": _some_text(draw)}
    if name == "offer_support":
        support = draw.draw(st.lists(st.sampled_from([s.value for s in SupportType]), min_size=1))
        data: dict[str, Any] = {"support": support[:4]}
        if draw.draw(st.booleans()):
            data["review_by"] = _iso(on + timedelta(days=draw.draw(st.integers(0, 60))))
        return data
    if name == "convene_meeting":
        meeting: dict[str, Any] = {
            "date": _iso(on + timedelta(days=draw.draw(st.integers(0, 6)))),
            "chair": _chair(draw),
        }
        if draw.draw(st.booleans()):
            meeting["invited"] = draw.draw(st.lists(st.sampled_from(_ROLES), max_size=4))
        return meeting
    if name == "record_meeting":
        convened = case.meetings[-1].date if case is not None and case.meetings else None
        attendees = draw.draw(st.lists(st.sampled_from(_ROLES), max_size=3))
        data = {
            "held_on": _iso(_days_back(draw, on, 4, convened)),
            "attendees": ["social_worker", *attendees],
            "factors": draw.draw(st.lists(st.sampled_from(_FACTOR_LIST), max_size=3)),
            "decision": draw.draw(st.sampled_from([d.value for d in MeetingDecision])),
        }
        views = "child_views" if draw.draw(st.booleans()) else "child_views_not_obtained"
        data[views] = _some_text(draw)
        carer = draw.draw(st.sampled_from([None, "carer_views", "carer_views_not_obtained"]))
        if carer is not None:
            data[carer] = _some_text(draw)
        return data
    if name == "stabilise":
        return {}
    if name == "end_placement":
        began = case.placement.start if case is not None else None
        end = _days_back(draw, on, 6, began)
        reasons = codes.REASON_PLACE_CHANGE.codes_in(codes.collection_year(end))
        return {
            "end": _iso(end),
            "reason": draw.draw(st.sampled_from(reasons)),
            "planned": draw.draw(st.booleans()),
        }
    began = case.placement.start if case is not None else None
    recipients = draw.draw(
        st.lists(st.sampled_from(["carer-1", "school-1", "iro-1", "la-2"]), min_size=1, unique=True)
    )
    if name == "inform_iro":
        return {"informed_on": _iso(_days_back(draw, on, 6, began)), "iro": "iro-1"}
    if name == "review_case":
        return {"held_on": _iso(_days_back(draw, on, 6, began))}
    if name == "record_immediate_risk":
        return {"on": _iso(_days_back(draw, on, 3, began)), "reason": _some_text(draw)}
    if name == "give_notice":
        return {"sent_on": _iso(_days_back(draw, on, 6, began)), "recipients": recipients}
    if name == "link_siblings":
        others = st.sampled_from(["P-2", "P-3", "P-4"])
        return {"group": "SG-1", "cases": draw.draw(st.lists(others, min_size=1, unique=True))}
    if name == "record_sibling_decision":
        group = case.siblings if case is not None else None
        linked = group.cases if group is not None else ("P-2",)
        return {
            "decided_on": _iso(_days_back(draw, on, 6, began)),
            "decisions": [
                {"case": other, "decision": draw.draw(st.sampled_from(_SIBLING_DECISIONS))}
                for other in linked
            ],
        }  # fmt: skip
    if name == "record_line_manager":
        return {
            "social_worker": draw.draw(st.sampled_from(["sw-1", "sw-2"])),
            "line_manager": draw.draw(st.sampled_from(["tm-1", "hos-1", "iro-1"])),
        }
    review = case.review if case is not None else None
    reviewed = None if review is None else review.held_on
    if name == "issue_report":
        issued = _days_back(draw, on, 6, reviewed)
        ids = draw.draw(st.lists(st.sampled_from(["R1", "R2", "R3"]), unique=True, max_size=3))
        return {
            "issued_on": _iso(issued),
            "circulation": recipients,
            "recommendations": [
                {
                    "id": rid,
                    "owner": draw.draw(st.sampled_from(_ROLES)),
                    "due": _iso(issued + timedelta(days=draw.draw(st.integers(0, 90)))),
                    "text": _some_text(draw),
                }
                for rid in ids
            ],
        }
    if name == "complete_recommendation":
        report = case.report if case is not None else None
        return {
            "recommendation": draw.draw(st.sampled_from(["R1", "R2", "R3"])),
            "completed_on": _iso(
                _days_back(draw, on, 6, None if report is None else report.issued_on)
            ),
        }
    end_date = case.ending.end if case is not None and case.ending is not None else None
    if name == "record_notice":
        return {"sent_on": _iso(_days_back(draw, on, 6, end_date)), "recipients": recipients}
    if name == "record_learning_review":
        if draw.draw(st.booleans()):
            return {"waived": {"reason": _some_text(draw)}}
        return {
            "held_on": _iso(_days_back(draw, on, 6, end_date)),
            "chair": _chair(draw),
            "factors": draw.draw(st.lists(st.sampled_from(_FACTOR_LIST), min_size=1, max_size=3)),
            "recommendations": _some_text(draw),
        }
    return draw.draw(st.dictionaries(st.text(max_size=8), junk_values, max_size=3))


def spoil(draw: st.DataObject, data: dict[str, Any]) -> dict[str, Any]:
    """Spoil some data: drop a field, add an unknown one, or put junk in one."""
    how = draw.draw(st.sampled_from(["drop", "add", "junk", "junk-nested"]))
    keys = sorted(data)
    if how == "drop" and keys:
        key = draw.draw(st.sampled_from(keys))
        return {k: v for k, v in data.items() if k != key}
    if how == "junk" and keys:
        return {**data, draw.draw(st.sampled_from(keys)): draw.draw(junk_values)}
    nested = [k for k in keys if isinstance(data[k], dict)]
    if how == "junk-nested" and nested:
        key = draw.draw(st.sampled_from(nested))
        return {**data, key: spoil(draw, dict(data[key]))}
    return {**data, draw.draw(st.text(min_size=1, max_size=8)): draw.draw(junk_values)}


def role_for(draw: st.DataObject, name: str, data: dict[str, Any]) -> str:
    """Usually a role allowed to send the command; sometimes any role."""
    if draw.draw(st.integers(0, 3)) == 0:
        return draw.draw(st.sampled_from(_ROLES))
    if name in MANAGEMENT_COMMANDS or "waived" in data:
        return draw.draw(st.sampled_from(MANAGER_ROLE_NAMES))
    return "social_worker"


def valid_journey(draw: st.DataObject) -> tuple[Event, ...]:
    """Run a random journey of valid-looking commands; return every event stored."""
    engine = make_engine()
    now = T0 + timedelta(minutes=draw.draw(st.integers(0, 400 * 24 * 60)))
    for _ in range(draw.draw(st.integers(1, 14))):
        current = engine.load("P-1")
        if current is None:
            name = "open_case"
        elif not STANDARD.machine.commands_in(current.state):
            break
        else:
            name = pick_command(draw, STANDARD.machine.commands_in(current.state))
        now += timedelta(minutes=draw.draw(st.integers(0, 5 * 24 * 60)))
        offset = timezone(timedelta(minutes=15 * draw.draw(st.integers(-48, 56))))
        data = valid_payload(draw, name, london_date(now), current)
        role = (
            "social_worker"
            if name not in MANAGEMENT_COMMANDS and "waived" not in data
            else "head_of_service"
        )
        cmd = Command(
            case="P-1",
            name=name,
            at=now.astimezone(offset),
            actor=Actor(draw.draw(st.sampled_from(ACTOR_IDS)), Role(role)),
            data=data,
            id=draw.draw(st.one_of(st.none(), st.uuids().map(str))),
        )
        try:
            engine.handle(cmd)
        except CommandError:
            continue
    return tuple(engine.store.events("P-1"))


# Journeys through a store (tests/contracts/test_snapshot_store.py) ------------------------------

_JOURNEY_STEPS = (
    "raise_concern", "no_further_action", "offer_support", "convene_meeting",
    "record_meeting:plan_move", "record_meeting:stabilise", "record_meeting:continue_support",
    "stabilise", "end_placement:planned", "end_placement:unplanned", "record_notice",
    "record_learning_review", "sweep", "inform_iro", "review_case", "give_notice",
    "record_learning_review:held", "issue_report", "complete_recommendation",
    "link_siblings", "record_sibling_decision",
)  # fmt: skip
"""What a random journey is made of; ``sweep`` records missed deadlines."""

store_journeys = st.lists(
    st.tuples(st.sampled_from(_JOURNEY_STEPS), st.integers(min_value=1, max_value=24 * 12)),
    max_size=14,
)
"""Random journeys: steps, each some hours (up to 12 days) after the one before."""


# Fuzzing: any JSON as a command, any text as an Episodes file (tests/test_fuzz.py) ---------------

_FUZZ_COMMANDS = [*COMMAND_NAMES, "nonesuch"]
_FUZZ_FIELDS = [
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
    "recipients",
    "informed_on",
    "iro",
    "on",
    "social_worker",
    "line_manager",
    "issued_on",
    "circulation",
    "recommendation",
    "completed_on",
    "procedure",
    "invited",
    "carer_views",
    "carer_views_not_obtained",
    "adoption_order",
    "group",
    "cases",
    "decided_on",
    "decisions",
]
_json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(["2025-12-22", "U4", "PR1", "CREQB", "iro", "C-1"]),
)
json_values = st.recursive(
    _json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def command_objects(draw: st.DrawFn) -> Any:
    if draw(st.booleans()):
        return draw(json_values)  # anything at all
    data = draw(st.dictionaries(st.sampled_from(_FUZZ_FIELDS), json_values, max_size=6))
    obj: dict[str, Any] = {
        "case": draw(st.one_of(st.just("P-1"), st.text(max_size=8), st.integers())),
        "command": draw(st.sampled_from(_FUZZ_COMMANDS)),
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


_EXTREME_INSTANTS = [
    "0001-01-01T00:00:00+00:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:59:59+00:00",
    "1899-12-31T23:59:59+00:00",
    "2199-12-31T23:59:59-23:59",
    "2025-12-23T17:06:00+00:00",  # just beyond the clock tolerance of the fuzz engine
    "2025-12-22T10:00:00",  # no offset
]
_EXTREME_DATES = [
    "0001-01-01",
    "1850-01-07",
    "1899-12-31",
    "2000-01-01",
    "2200-01-01",
    "9999-12-31",
]


def _text_with_surrogates(max_size: int) -> st.SearchStrategy[str]:
    lone = st.sampled_from(["\ud800", "\udbff", "\udc80", "\udfff"])
    return st.text(st.one_of(st.characters(), lone), max_size=max_size)


def _encoded(draw: st.DrawFn, text: str) -> bytes:
    """``text`` as bytes in some encoding a caller might really send (or not quite)."""
    codec = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16", "cp1252", "pass"]))
    if codec == "pass":
        return text.encode("utf-8", "surrogatepass")  # lone surrogates as CESU-like bytes
    return text.encode(codec, "replace")


@st.composite
def command_lines(draw: st.DrawFn) -> bytes:
    """One line of ``disruption run`` input, as raw bytes: anything a caller might send.

    Random bytes; a generated command (see :func:`command_objects`) with extreme dates,
    surrogates, duplicate keys or huge values, in one of several encodings; deep nesting.
    """
    kind = draw(st.sampled_from(["bytes", "command", "command", "command", "nested", "dupe"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200)).replace(b"\n", b" ")
    if kind == "nested":
        depth = draw(st.sampled_from([10, 900, 1_100, 50_000, 200_000]))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
        return (opener * depth + "1" + closer * depth).encode()
    obj = draw(command_objects())
    if isinstance(obj, dict):
        if draw(st.booleans()):
            obj["at"] = draw(st.sampled_from(_EXTREME_INSTANTS))
        if draw(st.booleans()):
            obj["case"] = draw(st.one_of(st.just("P-1"), _text_with_surrogates(8)))
        if draw(st.booleans()) and isinstance(obj.get("data"), dict):
            day = draw(st.sampled_from(_EXTREME_DATES))
            obj["data"] = {**obj["data"], draw(st.sampled_from(_FUZZ_FIELDS)): day}
        if draw(st.integers(0, 4)) == 0:
            obj["contract_version"] = draw(
                st.sampled_from([1, 1.0, None, 2, 0, True, "1", [1], 10**400, -(2**63)])
            )
        if draw(st.integers(0, 9)) == 0:
            obj[draw(st.sampled_from(["at", "case", "command"]))] = "x" * draw(
                st.sampled_from([300, 100_000, 1_100_000])
            )
    text = json.dumps(obj, ensure_ascii=draw(st.booleans()), default=str)
    if kind == "dupe" and text.startswith("{") and len(text) > 2:
        text = '{"case": "P-2", ' + text[1:]
    return _encoded(draw, text).replace(b"\n", b" ")


_EPISODES_HEADER = (
    "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN"
)
_csv_cells = st.one_of(
    st.sampled_from(["", " ", "1", "01/04/2020", "1/4/20", "31/02/2020", "U4", "p", "X1", '"']),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12),
    st.sampled_from(["01/01/0001", "31/12/9999", "31/12/1899"]),  # dates out of range
    st.integers(60, 400).map(lambda n: "x" * n),  # over a cell's limit (64 for CHILD)
)
_csv_lines = st.lists(_csv_cells, min_size=0, max_size=15).map(
    lambda row: ",".join(c.replace("\n", " ").replace("\r", " ") for c in row)
)


@st.composite
def episode_file_bytes(draw: st.DrawFn) -> bytes:
    """`episode_files` written as UTF-8, Windows-1252 or Latin-1 (what cannot be, as ``?``)."""
    text = draw(episode_files())
    encoding = draw(st.sampled_from(["utf-8", "cp1252", "latin-1"]))
    if encoding == "utf-8":
        return text.encode("utf-8", "surrogatepass")
    return text.encode(encoding, errors="replace")


@st.composite
def episode_files(draw: st.DrawFn) -> str:
    header = draw(
        st.one_of(st.just(_EPISODES_HEADER), st.just(_EPISODES_HEADER.lower()), _csv_lines)
    )
    body = draw(st.lists(_csv_lines, max_size=12))
    return "\n".join([header, *body]) + draw(st.sampled_from(["", "\n", "\r\n"]))


# Procedure files (tests/test_procedure_file.py) --------------------------------------------------

_NEW_STATES = ["respite", "review", "hold", "escalated"]
_ALL_STATES = [
    "placed",
    "concern_raised",
    "support_offered",
    "disruption_meeting",
    "move_planned",
    "stabilised",
    "ended",
    *_NEW_STATES,
]


_ACTIVE_STATES = _ALL_STATES[:6]


def _procedure_step(
    name: str, sources: list[str], dest: str | None, follow_up: bool = False
) -> dict[str, Any]:
    transition: dict[str, Any] = {"from": sources}
    if dest is not None:
        transition["to"] = dest
    event = "".join(part.capitalize() for part in name.split("_"))
    return {"name": name, "event": event, "transitions": [transition], "follow_up": follow_up}


@st.composite
def procedure_documents(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly valid definitions (each new state entered and left), plus random extra steps."""
    states = draw(st.lists(st.sampled_from(_NEW_STATES), unique=True, max_size=4))
    finals = {s for s in states if draw(st.booleans())}
    commands = []
    for state in states:
        commands.append(
            _procedure_step(f"enter_{state}", [draw(st.sampled_from(_ACTIVE_STATES))], state)
        )
        if state not in finals:
            commands.append(
                _procedure_step(f"leave_{state}", [state], draw(st.sampled_from(_ACTIVE_STATES)))
            )
    for i in range(draw(st.integers(0, 3))):
        sources = draw(st.lists(st.sampled_from(_ALL_STATES), min_size=1, max_size=3, unique=True))
        dest = draw(st.one_of(st.none(), st.sampled_from(_ALL_STATES)))
        commands.append(_procedure_step(f"step_{i}", sources, dest, draw(st.booleans())))
    return {
        "name": "random",
        "version": 1,
        "states": [{"name": s, "final": s in finals} for s in states],
        "commands": commands,
    }


# SSDA903 Episodes rows, cell by cell, as text (tests/test_ssda903_check.py) ----------------------

_cell_children = st.sampled_from(["1", "2", " 3 ", "", "4"])
_cell_days = st.sampled_from(
    ["01/04/2019", "15/06/2019", "01/04/2020", "31/02/2020", "05/05/20", "", "2020-01-01"]
)
_cell_ends = st.sampled_from(["", "20/05/2019", "01/04/2020", "30/06/2020", "bad"])
_cell_rne = st.sampled_from(["S", "p", " B ", "ZZ", "", "L", "T"])
_cell_ls = st.sampled_from(["C2", "V2", "zz", ""])
_cell_place = st.sampled_from(["U1", "u4", "T0", "K2", "XX", "", "P1"])
_cell_provider = st.sampled_from(["PR1", "PR4", "pr0", "Q9", ""])
_cell_rec = st.sampled_from(["", "X1", "E11", "e3", "QQ"])
_cell_reason = st.sampled_from(["", "CARPL", "allow", "OTHER", "NOPE"])
episode_cells = st.lists(
    st.tuples(
        _cell_children,
        _cell_days,
        _cell_rne,
        _cell_ls,
        _cell_place,
        _cell_provider,
        _cell_ends,
        _cell_rec,
        _cell_reason,
    ),
    max_size=12,
)
# A later return's DEC dates (2021-22 and 2022-23): its year is never an earlier return's.
_cell_later_ends = st.sampled_from(["", "20/05/2021", "01/04/2022", "30/06/2022", "bad"])
later_episode_cells = st.lists(
    st.tuples(
        _cell_children,
        _cell_days,
        _cell_rne,
        _cell_ls,
        _cell_place,
        _cell_provider,
        _cell_later_ends,
        _cell_rec,
        _cell_reason,
    ),
    max_size=12,
)


# Children's histories for the return writer (tests/test_ssda903_returns.py) ----------------------

# One child's history: when care starts, then each placement's length and type.
_child_placements = st.lists(
    st.tuples(st.integers(1, 800), st.sampled_from(["U1", "U4", "K2", "R1"])),
    min_size=1,
    max_size=4,
)
child_histories = st.tuples(
    st.integers(0, 3000),  # days after 1 April 2016 that care starts
    _child_placements,
    st.booleans(),  # leaves care at the end of the last placement (if before the last day)
    st.sampled_from(["C2", "C2", "V3"]),  # legal status (V3: short breaks)
    st.integers(1, 17),  # age in years when care starts
)


# Placement histories (tests/test_ssda903_placements.py) ------------------------------------------


@st.composite
def placement_histories(draw: st.DrawFn) -> list[PlacementRow]:
    rows: list[PlacementRow] = []
    for c in range(draw(st.integers(1, 3))):
        day = date(2020, 1, 1)
        for _ in range(draw(st.integers(1, 7))):
            end: date | None = day + timedelta(days=draw(st.integers(0, 40)))
            if draw(st.integers(0, 6)) == 0:
                end = None
            rows.append(
                (
                    str(c),
                    day,
                    draw(st.sampled_from(("S", "P", "B", "T", "U", "L", "X"))),
                    draw(st.sampled_from(("U1", "U1", "K2", "T0", "T3"))),
                    end,
                    None if end is None else draw(st.sampled_from(("X1", "X1", "E11", None))),
                    draw(st.sampled_from((None, "CARPL", "CREQB"))),
                    draw(st.sampled_from((None, "SC1", "SC2"))),
                )
            )
            if end is None:
                break
            day = end + timedelta(days=draw(st.sampled_from((0, 0, 0, 1, 9))))
    return rows


# Histories for the stability measures (tests/test_analysis_stability.py) -------------------------

# Properties on random stability_histories: a few children, contiguous episodes with the odd gap in
# care, every RNE, legal status (short breaks included), placements for adoption and
# temporary placements.

_STABILITY_PLACES = ("U4", "U5", "K2", "A5", "A3", "T1")


@st.composite
def stability_histories(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataFrame]:
    rows: list[tuple[object, ...]] = []
    dobs: dict[str, date] = {}
    for c in range(draw(st.integers(1, 4))):
        child = f"C{c}"
        dobs[child] = date(2004, 1, 1) + timedelta(days=draw(st.integers(0, 6000)))
        day = date(2017, 1, 1) + timedelta(days=draw(st.integers(0, 1500)))
        count = draw(st.integers(1, 6))
        for i in range(count):
            place = draw(st.sampled_from(_STABILITY_PLACES if i else _STABILITY_PLACES[:-1]))
            rne = "S" if i == 0 else draw(st.sampled_from("PTULB"))
            length = draw(st.integers(1, 500))
            end: date | None = day + timedelta(days=length)
            if i == count - 1 and draw(st.booleans()):
                end = None
            rows.append(
                (
                    child,
                    day,
                    rne,
                    draw(st.sampled_from(("C2", "C2", "E1", "V3", "V4"))),
                    place,
                    "PR1",
                    end,
                    None if end is None else "X1",
                    None if end is None else "CARPL",
                    draw(st.sampled_from(("SC1", "SC2", "SC3"))),
                )
            )
            if end is None:
                break
            gap = draw(st.integers(0, 60)) if draw(st.integers(0, 9)) == 0 else 0
            day = end + timedelta(days=gap)
    columns = ("child", "decom", "rne", "ls", "place", "place_provider", "dec", "rec")
    schema: dict[str, type[pl.DataType]] = dict.fromkeys(
        (*columns, "reason_place_change", "urn"), pl.String
    )
    schema.update(decom=pl.Date, dec=pl.Date)
    episodes = pl.DataFrame(rows, schema=schema, orient="row")
    header = pl.DataFrame({"child": list(dobs), "dob": list(dobs.values())})
    return episodes, header


year_ends = st.sampled_from([date(y, 3, 31) for y in range(2018, 2025)])


# Findings as columns (tests/test_ssda903_findings.py) --------------------------------------------

_finding_text = st.text(max_size=8)
finding_rows = st.lists(
    st.tuples(
        _finding_text,
        st.none() | st.integers(min_value=1),
        st.none() | _finding_text,
        _finding_text,
        _finding_text,
        st.none() | _finding_text,
    ),
    max_size=30,
)


# Stored values (tests/test_store_audit.py) -------------------------------------------------------

stored_texts = st.text(st.characters(codec="utf-8"), max_size=40)
stored_values = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), stored_texts)


# Report tables for disclosure control (tests/test_analysis_disclosure.py) ------------------------

open_placement_counts = st.lists(
    st.tuples(
        st.integers(0, 12).map(lambda n: n if n % 3 else n * 7),
        st.integers(0, 8),
        st.integers(0, 40),
    ),
    min_size=2,
    max_size=6,
)
"""A two-way table's rows of counts (many of them small, some multiples of 7)."""

_REASONS = ["CARPL", "CREQB", "CREQO", "CHILD", "ALLEG", "STAND", "APPRR", "CLOSE", "LAREQ"]
_TYPES = ["Foster placement", "Children's Homes", "Placed for adoption", "Placed with parents"]

section_rows = st.lists(
    st.tuples(
        st.sampled_from(_REASONS),
        st.booleans(),
        st.sampled_from(_TYPES),
        st.sampled_from(list(PROVIDER_GROUPS)),
        st.sampled_from(["in_borough", "out_of_borough"]),
        st.booleans(),
    ),
    min_size=1,
    max_size=60,
)
"""Endings and placements as the report's sections count them."""


# Log lines (tests/test_logging.py) ---------------------------------------------------------------

log_fields = st.dictionaries(
    st.one_of(
        st.sampled_from(sorted(ALLOWED_FIELDS - {"event"})),
        st.from_regex(r"[a-z_]{1,12}", fullmatch=True),
    ).filter(lambda key: key not in {"event", "log_level"}),
    st.text(max_size=20),
    max_size=6,
)
"""A library log line's fields: allowed names and others."""
