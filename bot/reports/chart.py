"""The hygiene chart: credentials expiring in the next 90 days, per week, stacked by team.

Drawn with matplotlib's object-oriented API on the Agg canvas (`Figure` + `FigureCanvasAgg`,
never pyplot): no global state, safe on worker threads, no display needed. The largest
`STACKS` teams or namespaces get a colour each, the rest are "other". The part of each bar
with findings is hatched and its count written above the bar. Text from GitLab or people is
bounded and drawn as plain text (no math markup). An empty report still draws a chart that
says nothing expires.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from bot.domain.hygiene_report import HygieneReport, WeekBar

STACKS = 6  # colours for the largest stacks; the rest are "other"
LABEL_MAX = 40
OTHER = "other"
FLAGGED_COLOUR = "#b91c1c"
# Colour-blind-friendly (Okabe-Ito), then a grey for "other".
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442")
OTHER_COLOUR = "#9ca3af"
WIDTH_INCHES, HEIGHT_INCHES, DPI = 11.0, 6.0, 100


def render_chart(report: HygieneReport) -> bytes:
    """The chart as PNG bytes (about 1100×600 pixels)."""
    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)  # attaches itself: the Agg renderer, no pyplot, no display
    axes = figure.add_subplot()
    _title(figure, report)
    if report.expiring == 0:
        _nothing(axes, report)
    else:
        _bars(axes, report)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def plain(text: str, limit: int = LABEL_MAX) -> str:
    """Text from GitLab or people as a label: printable, one line, bounded, no math markup."""
    cleaned = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1] + "…"
    return cleaned.replace("$", r"\$") or "?"


def stack_order(report: HygieneReport, stacks: int = STACKS) -> list[str]:
    """The stacks that get a colour of their own, largest first; the rest become "other"."""
    ranked = sorted(report.by_stack.items(), key=lambda item: (-item[1], item[0]))
    if len(ranked) <= stacks + 1:  # an "other" of one stack would hide a name for nothing
        return [name for name, _ in ranked]
    return [name for name, _ in ranked[:stacks]]


def _title(figure: Figure, report: HygieneReport) -> None:
    figure.suptitle(
        f"Credentials expiring in the next {report.horizon_days} days",
        fontsize=14,
        fontweight="bold",
    )
    day = report.generated_at.date().isoformat()
    axes = figure.axes[0]
    axes.set_title(
        f"{report.expiring} expiring, {report.flagged_count} of {report.total} credentials"
        f" with findings (as of {day}, UTC weeks from Monday)",
        fontsize=10,
    )


def _nothing(axes: Axes, report: HygieneReport) -> None:
    axes.text(
        0.5,
        0.5,
        f"Nothing expires in the next {report.horizon_days} days",
        ha="center",
        va="center",
        fontsize=13,
        transform=axes.transAxes,
    )
    axes.set_xticks([])
    axes.set_yticks([])
    axes.set_xlabel("week starting (UTC)")
    axes.set_ylabel("credentials expiring")


def _bars(axes: Axes, report: HygieneReport) -> None:
    names = stack_order(report)
    series = _series(report.weeks, names)
    positions = list(range(len(report.weeks)))
    bottoms = [0] * len(positions)
    handles: list[Patch] = []
    for index, (name, heights) in enumerate(series.items()):
        colour = OTHER_COLOUR if name == OTHER else PALETTE[index % len(PALETTE)]
        axes.bar(positions, heights, bottom=bottoms, color=colour, width=0.7)
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
        handles.append(Patch(facecolor=colour, label=plain(name)))
    _flagged(axes, report.weeks, positions, bottoms)
    handles.append(
        Patch(
            facecolor="none",
            edgecolor=FLAGGED_COLOUR,
            hatch="///",
            label="with findings (count in red)",
        )
    )
    axes.legend(handles=handles, labels=[h.get_label() for h in handles], loc="upper left")
    axes.set_xticks(positions, [f"{bar.week_start:%d %b}" for bar in report.weeks])
    axes.tick_params(axis="x", labelrotation=45)
    axes.set_xlabel("week starting (UTC, Monday)")
    axes.set_ylabel("credentials expiring")
    axes.set_ylim(0, max(bottoms) * 1.25 + 1)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(axis="y", alpha=0.3)


def _series(weeks: Sequence[WeekBar], names: list[str]) -> dict[str, list[int]]:
    """Heights per stack, week by week; stacks outside `names` summed as "other"."""
    kept = set(names)
    series: dict[str, list[int]] = {name: [] for name in names}
    others: list[int] = []
    for bar in weeks:
        rest: Counter[str] = Counter()
        for name, count in bar.counts.items():
            if name not in kept:
                rest[OTHER] += count
        for name in names:
            series[name].append(bar.counts.get(name, 0))
        others.append(rest[OTHER])
    if any(others):
        series[OTHER] = others
    return series


def _flagged(axes: Axes, weeks: Sequence[WeekBar], positions: list[int], tops: list[int]) -> None:
    """Hatch the flagged part of each bar (from the bottom) and write its count above."""
    flagged = [bar.flagged for bar in weeks]
    axes.bar(
        positions,
        flagged,
        width=0.7,
        fill=False,
        hatch="///",
        edgecolor=FLAGGED_COLOUR,
        linewidth=0,
    )
    for x, count, top in zip(positions, flagged, tops, strict=True):
        if count:
            axes.annotate(
                f"{count}!",
                (x, top),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                color=FLAGGED_COLOUR,
                fontweight="bold",
            )
