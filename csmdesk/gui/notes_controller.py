"""The window's notes: the writer thread, opening a note anywhere, call mode, ticked items.

Kept apart from the main window so that window stays about menus and pages; the controller
reaches the window's detail pane, pages and status bar through the window it serves.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt

from csmdesk.gui.call_window import CallWindow
from csmdesk.gui.note_writer import NoteWriter
from csmdesk.services import accounts as account_service
from csmdesk.services import contacts as contact_service
from csmdesk.services import notes as note_service
from csmdesk.services.accounts import NotFoundError
from csmdesk.store import Database

if TYPE_CHECKING:
    from csmdesk.gui.main_window import MainWindow
    from csmdesk.gui.notes_tab import NotesTab

log = logging.getLogger(__name__)


class NotesController(QObject):
    def __init__(self, window: MainWindow, db: Database) -> None:
        super().__init__(window)
        self.window = window
        self.writer = NoteWriter(db, self)
        self.writer.failed.connect(self._not_saved)
        self.call_windows: list[CallWindow] = []

    @property
    def tab(self) -> NotesTab:
        return self.window.detail.notes_tab

    def show_notes(self) -> None:
        w = self.window
        w.pages.setCurrentWidget(w.splitter)
        w.detail.tabs.setCurrentWidget(self.tab)
        self.tab.editor.edit.setFocus()

    def open_note(self, account_id: int, note_id: int, at: int = -1) -> None:
        """The note in its account's Notes tab, the cursor at character ``at``."""
        w = self.window
        w.pages.setCurrentWidget(w.splitter)
        w.go_to_account(account_id)
        w.detail.tabs.setCurrentWidget(self.tab)
        self.tab.open_note(note_id, at)

    def open_note_at(self, note_id: int, at: int) -> None:
        """From search: the note, the cursor at the match (``at``: a QTextCursor position)."""
        try:
            note = note_service.get_note(self.window.db, note_id)
        except NotFoundError:
            self.window.statusBar().showMessage("That note no longer exists.", 6000)
            return
        self.open_note(note.account_id, note_id, at)

    def save_typing(self) -> None:
        """Whatever is being typed, in the database now (before something else rewrites it)."""
        self.tab.editor.save_now()
        self.writer.flush(5.0)

    def items_ticked(self, account_id: int) -> None:
        self.window.today_page.refresh()
        tab = self.tab
        if tab.account_id == account_id and tab.editor.note_id is not None:
            note_id = tab.editor.note_id
            tab.editor.load(None)  # its text changed underneath: show the ticked line
            tab.reload(select=note_id)

    def start_call(self) -> CallWindow | None:
        """Ctrl+Shift+N from anywhere: a call note for the current account, in call mode."""
        w = self.window
        account_id = w.current_account()
        if account_id is None:
            return None
        account = account_service.get_account(w.db, account_id)
        started = datetime.now(UTC)
        note = note_service.start_call_note(w.db, account_id, account.name, started)
        assert note.id is not None
        people = (
            self.tab.people()
            if self.tab.account_id == account_id
            else [c for c in contact_service.list_contacts(w.db, account_id) if not c.left_on]
        )
        call = CallWindow(
            w.db, self.writer, note.id, account_id, account.name, people, note.body,
            started_at=started, parent=w,
        )  # fmt: skip
        call.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        call.ended.connect(self._call_ended)
        call.destroyed.connect(lambda *_: self._forget(call))
        self.call_windows.append(call)
        call.show()
        call.editor.edit.setFocus()
        if self.tab.account_id == account_id:
            self.tab.reload()
        return call

    def set_database(self, db: Database) -> None:
        self.writer.db = db

    def close(self) -> None:
        """End the calls in progress (their notes are saved either way) and write what is left."""
        for call in list(self.call_windows):
            call.end_call()
        self.tab.editor.save_now()
        if not self.writer.close(10.0):
            log.error("some note text could not be written before closing")

    def _forget(self, call: CallWindow) -> None:
        if call in self.call_windows:
            self.call_windows.remove(call)

    def _call_ended(self, account_id: int, _touchpoint_id: int) -> None:
        self.window.refresh_row(account_id)
        if self.tab.account_id == account_id:
            self.tab.reload()
        self.window.statusBar().showMessage("Call logged as a touchpoint", 6000)

    def _not_saved(self, _note_id: int, why: str) -> None:
        self.window.statusBar().showMessage(
            f"A note is not saved yet (kept, retrying): {why}", 10_000
        )
