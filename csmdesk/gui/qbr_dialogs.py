"""The two small questions of the QBR tab: which review to draft, and when it was held."""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import QComboBox, QWidget

from csmdesk.domain.reviews import kind_label, period_of, shift_period
from csmdesk.domain.rhythm import REVIEW_KINDS
from csmdesk.gui.dialog_parts import FormDialog, date_edit, qdate
from csmdesk.gui.widgets import get_date


class NewReviewDialog(FormDialog):
    """Kind (the rhythm's choice for the segment first) and quarter (this one by default)."""

    def __init__(self, parent: QWidget | None, today: date, kind: str, account: str) -> None:
        super().__init__(parent, "New QBR/EBR", "newReviewDialog", heading=account)
        self.kind_combo = QComboBox()
        self.kind_combo.setAccessibleName("Review kind")
        for value in REVIEW_KINDS:
            self.kind_combo.addItem(kind_label(value), value)
        self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(kind)))
        self.period_combo = QComboBox()
        self.period_combo.setAccessibleName("Quarter")
        current = period_of(today)
        for shift in (-1, 0, 1):
            period = shift_period(current, shift)
            label = {-1: "last quarter", 0: "this quarter", 1: "next quarter"}[shift]
            self.period_combo.addItem(f"{period} ({label})", period)
        self.period_combo.setCurrentIndex(1)
        self.form.addRow("&Kind:", self.kind_combo)
        self.form.addRow("&Quarter:", self.period_combo)
        self.finish("Draft it")

    def values(self) -> tuple[str, str]:
        return self.kind_combo.currentData(), self.period_combo.currentData()


class HeldDialog(FormDialog):
    """The day the review took place (today by default, never in the future)."""

    def __init__(self, parent: QWidget | None, today: date, held_on: date | None) -> None:
        super().__init__(parent, "Mark held", "heldDialog")
        self.date = date_edit(held_on or today)
        self.date.setAccessibleName("Held on")
        self.date.setMaximumDate(qdate(today))
        self.form.addRow("&Held on:", self.date)
        self.finish("Mark held")

    def value(self) -> date:
        return get_date(self.date) or date.today()
