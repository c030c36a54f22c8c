"""The ARR tab of an account: its ARR history as a sortable table (date, type, ARR after, the
change against the event before, currency, comment), with Add…, Edit… and Delete; a delete can
be undone from the bar that appears (Undo, or Ctrl+Z while the tab has the focus).

Keyboard: Enter edits the selected event, Del deletes it, Ins adds one. Those keys and Ctrl+Z
are claimed while the focus is in the tab (a ShortcutOverride), so the window's own Del
(archive the account) and Ctrl+Z do not fire from here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from csmdesk.domain import arr_history as rules
from csmdesk.domain.accounts import ValidationError
from csmdesk.domain.money import format_money
from csmdesk.gui import messages
from csmdesk.gui.arr_dialogs import ArrEventDialog
from csmdesk.gui.dialog_parts import note_label, plural, show_note
from csmdesk.models import Account, ArrEvent
from csmdesk.services import accounts as account_service
from csmdesk.services import arr_history as service
from csmdesk.services import records
from csmdesk.services.accounts import NotFoundError
from csmdesk.services.arr_history import DeletedArrEvent
from csmdesk.store import Database

log = logging.getLogger(__name__)

ID_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
COLUMNS = ("Date", "Type", "ARR after", "Change", "Currency", "Comment")
DATE, TYPE, ARR, CHANGE, CURRENCY, COMMENT = range(len(COLUMNS))
Index = QModelIndex | QPersistentModelIndex
EMPTY_TEXT = (
    "No ARR history yet. Add the first event with Add event… (Ins): the ARR the contract "
    "started with, then each expansion, contraction or renewal."
)
PLACEHOLDER_TIP = (
    "A placeholder: the ARR the account was created with, dated at its contract start. "
    "Edit it to confirm the real date and amount."
)


@dataclass(frozen=True)
class ArrRow:
    event: ArrEvent
    change: int | None  # against the event before it; None when unknown
    renewal_of: date | None  # the renewal whose outcome it records


class ArrEventsModel(QAbstractTableModel):
    """The events of one account, one per row, in the order given (the proxy sorts)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ArrRow] = []
        self._italic = QFont()
        self._italic.setItalic(True)

    def set_rows(self, rows: list[ArrRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row(self, row: int) -> ArrRow:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        event, column = row.event, index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == SORT_ROLE:
            order = (event.on.toordinal(), event.id or 0)
            return {
                DATE: f"{order[0]:08d}{order[1]:012d}",
                TYPE: rules.KIND_LABELS.get(event.kind, event.kind),
                ARR: event.arr_after_minor,
                CHANGE: row.change if row.change is not None else -(10**18),
                CURRENCY: event.currency,
                COMMENT: event.comment.lower(),
            }[column]
        if role == ID_ROLE:
            return event.id
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (ARR, CHANGE):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and event.implicit:
            return self._italic
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tip(row, column)
        return None

    def _text(self, row: ArrRow, column: int) -> str:
        event = row.event
        if column == DATE:
            return event.on.isoformat()
        if column == TYPE:
            label = rules.KIND_LABELS.get(event.kind, event.kind)
            return f"{label} (placeholder)" if event.implicit else label
        if column == ARR:
            return format_money(event.arr_after_minor, event.currency)
        if column == CHANGE:
            return rules.change_text(row.change, event.currency)
        if column == CURRENCY:
            return event.currency
        return event.comment.replace("\n", " ")

    def _tip(self, row: ArrRow, column: int) -> str | None:
        if row.event.implicit:
            return PLACEHOLDER_TIP
        if column == COMMENT and row.event.comment:
            return row.event.comment
        if row.renewal_of is not None:
            return f"The outcome of the renewal of {row.renewal_of.isoformat()}"
        if column == CHANGE and row.change is None:
            return "Unknown: no earlier event in this currency to compare with"
        return None


class _KeyProxy(QSortFilterProxyModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)


class ArrTab(QWidget):
    """The ARR history of one account."""

    changed = Signal(int)  # the account whose ARR history (and so perhaps ARR) changed

    def __init__(self, db: Database, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.today = db, today
        self.account_id: int | None = None
        self.account: Account | None = None
        self.events: list[ArrEvent] = []
        self.links: dict[int, date] = {}
        self.undo_snapshots: list[DeletedArrEvent] = []
        self._stale = False
        layout = QVBoxLayout(self)

        self.summary = QLabel()
        self.summary.setObjectName("arrSummary")
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary)
        self.same_day = note_label("warningLabel")
        self.same_day.setAccessibleName("Same-day events")
        layout.addWidget(self.same_day)

        self.model = ArrEventsModel(self)
        self.proxy = _KeyProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setObjectName("arrTable")
        self.table.setAccessibleName("ARR history")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(DATE, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        self.table.doubleClicked.connect(lambda _index: self.edit_event())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.table.installEventFilter(self)
        layout.addWidget(self.table, 1)
        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setObjectName("emptyState")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.empty, 1)

        self.undo_bar = QFrame()
        self.undo_bar.setObjectName("undoBar")
        self.undo_bar.setFrameShape(QFrame.Shape.StyledPanel)
        self.undo_bar.setStyleSheet(
            "QFrame#undoBar { background: palette(alternate-base); border: 1px solid "
            "palette(mid); border-radius: 4px; }"
        )
        bar = QHBoxLayout(self.undo_bar)
        bar.setContentsMargins(8, 2, 4, 2)
        self.undo_label = QLabel()
        self.undo_label.setObjectName("undoLabel")
        self.undo_label.setWordWrap(True)
        bar.addWidget(self.undo_label, 1)
        self.undo_button = QPushButton("&Undo")
        self.undo_button.setToolTip("Bring the deleted event back (Ctrl+Z)")
        self.undo_button.clicked.connect(self.undo_delete)
        bar.addWidget(self.undo_button)
        layout.addWidget(self.undo_bar)
        self.undo_bar.hide()

        buttons = QHBoxLayout()
        # Mnemonics that clash with neither the detail tabs nor the menus.
        self.add_button = QPushButton("A&dd event…")
        self.add_button.setToolTip("Record an ARR change: new, expansion, contraction… (Ins)")
        self.edit_button = QPushButton("Ed&it…")
        self.edit_button.setToolTip("Edit the selected event (Enter)")
        self.delete_button = QPushButton("De&lete")
        self.delete_button.setToolTip("Delete the selected event (Del); you can undo it")
        for button, slot in (
            (self.add_button, self.add_event),
            (self.edit_button, self.edit_event),
            (self.delete_button, self.delete_event),
        ):
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self._fill()

    # --- loading ------------------------------------------------------------------------------
    def set_account(self, account_id: int | None) -> None:
        if account_id != self.account_id:
            self.undo_snapshots.clear()  # an undo belongs to the account it was made on
        self.account_id = account_id
        self.account = None
        self.events, self.links = [], {}
        self.refresh()

    def refresh(self) -> None:
        """Reload; deferred until the tab is visible, like the other detail tabs."""
        if self.account_id is None:
            self._fill()
            return
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        try:
            self.account = account_service.get_account(self.db, self.account_id)
        except NotFoundError:
            self.account_id = self.account = None
            self.events, self.links = [], {}
            self._fill()
            return
        self.events = records.list_arr_events(self.db, self.account_id)
        self.links = service.renewal_links(self.db, self.account_id)
        self._fill()

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        if self._stale:
            self.refresh()

    def _fill(self, select_id: int | None = None) -> None:
        keep = select_id if select_id is not None else self.current_id()
        changes = rules.changes(self.events)
        self.model.set_rows(
            [ArrRow(e, changes.get(e.id or 0), self.links.get(e.id or 0)) for e in self.events]
        )
        has = bool(self.events)
        self.table.setVisible(has)
        self.empty.setVisible(self.account is not None and not has)
        self.summary.setVisible(self.account is not None)
        show_note(self.same_day, rules.same_day_warning(self.events))
        if self.account is not None:
            self.summary.setText(self._summary(self.account))
        if has:
            self._select(keep)
        self._update_undo()
        self._update_buttons()

    def _summary(self, account: Account) -> str:
        latest = rules.latest(self.events)
        arr = format_money(account.arr_minor, account.currency)
        if latest is None:
            return f"ARR {arr} · no events recorded"
        kind = rules.KIND_LABELS.get(latest.kind, latest.kind).lower()
        first = min(e.on for e in self.events)
        return (
            f"<b>ARR {arr}</b> · latest: {kind} on {latest.on.isoformat()} · "
            f"{plural(len(self.events), 'event')} since {first.isoformat()}"
        )

    def _select(self, event_id: int | None) -> None:
        target = 0
        if event_id is not None:
            for row in range(self.proxy.rowCount()):
                if self.proxy.index(row, 0).data(ID_ROLE) == event_id:
                    target = row
                    break
        index = self.proxy.index(target, 0)
        self.table.setCurrentIndex(index)
        self.table.selectRow(target)
        self.table.scrollTo(index)

    # --- selection ------------------------------------------------------------------------------
    def current_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        value = rows[0].data(ID_ROLE)
        return int(value) if value is not None else None

    def current_event(self) -> ArrEvent | None:
        event_id = self.current_id()
        return next((e for e in self.events if e.id == event_id), None)

    def _update_buttons(self) -> None:
        has = self.current_event() is not None
        self.add_button.setEnabled(self.account is not None)
        self.edit_button.setEnabled(has)
        self.delete_button.setEnabled(has)

    def _update_undo(self) -> None:
        if not self.undo_snapshots:
            self.undo_bar.hide()
            return
        last = self.undo_snapshots[-1]
        kind = rules.KIND_LABELS.get(last.kind, last.kind)
        amount = format_money(last.arr_after_minor, last.currency)
        text = f"Deleted the event of {last.on.isoformat()} ({kind}, {amount})"
        if last.renewal_ids:
            text += ", the outcome of a renewal"
        more = len(self.undo_snapshots) - 1
        if more:
            text += f" · {plural(more, 'earlier delete')} to undo"
        self.undo_label.setText(text + ".")
        self.undo_bar.show()

    # --- keyboard -------------------------------------------------------------------------------
    def _key_action(self, event: QKeyEvent, *, in_table: bool) -> Any:
        if event.matches(QKeySequence.StandardKey.Undo):
            return self.undo_delete if self.undo_snapshots else None
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return None
        key = Qt.Key(event.key())
        if key == Qt.Key.Key_Insert:
            return self.add_event
        if not in_table:
            return None
        return {
            Qt.Key.Key_Return: self.edit_event,
            Qt.Key.Key_Enter: self.edit_event,
            Qt.Key.Key_Delete: self.delete_event,
        }.get(key)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table and event.type() in (
            QEvent.Type.ShortcutOverride,
            QEvent.Type.KeyPress,
        ):
            assert isinstance(event, QKeyEvent)
            action = self._key_action(event, in_table=True)
            if action is not None:
                event.accept()
                if event.type() == QEvent.Type.KeyPress:
                    action()
                return True
        return super().eventFilter(watched, event)

    def event(self, event: QEvent) -> bool:
        # Keys the focused child left alone reach the tab: Ins, and Ctrl+Z while an undo is
        # pending.
        if event.type() == QEvent.Type.ShortcutOverride:
            assert isinstance(event, QKeyEvent)
            if self._key_action(event, in_table=False) is not None:
                event.accept()
                return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        action = self._key_action(event, in_table=False)
        if action is not None:
            action()
            return
        super().keyPressEvent(event)

    # --- actions --------------------------------------------------------------------------------
    def _saved(self, select_id: int | None = None) -> None:
        assert self.account_id is not None
        self.refresh()
        self._select(select_id)
        self._update_buttons()
        self.changed.emit(self.account_id)

    def _heading(self) -> str | None:
        return self.account.name if self.account is not None else None

    def add_event(self) -> None:
        account = self.account
        if account is None or account.id is None:
            return
        dialog = ArrEventDialog(
            self,
            events=self.events,
            currency=account.currency,
            today=self.today,
            heading=f"{account.name} · ARR history",
        )
        # A refusal from the service keeps the dialog and everything typed in it.
        while dialog.exec():
            values = dialog.values()
            if values is None:
                continue
            try:
                event = service.record_arr_event(
                    self.db,
                    account.id,
                    on=values.on,
                    kind=values.kind,
                    arr_after_minor=values.arr_after_minor,
                    comment=values.comment,
                )
            except ValidationError as exc:
                messages.error(self, "ARR event not saved", "\n".join(exc.errors.values()))
                continue
            self._saved(event.id)
            return

    def edit_event(self) -> None:
        event = self.current_event()
        if event is None or event.id is None or self.account is None:
            return
        dialog = ArrEventDialog(
            self,
            events=self.events,
            currency=self.account.currency,
            today=self.today,
            event=event,
            renewal_of=self.links.get(event.id),
            heading=f"{self.account.name} · {event.on.isoformat()}",
        )
        while dialog.exec():
            values = dialog.values()
            if values is None:
                continue
            try:
                service.update_arr_event(
                    self.db,
                    event.id,
                    on=values.on,
                    kind=values.kind,
                    arr_after_minor=values.arr_after_minor,
                    comment=values.comment,
                )
            except ValidationError as exc:
                messages.error(self, "ARR event not saved", "\n".join(exc.errors.values()))
                continue
            except NotFoundError:
                messages.error(self, "ARR event not saved", "This event no longer exists.")
                self.refresh()
                return
            self._saved(event.id)
            return

    def delete_event(self) -> None:
        event = self.current_event()
        if event is None or event.id is None:
            return
        try:
            snapshot = service.delete_arr_event(self.db, event.id)
        except NotFoundError:
            self.refresh()
            return
        self.undo_snapshots.append(snapshot)
        self._saved()
        self.table.setFocus()

    def undo_delete(self) -> None:
        if not self.undo_snapshots:
            return
        snapshot = self.undo_snapshots.pop()
        try:
            restored = service.restore_arr_event(self.db, snapshot)
        except (NotFoundError, ValidationError) as exc:
            log.warning("could not restore ARR event %s: %s", snapshot.uid, exc)
            messages.error(self, "Not undone", "The deleted event could not be brought back.")
            self.refresh()
            return
        self._saved(restored.id)
        self.table.setFocus()
