"""Small helpers shared by forms and pages: optional dates, inline field errors, layouts."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QBoxLayout, QDateEdit, QWidget

_NOT_SET = QDate(1900, 1, 1)


def make_optional(edit: QDateEdit, placeholder: str = "Not set") -> None:
    """Let a QDateEdit hold "no date": its minimum shows as ``placeholder``."""
    edit.setMinimumDate(_NOT_SET)
    edit.setSpecialValueText(placeholder)
    edit.setDate(_NOT_SET)


def get_date(edit: QDateEdit) -> date | None:
    value = edit.date()
    if value == edit.minimumDate() and edit.specialValueText():
        return None
    return date(value.year(), value.month(), value.day())


def set_date(edit: QDateEdit, value: date | None) -> None:
    edit.setDate(edit.minimumDate() if value is None else QDate(value.year, value.month, value.day))


def mark_invalid(widget: QWidget, message: str | None) -> None:
    """Flag a field as invalid (styled by the theme) and explain why in its tooltip."""
    invalid = bool(message)
    if widget.property("invalid") != invalid:
        widget.setProperty("invalid", invalid)
        widget.style().unpolish(widget)
        widget.style().polish(widget)
    widget.setToolTip(message or "")
    widget.setAccessibleDescription(message or "")


def side_by_side(box: QBoxLayout, width: int, at: int) -> None:
    """Lay ``box`` out left to right from ``at`` pixels wide, else top to bottom."""
    direction = (
        QBoxLayout.Direction.LeftToRight if width >= at else QBoxLayout.Direction.TopToBottom
    )
    if box.direction() != direction:
        box.setDirection(direction)
