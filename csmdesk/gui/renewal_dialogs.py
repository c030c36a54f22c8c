"""The dialog of the Renewal tab, recording a renewal's outcome (flat, expansion, contraction or
churn), which the service writes as an ARR event and which closes the renewal; and the wording
of days, preparation windows and ARR changes the tab shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QWidget

from csmdesk.domain import rhythm
from csmdesk.domain.accounts import ValidationError
from csmdesk.domain.health import MINUS
from csmdesk.domain.money import MoneyError, format_amount, format_money, parse_money
from csmdesk.domain.rhythm import RhythmSettings, add_months
from csmdesk.gui.dialog_parts import (
    FormDialog,
    date_edit,
    note_label,
    plural,
    qdate,
    show_note,
    text_edit,
)
from csmdesk.gui.widgets import get_date, mark_invalid
from csmdesk.models import ArrEvent
from csmdesk.services import renewals as service

# The outcomes that need the CSM to say what the ARR becomes.
_NEW_ARR = (service.EXPANSION, service.CONTRACTION)


# --- wording shared by the tab and the dialog ---------------------------------------------


def days_phrase(days: int) -> str:
    """``in 7 days``, ``tomorrow``, ``today``, ``yesterday``, ``5 days ago``."""
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "yesterday"
    return f"in {days} days" if days > 0 else f"{-days} days ago"


def days_left_text(renewal_date: date, today: date) -> str:
    left = (renewal_date - today).days
    if left == 0:
        return "renews today"
    if left > 0:
        return f"{plural(left, 'day')} left"
    return f"{plural(-left, 'day')} ago"


def window_text(renewal_date: date, today: date, settings: RhythmSettings) -> str:
    """Which preparation window the renewal is in, in words (rules in ``domain.rhythm``)."""
    left = (renewal_date - today).days
    if left < 0:
        return f"Passed, no outcome recorded ({days_phrase(left)})"
    window = rhythm.renewal_window(renewal_date, today, settings.renewal_windows)
    if window is not None:
        text = f"In the {window.days}-day window (since {window.entered_on.isoformat()})"
        smaller = [w for w in settings.renewal_windows if w < window.days]
        if smaller:
            nxt = max(smaller)
            text += f" · {nxt}-day window on {(renewal_date - timedelta(days=nxt)).isoformat()}"
        return text
    widest = max(settings.renewal_windows)
    opens = renewal_date - timedelta(days=widest)
    if rhythm.in_prep_window(renewal_date, today, settings.renewal_prep_days):
        return f"Preparation open · the {widest}-day window opens on {opens.isoformat()}"
    prep = renewal_date - timedelta(days=settings.renewal_prep_days)
    return f"Prep opens on {prep.isoformat()} ({days_phrase((prep - today).days)})"


def arr_change_text(event: ArrEvent | None, events: list[ArrEvent], currency: str) -> str:
    """``+$20,000 → $140,000`` for the outcome's ARR event, against the event before it.

    With no event before it (the placeholder made with the account gives way to the first
    recorded one) the size of the change is unknown, so only its direction is said."""
    if event is None:
        return "—"
    after = format_money(event.arr_after_minor, currency)
    if event.kind == "renewal":
        return f"No change ({after})"
    earlier = [
        e for e in events if e.id != event.id and (e.on, e.id or 0) < (event.on, event.id or 0)
    ]
    if not earlier:
        return f"{'Up' if event.kind == 'expansion' else 'Down'} to {after}"
    change = event.arr_after_minor - earlier[-1].arr_after_minor
    if change == 0:
        return f"No change ({after})"
    sign = "+" if change > 0 else MINUS
    return f"{sign}{format_money(abs(change), currency)} → {after}"


@dataclass(frozen=True)
class OutcomeValues:
    outcome: str
    arr_after_minor: int | None  # None: the service's own (flat keeps the ARR, churn is 0)
    on: date
    comment: str


class RecordOutcomeDialog(FormDialog):
    """The outcome, the ARR after it (expansion/contraction), the day and a comment.

    Checked as the CSM types with the service's own rule, so what OK accepts the service
    accepts; the reason for a refusal stays on screen under the form."""

    def __init__(
        self,
        parent: QWidget | None,
        *,
        renewal_date: date,
        arr_before_minor: int,
        currency: str,
        today: date,
        heading: str | None = None,
    ) -> None:
        super().__init__(
            parent,
            "Record the renewal outcome",
            "recordOutcomeDialog",
            width=460,
            heading=heading or f"Renewal of {renewal_date.isoformat()}",
        )
        self.renewal_date = renewal_date
        self.arr_before = arr_before_minor
        self.currency = currency
        self._values: OutcomeValues | None = None

        self.outcome_combo = QComboBox()
        self.outcome_combo.setAccessibleName("Outcome")
        for value, label in service.OUTCOME_LABELS.items():
            self.outcome_combo.addItem(label, value)
        self.arr_edit = QLineEdit()
        self.arr_edit.setAccessibleName("New ARR")
        self.arr_edit.setPlaceholderText(f"e.g. {format_amount(arr_before_minor or 0, currency)}")
        self.current_label = QLabel(f"Current ARR: {format_money(arr_before_minor, currency)}")
        self.current_label.setObjectName("currentArr")
        self.date_edit = date_edit(today)
        self.date_edit.setMaximumDate(qdate(today))
        self.date_edit.setAccessibleName("Outcome date")
        self.date_edit.setToolTip(
            "The day it was signed, or the customer said no (today at the latest)"
        )
        self.comment_edit = text_edit("What was agreed, or why they left (optional)")
        self.comment_edit.setAccessibleName("Comment")
        self.form.addRow("&Outcome:", self.outcome_combo)
        self.form.addRow("&New ARR:", self.arr_edit)
        self.form.addRow("", self.current_label)
        self.form.addRow("&Date:", self.date_edit)
        self.form.addRow("&Comment:", self.comment_edit)
        self.consequence_label = note_label("warningLabel")
        self.outer.addWidget(self.consequence_label)
        self.finish("&Record outcome")
        self.outcome_combo.currentIndexChanged.connect(self._outcome_changed)
        self.arr_edit.textChanged.connect(self._check)
        self.date_edit.dateChanged.connect(self._check)
        self._outcome_changed()

    def outcome(self) -> str:
        return str(self.outcome_combo.currentData())

    def set_outcome(self, outcome: str) -> None:
        self.outcome_combo.setCurrentIndex(max(0, self.outcome_combo.findData(outcome)))

    def _outcome_changed(self, *_: object) -> None:
        outcome = self.outcome()
        editable = outcome in _NEW_ARR
        self.arr_edit.setEnabled(editable)
        if outcome == service.FLAT:
            self.arr_edit.setText(format_amount(self.arr_before, self.currency))
        elif outcome == service.CHURN:
            self.arr_edit.setText("0")
        elif not self.arr_edit.isModified():
            self.arr_edit.clear()
        self._check()

    def _read(self) -> tuple[OutcomeValues | None, str]:
        """The values and no error, or ``None`` and the reason fit for the CSM."""
        outcome = self.outcome()
        after: int | None = None
        if outcome in _NEW_ARR and self.arr_edit.text().strip():
            try:
                after, typed = parse_money(self.arr_edit.text(), self.currency)
            except MoneyError as exc:
                return None, f"New ARR: {exc}."
            if typed != self.currency:
                return None, f"New ARR: give it in {self.currency}, the account's currency."
        try:
            service.check_outcome(outcome, self.arr_before, after)
        except ValidationError as exc:
            return None, "\n".join(exc.errors.values())
        on = get_date(self.date_edit)
        assert on is not None
        comment = self.comment_edit.toPlainText().strip()
        return OutcomeValues(outcome, after, on, comment), ""

    def _check(self, *_: object) -> None:
        values, error = self._read()
        self._values = values
        mark_invalid(self.arr_edit, error or None)
        self.error_label.setText(error)
        self.error_label.setVisible(bool(error))
        self.ok_button.setEnabled(values is not None)
        if values is None:
            show_note(self.consequence_label, "")
        elif values.outcome == service.CHURN:
            show_note(
                self.consequence_label,
                "The account becomes churned and its ARR "
                f"{format_money(0, self.currency)} (from "
                f"{format_money(self.arr_before, self.currency)}).",
            )
        else:
            after = self.arr_before if values.arr_after_minor is None else values.arr_after_minor
            change = after - self.arr_before
            sign = "+" if change > 0 else MINUS if change < 0 else "±"
            show_note(
                self.consequence_label,
                f"ARR {format_money(after, self.currency)} ({sign}"
                f"{format_money(abs(change), self.currency)}); the next renewal is set to "
                f"{add_months(self.renewal_date, 12).isoformat()}.",
            )

    def values(self) -> OutcomeValues | None:
        """The validated values, or ``None`` while the form is invalid."""
        return self._values

    def accept(self) -> None:
        self._check()
        if self._values is not None:
            super().accept()
