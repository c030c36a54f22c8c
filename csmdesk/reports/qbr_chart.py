"""The usage chart of a QBR/EBR: active users against licensed seats over the year up to the
review, the review's quarter shaded, the 70-80 % adoption benchmark as a band.

Rendered with Matplotlib's Agg canvas straight to PNG bytes (no pyplot, no window, safe on a
worker thread); Matplotlib is imported on the first call only.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from csmdesk.domain.reviews import UsageSeries

BENCHMARK = (0.70, 0.80)


@dataclass(frozen=True)
class Palette:
    background: str
    text: str
    muted: str
    grid: str
    accent: str
    seats: str
    band: str
    period: str


LIGHT = Palette(
    background="#ffffff",
    text="#1f2328",
    muted="#5b616b",
    grid="#e3e6ea",
    accent="#2f6fde",
    seats="#5b616b",
    band="#2e9d5b",
    period="#f1f4f9",
)
DARK = Palette(
    background="#17181a",
    text="#e6e6e6",
    muted="#a3a8b0",
    grid="#2c2e32",
    accent="#6ea8fe",
    seats="#b8bcc4",
    band="#4cc38a",
    period="#23262b",
)


def _month_ticks(start: date, end: date) -> tuple[list[float], list[str]]:
    """First-of-month ticks (every other month past eight), the year under its first month."""
    months = []
    y, m = start.year, start.month
    while date(y, m, 1) <= end:
        if date(y, m, 1) >= start:
            months.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    if len(months) > 8:
        months = months[len(months) % 2 :: 2]
    labels = []
    for i, d in enumerate(months):
        new_year = i == 0 or d.year != months[i - 1].year
        labels.append(f"{d:%b}\n{d.year}" if new_year else f"{d:%b}")
    return [float(d.toordinal()) for d in months], labels


def render_usage_png(
    usage: UsageSeries,
    *,
    width_in: float = 9.0,
    height_in: float = 4.0,
    dpi: int = 150,
    dark: bool = False,
) -> bytes | None:
    """The chart as PNG bytes, or None when there is no active-users reading to draw."""
    if usage.empty:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    p = DARK if dark else LIGHT
    fig = Figure(figsize=(width_in, height_in), dpi=dpi, facecolor=p.background)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.07, 0.13, 0.91, 0.68))
    ax.set_facecolor(p.background)
    xs = [float(d.toordinal()) for d in usage.dates]
    left, right = xs[0] - 3, xs[-1] + 3
    if usage.period_start is not None and usage.period_end is not None:
        lo = max(float(usage.period_start.toordinal()), left)
        hi = min(float(usage.period_end.toordinal()) + 1, right)
        if lo < hi:
            ax.axvspan(lo, hi, color=p.period, linewidth=0, zorder=0)
            ax.text(
                (lo + hi) / 2, 0.98, "This quarter", transform=ax.get_xaxis_transform(),
                ha="center", va="top", fontsize=8, color=p.muted,
            )  # fmt: skip
    users = list(usage.active_users)
    top = max(users)
    handles = []
    if usage.seats:
        seats = float(usage.seats)
        top = max(top, usage.seats)
        band = ax.axhspan(
            seats * BENCHMARK[0], seats * BENCHMARK[1], color=p.band, alpha=0.14, linewidth=0
        )
        (line,) = ax.plot(
            [left, right], [seats, seats], color=p.seats, linewidth=1.4, linestyle=(0, (4, 2))
        )
        handles += [
            (line, f"Licensed seats ({usage.seats:,})"),
            (band, "Benchmark 70\N{EN DASH}80 %"),
        ]
    marker = "o" if len(xs) < 20 else None
    (active,) = ax.plot(xs, users, color=p.accent, linewidth=2.2, marker=marker, markersize=4)
    handles.insert(0, (active, f"Active users ({users[-1]:,} latest)"))
    ax.set_xlim(left, right)
    ax.set_ylim(0, max(top * 1.15, 1))
    ticks, labels = _month_ticks(usage.dates[0], usage.dates[-1])
    ax.set_xticks(ticks, labels)
    ax.grid(axis="y", color=p.grid, linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(p.grid)
    ax.tick_params(colors=p.muted, labelsize=8, length=0)
    fig.text(0.07, 0.95, "Active users vs licensed seats", fontsize=11, color=p.text, va="top")
    legend = fig.legend(
        [h for h, _ in handles], [t for _, t in handles], loc="upper left",
        bbox_to_anchor=(0.06, 0.9), ncol=3, frameon=False, fontsize=8,
    )  # fmt: skip
    for text in legend.get_texts():
        text.set_color(p.text)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor=p.background)
    return buffer.getvalue()
