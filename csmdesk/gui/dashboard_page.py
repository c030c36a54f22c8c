"""The Numbers page: the book's retention, NRR, NPS, adoption, onboarding, reviews and ARR at
risk for a period, against their benchmarks, with the ARR bridge, ARR at risk by month and
health by ARR.

The figures are computed by :func:`csmdesk.services.kpis.dashboard` on a worker thread (a
large book takes most of a second), so the page never holds up the window: it shows its last
figures, or "…", until the new ones arrive. Like Book health, it computes only while visible
and the Matplotlib charts are built the first time it is shown. Every tile and every bar
opens a drill-down of the accounts (and ARR events) behind it; ``account_chosen`` asks the
window to open one of them.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, QEvent, QSettings, QStandardPaths, Qt, Signal
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QComboBox,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from csmdesk.domain import kpis as k
from csmdesk.gui import messages
from csmdesk.gui.charts.style import ChartStyle
from csmdesk.gui.dashboard_tiles import KpiTile
from csmdesk.gui.drilldown import AskPath, DrillDownDialog, ask_save_path
from csmdesk.gui.tasks import Report, Task
from csmdesk.gui.widgets import mark_invalid, side_by_side
from csmdesk.services import kpi_summary as summary
from csmdesk.services.kpi_drilldown import UnknownTarget, drill
from csmdesk.services.kpi_settings import load_settings, save_settings
from csmdesk.services.kpis import Dashboard, dashboard
from csmdesk.store import Database

if TYPE_CHECKING:
    from csmdesk.gui.charts.kpi import BridgeChart, DrillChart, HealthArrChart, RiskChart

log = logging.getLogger(__name__)

SIDE_BY_SIDE_AT = 1100  # px: narrower than this, the charts stack
TILE_WIDTH = 232  # px a tile column needs
_PERIOD_KEY = "numbers/period"
_EXPORT_DIR_KEY = "numbers/review_dir"
EMPTY_TEXT = (
    "No accounts in the book yet.\n\nAdd accounts with their ARR, import a CSV or open the "
    "demo book: this page then shows retention, NRR, NPS, adoption and ARR at risk."
)


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _pydate(q: QDate) -> date:
    return date(q.year(), q.month(), q.day())


class DashboardPage(QWidget):
    """The book's numbers for a chosen period."""

    account_chosen = Signal(int)
    computed = Signal()  # new figures are on the page (tests and benchmarks wait for it)
    compared = Signal()  # ...and their changes and sparklines
    status = Signal(str)  # a message for the window's status bar

    def __init__(self, db: Database, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.today = db, today
        self.dash: Dashboard | None = None
        self.choice = str(QSettings().value(_PERIOD_KEY, summary.TRAILING))
        if self.choice not in summary.PERIOD_CHOICES:
            self.choice = summary.TRAILING
        self.custom = k.trailing_months(today, 3)
        self.ask_path: AskPath = ask_save_path
        self.drills: list[DrillDownDialog] = []
        self.bridge_chart: BridgeChart | None = None
        self.risk_chart: RiskChart | None = None
        self.health_chart: HealthArrChart | None = None
        self._stale = True
        self._generation = 0
        self._done = (0, True)  # the generation last computed, and whether it was compared
        self._task: Task | None = None
        self._export_task: Task | None = None

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.stack = QStackedWidget()
        outer.addWidget(self.stack)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.content = QWidget()
        scroll.setWidget(self.content)
        self.stack.addWidget(scroll)
        layout = QVBoxLayout(self.content)
        layout.setSpacing(6)
        layout.addLayout(self._build_header())

        self.subtitle = QLabel()
        self.subtitle.setObjectName("numbersSubtitle")
        self.subtitle.setStyleSheet("color: palette(placeholder-text);")
        self.subtitle.setWordWrap(True)
        layout.addWidget(self.subtitle)
        self.warnings = QLabel()
        self.warnings.setObjectName("warningLabel")
        self.warnings.setAccessibleName("Warnings about the figures")
        self.warnings.setWordWrap(True)
        self.warnings.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.warnings.hide()
        layout.addWidget(self.warnings)

        self.tile_grid = QGridLayout()
        self.tile_grid.setSpacing(8)
        self.tiles: dict[str, KpiTile] = {}
        for key in summary.TILE_KEYS:
            tile = KpiTile(key, self.content)
            tile.show_busy(summary.TITLES[key])
            tile.activated.connect(self.open_drill)
            self.tiles[key] = tile
        self._columns = 0
        layout.addLayout(self.tile_grid)
        self.chart_box = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.chart_box.setSpacing(8)
        layout.addLayout(self.chart_box, 1)
        self._arrange(self.width())

        self.empty_label = QLabel(EMPTY_TEXT)
        self.empty_label.setObjectName("emptyState")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.stack.addWidget(self.empty_label)

    def _build_header(self) -> QHBoxLayout:
        header = QHBoxLayout()
        self.title = QLabel("The book's numbers")
        self.title.setObjectName("accountTitle")
        header.addWidget(self.title)
        header.addStretch(1)
        self.period_combo = QComboBox()
        self.period_combo.setAccessibleName("Period")
        self.period_combo.setToolTip(
            "The period the figures cover; changes compare it with the one before"
        )
        for key, label in summary.PERIOD_CHOICES.items():
            self.period_combo.addItem(label, key)
        self.period_combo.setCurrentIndex(self.period_combo.findData(self.choice))
        self.period_combo.currentIndexChanged.connect(self._period_changed)
        period_label = QLabel("&Period:")
        period_label.setBuddy(self.period_combo)
        header.addWidget(period_label)
        header.addWidget(self.period_combo)
        self.from_edit, self.to_edit = QDateEdit(), QDateEdit()
        for edit, name in ((self.from_edit, "From"), (self.to_edit, "To")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setAccessibleName(f"{name} date")
            edit.editingFinished.connect(self._custom_changed)
            header.addWidget(edit)
        self.from_edit.setDate(_qdate(self.custom.start))
        self.to_edit.setDate(_qdate(self.custom.end))
        self.rates_button = QPushButton("C&urrency…")
        self.rates_button.setToolTip("The reporting currency, and rates for accounts in others")
        self.rates_button.clicked.connect(self.edit_rates)
        header.addWidget(self.rates_button)
        self.export_button = QPushButton("E&xport book review…")
        self.export_button.setToolTip("A one-page PDF (or PNG) of these numbers for your manager")
        self.export_button.clicked.connect(self.export_review)
        header.addWidget(self.export_button)
        self._show_custom()
        return header

    # --- the period -------------------------------------------------------------------------

    @property
    def period(self) -> k.Period:
        return summary.period_for(self.choice, self.today, self.custom)

    def _show_custom(self) -> None:
        custom = self.choice == summary.CUSTOM
        self.from_edit.setVisible(custom)
        self.to_edit.setVisible(custom)

    def _period_changed(self, index: int) -> None:
        self.choice = str(self.period_combo.itemData(index))
        QSettings().setValue(_PERIOD_KEY, self.choice)
        self._show_custom()
        self.refresh()

    def set_custom(self, start: date, end: date) -> bool:
        """Set the custom period (from the date edits, or a test); False when it is not one."""
        if end < start:
            mark_invalid(self.to_edit, "The period must end on or after the day it starts.")
            return False
        mark_invalid(self.to_edit, None)
        self.custom = k.Period(start, end)
        self.from_edit.setDate(_qdate(start))
        self.to_edit.setDate(_qdate(end))
        if self.choice != summary.CUSTOM:
            self.period_combo.setCurrentIndex(self.period_combo.findData(summary.CUSTOM))
        else:
            self.refresh()
        return True

    def _custom_changed(self) -> None:
        start, end = _pydate(self.from_edit.date()), _pydate(self.to_edit.date())
        if k.Period(start, end) != self.custom or end < start:
            self.set_custom(start, end)

    # --- data -----------------------------------------------------------------------------

    def set_today(self, today: date) -> None:
        self.today = today
        self.refresh()

    def set_database(self, db: Database) -> None:
        self.db = db
        self.dash = None
        self.refresh()

    def refresh(self) -> None:
        """Recompute on a worker; deferred until the page is visible. A quick pass brings the
        period's figures, then a second one the prior period and the quarters behind the
        changes and sparklines."""
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        self._generation += 1
        if self._task is None:
            self._start(compare=False)
        # else: one computation at a time; _task_done starts the one now wanted
        self._ensure_charts()  # built while the worker computes, not after

    def _start(self, *, compare: bool) -> None:
        generation, db, period, today = self._generation, self.db, self.period, self.today
        task = Task(lambda _report: dashboard(db, period, today=today, compare=compare), self)
        task.succeeded.connect(lambda dash: self._arrived(generation, dash))
        task.failed.connect(lambda exc: self._failed(generation, exc))
        task.finished.connect(self._task_done)
        self._task = task
        task.start()

    def _task_done(self) -> None:
        self._task = None
        if self._stale:
            return  # hidden meanwhile: the next show starts over
        generation, compared = self._done
        if generation != self._generation:
            self._start(compare=False)  # the book or the period changed meanwhile
        elif not compared:
            self._start(compare=True)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def _arrived(self, generation: int, dash: Dashboard) -> None:
        self._done = (generation, dash.compared)
        if generation != self._generation:
            return  # a newer period or book was asked for meanwhile
        first = not dash.compared or self.dash is None
        self.dash = dash
        if first:
            self._show(dash)
            self.computed.emit()
        else:  # the same figures with their comparison: only the tiles change
            self._show_tiles()
        if dash.compared:
            self.compared.emit()

    def _failed(self, generation: int, exc: BaseException) -> None:
        self._done = (generation, True)
        if generation != self._generation:
            return
        log.error("the book's numbers could not be computed: %s", exc)
        self.subtitle.setText(f"The numbers could not be computed: {exc}")

    def _show(self, dash: Dashboard) -> None:
        if not dash.snapshot.accounts:
            self.stack.setCurrentWidget(self.empty_label)
            return
        self.stack.setCurrentIndex(0)
        self.title.setText(
            f"The book's numbers \u00b7 {summary.period_title(self.choice, dash.current.period)}"
        )
        self.subtitle.setText(summary.subtitle(dash, self.choice))
        warnings = dash.current.warnings
        self.warnings.setText("\n".join(f"\u26a0 {w}" for w in warnings))
        self.warnings.setVisible(bool(warnings))
        self._show_tiles()
        self._plot(dash)

    def _show_tiles(self) -> None:
        if self.dash is None:
            return
        style = ChartStyle.from_palette(self.palette())
        for tile in summary.tiles(self.dash):
            self.tiles[tile.key].show_tile(tile, style)

    # --- charts ---------------------------------------------------------------------------

    def _ensure_charts(self) -> tuple[BridgeChart, RiskChart, HealthArrChart]:
        if self.bridge_chart is None or self.risk_chart is None or self.health_chart is None:
            from csmdesk.gui.charts.kpi import BridgeChart, HealthArrChart, RiskChart

            self.bridge_chart = BridgeChart(self.content)
            self.risk_chart = RiskChart(self.content)
            self.health_chart = HealthArrChart(self.content)
            charts: tuple[DrillChart, ...] = (self.bridge_chart, self.risk_chart, self.health_chart)
            names = (
                "ARR bridge: start, new, expansion, contraction, churn, end",
                "ARR at risk by renewal month and band, next 6 months",
                "ARR by health band today",
            )
            for chart, stretch, name in zip(charts, (3, 3, 2), names, strict=True):
                chart.setAccessibleName(name)
                chart.setMinimumHeight(250)
                chart.bar_chosen.connect(self.open_drill)
                self.chart_box.addWidget(chart, stretch)
        return self.bridge_chart, self.risk_chart, self.health_chart

    def _plot(self, dash: Dashboard) -> None:
        bridge, risk, health = self._ensure_charts()
        kpis = dash.current
        bridge.plot(summary.bridge(kpis), kpis.currency)
        risk.plot(summary.risk_months(kpis), kpis.currency)
        health.plot(summary.health_bars(kpis), kpis.currency)

    # --- what lies behind a number ----------------------------------------------------------

    def open_drill(self, target: str) -> DrillDownDialog | None:
        """The accounts behind a tile or a bar, in a window beside this one."""
        if self.dash is None:
            return None
        try:
            found = drill(self.dash, target)
        except UnknownTarget:
            log.warning("no drill-down for %r", target)
            return None
        dialog = DrillDownDialog(found, self.window())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.account_chosen.connect(self.account_chosen)
        dialog.destroyed.connect(lambda *_: self._forget(dialog))
        self.drills.append(dialog)
        dialog.show()
        return dialog

    def _forget(self, dialog: DrillDownDialog) -> None:
        if dialog in self.drills:
            self.drills.remove(dialog)

    # --- settings and export ------------------------------------------------------------------

    def edit_rates(self) -> bool:
        from csmdesk.gui.dashboard_dialogs import RatesDialog

        settings = load_settings(self.db)
        dash = self.dash
        currency = dash.current.currency if dash else (settings.currency or "USD")
        in_book = sorted({a.currency for a in dash.snapshot.accounts.values()}) if dash else []
        dialog = RatesDialog(settings, currency, in_book, self)
        if not dialog.exec() or dialog.settings is None:
            return False
        try:
            save_settings(self.db, dialog.settings)
        except Exception as exc:  # a read-only or locked database: say so, keep the old ones
            log.warning("KPI settings not saved: %s", exc)
            messages.error(self, "Currency settings not saved", str(exc))
            return False
        self.refresh()
        return True

    def export_review(self) -> None:
        if self.dash is None:
            return
        folder = str(
            QSettings().value(_EXPORT_DIR_KEY, "")
            or QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        )
        stem = f"book-review-{self.dash.current.period.end.isoformat()}"
        chosen = self.ask_path(
            self,
            "Export book review",
            str(Path(folder) / f"{stem}.pdf"),
            "PDF (*.pdf);;PNG image (*.png)",
        )
        if chosen:
            self.write_review(Path(chosen))

    def write_review(self, path: Path) -> None:
        """Write the review on a worker; the status line says where it went."""
        from csmdesk.reports.book_review import write_book_review

        if path.suffix.lower() not in (".pdf", ".png"):
            path = path.with_name(path.name + ".pdf")
        dash, choice, db, today = self.dash, self.choice, self.db, self.today
        assert dash is not None
        self.export_button.setEnabled(False)

        def write(report: Report) -> Path:
            full = dash if dash.compared else dashboard(db, dash.current.period, today=today)
            return write_book_review(full, path, choice=choice, progress=report)

        task = Task(write, self)
        task.succeeded.connect(self._review_written)
        task.failed.connect(lambda exc: self._review_failed(path, exc))
        task.finished.connect(lambda: self.export_button.setEnabled(True))
        self._export_task = task
        task.start()

    def _review_written(self, path: Path) -> None:
        QSettings().setValue(_EXPORT_DIR_KEY, str(Path(path).parent))
        self.status.emit(f"Book review saved to {path}")

    def _review_failed(self, path: Path, exc: BaseException) -> None:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        messages.error(self, "Book review not saved", f"{path}\n{detail}")

    # --- layout and theme -----------------------------------------------------------------

    def _arrange(self, width: int) -> None:
        columns = max(1, min(5, (width - 20) // TILE_WIDTH))
        if columns == 4:
            columns = 3  # nine tiles: three rows of 3 read better than 4 + 4 + 1
        if columns != self._columns:
            self._columns = columns
            for tile in self.tiles.values():
                self.tile_grid.removeWidget(tile)
            for i, key in enumerate(summary.TILE_KEYS):
                self.tile_grid.addWidget(self.tiles[key], i // columns, i % columns)
        side_by_side(self.chart_box, width, SIDE_BY_SIDE_AT)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange(event.size().width())

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._show_tiles()
