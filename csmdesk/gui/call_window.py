"""Call mode: a note for the call in progress, with who is on it, a running clock and timestamps.

A window of its own (it can stay on top of the video call, with nothing else in it). Ctrl+T
inserts the elapsed time; Ctrl+Shift+E or closing the window ends the call, which logs a
touchpoint (kind, duration, summary from the note's first line, attendees).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from csmdesk.domain import notes as rules
from csmdesk.gui import messages
from csmdesk.gui.note_editor import NoteEditor
from csmdesk.gui.note_writer import NoteWriter
from csmdesk.models import Contact
from csmdesk.services import notes as service
from csmdesk.store import Database

log = logging.getLogger(__name__)


class CallWindow(QWidget):
    ended = Signal(int, int)  # account id, touchpoint id

    def __init__(
        self,
        db: Database,
        writer: NoteWriter,
        note_id: int,
        account_id: int,
        account_name: str,
        people: list[Contact],
        body: str,
        *,
        started_at: datetime | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.db, self.writer = db, writer
        self.note_id, self.account_id = note_id, account_id
        self.started_at = started_at or datetime.now(UTC)
        self.finished = False
        self.setObjectName("callWindow")
        self.setWindowTitle(f"Call with {account_name}")
        self.resize(760, 640)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        title = QLabel(f"<b>Call with {account_name}</b>")
        title.setTextFormat(Qt.TextFormat.RichText)
        top.addWidget(title)
        local = self.started_at.astimezone()
        self.clock = QLabel()
        self.clock.setObjectName("callClock")
        self.clock.setAccessibleName("Elapsed time")
        top.addWidget(QLabel(f"· started {local:%H:%M} ·"))
        top.addWidget(self.clock)
        top.addStretch(1)
        self.on_top = QCheckBox("Keep on &top")
        self.on_top.setToolTip("Keep this window above the video call")
        self.on_top.toggled.connect(self._keep_on_top)
        top.addWidget(self.on_top)
        self.end_button = QPushButton("&End call")
        self.end_button.setToolTip("Log the call as a touchpoint and close (Ctrl+Shift+E)")
        self.end_button.clicked.connect(self.end_call)
        top.addWidget(self.end_button)
        layout.addLayout(top)

        split = QSplitter(Qt.Orientation.Horizontal)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(QLabel("On the call:"))
        self.attendees = QListWidget()
        self.attendees.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.attendees.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        side_layout.addWidget(self.attendees, 1)
        self.attendees.setObjectName("attendees")
        self.attendees.setAccessibleName("Attendees")
        self.attendees.setToolTip("Who is on the call (ticked people are logged as attendees)")
        for person in people:
            item = QListWidgetItem(person.name + (f" — {person.title}" if person.title else ""))
            item.setData(Qt.ItemDataRole.UserRole, person.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            item.setToolTip(item.text())
            self.attendees.addItem(item)
        if not people:
            side_layout.addWidget(QLabel("No contacts yet:\nadd them on the Overview tab."))
        split.addWidget(side)
        self.attendees.itemChanged.connect(self._attendees_changed)
        self.editor = NoteEditor(writer)
        self.editor.load(note_id, body)
        split.addWidget(self.editor)
        split.setStretchFactor(1, 4)
        split.setSizes([180, 560])
        layout.addWidget(split, 1)
        hint = QLabel("Ctrl+T inserts the time · Ctrl+Return adds an action item · "
                      "Ctrl+Shift+E ends the call")  # fmt: skip
        hint.setStyleSheet("color: palette(placeholder-text);")
        layout.addWidget(hint)

        for keys, slot in (("Ctrl+T", self.insert_stamp), ("Ctrl+Shift+E", self.end_call)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        self._tick = QTimer(self)
        self._tick.timeout.connect(self._update_clock)
        self._tick.start(1000)
        self._update_clock()
        self._cursor_to_notes()
        self.editor.edit.setFocus()

    def _cursor_to_notes(self) -> None:
        """Start typing under the template's "Notes" heading (else at the end)."""
        text = self.editor.text()
        at = text.find("## Notes\n")
        if at >= 0:
            line_end = text.find("\n", at + len("## Notes\n"))
            position = line_end if line_end >= 0 else len(text)
        else:
            position = len(text)
        cursor = self.editor.edit.textCursor()
        cursor.setPosition(position)
        self.editor.edit.setTextCursor(cursor)

    def elapsed(self) -> float:
        return (datetime.now(UTC) - self.started_at).total_seconds()

    def _update_clock(self) -> None:
        self.clock.setText(f"{rules.elapsed_stamp(self.elapsed()).strip('[]')} elapsed")

    def insert_stamp(self) -> None:
        self.editor.insert(f"{rules.elapsed_stamp(self.elapsed())} ")

    def attendee_ids(self) -> list[int]:
        ids = []
        for n in range(self.attendees.count()):
            item = self.attendees.item(n)
            if item.checkState() == Qt.CheckState.Checked:
                ids.append(int(item.data(Qt.ItemDataRole.UserRole)))
        return ids

    def _attendees_changed(self, *_: object) -> None:
        """Keep the note's "Attendees:" line in step with the ticked people."""
        names = [
            self.attendees.item(n).text().split(" — ")[0]
            for n in range(self.attendees.count())
            if self.attendees.item(n).checkState() == Qt.CheckState.Checked
        ]
        document = self.editor.edit.document()
        block = document.begin()
        while block.isValid():
            if block.text().startswith("Attendees:"):
                cursor = QTextCursor(block)
                cursor.movePosition(
                    QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor
                )
                cursor.insertText(f"Attendees: {', '.join(names)}")
                return
            block = block.next()

    def _keep_on_top(self, on: bool) -> None:
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, on)
        self.show()

    def end_call(self) -> None:
        if self.finished:
            return
        self.editor.save_now()
        if not self.writer.flush(10.0):
            messages.error_nonblocking(
                self, "Call not ended", "The note could not be saved yet; it is kept, try again."
            )
            return
        try:
            touchpoint = service.end_call(
                self.db,
                self.note_id,
                started_at=self.started_at,
                ended_at=datetime.now(UTC),
                attendee_ids=self.attendee_ids(),
            )
        except Exception as exc:  # the note itself is saved; say why the log failed
            log.error("ending the call failed: %s", type(exc).__name__)
            messages.error_nonblocking(self, "Call not logged", str(exc))
            return
        self.finished = True
        self._tick.stop()
        self.ended.emit(self.account_id, touchpoint)
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.finished:
            self.end_call()
            if not self.finished:
                event.ignore()
                return
        super().closeEvent(event)
