"""New / Edit Account: validates as you type, Save stays disabled until the form is valid.

Editing an account's ARR asks how to record the change (the form's one dynamic part, built in
code): as an expansion or a contraction (a movement, dated today, in the ARR history), or as a
correction (the latest ARR event is amended; no movement). ``arr_change()`` gives the answer in
the words of ``accounts.update_account(arr_change=...)``.
"""

from __future__ import annotations

from itertools import pairwise

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from csmdesk.domain.accounts import (
    LIFECYCLE_LABELS,
    SEGMENT_LABELS,
    AccountDraft,
    normalize_domain,
    normalize_tags,
    parse_seats,
    validate_account,
)
from csmdesk.domain.health import MINUS
from csmdesk.domain.money import MoneyError, format_amount, format_money, parse_money
from csmdesk.domain.rhythm import REVIEW_KINDS, REVIEW_LABELS
from csmdesk.gui.forms.ui_account_dialog import Ui_AccountDialog
from csmdesk.gui.widgets import get_date, make_optional, mark_invalid, set_date
from csmdesk.models import Lifecycle, Segment

CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD", "CHF", "JPY", "INR", "SEK")
EXPANSION, CONTRACTION, CORRECTION = "expansion", "contraction", "correction"


class AccountDialog(QDialog):
    """Edits an :class:`AccountDraft`; ``domain_check`` names another account using a domain."""

    def __init__(
        self,
        parent: QWidget | None = None,
        draft: AccountDraft | None = None,
        domain_check: object = None,
    ) -> None:
        super().__init__(parent)
        self.ui = Ui_AccountDialog()
        self.ui.setupUi(self)
        self._domain_check = domain_check
        self._draft: AccountDraft | None = None
        self._original = draft
        ui = self.ui
        self.setWindowTitle("New account" if draft is None else f"Edit {draft.name}")
        for segment in Segment:
            ui.segmentCombo.addItem(SEGMENT_LABELS[segment], segment.value)
        for stage in Lifecycle:
            ui.lifecycleCombo.addItem(LIFECYCLE_LABELS[stage], stage.value)
        ui.currencyCombo.addItems(CURRENCIES)
        ui.reviewCombo.addItem("By segment", None)
        for kind in REVIEW_KINDS:
            ui.reviewCombo.addItem(REVIEW_LABELS[kind], kind)
        make_optional(ui.contractStartEdit)
        make_optional(ui.renewalEdit)
        ui.errorLabel.setObjectName("errorLabel")
        ui.warningLabel.setObjectName("warningLabel")
        self.save_button = ui.buttonBox.button(QDialogButtonBox.StandardButton.Save)
        ui.buttonBox.accepted.connect(self.accept)
        ui.buttonBox.rejected.connect(self.reject)
        self._build_arr_change()
        if draft is not None:
            self._load(draft)
        for edit in (
            ui.nameEdit,
            ui.domainEdit,
            ui.arrEdit,
            ui.seatsEdit,
            ui.industryEdit,
            ui.ownerEdit,
            ui.tagsEdit,
        ):
            edit.textChanged.connect(self._revalidate)
        ui.currencyCombo.currentTextChanged.connect(self._revalidate)
        ui.segmentCombo.currentIndexChanged.connect(self._revalidate)
        ui.lifecycleCombo.currentIndexChanged.connect(self._revalidate)
        ui.contractStartEdit.dateChanged.connect(self._revalidate)
        ui.renewalEdit.dateChanged.connect(self._revalidate)
        ui.paymentIssueCheck.toggled.connect(self._revalidate)
        ui.cadenceSpin.valueChanged.connect(self._revalidate)
        ui.reviewCombo.currentIndexChanged.connect(self._revalidate)
        self._revalidate()
        ui.nameEdit.setFocus()

    def _build_arr_change(self) -> None:
        """The question shown under the ARR while it differs from the saved one."""
        ui = self.ui
        box = QWidget()
        box.setObjectName("arrChangeBox")
        box.setAccessibleName("How to record the ARR change")
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("Record as:"))
        self.arr_change_group = QButtonGroup(self)
        self.arr_change_buttons: dict[str, QRadioButton] = {}
        for kind, text, tip in (
            (EXPANSION, "E&xpansion", "The customer now pays more: a movement in the history"),
            (CONTRACTION, "&Contraction", "The customer now pays less: a movement in the history"),
            (CORRECTION, "Correction (a&mend)", "The ARR was mistyped: amend the latest event"),
        ):
            button = QRadioButton(text)
            button.setObjectName(f"arrChange_{kind}")
            button.setToolTip(tip)
            self.arr_change_group.addButton(button)
            self.arr_change_buttons[kind] = button
            row.addWidget(button)
            button.toggled.connect(self._describe_arr_change)
        row.addStretch(1)
        column.addLayout(row)
        self.arr_change_hint = QLabel()
        self.arr_change_hint.setObjectName("arrChangeHint")
        self.arr_change_hint.setWordWrap(True)
        self.arr_change_hint.setStyleSheet("color: palette(placeholder-text);")
        column.addWidget(self.arr_change_hint)
        self.arr_change_box = box
        ui.formLayout.insertRow(ui.formLayout.getWidgetPosition(ui.contractStartEdit)[0], "", box)
        self._arr_change_row = ui.formLayout.getWidgetPosition(box)[0]
        ui.formLayout.setRowVisible(self._arr_change_row, False)
        chain = [ui.currencyCombo, *self.arr_change_buttons.values(), ui.contractStartEdit]
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)
        self._arr_before: int | None = None
        self._arr_after: int | None = None

    def _show_arr_change(self, draft: AccountDraft | None) -> None:
        original = self._original
        after = draft.arr_minor if draft is not None else None
        changed = original is not None and after is not None and after != original.arr_minor
        was_shown = self._arr_after is not None
        self.ui.formLayout.setRowVisible(self._arr_change_row, changed)
        if not changed or original is None or after is None:
            self._arr_before = self._arr_after = None
            return
        before = original.arr_minor
        up = after > before
        self._arr_before, self._arr_after = before, after
        self.arr_change_buttons[EXPANSION].setEnabled(up)
        self.arr_change_buttons[CONTRACTION].setEnabled(not up)
        checked = self.arr_change_group.checkedButton()
        if not was_shown or checked is None or not checked.isEnabled():
            self.arr_change_buttons[EXPANSION if up else CONTRACTION].setChecked(True)
        self._describe_arr_change()

    def _describe_arr_change(self, *_: object) -> None:
        before, after, kind = self._arr_before, self._arr_after, self.arr_change()
        if before is None or after is None or kind is None:
            self.arr_change_hint.setText("")
            return
        currency = self._draft.currency if self._draft is not None else "USD"
        if kind == CORRECTION:
            text = (
                f"The latest ARR event is amended to {format_money(after, currency)}; "
                "no expansion or contraction is recorded."
            )
        else:
            change = after - before
            sign = "+" if change > 0 else MINUS
            what = "churn" if after == 0 else "reactivation" if before == 0 else kind
            text = (
                f"Recorded today as {'an' if what[0] in 'aeiou' else 'a'} {what} "
                f"({sign}{format_money(abs(change), currency)}); to date it otherwise, use the "
                "ARR tab."
            )
        self.arr_change_hint.setText(text)

    def arr_change(self) -> str | None:
        """How to record the changed ARR (``expansion``, ``contraction`` or ``correction``, as
        ``update_account(arr_change=...)`` takes it), or ``None`` while the ARR is unchanged."""
        if self._arr_after is None:
            return None
        for kind, button in self.arr_change_buttons.items():
            if button.isChecked() and button.isEnabled():
                return kind
        return None

    def _load(self, draft: AccountDraft) -> None:
        ui = self.ui
        ui.nameEdit.setText(draft.name)
        ui.domainEdit.setText(draft.domain or "")
        ui.segmentCombo.setCurrentIndex(max(0, ui.segmentCombo.findData(draft.segment)))
        ui.lifecycleCombo.setCurrentIndex(max(0, ui.lifecycleCombo.findData(draft.lifecycle)))
        ui.industryEdit.setText(draft.industry or "")
        if draft.arr_minor:
            ui.arrEdit.setText(format_amount(draft.arr_minor, draft.currency))
        ui.currencyCombo.setCurrentText(draft.currency)
        set_date(ui.contractStartEdit, draft.contract_start)
        set_date(ui.renewalEdit, draft.renewal_date)
        ui.seatsEdit.setText("" if draft.licensed_seats is None else str(draft.licensed_seats))
        ui.ownerEdit.setText(draft.owner or "")
        ui.tagsEdit.setText(", ".join(draft.tags))
        ui.paymentIssueCheck.setChecked(draft.payment_issue)
        ui.cadenceSpin.setValue(draft.cadence_days or 0)  # 0 shows as "By segment"
        ui.reviewCombo.setCurrentIndex(max(0, ui.reviewCombo.findData(draft.review_kind)))

    def _read(self) -> tuple[AccountDraft | None, dict[str, str]]:
        ui = self.ui
        errors: dict[str, str] = {}
        currency = ui.currencyCombo.currentText().strip().upper() or "USD"
        arr_minor = 0
        try:
            arr_minor, typed_currency = parse_money(ui.arrEdit.text(), currency)
            if typed_currency != currency and ui.arrEdit.text().strip():
                currency = typed_currency
        except MoneyError as exc:
            errors["arr"] = f"ARR: {exc}."
        seats = None
        try:
            seats = parse_seats(ui.seatsEdit.text())
        except ValueError as exc:
            errors["licensed_seats"] = f"Seats: {exc}."
        draft = AccountDraft(
            name=ui.nameEdit.text(),
            domain=ui.domainEdit.text(),
            segment=ui.segmentCombo.currentData(),
            industry=ui.industryEdit.text(),
            arr_minor=arr_minor,
            currency=currency,
            contract_start=get_date(ui.contractStartEdit),
            renewal_date=get_date(ui.renewalEdit),
            lifecycle=ui.lifecycleCombo.currentData(),
            licensed_seats=seats,
            owner=ui.ownerEdit.text(),
            tags=normalize_tags(ui.tagsEdit.text()),
            payment_issue=ui.paymentIssueCheck.isChecked(),
            cadence_days=ui.cadenceSpin.value() or None,
            review_kind=ui.reviewCombo.currentData(),
        )
        errors.update({k: v for k, v in validate_account(draft).items() if k not in errors})
        return (None if errors else draft.normalized()), errors

    def _revalidate(self, *_: object) -> None:
        ui = self.ui
        draft, errors = self._read()
        fields = {
            "name": ui.nameEdit,
            "domain": ui.domainEdit,
            "arr": ui.arrEdit,
            "currency": ui.currencyCombo,
            "licensed_seats": ui.seatsEdit,
            "renewal_date": ui.renewalEdit,
        }
        for key, widget in fields.items():
            mark_invalid(widget, errors.get(key))
        # An empty name on a brand-new form is not yet an error worth shouting about.
        shown = dict(errors)
        if "name" in shown and not ui.nameEdit.isModified() and not ui.nameEdit.text():
            shown.pop("name")
        ui.errorLabel.setText("\n".join(shown.values()))
        ui.errorLabel.setVisible(bool(shown))
        warning = ""
        domain = normalize_domain(ui.domainEdit.text())
        if domain and "domain" not in errors and callable(self._domain_check):
            other = self._domain_check(domain)
            if other:
                warning = f"Another account, {other}, already uses the domain {domain}."
        ui.warningLabel.setText(warning)
        ui.warningLabel.setVisible(bool(warning))
        self._draft = draft
        self._show_arr_change(draft)
        self.save_button.setEnabled(draft is not None)

    def draft(self) -> AccountDraft | None:
        """The validated values, or ``None`` while the form is invalid."""
        return self._draft

    def accept(self) -> None:
        if self._draft is not None:
            super().accept()
