"""Exporting a review from the QBR tab: the PDF and PowerPoint buttons, the file question, the
background task with its progress bar and Cancel, and opening the result in the system viewer.

The writers take a :class:`~csmdesk.domain.reviews.ReviewContent` gathered on the GUI thread,
so the worker never touches the database. ``opener`` and ``ask_path`` are replaceable: tests
neither launch a viewer nor answer a file dialog.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QProgressBar, QPushButton, QWidget

from csmdesk.domain.reviews import ReviewContent
from csmdesk.gui import messages
from csmdesk.gui.tasks import Task

log = logging.getLogger(__name__)

FORMATS = {
    "pdf": ("Export PDF", "PDF document (*.pdf)", ".pdf"),
    "pptx": ("Export PowerPoint", "PowerPoint presentation (*.pptx)", ".pptx"),
}
_DIR_KEY = "qbr/export_dir"

Opener = Callable[[Path], None]
AskPath = Callable[[QWidget, str, str, str], str]
ContentSource = Callable[[], ReviewContent | None]


def open_in_viewer(path: Path) -> None:
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def ask_save_path(parent: QWidget, caption: str, suggested: str, filters: str) -> str:
    return QFileDialog.getSaveFileName(parent, caption, suggested, filters)[0]


def file_name(title: str) -> str:
    """A title made safe as a file name on every platform."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", title).strip() or "review"


def _write(
    fmt: str, content: ReviewContent, path: Path, report: Callable[[int, int], bool]
) -> Path | None:
    from csmdesk.reports import ExportCancelled

    try:
        if fmt == "pdf":
            from csmdesk.reports.qbr_pdf import write_pdf

            return write_pdf(content, path, progress=report)
        from csmdesk.reports.qbr_pptx import write_pptx

        return write_pptx(content, path, progress=report)
    except ExportCancelled:
        return None


class ExportBar(QWidget):
    """[Export PDF…] [Export PowerPoint…] and, while one runs, its progress and Cancel."""

    status = Signal(str)  # what to show on the tab's status line

    def __init__(
        self,
        content: ContentSource,
        parent: QWidget | None = None,
        *,
        opener: Opener | None = None,
        ask_path: AskPath | None = None,
    ) -> None:
        super().__init__(parent)
        self.content = content
        self.opener = opener or open_in_viewer
        self.ask_path = ask_path or ask_save_path
        self.task: Task | None = None
        self.last_export: Path | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.pdf_button = QPushButton("Export &PDF…")
        self.pdf_button.clicked.connect(lambda: self.ask_export("pdf"))
        self.pptx_button = QPushButton("Export Po&werPoint…")
        self.pptx_button.clicked.connect(lambda: self.ask_export("pptx"))
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Export progress")
        self.progress.setMaximumWidth(140)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAccessibleName("Cancel the export")
        self.cancel_button.clicked.connect(self.cancel)
        for widget in (self.pdf_button, self.pptx_button, self.progress, self.cancel_button):
            layout.addWidget(widget)
        self._idle()

    def ask_export(self, fmt: str) -> None:
        content = self.content()
        if content is None:
            return
        caption, filters, suffix = FORMATS[fmt]
        folder = str(
            QSettings().value(_DIR_KEY, "")
            or QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        )
        suggested = str(Path(folder) / (file_name(content.title) + suffix))
        chosen = self.ask_path(self, caption, suggested, filters)
        if not chosen:
            return
        path = Path(chosen)
        if path.suffix.lower() != suffix:
            path = path.with_name(path.name + suffix)
        QSettings().setValue(_DIR_KEY, str(path.parent))
        self.export(fmt, path, content)

    def export(self, fmt: str, path: Path, content: ReviewContent | None = None) -> Task | None:
        """Write ``content`` (the current review's by default) to ``path`` in the background,
        then open it; None when nothing to export or an export is already running."""
        content = content or self.content()
        if content is None or self.task is not None:
            return None
        task = Task(lambda report: _write(fmt, content, path, report), self)
        task.progressed.connect(self._progressed)
        task.succeeded.connect(self._exported)
        task.failed.connect(self._failed)
        task.finished.connect(self._idle)
        self.task = task
        self.pdf_button.setEnabled(False)
        self.pptx_button.setEnabled(False)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.cancel_button.show()
        self.status.emit(f"Exporting {path.name}…")
        task.start()
        return task

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def _progressed(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _exported(self, path: Path | None) -> None:
        if path is None:
            self.status.emit("Export cancelled; no file written")
            return
        self.last_export = path
        self.status.emit(f"Exported {path.name}")
        self.opener(path)

    def _failed(self, exc: BaseException) -> None:
        self.status.emit("Export failed")
        messages.error_nonblocking(self, "Export failed", f"The review was not exported: {exc}")

    def _idle(self) -> None:
        self.task = None
        self.progress.hide()
        self.cancel_button.hide()
        self.pdf_button.setEnabled(True)
        self.pptx_button.setEnabled(True)
