"""The Onboarding tab driven like a CSM would: apply a template, complete, skip, reopen,
reorder with the keyboard, add and edit by hand, re-plan, and manage their own templates."""

from __future__ import annotations

import re
from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QDialog, QSpinBox

from csmdesk.domain.accounts import AccountDraft
from csmdesk.domain.onboarding import MilestoneDraft, MilestoneState
from csmdesk.gui.onboarding_dialogs import (
    ApplyTemplateDialog,
    CompleteDialog,
    MilestoneDialog,
    SkipDialog,
)
from csmdesk.gui.onboarding_tab import STATE_ROLE, OnboardingTab
from csmdesk.gui.onboarding_templates import TemplatesDialog
from csmdesk.gui.widgets import set_date
from csmdesk.services import accounts, records
from csmdesk.services import onboarding as service
from tests.gui.helpers import when_dialog_opens

TODAY = date(2026, 11, 25)


@pytest.fixture
def account_id(db) -> int:  # type: ignore[no-untyped-def]
    account = accounts.create_account(db, AccountDraft(name="Acme", contract_start=TODAY))
    assert account.id is not None
    return account.id


@pytest.fixture
def tab(qtbot, db, account_id: int, message_log) -> OnboardingTab:  # type: ignore[no-untyped-def]
    widget = OnboardingTab(db, TODAY)
    qtbot.addWidget(widget)
    widget.resize(760, 640)
    widget.show()
    qtbot.waitExposed(widget)
    widget.show_account(account_id)
    return widget


def _plain(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text)


def _titles(tab: OnboardingTab) -> list[str]:
    return [tab.timeline.topLevelItem(i).text(2) for i in range(tab.timeline.topLevelItemCount())]


def _select(tab: OnboardingTab, title: str) -> None:
    for i in range(tab.timeline.topLevelItemCount()):
        item = tab.timeline.topLevelItem(i)
        if item.text(2).startswith(title):
            tab.timeline.setCurrentItem(item)
            return
    raise AssertionError(f"{title} not listed")


def _apply(qtbot, tab: OnboardingTab, name: str, start: date) -> list[str]:  # type: ignore[no-untyped-def]
    seen: list[str] = []

    def choose(dialog: QDialog) -> None:
        assert isinstance(dialog, ApplyTemplateDialog)
        dialog.template_combo.setCurrentIndex(dialog.template_combo.findData(name))
        set_date(dialog.start_edit, start)
        seen.append(dialog.warning_label.text())
        seen.append(dialog.preview.topLevelItem(0).text(1))
        dialog.ok_button.click()

    problems = when_dialog_opens(choose)
    tab.apply_button.click()
    assert problems == []
    return seen


def test_apply_a_template_then_work_the_plan(qtbot, tab: OnboardingTab, account_id: int) -> None:  # type: ignore[no-untyped-def]
    assert tab.empty.isVisible() and not tab.timeline.isVisible()
    assert not tab.complete_button.isEnabled() and tab.apply_button.isEnabled()
    changed: list[int] = []
    tab.changed.connect(changed.append)

    warning, first_due = _apply(qtbot, tab, "Standard 90-day", date(2026, 11, 1))
    assert first_due == "2026-11-08"
    assert "3 of 10 milestones would already be overdue" in warning
    assert tab.timeline.isVisible() and not tab.empty.isVisible()
    assert len(_titles(tab)) == 10 and _titles(tab)[3] == "First success milestone  ★"
    assert "0 of 10 done" in _plain(tab.summary.text()) and "3 overdue" in _plain(
        tab.summary.text()
    )
    assert "Overdue: Kickoff and expectation setting (17 d late)" in _plain(
        tab.overdue_label.text()
    )
    assert "Standard 90-day" in _plain(tab.plan_label.text()) and "day 24" in _plain(
        tab.plan_label.text()
    )
    assert tab.timeline.currentItem().text(2) == "Kickoff and expectation setting"
    assert tab.timeline.currentItem().data(0, STATE_ROLE) == MilestoneState.OVERDUE

    def complete(dialog: QDialog) -> None:
        assert isinstance(dialog, CompleteDialog)
        assert dialog.value() == TODAY  # defaults to today
        set_date(dialog.date_edit, date(2026, 11, 9))
        dialog.ok_button.click()

    problems = when_dialog_opens(complete)
    tab.complete_button.click()
    assert problems == []
    item = tab.timeline.currentItem()
    assert item.text(2) == "Kickoff and expectation setting"
    assert item.text(4) == "Done 2026-11-09 (1 d late)"
    assert item.data(0, STATE_ROLE) == MilestoneState.DONE
    assert "1 of 10 done" in _plain(tab.summary.text()) and tab.progress_bar.value() == 1
    assert tab.reopen_button.isEnabled() and not tab.complete_button.isEnabled()

    _select(tab, "Implementation plan agreed")

    def skip(dialog: QDialog) -> None:
        assert isinstance(dialog, SkipDialog)
        assert not dialog.ok_button.isEnabled()  # a reason is required
        qtbot.keyClicks(dialog.reason_edit, "Plan came from their PMO")
        dialog.ok_button.click()

    problems = when_dialog_opens(skip)
    tab.skip_button.click()
    assert problems == []
    item = tab.timeline.currentItem()
    assert item.text(4) == "Skipped: Plan came from their PMO"
    assert item.font(2).strikeOut()
    assert "1 of 9 done · 1 skipped · 1 overdue" in _plain(tab.summary.text())
    tab.reopen_button.click()
    assert tab.timeline.currentItem().data(0, STATE_ROLE) == MilestoneState.OVERDUE
    assert changed == [account_id] * 4


def test_keyboard_reorders_and_enter_edits(qtbot, tab: OnboardingTab, db, account_id: int) -> None:  # type: ignore[no-untyped-def]
    service.apply_template(db, account_id, _smb(), TODAY, TODAY)
    tab.refresh()
    _select(tab, "Team training")
    tab.timeline.setFocus()
    qtbot.keyClick(tab.timeline, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    assert _titles(tab)[:3] == [
        "Welcome call and kickoff",
        "Team training",
        "Account setup and data import",
    ]
    assert tab.timeline.currentItem().text(2) == "Team training"
    assert [m.title for m in records.list_milestones(db, account_id)][1] == "Team training"
    qtbot.keyClick(tab.timeline, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    assert _titles(tab)[2] == "Team training"

    def edit(dialog: QDialog) -> None:
        assert isinstance(dialog, MilestoneDialog)
        assert dialog.title_edit.text() == "Team training"
        assert not dialog.warning_label.isVisibleTo(dialog)
        set_date(dialog.due_edit, date(2026, 11, 20))  # before the plan start
        assert "before the plan starts (2026-11-25)" in dialog.warning_label.text()
        dialog.title_edit.clear()
        assert not dialog.ok_button.isEnabled()
        qtbot.keyClicks(dialog.title_edit, "Admin training")
        dialog.owner_combo.setCurrentIndex(dialog.owner_combo.findData("customer"))
        dialog.ok_button.click()

    problems = when_dialog_opens(edit)
    qtbot.keyClick(tab.timeline, Qt.Key.Key_Return)
    assert problems == []
    item = tab.timeline.currentItem()
    assert (item.text(0), item.text(2), item.text(3)) == (
        "2026-11-20",
        "Admin training",
        "Customer",
    )
    assert item.data(0, STATE_ROLE) == MilestoneState.OVERDUE


def _smb():  # type: ignore[no-untyped-def]
    template = service.list_templates().get("SMB 30-day")
    assert template is not None
    return template


def test_add_by_hand_after_the_selection_and_remove(
    qtbot, tab: OnboardingTab, db, account_id: int, message_log
) -> None:  # type: ignore[no-untyped-def]
    service.apply_template(db, account_id, _smb(), TODAY, TODAY)
    tab.refresh()
    _select(tab, "Welcome call and kickoff")

    def add(dialog: QDialog) -> None:
        assert isinstance(dialog, MilestoneDialog)
        qtbot.keyClicks(dialog.title_edit, "Security questionnaire")
        set_date(dialog.due_edit, date(2026, 11, 30))
        dialog.ok_button.click()

    problems = when_dialog_opens(add)
    tab.add_button.click()
    assert problems == []
    assert _titles(tab)[1] == "Security questionnaire"
    assert tab.timeline.currentItem().text(2) == "Security questionnaire"
    assert tab.timeline.currentItem().text(1) == "5"  # day 5 of the plan
    added = records.list_milestones(db, account_id)[1]
    assert added.plan == "SMB 30-day"
    with qtbot.waitActive(tab):  # shortcuts need the window active again after the dialog
        tab.activateWindow()
    tab.timeline.setFocus()
    qtbot.keyClick(tab.timeline, Qt.Key.Key_Delete)
    assert message_log[-1][0] == "confirm" and "Security questionnaire" in message_log[-1][2]
    assert "Security questionnaire" not in _titles(tab)
    assert tab.timeline.currentItem().text(2) == "Account setup and data import"


def test_applying_the_same_plan_again_offers_to_replan(
    qtbot, tab: OnboardingTab, db, account_id: int, message_log
) -> None:  # type: ignore[no-untyped-def]
    service.apply_template(db, account_id, _smb(), date(2026, 11, 2), TODAY)
    first = records.list_milestones(db, account_id)[0]
    assert first.id is not None
    service.complete_milestone(db, first.id, date(2026, 11, 4), TODAY)
    tab.refresh()
    _apply(qtbot, tab, "SMB 30-day", date(2026, 11, 23))
    kind, _title, text = message_log[-1]
    assert kind == "confirm" and "5 unfinished milestones" in text
    rows = records.list_milestones(db, account_id)
    assert len(rows) == 6 and rows[0].completed_on == date(2026, 11, 4)
    assert rows[1].due_date == date(2026, 11, 30)
    assert tab.timeline.topLevelItem(1).text(0) == "2026-11-30"


def test_loading_waits_until_the_tab_is_shown(qtbot, db, account_id: int) -> None:  # type: ignore[no-untyped-def]
    service.apply_template(db, account_id, _smb(), TODAY, TODAY)
    hidden = OnboardingTab(db, TODAY)
    qtbot.addWidget(hidden)
    hidden.show_account(account_id)
    assert hidden.state is None and hidden._stale
    hidden.show()
    qtbot.waitExposed(hidden)
    assert hidden.state is not None and not hidden._stale
    assert hidden.timeline.topLevelItemCount() == 6


def test_chips_follow_the_state(qtbot, tab: OnboardingTab, db, account_id: int) -> None:  # type: ignore[no-untyped-def]
    draft = MilestoneDraft
    for title, due in (("Late", date(2026, 11, 20)), ("Soon", date(2026, 11, 28)),
                       ("Later", date(2026, 12, 20)), ("Done", date(2026, 11, 1)),
                       ("Whenever", None)):  # fmt: skip
        service.add_milestone_by_hand(db, account_id, draft(title, due_date=due))
    done = records.list_milestones(db, account_id)[3]
    assert done.id is not None
    service.complete_milestone(db, done.id, date(2026, 11, 2), TODAY)
    tab.refresh()
    states = [
        tab.timeline.topLevelItem(i).data(0, STATE_ROLE)
        for i in range(tab.timeline.topLevelItemCount())
    ]
    assert states == ["overdue", "due_soon", "later", "done", "undated"]
    assert tab.timeline.topLevelItem(4).text(0) == "No date"
    assert "next: Soon due 2026-11-28" in _plain(tab.summary.text())
    tab.grab()  # the chip delegate paints every state without a Qt warning


def test_a_broken_template_file_is_named_in_the_apply_dialog(qtbot, tab: OnboardingTab) -> None:  # type: ignore[no-untyped-def]
    folder = service.user_templates_dir()
    folder.mkdir(parents=True)
    (folder / "broken.json").write_text('{"name": "X", "milestones": []}', encoding="utf-8")
    tab.refresh()

    def look(dialog: QDialog) -> None:
        assert isinstance(dialog, ApplyTemplateDialog)
        assert dialog.problem_label.isVisibleTo(dialog)
        assert "broken.json" in dialog.problem_label.text()
        assert "the plan has no milestones" in dialog.problem_label.text()
        assert dialog.template_combo.count() == 2  # the others still load
        dialog.reject()

    problems = when_dialog_opens(look)
    tab.apply_button.click()
    assert problems == []


def test_templates_dialog_duplicates_edits_and_deletes(qtbot, message_log) -> None:  # type: ignore[no-untyped-def]
    dialog = TemplatesDialog(None)
    qtbot.addWidget(dialog)
    dialog.show()
    names = [dialog.template_list.item(i).text() for i in range(dialog.template_list.count())]
    assert names == ["SMB 30-day  (built-in)", "Standard 90-day  (built-in)"]
    assert dialog.readonly and dialog.name_edit.isReadOnly()
    assert not dialog.delete_button.isEnabled() and not dialog.save_button.isEnabled()

    dialog.duplicate()
    assert dialog.name_edit.text() == "SMB 30-day (copy)" and not dialog.readonly
    assert dialog.save_button.isEnabled()
    dialog.name_edit.setText("SMB 21-day")
    dialog.table.setCurrentCell(5, 0)
    dialog.remove_row_button.click()
    day = dialog.table.cellWidget(4, 1)
    assert isinstance(day, QSpinBox)
    day.setValue(400)  # the spin box stops at 365
    assert day.value() == 365
    day.setValue(21)
    # Two first-value milestones are refused, with the reason.
    first = dialog.table.cellWidget(0, 3)
    assert isinstance(first, QCheckBox)
    first.setChecked(True)
    assert "Milestones 1 and 4 are all marked first_value" in dialog.error_label.text()
    assert not dialog.save_button.isEnabled()
    first.setChecked(False)
    assert dialog.save_button.isEnabled()
    dialog.save_button.click()
    saved = service.list_templates().get("SMB 21-day")
    assert saved is not None and not saved.builtin and len(saved.milestones) == 5
    assert dialog.template_list.currentItem().text() == "SMB 21-day"

    # Rename it in place: the same file, a new name.
    dialog.name_edit.setText("SMB three weeks")
    dialog.add_row_button.click()
    dialog.save_button.click()
    catalog = service.list_templates()
    assert catalog.get("SMB 21-day") is None
    renamed = catalog.get("SMB three weeks")
    assert renamed is not None and renamed.source == saved.source
    assert renamed.milestones[-1].title == "New milestone" and renamed.milestones[-1].day == 28

    dialog.delete_button.click()
    assert message_log[-1][0] == "confirm"
    assert service.list_templates().get("SMB three weeks") is None
    assert dialog.template_list.count() == 2


def test_templates_dialog_asks_before_discarding_changes(qtbot, message_log) -> None:  # type: ignore[no-untyped-def]
    dialog = TemplatesDialog(None)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.new_template()
    assert dialog.dirty and dialog.table.rowCount() == 1
    dialog.reject()
    assert message_log[-1][:2] == ("confirm", "Unsaved template")
