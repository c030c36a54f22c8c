"""The account's Notes tab: its notes newest first, the editor, templates, history, call mode."""

from __future__ import annotations

import html
import logging
from datetime import UTC, date, datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from csmdesk.domain.notes import title_of
from csmdesk.gui import messages
from csmdesk.gui.note_editor import NoteEditor
from csmdesk.gui.note_writer import NoteWriter
from csmdesk.models import NoteKind
from csmdesk.services import contacts as contact_service
from csmdesk.services import notes as service
from csmdesk.services.accounts import NotFoundError
from csmdesk.store import Database

log = logging.getLogger(__name__)

ID_ROLE = Qt.ItemDataRole.UserRole


def _when(moment: datetime) -> str:
    local = moment.replace(tzinfo=moment.tzinfo or UTC).astimezone()
    return f"{local:%Y-%m-%d %H:%M}"


class HistoryDialog(QDialog):
    """Earlier states of a note; restoring one keeps the current text as a revision too."""

    def __init__(self, parent: QWidget | None, db: Database, note_id: int) -> None:
        super().__init__(parent)
        self.setWindowTitle("Note history")
        self.setObjectName("noteHistory")
        self.resize(720, 480)
        self.db, self.note_id = db, note_id
        self.chosen: int | None = None
        layout = QVBoxLayout(self)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.list = QListWidget()
        self.list.setAccessibleName("Revisions")
        self.view = QPlainTextEdit()
        self.view.setReadOnly(True)
        self.view.setAccessibleName("Revision text")
        split.addWidget(self.list)
        split.addWidget(self.view)
        split.setSizes([220, 500])
        layout.addWidget(split, 1)
        self.revisions = service.revisions(db, note_id)
        for revision in self.revisions:
            item = QListWidgetItem(f"{_when(revision.saved_at)} — {revision.title or 'Untitled'}")
            item.setData(ID_ROLE, revision.id)
            self.list.addItem(item)
        self.list.currentRowChanged.connect(self._show)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.restore_button = box.addButton("&Restore", QDialogButtonBox.ButtonRole.AcceptRole)
        self.restore_button.setEnabled(False)
        box.accepted.connect(self._restore)
        box.rejected.connect(self.reject)
        layout.addWidget(box)
        if not self.revisions:
            self.view.setPlainText("No earlier versions yet: one is kept each 5 minutes of typing.")
        else:
            self.list.setCurrentRow(0)

    def _show(self, row: int) -> None:
        if 0 <= row < len(self.revisions):
            self.view.setPlainText(self.revisions[row].body)
            self.restore_button.setEnabled(True)

    def _restore(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self.revisions):
            self.chosen = self.revisions[row].id
            self.accept()


class NotesTab(QWidget):
    changed = Signal(int)  # account id: a note was added, archived or a call ended
    saved = Signal(int)  # account id: typing reached the database
    call_requested = Signal()

    def __init__(
        self, db: Database, today: date, writer: NoteWriter, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.db, self.today, self.writer = db, today, writer
        self.account_id: int | None = None
        self.account_name = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        bar = QHBoxLayout()
        self.new_button = QToolButton()
        self.new_button.setText("&New note")
        self.new_button.setToolTip("A blank note, or one from a template")
        self.new_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.new_button.clicked.connect(lambda: self.new_note())
        self.template_menu = QMenu(self)
        self.new_button.setMenu(self.template_menu)
        self.template_menu.aboutToShow.connect(self._fill_templates)
        bar.addWidget(self.new_button)
        self.call_button = QPushButton("Start a &call…")
        self.call_button.setToolTip("A call note with attendees and a clock (Ctrl+Shift+N)")
        self.call_button.clicked.connect(self.call_requested)
        bar.addWidget(self.call_button)
        self.kind_combo = QComboBox()
        self.kind_combo.setAccessibleName("Kind of note")
        for value, label in service.KIND_LABELS.items():
            self.kind_combo.addItem(label, value)
            if value in service.READ_ONLY_KINDS:  # shown for such notes, never chosen
                item = self.kind_combo.model().item(self.kind_combo.count() - 1)  # type: ignore[attr-defined]
                item.setEnabled(False)
        self.kind_combo.activated.connect(self._kind_changed)
        bar.addWidget(self.kind_combo)
        self.history_button = QPushButton("&History…")
        self.history_button.setToolTip("Earlier versions of this note, to restore")
        self.history_button.clicked.connect(self.show_history)
        bar.addWidget(self.history_button)
        self.template_button = QPushButton("Save as template…")
        self.template_button.clicked.connect(self.save_as_template)
        bar.addWidget(self.template_button)
        self.archive_button = QPushButton("Archive")
        self.archive_button.clicked.connect(self.archive_current)
        bar.addWidget(self.archive_button)
        bar.addStretch(1)
        layout.addLayout(bar)

        self.split = QSplitter(Qt.Orientation.Vertical)
        self.list = QListWidget()
        self.list.setObjectName("notesList")
        self.list.setAccessibleName("Notes of this account")
        self.list.currentItemChanged.connect(self._current_changed)
        self.split.addWidget(self.list)
        self.editor = NoteEditor(writer)
        self.editor.text_saved.connect(self._saved)
        self.split.addWidget(self.editor)
        self.split.setSizes([140, 420])
        self.split.setStretchFactor(1, 3)
        layout.addWidget(self.split, 1)
        self.empty = QLabel("No notes yet. New note (or a template) to start; Start a call for a "
                            "call note with attendees and a clock.")  # fmt: skip
        self.empty.setObjectName("emptyState")
        self.empty.setWordWrap(True)
        layout.addWidget(self.empty)
        self._update_buttons()

    # --- showing ----------------------------------------------------------------------------
    def show_account(self, account_id: int | None, name: str = "") -> None:
        if account_id == self.account_id and account_id is not None:
            return
        self.editor.load(None)  # saves what was typed first
        self.account_id, self.account_name = account_id, name
        self.reload()

    def reload(self, select: int | None = None) -> None:
        current = select if select is not None else self.current_note_id()
        self.list.blockSignals(True)
        self.list.clear()
        rows = service.list_notes(self.db, self.account_id) if self.account_id else []
        for row in rows:
            label = service.KIND_LABELS.get(row.kind, row.kind)
            item = QListWidgetItem(f"{row.title or 'Untitled'}\n{label} · {_when(row.created_at)}")
            item.setData(ID_ROLE, row.id)
            item.setToolTip(html.escape(row.title))
            self.list.addItem(item)
        self.list.blockSignals(False)
        self.empty.setVisible(not rows and self.account_id is not None)
        target = next(
            (n for n in range(self.list.count()) if self.list.item(n).data(ID_ROLE) == current),
            0 if rows else None,
        )
        if target is not None:
            self.list.setCurrentRow(target)
            self._open(self.list.item(target).data(ID_ROLE))
        else:
            self.editor.load(None)
        self._update_buttons()

    def current_note_id(self) -> int | None:
        item = self.list.currentItem()
        return int(item.data(ID_ROLE)) if item is not None else None

    def _current_changed(self, current: QListWidgetItem | None, *_: object) -> None:
        self._open(int(current.data(ID_ROLE)) if current is not None else None)

    def _open(self, note_id: int | None, at: int = -1) -> None:
        if note_id == self.editor.note_id and note_id is not None:
            return
        if note_id is None:
            self.editor.load(None)
            return
        self.writer.flush(5.0)  # a save of this note may still be on its way
        try:
            note = service.get_note(self.db, note_id)
        except NotFoundError:
            self.editor.load(None)
            return
        self.editor.load(note_id, note.body)
        self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(note.kind)))
        if at >= 0:
            self.go_to(at)
        self._update_buttons()
        self._read_only(note.kind in service.READ_ONLY_KINDS)

    def _read_only(self, read_only: bool) -> None:
        """A note pulled from the CRM is shown, not edited: the CRM keeps it."""
        self.editor.edit.setReadOnly(read_only)
        self._update_buttons()
        if read_only:
            self.editor.status.setText("From HubSpot \u00b7 read-only here")

    def open_note(self, note_id: int, at: int = -1) -> None:
        """Select a note of the shown account and put the cursor at character ``at``."""
        for n in range(self.list.count()):
            if self.list.item(n).data(ID_ROLE) == note_id:
                self.list.setCurrentRow(n)
                break
        self._open(note_id, at)
        if at >= 0:
            self.go_to(at)
        self.editor.edit.setFocus()

    def go_to(self, at: int) -> None:
        cursor = self.editor.edit.textCursor()
        cursor.setPosition(min(at, self.editor.edit.document().characterCount() - 1))
        self.editor.edit.setTextCursor(cursor)
        self.editor.edit.centerCursor()

    def _update_buttons(self) -> None:
        has_account = self.account_id is not None
        has_note = self.editor.note_id is not None
        for button in (self.new_button, self.call_button):
            button.setEnabled(has_account)
        for widget in (self.kind_combo, self.history_button, self.archive_button,
                       self.template_button):  # fmt: skip
            widget.setEnabled(has_note)
        if has_note and self.editor.edit.isReadOnly():  # the CRM's note: shown, not changed
            for widget in (self.kind_combo, self.archive_button, self.template_button):
                widget.setEnabled(False)

    def _saved(self, note_id: int) -> None:
        if self.account_id is not None:
            self.saved.emit(self.account_id)
        item = self.list.currentItem()
        if item is not None and item.data(ID_ROLE) == note_id:
            rest = item.text().split("\n", 1)[1] if "\n" in item.text() else ""
            item.setText(f"{title_of(self.editor.text()) or 'Untitled'}\n{rest}")

    # --- actions ----------------------------------------------------------------------------
    def _fill_templates(self) -> None:
        self.template_menu.clear()
        blank = self.template_menu.addAction("Blank note")
        blank.triggered.connect(lambda: self.new_note())
        self.template_menu.addSeparator()
        for template in service.load_templates():
            action = self.template_menu.addAction(
                template.name + (" (yours)" if template.own else "")
            )
            action.triggered.connect(lambda _c=False, t=template: self.new_note(t))

    def new_note(self, template: service.NoteTemplate | None = None) -> int | None:
        if self.account_id is None:
            return None
        body, kind = "", NoteKind.GENERAL.value
        if template is not None:
            body = service.fill_template(
                template.body, account=self.account_name, when=datetime.now().astimezone(),
                attendees=[],
            )  # fmt: skip
            kind = template.kind
        note = service.create_note(self.db, self.account_id, body, kind=kind)
        assert note.id is not None
        self.reload(select=note.id)
        self.editor.edit.setFocus()
        self.editor.edit.moveCursor(self.editor.edit.textCursor().MoveOperation.End)
        self.changed.emit(self.account_id)
        return note.id

    def _kind_changed(self, _index: int) -> None:
        note_id = self.editor.note_id
        if note_id is None:
            return
        service.set_kind(self.db, note_id, str(self.kind_combo.currentData()))
        self.reload(select=note_id)

    def show_history(self) -> None:
        note_id = self.editor.note_id
        if note_id is None:
            return
        self.editor.save_now()
        self.writer.flush(5.0)
        dialog = HistoryDialog(self, self.db, note_id)
        if dialog.exec() and dialog.chosen is not None:
            service.restore_revision(self.db, note_id, dialog.chosen)
            self.editor.load(None)
            self.reload(select=note_id)

    def save_as_template(self) -> None:
        from PySide6.QtWidgets import QInputDialog

        note_id = self.editor.note_id
        if note_id is None:
            return
        name, ok = QInputDialog.getText(self, "Save as template", "Template name:")
        if not ok or not name.strip():
            return
        try:
            path = service.save_own_template(
                name, str(self.kind_combo.currentData()), self.editor.text()
            )
        except (OSError, ValueError) as exc:
            messages.error(self, "Template not saved", str(exc))
            return
        log.info("note template saved as %s", path.name)

    def archive_current(self) -> None:
        note_id = self.editor.note_id
        if note_id is None or self.account_id is None:
            return
        self.editor.save_now()
        self.writer.flush(5.0)
        service.archive_note(self.db, note_id)
        self.editor.load(None)
        self.reload()
        self.changed.emit(self.account_id)

    def people(self) -> list:  # type: ignore[type-arg]
        if self.account_id is None:
            return []
        return [c for c in contact_service.list_contacts(self.db, self.account_id) if not c.left_on]
