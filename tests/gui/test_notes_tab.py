"""Notes in the window: typed text reaches the database, action items, preview safety, calls."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog
from sqlmodel import select

from csmdesk.domain.accounts import AccountDraft, ContactDraft
from csmdesk.gui.call_window import CallWindow
from csmdesk.gui.main_window import MainWindow
from csmdesk.gui.note_writer import NoteWriter
from csmdesk.gui.notes_tab import HistoryDialog, NotesTab
from csmdesk.models import Touchpoint, TouchpointAttendee
from csmdesk.services import accounts, contacts, notes, records
from tests.gui.helpers import when_dialog_opens

TODAY = date(2026, 11, 25)


@pytest.fixture
def acme(db) -> int:  # type: ignore[no-untyped-def]
    account = accounts.create_account(db, AccountDraft(name="Acme"))
    assert account.id is not None
    return account.id


@pytest.fixture
def tab(qtbot, db, acme):  # type: ignore[no-untyped-def]
    writer = NoteWriter(db)
    widget = NotesTab(db, TODAY, writer)
    qtbot.addWidget(widget)
    widget.show()
    widget.show_account(acme, "Acme")
    yield widget
    writer.close()


def _body(db, note_id: int) -> str:  # type: ignore[no-untyped-def]
    return notes.get_note(db, note_id).body


def test_typing_reaches_the_database_within_a_second(qtbot, tab: NotesTab, db) -> None:  # type: ignore[no-untyped-def]
    assert tab.empty.isVisible()
    note_id = tab.new_note()
    assert note_id is not None and tab.editor.note_id == note_id
    qtbot.keyClicks(tab.editor.edit, "Kickoff with Acme ")
    tab.editor.edit.insertPlainText("🚀")  # QTest cannot type outside the BMP
    qtbot.waitUntil(lambda: _body(db, note_id) == "Kickoff with Acme 🚀", timeout=2500)
    qtbot.waitUntil(lambda: tab.editor.status.text() == "Saved", timeout=2000)
    assert notes.get_note(db, note_id).title == "Kickoff with Acme 🚀"
    assert tab.list.currentItem().text().startswith("Kickoff with Acme")


def test_switching_account_saves_what_was_typed_at_once(qtbot, tab: NotesTab, db) -> None:  # type: ignore[no-untyped-def]
    note_id = tab.new_note()
    assert note_id is not None
    tab.editor.edit.insertPlainText("last words")
    other = accounts.create_account(db, AccountDraft(name="Globex"))
    tab.show_account(other.id, "Globex")
    assert tab.writer.flush(5.0)
    assert _body(db, note_id) == "last words"


def test_a_checkbox_line_becomes_an_action_item(qtbot, tab: NotesTab, db) -> None:  # type: ignore[no-untyped-def]
    note_id = tab.new_note()
    assert note_id is not None
    tab.editor.edit.insertPlainText("Send SSO docs @Priya due:2026-12-05")
    qtbot.keyClick(tab.editor.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert tab.editor.text() == "- [ ] Send SSO docs @Priya due:2026-12-05"
    tab.editor.save_now()
    assert tab.writer.flush(5.0)
    (item,) = notes.note_items(db, note_id)
    assert (item.text, item.owner, item.due_date) == ("Send SSO docs", "Priya", date(2026, 12, 5))
    qtbot.keyClick(tab.editor.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    tab.editor.save_now()
    assert tab.writer.flush(5.0)
    assert notes.note_items(db, note_id)[0].done_on is not None


def test_a_template_fills_in_the_account(qtbot, tab: NotesTab, db) -> None:  # type: ignore[no-untyped-def]
    template = next(t for t in notes.load_templates() if t.name == "Discovery call")
    note_id = tab.new_note(template)
    assert note_id is not None
    note = notes.get_note(db, note_id)
    assert note.kind == "discovery" and note.title == "Discovery call — Acme"
    assert tab.kind_combo.currentData() == "discovery"


def test_html_in_a_note_shows_as_text_and_nothing_is_fetched(qtbot, tab: NotesTab) -> None:  # type: ignore[no-untyped-def]
    tab.new_note()
    tab.editor.edit.setPlainText(
        "# Title\n<script>alert(1)</script>\n<img src=http://example.com/x.png>\n"
        "![pic](http://example.com/y.png)\n- [ ] item **bold**"
    )
    tab.editor.preview_button.setChecked(True)
    shown = tab.editor.preview.toPlainText()
    assert "<script>alert(1)</script>" in shown and "<img src=http://example.com/x.png>" in shown
    assert tab.editor.preview.loadResource(2, tab.editor.preview.source()) is None
    tab.editor.preview_button.setChecked(False)
    assert tab.editor.stack.currentWidget() is tab.editor.edit


def test_history_restores_an_earlier_version(qtbot, tab: NotesTab, db) -> None:  # type: ignore[no-untyped-def]
    note_id = tab.new_note()
    assert note_id is not None
    notes.save_note(db, note_id, "first version")
    notes.save_note(db, note_id, "second version")  # keeps the first as a revision
    tab.reload(select=note_id)
    tab.editor.load(None)
    tab.reload(select=note_id)
    assert tab.editor.text() == "second version"

    def restore(dialog: QDialog) -> None:
        assert isinstance(dialog, HistoryDialog)
        assert dialog.view.toPlainText() == "first version"
        dialog.restore_button.click()

    problems = when_dialog_opens(restore)
    tab.history_button.click()
    assert problems == []
    assert _body(db, note_id) == "first version" and tab.editor.text() == "first version"


def test_call_mode_logs_the_call_with_attendees(qtbot, db, acme, message_log) -> None:  # type: ignore[no-untyped-def]
    priya = contacts.add_contact(db, acme, ContactDraft(name="Priya Shah", title="VP Ops"))
    window = MainWindow(db, today=TODAY)
    qtbot.addWidget(window)
    window.show()
    window.show_book()
    window.book.select_id(acme)
    call = window.notes.start_call()
    assert isinstance(call, CallWindow) and call.isVisible()
    assert call.windowTitle() == "Call with Acme"
    call.attendees.item(0).setCheckState(Qt.CheckState.Checked)
    assert "Attendees: Priya Shah" in call.editor.text()
    call.editor.edit.moveCursor(call.editor.edit.textCursor().MoveOperation.End)
    # Offscreen, a second window is never made active, so fire its Ctrl+T shortcut directly.
    (stamp,) = [sc for sc in call.findChildren(QShortcut) if sc.key() == QKeySequence("Ctrl+T")]
    stamp.activated.emit()
    qtbot.keyClicks(call.editor.edit, "They want SSO next month")
    assert "[00:0" in call.editor.text()
    note_id = call.note_id
    call.end_button.click()
    note = notes.get_note(db, note_id)
    assert "They want SSO next month" in note.body and note.kind == "call"
    with db.session() as s:
        touch = s.get(Touchpoint, note.touchpoint_id)
        assert touch is not None and touch.kind == "call" and touch.summary == "Call — Acme"
        attendees = s.exec(
            select(TouchpointAttendee.contact_id).where(
                TouchpointAttendee.touchpoint_id == touch.id
            )
        ).all()
        assert list(attendees) == [priya.id]
    last = records.last_touchpoint(db, acme)
    assert last is not None and last.id == note.touchpoint_id


def test_enter_continues_a_list_and_ends_it_on_an_empty_item(qtbot, tab: NotesTab) -> None:  # type: ignore[no-untyped-def]
    tab.new_note()
    edit = tab.editor.edit
    qtbot.keyClicks(edit, "- [ ] one")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.keyClicks(edit, "two")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.keyClick(edit, Qt.Key.Key_Return)  # empty item: the list ends
    qtbot.keyClicks(edit, "1. first")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.keyClicks(edit, "second")
    assert tab.editor.text() == "- [ ] one\n- [ ] two\n1. first\n2. second"


def test_an_editor_reports_only_its_own_note_saved(qtbot, tab: NotesTab, db, acme) -> None:  # type: ignore[no-untyped-def]
    mine = tab.new_note()
    other = notes.create_note(db, acme, "elsewhere")
    heard: list[int] = []
    tab.saved.connect(heard.append)
    tab.writer.submit(other.id or 0, "typed in a call window")
    assert tab.writer.flush(5.0)
    qtbot.wait(50)  # the writer's signal is queued to this thread
    assert heard == []
    tab.editor.edit.insertPlainText("mine")
    tab.editor.save_now()
    qtbot.waitUntil(lambda: heard == [acme], timeout=2000)
    assert mine == tab.editor.note_id
