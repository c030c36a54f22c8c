"""The three charts of the book's numbers, drawn on a Matplotlib Axes: the ARR bridge, ARR at
risk by renewal month and band, and health by ARR.

Shared by the Numbers page (on its Qt canvases, which add hover and clicks) and the book
review (on an Agg canvas, straight to PNG), so both draw the same bars. No Qt, no pyplot:
safe on a worker thread. Each function returns the bars it drew with the key a click on it
drills into (see :mod:`csmdesk.services.kpi_drilldown`) and the text hovering it shows.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from matplotlib.axes import Axes
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from csmdesk.services.kpi_summary import (
    DOWN_STEP,
    TOTAL,
    UP_STEP,
    BridgeStep,
    RiskMonth,
    band_name,
    full_money,
    money,
    plural,
)
from csmdesk.services.kpis import AT_RISK, HEALTHY, UNSCORED, WATCH

RISK_ORDER = (AT_RISK, WATCH, UNSCORED)  # bottom to top
BRIDGE_EMPTY = "No ARR in this period."
RISK_EMPTY = "Nothing not Healthy renews in the next 6 months."
HEALTH_EMPTY = "No ARR in the book yet."


@dataclass(frozen=True)
class Colors:
    text: str
    muted: str
    grid: str
    spine: str
    axes: str
    figure: str
    total: str
    up: str
    down: str
    bands: dict[str, str] = field(default_factory=dict)

    def band(self, band: str) -> str:
        return self.bands.get(band, self.bands.get(UNSCORED, self.muted))


PRINT = Colors(
    text="#1f2328",
    muted="#5b616b",
    grid="#e3e6ea",
    spine="#9aa0a8",
    axes="#ffffff",
    figure="#ffffff",
    total="#5b7fbf",
    up="#2e9d5b",
    down="#d63031",
    bands={"healthy": "#2e9d5b", "watch": "#d08c00", "at_risk": "#d63031", "unscored": "#8a8f98"},
)


@dataclass
class Bar:
    artist: Rectangle
    key: str
    text: str


def _style(ax: Axes, colors: Colors, size: float) -> None:
    ax.set_facecolor(colors.axes)
    for side, spine in ax.spines.items():
        spine.set_visible(side == "bottom")
        spine.set_color(colors.spine)
    ax.tick_params(colors=colors.spine, labelcolor=colors.text, labelsize=size, length=0)
    ax.grid(axis="y", color=colors.grid, linewidth=0.8)
    ax.set_axisbelow(True)


def _money_axis(ax: Axes, top: float, currency: str, colors: Colors, size: float) -> None:
    """Y ticks in compact money from 0 to ``top`` (minor units)."""
    top = max(top, 1.0)
    ticks = [t for t in MaxNLocator(nbins=4).tick_values(0, top) if 0 <= t <= top]
    ax.set_ylim(0, top)
    ax.set_yticks(ticks, [money(round(t), currency) for t in ticks])
    ax.tick_params(axis="y", labelsize=size, labelcolor=colors.muted)


def _label(ax: Axes, x: float, y: float, text: str, color: str, size: float) -> None:
    ax.annotate(
        text,
        (x, y),
        xytext=(0, 3),
        textcoords="offset points",
        ha="center",
        va="bottom",
        fontsize=size,
        color=color,
        annotation_clip=False,
    )


def draw_bridge(
    ax: Axes,
    steps: Sequence[BridgeStep],
    currency: str,
    colors: Colors,
    *,
    size: float = 7.5,
) -> list[Bar]:
    """Floating bars from Start to End with a thin connector at each level; empty list when
    there is no ARR at either end and nothing moved."""
    if not any(s.height for s in steps):
        return []
    _style(ax, colors, size)
    fill = {TOTAL: colors.total, UP_STEP: colors.up, DOWN_STEP: colors.down}
    bars = []
    top = max(s.top for s in steps)
    for x, step in enumerate(steps):
        (patch,) = ax.bar(
            [x], [step.height], 0.62, bottom=[step.bottom], color=fill[step.kind], linewidth=0,
            zorder=2,
        )  # fmt: skip
        _label(ax, x, step.top, step.label_text(currency), colors.text, size)
        noun = plural(step.accounts, "account")
        if step.kind == TOTAL:
            text = f"{step.label}: {full_money(step.amount, currency)} ARR, {noun}"
        else:
            sign = "+" if step.amount > 0 else ""
            text = f"{step.label}: {sign}{full_money(step.amount, currency)}, {noun}"
        bars.append(Bar(patch, f"bridge:{step.key}", text))
    levels = [steps[0].top]
    for step in steps[1:-1]:
        levels.append(levels[-1] + step.amount)
    for x, level in enumerate(levels):
        ax.plot([x + 0.31, x + 0.69], [level, level], color=colors.spine, linewidth=0.8, zorder=1)
    ax.set_xticks(range(len(steps)), [s.label for s in steps])
    ax.set_xlim(-0.55, len(steps) - 0.45)
    _money_axis(ax, top * 1.16, currency, colors, size)
    return bars


def draw_risk(
    ax: Axes,
    months: Sequence[RiskMonth],
    currency: str,
    colors: Colors,
    *,
    size: float = 7.5,
) -> list[Bar]:
    """Renewal ARR of accounts not Healthy per month, stacked by band (At risk at the bottom)."""
    if not months or not any(m.total for m in months):
        return []
    _style(ax, colors, size)
    bars = []
    for x, m in enumerate(months):
        bottom = 0
        for band in RISK_ORDER:
            value = m.by_band.get(band, 0)
            if value <= 0:
                continue
            (patch,) = ax.bar(
                [x], [value], 0.62, bottom=[bottom], color=colors.band(band), linewidth=0,
                zorder=2,
            )  # fmt: skip
            text = (
                f"{m.month:%b %Y} \u00b7 {band_name(band)}: {full_money(value, currency)}, "
                f"{plural(m.accounts.get(band, 0), 'account')}\n"
                f"of {full_money(m.total, currency)} not Healthy renewing that month"
            )
            bars.append(Bar(patch, f"risk:{x}:{band}", text))
            bottom += value
        if m.total:
            _label(ax, x, m.total, money(m.total, currency), colors.muted, size - 0.5)
    ax.set_xticks(
        range(len(months)),
        [
            f"{m.month:%b}\n{m.month.year}" if i == 0 or m.month.month == 1 else f"{m.month:%b}"
            for i, m in enumerate(months)
        ],
    )
    ax.set_xlim(-0.55, len(months) - 0.45)
    _money_axis(ax, max(m.total for m in months) * 1.18, currency, colors, size)
    return bars


def draw_health(
    ax: Axes,
    bands: Sequence[tuple[str, int, int]],
    currency: str,
    colors: Colors,
    *,
    size: float = 7.5,
) -> list[Bar]:
    """One bar per band: its ARR, labelled with the amount and its share of the book."""
    total = sum(arr for _b, arr, _n in bands)
    if total <= 0:
        return []
    _style(ax, colors, size)
    bars = []
    for x, (band, arr, count) in enumerate(bands):
        (patch,) = ax.bar([x], [arr], 0.62, color=colors.band(band), linewidth=0, zorder=2)
        share = arr / total
        _label(ax, x, arr, f"{money(arr, currency)} \u00b7 {share:.0%}", colors.text, size)
        text = (
            f"{band_name(band)}: {full_money(arr, currency)} ARR ({share:.0%}), "
            f"{plural(count, 'account')}"
        )
        bars.append(Bar(patch, f"health:{band}", text))
    ax.set_xticks(range(len(bands)), [band_name(b) for b, _a, _n in bands])
    ax.set_xlim(-0.55, len(bands) - 0.45)
    _money_axis(ax, max(arr for _b, arr, _n in bands) * 1.16, currency, colors, size)
    return bars


HEALTH_COLOR_ORDER = (HEALTHY, WATCH, AT_RISK, UNSCORED)


def render_png(
    draw: Callable[[Axes], list[Bar]],
    title: str,
    empty_text: str,
    *,
    width_in: float,
    height_in: float,
    dpi: int = 200,
    colors: Colors = PRINT,
    legend: Sequence[tuple[str, str]] = (),
) -> bytes:
    """One chart as PNG bytes on an Agg canvas, with its title (and key) above the plot."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=dpi, facecolor=colors.figure)
    FigureCanvasAgg(fig)
    top_pt = 30.0 if legend else 22.0
    h_pt, w_pt = height_in * 72, width_in * 72
    ax = fig.add_axes((44 / w_pt, 30 / h_pt, 1 - 52 / w_pt, 1 - (30 + top_pt) / h_pt))
    drawn = draw(ax)
    fig.text(4 / w_pt, 1 - 4 / h_pt, title, ha="left", va="top", fontsize=9.5,
             fontweight="bold", color=colors.text)  # fmt: skip
    if not drawn:
        ax.remove()
        fig.text(0.5, 0.5, empty_text, ha="center", va="center", fontsize=9, color=colors.muted)
    x = 4 / w_pt
    for label, color in legend if drawn else ():
        fig.patches.append(
            Rectangle(
                (x, 1 - 22 / h_pt),
                9 / w_pt,
                6 / h_pt,
                transform=fig.transFigure,
                facecolor=color,
                linewidth=0,
            )
        )
        fig.text(
            x + 12 / w_pt, 1 - 19 / h_pt, label, ha="left", va="center", fontsize=7.5,
            color=colors.text,
        )  # fmt: skip
        x += (len(label) * 4.6 + 24) / w_pt
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor=colors.figure)
    return buffer.getvalue()


def risk_legend(colors: Colors) -> list[tuple[str, str]]:
    return [(band_name(b), colors.band(b)) for b in reversed(RISK_ORDER)]
