"""The note editor: Markdown shown formatted as you type, saved within about a second.

Saving: every change restarts a short idle timer (``IDLE_MS``); while typing never pauses, a
save goes out at least every ``MAX_WAIT_MS``. The GUI thread only copies the text and hands it
to the :class:`~csmdesk.gui.note_writer.NoteWriter`; the write happens on its thread. So a
crash or a kill loses at most about a second of typing.

Preview: the same text rendered by Qt's Markdown reader with raw HTML switched off, so HTML in
a note shows as text; resources are never loaded, so no remote image is ever fetched.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from PySide6.QtCore import QRegularExpression, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QDesktopServices,
    QFont,
    QKeyEvent,
    QKeySequence,
    QPalette,
    QShortcut,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QStackedWidget,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from csmdesk.domain import notes as rules
from csmdesk.gui.note_writer import NoteWriter

log = logging.getLogger(__name__)

IDLE_MS = 300
MAX_WAIT_MS = 1000


class MarkdownHighlighter(QSyntaxHighlighter):
    """Headings, bold, italics, code, links, bullets and checkboxes, styled in place."""

    def __init__(self, document: QTextDocument, palette: QPalette) -> None:
        super().__init__(document)
        accent = palette.color(QPalette.ColorRole.Link)
        muted = palette.color(QPalette.ColorRole.PlaceholderText)

        def fmt(**kw: Any) -> QTextCharFormat:
            f = QTextCharFormat()
            if kw.get("bold"):
                f.setFontWeight(QFont.Weight.Bold)
            if kw.get("italic"):
                f.setFontItalic(True)
            if "colour" in kw:
                f.setForeground(kw["colour"])
            if kw.get("mono"):
                f.setFontFamilies(["monospace"])
            if kw.get("size"):
                f.setFontPointSize(kw["size"])
            if kw.get("strike"):
                f.setFontStrikeOut(True)
            return f

        base = document.defaultFont().pointSizeF() or 10.0
        self.rules: list[tuple[QRegularExpression, QTextCharFormat]] = [
            (QRegularExpression(r"^#{1}\s.*$"), fmt(bold=True, size=base * 1.5)),
            (QRegularExpression(r"^#{2}\s.*$"), fmt(bold=True, size=base * 1.25)),
            (QRegularExpression(r"^#{3,6}\s.*$"), fmt(bold=True)),
            (QRegularExpression(r"^\s*(?:[-*+]|\d+[.)])\s"), fmt(bold=True, colour=accent)),
            (QRegularExpression(r"\*\*[^*\n]+\*\*|__[^_\n]+__"), fmt(bold=True)),
            (QRegularExpression(r"(?<![*\w])\*[^*\s][^*\n]*\*(?!\*)"), fmt(italic=True)),
            (QRegularExpression(r"`[^`\n]+`"), fmt(mono=True, colour=muted)),
            (QRegularExpression(r"\[[^\]\n]*\]\([^)\s]+\)|https?://\S+"), fmt(colour=accent)),
            (QRegularExpression(r"@[^\W\d_][\w.\-']*"), fmt(colour=accent, bold=True)),
            (QRegularExpression(r"(?<!\S)due:\S+"), fmt(colour=accent)),
            (QRegularExpression(r"^\s*(?:[-*+]|\d+[.)])\s+\[ \]"), fmt(bold=True, colour=accent)),
        ]
        self.done_format = fmt(strike=True, colour=muted)
        self.done_rule = QRegularExpression(r"^\s*(?:[-*+]|\d+[.)])\s+\[[xX]\].*$")

    def highlightBlock(self, text: str) -> None:
        if len(text) > 20_000:  # a pasted blob: leave it plain rather than stall typing
            return
        done = self.done_rule.match(text)
        if done.hasMatch():
            self.setFormat(0, len(text), self.done_format)
            return
        for pattern, style in self.rules:
            matches = pattern.globalMatch(text)
            while matches.hasNext():
                m = matches.next()
                self.setFormat(m.capturedStart(), m.capturedLength(), style)


class SafePreview(QTextBrowser):
    """Renders Markdown without HTML and never loads a resource (no remote images)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.anchorClicked.connect(self._open)

    def loadResource(self, kind: int, name: QUrl) -> Any:
        return None

    def show_markdown(self, text: str) -> None:
        features = (
            QTextDocument.MarkdownFeature.MarkdownDialectGitHub
            | QTextDocument.MarkdownFeature.MarkdownNoHTML
        )
        self.document().setMarkdown(text, features)

    @staticmethod
    def _open(url: QUrl) -> None:
        if url.scheme() in ("http", "https", "mailto"):
            QDesktopServices.openUrl(url)


_LIST_PREFIX = re.compile(r"^(\s*)([-*+]|\d{1,3}[.)])(\s+)(\[[ xX]\]\s)?")


class _Typing(QPlainTextEdit):
    """Enter continues a list (a new bullet, number or open checkbox); Enter on an empty item
    ends the list."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        plain = event.modifiers() in (
            Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier
        )  # fmt: skip
        if plain and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            cursor = self.textCursor()
            line = cursor.block().text()
            match = _LIST_PREFIX.match(line)
            if match and not cursor.hasSelection() and cursor.atBlockEnd():
                if not line[match.end() :].strip():
                    cursor.movePosition(
                        QTextCursor.MoveOperation.StartOfBlock, QTextCursor.MoveMode.KeepAnchor
                    )
                    cursor.removeSelectedText()
                    return
                indent, marker, gap, box = match.groups()
                if marker[:-1].isdigit():
                    marker = f"{int(marker[:-1]) + 1}{marker[-1]}"
                cursor.insertText(f"\n{indent}{marker}{gap}{'[ ] ' if box else ''}")
                self.ensureCursorVisible()
                return
        super().keyPressEvent(event)


class NoteEditor(QWidget):
    """One note at a time; ``load`` shows it, typing saves it."""

    text_saved = Signal(int)  # note id

    def __init__(self, writer: NoteWriter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.writer = writer
        self.note_id: int | None = None
        self._dirty_since: float | None = None
        self._loading = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        self.tools: dict[str, QToolButton] = {}
        for key, text, tip in (
            ("heading", "H", "Heading (Ctrl+Shift+1)"),
            ("bold", "B", "Bold (Ctrl+B)"),
            ("bullet", "•", "Bullet list (Ctrl+Shift+8)"),
            ("checkbox", "☐", "Action item: tick or add a checkbox on this line (Ctrl+Return)"),
            ("link", "🔗", "Link (Ctrl+Shift+K)"),
        ):
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tip)
            button.setAccessibleName(tip.split(" (")[0])
            button.setAutoRaise(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # never steal the typing focus
            button.clicked.connect(lambda _c=False, k=key: self.apply(k))
            bar.addWidget(button)
            self.tools[key] = button
        self.preview_button = QToolButton()
        self.preview_button.setText("Preview")
        self.preview_button.setCheckable(True)
        self.preview_button.setToolTip("Show the note formatted (Ctrl+Shift+P)")
        self.preview_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.preview_button.toggled.connect(self.set_preview)
        bar.addWidget(self.preview_button)
        bar.addStretch(1)
        self.status = QLabel()
        self.status.setObjectName("noteStatus")
        self.status.setStyleSheet("color: palette(placeholder-text);")
        bar.addWidget(self.status)
        layout.addLayout(bar)

        self.stack = QStackedWidget()
        self.edit = _Typing()
        self.edit.setObjectName("noteEdit")
        self.edit.setAccessibleName("Note")
        self.edit.setPlaceholderText(
            "Type your notes. # heading, - bullet, - [ ] action item @owner due:2026-12-31"
        )
        self.edit.setTabChangesFocus(False)
        self.highlighter = MarkdownHighlighter(self.edit.document(), self.edit.palette())
        self.preview = SafePreview()
        self.preview.setObjectName("notePreview")
        self.preview.setAccessibleName("Note preview")
        self.stack.addWidget(self.edit)
        self.stack.addWidget(self.preview)
        layout.addWidget(self.stack, 1)

        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(IDLE_MS)
        self._idle.timeout.connect(self.save_now)
        self.edit.textChanged.connect(self._changed)
        writer.saved.connect(self._on_saved)
        writer.failed.connect(self._on_failed)
        for keys, key in (
            ("Ctrl+B", "bold"),
            ("Ctrl+Return", "checkbox"),
            ("Ctrl+Shift+1", "heading"),
            ("Ctrl+Shift+8", "bullet"),
            ("Ctrl+Shift+K", "link"),
        ):
            shortcut = QShortcut(QKeySequence(keys), self.edit)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(lambda k=key: self.apply(k))
        toggle = QShortcut(QKeySequence("Ctrl+Shift+P"), self)
        toggle.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        toggle.activated.connect(self.preview_button.toggle)
        self.setEnabled(False)

    # --- loading and saving -----------------------------------------------------------------
    def load(self, note_id: int | None, body: str = "") -> None:
        """Show a note (saving what was typed in the previous one first)."""
        self.save_now()
        self.note_id = note_id
        self.edit.setReadOnly(False)  # a read-only note (the CRM's) is marked so after loading
        self._loading = True
        try:
            self.edit.setPlainText(body)
        finally:
            self._loading = False
        self._dirty_since = None
        self.setEnabled(note_id is not None)
        self.status.setText("")
        if self.preview_button.isChecked():
            self.preview.show_markdown(body)

    def text(self) -> str:
        return self.edit.toPlainText()

    def _changed(self) -> None:
        if self._loading or self.note_id is None:
            return
        now = time.monotonic()
        if self._dirty_since is None:
            self._dirty_since = now
        if (now - self._dirty_since) * 1000 >= MAX_WAIT_MS:
            self.save_now()
        else:
            self._idle.start()

    def save_now(self) -> None:
        """Hand the current text to the writer (cheap: no database work on this thread)."""
        self._idle.stop()
        if self._dirty_since is None or self.note_id is None:
            return
        self._dirty_since = None
        self.writer.submit(self.note_id, self.edit.toPlainText())
        self.status.setText("Saving…")

    def _on_saved(self, note_id: int) -> None:
        """The writer saves for every editor (a call window's too): only this one's note counts,
        so a call typed beside Today or the Notes page never makes them recompute."""
        if note_id != self.note_id:
            return
        if self._dirty_since is None:
            self.status.setText("Saved")
            self.status.setToolTip("Every change is in the database within about a second")
        self.text_saved.emit(note_id)

    def _on_failed(self, note_id: int, why: str) -> None:
        if note_id == self.note_id:
            self.status.setText("Not saved yet — retrying")
            self.status.setToolTip(f"The text is kept and saving is retried: {why}")

    # --- formatting -------------------------------------------------------------------------
    def insert(self, text: str) -> None:
        self.edit.textCursor().insertText(text)
        self.edit.setFocus()

    def apply(self, key: str) -> None:
        cursor = self.edit.textCursor()
        if key == "bold":
            chosen = cursor.selectedText()
            cursor.insertText(f"**{chosen}**")
            if not chosen:
                cursor.movePosition(QTextCursor.MoveOperation.Left, n=2)
                self.edit.setTextCursor(cursor)
        elif key == "link":
            chosen = cursor.selectedText() or "link"
            cursor.insertText(f"[{chosen}](https://)")
            cursor.movePosition(QTextCursor.MoveOperation.Left, n=1)
            self.edit.setTextCursor(cursor)
        else:
            self._line_prefix(cursor, key)
        self.edit.setFocus()

    def _line_prefix(self, cursor: QTextCursor, key: str) -> None:
        block = cursor.block()
        text = block.text()
        line = block.blockNumber()
        state = rules.box_state(text)
        if key == "checkbox" and state is not None:
            new = rules.set_box(text, 0, not state)
        elif key == "checkbox":
            new = f"- [ ] {text.lstrip('-*+ ').lstrip()}"
        elif key == "bullet":
            new = text if text.lstrip().startswith(("- ", "* ", "+ ")) else f"- {text}"
        else:  # heading: cycle # → ## → ### → plain
            stripped = text.lstrip("#")
            level = len(text) - len(stripped)
            body = stripped.lstrip()
            new = body if level >= 3 else f"{'#' * (level + 1)} {body}"
        if new == text:
            return
        edit = QTextCursor(self.edit.document().findBlockByNumber(line))
        edit.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
        edit.insertText(new)
        end = QTextCursor(self.edit.document().findBlockByNumber(line))
        end.movePosition(QTextCursor.MoveOperation.EndOfBlock)
        self.edit.setTextCursor(end)

    def set_preview(self, on: bool) -> None:
        if on:
            self.save_now()
            self.preview.show_markdown(self.text())
            self.stack.setCurrentWidget(self.preview)
        else:
            self.stack.setCurrentWidget(self.edit)
            self.edit.setFocus()
