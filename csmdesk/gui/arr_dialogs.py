"""The dialog of the ARR tab: add or edit one ARR event (date, type, ARR after it, comment).

Checked as the CSM types with the domain's own rule (``domain.arr_history.arr_event_errors``),
so what OK accepts the service accepts. Softer things are said, not refused: another event on
the same day (the later-entered one wins), an expansion that lowers the ARR, a placeholder the
new event replaces, an event that records a renewal's outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QWidget

from csmdesk.domain import arr_history as rules
from csmdesk.domain.money import MoneyError, format_amount, format_money, parse_money
from csmdesk.gui.dialog_parts import FormDialog, date_edit, note_label, qdate, show_note, text_edit
from csmdesk.gui.widgets import get_date, mark_invalid
from csmdesk.models import ArrEvent, ArrEventKind


@dataclass(frozen=True)
class ArrEventValues:
    on: date
    kind: str
    arr_after_minor: int
    comment: str


class ArrEventDialog(FormDialog):
    """Add (``event=None``) or edit one event of an account's ARR history."""

    def __init__(
        self,
        parent: QWidget | None,
        *,
        events: Sequence[ArrEvent],
        currency: str,
        today: date,
        event: ArrEvent | None = None,
        renewal_of: date | None = None,
        heading: str | None = None,
    ) -> None:
        super().__init__(
            parent,
            "Edit ARR event" if event is not None else "Add ARR event",
            "arrEventDialog",
            width=460,
            heading=heading,
        )
        self.events = list(events)
        self.event = event
        self.currency = event.currency if event is not None else currency
        self.today = today
        self.renewal_of = renewal_of
        self._values: ArrEventValues | None = None
        self._typed = ""  # what the ARR field held before churn set it to 0

        self.date_edit = date_edit(event.on if event is not None else today)
        self.date_edit.setMaximumDate(qdate(max(today, event.on) if event else today))
        self.date_edit.setAccessibleName("Event date")
        self.date_edit.setToolTip("The day the ARR changed (today at the latest)")
        self.kind_combo = QComboBox()
        self.kind_combo.setAccessibleName("Event type")
        for value, label in rules.KIND_LABELS.items():
            self.kind_combo.addItem(label, value)
        self.arr_edit = QLineEdit()
        self.arr_edit.setAccessibleName("ARR after the event")
        self.arr_edit.setToolTip(f"The ARR once this event happened, in {self.currency}")
        current = rules.latest(self.events)
        example = current.arr_after_minor if current is not None else 0
        self.arr_edit.setPlaceholderText(f"e.g. {format_amount(example or 120_000_00, currency)}")
        arr_row = QHBoxLayout()
        arr_row.addWidget(self.arr_edit, 1)
        currency_label = QLabel(self.currency)
        currency_label.setObjectName("arrCurrency")
        arr_row.addWidget(currency_label)
        self.before_label = QLabel()
        self.before_label.setObjectName("arrBefore")
        self.comment_edit = text_edit("What happened: seats added, a module dropped… (optional)")
        self.comment_edit.setAccessibleName("Comment")
        self.form.addRow("&Date:", self.date_edit)
        self.form.addRow("&Type:", self.kind_combo)
        arr_label = QLabel("&ARR after:")
        arr_label.setBuddy(self.arr_edit)
        self.form.addRow(arr_label, arr_row)
        self.form.addRow("", self.before_label)
        self.form.addRow("&Comment:", self.comment_edit)
        self.warning_label = note_label("warningLabel")
        self.outer.addWidget(self.warning_label)
        self.consequence_label = note_label("arrConsequence")
        self.outer.addWidget(self.consequence_label)
        self.finish("&Save" if event is not None else "&Add event")

        if event is not None:
            self.set_kind(event.kind)
            self.arr_edit.setText(format_amount(event.arr_after_minor, self.currency))
            self.comment_edit.setPlainText(event.comment)
        else:
            self.set_kind(ArrEventKind.EXPANSION.value if self.events else ArrEventKind.NEW.value)
        self.kind_combo.currentIndexChanged.connect(self._kind_changed)
        self.arr_edit.textChanged.connect(self._check)
        self.date_edit.dateChanged.connect(self._check)
        self._kind_changed()
        self.arr_edit.setFocus()
        self.arr_edit.selectAll()

    # --- reading ---------------------------------------------------------------------------
    def kind(self) -> str:
        return str(self.kind_combo.currentData())

    def set_kind(self, kind: str) -> None:
        self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(kind)))

    def _kind_changed(self, *_: object) -> None:
        churn = self.kind() == ArrEventKind.CHURN.value
        if churn:
            self._typed = self.arr_edit.text()
            self.arr_edit.setText("0")
        elif not self.arr_edit.isEnabled():
            self.arr_edit.setText(self._typed)
        self.arr_edit.setEnabled(not churn)
        self._check()

    def _others(self) -> list[ArrEvent]:
        """The history without the event being edited, and without the placeholders a new
        event would replace."""
        if self.event is not None:
            return [e for e in self.events if e.id != self.event.id]
        on = get_date(self.date_edit)
        assert on is not None
        gone = {e.id for e in rules.placeholders_replaced(self.events, on)}
        return [e for e in self.events if e.id not in gone]

    def _before(self, on: date) -> ArrEvent | None:
        """The event just before this one once saved (a new one goes after its day's others)."""
        mine = self.event.id if self.event is not None and self.event.id else None
        earlier = [
            e
            for e in self._others()
            if e.on < on or (e.on == on and (mine is None or (e.id or 0) < mine))
        ]
        found = rules.latest(earlier)
        return found if isinstance(found, ArrEvent) else None

    def _read(self) -> tuple[ArrEventValues | None, str]:
        """The values and no error, or ``None`` and the reason fit for the CSM."""
        kind = self.kind()
        on = get_date(self.date_edit)
        assert on is not None
        text = self.arr_edit.text().strip()
        if not text:
            return None, "ARR after: give the ARR once this event happened (0 after a churn)."
        try:
            arr, typed = parse_money(text, self.currency)
        except MoneyError as exc:
            return None, f"ARR after: {exc}."
        if typed != self.currency:
            return None, f"ARR after: give it in {self.currency}, the currency of this history."
        errors = rules.arr_event_errors(kind, arr, on, today=max(self.today, self._max_day()))
        if errors:
            return None, "\n".join(errors.values())
        comment = self.comment_edit.toPlainText().strip()
        return ArrEventValues(on, kind, arr, comment), ""

    def _max_day(self) -> date:
        return self.event.on if self.event is not None else self.today

    def _check(self, *_: object) -> None:
        values, error = self._read()
        self._values = values
        on = get_date(self.date_edit)
        assert on is not None
        before = self._before(on)
        self.before_label.setText(
            f"Before: {format_money(before.arr_after_minor, before.currency)} "
            f"({rules.KIND_LABELS.get(before.kind, before.kind)}, {before.on.isoformat()})"
            if before is not None
            else "Before: no ARR recorded yet"
        )
        mark_invalid(self.arr_edit, error or None)
        self.error_label.setText(error)
        self.error_label.setVisible(bool(error))
        self.ok_button.setEnabled(values is not None)
        show_note(self.warning_label, "\n".join(self._warnings(values, on, before)))
        show_note(self.consequence_label, self._consequence(values))

    def _warnings(
        self, values: ArrEventValues | None, on: date, before: ArrEvent | None
    ) -> list[str]:
        editing = self.event.id if self.event is not None else None
        lines = [rules.clash_warning(self._others(), on, editing_id=editing)]
        if values is not None:
            base = before.arr_after_minor if before is not None else None
            lines.append(
                rules.direction_warning(values.kind, base, values.arr_after_minor, self.currency)
            )
        if self.event is None:
            for gone in rules.placeholders_replaced(self.events, on):
                lines.append(
                    f"The placeholder of {gone.on.isoformat()} "
                    f"({format_money(gone.arr_after_minor, gone.currency)}) gives way to the "
                    "history you record."
                )
        elif self.event.implicit:
            lines.append("Saving confirms this placeholder as a recorded event.")
        if self.renewal_of is not None:
            lines.append(
                f"This event records the outcome of the renewal of {self.renewal_of.isoformat()}; "
                "the renewal keeps its outcome."
            )
        return [line for line in lines if line]

    def _consequence(self, values: ArrEventValues | None) -> str:
        if values is None:
            return ""
        mine = self.event.id if self.event is not None else None
        rank = (values.on, mine if mine is not None else 1 << 62)
        later = [e for e in self._others() if (e.on, e.id or 0) > rank]
        winner = rules.latest(later)
        if winner is not None:
            return (
                f"The account's ARR stays {format_money(winner.arr_after_minor, winner.currency)}"
                f": a later event sets it ({rules.KIND_LABELS.get(winner.kind, winner.kind)}, "
                f"{winner.on.isoformat()})."
            )
        now = rules.latest(self.events)
        same = now is not None and now.arr_after_minor == values.arr_after_minor
        amount = format_money(values.arr_after_minor, self.currency)
        return f"The account's ARR {'stays' if same else 'becomes'} {amount}."

    def values(self) -> ArrEventValues | None:
        """The validated values, or ``None`` while the form is invalid."""
        return self._values

    def accept(self) -> None:
        self._check()
        if self._values is not None:
            super().accept()
