"""The distinct values of text columns, with few or many values, found anywhere in a column."""

from __future__ import annotations

import polars as pl

from disruption.ssda903._distinct import distinct_values


def test_distinct_values_are_exact_whatever_the_first_rows_hold() -> None:
    n = 5000
    df = pl.DataFrame(
        {
            "few": ["A", "B"] * (n // 2 - 1) + ["late", None],
            "many": [str(i % 40) for i in range(n)],
            "blank": pl.Series([None] * n, dtype=pl.String),
            "nulls_first": [None] * (n - 1) + ["X"],
        }
    )
    values, others = distinct_values(df, df.columns, pl.len().alias("rows"))
    assert {c: sorted(v) for c, v in values.items()} == {
        "few": ["A", "B", "late"],
        "many": sorted(str(i) for i in range(40)),
        "blank": [],
        "nulls_first": ["X"],
    }
    assert others == {"rows": n}


def test_distinct_values_of_an_empty_frame() -> None:
    values, others = distinct_values(pl.DataFrame({"a": []}, schema={"a": pl.String}), ["a"])
    assert values == {"a": []}
    assert others == {}
