"""The Renewal tab driven like a CSM would: tick the checklist, set the status, record the
outcome (and be refused on bad input), read the window it is in; and the rhythm facts on the
account's Overview."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog

from csmdesk.domain.accounts import AccountDraft
from csmdesk.gui.detail_pane import DetailPane
from csmdesk.gui.renewal_dialogs import RecordOutcomeDialog
from csmdesk.gui.renewal_tab import EMPTY_TEXT, RenewalTab
from csmdesk.gui.widgets import set_date
from csmdesk.models import RenewalStatus
from csmdesk.services import accounts, records
from csmdesk.services import renewals as service
from tests.gui.helpers import when_dialog_opens

TODAY = date(2026, 11, 25)
ARR = 12_000_000  # $120,000


def _account(db, renewal_in: int | None = 45, **fields: object) -> int:  # type: ignore[no-untyped-def]
    values: dict[str, object] = {
        "name": "Acme",
        "segment": "mid_market",
        "lifecycle": "mature",
        "arr_minor": ARR,
        "contract_start": date(2025, 12, 1),
        "renewal_date": None if renewal_in is None else TODAY + timedelta(days=renewal_in),
    }
    account = accounts.create_account(db, AccountDraft(**{**values, **fields}), today=TODAY)  # type: ignore[arg-type]
    assert account.id is not None
    return account.id


@pytest.fixture
def tab(qtbot, db, message_log) -> RenewalTab:  # type: ignore[no-untyped-def]
    widget = RenewalTab(db, TODAY)
    qtbot.addWidget(widget)
    widget.resize(720, 640)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _plain(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text)


def _record(tab: RenewalTab, handle, *, guard: bool = True) -> list[str]:  # type: ignore[no-untyped-def]
    """Open Record outcome… and drive it with ``handle``; a dialog that opens again after
    that (the tab re-asking on a refusal) is closed and reported, so a bug fails, not hangs."""
    handled: list[bool] = []

    def first(dialog: QDialog) -> None:
        handle(dialog)
        handled.append(True)

    problems = when_dialog_opens(first)
    reopened: list[str] = []

    def check() -> None:
        dialog = QApplication.activeModalWidget()
        if handled and isinstance(dialog, QDialog) and dialog.isVisible():
            reopened.append(f"reopened: {dialog.windowTitle()}")
            dialog.reject()

    timer = QTimer()
    timer.setInterval(50)
    timer.timeout.connect(check)
    if guard:
        timer.start()
    try:
        tab.outcome_button.click()
    finally:
        timer.stop()
    return problems + reopened


def test_ticking_a_checklist_item_stores_it_with_today_and_survives_reshowing(
    qtbot, tab: RenewalTab, db
) -> None:  # type: ignore[no-untyped-def]
    account_id = _account(db)
    other = _account(db, name="Other")
    tab.show_account(account_id)
    assert service.current_renewal(db, account_id) is None  # looking makes no record
    changed: list[int] = []
    tab.changed.connect(changed.append)

    check = tab.checks["usage_review"]
    assert not check.isChecked() and check.isEnabled()
    qtbot.mouseClick(check, Qt.MouseButton.LeftButton)

    renewal = service.current_renewal(db, account_id)
    assert renewal is not None
    assert service.checklist_of(renewal) == {"usage_review": TODAY}
    assert renewal.status == RenewalStatus.IN_PROGRESS.value  # the service's first-tick rule
    assert changed == [account_id]
    assert tab.done_labels["usage_review"].text() == "done 2026-11-25"
    assert tab.status_combo.currentData() == RenewalStatus.IN_PROGRESS.value
    assert tab.checklist_summary.text() == "1 of 4 done"

    tab.show_account(other)
    assert not tab.checks["usage_review"].isChecked()
    assert tab.done_labels["usage_review"].text() == ""
    tab.show_account(account_id)
    assert tab.checks["usage_review"].isChecked()
    assert tab.done_labels["usage_review"].text() == "done 2026-11-25"
    assert not tab.checks["value_summary"].isChecked()

    # The keyboard unticks it again.
    check = tab.checks["usage_review"]
    check.setFocus()
    qtbot.keyClick(check, Qt.Key.Key_Space)
    renewal = service.current_renewal(db, account_id)
    assert renewal is not None and service.checklist_of(renewal) == {}
    assert not tab.checks["usage_review"].isChecked()


def test_changing_the_status_stores_it(qtbot, tab: RenewalTab, db) -> None:  # type: ignore[no-untyped-def]
    account_id = _account(db)
    tab.show_account(account_id)
    values = [tab.status_combo.itemData(i) for i in range(tab.status_combo.count())]
    assert values == list(service.OPEN_STATUSES)  # renewed/churned only by recording an outcome
    changed: list[int] = []
    tab.changed.connect(changed.append)

    tab.status_combo.setFocus()
    for _ in range(3):  # not started -> in progress -> committed -> at risk, by keyboard
        qtbot.keyClick(tab.status_combo, Qt.Key.Key_Down)

    renewal = service.current_renewal(db, account_id)
    assert renewal is not None and renewal.status == RenewalStatus.AT_RISK.value
    assert changed == [account_id] * 3
    assert "At risk" in _plain(tab.headline.text())
    assert tab.status_combo.hasFocus()
    tab.show_account(account_id)
    assert tab.status_combo.currentData() == RenewalStatus.AT_RISK.value


def test_recording_an_expansion_writes_the_arr_event_and_closes_the_renewal(
    qtbot, tab: RenewalTab, db
) -> None:  # type: ignore[no-untyped-def]
    account_id = _account(db)
    tab.show_account(account_id)
    changed: list[int] = []
    tab.changed.connect(changed.append)
    seen: list[str] = []

    def expand(dialog: QDialog) -> None:
        assert isinstance(dialog, RecordOutcomeDialog)
        dialog.set_outcome(service.EXPANSION)
        dialog.arr_edit.setText("150,000")
        set_date(dialog.date_edit, TODAY - timedelta(days=2))
        dialog.comment_edit.setPlainText("Added the analytics module")
        seen.append(dialog.consequence_label.text())
        assert dialog.ok_button.isEnabled()
        dialog.ok_button.click()

    assert _record(tab, expand) == []
    assert "+$30,000" in seen[0] and "2028-01-09" in seen[0]

    events = records.list_arr_events(db, account_id)
    latest = events[-1]
    assert (latest.kind, latest.arr_after_minor, latest.on) == (
        "expansion",
        15_000_000,
        TODAY - timedelta(days=2),
    )
    closed = service.list_renewals(db, account_id)
    assert len(closed) == 1
    assert closed[0].status == RenewalStatus.RENEWED.value
    assert closed[0].outcome == service.EXPANSION and closed[0].arr_event_id == latest.id
    account = accounts.get_account(db, account_id)
    assert account.arr_minor == 15_000_000
    assert account.renewal_date == date(2028, 1, 9)  # a year on
    assert changed == [account_id]

    # The tab now shows next year's renewal, and the closed one in the history.
    assert tab.date_label.text().startswith("2028-01-09")
    assert tab.arr_label.text() == "$150,000"
    assert tab.history.topLevelItemCount() == 1
    row = tab.history.topLevelItem(0)
    assert [row.text(c) for c in range(5)] == [
        "2027-01-09",
        "Renewed",
        "Renewed with expansion",
        "+$30,000 → $150,000",
        "2026-11-23",
    ]


def test_a_contraction_above_the_current_arr_is_refused_with_the_reason(
    qtbot, tab: RenewalTab, db
) -> None:  # type: ignore[no-untyped-def]
    account_id = _account(db)
    tab.show_account(account_id)
    events_before = records.list_arr_events(db, account_id)
    seen: dict[str, object] = {}

    def contract(dialog: QDialog) -> None:
        assert isinstance(dialog, RecordOutcomeDialog)
        dialog.set_outcome(service.CONTRACTION)
        dialog.arr_edit.setText("130000")
        seen["error"] = dialog.error_label.text()
        seen["visible"] = dialog.error_label.isVisible()
        seen["ok"] = dialog.ok_button.isEnabled()
        dialog.ok_button.click()  # disabled: nothing happens
        dialog.accept()  # nor through Enter
        seen["open"] = dialog.isVisible()
        dialog.arr_edit.setText("12k")
        seen["money"] = dialog.error_label.text()
        dialog.reject()

    assert _record(tab, contract) == []
    assert "below the current one" in str(seen["error"])
    assert seen["visible"] is True and seen["ok"] is False and seen["open"] is True
    assert "is not an amount" in str(seen["money"])
    assert [e.id for e in records.list_arr_events(db, account_id)] == [e.id for e in events_before]
    renewal = service.current_renewal(db, account_id)
    assert renewal is not None and renewal.status == RenewalStatus.NOT_STARTED.value
    assert renewal.outcome is None
    assert accounts.get_account(db, account_id).arr_minor == ARR


def test_a_service_refusal_is_shown_and_keeps_the_dialog_and_its_input(
    qtbot, tab: RenewalTab, db, message_log
) -> None:  # type: ignore[no-untyped-def]
    account_id = _account(db)
    tab.show_account(account_id)
    opened: list[str] = []

    def first(dialog: QDialog) -> None:
        assert isinstance(dialog, RecordOutcomeDialog)
        dialog.set_outcome(service.EXPANSION)
        dialog.arr_edit.setText("150000")
        # Someone else closes the renewal meanwhile: the service refuses the second outcome.
        renewal = service.ensure_renewal(db, account_id)
        assert renewal.id is not None
        service.record_outcome(db, renewal.id, service.FLAT, None, TODAY)
        when_dialog_opens(second)
        dialog.ok_button.click()

    def second(dialog: QDialog) -> None:
        assert isinstance(dialog, RecordOutcomeDialog)
        opened.append(dialog.arr_edit.text())
        dialog.reject()

    assert _record(tab, first, guard=False) == []
    assert message_log and message_log[0][:2] == ("error", "Outcome not recorded")
    assert "closed" in message_log[0][2]
    assert opened == ["150000"]  # the same dialog again, with what was typed
    assert accounts.get_account(db, account_id).arr_minor == ARR  # only the flat renewal


def test_empty_state_without_a_renewal_date(tab: RenewalTab, db) -> None:  # type: ignore[no-untyped-def]
    account_id = _account(db, renewal_in=None)
    tab.show_account(account_id)
    assert tab.empty.isVisible() and tab.empty.text() == EMPTY_TEXT
    assert "Edit… (Ctrl+E)" in tab.empty.text()
    assert not tab.current.isVisible() and not tab.history_box.isVisible()
    tab.show_account(_account(db, name="Dated"))
    assert not tab.empty.isVisible() and tab.current.isVisible()


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (120, "Prep opens on 2026-12-25 (in 30 days)"),
        (75, "In the 90-day window (since 2026-11-10) · 60-day window on 2026-12-10"),
        (45, "In the 60-day window (since 2026-11-10) · 30-day window on 2026-12-10"),
        (10, "In the 30-day window (since 2026-11-05)"),
        (-3, "Passed, no outcome recorded (3 days ago)"),
    ],
)
def test_the_window_the_renewal_is_in(tab: RenewalTab, db, days: int, expected: str) -> None:  # type: ignore[no-untyped-def]
    account_id = _account(db, renewal_in=days)
    tab.show_account(account_id)
    assert tab.window_label.text() == expected
    left = {120: "120 days left", 75: "75 days left", 45: "45 days left", 10: "10 days left"}
    assert tab.date_label.text().endswith(f"({left.get(days, '3 days ago')})")


def test_a_churn_closes_the_tab_for_edits(qtbot, tab: RenewalTab, db) -> None:  # type: ignore[no-untyped-def]
    account_id = _account(db, renewal_in=10)
    tab.show_account(account_id)

    def churn(dialog: QDialog) -> None:
        assert isinstance(dialog, RecordOutcomeDialog)
        dialog.set_outcome(service.CHURN)
        assert not dialog.arr_edit.isEnabled()
        assert "churned" in dialog.consequence_label.text()
        dialog.comment_edit.setPlainText("Moved to a competitor")
        dialog.ok_button.click()

    assert _record(tab, churn) == []
    account = accounts.get_account(db, account_id)
    assert account.arr_minor == 0 and account.lifecycle == "churned"
    assert tab.window_label.text() == "Closed"
    assert tab.closed_label.text() == (
        "Outcome recorded on 2026-11-25: Churned · Moved to a competitor"
    )
    assert not tab.outcome_button.isEnabled() and not tab.status_combo.isEnabled()
    assert not any(check.isEnabled() for check in tab.checks.values())
    assert tab.history.topLevelItemCount() == 0  # the churned renewal is the current one
    # The account's starting ARR (its placeholder event) stays the base of the change.
    assert tab.arr_label.text() == "\u2212$120,000 → $0"
    assert [(e.kind, e.arr_after_minor) for e in records.list_arr_events(db, account_id)] == [
        ("new", ARR),
        ("churn", 0),
    ]


def test_overview_shows_the_next_touchpoint_and_review(qtbot, db, message_log) -> None:  # type: ignore[no-untyped-def]
    account_id = _account(db)
    records.log_touchpoint(db, account_id, "call", datetime(2026, 11, 18, 15, tzinfo=UTC))
    records.log_touchpoint(db, account_id, "qbr", datetime(2026, 9, 1, 15, tzinfo=UTC))
    bare = accounts.create_account(db, AccountDraft(name="Bare", segment="smb"), today=TODAY)
    pane = DetailPane(db, TODAY)
    qtbot.addWidget(pane)
    pane.show()
    pane.show_account(accounts.get_account(db, account_id))
    facts = pane.fact_labels
    # Mid-Market: every 45 days from the last touch; QBR three months after the last one.
    assert facts["touchpoint"].text() == (
        "2027-01-02 (in 38 days · every 45 days · last 2026-11-18)"
    )
    assert pane.review_fact_label.text() == "Next QBR:"
    assert facts["review"].text() == "2026-12-01 (in 6 days)"
    assert facts["renewal"].text() == "2027-01-09 (in 45 days)"

    assert bare.id is not None
    pane.show_account(accounts.get_account(db, bare.id))
    assert facts["review"].text() == "— (set a contract start to schedule it)"
    assert "none logged yet" in facts["touchpoint"].text()

    pane.tabs.setCurrentWidget(pane.renewal_tab)
    assert pane.tabs.tabText(pane.tabs.currentIndex()) == "Rene&wal"
    assert pane.renewal_tab.empty.isVisible()


def test_overdue_touchpoint_and_ebr_wording(qtbot, db, message_log) -> None:  # type: ignore[no-untyped-def]
    account_id = _account(db, segment="enterprise")
    records.log_touchpoint(db, account_id, "call", datetime(2026, 10, 1, 15, tzinfo=UTC))
    pane = DetailPane(db, TODAY)
    qtbot.addWidget(pane)
    pane.show_account(accounts.get_account(db, account_id))
    assert pane.fact_labels["touchpoint"].text() == (
        "2026-10-31 (25 days overdue · every 30 days · last 2026-10-01)"
    )
    assert pane.review_fact_label.text() == "Next EBR:"
    assert pane.fact_labels["review"].text() == "2026-03-01 (269 days overdue)"


def test_an_outcome_in_the_tab_refreshes_the_overview_and_is_forwarded(
    qtbot, db, message_log
) -> None:  # type: ignore[no-untyped-def]
    account_id = _account(db)
    pane = DetailPane(db, TODAY)
    qtbot.addWidget(pane)
    pane.resize(760, 700)
    pane.show()
    pane.show_account(accounts.get_account(db, account_id))
    pane.tabs.setCurrentWidget(pane.renewal_tab)
    forwarded: list[int] = []
    pane.renewal_changed.connect(forwarded.append)

    def flat(dialog: QDialog) -> None:
        assert isinstance(dialog, RecordOutcomeDialog)
        dialog.set_outcome(service.FLAT)
        dialog.ok_button.click()

    assert _record(pane.renewal_tab, flat) == []
    assert forwarded == [account_id]
    assert pane.fact_labels["renewal"].text().startswith("2028-01-09")
    events = records.list_arr_events(db, account_id)
    assert (events[-1].kind, events[-1].arr_after_minor) == ("renewal", ARR)


def test_an_outcome_updates_the_book_row_and_today(qtbot, db, message_log) -> None:  # type: ignore[no-untyped-def]
    from csmdesk.gui.main_window import MainWindow

    account_id = _account(db)
    window = MainWindow(db, today=TODAY)
    qtbot.addWidget(window)
    window.show()
    renewals_today = [i for i in window.today_page.model.items() if i.category == "renewal"]
    assert [i.account_id for i in renewals_today] == [account_id]
    window.show_book()
    window.book.select_id(account_id)
    window.detail.tabs.setCurrentWidget(window.detail.renewal_tab)

    def expand(dialog: QDialog) -> None:
        dialog.set_outcome(service.EXPANSION)
        dialog.arr_edit.setText("150,000")
        dialog.ok_button.click()

    assert _record(window.detail.renewal_tab, expand) == []
    row = window.model.book_row(window.model.row_of(account_id) or 0)
    assert row.arr_minor == 15_000_000 and row.renewal_date == date(2028, 1, 9)
    window.show_today()
    assert all(i.category != "renewal" for i in window.today_page.model.items())
