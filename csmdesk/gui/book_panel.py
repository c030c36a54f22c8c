"""The left side of the window: filter box, quick filters and the book table."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from csmdesk.domain.accounts import LIFECYCLE_LABELS, SEGMENT_LABELS
from csmdesk.gui.book_model import COL_NAME, BookFilter, BookModel, BookProxy
from csmdesk.models import Lifecycle, Segment

HEALTH_FILTERS = (
    (None, "Any health"),
    ("at_risk", "At risk"),
    ("watch", "Watch"),
    ("healthy", "Healthy"),
    ("declining", "Declining"),
)
RENEWAL_WINDOWS = (
    (None, "Any renewal"),
    (30, "Renews ≤ 30 d"),
    (60, "Renews ≤ 60 d"),
    (90, "Renews ≤ 90 d"),
)


class BookPanel(QWidget):
    """Emits ``current_changed`` with the selected account id (or ``None``)."""

    current_changed = Signal(object)
    activated = Signal(int)
    new_requested = Signal()
    demo_requested = Signal()
    filter_applied = Signal()

    def __init__(self, model: BookModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.proxy = BookProxy(self)
        self.proxy.setSourceModel(model)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName("filterEdit")
        self.filter_edit.setPlaceholderText("Filter by name, domain or tag  (Ctrl+F)")
        self.filter_edit.setAccessibleName("Filter accounts")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.installEventFilter(self)
        layout.addWidget(self.filter_edit)

        quick = QHBoxLayout()
        self.segment_combo = QComboBox()
        self.segment_combo.setAccessibleName("Segment filter")
        self.segment_combo.addItem("All segments", None)
        for segment in Segment:
            self.segment_combo.addItem(SEGMENT_LABELS[segment], segment.value)
        self.lifecycle_combo = QComboBox()
        self.lifecycle_combo.setAccessibleName("Lifecycle filter")
        self.lifecycle_combo.addItem("All stages", None)
        for stage in Lifecycle:
            self.lifecycle_combo.addItem(LIFECYCLE_LABELS[stage], stage.value)
        self.renewal_combo = QComboBox()
        self.renewal_combo.setAccessibleName("Renewal filter")
        for days, label in RENEWAL_WINDOWS:
            self.renewal_combo.addItem(label, days)
        self.health_combo = QComboBox()
        self.health_combo.setAccessibleName("Health filter")
        for value, label in HEALTH_FILTERS:
            self.health_combo.addItem(label, value)
        self.archived_button = QToolButton()
        self.archived_button.setText("Archived")
        self.archived_button.setCheckable(True)
        self.archived_button.setToolTip("Show the archive instead of the active book")
        self.archived_button.setAccessibleName("Show archived accounts")
        for widget in (
            self.health_combo,
            self.segment_combo,
            self.lifecycle_combo,
            self.renewal_combo,
        ):
            widget.currentIndexChanged.connect(self._apply_filter)
            quick.addWidget(widget)
        self.archived_button.toggled.connect(self._apply_filter)
        quick.addWidget(self.archived_button)
        quick.addStretch(1)
        layout.addLayout(quick)

        self.stack = QStackedWidget()
        self.table = QTableView()
        self.table.setObjectName("bookTable")
        self.table.setAccessibleName("Accounts")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL_NAME, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)
        vheader = self.table.verticalHeader()
        vheader.hide()
        vheader.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vheader.setDefaultSectionSize(self.fontMetrics().height() + 10)
        hheader = self.table.horizontalHeader()
        hheader.setStretchLastSection(True)
        hheader.setHighlightSections(False)
        for column, width in enumerate((220, 70, 95, 100, 95, 75, 95)):
            hheader.resizeSection(column, width)
        self._last_emitted: int | None = None
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        self.table.selectionModel().selectionChanged.connect(self._on_current)
        self.table.activated.connect(
            lambda idx: self.activated.emit(self.proxy.account_id(idx.row()))
        )
        self.stack.addWidget(self.table)

        self.empty = QWidget()
        empty_layout = QVBoxLayout(self.empty)
        empty_layout.addStretch(1)
        self.empty_label = QLabel()
        self.empty_label.setObjectName("emptyState")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        empty_layout.addWidget(self.empty_label)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.empty_new = QPushButton("New account…")
        self.empty_new.clicked.connect(self.new_requested)
        self.empty_demo = QPushButton("Open the demo book")
        self.empty_demo.clicked.connect(self.demo_requested)
        self.empty_clear = QPushButton("Clear filters")
        self.empty_clear.clicked.connect(self.clear_filters)
        for button in (self.empty_new, self.empty_demo, self.empty_clear):
            buttons.addWidget(button)
        buttons.addStretch(1)
        empty_layout.addLayout(buttons)
        empty_layout.addStretch(2)
        self.stack.addWidget(self.empty)
        layout.addWidget(self.stack, 1)

        self.filter_edit.textChanged.connect(self._apply_filter)
        self.setTabOrder(self.filter_edit, self.table)

    # --- filtering ----------------------------------------------------------------
    def current_filter(self) -> BookFilter:
        segment = self.segment_combo.currentData()
        stage = self.lifecycle_combo.currentData()
        return BookFilter(
            text=self.filter_edit.text(),
            segments=frozenset([segment]) if segment else frozenset(),
            lifecycles=frozenset([stage]) if stage else frozenset(),
            renewal_within=self.renewal_combo.currentData(),
            archived=self.archived_button.isChecked(),
            health=self.health_combo.currentData(),
        )

    def _apply_filter(self, *_: object) -> None:
        keep = self.current_id()
        self.proxy.set_filter(self.current_filter())
        self.update_empty_state()
        self.filter_applied.emit()
        if keep is not None and self.proxy.proxy_row_of(keep) is not None:
            self.select_id(keep)
        else:
            self._on_current()

    def clear_filters(self) -> None:
        for combo in (
            self.health_combo,
            self.segment_combo,
            self.lifecycle_combo,
            self.renewal_combo,
        ):
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
        self.archived_button.blockSignals(True)
        self.archived_button.setChecked(False)
        self.archived_button.blockSignals(False)
        self.filter_edit.blockSignals(True)
        self.filter_edit.clear()
        self.filter_edit.blockSignals(False)
        self._apply_filter()

    def is_filtered(self) -> bool:
        return self.current_filter() != BookFilter()

    def update_empty_state(self) -> None:
        shown = self.proxy.rowCount()
        if shown:
            self.stack.setCurrentWidget(self.table)
            return
        book_empty = self.model.rowCount() == 0
        if book_empty:
            self.empty_label.setText(
                "No accounts yet.\n\nAdd your first account, or open the demo book to look "
                "around: about 40 accounts with contacts, notes and a year of health data."
            )
        elif self.archived_button.isChecked() and not self.filter_edit.text():
            self.empty_label.setText(
                "The archive is empty. Archived accounts appear here, "
                "where they can be restored or deleted for good."
            )
        else:
            self.empty_label.setText("No account matches these filters.")
        self.empty_new.setVisible(book_empty)
        self.empty_demo.setVisible(book_empty)
        self.empty_clear.setVisible(not book_empty)
        self.stack.setCurrentWidget(self.empty)

    # --- selection ------------------------------------------------------------------
    def current_id(self) -> int | None:
        index = self.table.currentIndex()
        if not index.isValid() or not self.table.selectionModel().isRowSelected(index.row()):
            return None
        return self.proxy.account_id(index.row())

    def selected_ids(self) -> list[int]:
        return [self.proxy.account_id(i.row()) for i in self.table.selectionModel().selectedRows()]

    def select_id(self, account_id: int) -> bool:
        row = self.proxy.proxy_row_of(account_id)
        if row is None:
            return False
        index = self.proxy.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)
        return True

    def reveal(self, account_id: int, archived: bool) -> None:
        """Select an account, clearing filters that hide it."""
        if self.select_id(account_id):
            return
        self.clear_filters()
        if archived:
            self.archived_button.setChecked(True)
        self.select_id(account_id)

    def _on_current(self, *_: object) -> None:
        # selectRow() moves the current index before it selects, so listen to both and
        # report each change of the selected account once.
        current = self.current_id()
        if current != self._last_emitted:
            self._last_emitted = current
            self.current_changed.emit(current)

    # --- keyboard: from the filter box, Down moves into the table -----------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.filter_edit and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() == Qt.Key.Key_Down and self.proxy.rowCount():
                self.table.setFocus()
                if self.current_id() is None:
                    self.table.selectRow(0)
                return True
            if event.key() == Qt.Key.Key_Escape and self.filter_edit.text():
                self.filter_edit.clear()
                return True
        return super().eventFilter(watched, event)
