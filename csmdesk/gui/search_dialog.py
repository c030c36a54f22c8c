"""Instant search over notes, accounts and contacts: a non-modal window (open it with show()).

Each query runs on a worker thread after a short pause in typing; only the answer to the
latest query is shown. Snippets are painted as rich text built by
``services.search.marked_html``, which escapes the note first, so a note is always text.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QDate,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAbstractTextDocumentLayout, QKeyEvent, QPainter, QPalette, QTextDocument
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from csmdesk.gui.tasks import Task
from csmdesk.services.notes import KIND_LABELS
from csmdesk.services.search import Hit, account_choices, marked_html, plain, search
from csmdesk.store import Database

log = logging.getLogger(__name__)

DEBOUNCE_MS = 120
LIMIT = 30
HitRole = Qt.ItemDataRole.UserRole + 1
HeaderRole = Qt.ItemDataRole.UserRole + 2
SECTIONS = (("account", "Accounts"), ("contact", "Contacts"), ("note", "Notes"))
EMPTY_TEXT = "Type to search notes, accounts and contacts"


@dataclass(frozen=True)
class Filters:
    account_id: int | None = None
    kind: str | None = None
    since: date | None = None
    until: date | None = None


class SearchResultsModel(QAbstractListModel):
    """Hits under a header row per kind ("Notes · 30"); header rows cannot be selected."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Hit | str] = []

    def set_hits(self, hits: list[Hit]) -> None:
        self.beginResetModel()
        self._rows = []
        for kind, label in SECTIONS:
            group = [h for h in hits if h.kind == kind]
            if group:
                self._rows.append(f"{label} · {len(group)}")
                self._rows.extend(group)
        self.endResetModel()

    def hit(self, row: int) -> Hit | None:
        item = self._rows[row] if 0 <= row < len(self._rows) else None
        return item if isinstance(item, Hit) else None

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        if isinstance(self._rows[index.row()], str):
            return Qt.ItemFlag.ItemIsEnabled
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        item = self._rows[index.row()]
        if isinstance(item, str):
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
                return item
            return True if role == HeaderRole else None
        if role == HitRole:
            return item
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return _describe(item)
        if role == Qt.ItemDataRole.ToolTipRole and item.kind == "note":
            return f"{item.account_name} — {item.title} ({item.when})"
        return None


def _describe(hit: Hit) -> str:
    """One line of plain text for a hit (screen readers, tests, copy)."""
    if hit.kind == "account":
        return f"{hit.title} {hit.snippet}".strip()
    if hit.kind == "contact":
        return f"{hit.title} — {hit.account_name}" + (f" · {hit.snippet}" if hit.snippet else "")
    kind = KIND_LABELS.get(hit.note_kind, "Note")
    snippet = " ".join(plain(hit.snippet).split())
    return f"{hit.account_name} — {hit.title} · {kind} · {hit.when}: {snippet}"


def hit_html(hit: Hit, palette: QPalette, selected: bool = False) -> str:
    """The rich text of a result row; every piece of user text is escaped."""
    mark_bg = palette.color(QPalette.ColorRole.Highlight)
    mark_bg.setAlpha(70)
    start = (
        f'<span style="background-color:rgba({mark_bg.red()},{mark_bg.green()},{mark_bg.blue()},'
        f'0.3); font-weight:600;">'
    )
    dim_role = (
        QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.PlaceholderText
    )
    dim = palette.color(dim_role).name()
    esc = html.escape
    if hit.kind == "account":
        line = f"<b>{esc(hit.title)}</b>"
        if hit.snippet:
            line += f' <span style="color:{dim}">{esc(hit.snippet)}</span>'
        return line
    if hit.kind == "contact":
        line = f'<b>{esc(hit.title)}</b> <span style="color:{dim}">— {esc(hit.account_name)}'
        if hit.snippet:
            line += f" · {esc(hit.snippet)}"
        return line + "</span>"
    kind = KIND_LABELS.get(hit.note_kind, "Note")
    where = f"{esc(hit.account_name)} · {esc(kind)} · {esc(hit.when)}"
    head = f'<b>{esc(hit.title)}</b> <span style="color:{dim}">— {where}</span>'
    return f"{head}<br>{marked_html(hit.snippet, start, '</span>')}"


class HitDelegate(QStyledItemDelegate):
    """Paints a hit's rich text (title line, highlighted snippet) and the section headers."""

    PAD = 6

    def _document(self, option: QStyleOptionViewItem, index: QModelIndex) -> QTextDocument:
        doc = QTextDocument()
        doc.setDocumentMargin(0)
        doc.setDefaultFont(option.font)  # type: ignore[attr-defined]
        hit = index.data(HitRole)
        palette = option.palette  # type: ignore[attr-defined]
        selected = bool(option.state & QStyle.StateFlag.State_Selected)  # type: ignore[attr-defined]
        doc.setHtml(hit_html(hit, palette, selected) if isinstance(hit, Hit) else "")
        doc.setTextWidth(max(50, option.rect.width() - 2 * self.PAD))  # type: ignore[attr-defined]
        return doc

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        rect = opt.rect  # type: ignore[attr-defined]
        palette = opt.palette  # type: ignore[attr-defined]
        painter.save()
        if index.data(HeaderRole):
            font = opt.font  # type: ignore[attr-defined]
            font.setBold(True)
            font.setPointSizeF(font.pointSizeF() * 0.9)
            painter.setFont(font)
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(
                rect.adjusted(self.PAD, 0, -self.PAD, 0),
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom),
                str(index.data()).upper(),
            )
            painter.restore()
            return
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)  # type: ignore[attr-defined]
        if selected:
            painter.fillRect(rect, palette.color(QPalette.ColorRole.Highlight))
        doc = self._document(opt, index)  # type: ignore[arg-type]
        ctx = QAbstractTextDocumentLayout.PaintContext()
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        ctx.palette.setColor(QPalette.ColorRole.Text, palette.color(role))
        painter.translate(rect.left() + self.PAD, rect.top() + self.PAD // 2 + 1)
        height = rect.height() - self.PAD
        painter.setClipRect(QRectF(0, 0, doc.textWidth(), height))
        ctx.clip = QRectF(0, 0, doc.textWidth(), height)
        doc.documentLayout().draw(painter, ctx)
        painter.restore()

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        line = option.fontMetrics.lineSpacing()  # type: ignore[attr-defined]
        if index.data(HeaderRole):
            return QSize(100, line + self.PAD + 4)
        hit = index.data(HitRole)
        lines = 3 if isinstance(hit, Hit) and hit.kind == "note" else 1
        return QSize(100, lines * line + self.PAD + 2)


class SearchDialog(QDialog):
    """Search as you type; Down moves into the results, Enter opens, Esc closes."""

    account_chosen = Signal(int)
    # The note's id and where its first match starts as a QTextCursor position (UTF-16
    # units into the note's body), -1 when only its title matched.
    note_chosen = Signal(int, int)

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.setObjectName("searchDialog")
        self.setWindowTitle("Search")
        self.setModal(False)
        self._generation = 0
        self._running: Task | None = None
        self._pending = False
        self._last_error = ""

        self.query = QLineEdit()
        self.query.setObjectName("searchQuery")
        self.query.setPlaceholderText("Search notes, accounts and contacts…")
        self.query.setAccessibleName("Search text")
        self.query.setClearButtonEnabled(True)

        self.account = QComboBox()
        self.account.setAccessibleName("Only this account")
        self.account.setMinimumContentsLength(16)
        self.account.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.kind = QComboBox()
        self.kind.setAccessibleName("Only notes of this kind")
        self.kind.addItem("Any kind", None)
        for value, label in KIND_LABELS.items():
            self.kind.addItem(label, value)
        today = QDate.currentDate()
        self.from_check = QCheckBox("From")
        self.from_check.setAccessibleName("Only notes from a date")
        self.from_date = self._date_edit(today.addMonths(-3), "Notes from this date")
        self.to_check = QCheckBox("to")
        self.to_check.setAccessibleName("Only notes up to a date")
        self.to_date = self._date_edit(today, "Notes up to this date")

        filters = QHBoxLayout()
        filters.addWidget(self.account, 2)
        filters.addWidget(self.kind, 1)
        filters.addWidget(self.from_check)
        filters.addWidget(self.from_date)
        filters.addWidget(self.to_check)
        filters.addWidget(self.to_date)

        self.model = SearchResultsModel(self)
        self.results = QListView()
        self.results.setObjectName("searchResults")
        self.results.setAccessibleName("Search results")
        self.results.setModel(self.model)
        self.results.setItemDelegate(HitDelegate(self.results))
        self.results.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.results.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setObjectName("searchEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setTextFormat(Qt.TextFormat.PlainText)
        self.empty.setAccessibleName("Search status")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.results)

        layout = QVBoxLayout(self)
        layout.addWidget(self.query)
        layout.addLayout(filters)
        layout.addWidget(self.stack, 1)
        self.resize(720, 520)
        for first, second in (
            (self.query, self.results),
            (self.results, self.account),
            (self.account, self.kind),
            (self.kind, self.from_check),
            (self.from_check, self.from_date),
            (self.from_date, self.to_check),
            (self.to_check, self.to_date),
        ):
            QWidget.setTabOrder(first, second)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._run)
        self.query.textChanged.connect(self._schedule)
        self.query.returnPressed.connect(self._open_current)
        self.query.installEventFilter(self)
        self.results.installEventFilter(self)
        self.results.activated.connect(lambda index: self._open_row(index.row()))
        self.account.currentIndexChanged.connect(self._run_now)
        self.kind.currentIndexChanged.connect(self._run_now)
        for check, edit in ((self.from_check, self.from_date), (self.to_check, self.to_date)):
            check.toggled.connect(edit.setEnabled)
            check.toggled.connect(self._run_now)
            edit.dateChanged.connect(self._run_now)
        self.reload_accounts()

    def _date_edit(self, value: QDate, name: str) -> QDateEdit:
        edit = QDateEdit(value)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setAccessibleName(name)
        edit.setEnabled(False)
        return edit

    # --- public ---------------------------------------------------------------------------
    def open_search(self) -> None:
        """Show (non-modal), refresh the account list, and put the caret in the query."""
        self.reload_accounts()
        self.show()
        self.raise_()
        self.activateWindow()
        self.query.setFocus()
        self.query.selectAll()
        if self.query.text().strip():
            self._run_now()

    def reload_accounts(self) -> None:
        current = self.account.currentData()
        self.account.blockSignals(True)
        self.account.clear()
        self.account.addItem("Any account", None)
        for account_id, name in account_choices(self.db):
            self.account.addItem(name, account_id)
        index = self.account.findData(current) if current is not None else 0
        self.account.setCurrentIndex(max(0, index))
        self.account.blockSignals(False)

    def filters(self) -> Filters:
        def day(check: QCheckBox, edit: QDateEdit) -> date | None:
            return edit.date().toPython() if check.isChecked() else None  # type: ignore[return-value]

        return Filters(
            self.account.currentData(),
            self.kind.currentData(),
            day(self.from_check, self.from_date),
            day(self.to_check, self.to_date),
        )

    def is_busy(self) -> bool:
        return self._running is not None or self._timer.isActive()

    # --- searching ------------------------------------------------------------------------
    def _schedule(self) -> None:
        self._generation += 1
        self._timer.start()

    def _run_now(self) -> None:
        self._generation += 1
        self._timer.stop()
        self._run()

    def _run(self) -> None:
        text = self.query.text()
        if not text.strip():
            self._show([], text)
            return
        if self._running is not None:
            self._pending = True  # one query at a time; the newest runs when this one is back
            return
        generation = self._generation
        f = self.filters()
        task = Task(
            lambda _report: search(
                self.db,
                text,
                limit=LIMIT,
                account_id=f.account_id,
                kind=f.kind,
                since=f.since,
                until=f.until,
            )
        )
        task.succeeded.connect(lambda hits: self._answered(generation, text, hits))
        task.failed.connect(lambda exc: self._failed(generation, exc))
        task.finished.connect(self._task_done)
        self._running = task
        task.start()

    def _task_done(self) -> None:
        self._running = None
        if self._pending:
            self._pending = False
            self._run()

    def _answered(self, generation: int, text: str, hits: list[Hit]) -> None:
        if generation == self._generation:
            self._show(hits, text)

    def _failed(self, generation: int, exc: BaseException) -> None:
        # Any text is a valid query, so this is a database problem (busy, damaged): say so here
        # rather than interrupting with a message box.
        self._last_error = str(exc)
        if generation == self._generation:
            self.model.set_hits([])
            self.empty.setText(f"Search is unavailable right now: {exc}")
            self.stack.setCurrentWidget(self.empty)

    def _show(self, hits: list[Hit], text: str) -> None:
        self.model.set_hits(hits)
        if hits:
            self.stack.setCurrentWidget(self.results)
            self._select_first()
            return
        if not text.strip():
            self.empty.setText(EMPTY_TEXT)
        else:
            shown = " ".join(text.split())
            shown = shown if len(shown) <= 60 else shown[:59] + "…"
            self.empty.setText(f"No matches for “{shown}”")
        self.stack.setCurrentWidget(self.empty)

    def _select_first(self) -> None:
        for row in range(self.model.rowCount()):
            if self.model.hit(row) is not None:
                self.results.setCurrentIndex(self.model.index(row, 0))
                return

    # --- keyboard and choosing ------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if watched is self.query and key in (Qt.Key.Key_Down, Qt.Key.Key_PageDown):
                if self.stack.currentWidget() is self.results:
                    self.results.setFocus()
                    if not self.results.currentIndex().isValid():
                        self._select_first()
                return True
            if watched is self.results:
                if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                    self._open_current()
                    return True
                if (
                    key == Qt.Key.Key_Up
                    and self._first_hit_row() == self.results.currentIndex().row()
                ):
                    self.query.setFocus()
                    return True
        return super().eventFilter(watched, event)

    def _first_hit_row(self) -> int:
        return next((r for r in range(self.model.rowCount()) if self.model.hit(r)), -1)

    def _open_current(self) -> None:
        index = self.results.currentIndex()
        if index.isValid():
            self._open_row(index.row())

    def _open_row(self, row: int) -> None:
        hit = self.model.hit(row)
        if hit is None:
            return
        if hit.kind == "note":
            self.note_chosen.emit(hit.id, hit.offset_utf16)
        else:
            self.account_chosen.emit(hit.account_id)
        self.hide()
