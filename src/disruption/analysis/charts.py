"""The report's charts, drawn with matplotlib as PNG bytes.

Internal: import its public names from :mod:`disruption.analysis` (``docs/api.md``); the module
itself may move or change without notice.

Figures are built with matplotlib's object API (``Figure``), never ``pyplot``: no global
state, no backend to choose, no screen needed, safe in a server.

Every chart has a title, labelled axes and a subtitle with the period and the number of
placements it is based on. A chart draws the published table: a bar whose count the table
hides (``c``) is left out, and the subtitle says how many were.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import polars as pl
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

__all__ = ["bar_chart", "line_chart", "stacked_bar_chart", "survival_chart"]


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def _noted(axes: Axes, note: str) -> None:
    """A warning under the chart (the report's "not for publication"), when there is one."""
    if note:
        axes.annotate(
            note,
            xy=(0, 0),
            xycoords="axes fraction",
            xytext=(0, -42),
            textcoords="offset points",
            color="#d4351c",
            fontsize=9,
            fontweight="bold",
            va="top",
        )


def _titled(axes: Axes, title: str, subtitle: str) -> None:
    axes.set_title(f"{title}\n", fontsize=12, loc="left", fontweight="bold")
    axes.text(0, 1.02, subtitle, transform=axes.transAxes, fontsize=9, color="#444444")


def bar_chart(
    labels: Sequence[str],
    counts: Sequence[int | None],
    *,
    title: str,
    period: str,
    based_on: int | None,
    x_label: str = "Placements",
    y_label: str = "",
    unit: str = "placements",
    note: str = "",
) -> bytes:
    """A horizontal bar chart of counts, in the table's order, hidden counts left out.

    Args:
        labels: One label per bar.
        counts: One count per bar; ``None`` where the published table hides it.
        title: The chart's title.
        period: The period, as words (for example "1 April 2025 to 31 March 2026").
        based_on: How many placements (or children) the chart counts from; ``None`` when
            the total is hidden.
        x_label: The count axis's label.
        y_label: The category axis's label.
        unit: What is counted, for the subtitle.
        note: A warning printed under the chart, if any.

    Returns:
        The chart as PNG bytes.
    """
    shown = [(lab, n) for lab, n in zip(labels, counts, strict=True) if n is not None]
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
    _titled(axes, title, _subtitle(period, based_on, unit, hidden))
    axes.spines[["top", "right"]].set_visible(False)
    _noted(axes, note)
    return _png(figure)


def _subtitle(period: str, based_on: int | None, unit: str, hidden: int) -> str:
    total = f"based on {based_on:,} {unit}" if based_on is not None else "total not shown"
    note = f"; {hidden} hidden count(s) (c) not drawn" if hidden else ""
    return f"{period}; {total}{note}"


def stacked_bar_chart(
    labels: Sequence[str],
    series: Mapping[str, Sequence[int | None]],
    *,
    title: str,
    period: str,
    based_on: int | None,
    x_label: str = "Placements",
    rest: Sequence[int] | None = None,
    rest_label: str = "not shown (c)",
    note: str = "",
) -> bytes:
    """Horizontal bars, one per label, each split into the series (for example providers).

    Args:
        labels: One label per bar, drawn top to bottom.
        series: Each part's counts, one per label; ``None`` where the table hides it.
        title: The chart's title.
        period: The day or period, as words.
        based_on: How many placements the chart counts from.
        x_label: The count axis's label.
        rest: Per label, the published total less the parts shown (the hidden parts
            together, which the total already reveals), drawn in grey.
        rest_label: The grey part's legend.
        note: A warning printed under the chart, if any.

    Returns:
        The chart as PNG bytes.
    """
    figure = Figure(figsize=(8, 0.4 * max(len(labels), 2) + 1.8))
    axes = figure.subplots()
    names = list(reversed(labels))
    left = [0] * len(names)
    hidden = 0
    colours = ("#1d70b8", "#f47738", "#85994b", "#912b88", "#505a5f")
    for number, (part, counts) in enumerate(series.items()):
        values = list(reversed(counts))
        hidden += sum(v is None for v in values)
        drawn = [v or 0 for v in values]
        axes.barh(names, drawn, left=left, label=part, color=colours[number % len(colours)])
        left = [a + b for a, b in zip(left, drawn, strict=True)]
    ends = left
    if rest is not None and any(rest):
        axes.barh(names, list(reversed(rest)), left=left, label=rest_label, color="#b1b4b6")
        ends = [a + b for a, b in zip(left, reversed(rest), strict=True)]
    axes.set_xlim(0, max([*ends, 1]) * 1.05)
    axes.set_xlabel(x_label)
    axes.legend(fontsize=8, loc="lower right")
    _titled(axes, title, _subtitle(period, based_on, "placements", hidden))
    axes.spines[["top", "right"]].set_visible(False)
    _noted(axes, note)
    return _png(figure)


def line_chart(
    series: Mapping[str, Sequence[tuple[str, float | None]]],
    *,
    title: str,
    period: str,
    note: str = "",
) -> bytes:
    """Lines of percentages over years, one per series; hidden points are gaps.

    A series named ``England: <name>`` is drawn dashed in the colour of ``<name>``.

    Args:
        series: Each line's points: a label on the x axis (a year) and a value or ``None``.
        title: The chart's title.
        period: What the points are, as words.
        note: A warning printed under the chart, if any.

    Returns:
        The chart as PNG bytes.
    """
    figure = Figure(figsize=(8, 4.2))
    axes = figure.subplots()
    colours: dict[str, str] = {}
    for name, points in series.items():
        xs = [x for x, _ in points]
        ys = [float("nan") if y is None else y for _, y in points]
        if all(y is None for _, y in points):
            continue
        base = name.removeprefix("England: ")
        dashed = base != name  # a published comparison: dashed, in its measure's colour
        line = axes.plot(
            xs,
            ys,
            marker="o" if not dashed else "s",
            linestyle="--" if dashed else "-",
            label=name,
            color=colours.get(base),
        )[0]
        colours.setdefault(base, to_hex(line.get_color()))
    axes.set_ylim(0, 100)
    axes.set_xlabel("Year ending 31 March")
    axes.set_ylabel("Percent")
    if axes.lines:
        axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    _titled(axes, title, period)
    axes.spines[["top", "right"]].set_visible(False)
    _noted(axes, note)
    return _png(figure)


def survival_chart(curves: pl.DataFrame, *, title: str, period: str, note: str = "") -> bytes:
    """Kaplan-Meier step curves, one per group, with their 95% confidence bands.

    Args:
        curves: From :func:`disruption.analysis.survival.survival_curves`.
        title: The chart's title.
        period: The period, as words.
        note: A warning printed under the chart, if any.

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
    _noted(axes, note)
    return _png(figure)
