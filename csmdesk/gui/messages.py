"""Every message box goes through here, so tests can watch them in one place."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

log = logging.getLogger(__name__)

# Tests replace this with a recorder; it receives (kind, title, text) and returns the answer.
Handler = Callable[[str, str, str], bool]
_handler: Handler | None = None


def set_handler(handler: Handler | None) -> None:
    global _handler
    _handler = handler


def error(parent: QWidget | None, title: str, text: str, details: str = "") -> None:
    if _handler is not None:
        _handler("error", title, text)
        return
    box = QMessageBox(QMessageBox.Icon.Critical, title, text, QMessageBox.StandardButton.Ok, parent)
    if details:
        box.setDetailedText(details)
    box.exec()


def error_nonblocking(parent: QWidget | None, title: str, text: str, details: str = "") -> None:
    """An error that must not steal the keyboard (e.g. an unexpected exception while typing)."""
    if _handler is not None:
        _handler("error", title, text)
        return
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setModal(False)
    if details:
        box.setDetailedText(details)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.show()


def info(parent: QWidget | None, title: str, text: str) -> None:
    if _handler is not None:
        _handler("info", title, text)
        return
    QMessageBox.information(parent, title, text)


def confirm(parent: QWidget | None, title: str, text: str, action: str = "OK") -> bool:
    """A yes/no question with a named, non-default destructive button."""
    if _handler is not None:
        return _handler("confirm", title, text)
    box = QMessageBox(
        QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent
    )
    yes = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.exec()
    return box.clickedButton() is yes
