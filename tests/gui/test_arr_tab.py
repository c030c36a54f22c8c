"""The ARR tab driven like a CSM would, on a real database: add, edit, delete and undo events,
with the account's ARR in step and the dialog's messages inline."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QLineEdit, QMainWindow, QVBoxLayout, QWidget

from csmdesk.domain.accounts import AccountDraft
from csmdesk.gui.arr_dialogs import ArrEventDialog
from csmdesk.gui.arr_tab import ARR, CHANGE, COMMENT, DATE, ID_ROLE, TYPE, ArrTab
from csmdesk.services import accounts, arr_history, records
from tests.gui.helpers import when_dialog_opens

TODAY = date(2026, 11, 25)
START, MID = date(2025, 1, 1), date(2026, 3, 1)


@pytest.fixture
def account_id(db) -> int:  # type: ignore[no-untyped-def]
    account = accounts.create_account(
        db, AccountDraft(name="Acme", arr_minor=100_000_00, contract_start=START), today=TODAY
    )
    assert account.id is not None
    return account.id


@pytest.fixture
def tab(qtbot, db, account_id: int, message_log) -> ArrTab:  # type: ignore[no-untyped-def]
    widget = ArrTab(db, TODAY)
    qtbot.addWidget(widget)
    widget.resize(760, 420)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_account(account_id)
    return widget


def cells(tab: ArrTab, column: int) -> list[str]:
    return [tab.proxy.index(r, column).data() for r in range(tab.proxy.rowCount())]


def arr_of(tab: ArrTab, account_id: int) -> int:
    return accounts.get_account(tab.db, account_id).arr_minor


def select_row(tab: ArrTab, row: int) -> None:
    tab.table.selectRow(row)
    tab.table.setFocus()


def add_through_dialog(qtbot, tab: ArrTab, fill) -> list[str]:  # type: ignore[no-untyped-def]
    def run(dialog: QDialog) -> None:
        assert isinstance(dialog, ArrEventDialog)
        fill(dialog)

    problems = when_dialog_opens(run)
    tab.add_button.click()
    return problems


def test_the_placeholder_is_marked_and_the_model_passes_the_tester(
    qtmodeltester, tab: ArrTab
) -> None:  # type: ignore[no-untyped-def]
    assert cells(tab, TYPE) == ["New (placeholder)"]
    assert cells(tab, ARR) == ["$100,000"] and cells(tab, CHANGE) == ["+$100,000"]
    index = tab.proxy.index(0, TYPE)
    assert index.data(Qt.ItemDataRole.FontRole).italic()
    assert "placeholder" in index.data(Qt.ItemDataRole.ToolTipRole)
    assert "ARR $100,000" in tab.summary.text()
    qtmodeltester.check(tab.model)
    qtmodeltester.check(tab.proxy)


def test_loading_waits_until_the_tab_is_shown(qtbot, db, account_id: int) -> None:  # type: ignore[no-untyped-def]
    hidden = ArrTab(db, TODAY)
    qtbot.addWidget(hidden)
    hidden.set_account(account_id)
    assert hidden.events == [] and hidden._stale
    hidden.show()
    qtbot.waitExposed(hidden)
    assert len(hidden.events) == 1 and not hidden._stale


def test_add_an_expansion_moves_the_arr_and_says_so(qtbot, tab: ArrTab, account_id: int) -> None:  # type: ignore[no-untyped-def]
    changed: list[int] = []
    tab.changed.connect(changed.append)

    def fill(dialog: ArrEventDialog) -> None:
        assert dialog.kind() == "expansion"  # a history exists: the likely next event
        assert not dialog.ok_button.isEnabled()
        assert "give the ARR" in dialog.error_label.text()
        dialog.date_edit.setDate(MID)
        qtbot.keyClicks(dialog.arr_edit, "$112,000")
        qtbot.keyClicks(dialog.comment_edit, "Added 40 seats")
        assert dialog.ok_button.isEnabled() and not dialog.error_label.isVisible()
        assert "Before: $100,000" in dialog.before_label.text()
        assert "becomes $112,000" in dialog.consequence_label.text()
        dialog.ok_button.click()

    assert add_through_dialog(qtbot, tab, fill) == []
    assert cells(tab, DATE) == ["2026-03-01", "2025-01-01"]  # newest first
    assert cells(tab, CHANGE) == ["+$12,000", "+$100,000"]
    assert cells(tab, COMMENT)[0] == "Added 40 seats"
    assert cells(tab, TYPE) == ["Expansion", "New"]  # the base is kept, confirmed
    assert arr_of(tab, account_id) == 112_000_00
    assert tab.current_event().kind == "expansion"  # type: ignore[union-attr]
    assert changed == [account_id]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-5", "cannot be negative"),
        ("12k", "is not an amount"),
        ("€5,000", "give it in USD"),
    ],
)
def test_the_dialog_refuses_bad_amounts_inline(
    qtbot, tab: ArrTab, typed: str, message: str
) -> None:  # type: ignore[no-untyped-def]
    def fill(dialog: ArrEventDialog) -> None:
        dialog.arr_edit.setText(typed)  # keyClicks cannot type €
        assert message in dialog.error_label.text() and dialog.error_label.isVisible()
        assert not dialog.ok_button.isEnabled()
        assert dialog.arr_edit.property("invalid") is True
        dialog.reject()

    assert add_through_dialog(qtbot, tab, fill) == []
    assert len(tab.events) == 1


def test_churn_sets_the_arr_to_zero(qtbot, tab: ArrTab, account_id: int) -> None:  # type: ignore[no-untyped-def]
    def fill(dialog: ArrEventDialog) -> None:
        qtbot.keyClicks(dialog.arr_edit, "90,000")
        dialog.set_kind("churn")
        assert dialog.arr_edit.text() == "0" and not dialog.arr_edit.isEnabled()
        dialog.set_kind("contraction")
        assert dialog.arr_edit.text() == "90,000"  # what was typed comes back
        dialog.set_kind("churn")
        dialog.ok_button.click()

    assert add_through_dialog(qtbot, tab, fill) == []
    assert arr_of(tab, account_id) == 0
    assert cells(tab, CHANGE)[0] == "\u2212$100,000"


def test_a_service_refusal_keeps_the_dialog_and_shows_the_message(
    qtbot, tab: ArrTab, message_log, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from csmdesk.domain.accounts import ValidationError

    def refuse(*_a: object, **_k: object) -> None:
        raise ValidationError({"arr": "After a churn the ARR is 0."})

    monkeypatch.setattr(arr_history, "record_arr_event", refuse)
    opened: list[int] = []

    def fill(dialog: ArrEventDialog) -> None:
        opened.append(1)
        qtbot.keyClicks(dialog.arr_edit, "1")
        dialog.ok_button.click()
        # The dialog comes back after the message; cancel it the second time.
        when_dialog_opens(lambda again: again.reject())

    assert add_through_dialog(qtbot, tab, fill) == []
    assert message_log == [("error", "ARR event not saved", "After a churn the ARR is 0.")]


def test_enter_edits_and_confirms_the_placeholder(qtbot, tab: ArrTab, account_id: int) -> None:  # type: ignore[no-untyped-def]
    def edit(dialog: QDialog) -> None:
        assert isinstance(dialog, ArrEventDialog) and dialog.event is not None
        assert "confirms this placeholder" in dialog.warning_label.text()
        assert dialog.arr_edit.text() == "100,000"
        dialog.arr_edit.setText("95,000")
        dialog.comment_edit.setPlainText("Signed price after discount")
        dialog.ok_button.click()

    select_row(tab, 0)
    problems = when_dialog_opens(edit)
    qtbot.keyClick(tab.table, Qt.Key.Key_Return)
    assert problems == []
    assert cells(tab, TYPE) == ["New"] and cells(tab, ARR) == ["$95,000"]
    assert arr_of(tab, account_id) == 95_000_00


def test_delete_then_undo_with_the_button_and_ctrl_z(qtbot, tab: ArrTab, account_id: int) -> None:  # type: ignore[no-untyped-def]
    added = arr_history.record_arr_event(
        tab.db, account_id, on=MID, kind="expansion", arr_after_minor=150_000_00
    )
    tab.refresh()
    changed: list[int] = []
    tab.changed.connect(changed.append)
    assert not tab.undo_bar.isVisible()
    select_row(tab, 0)
    qtbot.keyClick(tab.table, Qt.Key.Key_Delete)
    assert cells(tab, DATE) == ["2025-01-01"]
    assert arr_of(tab, account_id) == 100_000_00
    assert tab.undo_bar.isVisible()
    assert "2026-03-01 (Expansion, $150,000)" in tab.undo_label.text()
    tab.undo_button.click()
    assert not tab.undo_bar.isVisible()
    (back,) = [e for e in records.list_arr_events(tab.db, account_id) if e.on == MID]
    assert (back.id, back.uid) == (added.id, added.uid)
    assert arr_of(tab, account_id) == 150_000_00
    assert tab.current_id() == added.id  # the restored event is selected

    select_row(tab, 0)
    tab.delete_button.click()
    select_row(tab, 0)
    qtbot.keyClick(tab.table, Qt.Key.Key_Delete)  # the placeholder too: none left
    assert tab.events == [] and tab.empty.isVisible() and not tab.table.isVisible()
    assert arr_of(tab, account_id) == 100_000_00  # the last delete leaves the ARR as it was
    assert "1 earlier delete to undo" in tab.undo_label.text()
    tab.undo_button.setFocus()
    qtbot.keyClick(tab.undo_button, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(tab.undo_button, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [e.uid for e in tab.events] == [
        e.uid for e in records.list_arr_events(tab.db, account_id)
    ]
    assert len(tab.events) == 2 and arr_of(tab, account_id) == 150_000_00
    assert changed == [account_id] * 6  # delete, undo, delete, delete, undo, undo


def test_the_tab_keys_win_over_the_window_shortcuts(
    qtbot, db, account_id: int, message_log
) -> None:  # type: ignore[no-untyped-def]
    window = QMainWindow()
    qtbot.addWidget(window)
    central = QWidget()
    column = QVBoxLayout(central)
    other = QLineEdit()
    column.addWidget(other)
    tab = ArrTab(db, TODAY)
    column.addWidget(tab)
    window.setCentralWidget(central)
    fired: list[str] = []
    for keys, name in (
        (QKeySequence.StandardKey.Delete, "archive"),
        (QKeySequence.StandardKey.Undo, "undo"),
    ):
        action = QAction(name, window)
        action.setShortcut(QKeySequence(keys))
        action.triggered.connect(lambda _=False, name=name: fired.append(name))
        window.addAction(action)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    tab.set_account(account_id)
    qtbot.keyClick(other, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert fired == []  # a line edit keeps its own Ctrl+Z
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert fired == ["undo"]  # nothing to undo in the tab: the window's undo runs
    select_row(tab, 0)
    qtbot.keyClick(tab.table, Qt.Key.Key_Delete)
    assert tab.events == [] and fired == ["undo"]
    qtbot.keyClick(tab.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(tab.events) == 1 and fired == ["undo"]


def test_same_day_events_warn_that_the_later_entered_wins(tab: ArrTab, account_id: int) -> None:
    for kind, arr in (("expansion", 150_000_00), ("contraction", 120_000_00)):
        arr_history.record_arr_event(tab.db, account_id, on=MID, kind=kind, arr_after_minor=arr)
    tab.refresh()
    assert tab.same_day.isVisible()
    assert "2026-03-01" in tab.same_day.text() and "later-entered one wins" in tab.same_day.text()
    assert "Contraction, $120,000" in tab.same_day.text()
    assert cells(tab, TYPE)[:2] == ["Contraction", "Expansion"]  # entered later, listed first


def test_sorting_by_a_column(tab: ArrTab, account_id: int) -> None:
    arr_history.record_arr_event(
        tab.db, account_id, on=MID, kind="contraction", arr_after_minor=80_000_00
    )
    tab.refresh()
    tab.table.sortByColumn(ARR, Qt.SortOrder.AscendingOrder)
    assert cells(tab, ARR) == ["$80,000", "$100,000"]
    tab.table.sortByColumn(DATE, Qt.SortOrder.AscendingOrder)
    assert cells(tab, DATE) == ["2025-01-01", "2026-03-01"]
    assert tab.proxy.index(1, 0).data(ID_ROLE) == tab.events[-1].id


def test_an_edit_that_clashes_with_a_later_event_says_it_loses(
    qtbot, tab: ArrTab, account_id: int
) -> None:  # type: ignore[no-untyped-def]
    arr_history.record_arr_event(
        tab.db, account_id, on=MID, kind="expansion", arr_after_minor=150_000_00
    )
    tab.refresh()

    def edit(dialog: QDialog) -> None:
        assert isinstance(dialog, ArrEventDialog)
        dialog.date_edit.setDate(MID)
        assert "does not set the ARR" in dialog.warning_label.text()
        assert "stays $150,000" in dialog.consequence_label.text()
        dialog.reject()

    select_row(tab, 1)  # the placeholder, entered first
    problems = when_dialog_opens(edit)
    tab.edit_button.click()
    assert problems == []


def test_switching_accounts_forgets_the_undo(tab: ArrTab, account_id: int) -> None:
    select_row(tab, 0)
    tab.delete_button.click()
    assert tab.undo_snapshots
    other = accounts.create_account(tab.db, AccountDraft(name="Beta", arr_minor=5_000_00))
    tab.set_account(other.id)
    assert not tab.undo_snapshots and not tab.undo_bar.isVisible()
    assert cells(tab, ARR) == ["$5,000"]
    tab.set_account(None)
    assert not tab.table.isVisible() and not tab.add_button.isEnabled()


def test_an_empty_history_explains_and_ins_adds_the_first_event(qtbot, tab: ArrTab) -> None:  # type: ignore[no-untyped-def]
    fresh = accounts.create_account(tab.db, AccountDraft(name="Zero"))
    assert fresh.id is not None
    tab.set_account(fresh.id)
    assert tab.empty.isVisible() and not tab.table.isVisible()
    assert "no events recorded" in tab.summary.text()

    def fill(dialog: QDialog) -> None:
        assert isinstance(dialog, ArrEventDialog)
        assert dialog.kind() == "new" and "no ARR recorded yet" in dialog.before_label.text()
        dialog.date_edit.setDate(START)
        qtbot.keyClicks(dialog.arr_edit, "24000")
        dialog.ok_button.click()

    problems = when_dialog_opens(fill)
    tab.add_button.setFocus()
    qtbot.keyClick(tab.add_button, Qt.Key.Key_Insert)
    assert problems == []
    assert cells(tab, ARR) == ["$24,000"] and tab.table.isVisible() and not tab.empty.isVisible()
    assert arr_of(tab, fresh.id) == 24_000_00
