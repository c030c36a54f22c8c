"""Today: the page CSM Desk opens on — one prioritized queue of what the book asks for today.

Keyboard first: ↑/↓ or j/k move, Enter opens the account, D marks done, S snoozes a day,
W a week, U until a date, L logs a touchpoint; 0 shows every kind, 1-9 one kind. Done and
snooze go on the window's undo stack (Ctrl+Z).
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import date, timedelta

from PySide6.QtCore import QDate, QModelIndex, Qt, Signal
from PySide6.QtGui import QKeyEvent, QShowEvent, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from csmdesk.domain import today as td
from csmdesk.domain.accounts import ValidationError
from csmdesk.domain.today import TodayItem, TodayQueue
from csmdesk.gui import messages
from csmdesk.gui.today_model import ACCOUNT, ARR, DUE, KIND, SEVERITY, WHY, TodayModel
from csmdesk.models import TouchpointKind
from csmdesk.services import today as service
from csmdesk.store import Database

log = logging.getLogger(__name__)

EMPTY_BOOK = (
    "No accounts yet.\n\nImport a spreadsheet or CRM export (Ctrl+I), add an account (Ctrl+N),\n"
    "or open the demo book from the File menu."
)
# Key → (action, button text). The same keys work in the table and are named on the buttons.
KEYS = {
    Qt.Key.Key_D: "done",
    Qt.Key.Key_S: "day",
    Qt.Key.Key_W: "week",
    Qt.Key.Key_U: "until",
    Qt.Key.Key_L: "touch",
}


def _long_date(d: date) -> str:
    return f"{d:%A}, {d.day} {d:%B %Y}"


class TodayTable(QTableView):
    """The queue's table; turns the page's single keys into ``key_action`` signals."""

    key_action = Signal(str)
    category_key = Signal(int)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        plain = not (
            event.modifiers()
            & (
                Qt.KeyboardModifier.ControlModifier
                | Qt.KeyboardModifier.AltModifier
                | Qt.KeyboardModifier.MetaModifier
            )
        )
        if plain and key in (Qt.Key.Key_J, Qt.Key.Key_K):
            self._move(1 if key == Qt.Key.Key_J else -1)
        elif plain and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.key_action.emit("open")
        elif plain and key in KEYS and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.key_action.emit(KEYS[Qt.Key(key)])
        elif plain and Qt.Key.Key_0 <= key <= Qt.Key.Key_9:
            self.category_key.emit(key - Qt.Key.Key_0)
        else:
            super().keyPressEvent(event)

    def keyboardSearch(self, search: str) -> None:
        """Letters are actions here, not a jump to a matching row."""

    def _move(self, step: int) -> None:
        model = self.model()
        if model is None or not model.rowCount():
            return
        current = self.currentIndex().row()
        row = 0 if current < 0 else max(0, min(model.rowCount() - 1, current + step))
        self.selectRow(row)


class SnoozeDialog(QDialog):
    """Snooze until a chosen day (from tomorrow on)."""

    def __init__(self, parent: QWidget | None, item: TodayItem, today: date) -> None:
        super().__init__(parent)
        self.setWindowTitle("Snooze until")
        self.setObjectName("snoozeDialog")
        layout = QVBoxLayout(self)
        what = QLabel(f"{item.account_name}: {item.title}")
        what.setWordWrap(True)
        layout.addWidget(what)
        form = QFormLayout()
        layout.addLayout(form)
        tomorrow = today + timedelta(days=1)
        default = today + timedelta(days=14)
        self.date_edit = QDateEdit(QDate(default.year, default.month, default.day))
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setMinimumDate(QDate(tomorrow.year, tomorrow.month, tomorrow.day))
        self.date_edit.setAccessibleName("Back on")
        form.addRow("&Back on:", self.date_edit)
        box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        box.button(QDialogButtonBox.StandardButton.Ok).setText("&Snooze")
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        layout.addWidget(box)

    def value(self) -> date:
        d = self.date_edit.date()
        return date(d.year(), d.month(), d.day())


class _DoneCommand(QUndoCommand):
    def __init__(self, page: TodayPage, item: TodayItem) -> None:
        super().__init__(f"Done: {item.account_name}")
        self.page, self.item = page, item

    def redo(self) -> None:
        service.mark_done(self.page.db, self.item, self.page.today)
        self.page._put_aside(self.item, done=True)

    def undo(self) -> None:
        service.undo_done(self.page.db, self.item)
        self.page._after_undo(self.item)


class _SnoozeCommand(QUndoCommand):
    def __init__(self, page: TodayPage, item: TodayItem, until: date) -> None:
        super().__init__(f"Snooze: {item.account_name}")
        self.page, self.item, self.until = page, item, until

    def redo(self) -> None:
        service.snooze(self.page.db, self.item.key, self.until, today=self.page.today)
        self.page._put_aside(self.item, done=False)

    def undo(self) -> None:
        service.clear_state(self.page.db, self.item.key)
        self.page._after_undo(self.item)


class TodayPage(QWidget):
    open_requested = Signal(int, str)  # account id, the item's category
    touchpoint_requested = Signal(int, str)  # account id, touchpoint kind
    record_changed = Signal(int)  # a milestone or action item of this account changed
    status_message = Signal(str)

    def __init__(
        self,
        db: Database,
        today: date,
        undo_stack: QUndoStack | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.db, self.today = db, today
        self.undo_stack = undo_stack or QUndoStack(self)
        self.queue: TodayQueue | None = None
        self._currencies: dict[int, str] = {}
        self.category: str | None = None
        self._stale = True
        self.setObjectName("todayPage")

        layout = QVBoxLayout(self)
        header = QHBoxLayout()
        self.title = QLabel("Today")
        self.title.setObjectName("accountTitle")
        header.addWidget(self.title)
        self.date_label = QLabel()
        self.date_label.setObjectName("accountSubtitle")
        header.addWidget(self.date_label, 1, Qt.AlignmentFlag.AlignBottom)
        layout.addLayout(header)
        self.summary = QLabel()
        self.summary.setObjectName("todaySummary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.summary)

        self.filter_bar = QHBoxLayout()
        self.filter_bar.setSpacing(4)
        self.filters = QButtonGroup(self)
        self.filters.setExclusive(True)
        self.filters.idClicked.connect(self._filter_clicked)
        layout.addLayout(self.filter_bar)
        self._filter_keys: list[str | None] = []

        self.stack = QStackedWidget()
        layout.addWidget(self.stack, 1)
        self.model = TodayModel(today, self)
        self.table = TodayTable()
        self.table.setObjectName("todayTable")
        self.table.setAccessibleName("Today's queue")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 10)
        head = self.table.horizontalHeader()
        head.setHighlightSections(False)
        # Fixed widths from the font, not ResizeToContents: measuring thousands of rows on
        # every refresh would cost more than computing the queue.
        metrics = self.table.fontMetrics()
        for column, sample in (
            (DUE, "888 days overdue"),
            (ACCOUNT, "Northwind Traders International"),
            (KIND, "Action item"),
            (SEVERITY, "Critical"),
            (ARR, "$8,888,888"),
        ):
            head.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            head.resizeSection(column, metrics.horizontalAdvance(sample) + 18)
        head.setSectionResizeMode(WHY, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _i: self.open_current())
        self.table.key_action.connect(self.run_action)
        self.table.category_key.connect(self._category_by_number)
        self.table.selectionModel().currentRowChanged.connect(self._update_buttons)
        self.stack.addWidget(self.table)
        self.empty_label = QLabel()
        self.empty_label.setObjectName("emptyState")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.stack.addWidget(self.empty_label)

        buttons = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for action, text, tip in (
            ("open", "Open account", "Open the account in the book (Enter)"),
            ("done", "Done", "Mark done; a milestone or action item is completed (D)"),
            ("day", "Snooze a day", "Hide until tomorrow (S)"),
            ("week", "Snooze a week", "Hide for seven days (W)"),
            ("until", "Snooze until…", "Hide until a day you choose (U)"),
            ("touch", "Log touchpoint…", "Log a call, meeting or review with this account (L)"),
        ):
            key = {"open": "Enter"}.get(action) or next(
                k.name[-1] for k, a in KEYS.items() if a == action
            )
            button = QPushButton(f"{text}  ({key})")
            button.setObjectName(f"today_{action}")
            button.setToolTip(tip)
            button.setAccessibleName(text)
            button.clicked.connect(lambda _c=False, a=action: self.run_action(a))
            buttons.addWidget(button)
            self.buttons[action] = button
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self._update_buttons()

    # --- data -------------------------------------------------------------------------------
    def set_database(self, db: Database) -> None:
        self.db = db
        self.refresh()

    def set_today(self, today: date) -> None:
        self.today = today
        self.refresh()

    def refresh(self) -> None:
        """Recompute the queue; deferred while the page is hidden."""
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        self.queue = service.compute_today(self.db, self.today)
        self._currencies = service.account_currencies(self.db)
        self._show()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()
            self.table.setFocus()

    def _show(self, keep_key: str | None = None, keep_row: int = 0) -> None:
        queue = self.queue
        if queue is None:
            return
        if keep_key is None:
            current = self.current_item()
            keep_key = current.key if current else None
            keep_row = max(0, self.table.currentIndex().row())
        if self.category is not None and queue.counts.get(self.category) is None:
            self.category = None
        items = queue.only(self.category) if self.category else queue.items
        labels = {c.key: c.label.rstrip("s") if c.key != td.REVIEW else "QBR/EBR"
                  for c in queue.categories}  # fmt: skip
        labels[td.ACTION] = "Action item"
        self.model.set_items(items, queue.today, labels, self._currencies)
        self.date_label.setText(_long_date(queue.today))
        self._update_summary()
        self._rebuild_filters()
        if not items:
            self.empty_label.setText(self._empty_text())
            self.stack.setCurrentWidget(self.empty_label)
        else:
            self.stack.setCurrentWidget(self.table)
            row = self.model.row_of(keep_key) if keep_key else None
            self.table.selectRow(row if row is not None else min(keep_row, len(items) - 1))
        self._update_buttons()

    def _empty_text(self) -> str:
        queue = self.queue
        if queue is None or (not queue.items and not self._currencies):
            return EMPTY_BOOK
        if self.category is not None and queue.items:
            return f"Nothing under {queue.label(self.category)} today. Press 0 to see everything."
        aside = self._aside_text()
        return "Nothing needs you today." + (f"\n\n{aside.capitalize()}." if aside else "")

    def _aside_text(self) -> str:
        queue = self.queue
        parts = []
        if queue and queue.snoozed:
            parts.append(f"{queue.snoozed} snoozed")
        if queue and queue.done:
            parts.append(f"{queue.done} done")
        return ", ".join(parts)

    def _update_summary(self) -> None:
        queue = self.queue
        if queue is None:
            return
        n = len(queue.items)
        overdue = queue.overdue()
        parts = [f"<b>{n:,} thing{'' if n == 1 else 's'} to do</b>"]
        if overdue:
            parts.append(f"<span style='color:#e03131'>{overdue:,} overdue</span>")
        urgent = sum(1 for i in queue.items if i.severity in ("high", "critical"))
        if urgent:
            parts.append(f"{urgent:,} high or critical")
        aside = self._aside_text()
        if aside:
            parts.append(aside)
        self.summary.setText(" · ".join(parts))

    def _rebuild_filters(self) -> None:
        queue = self.queue
        assert queue is not None
        wanted: list[str | None] = [None, *(c.key for c in queue.categories)]
        if wanted != self._filter_keys:
            for button in self.filters.buttons():
                self.filters.removeButton(button)
                button.deleteLater()
            for n, key in enumerate(wanted):
                button = QPushButton()
                button.setCheckable(True)
                button.setObjectName(f"todayFilter_{key or 'all'}")
                button.setToolTip(f"Show {'everything' if key is None else 'only these'} ({n})")
                self.filters.addButton(button, n)
                self.filter_bar.insertWidget(n, button)
            if not self._filter_keys:
                self.filter_bar.addStretch(1)
            self._filter_keys = wanted
        self._update_filter_counts()

    def _update_filter_counts(self) -> None:
        queue = self.queue
        assert queue is not None
        counts = queue.counts
        for n, key in enumerate(self._filter_keys):
            label = "All" if key is None else queue.label(key)
            text = f"{label}  {len(queue.items) if key is None else counts.get(key, 0):,}"
            button = self.filters.button(n)
            button.setText(text)
            button.setAccessibleName(text)
            button.setChecked(key == self.category)

    def _filter_clicked(self, n: int) -> None:
        self.set_category(self._filter_keys[n] if 0 <= n < len(self._filter_keys) else None)

    def _category_by_number(self, n: int) -> None:
        if 0 <= n < len(self._filter_keys):
            self.set_category(self._filter_keys[n])

    def set_category(self, key: str | None) -> None:
        self.category = key
        self._show(keep_row=0)
        self.table.setFocus()

    # --- the current item and what to do with it ----------------------------------------------
    def current_item(self) -> TodayItem | None:
        index = self.table.currentIndex()
        if not index.isValid() or self.stack.currentWidget() is not self.table:
            return None
        return self.model.item(index.row())

    def _allowed(self, item: TodayItem | None, action: str) -> bool:
        if item is None or self.queue is None:
            return False
        category = next((c for c in self.queue.categories if c.key == item.category), None)
        actions = category.actions if category else td.ALL_ACTIONS
        needed = {"open": td.OPEN, "done": td.DONE, "touch": td.LOG_TOUCHPOINT}.get(
            action, td.SNOOZE
        )
        return needed in actions

    def _update_buttons(self, *_: object) -> None:
        item = self.current_item()
        for action, button in self.buttons.items():
            button.setEnabled(self._allowed(item, action))

    def run_action(self, action: str) -> None:
        item = self.current_item()
        if not self._allowed(item, action):
            return
        assert item is not None
        if action == "open":
            self.open_requested.emit(item.account_id, item.category)
        elif action == "done":
            self.undo_stack.push(_DoneCommand(self, item))
        elif action in ("day", "week"):
            until = service.snooze_until(self.today, "day" if action == "day" else "week")
            self._snooze(item, until)
        elif action == "until":
            dialog = SnoozeDialog(self, item, self.today)
            if dialog.exec():
                self._snooze(item, dialog.value())
        elif action == "touch":
            self.touchpoint_requested.emit(item.account_id, self._touch_kind(item))

    def open_current(self) -> None:
        self.run_action("open")

    @staticmethod
    def _touch_kind(item: TodayItem) -> str:
        if item.category == td.REVIEW:
            ebr = item.title.startswith("EBR")
            return TouchpointKind.EBR.value if ebr else TouchpointKind.QBR.value
        return TouchpointKind.CALL.value

    def _snooze(self, item: TodayItem, until: date) -> None:
        try:
            self.undo_stack.push(_SnoozeCommand(self, item, until))
        except ValidationError as exc:
            messages.error(self, "Not snoozed", str(exc))

    def _put_aside(self, item: TodayItem, *, done: bool) -> None:
        """Take a done or snoozed item out of the queue in place (no recompute, no reset)."""
        if self.queue is not None:
            self.queue = dataclasses.replace(
                self.queue,
                items=tuple(i for i in self.queue.items if i.key != item.key),
                done=self.queue.done + done,
                snoozed=self.queue.snoozed + (not done),
            )
        row = self.model.remove(item.key)
        if self.model.rowCount():
            self.table.selectRow(min(row or 0, self.model.rowCount() - 1))
            self._update_summary()
            self._update_filter_counts()
        else:
            self._show(keep_key="")
        self._update_buttons()
        verb = "Done" if done else "Snoozed"
        self.status_message.emit(f"{verb}: {item.account_name} — {item.title} (Ctrl+Z to undo)")
        if done and item.category in (td.MILESTONE, td.ACTION):
            self.record_changed.emit(item.account_id)

    def _after_undo(self, item: TodayItem) -> None:
        self._stale = True
        self.refresh()
        row = self.model.row_of(item.key)
        if row is not None:
            self.table.selectRow(row)
        if item.category in (td.MILESTONE, td.ACTION):
            self.record_changed.emit(item.account_id)

    def select_key(self, key: str) -> bool:
        row = self.model.row_of(key)
        if row is None:
            return False
        self.table.selectRow(row)
        return True

    def index_of(self, key: str) -> QModelIndex:
        row = self.model.row_of(key)
        return self.model.index(row, 0) if row is not None else QModelIndex()
