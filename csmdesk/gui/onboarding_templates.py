"""The CSM's own onboarding templates: create, edit, duplicate and delete (built-in ones are
read-only and can be duplicated)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    Qt,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from csmdesk.domain import onboarding as plans
from csmdesk.domain.accounts import ValidationError
from csmdesk.domain.onboarding import (
    Template,
    TemplateError,
    TemplateMilestone,
)
from csmdesk.gui import messages
from csmdesk.gui.dialog_parts import note_label, show_note
from csmdesk.gui.onboarding_dialogs import problems_text
from csmdesk.services import onboarding as service

ID_ROLE = Qt.ItemDataRole.UserRole


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
        self.readonly_label = note_label("readonlyLabel")
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
        self.error_label = note_label("errorLabel")
        right_layout.addWidget(self.error_label)
        self.warning_label = note_label("warningLabel")
        right_layout.addWidget(self.warning_label)
        save_row = QHBoxLayout()
        save_row.addStretch(1)
        self.save_button = QPushButton("&Save template")
        save_row.addWidget(self.save_button)
        right_layout.addLayout(save_row)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 3)

        self.problem_label = note_label("errorLabel")
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
        show_note(self.problem_label, problems_text(self.catalog.problems))
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
        show_note(
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
            show_note(self.error_label, f"{exc.problem[:1].upper()}{exc.problem[1:]}.")
            template = None
        else:
            show_note(self.error_label, "")
        name = self.name_edit.text().strip().casefold()
        builtin = any(t.builtin and t.name.casefold() == name for t in self.catalog.templates)
        overrides = builtin and not self.readonly
        show_note(
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
        show_note(self.readonly_label, "A new template: not saved yet.")
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
        show_note(self.readonly_label, f'A copy of "{source.name}": not saved yet.')
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
