"""The dialogs of the Risks tab: a risk by hand, mitigate, resolve, and turning an expansion
suggestion into an opportunity."""

from __future__ import annotations

import html
from datetime import date, timedelta

from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QSpinBox, QWidget

from csmdesk.domain.money import parse_money
from csmdesk.domain.signals import Signal as Finding
from csmdesk.gui.dialog_parts import FormDialog, date_edit, text_edit
from csmdesk.gui.widgets import get_date, mark_invalid
from csmdesk.models import Risk
from csmdesk.services import signals as signal_service


class NewRiskDialog(FormDialog):
    """A risk the CSM sees that no rule does."""

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent, "New risk", "newRiskDialog")
        self.title_edit = QLineEdit()
        self.title_edit.setAccessibleName("Risk")
        self.title_edit.setPlaceholderText("e.g. Budget freeze announced for Q1")
        self.title_edit.setMaxLength(300)
        self.severity_combo = QComboBox()
        self.severity_combo.setAccessibleName("Severity")
        for value, label in signal_service.SEVERITY_LABELS.items():
            self.severity_combo.addItem(label, value)
        self.severity_combo.setCurrentIndex(1)
        self.detail_edit = text_edit("What you know, and from whom")
        self.detail_edit.setAccessibleName("Detail")
        self.form.addRow("&Risk:", self.title_edit)
        self.form.addRow("&Severity:", self.severity_combo)
        self.form.addRow("&Detail:", self.detail_edit)
        self.finish("&Add risk")
        self.title_edit.textChanged.connect(self._check)
        self._check()

    def _check(self, *_: object) -> None:
        empty = not self.title_edit.text().strip()
        mark_invalid(self.title_edit, "Name the risk." if empty else None)
        self.ok_button.setEnabled(not empty)

    def values(self) -> tuple[str, str, str]:
        return (
            self.title_edit.text().strip(),
            str(self.severity_combo.currentData()),
            self.detail_edit.toPlainText().strip(),
        )


class MitigateDialog(FormDialog):
    """Open → mitigating: the recovery plan, and who it was escalated to."""

    def __init__(self, parent: QWidget | None, risk: Risk) -> None:
        super().__init__(
            parent, "Mitigate the risk", "mitigateDialog", width=460, heading=risk.title
        )
        self.plan_edit = text_edit("What you will do, with whom, by when", 110)
        self.plan_edit.setAccessibleName("Recovery plan")
        self.plan_edit.setPlainText(risk.recovery_plan)
        self.escalated_edit = QLineEdit(risk.escalated_to or "")
        self.escalated_edit.setAccessibleName("Escalated to")
        self.escalated_edit.setPlaceholderText("Optional: your manager, the AE, support lead…")
        self.escalated_edit.setMaxLength(120)
        self.form.addRow("Recovery &plan:", self.plan_edit)
        self.form.addRow("&Escalated to:", self.escalated_edit)
        self.finish("&Start mitigating")
        self.plan_edit.textChanged.connect(self._check)
        self._check()

    def _check(self) -> None:
        self.ok_button.setEnabled(bool(self.plan_edit.toPlainText().strip()))

    def values(self) -> tuple[str, str]:
        return self.plan_edit.toPlainText().strip(), self.escalated_edit.text().strip()


class ResolveDialog(FormDialog):
    """Resolve a risk: what happened, and how long its signal should stay quiet."""

    def __init__(self, parent: QWidget | None, risk: Risk) -> None:
        super().__init__(parent, "Resolve the risk", "resolveDialog", width=440, heading=risk.title)
        self.note_edit = text_edit("How it was resolved (optional)")
        self.note_edit.setAccessibleName("Resolution")
        self.form.addRow("&Resolution:", self.note_edit)
        self.mute_spin = QSpinBox()
        self.mute_spin.setAccessibleName("Quiet for days")
        self.mute_spin.setRange(0, 365)
        self.mute_spin.setSuffix(" days")
        self.mute_spin.setValue(signal_service.RESOLVE_MUTE_DAYS)
        self.mute_spin.setToolTip(
            "The rule that found this risk will not reopen it for this long, unless it gets "
            "more severe. 0: it may reopen tomorrow."
        )
        if risk.kind != signal_service.MANUAL_KIND:
            self.form.addRow("Keep the signal &quiet for:", self.mute_spin)
        else:
            self.mute_spin.hide()
        self.finish("&Resolve")

    def values(self) -> tuple[str, int]:
        return self.note_edit.toPlainText().strip(), self.mute_spin.value()


class AcceptDialog(FormDialog):
    """Turn an expansion suggestion into an Opportunity."""

    def __init__(
        self, parent: QWidget | None, finding: Finding, currency: str, today: date
    ) -> None:
        super().__init__(parent, "Create an opportunity", "acceptDialog", width=440)
        self.currency = currency
        why = QLabel(html.escape(finding.detail))
        why.setWordWrap(True)
        self.outer.insertWidget(0, why)
        self.title_edit = QLineEdit(finding.title)
        self.title_edit.setAccessibleName("Opportunity")
        self.title_edit.setMaxLength(300)
        self.amount_edit = QLineEdit()
        self.amount_edit.setAccessibleName("Amount")
        self.amount_edit.setPlaceholderText(f"Estimated ARR in {currency} (optional)")
        self.close_edit = date_edit(today + timedelta(days=90), optional="Not set")
        self.close_edit.setAccessibleName("Expected close")
        self.form.addRow("&Opportunity:", self.title_edit)
        self.form.addRow("&Amount:", self.amount_edit)
        self.form.addRow("Expected &close:", self.close_edit)
        self.finish("&Create opportunity")
        self.title_edit.textChanged.connect(self._check)
        self.amount_edit.textChanged.connect(self._check)
        self._amount: int | None = 0
        self._check()

    def _check(self, *_: object) -> None:
        text = self.amount_edit.text().strip()
        error = None
        self._amount = 0
        if text:
            try:
                self._amount, currency = parse_money(text, self.currency)
            except ValueError as exc:
                self._amount, error = None, f"{str(exc)[:1].upper()}{str(exc)[1:]}."
            else:
                if currency != self.currency:
                    self._amount = None
                    error = f"The account is in {self.currency}; enter the amount in it."
        mark_invalid(self.amount_edit, error)
        self.error_label.setText(error or "")
        ok = self._amount is not None and bool(self.title_edit.text().strip())
        self.ok_button.setEnabled(ok)

    def values(self) -> tuple[str, int, date | None]:
        return self.title_edit.text().strip(), self._amount or 0, get_date(self.close_edit)
