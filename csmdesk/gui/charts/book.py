"""The whole book: accounts and ARR by band, and the renewals ahead."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np
from matplotlib.axes import Axes
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator

from csmdesk.gui.charts.base import SMALL_SIZE, TICK_SIZE, ChartCanvas, Key, text_width_pt
from csmdesk.gui.charts.data import BANDS, band_label, compact_money, full_money


def _ordered(keys: set[str], first: Sequence[str]) -> list[str]:
    return [k for k in first if k in keys] + sorted(k for k in keys if k not in first)


class BandsChart(ChartCanvas):
    """Two small bar groups: how many accounts, and how much ARR, sit in each band."""

    title = "Book by band"
    empty_text = "No scored accounts yet."

    def plot(
        self,
        counts: Mapping[str, int],
        arr: Mapping[str, float] | None = None,
        *,
        currency: str = "$",
    ) -> None:
        """Keys are band values ("healthy", "watch", "at_risk"; "unscored" if you have it);
        ARR in major units (floats) shown with ``currency``. The three bands always show."""
        args = (dict(counts), dict(arr) if arr is not None else None, currency)
        self._set_render(lambda: self._draw(*args))

    def _draw(self, counts: dict[str, int], arr: dict[str, float] | None, currency: str) -> bool:
        if sum(counts.values()) <= 0 and (arr is None or sum(arr.values()) <= 0):
            return False
        present = {k for k, v in counts.items() if v} | {k for k, v in (arr or {}).items() if v}
        keys = _ordered(present | set(BANDS), (*BANDS, "unscored"))
        groups: list[tuple[str, dict[str, float], str]] = [
            ("Accounts", {k: float(v) for k, v in counts.items()}, "accounts")
        ]
        if arr is not None:
            groups.append(("ARR", arr, "arr"))
        self._headroom: list[tuple[Axes, float, float]] = []
        axes = self._subplots(len(groups))
        for ax, (name, values, kind) in zip(axes, groups, strict=True):
            self._bar_group(ax, name, keys, values, kind, currency, show_labels=ax is axes[0])
        self._margins.left = max(text_width_pt(band_label(k)) for k in keys) + 14
        self._margins.right = 8
        self._margins.top = 26 + TICK_SIZE + 10
        self._margins.bottom = 8
        self._margins.wspace = 18
        return True

    def _bar_group(
        self,
        ax: Axes,
        name: str,
        keys: list[str],
        values: dict[str, float],
        kind: str,
        currency: str,
        show_labels: bool,
    ) -> None:
        s = self.chart_style
        self._style_axes(ax, grid=None)
        ax.spines["bottom"].set_visible(False)
        ax.set_xticks([])
        rows = np.arange(len(keys))
        widths = [max(values.get(k, 0.0), 0.0) for k in keys]
        ax.barh(rows, widths, 0.62, color=[s.band(k) for k in keys], linewidth=0, zorder=2)
        total = sum(widths) or 1.0
        texts, notes = [], []
        for y, k, v in zip(rows, keys, widths, strict=True):
            note = compact_money(v, currency) if kind == "arr" else f"{v:,.0f}"
            notes.append(note)
            ax.annotate(
                note,
                (v, y),
                xytext=(3, 0),
                textcoords="offset points",
                ha="left",
                va="center",
                fontsize=SMALL_SIZE,
                color=s.text,
                annotation_clip=False,
            )
            if kind == "arr":
                texts.append(f"{band_label(k)}: {full_money(v, currency)} ARR ({v / total:.0%})")
            else:
                noun = "account" if v == 1 else "accounts"
                texts.append(f"{band_label(k)}: {v:,.0f} {noun} ({v / total:.0%} of the book)")
        ax.set_yticks(rows, [band_label(k) for k in keys] if show_labels else [])
        ax.tick_params(axis="y", length=0)
        ax.set_ylim(len(keys) - 0.45, -0.55)
        ax.set_title(name, loc="left", fontsize=TICK_SIZE, color=s.muted, pad=6)
        self._headroom.append(
            (ax, max(widths) or 1.0, max(text_width_pt(n, SMALL_SIZE) for n in notes))
        )
        self._hover_slices(ax, rows, texts, axis="y")

    def _after_layout(self, axis_width_pt: float) -> None:
        """Leave just enough room right of the longest bar for its value."""
        if self.is_empty:
            return
        for ax, longest, note in getattr(self, "_headroom", []):
            room = min((note + 6) / max(axis_width_pt, 1.0), 0.6)
            ax.set_xlim(0, longest / (1 - room))


class RenewalsChart(ChartCanvas):
    """Renewal ARR per month for the months ahead, stacked by band (at risk at the bottom)."""

    title = "Renewals, next 12 months"
    empty_text = "No renewals in the next 12 months."

    def plot(
        self,
        months: Sequence[date],
        arr_by_band: Mapping[str, Sequence[float]],
        *,
        currency: str = "$",
    ) -> None:
        """``months`` are month starts; ``arr_by_band[band][i]`` is the ARR renewing in
        ``months[i]`` (major units) for that band."""
        series = {k: tuple(float(v) for v in vals) for k, vals in arr_by_band.items()}
        if any(len(v) != len(months) for v in series.values()):
            raise ValueError("every band needs one value per month")
        args = (tuple(months), series, currency)
        self._set_render(lambda: self._draw(*args))

    def _draw(
        self, months: tuple[date, ...], series: dict[str, tuple[float, ...]], currency: str
    ) -> bool:
        totals = np.sum([np.asarray(v) for v in series.values()], axis=0) if series else []
        if not months or not np.any(np.asarray(totals) > 0):
            return False
        s = self.chart_style
        (ax,) = self._subplots()
        self._style_axes(ax)
        pos = np.arange(len(months))
        names = [f"{m:%b %Y}" for m in months]
        bottom = np.zeros(len(months))
        legend: list[Key] = []
        keys = _ordered(set(series), ("at_risk", "watch", "healthy", "unscored"))
        for key in keys:
            values = np.clip(np.asarray(series[key]), 0, None)
            bars = ax.bar(
                pos, values, 0.66, bottom=bottom, color=s.band(key), linewidth=0, zorder=2
            )
            for i, v in enumerate(values):
                if v > 0:
                    text = f"{names[i]} · {band_label(key)}: {full_money(v, currency)}"
                    self._hover_patch(bars[i], f"{text}\nof {full_money(totals[i], currency)}")
            bottom += values
            legend.insert(0, Key(band_label(key), s.band(key)))
        self._legend(legend)

        self._totals: list[Text] = []
        self._total_width = 0.0
        for x, total in zip(pos, totals, strict=True):
            if total > 0:
                label = compact_money(total, currency)
                self._total_width = max(self._total_width, text_width_pt(label, SMALL_SIZE - 0.5))
                self._totals.append(
                    ax.annotate(
                        label,
                        (x, total),
                        xytext=(0, 2),
                        textcoords="offset points",
                        ha="center",
                        va="bottom",
                        fontsize=SMALL_SIZE - 0.5,
                        color=s.muted,
                    )
                )
        column = []
        for i, name in enumerate(names):
            parts = [
                f"{band_label(k)} {full_money(series[k][i], currency)}"
                for k in reversed(keys)
                if series[k][i] > 0
            ]
            total = full_money(totals[i], currency)
            column.append(f"{name}: {total} renewing" + (f"\n{', '.join(parts)}" if parts else ""))
        self._hover_slices(ax, pos, column)

        top = float(np.max(totals)) * 1.18
        ticks = [t for t in MaxNLocator(nbins=4).tick_values(0, top) if 0 <= t <= top]
        tick_labels = [compact_money(t, currency) for t in ticks]
        ax.set_ylim(0, top)
        ax.set_yticks(ticks, tick_labels)
        self._months = months
        ax.tick_params(axis="x", length=0)
        ax.set_xlim(-0.6, len(months) - 0.4)
        self._margins.left = max(text_width_pt(t) for t in tick_labels) + 12
        self._margins.bottom = 2.4 * TICK_SIZE + 8
        return True

    def _after_layout(self, axis_width_pt: float) -> None:
        if self.is_empty or not self.figure.axes:
            return
        months = self._months
        roomy = axis_width_pt / len(months) >= self._total_width + 3
        for text in self._totals:
            text.set_visible(roomy)
        fit = max(1.0, axis_width_pt / 30.0)
        step = next((s for s in (1, 2, 3, 4, 6) if len(months) / s <= fit), 12)
        jan = next((i for i, m in enumerate(months) if m.month == 1), 0)
        shown = range(jan % step, len(months), step)
        labels = [
            f"{months[i]:%b}\n{months[i].year}"
            if i == shown[0] or months[i].month == 1
            else f"{months[i]:%b}"
            for i in shown
        ]
        self.figure.axes[0].set_xticks(list(shown), labels)
