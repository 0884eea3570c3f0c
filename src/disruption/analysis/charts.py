"""The report's charts, drawn with matplotlib as PNG bytes.

Figures are built with matplotlib's object API (``Figure``), never ``pyplot``: no global
state, no backend to choose, no screen needed, safe in a server.

Every chart has a title, labelled axes and a subtitle with the period and the number of
placements it is based on. Bars for counts from 1 to 4 are left out, as in the tables, and
the subtitle says so.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import polars as pl
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["bar_chart", "survival_chart"]

_SMALL = 5


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def _titled(axes: Axes, title: str, subtitle: str) -> None:
    axes.set_title(f"{title}\n", fontsize=12, loc="left", fontweight="bold")
    axes.text(0, 1.02, subtitle, transform=axes.transAxes, fontsize=9, color="#444444")


def bar_chart(
    labels: Sequence[str],
    counts: Sequence[int],
    *,
    title: str,
    period: str,
    based_on: int,
    x_label: str = "Placements",
    y_label: str = "",
) -> bytes:
    """A horizontal bar chart of counts, largest at the top, small counts left out.

    Args:
        labels: One label per bar.
        counts: One count per bar.
        title: The chart's title.
        period: The period, as words (for example "1 April 2025 to 31 March 2026").
        based_on: How many placements the chart counts from.
        x_label: The count axis's label.
        y_label: The category axis's label.

    Returns:
        The chart as PNG bytes.
    """
    shown = [(lab, n) for lab, n in zip(labels, counts, strict=True) if n == 0 or n >= _SMALL]
    hidden = len(labels) - len(shown)
    figure = Figure(figsize=(8, 0.45 * max(len(shown), 2) + 1.6))
    axes = figure.subplots()
    names = [lab for lab, _ in reversed(shown)]
    values = [n for _, n in reversed(shown)]
    axes.barh(names, values, color="#1d70b8")
    for y, value in enumerate(values):
        axes.text(value, y, f" {value:,}", va="center", fontsize=9)
    axes.set_xlabel(x_label)
    axes.set_ylabel(y_label)
    note = f"; {hidden} group(s) under {_SMALL} not shown" if hidden else ""
    _titled(axes, title, f"{period}; based on {based_on:,} placements{note}")
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def survival_chart(curves: pl.DataFrame, *, title: str, period: str) -> bytes:
    """Kaplan-Meier step curves, one per group, with their 95% confidence bands.

    Args:
        curves: From :func:`disruption.analysis.survival.survival_curves`.
        title: The chart's title.
        period: The period, as words.

    Returns:
        The chart as PNG bytes.
    """
    figure = Figure(figsize=(8, 4.8))
    axes = figure.subplots()
    total = 0
    for (group,), part in sorted(curves.group_by("group"), key=lambda g: str(g[0][0])):
        placements = int(part["placements"][0])
        total += placements
        days = part["days"].to_numpy()
        line = axes.step(
            days, part["survival"].to_numpy(), where="post", label=f"{group} (n={placements:,})"
        )[0]
        axes.fill_between(
            days,
            part["lower"].to_numpy(),
            part["upper"].to_numpy(),
            step="post",
            alpha=0.15,
            color=line.get_color(),
        )
    axes.set_ylim(0, 1.02)
    axes.set_xlabel("Days since the placement started")
    axes.set_ylabel("Share not ended unplanned")
    if total:
        axes.legend(fontsize=8, loc="lower left")
    _titled(axes, title, f"{period}; based on {total:,} placements; 95% confidence bands")
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)
