"""One command's steps (engine_commands): a command applied before returns its first result."""

from __future__ import annotations

from tests.builders import (
    MANAGER,
    T0,
    command,
    hours,
    make_engine,
    offer_support_data,
    raise_concern_data,
    reach,
)


def test_a_command_applied_twice_by_id_appends_once_and_returns_the_original() -> None:
    engine = make_engine()
    reach(engine, "P-1", "placed")
    cmd = command(
        "P-1", "raise_concern", hours(T0, 1), data=raise_concern_data(), command_id="lcs-1"
    )
    first = engine.handle(cmd)
    engine.handle(command("P-1", "offer_support", hours(T0, 2), *MANAGER, offer_support_data()))
    again = engine.handle(cmd)
    assert again.duplicate is True
    assert again.events == first.events
    assert again.case == first.case  # the result as it was, not the case as it is now
    assert len(engine.history("P-1")) == 3


def test_an_id_reused_for_another_case_returns_the_first_result_without_appending() -> None:
    engine = make_engine()
    reach(engine, "P-1", "placed")
    reach(engine, "P-2", "placed")
    engine.handle(
        command("P-1", "raise_concern", hours(T0, 1), data=raise_concern_data(), command_id="same")
    )
    outcome = engine.handle(
        command("P-2", "raise_concern", hours(T0, 1), data=raise_concern_data(), command_id="same")
    )
    assert outcome.duplicate
    assert outcome.case.id == "P-1"
    assert len(engine.history("P-2")) == 1
