"""One account's usage and support over time: adoption against seats, tickets and NPS."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.ticker import MaxNLocator

from csmdesk.gui.charts.base import SMALL_SIZE, ChartCanvas, Key, text_width_pt
from csmdesk.gui.charts.data import day_text


def _floats(values: Sequence[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


def _lone(valid: np.ndarray) -> list[int]:
    """Indices of values with no valid neighbour: a line cannot show them without a marker."""
    prev_ok = np.concatenate([[False], valid[:-1]])
    next_ok = np.concatenate([valid[1:], [False]])
    return np.flatnonzero(valid & ~prev_ok & ~next_ok).tolist()


def _int_ticks(top: float) -> list[float]:
    ticks = MaxNLocator(nbins=4, integer=True, min_n_ticks=2).tick_values(0, max(top, 1))
    return [t for t in ticks if 0 <= t <= top]


def _bars(
    ax: Axes, xs: np.ndarray, heights: np.ndarray, width: float, color: str, zorder: float
) -> PolyCollection:
    """Vertical bars as one collection: a year of weekly bars costs a tenth of ``ax.bar``."""
    left, right = xs - width / 2, xs + width / 2
    zero = np.zeros_like(xs)
    verts = np.stack(
        [
            np.column_stack(p)
            for p in ((left, zero), (left, heights), (right, heights), (right, zero))
        ],
        axis=1,
    )
    bars = PolyCollection(list(verts), facecolors=color, linewidths=0, zorder=zorder)
    ax.add_collection(bars, autolim=False)
    return bars


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class AdoptionChart(ChartCanvas):
    """Active users against licensed seats, with the 70-80% benchmark band."""

    title = "Adoption"
    empty_text = "No usage readings yet.\nActive users appear here once they are recorded."

    def plot(
        self,
        dates: Sequence[date],
        active_users: Sequence[int | None],
        seats: Sequence[int | None] | int | None = None,
        *,
        benchmark: tuple[float, float] = (0.70, 0.80),
    ) -> None:
        """``seats`` is one number, one per date (a step when it changes), or None (unknown)."""
        if len(dates) != len(active_users):
            raise ValueError("dates and active_users differ in length")
        if seats is None or isinstance(seats, int):
            seat_list: tuple[int | None, ...] = (seats,) * len(dates)
        else:
            seat_list = tuple(seats)
            if len(seat_list) != len(dates):
                raise ValueError("dates and seats differ in length")
        args = (tuple(dates), tuple(active_users), seat_list, benchmark)
        self._set_render(lambda: self._draw(*args))

    def _draw(
        self,
        dates: tuple[date, ...],
        active: tuple[int | None, ...],
        seats: tuple[int | None, ...],
        benchmark: tuple[float, float],
    ) -> bool:
        if all(a is None for a in active):
            return False
        s = self.chart_style
        (ax,) = self._subplots()
        self._style_axes(ax)
        xs = np.array([d.toordinal() for d in dates], dtype=float)
        users, seat = _floats(active), _floats(seats)
        keys = [Key("Active users", s.accent, "line")]
        lo, hi = benchmark
        if np.isfinite(seat).any():
            ax.fill_between(
                xs,
                seat * lo,
                seat * hi,
                step="post",
                color=s.band("healthy"),
                alpha=s.band_alpha * 1.5,
                linewidth=0,
                zorder=1,
            )
            ax.plot(
                xs,
                seat,
                drawstyle="steps-post",
                color=s.secondary,
                linewidth=1.3,
                linestyle=(0, (4, 2)),
                zorder=2,
            )
            keys += [
                Key("Licensed seats", s.secondary, "line", linestyle=(0, (4, 2))),
                Key(
                    f"Benchmark {lo:.0%}\N{EN DASH}{hi:.0%}",
                    s.band("healthy"),
                    alpha=s.band_alpha * 3,
                ),
            ]
        ax.plot(
            xs,
            users,
            color=s.accent,
            linewidth=1.8,
            marker="o",
            markersize=3.5,
            markevery=_lone(np.isfinite(users)),
            zorder=3,
        )
        self._legend(keys)

        texts = []
        for d, a, n in zip(dates, active, seats, strict=True):
            if a is None:
                texts.append(f"{day_text(d)}\nNo usage reading")
            elif n:
                texts.append(f"{day_text(d)}\n{a:,} active of {n:,} seats ({a / n:.0%})")
            else:
                texts.append(f"{day_text(d)}\n{_plural(a, 'active user')} (seats unknown)")
        self._hover_slices(ax, xs, texts)

        top = float(np.nanmax(np.concatenate([users, seat]))) * 1.12
        ticks = _int_ticks(top)
        ax.set_ylim(0, max(top, 1))
        ax.set_yticks(ticks, [f"{t:,.0f}" for t in ticks])
        ax.set_xlim(xs[0] - 3, xs[-1] + 3)
        self._date_axis(ax, dates[0], dates[-1])
        self._margins.left = max(text_width_pt(f"{t:,.0f}") for t in ticks) + 12
        return True


class TicketsNpsChart(ChartCanvas):
    """Open tickets (bars) with escalations in front, NPS responses on a 0-10 twin axis."""

    title = "Tickets & NPS"
    empty_text = "No tickets or survey responses recorded yet."

    def plot(
        self,
        dates: Sequence[date],
        open_tickets: Sequence[int | None],
        escalations: Sequence[int | None] | None = None,
        nps: Sequence[tuple[date, int]] = (),
    ) -> None:
        """Tickets and escalations per date; ``nps`` holds (date, score 0..10) responses."""
        if len(dates) != len(open_tickets):
            raise ValueError("dates and open_tickets differ in length")
        esc = tuple(escalations) if escalations is not None else (None,) * len(dates)
        if len(esc) != len(dates):
            raise ValueError("dates and escalations differ in length")
        args = (tuple(dates), tuple(open_tickets), esc, tuple(nps))
        self._set_render(lambda: self._draw(*args))

    def _draw(
        self,
        dates: tuple[date, ...],
        tickets: tuple[int | None, ...],
        escalations: tuple[int | None, ...],
        nps: tuple[tuple[date, int], ...],
    ) -> bool:
        if all(t is None for t in tickets) and not nps:
            return False
        s = self.chart_style
        ax, ax2 = self._subplots(twin=True)
        self._style_axes(ax)
        xs = np.array([d.toordinal() for d in dates], dtype=float)
        width = 0.7 * float(np.median(np.diff(xs))) if len(xs) > 1 else 5.0
        t, e = _floats(tickets), _floats(escalations)
        has_t, has_e = np.isfinite(t), np.isfinite(e) & (np.nan_to_num(e) > 0)
        _bars(ax, xs[has_t], t[has_t], width, s.bars, zorder=2)
        _bars(ax, xs[has_e], e[has_e], width * 0.55, s.band("at_risk"), zorder=3)

        self._style_axes(ax2, grid=None)
        ax2.spines["left"].set_visible(False)
        ax2.spines["right"].set_visible(True)
        ax2.spines["bottom"].set_visible(False)
        zones = (("healthy", 8.5, 10.5, "Promoters"), ("at_risk", -0.5, 6.5, "Detractors"))
        for band, lo, hi, name in zones:
            ax2.axhspan(
                lo, hi, color=s.band(band), alpha=s.band_alpha * 0.55, linewidth=0, zorder=0
            )
            ax2.text(
                0.008,
                hi - 0.25,
                name,
                transform=ax2.get_yaxis_transform(),
                ha="left",
                va="top",
                fontsize=SMALL_SIZE - 0.5,
                color=s.band(band),
                zorder=1,
            )
        keys = [Key("Open tickets", s.bars), Key("Escalations", s.band("at_risk"))]
        if nps:
            nx = np.array([d.toordinal() for d, _ in nps], dtype=float)
            ny = np.array([float(v) for _, v in nps])
            kinds = [_nps_kind(v) for _, v in nps]
            colors = {"promoter": "healthy", "passive": "unscored", "detractor": "at_risk"}
            ax2.scatter(
                nx,
                ny,
                s=34,
                c=[s.band(colors[k]) for k in kinds],
                edgecolors=s.text,
                linewidths=0.8,
                zorder=5,
            )
            texts = [f"NPS {v} ({k}) · {day_text(d)}" for (d, v), k in zip(nps, kinds, strict=True)]
            self._hover_points(ax2, nx, ny, texts)
            keys.append(Key("NPS (right axis)", s.band("healthy"), "dot", edge=s.text))
        ax2.set_ylim(-0.5, 10.5)
        ax2.set_yticks([0, 2, 4, 6, 8, 10])
        self._legend(keys)

        texts = []
        for d, tk, es in zip(dates, tickets, escalations, strict=True):
            parts = ["no ticket data" if tk is None else _plural(tk, "open ticket")]
            if es is not None:
                parts.append(_plural(es, "escalation"))
            texts.append(f"{day_text(d)}\n{', '.join(parts)}")
        self._hover_slices(ax, xs, texts)

        top = float(np.nanmax(t)) * 1.15 if has_t.any() else 4.0
        ticks = _int_ticks(max(top, 4.0))
        ax.set_ylim(0, max(top, 4.0))
        ax.set_yticks(ticks, [f"{v:,.0f}" for v in ticks])
        days = [*dates, *(d for d, _ in nps)]
        start, end = min(days), max(days)
        ax.set_xlim(start.toordinal() - 4, end.toordinal() + 4)
        self._date_axis(ax, start, end)
        self._margins.left = max(text_width_pt(f"{v:,.0f}") for v in ticks) + 12
        self._margins.right = text_width_pt("10") + 12
        return True


def _nps_kind(score: int) -> str:
    if score >= 9:
        return "promoter"
    return "passive" if score >= 7 else "detractor"
