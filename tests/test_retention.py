"""Retention: children whose 75th birthday has passed are listed for erasure."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from disruption.cli import app
from disruption.privacy.retention import due_for_erasure
from tests.test_ssda903_load import _returns

runner = CliRunner()


def test_the_75th_birthday_is_the_day_records_fall_due() -> None:
    dobs = pl.DataFrame(
        {"child": ["A", "B", "C"], "dob": [date(1950, 3, 1), date(1950, 3, 2), None]},
        schema={"child": pl.String, "dob": pl.Date},
    )
    due = due_for_erasure(["A", "B", "C", "D"], dobs, date(2025, 3, 1))
    # A turns 75 on the day; B the day after; C's date of birth is unknown; D has no row.
    assert due.rows() == [("A", date(2025, 3, 1))]
    assert due_for_erasure(["A", "B"], dobs, date(2025, 3, 1), years=80).height == 0


def test_the_cli_lists_children_due(tmp_path: Path) -> None:
    folder = _returns(tmp_path)
    db = str(tmp_path / "c.sqlite")
    assert runner.invoke(app, ["import-903", str(folder), "--db", db]).exit_code == 0
    header = str(folder / "header.csv")  # child 1 was born on 1 January 2010
    args = ["retention", "--db", db, "--header", header, "--json"]
    assert runner.invoke(app, [*args, "--on", "2084-12-31"]).output == ""
    due = runner.invoke(app, [*args, "--on", "2085-01-01"])
    assert json.loads(due.output) == {"child": "1", "due": "2085-01-01"}
    missing = runner.invoke(app, ["retention", "--db", db])
    assert missing.exit_code == 2
