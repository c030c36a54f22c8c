"""Pieces every small form dialog shares: a date field, a note line, OK/Cancel, and a base
dialog with an optional heading (the record the dialog acts on) above its form."""

from __future__ import annotations

import html
from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from csmdesk.gui.widgets import make_optional, set_date


def qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


def date_edit(value: date | None, *, optional: str | None = None) -> QDateEdit:
    """A calendar date field; ``optional`` is the text shown for "no date"."""
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    if optional is not None:
        make_optional(edit, optional)
    set_date(edit, value)
    return edit


def text_edit(placeholder: str, height: int = 80) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setPlaceholderText(placeholder)
    edit.setFixedHeight(height)
    edit.setTabChangesFocus(True)
    return edit


def note_label(name: str) -> QLabel:
    """A word-wrapped line for an error or warning, hidden while it has nothing to say."""
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.hide()
    return label


def show_note(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


def ok_cancel(dialog: QDialog, layout: QVBoxLayout, ok_text: str) -> QPushButton:
    box = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    ok = box.button(QDialogButtonBox.StandardButton.Ok)
    ok.setText(ok_text)
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    layout.addWidget(box)
    return ok


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class FormDialog(QDialog):
    """A heading (optional), a form, then :meth:`finish` adds the error line and OK/Cancel."""

    def __init__(
        self,
        parent: QWidget | None,
        title: str,
        name: str,
        *,
        width: int = 420,
        heading: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName(name)
        self.setMinimumWidth(width)
        self.outer = QVBoxLayout(self)
        if heading is not None:
            label = QLabel(f"<b>{html.escape(heading)}</b>")
            label.setWordWrap(True)
            self.outer.addWidget(label)
        self.form = QFormLayout()
        self.outer.addLayout(self.form)

    def finish(self, ok_text: str) -> QPushButton:
        self.error_label = QLabel()
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        self.outer.addWidget(self.error_label)
        self.ok_button = ok_cancel(self, self.outer, ok_text)
        return self.ok_button
