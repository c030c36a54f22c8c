"""Today's queue as a table model: one row per thing the book asks of the CSM, in priority order.

The order is the domain's (``csmdesk.domain.today``), so the view is not sortable: the top row is
always the most pressing one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from csmdesk.domain.money import format_money
from csmdesk.domain.today import TodayItem, describe_due
from csmdesk.gui.risks_tab import SEVERITY_COLOURS

COLUMNS = ("Due", "Account", "What needs doing", "Kind", "Severity", "ARR")
DUE, ACCOUNT, WHY, KIND, SEVERITY, ARR = range(len(COLUMNS))
KEY_ROLE = Qt.ItemDataRole.UserRole
ACCOUNT_ROLE = Qt.ItemDataRole.UserRole + 1
OVERDUE_COLOUR = QColor("#e03131")
TODAY_COLOUR = QColor("#e8590c")

_Index = QModelIndex | QPersistentModelIndex


class TodayModel(QAbstractTableModel):
    def __init__(self, today: date, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.today = today
        self._items: list[TodayItem] = []
        self._labels: Mapping[str, str] = {}
        self._currencies: Mapping[int, str] = {}

    # --- contents -------------------------------------------------------------------------
    def set_items(
        self,
        items: Sequence[TodayItem],
        today: date,
        labels: Mapping[str, str],
        currencies: Mapping[int, str],
    ) -> None:
        self.beginResetModel()
        self._items = list(items)
        self.today = today
        self._labels = labels
        self._currencies = currencies
        self.endResetModel()

    def item(self, row: int) -> TodayItem:
        return self._items[row]

    def items(self) -> list[TodayItem]:
        return list(self._items)

    def row_of(self, key: str) -> int | None:
        for n, item in enumerate(self._items):
            if item.key == key:
                return n
        return None

    def remove(self, key: str) -> int | None:
        """Drop one row (done or snoozed); returns where it was."""
        row = self.row_of(key)
        if row is not None:
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._items[row]
            self.endRemoveRows()
        return row

    # --- Qt model interface -----------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section] if 0 <= section < len(COLUMNS) else None
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(item, column)
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == DUE and item.due is not None:
                if item.due < self.today:
                    return OVERDUE_COLOUR
                if item.due == self.today:
                    return TODAY_COLOUR
            if column == SEVERITY and item.severity:
                return QColor(SEVERITY_COLOURS.get(item.severity, "#868e96"))
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == DUE:
                return item.due.isoformat() if item.due else "Needs attention now"
            if column == WHY:
                return item.title
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and column == ARR:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == KEY_ROLE:
            return item.key
        if role == ACCOUNT_ROLE:
            return item.account_id
        return None

    def _text(self, item: TodayItem, column: int) -> str:
        if column == DUE:
            return describe_due(item.due, self.today)
        if column == ACCOUNT:
            return item.account_name
        if column == WHY:
            return item.title
        if column == KIND:
            return self._labels.get(item.category, item.category)
        if column == SEVERITY:
            return (item.severity or "").capitalize()
        if column == ARR:
            currency = self._currencies.get(item.account_id, "USD")
            return format_money(item.arr_minor, currency) if item.arr_minor else "—"
        return ""
