"""Turning a command's typed data into an event's JSON data, with free text split off.

A payload is a frozen attrs class read from a command's data. Fields that hold free text
(a child's views, reasons written in words) are declared with :func:`personal`; when an event
is built they go to the personal-data store and the event keeps a reference in their place.

>>> import attrs
>>> @attrs.frozen
... class Waive:
...     reason: str = personal()
>>> data, texts = to_event_data(Waive("carer moved abroad"), case="P-1", seq=7, child="C-9")
>>> data
{'reason': {'ref': 'P-1/7/reason'}}
>>> texts[0].text
'carer moved abroad'
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import date
from enum import Enum
from typing import Any

import attrs

from disruption.domain.events import JSON, PersonalText

__all__ = ["is_text_ref", "personal", "to_event_data"]

_PERSONAL = "disruption.personal"


def personal(*, default: Any = attrs.NOTHING) -> Any:
    """Declare a payload field as free text kept apart from events.

    Args:
        default: The field's default, if it has one.

    Returns:
        An ``attrs.field`` marked as personal.
    """
    return attrs.field(default=default, metadata={_PERSONAL: True}, repr=False)


def is_text_ref(value: object) -> bool:
    """Whether a value in event data is a reference to free text."""
    return isinstance(value, dict) and set(value) == {"ref"}


_PLANS: dict[type, tuple[tuple[str, bool], ...]] = {}
_NESTED_TEXT: dict[type, bool] = {}
"""Per type: whether it is a payload class with free text inside (split off when nested)."""
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _plan(kind: type) -> tuple[tuple[str, bool], ...]:
    """Each field's name and whether it is personal, worked out once per payload class."""
    plan = _PLANS.get(kind)
    if plan is None:
        plan = tuple((f.name, bool(f.metadata.get(_PERSONAL))) for f in attrs.fields(kind))
        _PLANS[kind] = plan
    return plan


def _nested_text(kind: type) -> bool:
    found = _NESTED_TEXT.get(kind)
    if found is None:
        found = attrs.has(kind) and any(p for _, p in _plan(kind))
        _NESTED_TEXT[kind] = found
    return found


def _same(value: Any) -> JSON:
    return value


_enum_value: Callable[[Any], JSON] = operator.attrgetter("_value_")
"""What ``.value`` gives, without the enum property's slow lookup (and without a Python call)."""


_ISO: dict[date, str] = {}
"""One shared ISO string per calendar day written (events of many cases name the same days)."""
_ISO_LIMIT = 8192


def _iso(value: Any) -> JSON:
    if type(value) is not date:  # a datetime: written whole, never shared
        return value.isoformat()
    found = _ISO.get(value)
    if found is None:
        found = value.isoformat()
        if len(_ISO) < _ISO_LIMIT:
            _ISO[value] = found
    return found


def _items(value: Any) -> JSON:
    if not value:
        return []
    if isinstance(value, frozenset):
        return [_plain(v) for v in value]
    kinds = set(map(type, value))
    if len(kinds) == 1:  # one converter for all
        (first,) = kinds
        if first in _SCALARS:
            return list(value)
        convert = _CONVERTERS.get(first) or _converter(first)
        return list(map(convert, value))
    return [_plain(v) for v in value]


def _fields_of(kind: type) -> Callable[[Any], JSON]:
    """Compile a value type's converter to a JSON object: straight-line code per field.

    The same conversion as a loop over the fields would do (a scalar as it is, anything else
    by its type's converter), without the loop's ``getattr`` and work per field.
    """
    lines = ["def fields(value):", "    out = {}"]
    for name, _ in _plan(kind):
        lines += [
            f"    v = value.{name}",
            "    k = type(v)",
            "    if k in SCALARS:",
            f"        out[{name!r}] = v",
            "    else:",
            "        c = CONVERTERS.get(k)",
            f"        out[{name!r}] = plain(v) if c is None else c(v)",
        ]
    lines.append("    return out")
    namespace: dict[str, Any] = {"SCALARS": _SCALARS, "CONVERTERS": _CONVERTERS, "plain": _plain}
    exec(compile("\n".join(lines), f"<fields {kind.__qualname__}>", "exec"), namespace)
    fields: Callable[[Any], JSON] = namespace["fields"]
    return fields


_CONVERTERS: dict[type, Callable[[Any], JSON]] = {}
"""How a value of each type becomes JSON, chosen once per type (by the order of the checks
in :func:`_converter`)."""


def _converter(kind: type) -> Callable[[Any], JSON]:
    found = _CONVERTERS.get(kind)
    if found is None:
        if kind in _SCALARS:
            found = _same
        elif issubclass(kind, Enum):
            found = _enum_value
        elif issubclass(kind, date):
            found = _iso
        elif issubclass(kind, tuple | list | frozenset):
            found = _items
        elif attrs.has(kind):
            found = _fields_of(kind)
        else:
            found = _same
        _CONVERTERS[kind] = found
    return found


def _plain(value: Any) -> JSON:
    kind = type(value)
    convert = _CONVERTERS.get(kind)
    if convert is None:
        convert = _converter(kind)
    return convert(value)


_PLAIN: dict[type, Callable[[Any], JSON]] = {}
"""The converters of value types with no free text inside (not a list: its items decide),
found by :func:`_field` on first use: a field of such a type is converted directly."""

Convert = Callable[[Any, str, int, str, str], tuple[dict[str, JSON], tuple[PersonalText, ...]]]
"""A payload class's compiled :func:`to_event_data`: payload, case, seq, child, prefix."""

_COMPILED: dict[type, Convert] = {}


def _field(
    value: Any,
    kind: type,
    name: str,
    case: str,
    seq: int,
    child: str,
    prefix: str,
    texts: list[Any],
) -> JSON:
    """A field's value that is neither a scalar nor free text, its nested free text split off."""
    if _NESTED_TEXT.get(kind, True) and _nested_text(kind):
        data, nested = to_event_data(
            value, case=case, seq=seq, child=child, prefix=f"{prefix}{name}."
        )
        texts.extend(nested)
        return data
    if kind is tuple and value and _nested_text(type(value[0])):
        items: list[JSON] = []
        for i, item in enumerate(value):  # items with free text: each split off
            item_data, nested = to_event_data(
                item, case=case, seq=seq, child=child, prefix=f"{prefix}{name}[{i}]."
            )
            items.append(item_data)
            texts.extend(nested)
        return items
    convert = _CONVERTERS.get(kind) or _converter(kind)
    if not issubclass(kind, tuple | list | frozenset):
        _PLAIN[kind] = convert
    return convert(value)


def _compile(kind: type) -> Convert:
    """Compile :func:`to_event_data` for one payload class: straight-line code per field.

    The same conversion as a loop over the fields would do (a scalar as it is, free text
    split off, anything else by its type's converter), without the loop's work per field.
    """
    lines = ["def convert(payload, case, seq, child, prefix):", "    data = {}", "    texts = []"]
    for name, is_personal in _plan(kind):
        lines.append(f"    v = payload.{name}")
        if is_personal:
            lines += [
                "    if v is None:",
                f"        data[{name!r}] = None",
                "    else:",
                f"        path = prefix + {name!r}",
                '        ref = f"{case}/{seq}/{path}"',
                "        texts.append(PersonalText(ref, child, case, path, v))",
                f'        data[{name!r}] = {{"ref": ref}}',
            ]
        else:
            lines += [
                "    k = type(v)",
                "    if k in SCALARS:",
                f"        data[{name!r}] = v",
                "    elif k is tuple and (not v or NESTED.get(type(v[0])) is False):",
                f"        data[{name!r}] = items(v)  # no free text in its items",
                "    else:",
                "        c = PLAIN.get(k)",
                f"        data[{name!r}] = (c(v) if c is not None else",
                f"            field(v, k, {name!r}, case, seq, child, prefix, texts))",
            ]
    lines.append("    return data, (*texts,) if texts else ()")
    namespace: dict[str, Any] = {
        "SCALARS": _SCALARS,
        "PLAIN": _PLAIN,
        "NESTED": _NESTED_TEXT,
        "items": _items,
        "field": _field,
        "PersonalText": PersonalText,
    }
    code = compile("\n".join(lines), f"<to_event_data {kind.__qualname__}>", "exec")
    exec(code, namespace)
    convert: Convert = namespace["convert"]
    _COMPILED[kind] = convert
    return convert


def to_event_data(
    payload: Any, *, case: str, seq: int, child: str, prefix: str = ""
) -> tuple[dict[str, JSON], tuple[PersonalText, ...]]:
    """Return a payload as JSON-ready event data and the free text split off it.

    Args:
        payload: A payload (attrs instance) or ``None``.
        case: The case reference.
        seq: The number of the event being built.
        child: The child's reference, the key under which free text is stored.
        prefix: The path of a nested payload.

    Returns:
        The event data, and one :class:`PersonalText` per non-empty free-text field.
    """
    if payload is None:
        return {}, ()
    kind = type(payload)
    convert = _COMPILED.get(kind) or _compile(kind)
    return convert(payload, case, seq, child, prefix)
