"""The main window driven like a user would: keys, clicks, dialogs, on a real database."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox

from csmdesk.gui.account_dialog import AccountDialog
from csmdesk.gui.book_model import COL_ARR, COL_HEALTH, COL_NAME
from csmdesk.gui.contact_dialog import ContactDialog
from csmdesk.gui.main_window import MainWindow
from csmdesk.services import accounts, contacts
from tests.conftest import TODAY
from tests.gui.helpers import when_dialog_opens


@pytest.fixture
def window(qtbot, demo_db, message_log):  # type: ignore[no-untyped-def]
    win = MainWindow(demo_db, today=TODAY, demo=True)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.show_book()  # it opens on Today (tests/gui/test_today_page.py); these are about the book
    return win


def _names(win: MainWindow) -> list[str]:
    proxy = win.book.proxy
    return [proxy.data(proxy.index(r, COL_NAME)) for r in range(proxy.rowCount())]


def test_a_book_with_accounts_opens_on_today(qtbot, demo_db, message_log) -> None:  # type: ignore[no-untyped-def]
    win = MainWindow(demo_db, today=TODAY, demo=True)
    qtbot.addWidget(win)
    win.show()
    assert win.pages.currentWidget() is win.today_page
    assert win.today_page.model.rowCount() > 0
    assert win.focusWidget() is win.today_page.table


def test_title_and_status_bar(window: MainWindow) -> None:
    assert "CSM Desk" in window.windowTitle()
    assert str(window.db.path) in window.path_label.text()
    assert window.count_label.text().startswith("40 accounts")


def test_create_account_through_dialog(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    def fill(dialog: QDialog) -> None:
        assert isinstance(dialog, AccountDialog)
        save = dialog.ui.buttonBox.button(QDialogButtonBox.StandardButton.Save)
        assert not save.isEnabled()
        qtbot.keyClicks(dialog.ui.nameEdit, "Zenith Payments")
        qtbot.keyClicks(dialog.ui.domainEdit, "zenithpay.com")
        qtbot.keyClicks(dialog.ui.arrEdit, "$48,500")
        qtbot.keyClicks(dialog.ui.seatsEdit, "75")
        assert save.isEnabled()
        qtbot.mouseClick(save, Qt.MouseButton.LeftButton)

    problems = when_dialog_opens(fill)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert problems == []
    created = [r for r in accounts.list_book(window.db) if r.name == "Zenith Payments"]
    assert len(created) == 1 and created[0].arr_minor == 4_850_000
    assert window.book.current_id() == created[0].id
    assert window.detail.title.text() == "Zenith Payments"
    assert window.count_label.text().startswith("41 accounts")


def test_cancelled_dialog_writes_nothing(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    def fill(dialog: QDialog) -> None:
        qtbot.keyClicks(dialog.ui.nameEdit, "Never saved")  # type: ignore[attr-defined]
        dialog.reject()

    when_dialog_opens(fill)
    window.new_action.trigger()
    assert "Never saved" not in [r.name for r in accounts.list_book(window.db)]


def test_filter_as_you_type(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.book.filter_edit.hasFocus()
    qtbot.keyClicks(window.book.filter_edit, "ac")
    narrowed = _names(window)
    assert "Acme Robotics" in narrowed and len(narrowed) < 40
    qtbot.keyClicks(window.book.filter_edit, "me")
    assert _names(window) == ["Acme Robotics"]
    assert "1 shown" in window.count_label.text()
    qtbot.keyClick(window.book.filter_edit, Qt.Key.Key_Escape)
    assert len(_names(window)) == 40


def test_filter_with_no_match_shows_empty_state(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(window.book.filter_edit, "zzzz-no-such-account")
    assert window.book.stack.currentWidget() is window.book.empty
    assert "No account matches" in window.book.empty_label.text()
    qtbot.mouseClick(window.book.empty_clear, Qt.MouseButton.LeftButton)
    assert window.book.stack.currentWidget() is window.book.table


def test_sort_by_clicking_headers(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    header = window.book.table.horizontalHeader()
    x = header.sectionViewportPosition(COL_ARR) + 10
    qtbot.mouseClick(
        header.viewport(), Qt.MouseButton.LeftButton, pos=header.rect().center().__class__(x, 5)
    )
    arr = [r.arr_minor for r in sorted(accounts.list_book(window.db), key=lambda r: r.arr_minor)]
    shown = [
        window.model.book_row(
            window.book.proxy.mapToSource(window.book.proxy.index(r, 0)).row()
        ).arr_minor
        for r in range(window.book.proxy.rowCount())
    ]
    active = [r.arr_minor for r in accounts.list_book(window.db) if not r.archived]
    assert shown in (sorted(active), sorted(active, reverse=True))
    assert arr  # the book has ARR values to sort
    qtbot.mouseClick(
        header.viewport(), Qt.MouseButton.LeftButton, pos=header.rect().center().__class__(x, 5)
    )
    shown2 = [
        window.model.book_row(
            window.book.proxy.mapToSource(window.book.proxy.index(r, 0)).row()
        ).arr_minor
        for r in range(window.book.proxy.rowCount())
    ]
    assert shown2 == list(reversed(shown)) or shown2 == sorted(shown2, reverse=True)


def test_quick_filter_segment_and_renewal(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    combo = window.book.segment_combo
    combo.setCurrentIndex(combo.findData("enterprise"))
    rows = {r.id: r for r in accounts.list_book(window.db)}
    shown = [window.book.proxy.account_id(i) for i in range(window.book.proxy.rowCount())]
    assert shown and all(rows[i].segment == "enterprise" for i in shown)
    combo.setCurrentIndex(0)
    window.book.renewal_combo.setCurrentIndex(window.book.renewal_combo.findData(90))
    shown = [window.book.proxy.account_id(i) for i in range(window.book.proxy.rowCount())]
    assert shown and all(0 <= (rows[i].renewal_date - TODAY).days <= 90 for i in shown)


def test_quick_switcher_jumps_to_account(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.book.filter_edit.setText("acme")  # the target is hidden by the filter...
    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert window.switcher.isVisible()
    qtbot.keyClicks(window.switcher.edit, "northw")
    assert window.switcher.list.currentItem().text() == "Northwind Traders"
    qtbot.keyClick(window.switcher.edit, Qt.Key.Key_Return)
    assert not window.switcher.isVisible()
    assert window.detail.title.text() == "Northwind Traders"  # ...and is revealed anyway
    assert window.book.filter_edit.text() == ""


def test_archive_then_undo_then_delete_from_archive(qtbot, window: MainWindow, message_log) -> None:  # type: ignore[no-untyped-def]
    assert window.book.select_id(1)
    name = window.detail.title.text()
    window.book.table.setFocus()
    qtbot.keyClick(window.book.table, Qt.Key.Key_Delete)
    assert name not in _names(window)
    assert window.count_label.text().startswith("39 accounts")
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert name in _names(window)
    window.undo_stack.redo()
    window.book.archived_button.setChecked(True)
    assert _names(window) == [name]
    window.book.select_id(1)
    window.delete_action.trigger()
    assert message_log and message_log[-1][0] == "confirm"
    assert all(r.id != 1 for r in accounts.list_book(window.db))
    assert window.book.stack.currentWidget() is window.book.empty


def test_delete_is_refused_outside_the_archive(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.book.select_id(2)
    window._update_actions()
    assert not window.delete_action.isEnabled()
    window.delete_selected()
    assert any(r.id == 2 for r in accounts.list_book(window.db))


def test_edit_contact_and_mark_left(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.book.select_id(1)
    pane = window.detail
    pane.contacts_view.selectRow(0)
    contact = pane.contacts_model.contact(0)

    def edit(dialog: QDialog) -> None:
        assert isinstance(dialog, ContactDialog)
        dialog.ui.titleEdit.clear()
        qtbot.keyClicks(dialog.ui.titleEdit, "Chief Customer Officer")
        dialog.ui.emailEdit.setText("not-an-email")
        assert not dialog.save_button.isEnabled()
        dialog.ui.emailEdit.setText("cco@acmerobotics.com")
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    problems = when_dialog_opens(edit)
    qtbot.mouseClick(pane.edit_contact_button, Qt.MouseButton.LeftButton)
    assert problems == []
    saved = {c.id: c for c in contacts.list_contacts(window.db, 1)}[contact.id]
    assert (saved.title, saved.email) == ("Chief Customer Officer", "cco@acmerobotics.com")
    row = pane.contacts_model.row_of(contact.id)
    pane.contacts_view.selectRow(row)
    qtbot.mouseClick(pane.left_button, Qt.MouseButton.LeftButton)
    saved = {c.id: c for c in contacts.list_contacts(window.db, 1)}[contact.id]
    assert saved.left_on == TODAY


def test_add_contact_and_mark_champion(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.book.select_id(2)
    pane = window.detail

    def add(dialog: QDialog) -> None:
        qtbot.keyClicks(dialog.ui.nameEdit, "Lena Fischer")  # type: ignore[attr-defined]
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]

    problems = when_dialog_opens(add)
    qtbot.mouseClick(pane.add_contact_button, Qt.MouseButton.LeftButton)
    assert problems == []
    lena = next(c for c in contacts.list_contacts(window.db, 2) if c.name == "Lena Fischer")
    assert pane.contacts_model.contact(pane.contacts_view.currentIndex().row()).id == lena.id
    qtbot.mouseClick(pane.champion_button, Qt.MouseButton.LeftButton)
    lena = next(c for c in contacts.list_contacts(window.db, 2) if c.name == "Lena Fischer")
    assert lena.roles == "champion"


def test_edit_account_dialog_saves_and_refreshes_row(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.book.select_id(3)

    def edit(dialog: QDialog) -> None:
        dialog.ui.arrEdit.setText("99,000")  # type: ignore[attr-defined]
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]

    problems = when_dialog_opens(edit)
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert problems == []
    assert accounts.get_account(window.db, 3).arr_minor == 9_900_000
    row = window.book.proxy.proxy_row_of(3)
    assert window.book.proxy.data(window.book.proxy.index(row, COL_ARR)) == "$99,000"


def test_window_remembers_selection_and_geometry(qtbot, demo_db, message_log) -> None:  # type: ignore[no-untyped-def]
    first = MainWindow(demo_db, today=TODAY)
    qtbot.addWidget(first)
    first.show()
    first.resize(1001, 603)
    first.splitter.setSizes([400, 300])
    splitter = first.splitter.sizes()
    first.book.select_id(7)
    first.close()
    second = MainWindow(demo_db, today=TODAY)
    qtbot.addWidget(second)
    second.show()
    assert second.book.current_id() == 7
    # The offscreen screen is 800 px wide, so Qt clamps the restored width; the height is free.
    assert second.size().height() == 603
    restored = second.splitter.sizes()
    assert abs(restored[0] / sum(restored) - splitter[0] / sum(splitter)) < 0.03


def test_empty_book_says_what_to_do(qtbot, db, message_log) -> None:  # type: ignore[no-untyped-def]
    win = MainWindow(db, today=TODAY)
    qtbot.addWidget(win)
    win.show()
    assert win.book.stack.currentWidget() is win.book.empty
    assert "No accounts yet" in win.book.empty_label.text()
    assert win.book.empty_new.isVisible() and win.book.empty_demo.isVisible()
    assert win.detail.stack.currentIndex() == 0


def test_back_up_then_restore_from_the_window(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.backups.finished, timeout=10_000):
        window.backups.back_up_now()
    window.backups.wait(10_000)
    from csmdesk import paths

    (made,) = (paths.backup_dir() / window.db.path.stem).glob("*.sqlite3")
    window.book.select_id(1)
    qtbot.keyClick(window.book.table, Qt.Key.Key_Delete)  # archive account 1 after the backup
    assert window.count_label.text().startswith("39 accounts")
    window.backups.restore_requested.emit(made)  # what Restore… emits once the user confirmed
    assert window.count_label.text().startswith("40 accounts")
    assert len(accounts.list_book(window.db)) == 40 and window.undo_stack.count() == 0
    before = [p.name for p in window.db.path.parent.glob("*.before-restore-*")]
    assert before  # the database as it was is kept aside


def test_entering_a_reading_updates_score_band_and_explanation(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    from csmdesk.gui.health_ui import ReadingDialog
    from csmdesk.services import health

    rows = {r.name: r for r in accounts.list_book(window.db)}
    target = rows["Acme Robotics"]
    window.book.select_id(target.id)
    window.detail.tabs.setCurrentIndex(1)
    tab = window.detail.health_tab
    before = health.cached_scores(window.db)[target.id]
    assert str(before.value) in tab.headline.text()

    def enter(dialog: QDialog) -> None:
        assert isinstance(dialog, ReadingDialog)
        assert not dialog.save_button.isEnabled()  # nothing entered yet
        qtbot.keyClicks(dialog.fields["nps"], "11")
        assert not dialog.save_button.isEnabled() and "0 to 10" in dialog.error_label.text()
        dialog.fields["nps"].clear()
        qtbot.keyClicks(dialog.fields["nps"], "0")
        qtbot.keyClicks(dialog.fields["active_users"], "5")
        qtbot.keyClicks(dialog.fields["open_tickets"], "40")
        qtbot.keyClicks(dialog.fields["escalations"], "3")
        assert dialog.save_button.isEnabled()
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    problems = when_dialog_opens(enter)
    qtbot.mouseClick(tab.reading_button, Qt.MouseButton.LeftButton)
    assert problems == []
    after = health.cached_scores(window.db)[target.id]
    assert after.value is not None and before.value is not None and after.value < before.value
    assert str(after.value) in tab.headline.text()
    assert "NPS 0" in tab.details.text()
    shown = window.book.proxy.data(
        window.book.proxy.index(window.book.proxy.proxy_row_of(target.id), COL_HEALTH)
    )
    assert shown.startswith(str(after.value))


def test_health_column_sorts_and_at_risk_filter(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.book.table.sortByColumn(COL_HEALTH, Qt.SortOrder.AscendingOrder)
    proxy = window.book.proxy
    values = [
        window.model.book_row(proxy.mapToSource(proxy.index(r, 0)).row()).health
        for r in range(proxy.rowCount())
    ]
    scored = [v for v in values if v is not None]
    assert scored == sorted(scored) and values[: len(scored)] == scored  # unscored last
    combo = window.book.health_combo
    combo.setCurrentIndex(combo.findData("watch"))
    bands = {
        window.model.book_row(proxy.mapToSource(proxy.index(r, 0)).row()).health_band
        for r in range(proxy.rowCount())
    }
    assert bands == {"watch"}


def test_health_is_loaded_only_when_its_tab_is_shown(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    tab = window.detail.health_tab
    window.detail.tabs.setCurrentIndex(0)
    window.book.select_id(2)
    window.book.select_id(3)
    assert tab.data is None or (tab.account_id == 3 and tab._data_stale)
    window.detail.tabs.setCurrentIndex(1)
    assert tab.data is not None and not tab._data_stale
    assert tab.data.score is not None and str(tab.data.score.value) in tab.headline.text()


def test_book_health_page_and_band_drill_down(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    assert window.book_health.data is None  # nothing loaded (no Matplotlib) until it is shown
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.pages.currentWidget() is window.book_health
    data = window.book_health.data
    churned = sum(1 for r in window.model.rows() if r.lifecycle == "churned")
    assert churned >= 2  # the demo book has lost a few accounts, and they are not scored
    assert data is not None and data.total_accounts == window.model.active_count() - churned
    band = max(("healthy", "watch"), key=lambda b: data.counts[b])
    window.book_health.band_chosen.emit(band)
    assert window.pages.currentWidget() is window.splitter
    assert window.book.health_combo.currentData() == band
    assert window.book.proxy.rowCount() == data.counts[band]
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.book.table.hasFocus()


def test_log_a_touchpoint_from_anywhere(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    from csmdesk.services import records

    window.book.select_id(3)
    before = records.last_touchpoint(window.db, 3)

    def fill(dialog: QDialog) -> None:
        dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("qbr"))  # type: ignore[attr-defined]
        qtbot.keyClicks(dialog.summary_edit, "Q4 business review with the sponsor")  # type: ignore[attr-defined]
        dialog.duration_spin.setValue(60)  # type: ignore[attr-defined]
        dialog.save_button.click()  # type: ignore[attr-defined]

    problems = when_dialog_opens(fill)
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert problems == []
    last = records.last_touchpoint(window.db, 3)
    assert last is not None and (before is None or last.id != before.id)
    assert (last.kind, last.summary, last.duration_minutes) == (
        "qbr", "Q4 business review with the sponsor", 60
    )  # fmt: skip
    assert last.occurred_at.astimezone().date() == TODAY


def test_a_touchpoint_cannot_be_in_the_future(qtbot) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from PySide6.QtCore import QDate, QDateTime, QTime

    from csmdesk.gui.touchpoint_dialog import TouchpointDialog

    dialog = TouchpointDialog(None, "Acme", today=TODAY)
    qtbot.addWidget(dialog)
    assert dialog.save_button.isEnabled()
    tomorrow = TODAY + timedelta(days=1)
    dialog.when_edit.setDateTime(
        QDateTime(QDate(tomorrow.year, tomorrow.month, tomorrow.day), QTime(9, 0))
    )
    assert not dialog.save_button.isEnabled()
    assert "future" in dialog.error_label.text()


def test_closing_during_a_rescore_waits_for_it(qtbot, demo_db, message_log) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from PySide6.QtCore import QThreadPool

    later = TODAY + timedelta(days=3)
    win = MainWindow(demo_db, today=later, demo=True)  # stale scores
    qtbot.addWidget(win)
    win.show()
    assert win.recompute.start(later)
    win.close()  # before any event is processed: the run is still going
    # The run stopped (or finished) before the window let the database go.
    assert QThreadPool.globalInstance().activeThreadCount() == 0
