"""The KPI tiles of the Numbers page: a figure, its benchmark, its change against the prior
period, the count behind it and a sparkline of the last eight quarters.

A tile is a focusable frame: a click, or Enter/Space while it has the focus, emits
``activated`` with the tile's key (the page opens the drill-down). The sparkline is painted
with QPainter: nine small Matplotlib canvases would cost more than the rest of the page.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QSizePolicy, QWidget

from csmdesk.gui.charts.style import ChartStyle
from csmdesk.services.kpi_summary import GOOD, NEAR, POOR, Tile

STANDING_BANDS = {GOOD: "healthy", NEAR: "watch", POOR: "at_risk"}
MIN_SPAN = {"nps": 10.0}  # a sparkline's least vertical span: small wiggles stay small
MIN_FRACTION_SPAN = 0.05
TILE_STYLE = """
QFrame#kpiTile { border: 1px solid palette(mid); border-radius: 6px; background: palette(base); }
QFrame#kpiTile:hover { border-color: palette(highlight); }
QFrame#kpiTile:focus { border: 2px solid palette(highlight); }
QLabel { background: transparent; border: none; }
"""


def rich_tooltip(text: str) -> str:
    """Plain text as a tooltip Qt wraps (it wraps only rich text)."""
    return "<p>" + html.escape(text).replace("\n\n", "</p><p>").replace("\n", "<br>") + "</p>"


class Sparkline(QWidget):
    """The last quarters' values as a small line, gaps where a quarter has no figure."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.values: tuple[float | None, ...] = ()
        self.key = ""
        self.color = QColor("#2f6fde")
        self.muted = QColor("#8a8f98")
        self.setFixedSize(QSize(86, 30))
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)

    def set_values(self, key: str, values: Sequence[float | None], style: ChartStyle) -> None:
        self.key, self.values = key, tuple(values)
        self.color, self.muted = QColor(style.accent), QColor(style.muted)
        self.update()

    def points(self) -> list[QPointF | None]:
        """Where each value sits in the widget (None for a quarter without a figure)."""
        known = [v for v in self.values if v is not None]
        if not known:
            return [None for _ in self.values]
        low, high = min(known), max(known)
        least = MIN_SPAN.get(self.key, MIN_FRACTION_SPAN)
        if high - low < least:
            middle = (high + low) / 2
            low, high = middle - least / 2, middle + least / 2
        box = QRectF(self.rect()).adjusted(3, 4, -4, -4)
        step = box.width() / max(len(self.values) - 1, 1)
        out: list[QPointF | None] = []
        for i, v in enumerate(self.values):
            if v is None:
                out.append(None)
            else:
                y = box.bottom() - (v - low) / (high - low) * box.height()
                out.append(QPointF(box.left() + i * step, y))
        return out

    def paintEvent(self, event: QPaintEvent) -> None:
        points = self.points()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        base = QPen(self.muted, 1, Qt.PenStyle.DotLine)
        painter.setPen(base)
        y = self.height() - 2.5
        painter.drawLine(QPointF(2, y), QPointF(self.width() - 2, y))
        path = QPainterPath()
        drawing = False
        for p in points:
            if p is None:
                drawing = False
            elif drawing:
                path.lineTo(p)
            else:
                path.moveTo(p)
                drawing = True
        painter.setPen(QPen(self.color, 1.6))
        painter.drawPath(path)
        painter.setBrush(self.color)
        painter.setPen(Qt.PenStyle.NoPen)
        known = [p for p in points if p is not None]
        for p in known:
            painter.drawEllipse(p, 1.4, 1.4)
        if points and points[-1] is not None:
            painter.drawEllipse(points[-1], 2.6, 2.6)
        painter.end()


class ElidedLabel(QLabel):
    """One line of text that ends in "…" when the tile is too narrow for it; the whole text
    stays in the label (and so reaches screen readers and tests)."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(40)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        rect = self.contentsRect()
        shown = self.fontMetrics().elidedText(
            self.text(), Qt.TextElideMode.ElideRight, rect.width()
        )
        painter.drawText(rect, int(self.alignment()), shown)
        painter.end()


class KpiTile(QFrame):
    """One headline figure; ``activated`` asks for the accounts behind it."""

    activated = Signal(str)

    def __init__(self, key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.tile: Tile | None = None
        self.setObjectName("kpiTile")
        self.setStyleSheet(TILE_STYLE)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(200)
        grid = QGridLayout(self)
        grid.setContentsMargins(10, 7, 10, 8)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(1)
        self.title = ElidedLabel()
        self.title.setObjectName("kpiTitle")
        title_font = QFont(self.title.font())
        title_font.setBold(True)
        self.title.setFont(title_font)
        self.value = QLabel("\u2026")
        self.value.setObjectName("kpiValue")
        font = QFont(self.value.font())
        font.setPointSizeF(font.pointSizeF() * 1.75)
        font.setBold(True)
        self.value.setFont(font)
        self.benchmark = ElidedLabel()
        self.benchmark.setObjectName("kpiBenchmark")
        self.change = ElidedLabel()
        self.change.setObjectName("kpiChange")
        self.detail = ElidedLabel()
        self.detail.setObjectName("kpiDetail")
        small = QFont(self.benchmark.font())
        small.setPointSizeF(small.pointSizeF() * 0.9)
        for label in (self.benchmark, self.change, self.detail):
            label.setFont(small)
        self.sparkline = Sparkline(self)
        keep = self.sparkline.sizePolicy()
        keep.setRetainSizeWhenHidden(True)  # every tile the same height, sparkline or not
        self.sparkline.setSizePolicy(keep)
        grid.addWidget(self.title, 0, 0, 1, 2)
        grid.addWidget(self.value, 1, 0)
        grid.addWidget(
            self.sparkline, 1, 1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom
        )
        grid.addWidget(self.benchmark, 2, 0, 1, 2)
        grid.addWidget(self.change, 3, 0, 1, 2)
        grid.addWidget(self.detail, 4, 0, 1, 2)
        grid.setColumnStretch(0, 1)

    def show_busy(self, title: str) -> None:
        if self.tile is None:
            self.title.setText(title)
            self.value.setText("\u2026")

    def show_tile(self, tile: Tile, style: ChartStyle) -> None:
        self.tile = tile
        self.title.setText(tile.title)
        self.value.setText(tile.value)
        self.benchmark.setText(tile.benchmark)
        self.change.setText(tile.change)
        self.detail.setText(tile.detail)
        colour = style.band(STANDING_BANDS[tile.standing]) if tile.standing else style.text
        self.value.setStyleSheet(f"color: {colour};")
        muted = f"color: {style.muted};"
        self.benchmark.setStyleSheet(muted)
        self.detail.setStyleSheet(muted)
        arrow = {1: style.band("healthy"), -1: style.band("at_risk")}.get(tile.change_sign)
        self.change.setStyleSheet(f"color: {arrow};" if arrow else muted)
        self.sparkline.setVisible(any(v is not None for v in tile.series))
        self.sparkline.set_values(tile.key, tile.series, style)
        self.setToolTip(
            rich_tooltip(tile.tooltip + "\n\nClick or press Enter to list the accounts.")
        )
        self.setAccessibleName(f"{tile.title}: {tile.value}")
        self.setAccessibleDescription(
            f"{tile.benchmark}. {tile.change}. {tile.detail}. {tile.definition}"
        )

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(
            event.position().toPoint()
        ):
            self.activated.emit(self.key)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.activated.emit(self.key)
            event.accept()
            return
        super().keyPressEvent(event)
