"""Kaplan-Meier survival to an unplanned ending, checked against a hand computation."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from disruption.analysis.survival import survival_curves, survival_inputs

ON = date(2025, 12, 31)


def _table() -> pl.DataFrame:
    start = date(2025, 1, 1)
    return pl.DataFrame(
        {
            "type_group": ["Foster placement"] * 5 + ["Children's Homes"],
            "start": [start] * 5 + [date(2026, 1, 5)],
            "end": [
                date(2025, 1, 11),
                date(2025, 1, 21),
                None,
                date(2025, 1, 31),
                date(2026, 2, 1),
                None,
            ],
            "planned": [False, True, None, False, False, None],
        }
    )


def test_inputs_censor_planned_open_and_later_endings() -> None:
    inputs = survival_inputs(_table(), ON)
    # The children's home placement starts after ON and is left out.
    assert inputs.height == 5
    assert inputs["days"].to_list() == [10, 20, 364, 30, 364]
    # Ended unplanned after ON: censored on ON.
    assert inputs["unplanned"].to_list() == [True, False, False, True, False]


def test_the_curve_matches_the_product_limit_by_hand() -> None:
    curve = survival_curves(_table(), ON)
    steps = dict(curve.select("days", "survival").rows())
    # At 10 days 1 of 5 at risk ends: 4/5. 20 censored. At 30, 1 of 3: 4/5 * 2/3.
    assert steps[10.0] == pytest.approx(0.8)
    assert steps[30.0] == pytest.approx(0.8 * 2 / 3, abs=1e-4)
    assert set(curve["group"]) == {"Foster placement"}
    assert (curve["lower"] <= curve["survival"]).all()
    assert (curve["survival"] <= curve["upper"]).all()


def test_small_groups_are_left_out() -> None:
    assert survival_curves(_table(), ON, min_placements=6).height == 0
