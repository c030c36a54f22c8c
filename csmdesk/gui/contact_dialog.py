"""Add / Edit Contact."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QWidget

from csmdesk.domain.accounts import ROLE_LABELS, ContactDraft, validate_contact
from csmdesk.gui.forms.ui_contact_dialog import Ui_ContactDialog
from csmdesk.gui.widgets import mark_invalid
from csmdesk.models import ContactRole


class ContactDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, draft: ContactDraft | None = None) -> None:
        super().__init__(parent)
        self.ui = Ui_ContactDialog()
        self.ui.setupUi(self)
        ui = self.ui
        self.setWindowTitle("New contact" if draft is None else f"Edit {draft.name}")
        self.role_checks: dict[str, QCheckBox] = {}
        for role in ContactRole:
            check = QCheckBox(ROLE_LABELS[role], ui.rolesBox)
            check.setObjectName(f"role_{role.value}")
            ui.rolesLayout.addWidget(check)
            self.role_checks[role.value] = check
            check.toggled.connect(self._revalidate)
        ui.leftEdit.setDate(QDate.currentDate())
        ui.leftEdit.setEnabled(False)
        ui.leftCheck.toggled.connect(ui.leftEdit.setEnabled)
        ui.errorLabel.setObjectName("errorLabel")
        self.save_button = ui.buttonBox.button(QDialogButtonBox.StandardButton.Save)
        ui.buttonBox.accepted.connect(self.accept)
        ui.buttonBox.rejected.connect(self.reject)
        if draft is not None:
            self._load(draft)
        for edit in (ui.nameEdit, ui.emailEdit, ui.titleEdit, ui.phoneEdit):
            edit.textChanged.connect(self._revalidate)
        ui.primaryCheck.toggled.connect(self._revalidate)
        ui.leftCheck.toggled.connect(self._revalidate)
        ui.leftEdit.dateChanged.connect(self._revalidate)
        self._draft: ContactDraft | None = None
        self._revalidate()
        ui.nameEdit.setFocus()

    def _load(self, draft: ContactDraft) -> None:
        ui = self.ui
        ui.nameEdit.setText(draft.name)
        ui.emailEdit.setText(draft.email or "")
        ui.titleEdit.setText(draft.title or "")
        ui.phoneEdit.setText(draft.phone or "")
        for role, check in self.role_checks.items():
            check.setChecked(role in draft.roles)
        ui.primaryCheck.setChecked(draft.is_primary)
        if draft.left_on is not None:
            ui.leftCheck.setChecked(True)
            ui.leftEdit.setDate(QDate(draft.left_on.year, draft.left_on.month, draft.left_on.day))

    def _revalidate(self, *_: object) -> None:
        ui = self.ui
        left = None
        if ui.leftCheck.isChecked():
            qd = ui.leftEdit.date()
            left = date(qd.year(), qd.month(), qd.day())
        draft = ContactDraft(
            name=ui.nameEdit.text(),
            email=ui.emailEdit.text(),
            title=ui.titleEdit.text(),
            phone=ui.phoneEdit.text(),
            roles=tuple(r for r, c in self.role_checks.items() if c.isChecked()),
            is_primary=ui.primaryCheck.isChecked(),
            left_on=left,
        )
        errors = validate_contact(draft)
        mark_invalid(ui.nameEdit, errors.get("name"))
        mark_invalid(ui.emailEdit, errors.get("email"))
        shown = dict(errors)
        if "name" in shown and not ui.nameEdit.isModified() and not ui.nameEdit.text():
            shown.pop("name")
        ui.errorLabel.setText("\n".join(shown.values()))
        ui.errorLabel.setVisible(bool(shown))
        self._draft = None if errors else draft.normalized()
        self.save_button.setEnabled(self._draft is not None)

    def draft(self) -> ContactDraft | None:
        return self._draft

    def accept(self) -> None:
        if self._draft is not None:
            super().accept()
