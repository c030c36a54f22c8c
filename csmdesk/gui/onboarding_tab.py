"""The Onboarding tab of an account: its plan's milestones as a timeline with due chips,
progress and what is overdue; apply a template, add, edit, complete, skip, reopen, reorder;
and the CSM's own templates (built-in ones are read-only and can be duplicated).

Keyboard: Enter edits the selected milestone, Ctrl+Up/Ctrl+Down move it, Delete removes it;
every button has a mnemonic.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import (
    QDate,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QBrush, QColor, QKeySequence, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from csmdesk.domain import onboarding as plans
from csmdesk.domain.accounts import ValidationError
from csmdesk.domain.onboarding import (
    MilestoneDraft,
    MilestoneState,
    Template,
    TemplateError,
    TemplateMilestone,
)
from csmdesk.gui import messages
from csmdesk.gui.widgets import get_date, make_optional, mark_invalid, set_date
from csmdesk.models import Milestone
from csmdesk.services import onboarding as service
from csmdesk.store import Database

log = logging.getLogger(__name__)

# Chip colours: (background, text).
CHIP_COLOURS = {
    MilestoneState.DONE: ("#2f9e44", "#ffffff"),
    MilestoneState.OVERDUE: ("#e03131", "#ffffff"),
    MilestoneState.DUE_SOON: ("#f0a800", "#1b1b1b"),
    MilestoneState.LATER: ("#868e96", "#ffffff"),
    MilestoneState.UNDATED: ("#868e96", "#ffffff"),
}
STATE_LABELS = {
    MilestoneState.DONE: "Done",
    MilestoneState.SKIPPED: "Skipped",
    MilestoneState.OVERDUE: "Overdue",
    MilestoneState.DUE_SOON: "Due this week",
    MilestoneState.LATER: "Planned",
    MilestoneState.UNDATED: "No due date",
}
STATE_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole
FIRST_VALUE_MARK = "★"


def _qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


def _date_edit(value: date, *, optional: bool = False) -> QDateEdit:
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    if optional:
        make_optional(edit, "No due date")
    set_date(edit, value)
    return edit


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


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


# --- small dialogs --------------------------------------------------------------------------


def _buttons(dialog: QDialog, layout: QVBoxLayout, ok_text: str) -> QPushButton:
    box = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    ok = box.button(QDialogButtonBox.StandardButton.Ok)
    ok.setText(ok_text)
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    layout.addWidget(box)
    return ok


def _note_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.hide()
    return label


def _show(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


class MilestoneDialog(QDialog):
    """Add a milestone by hand, or edit one."""

    def __init__(
        self,
        parent: QWidget | None,
        today: date,
        milestone: Milestone | None = None,
        plan_start: date | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit milestone" if milestone else "Add a milestone")
        self.setObjectName("milestoneDialog")
        self.setMinimumWidth(440)
        self.plan_start = plan_start
        layout = QVBoxLayout(self)
        form = QFormLayout()
        layout.addLayout(form)
        self.title_edit = QLineEdit(milestone.title if milestone else "")
        self.title_edit.setAccessibleName("Milestone")
        self.title_edit.setMaxLength(plans.MAX_TITLE)
        self.title_edit.setPlaceholderText("e.g. Security review signed off")
        self.owner_combo = QComboBox()
        self.owner_combo.setAccessibleName("Owner side")
        for value, label in plans.OWNER_LABELS.items():
            self.owner_combo.addItem(label, value)
        if milestone:
            self.owner_combo.setCurrentIndex(
                max(0, self.owner_combo.findData(milestone.owner_side))
            )
        default_due = milestone.due_date if milestone else today + timedelta(days=7)
        self.due_edit = _date_edit(today, optional=True)
        set_date(self.due_edit, default_due)
        self.due_edit.setAccessibleName("Due date")
        self.description_edit = QPlainTextEdit(milestone.description if milestone else "")
        self.description_edit.setAccessibleName("Description")
        self.description_edit.setPlaceholderText("What done looks like (optional)")
        self.description_edit.setTabChangesFocus(True)
        self.description_edit.setFixedHeight(80)
        form.addRow("&Milestone:", self.title_edit)
        form.addRow("&Owner:", self.owner_combo)
        form.addRow("&Due:", self.due_edit)
        form.addRow("D&escription:", self.description_edit)
        self.warning_label = _note_label("warningLabel")
        layout.addWidget(self.warning_label)
        self.ok_button = _buttons(self, layout, "&Save" if milestone else "&Add milestone")
        self.title_edit.textChanged.connect(self._check)
        self.due_edit.dateChanged.connect(self._check)
        self._check()

    def _check(self, *_: object) -> None:
        empty = not self.title_edit.text().strip()
        mark_invalid(self.title_edit, "Name the milestone." if empty else None)
        self.ok_button.setEnabled(not empty)
        _show(self.warning_label, plans.due_warning(get_date(self.due_edit), self.plan_start) or "")

    def values(self) -> MilestoneDraft:
        return MilestoneDraft(
            self.title_edit.text().strip(),
            str(self.owner_combo.currentData()),
            get_date(self.due_edit),
            self.description_edit.toPlainText().strip(),
        )


class CompleteDialog(QDialog):
    """Done on a day: today unless the CSM says otherwise (never in the future)."""

    def __init__(
        self, parent: QWidget | None, milestone: Milestone, today: date, plan_start: date | None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Complete the milestone")
        self.setObjectName("completeDialog")
        self.setMinimumWidth(380)
        self.plan_start = plan_start
        layout = QVBoxLayout(self)
        heading = QLabel(f"<b>{html.escape(milestone.title)}</b>")
        heading.setWordWrap(True)
        layout.addWidget(heading)
        form = QFormLayout()
        layout.addLayout(form)
        self.date_edit = _date_edit(today)
        self.date_edit.setMaximumDate(_qdate(today))
        self.date_edit.setAccessibleName("Completed on")
        form.addRow("Completed &on:", self.date_edit)
        self.warning_label = _note_label("warningLabel")
        layout.addWidget(self.warning_label)
        self.ok_button = _buttons(self, layout, "&Complete")
        self.date_edit.dateChanged.connect(self._check)
        self._check()

    def _check(self, *_: object) -> None:
        on = self.value()
        early = self.plan_start is not None and on < self.plan_start
        _show(
            self.warning_label,
            f"That is before the plan starts ({self.plan_start.isoformat()})."
            if early and self.plan_start
            else "",
        )

    def value(self) -> date:
        value = get_date(self.date_edit)
        assert value is not None
        return value


class SkipDialog(QDialog):
    """Skip with a reason (required): the plan stays honest about what was not done."""

    def __init__(self, parent: QWidget | None, milestone: Milestone) -> None:
        super().__init__(parent)
        self.setWindowTitle("Skip the milestone")
        self.setObjectName("skipDialog")
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        heading = QLabel(f"<b>{html.escape(milestone.title)}</b>")
        heading.setWordWrap(True)
        layout.addWidget(heading)
        form = QFormLayout()
        layout.addLayout(form)
        self.reason_edit = QLineEdit(milestone.skipped_reason or "")
        self.reason_edit.setAccessibleName("Reason")
        self.reason_edit.setPlaceholderText("e.g. Their IT team set it up themselves")
        form.addRow("&Reason:", self.reason_edit)
        self.ok_button = _buttons(self, layout, "S&kip")
        self.reason_edit.textChanged.connect(self._check)
        self._check()

    def _check(self, *_: object) -> None:
        empty = not self.reason_edit.text().strip()
        mark_invalid(self.reason_edit, "Say why it is skipped." if empty else None)
        self.ok_button.setEnabled(not empty)

    def value(self) -> str:
        return self.reason_edit.text().strip()


def _problems_text(problems: tuple[TemplateError, ...]) -> str:
    if not problems:
        return ""
    lines = "".join(
        f"<br>• <b>{html.escape(p.source)}</b>: {html.escape(p.problem)}" for p in problems
    )
    return f"Some template files could not be loaded:{lines}"


class ApplyTemplateDialog(QDialog):
    """Choose a template and a start date; preview the due dates and any warnings."""

    def __init__(
        self, parent: QWidget | None, catalog: service.TemplateCatalog, today: date
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Apply an onboarding plan")
        self.setObjectName("applyTemplateDialog")
        self.setMinimumSize(560, 480)
        self.catalog, self.today = catalog, today
        layout = QVBoxLayout(self)
        form = QFormLayout()
        layout.addLayout(form)
        self.template_combo = QComboBox()
        self.template_combo.setAccessibleName("Template")
        for template in catalog.templates:
            self.template_combo.addItem(template.name, template.name)
        self.start_edit = _date_edit(today)
        self.start_edit.setAccessibleName("Plan start")
        form.addRow("&Template:", self.template_combo)
        form.addRow("&Start:", self.start_edit)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setObjectName("templateDescription")
        layout.addWidget(self.description)
        self.preview = QTreeWidget()
        self.preview.setObjectName("planPreview")
        self.preview.setAccessibleName("Milestones and due dates")
        self.preview.setRootIsDecorated(False)
        self.preview.setHeaderLabels(["Day", "Due", "Milestone", "Owner"])
        self.preview.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.preview.header()
        for column in (0, 1, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        layout.addWidget(self.preview, 1)
        self.warning_label = _note_label("warningLabel")
        layout.addWidget(self.warning_label)
        self.problem_label = _note_label("errorLabel")
        self.problem_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.problem_label)
        _show(self.problem_label, _problems_text(catalog.problems))
        self.ok_button = _buttons(self, layout, "&Apply plan")
        self.template_combo.currentIndexChanged.connect(self._update)
        self.start_edit.dateChanged.connect(self._update)
        self._update()

    def template(self) -> Template | None:
        return self.catalog.get(self.template_combo.currentData())

    def start(self) -> date:
        value = get_date(self.start_edit)
        assert value is not None
        return value

    def _update(self, *_: object) -> None:
        template = self.template()
        self.preview.clear()
        self.ok_button.setEnabled(template is not None)
        if template is None:
            self.description.setText("No templates: create one with Templates… first.")
            _show(self.warning_label, "")
            return
        origin = "built-in" if template.builtin else "your template"
        count = _plural(len(template.milestones), "milestone")
        self.description.setText(
            f"{html.escape(template.description)}<br><i>{count} over "
            f"{template.length_days} days · {origin}</i>"
        )
        for milestone, due in plans.plan_dates(template, self.start()):
            title = milestone.title + (f"  {FIRST_VALUE_MARK}" if milestone.first_value else "")
            item = QTreeWidgetItem(
                [str(milestone.day), due.isoformat(), title, plans.OWNER_LABELS[milestone.owner]]
            )
            item.setTextAlignment(0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if milestone.first_value:
                item.setToolTip(2, "Marks first value: time to first value is measured here.")
            self.preview.addTopLevelItem(item)
        warnings = plans.plan_warnings(template, self.start(), self.today)
        _show(self.warning_label, "\n".join(warnings))


# --- the CSM's own templates ----------------------------------------------------------------


class TemplatesDialog(QDialog):
    """Create, edit, duplicate and delete the CSM's templates; built-in ones are read-only."""

    COLUMNS = ("Milestone", "Day", "Owner", "First value", "Description")

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Onboarding templates")
        self.setObjectName("templatesDialog")
        self.resize(900, 560)
        self.catalog = service.list_templates()
        self.editing: Template | None = None  # what the editor was loaded from (None: new)
        self.dirty = False
        self.readonly = True
        self._loading = False
        outer = QVBoxLayout(self)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        outer.addWidget(splitter, 1)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        self.template_list = QListWidget()
        self.template_list.setObjectName("templateList")
        self.template_list.setAccessibleName("Templates")
        left_layout.addWidget(self.template_list, 1)
        row = QHBoxLayout()
        self.new_button = QPushButton("&New")
        self.duplicate_button = QPushButton("D&uplicate")
        self.delete_button = QPushButton("&Delete")
        for button in (self.new_button, self.duplicate_button, self.delete_button):
            row.addWidget(button)
        left_layout.addLayout(row)
        splitter.addWidget(left)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        self.readonly_label = _note_label("readonlyLabel")
        right_layout.addWidget(self.readonly_label)
        form = QFormLayout()
        right_layout.addLayout(form)
        self.name_edit = QLineEdit()
        self.name_edit.setAccessibleName("Template name")
        self.name_edit.setMaxLength(plans.MAX_NAME)
        self.description_edit = QPlainTextEdit()
        self.description_edit.setAccessibleName("Template description")
        self.description_edit.setTabChangesFocus(True)
        self.description_edit.setFixedHeight(56)
        form.addRow("&Name:", self.name_edit)
        form.addRow("Descri&ption:", self.description_edit)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setObjectName("templateMilestones")
        self.table.setAccessibleName("Template milestones")
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(4, 200)
        right_layout.addWidget(self.table, 1)
        rows = QHBoxLayout()
        self.add_row_button = QPushButton("&Add milestone")
        self.remove_row_button = QPushButton("&Remove milestone")
        self.row_up_button = QPushButton("Move u&p")
        self.row_down_button = QPushButton("Move do&wn")
        for button in (
            self.add_row_button,
            self.remove_row_button,
            self.row_up_button,
            self.row_down_button,
        ):
            rows.addWidget(button)
        rows.addStretch(1)
        right_layout.addLayout(rows)
        self.error_label = _note_label("errorLabel")
        right_layout.addWidget(self.error_label)
        self.warning_label = _note_label("warningLabel")
        right_layout.addWidget(self.warning_label)
        save_row = QHBoxLayout()
        save_row.addStretch(1)
        self.save_button = QPushButton("&Save template")
        save_row.addWidget(self.save_button)
        right_layout.addLayout(save_row)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 3)

        self.problem_label = _note_label("errorLabel")
        self.problem_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        outer.addWidget(self.problem_label)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        box.rejected.connect(self.reject)
        outer.addWidget(box)
        # Enter saves the template; no other button fires by accident while typing.
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(False)
        self.save_button.setDefault(True)

        self.template_list.currentRowChanged.connect(self._selected)
        self.new_button.clicked.connect(self.new_template)
        self.duplicate_button.clicked.connect(self.duplicate)
        self.delete_button.clicked.connect(self.delete)
        self.add_row_button.clicked.connect(lambda: self._add_row(None))
        self.remove_row_button.clicked.connect(self._remove_row)
        self.row_up_button.clicked.connect(lambda: self._move_row(-1))
        self.row_down_button.clicked.connect(lambda: self._move_row(+1))
        self.save_button.clicked.connect(self.save)
        self.name_edit.textChanged.connect(self._changed)
        self.description_edit.textChanged.connect(self._changed)
        self.table.itemChanged.connect(self._changed)
        self.table.currentCellChanged.connect(lambda *_: self._update_buttons())
        self._fill_list()

    # --- the list ---------------------------------------------------------------------------
    def _fill_list(self, select: str | None = None) -> None:
        self.catalog = service.list_templates()
        _show(self.problem_label, _problems_text(self.catalog.problems))
        self._loading = True
        self.template_list.clear()
        for template in self.catalog.templates:
            label = template.name + ("  (built-in)" if template.builtin else "")
            item = QListWidgetItem(label)
            item.setData(ID_ROLE, template.name)
            self.template_list.addItem(item)
        names = [t.name for t in self.catalog.templates]
        row = names.index(select) if select in names else (0 if names else -1)
        self.template_list.setCurrentRow(row)
        self._loading = False
        self._load(self._current())

    def _current(self) -> Template | None:
        item = self.template_list.currentItem()
        return self.catalog.get(item.data(ID_ROLE)) if item else None

    def _confirm_discard(self) -> bool:
        if not self.dirty:
            return True
        return messages.confirm(
            self, "Unsaved template", "Discard the changes to this template?", "Discard"
        )

    def _selected(self, _row: int) -> None:
        if self._loading:
            return
        self._load(self._current())

    # --- the editor -------------------------------------------------------------------------
    def _load(self, template: Template | None, *, editable: bool | None = None) -> None:
        self._loading = True
        self.editing = template
        readonly = template is not None and template.builtin if editable is None else not editable
        self.name_edit.setText(template.name if template else "")
        self.description_edit.setPlainText(template.description if template else "")
        self.table.setRowCount(0)
        for milestone in template.milestones if template else ():
            self._add_row(milestone)
        for widget in (self.name_edit, self.description_edit):
            widget.setReadOnly(readonly)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.NoEditTriggers
            if readonly
            else QAbstractItemView.EditTrigger.AllEditTriggers
        )
        for row in range(self.table.rowCount()):
            for column in (1, 2, 3):
                cell = self.table.cellWidget(row, column)
                if cell is not None:
                    cell.setEnabled(not readonly)
        self.readonly = readonly
        _show(
            self.readonly_label,
            "Built-in template: read-only. Duplicate it to make your own version."
            if readonly
            else "",
        )
        self._loading = False
        self.dirty = False
        self._validate()
        self._update_buttons()

    def _add_row(self, milestone: TemplateMilestone | None) -> None:
        row = self.table.rowCount()
        if milestone is None:
            current = self.table.currentRow()
            row = current + 1 if current >= 0 else row
        self.table.insertRow(row)
        was_loading, self._loading = self._loading, True
        title = QTableWidgetItem(milestone.title if milestone else "New milestone")
        self.table.setItem(row, 0, title)
        day = QSpinBox()
        day.setRange(0, plans.MAX_DAY)
        day.setAccessibleName("Day")
        day.setValue(milestone.day if milestone else self._next_day(row))
        day.valueChanged.connect(self._changed)
        self.table.setCellWidget(row, 1, day)
        owner = QComboBox()
        owner.setAccessibleName("Owner")
        for value, label in plans.OWNER_LABELS.items():
            owner.addItem(label, value)
        owner.setCurrentIndex(max(0, owner.findData(milestone.owner if milestone else "us")))
        owner.currentIndexChanged.connect(self._changed)
        self.table.setCellWidget(row, 2, owner)
        first = QCheckBox()
        first.setAccessibleName("First value")
        first.setToolTip("Time to first value is measured at this milestone (one per plan).")
        first.setChecked(bool(milestone and milestone.first_value))
        first.toggled.connect(self._changed)
        self.table.setCellWidget(row, 3, first)
        self.table.setItem(row, 4, QTableWidgetItem(milestone.description if milestone else ""))
        self._loading = was_loading
        if milestone is None:
            self.table.setCurrentCell(row, 0)
            self.table.editItem(title)
            self._changed()

    def _next_day(self, row: int) -> int:
        above = self.table.cellWidget(row - 1, 1) if row > 0 else None
        return min(plans.MAX_DAY, above.value() + 7) if isinstance(above, QSpinBox) else 0

    def _row_values(self, row: int) -> dict[str, Any]:
        day, owner, first = (self.table.cellWidget(row, c) for c in (1, 2, 3))
        assert isinstance(day, QSpinBox) and isinstance(owner, QComboBox)
        assert isinstance(first, QCheckBox)
        title, description = self.table.item(row, 0), self.table.item(row, 4)
        return {
            "title": title.text() if title else "",
            "day": day.value(),
            "owner": owner.currentData(),
            "description": description.text() if description else "",
            "first_value": first.isChecked(),
        }

    def _remove_row(self) -> None:
        row = self.table.currentRow()
        if row >= 0 and not self.readonly:
            self.table.removeRow(row)
            self._changed()

    def _move_row(self, step: int) -> None:
        row = self.table.currentRow()
        target = row + step
        if self.readonly or row < 0 or not 0 <= target < self.table.rowCount():
            return
        values = [self._row_values(r) for r in range(self.table.rowCount())]
        values[row], values[target] = values[target], values[row]
        was_loading, self._loading = self._loading, True
        self.table.setRowCount(0)
        for value in values:
            self._add_row(TemplateMilestone(**value))
        self._loading = was_loading
        self.table.setCurrentCell(target, 0)
        self._changed()

    def _data(self) -> dict[str, Any]:
        return {
            "name": self.name_edit.text(),
            "description": self.description_edit.toPlainText(),
            "milestones": [self._row_values(r) for r in range(self.table.rowCount())],
        }

    def _validate(self) -> Template | None:
        try:
            template = plans.template_from_data(self._data(), "This template")
        except TemplateError as exc:
            _show(self.error_label, f"{exc.problem[:1].upper()}{exc.problem[1:]}.")
            template = None
        else:
            _show(self.error_label, "")
        name = self.name_edit.text().strip().casefold()
        builtin = any(t.builtin and t.name.casefold() == name for t in self.catalog.templates)
        overrides = builtin and not self.readonly
        _show(
            self.warning_label,
            "Same name as a built-in template: yours will be used instead of it."
            if overrides
            else "",
        )
        return template

    def _changed(self, *_: object) -> None:
        if self._loading:
            return
        self.dirty = True
        self._validate()
        self._update_buttons()

    def _update_buttons(self) -> None:
        current = self._current()
        editable = not self.readonly
        row = self.table.currentRow()
        self.delete_button.setEnabled(current is not None and not current.builtin)
        self.duplicate_button.setEnabled(current is not None)
        self.add_row_button.setEnabled(editable)
        self.remove_row_button.setEnabled(editable and row >= 0)
        self.row_up_button.setEnabled(editable and row > 0)
        self.row_down_button.setEnabled(editable and 0 <= row < self.table.rowCount() - 1)
        valid = not self.error_label.isVisibleTo(self) and not self.error_label.text()
        self.save_button.setEnabled(editable and self.dirty and valid)

    # --- actions ----------------------------------------------------------------------------
    def new_template(self) -> None:
        if not self._confirm_discard():
            return
        self._loading = True
        self.template_list.setCurrentRow(-1)
        self._loading = False
        self._load(None, editable=True)
        _show(self.readonly_label, "A new template: not saved yet.")
        self.name_edit.setText("My onboarding plan")
        self._add_row(None)
        self.name_edit.setFocus()
        self.name_edit.selectAll()

    def duplicate(self) -> None:
        source = self._current()
        if source is None or not self._confirm_discard():
            return
        names = {t.name.casefold() for t in self.catalog.templates}
        name, n = f"{source.name} (copy)", 1
        while name.casefold() in names:
            n += 1
            name = f"{source.name} (copy {n})"
        self._loading = True
        self.template_list.setCurrentRow(-1)
        self._loading = False
        self._load(Template(name, source.milestones, source.description), editable=True)
        _show(self.readonly_label, f'A copy of "{source.name}": not saved yet.')
        self.editing = None
        self.dirty = True
        self._validate()
        self._update_buttons()
        self.name_edit.setFocus()
        self.name_edit.selectAll()

    def save(self) -> bool:
        template = self._validate()
        if template is None or self.readonly:
            return False
        previous = self.editing.name if self.editing and not self.editing.builtin else None
        try:
            saved = service.save_template(template, previous_name=previous)
        except ValidationError as exc:
            messages.error(self, "Template not saved", "\n".join(exc.errors.values()))
            return False
        except OSError as exc:
            messages.error(self, "Template not saved", f"Could not write the file: {exc}")
            return False
        self.dirty = False
        self._fill_list(select=saved.name)
        return True

    def delete(self) -> None:
        current = self._current()
        if current is None or current.builtin:
            return
        if not messages.confirm(
            self,
            "Delete template",
            f'Delete your template "{current.name}"? Plans already applied keep their milestones.',
            "Delete",
        ):
            return
        try:
            service.delete_template(current.name)
        except (ValidationError, OSError) as exc:
            messages.error(self, "Template not deleted", str(exc))
            return
        self.dirty = False
        self._fill_list()

    def reject(self) -> None:
        if self._confirm_discard():
            super().reject()


# --- the tab --------------------------------------------------------------------------------


class OnboardingTab(QWidget):
    """The onboarding plan of one account."""

    changed = Signal(int)  # the account whose milestones changed

    COLUMNS = ("Due", "Day", "Milestone", "Owner", "Status")

    def __init__(self, db: Database, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.today = db, today
        self.account_id: int | None = None
        self.state: service.AccountOnboarding | None = None
        self.catalog: service.TemplateCatalog | None = None
        self._stale = False
        layout = QVBoxLayout(self)

        top = QHBoxLayout()
        self.summary = QLabel()
        self.summary.setObjectName("onboardingSummary")
        self.summary.setWordWrap(True)
        top.addWidget(self.summary, 1)
        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("onboardingProgress")
        self.progress_bar.setAccessibleName("Onboarding progress")
        self.progress_bar.setFixedWidth(160)
        top.addWidget(self.progress_bar)
        layout.addLayout(top)
        self.plan_label = QLabel()
        self.plan_label.setObjectName("planLabel")
        self.plan_label.setWordWrap(True)
        layout.addWidget(self.plan_label)
        self.overdue_label = _note_label("overdueLabel")
        self.overdue_label.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.overdue_label)

        self.empty = QLabel(
            "No onboarding plan yet. Apply a template (Standard 90-day or SMB 30-day) with "
            "Apply template…, or add milestones by hand."
        )
        self.empty.setObjectName("emptyState")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.empty, 1)

        self.timeline = QTreeWidget()
        self.timeline.setObjectName("milestoneTimeline")
        self.timeline.setAccessibleName("Milestones")
        self.timeline.setRootIsDecorated(False)
        self.timeline.setUniformRowHeights(True)
        self.timeline.setHeaderLabels(list(self.COLUMNS))
        self.timeline.setItemDelegateForColumn(0, DueChipDelegate(self.timeline))
        self.timeline.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.timeline.header()
        header.setStretchLastSection(False)
        for column in (0, 1, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(4, 190)
        self.timeline.currentItemChanged.connect(lambda *_: self._show_selected())
        self.timeline.itemActivated.connect(lambda *_: self.edit())
        self.timeline.installEventFilter(self)
        layout.addWidget(self.timeline, 3)

        self.detail = QLabel()
        self.detail.setObjectName("milestoneDetail")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.detail.setMinimumHeight(44)
        layout.addWidget(self.detail)

        row1 = QHBoxLayout()
        self.complete_button = QPushButton("&Complete…")
        self.skip_button = QPushButton("S&kip…")
        self.reopen_button = QPushButton("Reo&pen")
        self.edit_button = QPushButton("&Edit…")
        self.up_button = QPushButton("▲")
        self.down_button = QPushButton("▼")
        self.up_button.setToolTip("Move up (Ctrl+Up)")
        self.down_button.setToolTip("Move down (Ctrl+Down)")
        self.up_button.setAccessibleName("Move up")
        self.down_button.setAccessibleName("Move down")
        for button in (self.up_button, self.down_button):
            button.setFixedWidth(button.fontMetrics().horizontalAdvance("▲") + 28)
        self.remove_button = QPushButton("Remo&ve")
        self.remove_button.setToolTip("Remove the milestone (Delete)")
        row2 = QHBoxLayout()
        self.add_button = QPushButton("&Add milestone…")
        self.apply_button = QPushButton("Apply &template…")
        self.templates_button = QPushButton("Te&mplates…")
        self.templates_button.setToolTip("Create and edit your own onboarding templates")
        for row, buttons in (
            (row1, (self.complete_button, self.skip_button, self.reopen_button, self.edit_button,
                    self.up_button, self.down_button, self.remove_button)),
            (row2, (self.add_button, self.apply_button, self.templates_button)),
        ):  # fmt: skip
            for button in buttons:
                row.addWidget(button)
            row.addStretch(1)
        layout.addLayout(row1)
        layout.addLayout(row2)
        connections: tuple[tuple[QPushButton, Callable[[], object]], ...] = (
            (self.complete_button, self.complete),
            (self.skip_button, self.skip),
            (self.reopen_button, self.reopen),
            (self.edit_button, self.edit),
            (self.up_button, lambda: self.move_selected(-1)),
            (self.down_button, lambda: self.move_selected(+1)),
            (self.remove_button, self.remove),
            (self.add_button, self.add),
            (self.apply_button, self.apply_template),
            (self.templates_button, self.edit_templates),
        )
        for button, slot in connections:
            button.clicked.connect(slot)
        for keys, slot in (
            (QKeySequence("Ctrl+Up"), lambda: self.move_selected(-1)),
            (QKeySequence("Ctrl+Down"), lambda: self.move_selected(+1)),
            (QKeySequence(QKeySequence.StandardKey.Delete), self.remove),
        ):
            action = QAction(self.timeline)
            action.setShortcut(keys)
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            action.triggered.connect(slot)
            self.timeline.addAction(action)
        self._fill()

    # --- loading ------------------------------------------------------------------------------
    def show_account(self, account_id: int | None) -> None:
        self.account_id = account_id
        self.state = None
        self.refresh()

    def refresh(self) -> None:
        """Reload; deferred until the tab is visible, like the other detail tabs."""
        if self.account_id is None:
            self._fill()
            return
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        self.catalog = service.list_templates()
        self.state = service.onboarding_progress(self.db, self.account_id, self.today, self.catalog)
        self._fill()

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        if self._stale:
            self.refresh()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.timeline and event.type() == QEvent.Type.Resize:
            # The status column takes under a third of a narrow pane; titles keep the most.
            width = self.timeline.viewport().width()
            self.timeline.header().resizeSection(4, max(120, min(230, width * 3 // 10)))
        return super().eventFilter(watched, event)

    def _fill(self, select_id: int | None = None) -> None:
        keep = self.current_milestone()
        keep_id = select_id if select_id is not None else keep.id if keep else None
        self.timeline.clear()
        state = self.state
        has = bool(state and state.milestones)
        self.empty.setVisible(not has and self.account_id is not None)
        self.timeline.setVisible(has)
        self.detail.setVisible(has)
        self.progress_bar.setVisible(has)
        if state is None or not has:
            self.summary.setText("")
            self.plan_label.setText("")
            _show(self.overdue_label, "")
            self._update_buttons()
            return
        self._fill_summary(state)
        for milestone in state.milestones:
            item = self._item(state, milestone)
            self.timeline.addTopLevelItem(item)
            if milestone.id == keep_id:
                self.timeline.setCurrentItem(item)
        if self.timeline.currentItem() is None:
            # Start at what needs attention: the first overdue milestone, else the next due.
            focus = state.progress.overdue[:1] or (state.progress.next_due,)
            target = focus[0].id if focus[0] is not None else None
            items = [self.timeline.topLevelItem(i) for i in range(len(state.milestones))]
            chosen = [i for i in items if i is not None and i.data(0, ID_ROLE) == target]
            first = chosen[0] if chosen else items[0]
            if first is not None:
                self.timeline.setCurrentItem(first)
        self._show_selected()

    def _fill_summary(self, state: service.AccountOnboarding) -> None:
        p = state.progress
        expected = p.total - p.skipped
        parts = [f"<b>{p.done} of {expected} done</b>"]
        if p.skipped:
            parts.append(f"{p.skipped} skipped")
        if p.overdue:
            parts.append(f"<span style='color:#e03131'>{len(p.overdue)} overdue</span>")
        if p.next_due is not None and p.next_due.due_date is not None:
            due = p.next_due.due_date
            when = {0: "today", 1: "tomorrow"}.get((due - self.today).days, due.isoformat())
            parts.append(f"next: {html.escape(p.next_due.title)} due {when}")
        elif p.open == 0:
            parts.append("onboarding complete")
        self.summary.setText(" · ".join(parts))
        self.progress_bar.setRange(0, max(1, expected))
        self.progress_bar.setValue(p.done if expected else 1)
        self.progress_bar.setFormat(f"{round(p.fraction * 100)} %")
        lines = []
        for plan in state.plans:
            text = f"<b>{html.escape(plan.plan)}</b>"
            if plan.start:
                day = (self.today - plan.start).days
                text += f" · started {plan.start.isoformat()}"
                text += f" (day {day})" if day >= 0 else f" (in {-day} days)"
            if plan.first_value_title:
                if plan.first_value_days is not None:
                    text += f" · first value on day {plan.first_value_days}"
                else:
                    text += " · first value not reached yet"
            lines.append(text)
        self.plan_label.setText("<br>".join(lines))
        self.plan_label.setVisible(bool(lines))
        if p.overdue:
            shown = [
                f"{html.escape(m.title)} ({(self.today - m.due_date).days} d late)"
                for m in p.overdue[:4]
                if m.due_date is not None
            ]
            more = len(p.overdue) - len(shown)
            text = "Overdue: " + ", ".join(shown) + (f" and {more} more" if more > 0 else "")
            _show(self.overdue_label, f"<span style='color:#e03131'>{text}</span>")
        else:
            _show(self.overdue_label, "")

    def _item(self, state: service.AccountOnboarding, m: Milestone) -> QTreeWidgetItem:
        milestone_state = plans.milestone_state(m, self.today)
        plan = state.plan_of(m.id)
        day = ""
        if plan and plan.start and m.due_date:
            day = str((m.due_date - plan.start).days)
        title = m.title
        first_value = state.is_first_value(m)
        if first_value:
            title += f"  {FIRST_VALUE_MARK}"
        if milestone_state is MilestoneState.DONE and m.completed_on:
            status = f"Done {m.completed_on.isoformat()}"
            if m.due_date and m.completed_on > m.due_date:
                status += f" ({(m.completed_on - m.due_date).days} d late)"
        elif milestone_state is MilestoneState.SKIPPED:
            status = f"Skipped: {m.skipped_reason}"
        elif milestone_state is MilestoneState.OVERDUE and m.due_date:
            status = f"Overdue {(self.today - m.due_date).days} d"
        else:
            status = STATE_LABELS[milestone_state]
        due = m.due_date.isoformat() if m.due_date else "No date"
        item = QTreeWidgetItem([due, day, title, plans.OWNER_LABELS.get(m.owner_side, ""), status])
        item.setData(0, ID_ROLE, m.id)
        item.setData(0, STATE_ROLE, milestone_state.value)
        item.setToolTip(0, STATE_LABELS[milestone_state])
        item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        item.setToolTip(2, m.description or m.title)
        item.setToolTip(4, status)
        if first_value:
            item.setToolTip(
                2, (m.description + "\n" if m.description else "") + "Marks first value"
            )
        muted = QBrush(self.palette().placeholderText().color())
        if milestone_state is MilestoneState.SKIPPED:
            for column in range(1, len(self.COLUMNS)):
                font = item.font(column)
                font.setStrikeOut(column == 2)
                item.setFont(column, font)
                item.setForeground(column, muted)
        elif milestone_state is MilestoneState.DONE:
            for column in (1, 3, 4):
                item.setForeground(column, muted)
        elif milestone_state is MilestoneState.OVERDUE:
            item.setForeground(4, QBrush(QColor(CHIP_COLOURS[MilestoneState.OVERDUE][0])))
        return item

    # --- selection ----------------------------------------------------------------------------
    def current_milestone(self) -> Milestone | None:
        item = self.timeline.currentItem()
        if item is None or self.state is None:
            return None
        milestone_id = item.data(0, ID_ROLE)
        return next((m for m in self.state.milestones if m.id == milestone_id), None)

    def _plan_start(self, m: Milestone | None) -> date | None:
        plan = self.state.plan_of(m.id) if self.state and m else None
        return plan.start if plan else None

    def _show_selected(self) -> None:
        m = self.current_milestone()
        if m is None:
            self.detail.setText("")
        else:
            parts = [f"<b>{html.escape(m.title)}</b>"]
            facts = [f"Owner: {plans.OWNER_LABELS.get(m.owner_side, m.owner_side)}"]
            if m.plan:
                facts.append(f"Plan: {html.escape(m.plan)}")
            if m.due_date:
                facts.append(f"Due {m.due_date.isoformat()}")
            parts.append(" · ".join(facts))
            if m.description:
                parts.append(html.escape(m.description))
            if m.skipped_reason:
                parts.append(f"<i>Skipped: {html.escape(m.skipped_reason)}</i>")
            self.detail.setText("<br>".join(parts))
        self._update_buttons()

    def _update_buttons(self) -> None:
        m = self.current_milestone()
        has_account = self.account_id is not None
        finished = m is not None and (m.completed_on is not None or bool(m.skipped_reason))
        current = self.timeline.currentItem()
        index = self.timeline.indexOfTopLevelItem(current) if current else -1
        count = self.timeline.topLevelItemCount()
        self.complete_button.setEnabled(m is not None and m.completed_on is None)
        self.skip_button.setEnabled(m is not None and m.completed_on is None)
        self.skip_button.setText("Edit s&kip…" if m and m.skipped_reason else "S&kip…")
        self.reopen_button.setEnabled(finished)
        self.edit_button.setEnabled(m is not None)
        self.remove_button.setEnabled(m is not None)
        self.up_button.setEnabled(m is not None and index > 0)
        self.down_button.setEnabled(m is not None and 0 <= index < count - 1)
        for button in (self.add_button, self.apply_button):
            button.setEnabled(has_account)

    # --- actions --------------------------------------------------------------------------------
    def _saved(self, select_id: int | None = None, warnings: list[str] | None = None) -> None:
        assert self.account_id is not None
        for warning in warnings or ():
            log.info("onboarding warning on account %s: %s", self.account_id, warning)
        was_focused = self.timeline.hasFocus()
        self.refresh()
        if select_id is not None:
            self._fill(select_id)
        if was_focused:
            self.timeline.setFocus()
        self.changed.emit(self.account_id)

    def _run(self, title: str, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except ValidationError as exc:
            messages.error(self, title, "\n".join(exc.errors.values()))
        return None

    def add(self) -> None:
        if self.account_id is None:
            return
        account_id = self.account_id
        current = self.current_milestone()
        run = service.current_plan(self.db, account_id)
        dialog = MilestoneDialog(self, self.today, plan_start=run[1] if run else None)
        if not dialog.exec():
            return
        draft = dialog.values()
        result = self._run(
            "Milestone not added",
            lambda: service.add_milestone_by_hand(
                self.db, account_id, draft, after_id=current.id if current else None
            ),
        )
        if result is not None:
            milestone, warnings = result
            self._saved(milestone.id, warnings)

    def edit(self) -> None:
        m = self.current_milestone()
        if m is None or m.id is None:
            return
        milestone_id = m.id
        dialog = MilestoneDialog(self, self.today, m, self._plan_start(m))
        if not dialog.exec():
            return
        draft = dialog.values()
        warnings = self._run(
            "Milestone not saved", lambda: service.update_milestone(self.db, milestone_id, draft)
        )
        if warnings is not None:
            self._saved(milestone_id, warnings)

    def complete(self) -> None:
        m = self.current_milestone()
        if m is None or m.id is None or m.completed_on is not None:
            return
        milestone_id = m.id
        dialog = CompleteDialog(self, m, self.today, self._plan_start(m))
        if not dialog.exec():
            return
        on = dialog.value()
        warnings = self._run(
            "Milestone not completed",
            lambda: service.complete_milestone(self.db, milestone_id, on, self.today),
        )
        if warnings is not None:
            self._saved(milestone_id, warnings)

    def skip(self) -> None:
        m = self.current_milestone()
        if m is None or m.id is None or m.completed_on is not None:
            return
        milestone_id = m.id
        dialog = SkipDialog(self, m)
        if not dialog.exec():
            return
        reason = dialog.value()

        def skip() -> bool:
            service.skip_milestone(self.db, milestone_id, reason)
            return True

        if self._run("Milestone not skipped", skip):
            self._saved(milestone_id)

    def reopen(self) -> None:
        m = self.current_milestone()
        if m is None or m.id is None or (m.completed_on is None and not m.skipped_reason):
            return
        service.reopen_milestone(self.db, m.id)
        self._saved(m.id)

    def move_selected(self, step: int) -> None:
        m = self.current_milestone()
        if m is None or m.id is None:
            return
        if service.move_milestone(self.db, m.id, step):
            self._saved(m.id)

    def remove(self) -> None:
        m = self.current_milestone()
        if m is None or m.id is None:
            return
        if not messages.confirm(
            self,
            "Remove milestone",
            f'Remove "{m.title}" from this account\'s plan? This cannot be undone.',
            "Remove",
        ):
            return
        current = self.timeline.currentItem()
        index = self.timeline.indexOfTopLevelItem(current) if current else 0
        service.delete_milestone(self.db, m.id)
        neighbours = [x.id for x in self.state.milestones if x.id != m.id] if self.state else []
        self._saved(neighbours[min(index, len(neighbours) - 1)] if neighbours else None)

    def apply_template(self) -> None:
        if self.account_id is None:
            return
        account_id = self.account_id
        dialog = ApplyTemplateDialog(self, self.catalog or service.list_templates(), self.today)
        if not dialog.exec():
            return
        template, start = dialog.template(), dialog.start()
        if template is None:
            return
        try:
            result = service.apply_template(self.db, account_id, template, start, self.today)
        except service.PlanInProgressError as exc:
            if not messages.confirm(
                self,
                "Re-plan from the new start?",
                f"This account already has {_plural(exc.unfinished, 'unfinished milestone')} "
                f'of "{template.name}". Re-plan them from {start.isoformat()}? Completed and '
                "skipped milestones, your edits and milestones you added are kept; due dates "
                "follow the new start.",
                "Re-plan",
            ):
                return
            result = self._run(
                "Plan not applied",
                lambda: service.apply_template(
                    self.db, account_id, template, start, self.today, replace=True
                ),
            )
        except ValidationError as exc:
            messages.error(self, "Plan not applied", "\n".join(exc.errors.values()))
            return
        if result is not None:
            first = result.milestones[0].id if result.milestones else None
            self._saved(first, result.warnings)

    def edit_templates(self) -> None:
        TemplatesDialog(self).exec()
        if self.account_id is not None:
            self.refresh()  # a renamed or edited template can change first-value marks
