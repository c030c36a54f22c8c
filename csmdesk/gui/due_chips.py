"""Due-date chips: a coloured pill per state (done, overdue, due this week, later) drawn by an
item delegate, for timelines and queues."""

from __future__ import annotations

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QRectF,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import (
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
)

from csmdesk.domain.onboarding import (
    MilestoneState,
)

CHIP_COLOURS = {
    MilestoneState.DONE: ("#2f9e44", "#ffffff"),
    MilestoneState.OVERDUE: ("#e03131", "#ffffff"),
    MilestoneState.DUE_SOON: ("#f0a800", "#1b1b1b"),
    MilestoneState.LATER: ("#868e96", "#ffffff"),
    MilestoneState.UNDATED: ("#868e96", "#ffffff"),
}
STATE_ROLE = Qt.ItemDataRole.UserRole + 1


class DueChipDelegate(QStyledItemDelegate):
    """Paints the due date as a rounded chip coloured by the milestone's state."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text = opt.text  # type: ignore[attr-defined]
        opt.text = ""  # type: ignore[attr-defined]
        widget = opt.widget  # type: ignore[attr-defined]
        style = widget.style() if widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        state = MilestoneState(index.data(STATE_ROLE) or MilestoneState.LATER.value)
        rect = opt.rect.adjusted(4, 3, -4, -3)  # type: ignore[attr-defined]
        metrics = opt.fontMetrics  # type: ignore[attr-defined]
        width = min(rect.width(), metrics.horizontalAdvance(text) + 14)
        chip = QRectF(rect.x(), rect.y(), width, rect.height())
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette: QPalette = opt.palette  # type: ignore[attr-defined]
        if state is MilestoneState.SKIPPED:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            fg = palette.color(QPalette.ColorRole.PlaceholderText)
        else:
            bg, text_colour = CHIP_COLOURS[state]
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(bg))
            fg = QColor(text_colour)
        painter.drawRoundedRect(chip, 4, 4)
        painter.setPen(fg)
        font = opt.font  # type: ignore[attr-defined]
        font.setStrikeOut(state is MilestoneState.SKIPPED)
        painter.setFont(font)
        painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width() + 22, max(size.height(), option.fontMetrics.height() + 8))  # type: ignore[attr-defined]
