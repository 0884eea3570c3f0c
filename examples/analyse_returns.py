"""From SSDA903 returns to the stability measures and the breakdown report.

An analyst's path, on returns generated here (the demo authority's, written to a temporary
folder) so that the script runs anywhere: check the returns, compute the DfE stability
measures from them, load their placements into a SQLite store, and write the report.
Point ``folders`` at an authority's own returns to do the same with real data.

Run it: ``python examples/analyse_returns.py``
"""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from disruption.analysis import stability, write_report
from disruption.demo.returns import synthetic_returns  # the demo's returns: internal, for data
from disruption.ssda903 import check_files, plan_import
from disruption.store import open_store

YEAR_END = date(2025, 3, 31)


def main(out: Path | None = None) -> dict[str, Any]:
    """Check, measure, load and report; return what was found."""
    folder = Path(tempfile.mkdtemp()) if out is None else out
    folders = synthetic_returns(seed=7).write(folder / "returns")

    checked = check_files(folders)
    print(f"{len(checked.findings)} findings in {len(folders)} returns")

    measures = stability(checked.episodes, checked.header, YEAR_END)
    for name in ("short_term", "two_year", "long_term"):
        m = measures[name]
        print(f"{name}: {m['numerator']} of {m['denominator']} ({m['percent']}%)")

    store = open_store(str(folder / "cases.sqlite"))
    try:
        loaded = plan_import(folders, recorded_at=datetime.now(UTC)).load(store)
        print(f"{loaded.added} placements loaded as cases")
        dobs = checked.header.select("child", "dob") if checked.header is not None else None
        report = write_report(
            store, folder / "report", start=date(2024, 4, 1), end=YEAR_END, dates_of_birth=dobs
        )
    finally:
        store.close()
    print(f"report: {report.index}")
    return {"measures": measures, "cases": loaded.added, "report": report.index}


if __name__ == "__main__":
    main()
