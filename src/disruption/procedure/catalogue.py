"""The catalogue a procedure file chooses from: data field types, guards and conditions.

Field types (``data: {name: {type: ...}}``):

- ``date``: ``YYYY-MM-DD``; ``text``: free text, kept in the personal-data store and
  referenced from the event; ``reference``: a pseudonymous reference;
- ``integer`` (``minimum``, ``maximum``); ``boolean``;
- ``choice`` (one of ``values``); ``choices`` (a list of ``values``, ``non_empty`` to require
  one); ``actor``: ``{id, role}``.

Every field is required unless ``required: false``. Guards (``guards: [{guard, field}]``):
``not_after_today`` (the date field is not after the command's date),
``on_or_after_placement_start``, ``on_or_after_ending`` (not before the placement ended) and
``independent_chair`` (the ``actor`` field has a chair's role and has not acted on the case as
its social worker). A transition or an opened deadline may depend on ``when: {field,
equals}``.

Example:
    >>> from disruption.domain.commands import Fields, shown
    >>> from disruption.procedure.catalogue import payload_reader
    >>> read = payload_reader("arrange_respite", {
    ...     "starts_on": {"type": "date"}, "nights": {"type": "integer", "minimum": 1},
    ...     "notes": {"type": "text", "required": False}})
    >>> read(Fields({"starts_on": "2026-01-16", "nights": 2}))
    ArrangeRespiteData(starts_on=datetime.date(2026, 1, 16), nights=2)
    >>> read(Fields({"starts_on": "2026-01-16", "nights": 0}))
    Traceback (most recent call last):
    ...
    disruption.exceptions.InvalidData: nights: must be a whole number from 1 to 1000000
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import attrs

from disruption.domain.commands import Fields, shown
from disruption.domain.model import Actor, Role
from disruption.domain.payloads import personal
from disruption.exceptions import InvalidData
from disruption.procedure import schema as js
from disruption.procedure.definition import Context
from disruption.procedure.schema import JSONSchema
from disruption.procedure.standard.guards import independent_chair, not_after_today, on_or_after

__all__ = ["GUARDS", "condition", "data_schema", "payload_reader"]

Spec = Mapping[str, Any]
Data = Mapping[str, Spec]
Guard = Callable[[Context], None]
_BIG = 1_000_000


def _read_one(fields: Fields, name: str, spec: Spec) -> Any:
    kind, required = spec["type"], spec.get("required", True)
    if not required and not fields.has(name) and kind not in ("choices",):
        fields.string(name, required=False)  # absent is allowed: nothing to read
        return None
    if kind == "date":
        return fields.date(name)
    if kind == "text":
        return fields.text(name)
    if kind == "reference":
        return fields.reference(name)
    if kind == "integer":
        return fields.integer(
            name, minimum=spec.get("minimum", -_BIG), maximum=spec.get("maximum", _BIG)
        )
    if kind == "boolean":
        return fields.boolean(name)
    if kind == "choices":
        return fields.labels(
            name, frozenset(spec["values"]), non_empty=spec.get("non_empty", False)
        )
    if kind == "choice":
        value = fields.string(name)
        if value not in spec["values"]:
            raise InvalidData(
                f"{shown(value)} is not one of {', '.join(spec['values'])}", field=name
            )
        return value
    nested = fields.nested(name)
    actor = Actor(nested.reference("id"), nested.choice("role", Role))
    nested.close()
    return actor


def payload_reader(command: str, data: Data) -> Callable[[Fields], Any]:
    """Build a command's payload class and its strict reader from field specs.

    Args:
        command: The command's name (names the payload class).
        data: Field name -> spec, as in a procedure file.

    Returns:
        A reader: it takes the command's data and returns a frozen payload, refusing an
        unknown field or a wrong value with :class:`InvalidData` naming the field.
    """
    ordered = sorted(data.items(), key=lambda item: not item[1].get("required", True))
    attributes = {}
    for name, spec in ordered:
        default: Any = attrs.NOTHING if spec.get("required", True) else None
        if spec["type"] == "choices":
            default = attrs.NOTHING if spec.get("required", True) else ()
        attributes[name] = (
            personal(default=default) if spec["type"] == "text" else attrs.field(default=default)
        )
    title = "".join(part.capitalize() for part in command.replace("-", "_").split("_"))
    payload = attrs.make_class(f"{title}Data", attributes, frozen=True, slots=True)

    def read(fields: Fields) -> Any:
        values = {name: _read_one(fields, name, spec) for name, spec in ordered}
        fields.close()
        return payload(**values)

    read.__qualname__ = read.__name__ = f"read_{command}"
    read.data_schema = data_schema(data)  # type: ignore[attr-defined]
    return read


def data_schema(data: Data) -> JSONSchema:
    """The JSON Schema of a command's data, from its field specs as in a procedure file.

    >>> data_schema({"nights": {"type": "integer", "minimum": 1}})["properties"]
    {'nights': {'type': 'integer', 'minimum': 1, 'maximum': 1000000}}
    """
    properties: dict[str, JSONSchema] = {}
    for name, spec in data.items():
        kind = spec["type"]
        if kind == "integer":
            properties[name] = js.integer(spec.get("minimum", -_BIG), spec.get("maximum", _BIG))
        elif kind == "choice":
            properties[name] = js.choice(spec["values"])
        elif kind == "choices":
            properties[name] = js.choices(spec["values"], non_empty=spec.get("non_empty", False))
        else:
            properties[name] = _SCHEMAS[kind]()
    required = [  # a list of choices is read as empty when absent, unless non_empty
        n
        for n, spec in data.items()
        if spec.get("required", True) and (spec["type"] != "choices" or spec.get("non_empty"))
    ]
    return js.obj(properties, required)


_SCHEMAS: Mapping[str, Callable[[], JSONSchema]] = {
    "date": js.date,
    "text": js.text,
    "reference": js.reference,
    "boolean": js.boolean,
    "actor": js.actor,
}


def _date_field(field: str | None, data: Data) -> str | None:
    if field is None:
        return "needs a field"
    if data.get(field, {}).get("type") != "date":
        return f"{field!r} is not a date field of the data"
    return None


def _placement_start(ctx: Context) -> date | None:
    return ctx.case.placement.start if ctx.case is not None else None


def _placement_end(ctx: Context) -> date | None:
    ending = ctx.case.ending if ctx.case is not None else None
    return ending.end if ending is not None else None


def _dated(
    make: Callable[[str], Guard],
) -> Callable[[str | None, Data], tuple[Guard | None, str | None]]:
    def build(field: str | None, data: Data) -> tuple[Guard | None, str | None]:
        problem = _date_field(field, data)
        return (None, problem) if problem or field is None else (make(field), None)

    return build


def _chair(field: str | None, data: Data) -> tuple[Guard | None, str | None]:
    if (field or "chair") != "chair" or data.get("chair", {}).get("type") != "actor":
        return None, "needs an actor field named 'chair'"
    return independent_chair, None


GUARDS: Mapping[str, Callable[[str | None, Data], tuple[Guard | None, str | None]]] = {
    "not_after_today": _dated(not_after_today),
    "on_or_after_placement_start": _dated(
        lambda f: on_or_after(f, _placement_start, "the placement start")
    ),
    "on_or_after_ending": _dated(lambda f: on_or_after(f, _placement_end, "the ending")),
    "independent_chair": _chair,
}
"""Guard name -> a builder taking the guard's field and the command's data specs."""


def condition(
    when: Mapping[str, Any] | None, data: Data
) -> tuple[Callable[[Context], bool] | None, str | None]:
    """Build a ``when: {field, equals}`` condition, or say what is wrong with it.

    Args:
        when: The condition from the file, or ``None``.
        data: The command's data specs.

    Returns:
        The condition (``None`` when there is none) and a problem (``None`` when fine).
    """
    if when is None:
        return None, None
    field, equals = when["field"], when["equals"]
    if field not in data:
        return None, f"{field!r} is not a field of the data"

    def holds(ctx: Context) -> bool:
        return bool(getattr(ctx.payload, field) == equals)

    holds.__qualname__ = holds.__name__ = f"{field}_is_{equals}"
    return holds, None
