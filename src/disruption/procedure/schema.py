"""The JSON Schema of a command line, built from procedure definitions so it cannot drift.

The contract's schema (``disruption/schemas/command.schema.json``, ``docs/schema/``) is the
output of :func:`command_schema` for every shipped version of the standard procedure; an
authority with its own procedure file gets the schema of its commands the same way
(``disruption procedure schema --procedure FILE``). The envelope is the contract's; each
command's ``data`` schema is the one its reader declares:

- a payload class of the standard procedure declares ``DATA`` (or a ``schema(**options)``
  class method, when the reader takes options) next to its ``read``, with the builders of this
  module (:func:`date`, :func:`reference`, :func:`text`, :func:`choice`, :func:`obj`, ...);
- a reader made from a procedure file's field specs carries its schema
  (:func:`disruption.procedure.catalogue.payload_reader`).

A command in several procedures with different data (``record_notice`` in versions 1 and 2 of
the standard procedure) gets ``anyOf`` the different schemas, each naming its versions.

>>> from disruption.procedure.standard import STANDARD
>>> schema = command_schema([STANDARD])
>>> schema["$id"], "inform_iro" in schema["properties"]["command"]["enum"]
('https://disruption.invalid/schema/command.schema.json', True)
>>> data_schema(STANDARD.command("review_case").read)["required"]
['held_on']

The schema checks shape only: what a reader checks across fields or against the case (a code
valid in the collection year of a date, dates in order, roles, the chair's independence) is
said in a ``description`` where a reader checks it, never invented.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any

from disruption.domain.commands import MAX_TEXT, SUPPORTED_CONTRACT_VERSIONS
from disruption.domain.model import REFERENCE_PATTERN, Role
from disruption.procedure.definition import Procedure

__all__ = [
    "SCHEMA_ID",
    "JSONSchema",
    "actor",
    "boolean",
    "choice",
    "choices",
    "command_schema",
    "data_schema",
    "date",
    "declared",
    "dump",
    "integer",
    "obj",
    "objects",
    "one_of",
    "reference",
    "references",
    "string",
    "text",
]

JSONSchema = dict[str, Any]
"""A JSON Schema (draft 2020-12) as a JSON-ready dict."""

SCHEMA_ID = "https://disruption.invalid/schema/command.schema.json"
"""The ``$id`` of the command schema: a name, not an address (``.invalid`` is reserved)."""

_REF_DESCRIPTION = "A pseudonymous reference: never a name."
_TEXT_DESCRIPTION = "Free text: kept in the personal-data store, never in events or logs."
_DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"


def _values(values: Iterable[str] | type[StrEnum]) -> list[str]:
    return [str(v.value) if isinstance(v, StrEnum) else str(v) for v in values]


def _described(schema: JSONSchema, description: str | None) -> JSONSchema:
    return {**schema, "description": description} if description else schema


def reference(description: str | None = None) -> JSONSchema:
    """A pseudonymous reference: 1-64 letters, digits or ``._:/-``."""
    return {
        "type": "string",
        "pattern": f"^{REFERENCE_PATTERN}$",
        "description": description or _REF_DESCRIPTION,
    }


def date(description: str | None = None) -> JSONSchema:
    """A calendar date, ``YYYY-MM-DD`` (the engine reads 1900-01-01 to 2199-12-31)."""
    return {
        "type": "string",
        "format": "date",
        "pattern": _DATE_PATTERN,
        "description": description or "A calendar date, YYYY-MM-DD.",
    }


def text(description: str | None = None) -> JSONSchema:
    """Free text, kept in the personal-data store (at most ``MAX_TEXT`` characters)."""
    return {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_TEXT,
        "description": description or _TEXT_DESCRIPTION,
    }


def string(description: str | None = None) -> JSONSchema:
    """A non-empty string checked by the engine beyond its shape (said in ``description``)."""
    return _described({"type": "string", "minLength": 1}, description)


def boolean(description: str | None = None) -> JSONSchema:
    """``true`` or ``false``."""
    return _described({"type": "boolean"}, description)


def integer(minimum: int, maximum: int, description: str | None = None) -> JSONSchema:
    """A whole number from ``minimum`` to ``maximum``."""
    return _described({"type": "integer", "minimum": minimum, "maximum": maximum}, description)


def choice(values: Iterable[str] | type[StrEnum], description: str | None = None) -> JSONSchema:
    """One of ``values`` (an enumeration's values, or a code list's codes)."""
    return _described({"enum": _values(values)}, description)


def choices(
    values: Iterable[str] | type[StrEnum],
    *,
    non_empty: bool = False,
    description: str | None = None,
) -> JSONSchema:
    """A list of ``values`` (``non_empty``: at least one)."""
    schema: JSONSchema = {"type": "array", "items": {"enum": _values(values)}}
    if non_empty:
        schema["minItems"] = 1
    return _described(schema, description)


def references(*, non_empty: bool = False, description: str | None = None) -> JSONSchema:
    """A list of distinct pseudonymous references."""
    schema: JSONSchema = {"type": "array"}
    if non_empty:
        schema["minItems"] = 1
    schema["uniqueItems"] = True
    schema["items"] = reference()
    return _described(schema, description)


def actor(description: str | None = None) -> JSONSchema:
    """Who acts or chairs: ``{"id": reference, "role": one of the roles}``."""
    return _described(
        {
            "type": "object",
            "required": ["id", "role"],
            "additionalProperties": False,
            "properties": {"id": reference(), "role": choice(Role)},
        },
        description,
    )


def obj(
    properties: Mapping[str, JSONSchema],
    required: Sequence[str] = (),
    *,
    description: str | None = None,
    **keywords: Any,
) -> JSONSchema:
    """An object of exactly these fields (an unknown one is refused, as the engine does).

    Args:
        properties: Field name -> its schema, in the order they are documented.
        required: The required fields.
        description: What the engine checks that the schema cannot say.
        **keywords: Other keywords of the object's schema (``oneOf``, ...).
    """
    schema: JSONSchema = {
        "type": "object",
        "additionalProperties": False,
        "required": list(required),
        "properties": dict(properties),
        **keywords,
    }
    return _described(schema, description)


def objects(
    item: JSONSchema, *, non_empty: bool = False, description: str | None = None
) -> JSONSchema:
    """A list of objects, each of schema ``item``."""
    schema: JSONSchema = {"type": "array", "items": item}
    if non_empty:
        schema["minItems"] = 1
    return _described(schema, description)


def one_of(*names: str) -> JSONSchema:
    """``oneOf`` keyword value: exactly one of the named fields is given."""
    return {
        "oneOf": [
            {"required": [name], "not": {"required": [other for other in names if other != name]}}
            if len(names) == 2
            else {
                "required": [name],
                "not": {"anyOf": [{"required": [o]} for o in names if o != name]},
            }
            for name in names
        ]
    }


_UNDESCRIBED: JSONSchema = {
    "type": "object",
    "description": "This command's reader declares no schema of its data: the engine checks it.",
}


def data_schema(read: Callable[..., Any]) -> JSONSchema | None:
    """The JSON Schema of a command's data, as its reader declares it.

    Args:
        read: A :attr:`~disruption.procedure.definition.CommandSpec.read`.

    Returns:
        The schema: the reader's own ``data_schema`` attribute (a procedure file's reader, a
        reader with options), or its payload class's ``schema()`` or ``DATA``; ``None`` when
        it declares none. A payload class declares its own: one inherited from a base class
        is not taken (a subclass reads more fields than its base declares).
    """
    found = getattr(read, "data_schema", None)
    if found is None:
        found = declared(getattr(read, "__self__", None))
    return dict(found) if isinstance(found, Mapping) else None


def declared(payload: object, **options: Any) -> JSONSchema | None:
    """The data schema a payload class declares itself (``schema(**options)`` or ``DATA``).

    Args:
        payload: A payload class (anything else declares none).
        **options: The options its reader is given (``summary_required=False``, ...).
    """
    own = vars(payload) if isinstance(payload, type) else {}
    if "schema" in own:
        kind: Any = payload
        found = kind.schema(**options)
    else:
        found = own.get("DATA")
    return dict(found) if isinstance(found, Mapping) else None


def _envelope(commands: Sequence[str], description: str) -> JSONSchema:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "disruption command",
        "description": description,
        "type": "object",
        "additionalProperties": False,
        "required": ["case", "command", "at", "actor"],
        "properties": {
            "contract_version": {
                "enum": list(SUPPORTED_CONTRACT_VERSIONS),
                "description": "The version of the command contract the line is written to "
                "(docs/contract.md); absent means the current version, "
                f"{SUPPORTED_CONTRACT_VERSIONS[-1]}. A version this library does not read "
                "is refused (UnsupportedContractVersion).",
            },
            "case": reference(),
            "command": {"enum": list(commands)},
            "at": {
                "type": "string",
                "format": "date-time",
                "pattern": r"^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:\d{2})$",
                "description": "When it happened, ISO 8601 with an offset.",
            },
            "actor": actor(),
            "data": {"type": "object"},
            "id": reference(
                "Idempotency key: a command whose id was already applied is not applied again."
            ),
        },
    }


def _versions(procedures: Sequence[Procedure]) -> str:
    names = sorted({p.name for p in procedures})
    return "; ".join(
        f"{name} version{'s' if len(vs) > 1 else ''} {', '.join(vs)}"
        for name in names
        for vs in [[str(p.version) for p in procedures if p.name == name]]
    )


def command_schema(procedures: Iterable[Procedure]) -> JSONSchema:
    """The JSON Schema (draft 2020-12) of a command line for these procedures' commands.

    Args:
        procedures: The procedures whose commands a line may name (every shipped version of
            the standard procedure, say); their commands are listed in the order met.

    Returns:
        The schema: the envelope, and per command an ``if``/``then`` on ``command`` giving
        its ``data`` schema (``anyOf`` the different ones, where procedures differ).
    """
    procs = list(procedures)
    by_command: dict[str, list[tuple[JSONSchema, list[Procedure]]]] = {}
    for proc in procs:
        for spec in proc.commands:
            found = data_schema(spec.read) or _UNDESCRIBED
            variants = by_command.setdefault(spec.name, [])
            for known, where in variants:
                if known == found:
                    where.append(proc)
                    break
            else:
                variants.append((found, [proc]))
    description = (
        f"One command of the integration contract, version {SUPPORTED_CONTRACT_VERSIONS[-1]}, "
        f"one JSON object per line (JSON Lines), for the commands of {_versions(procs)}. "
        "Generated from the procedure definitions (disruption procedure schema). "
        "See docs/contract.md."
    )
    schema = _envelope(list(by_command), description)
    rules = []
    for name, variants in by_command.items():
        if len(variants) == 1:
            data = variants[0][0]
        else:
            data = {
                "anyOf": [
                    {**found, "description": _join(found.get("description"), _versions(where))}
                    for found, where in variants
                ]
            }
        rules.append(
            {
                "if": {"properties": {"command": {"const": name}}, "required": ["command"]},
                "then": {"properties": {"data": data}},
            }
        )
    schema["allOf"] = rules
    return schema


def _join(description: object, versions: str) -> str:
    head = f"In {versions}."
    return f"{head} {description}" if description else head


def dump(schema: JSONSchema) -> str:
    """The schema as the shipped files hold it: JSON indented by 2, ending with a newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
