"""The Numbers page's charts: the ARR bridge, ARR at risk by month and band, health by ARR.

The bars are drawn by :mod:`csmdesk.reports.kpi_charts` (the book review draws the same
ones); these canvases add the theme, hover text and choosing a bar: a click on it (or in its
column), or the keyboard (Left/Right to move between columns, Enter to choose), emits
``bar_chosen`` with the drill-down key of the bar.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backend_bases import MouseEvent
from matplotlib.text import Text
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import QWidget

from csmdesk.gui.charts.base import SMALL_SIZE, TICK_SIZE, ChartCanvas, Key, text_width_pt
from csmdesk.reports import kpi_charts as draw
from csmdesk.reports.kpi_charts import Bar, Colors
from csmdesk.services.kpi_summary import BridgeStep, RiskMonth, band_name

SHORT_BRIDGE = {"Expansion": "Exp.", "Contraction": "Contr."}


def chart_colors(chart: ChartCanvas) -> Colors:
    s = chart.chart_style
    return Colors(
        text=s.text,
        muted=s.muted,
        grid=s.grid,
        spine=s.spine,
        axes=s.axes,
        figure=s.figure,
        total=s.bars,
        up=s.band("healthy"),
        down=s.band("at_risk"),
        bands=dict(s.bands),
    )


class DrillChart(ChartCanvas):
    """A chart whose bars stand for lists of accounts."""

    bar_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bars: list[Bar] = []
        self._columns: list[tuple[float, str, list[Bar]]] = []  # x, key, bars of the column
        self._selected: int | None = None
        self._values: list[Text] = []
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.mpl_connect("button_press_event", self._on_press)
        self.mpl_connect("motion_notify_event", self._on_pointer)

    # -- what subclasses provide -------------------------------------------------------------

    def _column_key(self, x: int, bars: list[Bar]) -> str:
        """The key of a whole column (a click beside its bars)."""
        return bars[0].key if bars else ""

    def _draw_bars(self, render: Callable[[Axes, Colors], list[Bar]]) -> bool:
        (ax,) = self._subplots()
        bars = render(ax, chart_colors(self))
        self._bars = bars
        self._values = [t for t in ax.texts if isinstance(t, Text)]
        columns: dict[int, list[Bar]] = {}
        for bar in bars:
            x = round(bar.artist.get_x() + bar.artist.get_width() / 2)
            columns.setdefault(x, []).append(bar)
        self._columns = [(float(x), self._column_key(x, b), b) for x, b in sorted(columns.items())]
        self._selected = None
        if not bars:
            return False
        for bar in bars:
            self._hover_patch(bar.artist, bar.text)
        texts = ["\n".join(b.text for b in col) for _x, _k, col in self._columns]
        self._hover_slices(ax, [x for x, _k, _b in self._columns], texts)
        labels = [t.get_text() for t in ax.get_yticklabels()]
        self._margins.left = max((text_width_pt(t) for t in labels), default=20) + 12
        self._margins.right = 10
        return True

    # -- choosing a bar ----------------------------------------------------------------------

    @property
    def bars(self) -> list[Bar]:
        return list(self._bars)

    def column_keys(self) -> list[str]:
        return [key for _x, key, _b in self._columns]

    def key_at(self, x: float, y: float) -> str | None:
        """The bar under display pixel (x, y), else the column it is in, else None."""
        if self.is_empty or not self.figure.axes:
            return None
        probe = MouseEvent("button_press_event", self, round(x), round(y))
        for bar in self._bars:
            if bar.artist.contains(probe)[0]:
                return bar.key
        ax = self.figure.axes[0]
        if not ax.bbox.contains(x, y) or not self._columns:
            return None
        data_x = float(ax.transData.inverted().transform((x, y))[0])
        xs = np.array([c[0] for c in self._columns])
        i = int(np.argmin(np.abs(xs - data_x)))
        return self._columns[i][1] if abs(xs[i] - data_x) <= 0.45 else None

    def key_point(self, key: str) -> tuple[float, float] | None:
        """The display pixel in the middle of the bar ``key`` (tests, and the focus frame)."""
        for bar in self._bars:
            if bar.key == key:
                box = bar.artist.get_window_extent()
                return float(box.x0 + box.x1) / 2, float(box.y0 + box.y1) / 2
        return None

    def _on_press(self, event: Any) -> None:
        if getattr(event, "button", None) != 1 or getattr(event, "dblclick", False):
            return
        if event.x is None or event.y is None:
            return
        key = self.key_at(event.x, event.y)
        if key:
            self.bar_chosen.emit(key)

    def _on_pointer(self, event: Any) -> None:
        if event.x is None or event.y is None:
            return
        if self.key_at(event.x, event.y):
            self.setCursor(Qt.CursorShape.PointingHandCursor)
        else:
            self.unsetCursor()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if self._columns and key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            step = 1 if key == Qt.Key.Key_Right else -1
            current = self._selected if self._selected is not None else (-1 if step > 0 else 0)
            self._select((current + step) % len(self._columns))
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            if self._selected is None and self._columns:
                self._select(0)
            elif self._selected is not None:
                self.bar_chosen.emit(self._columns[self._selected][1])
            return
        super().keyPressEvent(event)

    def _select(self, index: int | None) -> None:
        for i, (_x, _k, bars) in enumerate(self._columns):
            for bar in bars:
                chosen = i == index
                bar.artist.set_edgecolor(self.chart_style.text if chosen else "none")
                bar.artist.set_linewidth(1.6 if chosen else 0)
        self._selected = index
        if index is not None:
            texts = [b.text for b in self._columns[index][2]]
            self.setAccessibleDescription(" ".join(texts) + " Press Enter to list the accounts.")
        self.draw_idle()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        if self._selected is not None:
            self._select(None)


class BridgeChart(DrillChart):
    title = "ARR bridge"
    empty_text = draw.BRIDGE_EMPTY

    def plot(self, steps: Sequence[BridgeStep], currency: str) -> None:
        args = (tuple(steps), currency)
        self._set_render(lambda: self._draw(*args))

    def _draw(self, steps: tuple[BridgeStep, ...], currency: str) -> bool:
        self._labels = [s.label for s in steps]
        drawn = self._draw_bars(lambda ax, c: draw.draw_bridge(ax, steps, currency, c))
        self._margins.bottom = TICK_SIZE + 12
        return drawn

    def _after_layout(self, axis_width_pt: float) -> None:
        if self.is_empty or not self.figure.axes:
            return
        column = axis_width_pt / max(len(self._labels), 1)
        wide = max(text_width_pt(label) for label in self._labels) + 6 <= column
        labels = self._labels if wide else [SHORT_BRIDGE.get(t, t) for t in self._labels]
        self.figure.axes[0].set_xticks(range(len(labels)), labels)
        fits = max((text_width_pt(t.get_text(), SMALL_SIZE) for t in self._values), default=0)
        for text in self._values:
            text.set_visible(fits + 2 <= column)


class RiskChart(DrillChart):
    title = "ARR at risk by renewal month"
    empty_text = draw.RISK_EMPTY

    def plot(self, months: Sequence[RiskMonth], currency: str) -> None:
        args = (tuple(months), currency)
        self._set_render(lambda: self._draw(*args))

    def _column_key(self, x: int, bars: list[Bar]) -> str:
        return f"risk:{x}"

    def _draw(self, months: tuple[RiskMonth, ...], currency: str) -> bool:
        drawn = self._draw_bars(lambda ax, c: draw.draw_risk(ax, months, currency, c))
        if drawn:
            s = self.chart_style
            self._legend([Key(band_name(b), s.band(b)) for b in reversed(draw.RISK_ORDER)])
        self._margins.bottom = 2.4 * TICK_SIZE + 8
        return drawn


class HealthArrChart(DrillChart):
    title = "Health by ARR"
    empty_text = draw.HEALTH_EMPTY

    def plot(self, bands: Sequence[tuple[str, int, int]], currency: str) -> None:
        args = (tuple(bands), currency)
        self._set_render(lambda: self._draw(*args))

    def _draw(self, bands: tuple[tuple[str, int, int], ...], currency: str) -> bool:
        drawn = self._draw_bars(lambda ax, c: draw.draw_health(ax, bands, currency, c))
        self._margins.bottom = TICK_SIZE + 12
        return drawn
