"""The drill-down: the accounts behind a number of the Numbers page and, for ARR figures, the
ARR events of the period, in sortable tables with Export CSV….

Not modal: it stays open beside the window while the CSM opens accounts from it (a double
click or Enter on a row emits ``account_chosen``). ``ask_path`` is replaceable so tests never
answer a file dialog.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSettings,
    QSortFilterProxyModel,
    QStandardPaths,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from csmdesk.gui import messages
from csmdesk.services.kpi_drilldown import (
    MONEY,
    NUMBER,
    PERCENT,
    Cell,
    Drill,
    Money,
    Table,
    cell_text,
    write_csv,
)

log = logging.getLogger(__name__)

SORT_ROLE = Qt.ItemDataRole.UserRole
ACCOUNT_ROLE = Qt.ItemDataRole.UserRole + 1
_DIR_KEY = "numbers/export_dir"
_RIGHT = (MONEY, NUMBER, PERCENT)
AskPath = Callable[[QWidget, str, str, str], str]
Index = QModelIndex | QPersistentModelIndex


def ask_save_path(parent: QWidget, caption: str, suggested: str, filters: str) -> str:
    return QFileDialog.getSaveFileName(parent, caption, suggested, filters)[0]


def _sort_key(value: Cell) -> object:
    """One comparable type per column: numbers as floats, dates and text as strings."""
    if value is None:
        return float("-inf")
    if isinstance(value, Money):
        return float(value.minor)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float):
        return float(value)
    return value.casefold()


class DrillModel(QAbstractTableModel):
    """One drill-down table: formatted for reading, sorted by the raw values."""

    def __init__(self, table: Table, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = table

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.table.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.table.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        row = self.table.rows[index.row()]
        column = self.table.columns[index.column()]
        value = row.cells[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(value, column.kind)
        if role == SORT_ROLE:
            return _sort_key(value)
        if role == ACCOUNT_ROLE:
            return row.account_id
        if role == Qt.ItemDataRole.TextAlignmentRole:
            side = (
                Qt.AlignmentFlag.AlignRight if column.kind in _RIGHT else Qt.AlignmentFlag.AlignLeft
            )
            return int(side | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 0 and row.account_id:
            return "Double-click or press Enter to open the account"
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.table.columns[section].header
        return section + 1


def _table_view(table: Table, parent: QWidget) -> tuple[QTableView, QSortFilterProxyModel]:
    model = DrillModel(table, parent)
    proxy = QSortFilterProxyModel(parent)
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    view = QTableView(parent)
    view.setModel(proxy)
    view.setSortingEnabled(True)
    view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the drill's own order until a click
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().hide()
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.resizeColumnsToContents()
    if table.columns:
        view.setColumnWidth(0, max(view.columnWidth(0), 180))
    return view, proxy


def file_stem(title: str) -> str:
    head = title.split(":")[0]
    return re.sub(r"[^A-Za-z0-9]+", "-", head).strip("-").lower() or "accounts"


class DrillDownDialog(QDialog):
    account_chosen = Signal(int)

    def __init__(
        self, drill: Drill, parent: QWidget | None = None, *, ask_path: AskPath | None = None
    ) -> None:
        super().__init__(parent)
        self.drill = drill
        self.ask_path = ask_path or ask_save_path
        self.setObjectName("drillDownDialog")
        self.setWindowTitle(drill.title.split(":")[0])
        self.resize(760, 520)
        layout = QVBoxLayout(self)
        self.title = QLabel(drill.title)
        font = QFont(self.title.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        self.subtitle = QLabel(drill.subtitle)
        self.subtitle.setWordWrap(True)
        self.subtitle.setStyleSheet("color: palette(placeholder-text);")
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        self.tabs = QTabWidget(self)
        self.tables: list[Table] = []
        self.views: list[QTableView] = []
        self.proxies: list[QSortFilterProxyModel] = []
        parts = [(drill.accounts, "Accounts")]
        if drill.events is not None:
            parts.append((drill.events, "ARR events in the period"))
        for table, name in parts:
            if table.rows:
                view, proxy = _table_view(table, self)
                view.setAccessibleName(name)
                view.activated.connect(self._activated)
                page: QWidget = view
                self.views.append(view)
                self.proxies.append(proxy)
            else:
                page = QLabel("Nothing behind this figure in the period.")
                page.setObjectName("emptyState")
                page.setAlignment(Qt.AlignmentFlag.AlignCenter)
                page.setWordWrap(True)
                self.views.append(QTableView(self))  # placeholder, never shown
                self.proxies.append(QSortFilterProxyModel(self))
            self.tables.append(table)
            self.tabs.addTab(page, f"{name} ({len(table.rows):,})")
        self.tabs.currentChanged.connect(self._tab_changed)
        layout.addWidget(self.tabs, 1)
        self.status = QLabel()
        self.status.setObjectName("drillStatus")
        self.status.setStyleSheet("color: palette(placeholder-text);")
        layout.addWidget(self.status)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.export_button = QPushButton("&Export CSV…")
        self.export_button.setToolTip("Save the table shown as a CSV file")
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.export_button.clicked.connect(self.ask_export)
        buttons.rejected.connect(self.reject)
        for button in buttons.buttons():  # Enter on a row opens its account, nothing else
            if isinstance(button, QPushButton):
                button.setAutoDefault(False)
                button.setDefault(False)
        layout.addWidget(buttons)
        self._tab_changed(0)

    @property
    def current_table(self) -> Table:
        return self.tables[max(self.tabs.currentIndex(), 0)]

    @property
    def accounts_view(self) -> QTableView:
        return self.views[0]

    def _tab_changed(self, index: int) -> None:
        table = self.tables[max(index, 0)]
        self.export_button.setEnabled(bool(table.rows))
        view = self.views[max(index, 0)]
        if table.rows:
            view.setFocus()

    def _activated(self, index: QModelIndex) -> None:
        account_id = index.data(ACCOUNT_ROLE)
        if isinstance(account_id, int):
            log.debug("account %s chosen from a drill-down", account_id)
            self.account_chosen.emit(account_id)

    def ask_export(self) -> Path | None:
        table = self.current_table
        if not table.rows:
            return None
        folder = str(
            QSettings().value(_DIR_KEY, "")
            or QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        )
        tab = self.tabs.currentIndex()
        stem = file_stem(self.drill.title) + ("-events" if tab == 1 else "")
        chosen = self.ask_path(self, "Export CSV", str(Path(folder) / f"{stem}.csv"), "CSV (*.csv)")
        if not chosen:
            return None
        path = Path(chosen)
        if path.suffix.lower() != ".csv":
            path = path.with_name(path.name + ".csv")
        try:
            written = write_csv(self._sorted(tab), path)
        except OSError as exc:
            log.warning("drill-down CSV to %s failed: %s", path, exc)
            messages.error(self, "Could not save the CSV", f"{path}\n{exc.strerror or exc}")
            return None
        QSettings().setValue(_DIR_KEY, str(written.parent))
        self.status.setText(f"Saved {len(table.rows):,} rows to {written.name}")
        return written

    def _sorted(self, tab: int) -> Table:
        """The table in the order the CSM sorted it on screen."""
        table, proxy = self.tables[tab], self.proxies[tab]
        if proxy.sourceModel() is None or proxy.rowCount() != len(table.rows):
            return table
        order = [proxy.mapToSource(proxy.index(r, 0)).row() for r in range(proxy.rowCount())]
        return Table(table.columns, tuple(table.rows[i] for i in order))
