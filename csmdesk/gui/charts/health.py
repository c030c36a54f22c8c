"""One account's health: the score over time and today's components."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np

from csmdesk.gui.charts.base import SMALL_SIZE, TICK_SIZE, ChartCanvas, text_width_pt
from csmdesk.gui.charts.data import ComponentBar, ScoreOverride, band_label, band_of, day_text


class HealthScoreChart(ChartCanvas):
    """The score over time on the band shading, overrides as diamonds, today's value marked.

    Hovering shows the score of the nearest date, or an override's band and reason.
    """

    title = "Health score"
    empty_text = (
        "No health score yet.\nIt appears once the account has usage, support or survey data."
    )

    def plot(
        self,
        dates: Sequence[date],
        values: Sequence[float | None],
        *,
        healthy_at: float = 70,
        watch_at: float = 40,
        overrides: Sequence[ScoreOverride] = (),
        today: date | None = None,
    ) -> None:
        """``values[i]`` is the score on ``dates[i]`` (ascending); None leaves a gap."""
        if len(dates) != len(values):
            raise ValueError("dates and values differ in length")
        if not 0 <= watch_at < healthy_at <= 100:
            raise ValueError("thresholds must satisfy 0 <= watch_at < healthy_at <= 100")
        args = (tuple(dates), tuple(values), healthy_at, watch_at, tuple(overrides), today)
        self._set_render(lambda: self._draw(*args))

    def _draw(
        self,
        dates: tuple[date, ...],
        values: tuple[float | None, ...],
        healthy_at: float,
        watch_at: float,
        overrides: tuple[ScoreOverride, ...],
        today: date | None,
    ) -> bool:
        known = [(d, float(v)) for d, v in zip(dates, values, strict=True) if v is not None]
        if not known:
            return False
        s = self.chart_style
        (ax,) = self._subplots()
        self._style_axes(ax)
        xs = np.array([d.toordinal() for d in dates], dtype=float)
        ys = np.array([np.nan if v is None else float(v) for v in values])
        valid = ~np.isnan(ys)

        spans = (
            ("at_risk", 0, watch_at),
            ("watch", watch_at, healthy_at),
            ("healthy", healthy_at, 100),
        )
        for band, lo, hi in spans:
            ax.axhspan(lo, hi, color=s.band(band), alpha=s.band_alpha, linewidth=0, zorder=0)
            ax.text(
                1.012,
                (lo + hi) / 2,
                band_label(band),
                transform=ax.get_yaxis_transform(),
                ha="left",
                va="center",
                fontsize=SMALL_SIZE,
                color=s.band(band),
                clip_on=False,
            )

        # A lone score between gaps has no segment to draw; give it a dot.
        prev_ok = np.concatenate([[False], valid[:-1]])
        next_ok = np.concatenate([valid[1:], [False]])
        lone = np.flatnonzero(valid & ~prev_ok & ~next_ok).tolist()
        ax.plot(
            xs,
            ys,
            color=s.accent,
            linewidth=1.8,
            marker="o",
            markersize=3.5,
            markevery=lone,
            solid_capstyle="round",
            zorder=3,
        )

        last_day, last_value = known[-1]
        last_band = band_of(last_value, healthy_at, watch_at)
        ax.plot(
            [last_day.toordinal()],
            [last_value],
            linestyle="none",
            marker="o",
            markersize=7,
            markerfacecolor=s.band(last_band),
            markeredgecolor=s.axes,
            markeredgewidth=1.5,
            zorder=5,
        )
        ax.annotate(
            f"{last_value:.0f}",
            (last_day.toordinal(), last_value),
            xytext=(-7, 7 if last_value < 86 else -15),
            textcoords="offset points",
            ha="right",
            fontsize=9,
            fontweight="bold",
            color=s.text,
        )
        when = "Today" if today is None or last_day == today else day_text(last_day)
        self._subtitle(f"{when}: {last_value:.0f} · {band_label(last_band)}", s.band(last_band))

        end = max(dates[-1], today) if today is not None else dates[-1]
        shown = [o for o in overrides if dates[0] <= o.on <= end]
        if shown:
            ox = np.array([o.on.toordinal() for o in shown], dtype=float)
            oy = np.interp(ox, xs[valid], ys[valid])
            ax.scatter(
                ox,
                oy,
                marker="D",
                s=42,
                c=[s.band(o.band) for o in shown],
                edgecolors=s.text,
                linewidths=0.9,
                zorder=6,
            )
            texts = [
                f"Override: {band_label(o.band)} (set {day_text(o.on)})\n{o.reason}" for o in shown
            ]
            self._hover_points(ax, ox, oy, texts)

        self._hover_slices(
            ax,
            xs,
            [
                f"{day_text(d)}\nScore {v:.0f} · {band_label(band_of(v, healthy_at, watch_at))}"
                if v is not None
                else f"{day_text(d)}\nNo score (no data)"
                for d, v in zip(dates, values, strict=True)
            ],
        )
        ax.set_ylim(0, 100)
        ax.set_yticks(
            [0, watch_at, healthy_at, 100], [f"{t:.0f}" for t in (0, watch_at, healthy_at, 100)]
        )
        ax.set_xlim(xs[0] - 3, end.toordinal() + 3)
        self._date_axis(ax, dates[0], end)
        self._margins.left = text_width_pt("100") + 12
        self._margins.right = text_width_pt("At risk", SMALL_SIZE) + 14
        return True


class ComponentChart(ChartCanvas):
    """Today's component points as horizontal bars; components without data are hatched."""

    title = "Score components"
    empty_text = "No component has data yet."

    def plot(
        self,
        components: Sequence[ComponentBar],
        *,
        healthy_at: float = 70,
        watch_at: float = 40,
    ) -> None:
        """Bars top to bottom in the given order; ``share`` is annotated as "% of score"."""
        args = (tuple(components), healthy_at, watch_at)
        self._set_render(lambda: self._draw(*args))

    def _draw(
        self, components: tuple[ComponentBar, ...], healthy_at: float, watch_at: float
    ) -> bool:
        if all(c.points is None for c in components):
            return False
        s = self.chart_style
        (ax,) = self._subplots()
        self._style_axes(ax, grid="x")
        notes: list[str] = []
        hovers: list[str] = []
        for row, c in enumerate(components):
            if c.points is None:
                ax.barh(
                    row,
                    100,
                    height=0.56,
                    fill=False,
                    hatch="////",
                    edgecolor=s.grid,
                    linewidth=0.8,
                    zorder=2,
                )
                ax.text(
                    50,
                    row,
                    "no data",
                    ha="center",
                    va="center",
                    fontsize=SMALL_SIZE,
                    color=s.muted,
                    zorder=3,
                    bbox={"boxstyle": "round,pad=0.25", "facecolor": s.axes, "linewidth": 0},
                )
                hovers.append(f"{c.label}: no data, left out of the score")
                notes.append("")
            else:
                points = min(max(float(c.points), 0.0), 100.0)
                band = band_of(points, healthy_at, watch_at)
                ax.barh(row, max(points, 0.6), height=0.56, color=s.band(band), zorder=2)
                note = f"{points:.0f} · {c.share:.0%} of score"
                ax.annotate(
                    note,
                    (points, row),
                    xytext=(4, 0),
                    textcoords="offset points",
                    ha="left",
                    va="center",
                    fontsize=SMALL_SIZE,
                    color=s.text,
                    annotation_clip=False,
                )
                hovers.append(f"{c.label}: {points:.0f} of 100 points, {c.share:.0%} of the score")
                notes.append(note)
            if c.detail:
                hovers[-1] += f"\n{c.detail}"
        rows = np.arange(len(components))
        ax.set_yticks(rows, [c.label for c in components])
        ax.tick_params(axis="y", length=0)
        ax.set_ylim(len(components) - 0.5, -0.5)
        ax.set_xlim(0, 100)
        ax.set_xticks(
            [0, watch_at, healthy_at, 100], [f"{t:.0f}" for t in (0, watch_at, healthy_at, 100)]
        )
        self._hover_slices(ax, rows, hovers, axis="y")
        self._margins.left = max(text_width_pt(c.label) for c in components) + 12
        self._margins.right = max(text_width_pt(n, SMALL_SIZE) for n in notes) + 8
        self._margins.bottom = TICK_SIZE + 12
        return True
