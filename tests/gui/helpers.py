"""Driving modal dialogs: schedule the interaction, then trigger what opens the dialog."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog


def when_dialog_opens(handle: Callable[[QDialog], None], *, attempts: int = 50) -> list[str]:
    """Run ``handle`` on the next modal dialog; returns a list that records any failure."""
    problems: list[str] = []

    def poll(left: int = attempts) -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QDialog):
            try:
                handle(dialog)
            except Exception as exc:  # surfaced by the test through ``problems``
                problems.append(repr(exc))
                dialog.reject()
        elif left:
            QTimer.singleShot(20, lambda: poll(left - 1))
        else:
            problems.append("no dialog opened")

    QTimer.singleShot(0, poll)
    return problems
