"""Nothing personal leaves through logs, the event feed or the report.

The demo is run with logging at ``debug`` as JSON; its free text (children's views, reasons
and recommendations written in words) must not appear in any log line, any event of the
CloudEvents feed, or any file of the report; nor may a date-of-birth field. (The demo's
children have pseudonymous references only: there are no names to leak.)
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import structlog

from disruption import logs
from disruption.demo.run import run_demo
from disruption.domain.payloads import is_text_ref
from disruption.engine.feed import to_cloudevent
from disruption.store import open_store

pytestmark = pytest.mark.slow  # the demo end to end: the slow tier (pytest -m slow)

FREE_TEXT = (
    "Wants to stay near school and friends.",
    "Declined to take part.",
    "Review the support plan for the carers.",  # a recommendation of a chair's report
    "Risk of significant harm in the placement.",  # an immediate risk
    "Screened: manageable within the care plan.",
    "We can carry on with more respite and support.",  # a carer's views at a meeting
    "The carer could not attend.",  # why the carer's views were not obtained
)


def _refs(value: object) -> list[str]:
    """Every free-text reference in event data, nested ones (a report's items) included."""
    if is_text_ref(value):
        assert isinstance(value, dict)
        return [value["ref"]]
    if isinstance(value, dict):
        return [ref for v in value.values() for ref in _refs(v)]
    if isinstance(value, list):
        return [ref for v in value for ref in _refs(v)]
    return []


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("demo")
    stream = io.StringIO()
    logs.configure("debug", json=True, stream=stream)
    try:
        summary = run_demo(seed=5, db=out / "demo.sqlite", out=out)
    finally:
        structlog.reset_defaults()
    store = open_store(str(summary.db))
    try:
        stored = store.read_after(0, 10**7)
        feed = [json.dumps(to_cloudevent(s)) for s in stored]
        refs = [ref for s in stored for ref in _refs(dict(s.event.data))]
        kept = {store.text(ref) for ref in refs}
    finally:
        store.close()
    report = {
        str(p): p.read_text(encoding="utf-8")
        for p in Path(summary.report.index.parent).iterdir()
        if p.suffix in (".html", ".csv")
    }
    return {"logs": stream.getvalue(), "feed": "\n".join(feed), **report, "_kept": repr(kept)}


def test_the_free_text_is_kept_in_the_personal_store(outputs: dict[str, str]) -> None:
    assert outputs["logs"].count("\n") > 1000  # logging really ran
    assert outputs["feed"].count("\n") > 1000
    for text in FREE_TEXT:
        assert text in outputs["_kept"]  # kept apart, by reference, not lost


@pytest.mark.parametrize("text", FREE_TEXT)
def test_no_free_text_in_logs_feed_or_report(outputs: dict[str, str], text: str) -> None:
    leaks = [name for name, content in outputs.items() if name != "_kept" and text in content]
    assert leaks == []


def test_no_date_of_birth_field_anywhere(outputs: dict[str, str]) -> None:
    for name, content in outputs.items():
        assert '"dob"' not in content.lower(), name
