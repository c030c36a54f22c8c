"""Today, driven with the keyboard against a real temporary database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from csmdesk.domain.accounts import AccountDraft
from csmdesk.gui.main_window import MainWindow
from csmdesk.gui.today_model import TodayModel
from csmdesk.gui.today_page import EMPTY_BOOK, SnoozeDialog, TodayPage
from csmdesk.gui.touchpoint_dialog import TouchpointDialog
from csmdesk.gui.widgets import set_date
from csmdesk.models import ActionItem, Milestone
from csmdesk.services import accounts, records
from csmdesk.services import today as service
from tests.gui.helpers import when_dialog_opens

TODAY = date(2026, 11, 25)


def _account(db, name: str, **kw: object) -> int:  # type: ignore[no-untyped-def]
    values: dict[str, object] = {
        "segment": "enterprise",
        "lifecycle": "mature",
        "contract_start": date(2025, 1, 10),
        "arr_minor": 50_000_00,
    }
    values.update(kw)
    account = accounts.create_account(db, AccountDraft(name=name, **values), today=TODAY)  # type: ignore[arg-type]
    assert account.id is not None
    # A review yesterday: nothing due by cadence or review for a while.
    records.log_touchpoint(
        db, account.id, "qbr", datetime.combine(TODAY - timedelta(days=1), time(15), tzinfo=UTC)
    )
    return account.id


@pytest.fixture
def book(db):  # type: ignore[no-untyped-def]
    acme = _account(db, "Acme", arr_minor=90_000_00)
    globex = _account(db, "Globex", renewal_date=TODAY + timedelta(days=20))
    m = records.add_milestone(db, acme, "Admin training", due_date=TODAY - timedelta(days=5))
    a = records.add_action_item(db, globex, "Send SSO docs", due_date=TODAY + timedelta(days=2))
    return {"acme": acme, "globex": globex, "milestone": m.id, "action": a.id}


@pytest.fixture
def window(qtbot, db, book, message_log):  # type: ignore[no-untyped-def]
    win = MainWindow(db, today=TODAY)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def _keys(page: TodayPage) -> list[str]:
    return [i.key for i in page.model.items()]


def _press(qtbot, page: TodayPage, key: Qt.Key) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClick(page.table, key)


def test_model_passes_the_modeltester(qtmodeltester, demo_db) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import TODAY as DEMO_TODAY

    queue = service.compute_today(demo_db, DEMO_TODAY)
    model = TodayModel(DEMO_TODAY)
    model.set_items(queue.items, DEMO_TODAY, {}, service.account_currencies(demo_db))
    assert model.rowCount() == len(queue.items) > 20
    qtmodeltester.check(model)


def test_window_opens_on_today_in_priority_order(window: MainWindow, book) -> None:  # type: ignore[no-untyped-def]
    page = window.today_page
    assert window.pages.currentWidget() is page
    assert _keys(page) == [
        f"milestone:{book['milestone']}",  # overdue
        f"action:{book['action']}",  # in 2 days
        f"renewal:{book['globex']}:2026-12-15:30",  # high, but 20 days out: not urgent yet
    ]
    assert page.model.index(0, 0).data() == "5 days overdue"
    assert "3 things to do" in page.summary.text() and "1 overdue" in page.summary.text()
    assert page.table.currentIndex().row() == 0


def test_keyboard_moves_filters_and_opens(qtbot, window: MainWindow, book) -> None:  # type: ignore[no-untyped-def]
    page = window.today_page
    _press(qtbot, page, Qt.Key.Key_J)
    assert page.table.currentIndex().row() == 1
    _press(qtbot, page, Qt.Key.Key_J)
    _press(qtbot, page, Qt.Key.Key_J)  # stops at the last row
    assert page.table.currentIndex().row() == 2
    _press(qtbot, page, Qt.Key.Key_K)
    assert page.table.currentIndex().row() == 1
    # 1 = the first kind (renewals); 0 = everything again.
    _press(qtbot, page, Qt.Key.Key_1)
    assert [i.category for i in page.model.items()] == ["renewal"]
    assert page.filters.checkedButton().text().startswith("Renewals")
    _press(qtbot, page, Qt.Key.Key_0)
    assert page.model.rowCount() == 3
    # Enter opens the account in the book.
    page.select_key(f"action:{book['action']}")
    _press(qtbot, page, Qt.Key.Key_Return)
    assert window.pages.currentWidget() is window.splitter
    assert window.book.current_id() == book["globex"]
    assert window.detail.tabs.currentIndex() == 0  # an action item: the overview
    window.show_today()
    page.select_key(f"milestone:{book['milestone']}")
    _press(qtbot, page, Qt.Key.Key_Enter)
    assert window.book.current_id() == book["acme"]
    assert window.detail.tabs.currentWidget() is window.detail.onboarding_tab


def test_done_completes_the_milestone_and_undo_reopens_it(
    qtbot, window: MainWindow, book, db
) -> None:  # type: ignore[no-untyped-def]
    page = window.today_page
    key = f"milestone:{book['milestone']}"
    page.select_key(key)
    _press(qtbot, page, Qt.Key.Key_D)
    assert key not in _keys(page)
    with db.session() as s:
        milestone = s.get(Milestone, book["milestone"])
        assert milestone is not None and milestone.completed_on == TODAY
    assert "1 done" in page.summary.text()
    assert page.table.currentIndex().row() == 0  # the next row is ready for the next key
    window.undo_stack.undo()
    assert key in _keys(page)
    with db.session() as s:
        milestone = s.get(Milestone, book["milestone"])
        assert milestone is not None and milestone.completed_on is None


def test_done_on_an_action_item_completes_it(qtbot, window: MainWindow, book, db) -> None:  # type: ignore[no-untyped-def]
    page = window.today_page
    page.select_key(f"action:{book['action']}")
    page.buttons["done"].click()
    with db.session() as s:
        item = s.get(ActionItem, book["action"])
        assert item is not None and item.done_on == TODAY


def test_snooze_persists_across_a_restart_and_ends_on_its_day(
    qtbot, window: MainWindow, book, db, message_log
) -> None:  # type: ignore[no-untyped-def]
    page = window.today_page
    renewal = f"renewal:{book['globex']}:2026-12-15:30"
    action = f"action:{book['action']}"
    page.select_key(renewal)
    _press(qtbot, page, Qt.Key.Key_S)  # a day
    page.select_key(action)
    _press(qtbot, page, Qt.Key.Key_W)  # a week
    assert renewal not in _keys(page) and action not in _keys(page)
    assert "2 snoozed" in page.summary.text()
    window.close()

    again = MainWindow(db, today=TODAY)
    qtbot.addWidget(again)
    again.show()
    assert _keys(again.today_page) == [f"milestone:{book['milestone']}"]
    again.close()
    tomorrow = MainWindow(db, today=TODAY + timedelta(days=1))
    qtbot.addWidget(tomorrow)
    tomorrow.show()
    keys = _keys(tomorrow.today_page)
    assert renewal in keys and action not in keys  # the day is up; the week is not


def test_snooze_until_a_chosen_day(qtbot, window: MainWindow, book, db) -> None:  # type: ignore[no-untyped-def]
    page = window.today_page
    key = f"milestone:{book['milestone']}"
    page.select_key(key)

    def choose(dialog: QDialog) -> None:
        assert isinstance(dialog, SnoozeDialog)
        set_date(dialog.date_edit, TODAY - timedelta(days=3))  # refused: clamps to tomorrow
        assert dialog.value() == TODAY + timedelta(days=1)
        set_date(dialog.date_edit, date(2026, 12, 31))
        dialog.accept()

    problems = when_dialog_opens(choose)
    _press(qtbot, page, Qt.Key.Key_U)
    assert problems == []
    state = service.state_of(db, key)
    assert state is not None and state.snoozed_until == date(2026, 12, 31)
    assert key not in _keys(page)


def test_log_a_touchpoint_from_today(qtbot, db, message_log) -> None:  # type: ignore[no-untyped-def]
    lapsed = accounts.create_account(
        db,
        AccountDraft(name="Initech", segment="smb", lifecycle="mature",
                     contract_start=date(2025, 1, 10)),
        today=TODAY,
    )  # fmt: skip
    assert lapsed.id is not None
    records.log_touchpoint(
        db, lapsed.id, "call", datetime.combine(date(2026, 7, 1), time(15), tzinfo=UTC)
    )
    win = MainWindow(db, today=TODAY)
    qtbot.addWidget(win)
    win.show()
    page = win.today_page
    touch = next(i for i in page.model.items() if i.category == "touchpoint")
    page.select_key(touch.key)

    def log_it(dialog: QDialog) -> None:
        assert isinstance(dialog, TouchpointDialog)
        dialog.summary_edit.setText("Caught up on the rollout")
        dialog.accept()

    problems = when_dialog_opens(log_it)
    _press(qtbot, page, Qt.Key.Key_L)
    assert problems == []
    assert all(i.category != "touchpoint" for i in page.model.items())
    last = records.last_touchpoint(db, lapsed.id)
    assert last is not None and last.summary == "Caught up on the rollout"


def test_empty_states(qtbot, db, book, message_log) -> None:  # type: ignore[no-untyped-def]
    page = TodayPage(db, TODAY)
    qtbot.addWidget(page)
    page.show()
    for item in page.model.items():
        service.snooze(db, item.key, TODAY + timedelta(days=3), today=TODAY)
    page.refresh()
    assert page.stack.currentWidget() is page.empty_label
    assert page.empty_label.text().startswith("Nothing needs you today")
    assert "3 snoozed" in page.empty_label.text()
    assert not page.buttons["done"].isEnabled()


def test_an_empty_book_says_how_to_start(qtbot, db, message_log) -> None:  # type: ignore[no-untyped-def]
    page = TodayPage(db, TODAY)
    qtbot.addWidget(page)
    page.show()
    assert page.empty_label.text() == EMPTY_BOOK


def test_account_commands_follow_todays_row(qtbot, window: MainWindow, book, db) -> None:  # type: ignore[no-untyped-def]
    page = window.today_page
    page.select_key(f"action:{book['action']}")  # Globex, while the book has another selection
    window.book.select_id(book["acme"])
    window.archive_action.trigger()  # Del on Today archives nothing
    assert accounts.get_account(db, book["acme"]).archived_at is None
    seen: list[str] = []

    def cancel(dialog: QDialog) -> None:
        seen.append(dialog.windowTitle())
        dialog.reject()

    problems = when_dialog_opens(cancel)
    window.touchpoint_action.trigger()
    assert problems == [] and seen == ["Log a touchpoint — Globex"]
