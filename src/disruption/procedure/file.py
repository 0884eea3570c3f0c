"""An authority's procedure and configuration as a file (YAML or JSON), checked before use.

A file names its definition and version, starts from a shipped definition (``extends:
standard``), and adds states, commands, deadlines, timescales and the authority's working
days. Command data, guards and branch conditions come from a documented catalogue (the
JSON Schema ``disruption/schemas/procedure.schema.json``, shown in ``docs/authority.md``);
logic the catalogue does not cover stays possible in Python with :meth:`Procedure.draft`.

Example:
    >>> from disruption.procedure.file import parse_procedure
    >>> authority = parse_procedure({
    ...     "name": "north-borough", "version": 2, "extends": "standard",
    ...     "authority": {"nation": "england_and_wales", "closure_days": ["2026-12-29"]},
    ...     "timescales": {"meeting": 5},
    ... })
    >>> authority.procedure.name, authority.procedure.deadline("meeting").working_days
    ('north-borough', 5)
    >>> parse_procedure({"name": "x", "version": 0})
    Traceback (most recent call last):
    ...
    disruption.exceptions.DefinitionError: procedure 'x' is invalid:
      - version: 0 is less than the minimum of 1
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
import jsonschema
import yaml

from disruption.domain.calendar import WorkingCalendar
from disruption.domain.model import Role
from disruption.exceptions import DefinitionError
from disruption.procedure.catalogue import GUARDS, condition, payload_reader
from disruption.procedure.definition import (
    CommandSpec,
    DeadlineSpec,
    Draft,
    Independence,
    Opens,
    Procedure,
    Rules,
    State,
    Transition,
    Triggers,
)
from disruption.procedure.standard import ADOPTION, STANDARD

__all__ = ["SCHEMA", "Authority", "load_procedure", "parse_procedure"]

SCHEMA: Mapping[str, Any] = json.loads(
    resources.files("disruption").joinpath("schemas/procedure.schema.json").read_text("utf-8")
)
"""The JSON Schema every procedure file is checked against first."""

_BASES: Mapping[str, Procedure] = {"standard": STANDARD, "adoption": ADOPTION}


class _Loader(yaml.SafeLoader):
    """YAML without implicit timestamps: ``2026-12-29`` stays the text the schema checks."""


_Loader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


@attrs.frozen
class Authority:
    """A checked procedure definition and the working-day calendar it runs on.

    Attributes:
        procedure: The definition (its name and version are recorded in every case).
        calendar: The authority's working days: its nation's bank holidays and closures.
        source: Where it was read from.
    """

    procedure: Procedure
    calendar: WorkingCalendar
    source: str = "<document>"


def load_procedure(path: str | Path) -> Authority:
    """Read, check and build an authority's procedure file.

    Args:
        path: A ``.yaml``, ``.yml`` or ``.json`` file.

    Returns:
        The authority's procedure and calendar.

    Raises:
        DefinitionError: The file cannot be read or parsed, or breaks a rule; every problem
            is listed, each with where it is.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DefinitionError(source, [f"cannot be read: {error}"]) from None
    try:
        document = yaml.load(text, Loader=_Loader)  # a SafeLoader: no arbitrary objects
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise DefinitionError(source, [f"{where}not YAML or JSON ({problem})"]) from None
    return parse_procedure(document, source=source)


def parse_procedure(document: object, *, source: str = "<document>") -> Authority:
    """Check and build a procedure from a parsed document (a mapping).

    Args:
        document: The file's content, as parsed from YAML or JSON.
        source: Where it came from, for messages.

    Returns:
        The authority's procedure and calendar.

    Raises:
        DefinitionError: Listing every problem.
    """
    name = document.get("name", source) if isinstance(document, Mapping) else source
    problems = _schema_problems(document)
    if problems:
        raise DefinitionError(str(name), problems)
    assert isinstance(document, Mapping)
    base = _BASES[document.get("extends", "standard")]
    draft = base.draft(name=document["name"], version=document["version"])
    if "description" in document:
        draft.description = document["description"]
    if "backdating_limit" in document:
        draft.backdating_limit = document["backdating_limit"]
    if "rules" in document:
        draft.rules = _rules(draft.rules, document["rules"])
    problems = _apply(draft, document)
    if problems:
        raise DefinitionError(str(name), problems)
    procedure = draft.build()
    settings = document.get("authority", {})
    calendar = WorkingCalendar(
        settings.get("nation", "england_and_wales"),
        frozenset(date.fromisoformat(d) for d in settings.get("closure_days", ())),
    )
    return Authority(procedure, calendar, source)


def _schema_problems(document: object) -> list[str]:
    problems = []
    for error in sorted(_VALIDATOR.iter_errors(document), key=lambda e: list(map(str, e.path))):
        where = ".".join(str(p) for p in error.absolute_path) or "(top)"
        problems.append(f"{where}: {error.message}")
    if isinstance(document, Mapping):
        for i, day in enumerate(document.get("authority", {}).get("closure_days", ())):
            try:
                date.fromisoformat(str(day))
            except ValueError:
                problems.append(f"authority.closure_days.{i}: {day!r} is not a date YYYY-MM-DD")
    return problems


def _apply(draft: Draft, document: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    for state in document.get("states", ()):
        draft.add_state(
            State(state["name"], state.get("description", ""), state.get("final", False))
        )
    for spec in document.get("deadlines", ()):
        draft.add_deadline(_deadline(spec))
    for i, spec in enumerate(document.get("commands", ())):
        where = f"commands.{i} ({spec['name']})"
        if "event" not in spec:
            problems.extend(_change(draft, spec, where))
            continue
        command, found = _command(spec, where)
        problems.extend(found)
        if command is not None:
            draft.add_command(command)
    for name, timescale in document.get("timescales", {}).items():
        if name not in draft.deadlines:
            problems.append(f"timescales.{name}: no deadline {name!r}")
            continue
        if isinstance(timescale, int):
            draft.set_timescale(name, working_days=timescale)
        else:
            draft.set_timescale(
                name,
                working_days=timescale["working_days"],
                by_placement_type=timescale.get("by_placement_type"),
            )
    return problems


def _rules(base: Rules, spec: Mapping[str, Any]) -> Rules:
    """The base definition's rules with what the file sets replaced."""
    independence = spec.get("independence", {})
    old = base.independence
    triggers = spec.get("triggers", {})
    rule = base.triggers
    return attrs.evolve(
        base,
        triggers=Triggers(
            child_unplanned=triggers.get("child_unplanned", rule.child_unplanned),
            carer_unplanned=triggers.get("carer_unplanned", rule.carer_unplanned),
            months=triggers.get("months", rule.months),
            permanent_types=triggers.get("permanent_types", rule.permanent_types),
            not_breakdown=triggers.get("not_breakdown", rule.not_breakdown),
        ),
        independence=Independence(
            line_managers=independence.get("line_managers", old.line_managers),
            adoption_service=independence.get("adoption_service", old.adoption_service),
            exclude_adoption_service=independence.get(
                "exclude_adoption_service", old.exclude_adoption_service
            ),
        ),
    )


def _roles_in(spec: Mapping[str, Any]) -> dict[str, frozenset[Role]]:
    return {
        state: frozenset(Role(r) for r in roles)
        for state, roles in spec.get("roles_in", {}).items()
    }


def _change(draft: Draft, spec: Mapping[str, Any], where: str) -> list[str]:
    name = spec["name"]
    if name not in draft.commands:
        return [f"{where}: no command {name!r} to change"]
    if "roles_in" in spec:
        old = draft.commands[name]
        draft.add_command(attrs.evolve(old, roles_in={**old.roles_in, **_roles_in(spec)}))
    if "add_sources" in spec:
        draft.add_sources(name, *spec["add_sources"])
    if "transitions" in spec:
        draft.set_transitions(
            name,
            *(
                Transition(tuple(t["from"]), t.get("to"), _field_is(t.get("when")))
                for t in spec["transitions"]
            ),
        )
    return []


def _field_is(when: Mapping[str, Any] | None) -> Any:
    """A ``when`` on a base command, whose data is defined in Python: checked when it runs."""
    if when is None:
        return None
    return condition(when, {when["field"]: {"type": "any"}})[0]


def _deadline(spec: Mapping[str, Any]) -> DeadlineSpec:
    calendar_days = "days" in spec
    return DeadlineSpec(
        name=spec["name"],
        working_days=spec["days"] if calendar_days else spec["working_days"],
        cleared_by=spec["cleared_by"],
        by_placement_type=dict(spec.get("by_placement_type", {})),
        earliest_working_days=spec.get("earliest"),
        description=spec.get("description", ""),
        calendar_days=calendar_days,
        source=spec.get("source", ""),
    )


def _command(spec: Mapping[str, Any], where: str) -> tuple[CommandSpec | None, list[str]]:
    data: Mapping[str, Mapping[str, Any]] = spec.get("data", {})
    problems: list[str] = []
    guards: list[Callable[[Any], None]] = []
    for j, g in enumerate(spec.get("guards", ())):
        guard, problem = GUARDS[g["guard"]](g.get("field"), data)
        if problem:
            problems.append(f"{where}.guards.{j}: {problem}")
        elif guard is not None:
            guards.append(guard)
    transitions = []
    for j, t in enumerate(spec["transitions"]):
        when, problem = condition(t.get("when"), data)
        if problem:
            problems.append(f"{where}.transitions.{j}.when: {problem}")
        transitions.append(Transition(tuple(t["from"]), t.get("to"), when))
    opens = []
    for j, o in enumerate(spec.get("opens", ())):
        anchor = o.get("anchor", "at")
        if anchor != "at" and data.get(anchor, {}).get("type") != "date":
            problems.append(f"{where}.opens.{j}.anchor: {anchor!r} is not a date field of the data")
        when, problem = condition(o.get("when"), data)
        if problem:
            problems.append(f"{where}.opens.{j}.when: {problem}")
        opens.append(Opens(o["deadline"], anchor=anchor, when=when))
    if problems:
        return None, problems
    roles = spec.get("roles")
    return (
        CommandSpec(
            name=spec["name"],
            event=spec["event"],
            read=payload_reader(spec["name"], data),
            transitions=transitions,
            roles=None if roles is None else frozenset(Role(r) for r in roles),
            roles_in=_roles_in(spec),
            guards=guards,
            opens=opens,
            follow_up=spec.get("follow_up", False),
            description=spec.get("description", ""),
        ),
        [],
    )
