"""The engine's logs: stable event names, pseudonymous fields, never the free text sent."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any

import pytest
import structlog
from hypothesis import given, settings
from structlog.testing import capture_logs

from disruption.exceptions import CommandError, InvalidData
from disruption.logs import ALLOWED_FIELDS, configure, get_logger
from tests.builders import (
    MANAGER,
    SW,
    T0,
    Step,
    command,
    convene_meeting_data,
    day,
    end_placement_data,
    hours,
    make_engine,
    no_further_action_data,
    offer_support_data,
    open_case_data,
    raise_concern_data,
    record_learning_review_data,
    record_meeting_data,
    record_notice_data,
    run,
    waiver_data,
)
from tests.strategies import log_fields

CHILD_VIEWS = "I-want-to-stay-with-Nana-Rose-in-Leeds"
NOT_OBTAINED = "Declined-to-speak-after-the-row-with-Kayden"
NFA_REASON = "Carer-Mrs-Okafor-explained-the-bruise"
WAIVER_REASON = "Family-moved-to-Cardiff-no-review-possible"
RECOMMENDATIONS = "Train-carer-Bridget-on-de-escalation"
SECRETS = (CHILD_VIEWS, NOT_OBTAINED, NFA_REASON, WAIVER_REASON, RECOMMENDATIONS)

TOMORROW = day(T0 + timedelta(days=1))


def values(entry: Any) -> Iterator[str]:
    """Every value in a log entry, keys included, as text, recursively."""
    if isinstance(entry, Mapping):
        for key, value in entry.items():
            yield str(key)
            yield from values(value)
    elif isinstance(entry, list | tuple | set | frozenset):
        for value in entry:
            yield from values(value)
    else:
        yield str(entry)
        yield repr(entry)


def assert_no_secret(entries: Sequence[Mapping[str, Any]]) -> None:
    for entry in entries:
        for value in values(entry):
            for secret in SECRETS:
                assert secret not in value, f"{secret!r} logged in {entry}"


def test_an_applied_command_logs_its_step() -> None:
    engine = make_engine()
    with capture_logs() as logs:
        engine.handle(command("P-1", "open_case", T0, data=open_case_data()))
        engine.handle(command("P-1", "raise_concern", hours(T0, 1), data=raise_concern_data()))
    assert logs == [
        {
            "event": "command.applied",
            "log_level": "info",
            "case": "P-1",
            "command": "open_case",
            "from_state": None,
            "to_state": "placed",
            "version": 1,
        },
        {
            "event": "command.applied",
            "log_level": "info",
            "case": "P-1",
            "command": "raise_concern",
            "from_state": "placed",
            "to_state": "concern_raised",
            "version": 2,
        },
    ]


def test_a_refused_command_logs_its_error_by_name() -> None:
    engine = make_engine()
    run(engine, "P-1", [("open_case", T0, SW, open_case_data())])
    cmd = command("P-1", "stabilise", hours(T0, 1), *MANAGER)
    with capture_logs() as logs, pytest.raises(CommandError):
        engine.handle(cmd)
    assert logs == [
        {
            "event": "command.refused",
            "log_level": "info",
            "case": "P-1",
            "command": "stabilise",
            "state": "placed",
            "error": "CommandNotAllowed",
        }
    ]


def test_a_refusal_without_a_case_logs_no_state() -> None:
    engine = make_engine()
    with capture_logs() as logs, pytest.raises(CommandError):
        engine.handle(command("P-9", "raise_concern", T0, data=raise_concern_data()))
    assert logs == [
        {
            "event": "command.refused",
            "log_level": "info",
            "case": "P-9",
            "command": "raise_concern",
            "state": None,
            "error": "UnknownCase",
        }
    ]


def journey() -> list[Step]:
    """Every command that carries free text, applied."""
    end = T0 + timedelta(days=2)
    return [
        ("open_case", T0, SW, open_case_data()),
        ("raise_concern", hours(T0, 1), SW, raise_concern_data()),
        ("no_further_action", hours(T0, 2), MANAGER, no_further_action_data(NFA_REASON)),
        ("raise_concern", hours(T0, 3), SW, raise_concern_data()),
        ("offer_support", hours(T0, 4), MANAGER, offer_support_data()),
        ("convene_meeting", hours(T0, 5), SW, convene_meeting_data(TOMORROW)),
        (
            "record_meeting",
            T0 + timedelta(days=1),
            SW,
            record_meeting_data(TOMORROW, child_views=CHILD_VIEWS),
        ),
        ("convene_meeting", hours(T0, 25), SW, convene_meeting_data(TOMORROW)),
        (
            "record_meeting",
            hours(T0, 26),
            SW,
            record_meeting_data(
                TOMORROW, "plan_move", child_views=None, child_views_not_obtained=NOT_OBTAINED
            ),
        ),
        ("end_placement", end, SW, end_placement_data(day(end))),
        ("record_notice", hours(end, 1), SW, record_notice_data(day(end))),
        (
            "record_learning_review",
            hours(end, 2),
            SW,
            record_learning_review_data(day(end), recommendations=RECOMMENDATIONS),
        ),
    ]


def test_free_text_of_applied_commands_is_never_logged() -> None:
    engine = make_engine()
    with capture_logs() as logs:
        case = run(engine, "P-1", journey())
        run(engine, "P-2", [("open_case", T0, SW, open_case_data())])
        run(engine, "P-2", [("end_placement", hours(T0, 1), SW, end_placement_data(day(T0)))])
        run(
            engine,
            "P-2",
            [("record_learning_review", hours(T0, 2), MANAGER, waiver_data(WAIVER_REASON))],
        )
    assert case.version == len(journey())
    assert len(logs) == len(journey()) + 3
    assert {entry["event"] for entry in logs} == {"command.applied"}
    assert_no_secret(logs)
    # The free text did reach the store: the check above is not vacuous.
    texts = [
        engine.store.text(f"P-1/{seq}/{field}")
        for seq, field in ((3, "reason"), (7, "child_views"))
    ]
    assert texts == [NFA_REASON, CHILD_VIEWS]


REFUSED: list[tuple[str, dict[str, Any], tuple[str, str]]] = [
    # Refused after the free text was read.
    ("no_further_action", no_further_action_data(NFA_REASON), SW),  # permission
    ("no_further_action", {"reason": NFA_REASON, NFA_REASON: NFA_REASON}, MANAGER),
    ("record_meeting", {**record_meeting_data(TOMORROW), "child_views": CHILD_VIEWS}, SW),
    ("record_learning_review", waiver_data(WAIVER_REASON), SW),
    ("end_placement", end_placement_data(TOMORROW, reason=RECOMMENDATIONS), SW),
    ("raise_concern", {"category": CHILD_VIEWS, "raised_by": "carer"}, SW),
    ("offer_support", {"support": [WAIVER_REASON]}, MANAGER),
    ("escalate", {"why": RECOMMENDATIONS}, SW),
]


@pytest.mark.parametrize(("name", "data", "actor"), REFUSED)
def test_free_text_of_refused_commands_is_never_logged(
    name: str, data: dict[str, Any], actor: tuple[str, str]
) -> None:
    engine = make_engine()
    run(engine, "P-1", [("open_case", T0, SW, open_case_data())])
    with capture_logs() as logs, pytest.raises(CommandError) as raised:
        engine.handle(command("P-1", name, hours(T0, 1), actor[0], actor[1], data))
    (entry,) = logs
    assert entry["event"] == "command.refused"
    assert entry["error"] == type(raised.value).__name__
    assert set(entry) == {"event", "log_level", "case", "command", "state", "error"}
    assert_no_secret(logs)


def test_an_error_message_may_quote_the_value_but_the_log_does_not() -> None:
    engine = make_engine()
    run(engine, "P-1", [("open_case", T0, SW, open_case_data())])
    data = end_placement_data(day(T0), reason=RECOMMENDATIONS)
    with capture_logs() as logs, pytest.raises(InvalidData) as raised:
        engine.handle(command("P-1", "end_placement", hours(T0, 1), data=data))
    assert RECOMMENDATIONS in str(raised.value)  # the caller sees what was wrong ...
    assert_no_secret(logs)  # ... the log does not


def test_every_logged_field_is_one_the_filter_allows() -> None:
    engine = make_engine()
    with capture_logs() as logs:
        run(engine, "P-1", journey())
        with pytest.raises(CommandError):
            engine.handle(command("P-1", "stabilise", T0 + timedelta(days=5), *MANAGER))
    assert logs
    for entry in logs:
        assert set(entry) - {"log_level"} <= ALLOWED_FIELDS, entry


def test_configured_json_output_has_the_names_and_no_free_text() -> None:
    stream = io.StringIO()
    configure("info", json=True, stream=stream)
    engine = make_engine()
    run(engine, "P-1", journey())
    with pytest.raises(CommandError):
        engine.handle(
            command(
                "P-1",
                "record_learning_review",
                T0 + timedelta(days=5),
                *SW,
                waiver_data(WAIVER_REASON),
            )
        )
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["event"] for line in lines] == ["command.applied"] * len(journey()) + [
        "command.refused"
    ]
    assert lines[-1]["error"] == "CommandNotAllowed"
    for secret in SECRETS:
        assert secret not in stream.getvalue()


def test_configured_without_a_stream_writes_to_stderr_as_it_is_when_logging(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A host (or a test runner, as typer's CliRunner does) swaps sys.stderr after configuring
    # and closes the old stream: later lines go to the new one, never to the closed one.
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    configure("warning")
    first.close()
    second = io.StringIO()
    monkeypatch.setattr(sys, "stderr", second)
    get_logger("disruption.test").warning("store.keys_in_case_store")
    assert "store.keys_in_case_store" in second.getvalue()


# A host embedding the library: the README's two commands, then whatever it set up logs.
HOST = """
import sys
from datetime import datetime, timezone
from disruption import Command, Engine, FixedClock, MemoryStore
from disruption.logs import get_logger

SETUP

at = datetime(2025, 12, 23, 10, tzinfo=timezone.utc)
engine = Engine(MemoryStore(), clock=FixedClock(at))
sw = {"id": "sw-17", "role": "social_worker"}
engine.handle(Command.from_json({"case": "P-0001", "command": "open_case",
    "at": "2025-12-22T09:00:00+00:00", "actor": sw, "data": {"child": "C-1",
    "placement": {"id": "PL-1", "type": "U1", "provider": "PR1", "start": "2025-06-02",
                  "location": "in_borough"}}}))
get_logger("disruption.engine").info("test.redacted", case="P-0001", child_name=SECRET)
"""


def host(setup: str) -> subprocess.CompletedProcess[str]:
    """Run a host that embeds the library after ``setup``; capture what it prints."""
    code = HOST.replace("SETUP", setup).replace("SECRET", repr(CHILD_VIEWS))
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )


def test_a_host_that_configures_nothing_sees_nothing() -> None:
    result = host("")
    assert (result.stdout, result.stderr) == ("", "")


def test_a_host_that_configures_standard_logging_gets_redacted_logfmt_lines() -> None:
    result = host(
        "import logging\n"
        "logging.basicConfig(level=logging.INFO, stream=sys.stdout, format='%(name)s %(message)s')"
    )
    lines = result.stdout.splitlines()
    assert lines[0].startswith("disruption.engine event=command.applied case=P-0001")
    assert lines[1] == "disruption.engine event=test.redacted case=P-0001 child_name=[removed]"
    assert CHILD_VIEWS not in result.stdout + result.stderr


def test_a_host_that_configures_structlog_its_own_way_still_gets_redaction() -> None:
    result = host(
        "import structlog\n"
        "structlog.configure(processors=[structlog.processors.JSONRenderer()],"
        " logger_factory=structlog.PrintLoggerFactory(sys.stdout))"
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["event"] for line in lines] == ["command.applied", "test.redacted"]
    assert lines[1] == {"event": "test.redacted", "case": "P-0001", "child_name": "[removed]"}
    assert CHILD_VIEWS not in result.stdout + result.stderr


def test_the_host_level_filter_applies() -> None:
    result = host(
        "import logging, structlog\n"
        "structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))"
    )
    assert (result.stdout, result.stderr) == ("", "")


def test_the_filter_runs_before_a_configured_chain() -> None:
    structlog.configure(processors=[structlog.processors.JSONRenderer()])
    with capture_logs() as logs:
        get_logger("disruption.test").info("test.redacted", case="P-1", name=CHILD_VIEWS)
    assert logs == [
        {"event": "test.redacted", "log_level": "info", "case": "P-1", "name": "[removed]"}
    ]


def test_an_unconfigured_warning_never_reaches_standard_output(
    capsys: pytest.CaptureFixture[str],
) -> None:
    get_logger("disruption.test").warning("test.warned", case="P-1", name=CHILD_VIEWS)
    out, err = capsys.readouterr()
    assert out == ""
    assert CHILD_VIEWS not in err


@settings(max_examples=200, deadline=None)
@given(fields=log_fields)
def test_a_library_line_keeps_allowed_values_and_only_those(fields: dict[str, str]) -> None:
    structlog.reset_defaults()
    with capture_logs() as logs:
        get_logger("disruption.test").info("test.any", **fields)
    (entry,) = logs
    assert set(entry) == {"event", "log_level", *fields}
    for key, value in fields.items():
        assert entry[key] == (value if key in ALLOWED_FIELDS else "[removed]")


class _CountingFactory:
    """A structlog logger factory that counts the loggers built (one per line written)."""

    def __init__(self) -> None:
        self.built = 0

    def __call__(self, *args: Any) -> structlog.PrintLogger:
        self.built += 1
        return structlog.PrintLogger(io.StringIO())


def test_a_line_below_the_hosts_filtering_level_builds_no_logger() -> None:
    factory = _CountingFactory()
    structlog.configure(
        processors=[structlog.processors.JSONRenderer()],
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=factory,
    )
    logger = get_logger("disruption.test")
    logger.info("test.dropped", case="P-1")
    logger.debug("test.dropped", case="P-1")
    assert factory.built == 0
    logger.warning("test.written", case="P-1", name=CHILD_VIEWS)
    assert factory.built == 1
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    with capture_logs() as logs:
        logger.info("test.written", case="P-1", name=CHILD_VIEWS)
    assert logs == [
        {"event": "test.written", "log_level": "info", "case": "P-1", "name": "[removed]"}
    ]


def test_a_reset_structlog_sends_lines_to_standard_logging_again(
    capsys: pytest.CaptureFixture[str],
) -> None:
    factory = _CountingFactory()
    structlog.configure(logger_factory=factory)
    logger = get_logger("disruption.test")
    logger.info("test.written", case="P-1")
    assert factory.built == 1
    structlog.reset_defaults()
    logger.info("test.dropped", case="P-1")  # standard logging, not configured: nothing
    assert factory.built == 1
    assert capsys.readouterr() == ("", "")


def test_enabled_follows_the_hosts_level_as_it_stands_when_asked() -> None:
    logger = get_logger("disruption.test")
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    assert not logger.enabled(logging.INFO)
    assert logger.enabled(logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    assert logger.enabled(logging.INFO)
    structlog.reset_defaults()  # standard logging, not configured: only warnings and above
    assert not logger.enabled(logging.INFO)
    assert logger.enabled(logging.WARNING) == logging.getLogger("disruption.test").isEnabledFor(
        logging.WARNING
    )


def test_an_applied_command_is_logged_once_its_level_is_on_again() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    engine = make_engine()
    with capture_logs() as logs:
        engine.handle(command("P-1", "open_case", T0, data=open_case_data()))
    assert logs == []
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    with capture_logs() as logs:
        engine.handle(command("P-1", "raise_concern", hours(T0, 1), data=raise_concern_data()))
    assert [(e["event"], e["version"]) for e in logs] == [("command.applied", 2)]
