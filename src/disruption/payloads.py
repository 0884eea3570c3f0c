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

from datetime import date
from enum import Enum
from typing import Any

import attrs

from disruption.events import JSON, PersonalText

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


def _plain(value: Any) -> JSON:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list | frozenset):
        return [_plain(v) for v in value]
    if attrs.has(type(value)):
        return {f.name: _plain(getattr(value, f.name)) for f in attrs.fields(type(value))}
    return value


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
    data: dict[str, JSON] = {}
    texts: list[PersonalText] = []
    for f in attrs.fields(type(payload)):
        value = getattr(payload, f.name)
        path = f"{prefix}{f.name}"
        if f.metadata.get(_PERSONAL) and value is not None:
            ref = f"{case}/{seq}/{path}"
            texts.append(PersonalText(ref=ref, child=child, case=case, field=path, text=value))
            data[f.name] = {"ref": ref}
        elif attrs.has(type(value)):
            data[f.name], nested = to_event_data(
                value, case=case, seq=seq, child=child, prefix=f"{path}."
            )
            texts.extend(nested)
        else:
            data[f.name] = _plain(value)
    return data, tuple(texts)
