"""The book's notes and action items, across accounts: newest notes first, open items by due date.

Ticking an action item here ticks its line in the note too (``services.notes.set_item_done``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from csmdesk.services import notes as service
from csmdesk.store import Database

NOTES_SHOWN = 2000
_Index = QModelIndex | QPersistentModelIndex


def _local(moment: datetime) -> str:
    return f"{moment.replace(tzinfo=moment.tzinfo or UTC).astimezone():%Y-%m-%d %H:%M}"


class _RowsModel(QAbstractTableModel):
    """A read-mostly table over a list of row records, one column per ``COLUMNS`` entry."""

    COLUMNS: tuple[str, ...] = ()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[Any] = []

    def set_rows(self, rows: list[Any]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section] if 0 <= section < len(self.COLUMNS) else None
        return None


class NotesModel(_RowsModel):
    COLUMNS = ("Written", "Account", "Kind", "Title")
    rows: list[service.NoteRow]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                _local(row.created_at), row.account_name,
                service.KIND_LABELS.get(row.kind, row.kind), row.title or "Untitled",
            )[index.column()]  # fmt: skip
        if role == Qt.ItemDataRole.UserRole:  # sort key
            return (row.created_at.isoformat(), row.account_name.casefold(), row.kind,
                    row.title.casefold())[index.column()]  # fmt: skip
        return None


class ItemsModel(_RowsModel):
    COLUMNS = ("Done", "Action item", "Owner", "Due", "Account")
    rows: list[service.ItemRow]
    toggled = Signal(int, bool)  # item id, done

    def __init__(self, today: date, parent: Any = None) -> None:
        super().__init__(parent)
        self.today = today

    def flags(self, index: _Index) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsUserCheckable if index.column() == 0 else base

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row, column = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.CheckStateRole and column == 0:
            return Qt.CheckState.Checked if row.done_on else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.DisplayRole:
            due = row.due_date.isoformat() if row.due_date else ""
            return ("", row.text, row.owner or "", due, row.account_name)[column]
        if role == Qt.ItemDataRole.UserRole:
            return ("1" if row.done_on else "0", row.text.casefold(), (row.owner or "").casefold(),
                    row.due_date.isoformat() if row.due_date else "9999",
                    row.account_name.casefold())[column]  # fmt: skip
        late = row.due_date is not None and not row.done_on and row.due_date < self.today
        if role == Qt.ItemDataRole.ForegroundRole and column == 3 and late:
            return QColor("#e03131")
        return None

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or index.column() != 0:
            return False
        done = Qt.CheckState(value) == Qt.CheckState.Checked
        self.toggled.emit(self.rows[index.row()].id, done)
        return True


class _Filter(QSortFilterProxyModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSortRole(Qt.ItemDataRole.UserRole)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(-1)


def _table(name: str, model: QSortFilterProxyModel) -> QTableView:
    view = QTableView()
    view.setObjectName(name)
    view.setModel(model)
    view.setSortingEnabled(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().hide()
    view.setAlternatingRowColors(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.horizontalHeader().setStretchLastSection(True)
    return view


class NotesPage(QWidget):
    note_requested = Signal(int, int)  # account id, note id
    items_changed = Signal(int)  # account id

    def __init__(self, db: Database, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.today = db, today
        self._stale = True
        # Called before ticking an item rewrites its note: the window saves what is being typed.
        self.before_write: Callable[[], None] = lambda: None
        layout = QVBoxLayout(self)
        title = QLabel("Notes")
        title.setObjectName("accountTitle")
        layout.addWidget(title)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        layout.addWidget(self.tabs, 1)

        notes_box = QWidget()
        notes_layout = QVBoxLayout(notes_box)
        bar = QHBoxLayout()
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter by account or title")
        self.filter_edit.setAccessibleName("Filter notes")
        self.kind_combo = QComboBox()
        self.kind_combo.setAccessibleName("Kind of note")
        self.kind_combo.addItem("Every kind", "")
        for value, label in service.KIND_LABELS.items():
            self.kind_combo.addItem(label, value)
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.kind_combo)
        notes_layout.addLayout(bar)
        self.notes_model = NotesModel(self)
        self.notes_proxy = _Filter(self)
        self.notes_proxy.setSourceModel(self.notes_model)
        self.notes_view = _table("allNotes", self.notes_proxy)
        self.notes_view.setAccessibleName("All notes")
        self.notes_view.activated.connect(self._open_note)
        self.notes_view.doubleClicked.connect(self._open_note)
        notes_layout.addWidget(self.notes_view, 1)
        self.notes_note = QLabel()
        self.notes_note.setStyleSheet("color: palette(placeholder-text);")
        notes_layout.addWidget(self.notes_note)
        self.tabs.addTab(notes_box, "All &notes")

        items_box = QWidget()
        items_layout = QVBoxLayout(items_box)
        bar = QHBoxLayout()
        self.items_filter = QLineEdit()
        self.items_filter.setPlaceholderText("Filter by text, owner or account")
        self.items_filter.setAccessibleName("Filter action items")
        self.show_done = QCheckBox("Show &done")
        bar.addWidget(self.items_filter, 1)
        bar.addWidget(self.show_done)
        items_layout.addLayout(bar)
        self.items_model = ItemsModel(today, self)
        self.items_model.toggled.connect(self._toggle_item)
        self.items_proxy = _Filter(self)
        self.items_proxy.setSourceModel(self.items_model)
        self.items_view = _table("actionItems", self.items_proxy)
        self.items_view.setAccessibleName("Action items")
        self.items_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.items_view.activated.connect(self._open_item)
        self.items_view.doubleClicked.connect(self._open_item)
        items_layout.addWidget(self.items_view, 1)
        self.tabs.addTab(items_box, "&Action items")

        self.filter_edit.textChanged.connect(self.notes_proxy.setFilterFixedString)
        self.items_filter.textChanged.connect(self.items_proxy.setFilterFixedString)
        self.kind_combo.currentIndexChanged.connect(lambda _i: self._load_notes())
        self.show_done.toggled.connect(lambda _on: self._load_items())

    # --- data -------------------------------------------------------------------------------
    def refresh(self) -> None:
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        self._load_notes()
        self._load_items()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def _load_notes(self) -> None:
        kind = str(self.kind_combo.currentData() or "")
        rows = service.list_notes(self.db, kinds=[kind] if kind else (), limit=NOTES_SHOWN + 1)
        more = len(rows) > NOTES_SHOWN
        self.notes_model.set_rows(rows[:NOTES_SHOWN])
        self.notes_view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.notes_view.resizeColumnsToContents()
        self.notes_note.setText(
            f"The newest {NOTES_SHOWN:,} notes; search (Ctrl+Shift+F) finds any note."
            if more
            else ("No notes yet: open an account's Notes tab (Ctrl+4) to write one." if not rows
                  else f"{len(rows):,} notes")
        )  # fmt: skip

    def _load_items(self) -> None:
        rows = service.list_items(self.db, open_only=not self.show_done.isChecked())
        self.items_model.today = self.today
        self.items_model.set_rows(rows)
        self.items_view.resizeColumnsToContents()

    def _open_note(self, index: QModelIndex) -> None:
        row = self.notes_model.rows[self.notes_proxy.mapToSource(index).row()]
        self.note_requested.emit(row.account_id, row.id)

    def _open_item(self, index: QModelIndex) -> None:
        row = self.items_model.rows[self.items_proxy.mapToSource(index).row()]
        if row.note_id is not None:
            self.note_requested.emit(row.account_id, row.note_id)

    def _toggle_item(self, item_id: int, done: bool) -> None:
        row = next(r for r in self.items_model.rows if r.id == item_id)
        self.before_write()
        service.set_item_done(self.db, item_id, done, on=self.today)
        self._load_items()
        self.items_changed.emit(row.account_id)
