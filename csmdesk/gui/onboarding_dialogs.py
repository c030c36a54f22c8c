"""The small dialogs of the Onboarding tab: a milestone by hand or edited, complete, skip,
and applying a plan with a preview of its dates."""

from __future__ import annotations

import html
from datetime import date, timedelta

from PySide6.QtCore import (
    Qt,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from csmdesk.domain import onboarding as plans
from csmdesk.domain.onboarding import (
    MilestoneDraft,
    Template,
    TemplateError,
)
from csmdesk.gui.dialog_parts import (
    FormDialog,
    date_edit,
    note_label,
    ok_cancel,
    plural,
    qdate,
    show_note,
    text_edit,
)
from csmdesk.gui.widgets import get_date, mark_invalid, set_date
from csmdesk.models import Milestone
from csmdesk.services import onboarding as service

FIRST_VALUE_MARK = "★"


class MilestoneDialog(FormDialog):
    """Add a milestone by hand, or edit one."""

    def __init__(
        self,
        parent: QWidget | None,
        today: date,
        milestone: Milestone | None = None,
        plan_start: date | None = None,
    ) -> None:
        title = "Edit milestone" if milestone else "Add a milestone"
        super().__init__(parent, title, "milestoneDialog", width=440)
        self.plan_start = plan_start
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
        self.due_edit = date_edit(today, optional="No due date")
        set_date(self.due_edit, default_due)
        self.due_edit.setAccessibleName("Due date")
        self.description_edit = text_edit("What done looks like (optional)")
        self.description_edit.setPlainText(milestone.description if milestone else "")
        self.description_edit.setAccessibleName("Description")
        self.form.addRow("&Milestone:", self.title_edit)
        self.form.addRow("&Owner:", self.owner_combo)
        self.form.addRow("&Due:", self.due_edit)
        self.form.addRow("D&escription:", self.description_edit)
        self.warning_label = note_label("warningLabel")
        self.outer.addWidget(self.warning_label)
        self.ok_button = ok_cancel(self, self.outer, "&Save" if milestone else "&Add milestone")
        self.title_edit.textChanged.connect(self._check)
        self.due_edit.dateChanged.connect(self._check)
        self._check()

    def _check(self, *_: object) -> None:
        empty = not self.title_edit.text().strip()
        mark_invalid(self.title_edit, "Name the milestone." if empty else None)
        self.ok_button.setEnabled(not empty)
        show_note(
            self.warning_label, plans.due_warning(get_date(self.due_edit), self.plan_start) or ""
        )

    def values(self) -> MilestoneDraft:
        return MilestoneDraft(
            self.title_edit.text().strip(),
            str(self.owner_combo.currentData()),
            get_date(self.due_edit),
            self.description_edit.toPlainText().strip(),
        )


class CompleteDialog(FormDialog):
    """Done on a day: today unless the CSM says otherwise (never in the future)."""

    def __init__(
        self, parent: QWidget | None, milestone: Milestone, today: date, plan_start: date | None
    ) -> None:
        super().__init__(
            parent, "Complete the milestone", "completeDialog", width=380, heading=milestone.title
        )
        self.plan_start = plan_start
        self.date_edit = date_edit(today)
        self.date_edit.setMaximumDate(qdate(today))
        self.date_edit.setAccessibleName("Completed on")
        self.form.addRow("Completed &on:", self.date_edit)
        self.warning_label = note_label("warningLabel")
        self.outer.addWidget(self.warning_label)
        self.ok_button = ok_cancel(self, self.outer, "&Complete")
        self.date_edit.dateChanged.connect(self._check)
        self._check()

    def _check(self, *_: object) -> None:
        on = self.value()
        early = self.plan_start is not None and on < self.plan_start
        show_note(
            self.warning_label,
            f"That is before the plan starts ({self.plan_start.isoformat()})."
            if early and self.plan_start
            else "",
        )

    def value(self) -> date:
        value = get_date(self.date_edit)
        assert value is not None
        return value


class SkipDialog(FormDialog):
    """Skip with a reason (required): the plan stays honest about what was not done."""

    def __init__(self, parent: QWidget | None, milestone: Milestone) -> None:
        super().__init__(parent, "Skip the milestone", "skipDialog", heading=milestone.title)
        self.reason_edit = QLineEdit(milestone.skipped_reason or "")
        self.reason_edit.setAccessibleName("Reason")
        self.reason_edit.setPlaceholderText("e.g. Their IT team set it up themselves")
        self.form.addRow("&Reason:", self.reason_edit)
        self.ok_button = ok_cancel(self, self.outer, "S&kip")
        self.reason_edit.textChanged.connect(self._check)
        self._check()

    def _check(self, *_: object) -> None:
        empty = not self.reason_edit.text().strip()
        mark_invalid(self.reason_edit, "Say why it is skipped." if empty else None)
        self.ok_button.setEnabled(not empty)

    def value(self) -> str:
        return self.reason_edit.text().strip()


def problems_text(problems: tuple[TemplateError, ...]) -> str:
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
        self.start_edit = date_edit(today)
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
        self.warning_label = note_label("warningLabel")
        layout.addWidget(self.warning_label)
        self.problem_label = note_label("errorLabel")
        self.problem_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.problem_label)
        show_note(self.problem_label, problems_text(catalog.problems))
        self.ok_button = ok_cancel(self, layout, "&Apply plan")
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
            show_note(self.warning_label, "")
            return
        origin = "built-in" if template.builtin else "your template"
        count = plural(len(template.milestones), "milestone")
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
        show_note(self.warning_label, "\n".join(warnings))
