"""All notes and action items across the book."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt

from csmdesk.domain.accounts import AccountDraft
from csmdesk.gui.main_window import MainWindow
from csmdesk.gui.notes_page import ItemsModel, NotesModel
from csmdesk.services import accounts, notes

TODAY = date(2026, 11, 25)


def test_models_pass_the_modeltester(qtmodeltester, demo_db) -> None:  # type: ignore[no-untyped-def]
    model = NotesModel()
    model.set_rows(notes.list_notes(demo_db))
    assert model.rowCount() > 50
    qtmodeltester.check(model)
    items = ItemsModel(TODAY)
    items.set_rows(notes.list_items(demo_db, open_only=False))
    qtmodeltester.check(items)


def test_ticking_an_item_ticks_the_note_and_opening_goes_to_it(qtbot, db, message_log) -> None:  # type: ignore[no-untyped-def]
    acme = accounts.create_account(db, AccountDraft(name="Acme"))
    other = accounts.create_account(db, AccountDraft(name="Globex"))
    note = notes.create_note(
        db, acme.id or 0, "# Kickoff\n- [ ] Send SSO docs @Priya due:2026-11-20"
    )
    notes.create_note(db, other.id or 0, "# Other", kind="qbr")
    window = MainWindow(db, today=TODAY)
    qtbot.addWidget(window)
    window.show()
    window.pages.setCurrentWidget(window.notes_page)
    page = window.notes_page
    assert [r.title for r in page.notes_model.rows] == ["Other", "Kickoff"]
    page.kind_combo.setCurrentIndex(page.kind_combo.findData("qbr"))
    assert [r.title for r in page.notes_model.rows] == ["Other"]
    page.kind_combo.setCurrentIndex(0)
    page.filter_edit.setText("acme")
    assert page.notes_proxy.rowCount() == 1

    items = page.items_proxy
    assert items.rowCount() == 1
    assert items.index(0, 3).data(Qt.ItemDataRole.ForegroundRole) is not None  # overdue
    assert items.setData(
        items.index(0, 0), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole
    )
    assert "- [x] Send SSO docs" in notes.get_note(db, note.id or 0).body
    assert page.items_proxy.rowCount() == 0  # done items hidden unless asked for
    page.show_done.setChecked(True)
    assert page.items_proxy.rowCount() == 1

    page.notes_view.doubleClicked.emit(page.notes_proxy.index(0, 0))
    assert window.pages.currentWidget() is window.splitter
    assert window.detail.notes_tab.editor.note_id == note.id
    assert "- [x] Send SSO docs" in window.detail.notes_tab.editor.text()


def test_a_search_result_opens_the_note_at_the_match(qtbot, db, message_log) -> None:  # type: ignore[no-untyped-def]
    acme = accounts.create_account(db, AccountDraft(name="Acme"))
    note = notes.create_note(db, acme.id or 0, "# Kickoff 🚀\nThey asked about pricing tiers")
    window = MainWindow(db, today=TODAY)
    qtbot.addWidget(window)
    window.show()
    window.search_dialog.open_search()
    window.search_dialog.note_chosen.emit(note.id, 30)  # QTextCursor units: the emoji counts 2
    editor = window.detail.notes_tab.editor
    assert window.pages.currentWidget() is window.splitter
    assert editor.note_id == note.id and editor.edit.textCursor().position() == 30
    assert editor.text()[29:].startswith("pricing")  # Python counts the emoji once
