"""The QBR/EBR tab of an account: its reviews, each a set of sections drafted from the book and
then edited; the usage chart; mark held; export to PDF or PowerPoint in the background.

Editing never asks anything: a section saves itself a second after the last keystroke (and
whenever the review, the account or the tab changes), and the status line says "Saved" or why
not. Exports run on a worker thread with a progress bar and Cancel, then open in the system's
viewer (``opener``, replaceable so tests never launch one).
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QPalette, QPixmap, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from csmdesk.domain.accounts import ValidationError
from csmdesk.domain.reviews import SECTION_LABELS, SECTIONS, ReviewContent, kind_label
from csmdesk.gui import messages
from csmdesk.gui.qbr_dialogs import HeldDialog, NewReviewDialog
from csmdesk.gui.qbr_export import AskPath, ExportBar, Opener
from csmdesk.gui.tasks import Task
from csmdesk.models import Account, Review
from csmdesk.services import reviews
from csmdesk.services import rhythm as rhythm_service
from csmdesk.store import Database
from csmdesk.store.errors import DatabaseProblem

log = logging.getLogger(__name__)

SAVE_DELAY_MS = 1000
ID_ROLE = Qt.ItemDataRole.UserRole


def _day(d: date) -> str:
    return f"{d.day} {d:%b %Y}"


class QbrTab(QWidget):
    changed = Signal(int)  # the account whose reviews changed (every save, too)
    held = Signal(int)  # a review was marked held: a QBR/EBR touchpoint was logged or moved

    def __init__(
        self,
        db: Database,
        today: date,
        parent: QWidget | None = None,
        *,
        opener: Opener | None = None,
        ask_path: AskPath | None = None,
    ) -> None:
        super().__init__(parent)
        self.db, self.today = db, today
        self.account_id: int | None = None
        self.review: Review | None = None
        self._dirty: set[str] = set()
        self._loading = False
        self._chart_key: tuple[object, ...] | None = None
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self.flush)

        outer = QHBoxLayout(self)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        outer.addWidget(splitter)
        left = QWidget()
        side = QVBoxLayout(left)
        side.setContentsMargins(0, 0, 0, 0)
        self.list = QListWidget()
        self.list.setObjectName("reviewList")
        self.list.setAccessibleName("Reviews")
        self.list.currentItemChanged.connect(lambda *_: self._select_current())
        side.addWidget(self.list, 1)
        self.new_button = QPushButton("&New QBR/EBR…")
        self.new_button.setToolTip("Draft a review from the account's contacts, usage and plans")
        self.new_button.clicked.connect(self.ask_new_review)
        self.delete_button = QPushButton("Delete…")
        self.delete_button.clicked.connect(self.delete_review)
        side.addWidget(self.new_button)
        side.addWidget(self.delete_button)
        splitter.addWidget(left)

        right = QWidget()
        main = QVBoxLayout(right)
        main.setContentsMargins(0, 0, 0, 0)
        self.empty = QLabel(
            "No QBR or EBR yet. New QBR/EBR… drafts one from the account's contacts, usage, "
            "risks, opportunities and open action items; edit it, then export it as a PDF or "
            "a PowerPoint deck."
        )
        self.empty.setObjectName("emptyState")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        main.addWidget(self.empty, 1)
        self.editor = QWidget()
        main.addWidget(self.editor, 1)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([200, 600])
        self._build_editor(opener, ask_path)
        self._show_state()

    # --- layout --------------------------------------------------------------------------------

    def _build_editor(self, opener: Opener | None, ask_path: AskPath | None) -> None:
        layout = QVBoxLayout(self.editor)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.title_edit = QLineEdit()
        self.title_edit.setObjectName("reviewTitle")
        self.title_edit.setAccessibleName("Review title")
        self.title_edit.textEdited.connect(lambda _t: self._edited("title"))
        top.addWidget(self.title_edit, 1)
        self.held_label = QLabel()
        self.held_label.setObjectName("heldLabel")
        top.addWidget(self.held_label)
        layout.addLayout(top)
        buttons = QHBoxLayout()
        self.held_button = QPushButton("Mark &held…")
        self.held_button.clicked.connect(self.ask_mark_held)
        buttons.addWidget(self.held_button)
        self.exports = ExportBar(self.current_content, self, opener=opener, ask_path=ask_path)
        self.exports.status.connect(self.status_text)
        buttons.addWidget(self.exports)
        buttons.addStretch(1)
        self.status = QLabel()
        self.status.setObjectName("reviewStatus")
        self.status.setAccessibleName("Save status")
        buttons.addWidget(self.status)
        layout.addLayout(buttons)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        form = QVBoxLayout(body)
        self.editors: dict[str, QPlainTextEdit] = {}
        self.chart = QLabel()
        self.chart.setObjectName("usageChart")
        self.chart.setAccessibleName("Usage chart: active users against licensed seats")
        self.chart.setAlignment(Qt.AlignmentFlag.AlignLeft)
        for key in SECTIONS:
            heading = QLabel(f"<b>{SECTION_LABELS[key]}</b>")
            edit = QPlainTextEdit()
            edit.setObjectName(f"section_{key}")
            edit.setAccessibleName(SECTION_LABELS[key])
            edit.setTabChangesFocus(True)
            edit.textChanged.connect(lambda k=key: self._edited(k))
            edit.document().documentLayout().documentSizeChanged.connect(
                lambda _size, e=edit: self._fit(e)
            )
            heading.setBuddy(edit)
            form.addWidget(heading)
            if key == "usage":
                form.addWidget(self.chart)
            form.addWidget(edit)
            self.editors[key] = edit
        form.addStretch(1)
        scroll.setWidget(body)
        layout.addWidget(scroll, 1)

    @staticmethod
    def _fit(edit: QPlainTextEdit) -> None:
        """Grow a section with its text (5 to 18 lines), so the page scrolls, not each box."""
        lines = edit.document().documentLayout().documentSize().height()
        shown = min(max(int(lines) + 1, 5), 18)
        height = shown * edit.fontMetrics().lineSpacing() + 14
        if edit.height() != height:
            edit.setFixedHeight(height)

    # --- showing -------------------------------------------------------------------------------

    def show_account(self, account_id: int | None) -> None:
        self.flush()
        self.account_id = account_id
        self.review = None
        self.refresh()

    def refresh(self, select_id: int | None = None) -> None:
        current = select_id or (self.review.id if self.review else None)
        self.list.blockSignals(True)
        self.list.clear()
        items = [] if self.account_id is None else reviews.list_reviews(self.db, self.account_id)
        due = None
        if self.account_id is not None and any(r.held_on is None for r in items):
            due = rhythm_service.account_rhythm(self.db, self.account_id, self.today)
        for r in items:
            if r.held_on is not None:
                state = f"held {_day(r.held_on)}"
            elif due is not None and due.next_review_due is not None:
                late = " (overdue)" if due.next_review_due < self.today else ""
                state = f"due {_day(due.next_review_due)}{late}"
            else:
                state = "not held yet"
            item = QListWidgetItem(f"{r.period} · {kind_label(r.kind)}\n{state}")
            item.setData(ID_ROLE, r.id)
            self.list.addItem(item)
        self.list.blockSignals(False)
        row = next((i for i, r in enumerate(items) if r.id == current), 0 if items else -1)
        self.list.setCurrentRow(row)
        self._select_current()

    def _select_current(self) -> None:
        item = self.list.currentItem()
        review_id = item.data(ID_ROLE) if item is not None else None
        if self.review is not None and self.review.id == review_id:
            return
        self.flush()
        self.review = reviews.get_review(self.db, review_id) if review_id is not None else None
        self._load()

    def _load(self) -> None:
        self._loading = True
        try:
            r = self.review
            self.title_edit.setText(r.title if r else "")
            for key, edit in self.editors.items():
                edit.setPlainText(getattr(r, key) if r else "")
            if r is not None and r.held_on is not None:
                self.held_label.setText(f"Held {_day(r.held_on)}")
            else:
                self.held_label.setText("Not held yet")
        finally:
            self._loading = False
        self._dirty.clear()
        self.status.setText("")
        self._show_state()
        self._draw_chart()

    def _show_state(self) -> None:
        has = self.review is not None
        self.editor.setVisible(has)
        self.empty.setVisible(not has)
        self.delete_button.setEnabled(has)
        self.new_button.setEnabled(self.account_id is not None)

    def _draw_chart(self) -> None:
        """The same chart the exports carry, drawn off the GUI thread (Matplotlib loads then)."""
        if self.review is None or self.account_id is None or not self.isVisible():
            return
        dark = self.palette().color(QPalette.ColorRole.Window).lightnessF() < 0.5
        when = reviews.as_of(self.review, self.today)
        key = (self.account_id, self.review.period, when, dark)
        if key == self._chart_key:
            return
        self._chart_key = key
        usage = reviews.usage_series(self.db, self.account_id, self.review.period, when)

        # As wide as the usage editor, at the screen's density so it stays sharp.
        width = max(360, self.editors["usage"].width())
        ratio = self.devicePixelRatioF()

        def render(_report: Any) -> bytes | None:
            from csmdesk.reports.qbr_chart import render_usage_png

            inches = width / 100
            return render_usage_png(
                usage, width_in=inches, height_in=inches * 0.42, dpi=round(100 * ratio), dark=dark
            )

        task = Task(render, self)
        task.succeeded.connect(lambda png, k=key: self._show_chart(k, png))
        task.start()

    def _show_chart(self, key: tuple[object, ...], png: bytes | None) -> None:
        if key != self._chart_key:
            return
        if png is None:
            self.chart.setPixmap(QPixmap())
            self.chart.setText("No usage readings to chart yet (Health ▸ Add a health reading…).")
            return
        pixmap = QPixmap()
        pixmap.loadFromData(png)
        pixmap.setDevicePixelRatio(self.devicePixelRatioF())
        self.chart.setPixmap(pixmap)

    def status_text(self, text: str) -> None:
        self.status.setText(text)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._draw_chart()

    def hideEvent(self, event: QHideEvent) -> None:
        self.flush()
        super().hideEvent(event)

    # --- editing -------------------------------------------------------------------------------

    def _edited(self, key: str) -> None:
        if self._loading or self.review is None:
            return
        self._dirty.add(key)
        self.status.setText("Editing…")
        self._save_timer.start()

    def flush(self) -> bool:
        """Save what changed; False (and the reason on the status line) when it could not."""
        self._save_timer.stop()
        if not self._dirty or self.review is None or self.review.id is None:
            return True
        changes: dict[str, object] = {
            key: self.title_edit.text() if key == "title" else self.editors[key].toPlainText()
            for key in self._dirty
        }
        try:
            self.review = reviews.update_review(self.db, self.review.id, changes)
        except ValidationError as exc:
            self.status.setText("Not saved: " + " ".join(exc.errors.values()))
            return False
        except DatabaseProblem as exc:
            log.warning("review %s not saved: %s", self.review.id, exc)
            self.status.setText(f"Not saved: {exc}")
            self._save_timer.start()  # try again; the text stays in the editor
            return False
        self._dirty.clear()
        self.status.setText("Saved")
        if self.account_id is not None:
            self.changed.emit(self.account_id)
        return True

    # --- commands ------------------------------------------------------------------------------

    def ask_new_review(self) -> None:
        if self.account_id is None:
            return
        with self.db.session() as s:
            account = s.get(Account, self.account_id)
            if account is None:
                return
            kind, name = reviews.default_kind(self.db, account), account.name
        dialog = NewReviewDialog(self, self.today, kind, name)
        if dialog.exec():
            self.new_review(*dialog.values())

    def new_review(self, kind: str | None = None, period: str | None = None) -> Review | None:
        if self.account_id is None:
            return None
        self.flush()
        try:
            review = reviews.prefill(self.db, self.account_id, self.today, kind, period)
        except ValidationError as exc:
            messages.error(self, "Review not created", "\n".join(exc.errors.values()))
            return None
        self.review = None
        self.refresh(select_id=review.id)
        self.changed.emit(self.account_id)
        return review

    def ask_mark_held(self) -> None:
        if self.review is None:
            return
        dialog = HeldDialog(self, self.today, self.review.held_on)
        if dialog.exec():
            self.mark_held(dialog.value())

    def mark_held(self, on: date) -> None:
        if self.review is None or self.review.id is None or self.account_id is None:
            return
        self.flush()
        try:
            reviews.mark_held(self.db, self.review.id, on, today=self.today)
        except ValidationError as exc:
            messages.error(self, "Not marked held", "\n".join(exc.errors.values()))
            return
        review_id, kind = self.review.id, self.review.kind
        self.review = None
        self.refresh(select_id=review_id)
        self.status.setText(f"Held {_day(on)}; the {kind_label(kind)} is logged as a touchpoint")
        self.changed.emit(self.account_id)
        self.held.emit(self.account_id)

    def delete_review(self) -> None:
        if self.review is None or self.review.id is None or self.account_id is None:
            return
        what = f"{kind_label(self.review.kind)} {self.review.period}"
        if not messages.confirm(
            self, "Delete review", f"Delete the {what}? Its text cannot be recovered.", "Delete"
        ):
            return
        self._dirty.clear()
        reviews.delete_review(self.db, self.review.id)
        self.review = None
        self.refresh()
        self.changed.emit(self.account_id)

    def current_content(self) -> ReviewContent | None:
        """What an export of the current review shows (its edits saved first)."""
        if self.review is None or self.review.id is None:
            return None
        self.flush()
        return reviews.review_content(self.db, self.review.id, self.today)
