"""The Renewal tab of an account: where its current renewal stands (date, days left, the
preparation window, the ARR at stake), the preparation checklist, the status, recording the
outcome, and a compact history of past renewals.

The renewal record is made the first time the CSM acts on it (``ensure_renewal``), not when
the tab is only looked at. Keyboard: every control has a mnemonic or is on the Tab chain.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from csmdesk.domain.accounts import ValidationError
from csmdesk.domain.money import format_money
from csmdesk.gui import messages
from csmdesk.gui.dialog_parts import note_label, show_note
from csmdesk.gui.renewal_dialogs import (
    RecordOutcomeDialog,
    arr_change_text,
    days_left_text,
    days_phrase,
    window_text,
)
from csmdesk.models import Account, Renewal
from csmdesk.services import accounts as account_service
from csmdesk.services import records
from csmdesk.services import renewals as service
from csmdesk.services import rhythm as rhythm_service
from csmdesk.store import Database

log = logging.getLogger(__name__)
T = TypeVar("T")

# Mnemonics that clash with neither the detail tabs (O H R N T W) nor the menus (F E V G T H).
_CHECK_TEXT = {
    "confirm_stakeholders": "Confirm &stakeholders",
    "usage_review": "&Usage review",
    "value_summary": "Va&lue summary",
    "commercial_discussion": "&Commercial discussion",
}
_MUTED = "color: palette(placeholder-text);"
EMPTY_TEXT = (
    "This account has no renewal date. Set a renewal date with Edit… (Ctrl+E) to prepare its "
    "renewal here: the checklist, the status and, at the end, the outcome."
)


class RenewalTab(QWidget):
    """The current renewal of one account and its past ones."""

    changed = Signal(int)  # the account whose renewal (and so perhaps ARR) changed

    HISTORY_COLUMNS = ("Renewal", "Status", "Outcome", "ARR change", "Closed")

    def __init__(self, db: Database, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.today = db, today
        self.account_id: int | None = None
        self.account: Account | None = None
        self.renewal: Renewal | None = None
        self.past: list[Renewal] = []
        self._stale = False
        layout = QVBoxLayout(self)

        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setObjectName("emptyState")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.empty)

        self.current = QWidget()
        current = QVBoxLayout(self.current)
        current.setContentsMargins(0, 0, 0, 0)
        self.headline = QLabel()
        self.headline.setObjectName("renewalHeadline")
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        current.addWidget(self.headline)
        facts = QFormLayout()
        facts.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.date_label = self._fact(facts, "Renewal date:", "renewalDate")
        self.window_label = self._fact(facts, "Window:", "renewalWindow")
        self.arr_label = self._fact(facts, "ARR at stake:", "renewalArr")
        self.status_combo = QComboBox()
        self.status_combo.setObjectName("renewalStatus")
        self.status_combo.setAccessibleName("Renewal status")
        self.status_combo.setToolTip(
            "Renewed and churned are set by recording the outcome (Record outcome…)"
        )
        self.status_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.status_combo.activated.connect(self._status_chosen)
        status_row = QHBoxLayout()
        status_row.addWidget(self.status_combo)
        status_row.addStretch(1)
        status_label = QLabel("St&atus:")
        status_label.setBuddy(self.status_combo)
        facts.addRow(status_label, status_row)
        current.addLayout(facts)
        self.closed_label = note_label("renewalClosed")
        current.addWidget(self.closed_label)

        self.checklist_box = QGroupBox("Preparation checklist")
        grid = QGridLayout(self.checklist_box)
        grid.setColumnStretch(2, 1)
        self.checks: dict[str, QCheckBox] = {}
        self.done_labels: dict[str, QLabel] = {}
        for row, (key, label) in enumerate(service.CHECKLIST.items()):
            check = QCheckBox(_CHECK_TEXT.get(key, label))
            check.setObjectName(f"check_{key}")
            check.setAccessibleName(label)
            check.clicked.connect(lambda on, key=key: self._tick(key, on))
            done = QLabel()
            done.setObjectName(f"done_{key}")
            done.setStyleSheet(_MUTED)
            grid.addWidget(check, row, 0)
            grid.addWidget(done, row, 1)
            self.checks[key] = check
            self.done_labels[key] = done
        self.checklist_summary = QLabel()
        self.checklist_summary.setObjectName("checklistSummary")
        grid.addWidget(self.checklist_summary, len(service.CHECKLIST), 0, 1, 3)
        current.addWidget(self.checklist_box)

        buttons = QHBoxLayout()
        self.outcome_button = QPushButton("Recor&d outcome…")
        self.outcome_button.setToolTip(
            "Renewed flat, with expansion or contraction, or churned: written as an ARR event"
        )
        self.outcome_button.clicked.connect(self.record_outcome)
        buttons.addWidget(self.outcome_button)
        buttons.addStretch(1)
        current.addLayout(buttons)
        layout.addWidget(self.current)

        self.history_box = QGroupBox("Past renewals")
        history = QVBoxLayout(self.history_box)
        self.history = QTreeWidget()
        self.history.setObjectName("renewalHistory")
        self.history.setAccessibleName("Past renewals")
        self.history.setRootIsDecorated(False)
        self.history.setUniformRowHeights(True)
        self.history.setHeaderLabels(list(self.HISTORY_COLUMNS))
        self.history.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.history.header()
        header.setStretchLastSection(False)
        for column in range(len(self.HISTORY_COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.history.setMaximumHeight(150)
        history.addWidget(self.history)
        self.no_history = QLabel("No past renewals yet.")
        self.no_history.setObjectName("noHistory")
        self.no_history.setStyleSheet(_MUTED)
        history.addWidget(self.no_history)
        layout.addWidget(self.history_box)
        layout.addStretch(1)
        self._fill()

    def _fact(self, form: QFormLayout, label: str, name: str) -> QLabel:
        value = QLabel()
        value.setObjectName(name)
        value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        value.setWordWrap(True)
        form.addRow(label, value)
        return value

    # --- loading ------------------------------------------------------------------------------
    def show_account(self, account_id: int | None) -> None:
        self.account_id = account_id
        self.account = self.renewal = None
        self.past = []
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
        self.account = account_service.get_account(self.db, self.account_id)
        self.renewal = service.current_renewal(self.db, self.account_id)
        current_id = self.renewal.id if self.renewal else None
        self.past = [
            r for r in service.list_renewals(self.db, self.account_id) if r.id != current_id
        ]
        self._fill()

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        if self._stale:
            self.refresh()

    def _fill(self) -> None:
        account = self.account
        has_date = account is not None and account.renewal_date is not None
        self.empty.setVisible(account is not None and not has_date)
        self.current.setVisible(has_date)
        self.history_box.setVisible(account is not None and (has_date or bool(self.past)))
        if account is not None and account.renewal_date is not None:
            self._fill_current(account, account.renewal_date)
        self._fill_history(account)

    def _fill_current(self, account: Account, renewal_date: date) -> None:
        renewal = self.renewal
        settings = rhythm_service.load_settings(self.db)
        closed = renewal is not None and renewal.status in service.CLOSED_STATUSES
        status = renewal.status if renewal else service.OPEN_STATUSES[0]
        status_label = service.STATUS_LABELS.get(status, status)
        self.date_label.setText(
            f"{renewal_date.isoformat()} ({days_left_text(renewal_date, self.today)})"
        )
        self.arr_label.setText(format_money(account.arr_minor, account.currency))
        if closed and renewal is not None:
            self.window_label.setText("Closed")
            events = records.list_arr_events(self.db, renewal.account_id)
            event = next((e for e in events if e.id == renewal.arr_event_id), None)
            self.arr_label.setText(arr_change_text(event, events, account.currency))
            outcome = service.OUTCOME_LABELS.get(renewal.outcome or "", status_label)
            on = renewal.closed_on.isoformat() if renewal.closed_on else "—"
            text = f"Outcome recorded on {on}: {outcome}"
            if renewal.comment and renewal.comment != outcome:
                text += f" · {renewal.comment}"
            show_note(self.closed_label, html.escape(text))
        else:
            self.window_label.setText(window_text(renewal_date, self.today, settings))
            show_note(self.closed_label, "")
        left = (renewal_date - self.today).days
        self.headline.setText(
            f"<b>Renewal {html.escape(days_phrase(left))}</b> · {html.escape(status_label)}"
            if not closed
            else f"<b>Renewal of {renewal_date.isoformat()}</b> · {html.escape(status_label)}"
        )
        self.status_combo.clear()
        for value in service.OPEN_STATUSES if not closed else (status,):
            self.status_combo.addItem(service.STATUS_LABELS[value], value)
        self.status_combo.setCurrentIndex(max(0, self.status_combo.findData(status)))
        self.status_combo.setEnabled(not closed)
        done = service.checklist_of(renewal) if renewal else {}
        for key, check in self.checks.items():
            on = done.get(key)
            check.setChecked(on is not None)
            check.setEnabled(not closed)
            text = f"done {on.isoformat()}" if on else ""
            self.done_labels[key].setText(text)
            check.setAccessibleDescription(f"Done on {on.isoformat()}" if on else "Not done")
        self.checklist_summary.setText(f"{len(done)} of {len(self.checks)} done")
        self.outcome_button.setEnabled(not closed)

    def _fill_history(self, account: Account | None) -> None:
        self.history.clear()
        has = bool(self.past)
        self.history.setVisible(has)
        self.no_history.setVisible(not has)
        if account is None or not has:
            return
        assert account.id is not None
        events = records.list_arr_events(self.db, account.id)
        by_id = {e.id: e for e in events}
        for renewal in self.past:
            event = by_id.get(renewal.arr_event_id) if renewal.arr_event_id else None
            item = QTreeWidgetItem(
                [
                    renewal.renewal_date.isoformat(),
                    service.STATUS_LABELS.get(renewal.status, renewal.status),
                    service.OUTCOME_LABELS.get(renewal.outcome or "", "—"),
                    arr_change_text(event, events, account.currency),
                    renewal.closed_on.isoformat() if renewal.closed_on else "—",
                ]
            )
            if renewal.comment:
                for column in range(len(self.HISTORY_COLUMNS)):
                    item.setToolTip(column, renewal.comment)
            self.history.addTopLevelItem(item)
        rows = min(len(self.past), 4)
        row_height = max(self.history.sizeHintForRow(0), self.fontMetrics().height() + 6)
        header = self.history.header().sizeHint().height()
        self.history.setFixedHeight(header + rows * row_height + 6)

    # --- actions --------------------------------------------------------------------------------
    def _run(self, title: str, action: Callable[[], T]) -> T | None:
        try:
            return action()
        except ValidationError as exc:
            messages.error(self, title, "\n".join(exc.errors.values()))
        return None

    def _renewal_id(self, title: str) -> int | None:
        """The current renewal's record, made now if this is the first thing done to it."""
        if self.account_id is None:
            return None
        account_id = self.account_id
        renewal = self._run(title, lambda: service.ensure_renewal(self.db, account_id))
        return renewal.id if renewal is not None else None

    def _saved(self, focus: QWidget | None = None) -> None:
        assert self.account_id is not None
        self.refresh()
        if focus is not None and focus.isEnabled():
            focus.setFocus()
        self.changed.emit(self.account_id)

    def _tick(self, key: str, on: bool) -> None:
        title = "Checklist not saved"
        renewal_id = self._renewal_id(title)
        done = self.today if on else None
        saved: Any = None
        if renewal_id is not None:
            saved = self._run(
                title, lambda: service.set_checklist_item(self.db, renewal_id, key, done)
            )
        if saved is None:
            self.refresh()  # put the box back the way it is stored
            return
        log.info("renewal %s: %s %s", renewal_id, key, "ticked" if on else "unticked")
        self._saved(self.checks[key])

    def _status_chosen(self, index: int) -> None:
        status = str(self.status_combo.itemData(index))
        current = self.renewal.status if self.renewal else service.OPEN_STATUSES[0]
        if status == current:
            return
        title = "Status not saved"
        renewal_id = self._renewal_id(title)
        saved: Any = None
        if renewal_id is not None:
            saved = self._run(title, lambda: service.set_status(self.db, renewal_id, status))
        if saved is None:
            self.refresh()
            return
        self._saved(self.status_combo)

    def record_outcome(self) -> None:
        account = self.account
        if account is None or account.renewal_date is None:
            return
        title = "Outcome not recorded"
        renewal_id = self._renewal_id(title)
        if renewal_id is None:
            return
        dialog = RecordOutcomeDialog(
            self,
            renewal_date=account.renewal_date,
            arr_before_minor=account.arr_minor,
            currency=account.currency,
            today=self.today,
            heading=f"{account.name} · renewal of {account.renewal_date.isoformat()}",
        )
        # A refusal from the service keeps the dialog and everything typed in it.
        while dialog.exec():
            values = dialog.values()
            if values is None:
                continue
            try:
                outcome = service.record_outcome(
                    self.db,
                    renewal_id,
                    values.outcome,
                    values.arr_after_minor,
                    values.on,
                    comment=values.comment,
                )
            except ValidationError as exc:
                messages.error(self, title, "\n".join(exc.errors.values()))
                continue
            log.info(
                "renewal %s closed %s (ARR event %s)",
                renewal_id,
                outcome.status,
                outcome.arr_event_id,
            )
            self._saved(self.outcome_button)
            return
