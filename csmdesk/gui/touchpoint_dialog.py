"""Log a touchpoint: kind, when, a one-line summary (and how long, if it was a call)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from PySide6.QtCore import QDate, QDateTime, QTime
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from csmdesk.gui.widgets import mark_invalid
from csmdesk.models import TouchpointKind

KIND_LABELS = {
    TouchpointKind.CALL.value: "Call",
    TouchpointKind.MEETING.value: "Meeting",
    TouchpointKind.CHECK_IN.value: "Check-in",
    TouchpointKind.EMAIL.value: "Email",
    TouchpointKind.QBR.value: "QBR",
    TouchpointKind.EBR.value: "EBR",
    TouchpointKind.TRAINING.value: "Training",
}


class TouchpointDialog(QDialog):
    def __init__(
        self,
        parent: QWidget | None,
        account_name: str,
        *,
        today: date,
        now: datetime | None = None,
        kind: str = TouchpointKind.CALL.value,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Log a touchpoint — {account_name}")
        self.setObjectName("touchpointDialog")
        self.setMinimumWidth(440)
        self.today = today
        layout = QVBoxLayout(self)
        form = QFormLayout()
        layout.addLayout(form)
        self.kind_combo = QComboBox()
        self.kind_combo.setAccessibleName("Kind")
        for value, label in KIND_LABELS.items():
            self.kind_combo.addItem(label, value)
        self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(kind)))
        local = (now or datetime.now(UTC)).astimezone()
        if local.date() != today:  # a window left open overnight, or a test's fixed day
            local = datetime.combine(today, time(12, 0)).astimezone()
        self.when_edit = QDateTimeEdit(
            QDateTime(QDate(local.year, local.month, local.day), QTime(local.hour, local.minute))
        )
        self.when_edit.setCalendarPopup(True)
        self.when_edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.when_edit.setAccessibleName("When")
        self.summary_edit = QLineEdit()
        self.summary_edit.setAccessibleName("Summary")
        self.summary_edit.setPlaceholderText("One line: what was it about?")
        self.summary_edit.setMaxLength(500)
        self.duration_spin = QSpinBox()
        self.duration_spin.setAccessibleName("Duration")
        self.duration_spin.setRange(0, 600)
        self.duration_spin.setSingleStep(15)
        self.duration_spin.setSuffix(" min")
        self.duration_spin.setSpecialValueText("—")
        form.addRow("&Kind:", self.kind_combo)
        form.addRow("&When:", self.when_edit)
        form.addRow("&Summary:", self.summary_edit)
        form.addRow("&Duration:", self.duration_spin)
        self.error_label = QLabel()
        self.error_label.setObjectName("errorLabel")
        layout.addWidget(self.error_label)
        box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = box.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("&Log touchpoint")
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        layout.addWidget(box)
        self.when_edit.dateTimeChanged.connect(self._check)
        self._check()
        self.summary_edit.setFocus()

    def occurred_at(self) -> datetime:
        value = self.when_edit.dateTime()
        d, t = value.date(), value.time()
        local = datetime(d.year(), d.month(), d.day(), t.hour(), t.minute()).astimezone()
        return local.astimezone(UTC)

    def _check(self, *_: object) -> None:
        late = self.occurred_at().astimezone().date() > self.today
        message = "A touchpoint cannot be in the future." if late else None
        mark_invalid(self.when_edit, message)
        self.error_label.setText(message or "")
        self.save_button.setEnabled(not late)

    def values(self) -> tuple[str, datetime, str, int | None]:
        minutes = self.duration_spin.value() or None
        return (
            str(self.kind_combo.currentData()),
            self.occurred_at(),
            self.summary_edit.text().strip(),
            minutes,
        )
