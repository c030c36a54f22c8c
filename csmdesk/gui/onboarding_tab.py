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
from datetime import date
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QObject,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QBrush, QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from csmdesk.domain import onboarding as plans
from csmdesk.domain.accounts import ValidationError
from csmdesk.domain.onboarding import (
    MilestoneState,
)
from csmdesk.gui import messages
from csmdesk.gui.dialog_parts import note_label, plural, show_note
from csmdesk.gui.due_chips import CHIP_COLOURS, STATE_ROLE, DueChipDelegate
from csmdesk.gui.onboarding_dialogs import (
    FIRST_VALUE_MARK,
    ApplyTemplateDialog,
    CompleteDialog,
    MilestoneDialog,
    SkipDialog,
)
from csmdesk.gui.onboarding_templates import TemplatesDialog
from csmdesk.models import Milestone
from csmdesk.services import onboarding as service
from csmdesk.store import Database

log = logging.getLogger(__name__)

# Chip colours: (background, text).
STATE_LABELS = {
    MilestoneState.DONE: "Done",
    MilestoneState.SKIPPED: "Skipped",
    MilestoneState.OVERDUE: "Overdue",
    MilestoneState.DUE_SOON: "Due this week",
    MilestoneState.LATER: "Planned",
    MilestoneState.UNDATED: "No due date",
}
ID_ROLE = Qt.ItemDataRole.UserRole


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
        self.overdue_label = note_label("overdueLabel")
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
            show_note(self.overdue_label, "")
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
            show_note(self.overdue_label, f"<span style='color:#e03131'>{text}</span>")
        else:
            show_note(self.overdue_label, "")

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
                f"This account already has {plural(exc.unfinished, 'unfinished milestone')} "
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
