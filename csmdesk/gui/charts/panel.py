"""A tab's worth of charts in a grid. No Matplotlib here: the charts bring it."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QGridLayout, QWidget


class ChartPanel(QWidget):
    """Lays out charts left to right, ``columns`` per row; a chart may span several columns."""

    def __init__(
        self,
        charts: Sequence[QWidget] = (),
        *,
        columns: int = 2,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        if columns < 1:
            raise ValueError("columns must be at least 1")
        self.columns = columns
        self._charts: list[QWidget] = []
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(8)
        self._row = self._col = 0
        for chart in charts:
            self.add_chart(chart)

    def add_chart(self, chart: QWidget, span: int = 1) -> None:
        span = max(1, min(span, self.columns))
        if self._col + span > self.columns:
            self._row, self._col = self._row + 1, 0
        self._grid.addWidget(chart, self._row, self._col, 1, span)
        self._grid.setRowStretch(self._row, 1)
        for col in range(self._col, self._col + span):
            self._grid.setColumnStretch(col, 1)
        self._col += span
        if self._col >= self.columns:
            self._row, self._col = self._row + 1, 0
        self._charts.append(chart)

    def charts(self) -> list[QWidget]:
        return list(self._charts)

    def restyle(self, dark: bool | None = None) -> None:
        """Ask every chart to take its colours from the palette again (or force ``dark``)."""
        for chart in self._charts:
            restyle = getattr(chart, "restyle", None)
            if callable(restyle):
                restyle(dark)
