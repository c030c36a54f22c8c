"""The Health tab of an account: the score that explains itself, and its charts.

The charts (Matplotlib) are built the first time the tab is shown, so opening the window
never pays for loading Matplotlib.
"""

from __future__ import annotations

import logging
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from csmdesk.domain.health import Score
from csmdesk.gui.book_model import BAND_COLOURS, BAND_LABELS
from csmdesk.services import health as health_service
from csmdesk.services.health import AccountHealth
from csmdesk.store import Database

log = logging.getLogger(__name__)

TWO_COLUMNS_FROM = 600  # px of tab width; narrower panes stack the charts


def _band_chip(band: str | None) -> str:
    if band is None:
        return ""
    colour = BAND_COLOURS.get(band, "#868e96")
    label = BAND_LABELS.get(band, band)
    return (
        f"<span style='background:{colour}; color:white; padding:2px 8px; "
        f"border-radius:4px'>&nbsp;{label}&nbsp;</span>"
    )


def describe(score: Score | None) -> tuple[str, str, str]:
    """(headline, explanation, details) as rich text, for the summary and for tests."""
    if score is None:
        return ("No health score", "This account is not scored (churned or archived).", "")
    value = "—" if score.value is None else str(score.value)
    band = score.effective_band.value if score.effective_band else None
    trend = ""
    if score.trend is not None:
        trend = f" <span style='font-size:11pt'>({score.trend:+d} in 30 days)</span>"
    headline = (
        f"<span style='font-size:20pt; font-weight:600'>{value}</span>{trend} {_band_chip(band)}"
    )
    parts = [score.explanation]
    if score.override is not None:
        parts.append(
            f"<b>Set by hand</b> to {BAND_LABELS.get(score.override.band.value, '')} until "
            f"{score.override.expires_on.isoformat()}: {score.override.reason}"
        )
    details = []
    for component in score.components:
        points = "no data" if component.points is None else f"{component.points:.0f}"
        share = f"{component.share * 100:.0f}%" if component.points is not None else "left out"
        details.append(
            f"<tr><td><b>{component.label}</b></td><td align=right>{points}</td>"
            f"<td align=right>{share}</td><td>{component.detail}</td></tr>"
        )
    table = (
        "<table cellspacing=4><tr><th align=left>Component</th><th>Points</th>"
        "<th>Weight</th><th align=left>Why</th></tr>" + "".join(details) + "</table>"
    )
    if score.movers:
        table += "<p><b>What moved in 30 days:</b><br>" + "<br>".join(score.movers) + "</p>"
    return headline, "<br>".join(parts), table


class HealthTab(QWidget):
    reading_requested = Signal()
    override_requested = Signal()
    clear_override_requested = Signal()

    def __init__(self, db: Database, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.today = db, today
        self.account_id: int | None = None
        self.data: AccountHealth | None = None
        self.charts: list[QWidget] = []
        self._arranged_columns = 0
        self._data_stale = False
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        # Text wraps to the pane's width instead of running off to the right.
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer.addWidget(scroll)
        body = QWidget()
        scroll.setWidget(body)
        layout = QVBoxLayout(body)
        self.headline = QLabel()
        self.headline.setObjectName("healthHeadline")
        self.explanation = QLabel()
        self.explanation.setObjectName("healthExplanation")
        self.explanation.setWordWrap(True)
        self.explanation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QLabel()
        self.details.setObjectName("healthDetails")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QHBoxLayout()
        self.reading_button = QPushButton("Add &reading…")
        self.reading_button.setToolTip("Enter a day's usage, tickets and survey results")
        self.override_button = QPushButton("&Override band…")
        self.clear_button = QPushButton("Clear override")
        self.reading_button.clicked.connect(self.reading_requested)
        self.override_button.clicked.connect(self.override_requested)
        self.clear_button.clicked.connect(self.clear_override_requested)
        for button in (self.reading_button, self.override_button, self.clear_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addWidget(self.headline)
        layout.addWidget(self.explanation)
        layout.addLayout(buttons)
        layout.addWidget(self.details)
        self.chart_grid = QGridLayout()
        layout.addLayout(self.chart_grid)
        layout.addStretch(1)

    def show_account(self, account_id: int | None) -> None:
        self.account_id = account_id
        self.refresh()

    def refresh(self) -> None:
        """Load and show the account's health; deferred until the tab is visible, so moving
        through the book with the Overview tab open costs nothing."""
        if self.account_id is None:
            self.data = None
            return
        if not self.isVisible():
            self._data_stale = True
            return
        self._data_stale = False
        self.data = health_service.account_health(self.db, self.account_id, self.today)
        headline, explanation, details = describe(self.data.score)
        self.headline.setText(headline)
        self.explanation.setText(explanation)
        self.details.setText(details)
        has_override = self.data.score is not None and self.data.score.override is not None
        self.clear_button.setVisible(has_override)
        self.draw_charts()

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        if self._data_stale:
            self.refresh()

    def draw_charts(self) -> None:
        """Build the charts on first use, then re-plot them for the current account."""
        if self.data is None:
            return
        from csmdesk.gui.health_charts import build_charts, plot_account

        if not self.charts:
            self.charts = build_charts(self)
            self._arrange()
        plot_account(self.charts, self.data, self.today)

    def _columns(self) -> int:
        return 2 if self.width() >= TWO_COLUMNS_FROM else 1

    def _arrange(self) -> None:
        """Charts two abreast in a wide pane, one under another in a narrow one."""
        columns = self._columns()
        for chart in self.charts:
            self.chart_grid.removeWidget(chart)
        for i, chart in enumerate(self.charts):
            self.chart_grid.addWidget(chart, i // columns, i % columns)
        self._arranged_columns = columns

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.charts and self._columns() != self._arranged_columns:
            self._arrange()
