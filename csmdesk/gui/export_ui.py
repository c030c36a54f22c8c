"""File ▸ Export: the book to JSON, CSV, XLSX or Markdown, off the GUI thread, cancellable.

The export runs as a :class:`~csmdesk.gui.tasks.Task` on a QThreadPool worker and reports
back by signals; the window stays usable meanwhile (the export reads one consistent
snapshot of the database).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths, QThreadPool, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from csmdesk.gui import messages
from csmdesk.gui.tasks import Report, Task
from csmdesk.services.export import (
    ExportCancelledError,
    ExportError,
    ExportFormat,
    ExportResult,
    export_book,
    target_in_use,
)
from csmdesk.store import Database, DatabaseProblem

FORMAT_LABELS = {
    ExportFormat.JSON: "Everything, one JSON file (can be imported back)",
    ExportFormat.CSV: "Tables as CSV files, in a folder",
    ExportFormat.XLSX: "Tables as one Excel workbook (.xlsx)",
    ExportFormat.MARKDOWN: "Notes as Markdown files, in a folder",
}
_HINTS = {
    ExportFormat.JSON: "Accounts, contacts, milestones, touchpoints, notes, action items, "
    "health readings, risks with their history, muted signals, opportunities, renewals, "
    "ARR history and CRM links.",
    ExportFormat.CSV: "accounts, contacts, notes, action items, health readings, renewals and "
    "risk history; UTF-8, opens in Excel, Numbers and LibreOffice.",
    ExportFormat.XLSX: "One sheet each for accounts, contacts, notes, action items, "
    "health readings, renewals and risk history.",
    ExportFormat.MARKDOWN: "One file per note, a folder per account, and an index; "
    "readable in any text editor.",
}


def _run_export(
    db: Database, fmt: ExportFormat, out: Path, overwrite: bool, report: Report
) -> ExportResult | None:
    """The work of one export on a worker thread; ``None`` when the user cancelled."""
    try:
        return export_book(db, fmt, out, overwrite=overwrite, progress=report)
    except ExportCancelledError:
        return None


class ExportDialog(QDialog):
    """Choose a format and a destination, export, watch the progress, cancel if needed."""

    exported = Signal(object)  # ExportResult
    failed = Signal(str)
    cancelled = Signal()

    def __init__(
        self, db: Database, parent: QWidget | None = None, *, pool: QThreadPool | None = None
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.pool = pool or QThreadPool.globalInstance()
        self.task: Task | None = None
        self._close_when_done = False
        self.settings = QSettings()
        self.setWindowTitle("Export the book")
        self.setObjectName("exportDialog")

        self.format_combo = QComboBox(self)
        self.format_combo.setAccessibleName("Export format")
        for fmt, label in FORMAT_LABELS.items():
            self.format_combo.addItem(label, fmt.value)
        self.hint = QLabel(self)
        self.hint.setWordWrap(True)
        self.path_edit = QLineEdit(self)
        self.path_edit.setAccessibleName("Export destination")
        self.browse_button = QPushButton("&Browse…", self)
        self.browse_button.setAccessibleName("Choose the export destination")
        self.progress = QProgressBar(self)
        self.progress.setAccessibleName("Export progress")
        self.progress.setVisible(False)
        self.status = QLabel(self)
        self.status.setObjectName("exportStatus")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(self)
        self.export_button = self.buttons.addButton(
            "&Export", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.export_button.setDefault(True)

        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(self.browse_button)
        form = QFormLayout()
        form.addRow("&Format:", self.format_combo)
        form.addRow("", self.hint)
        destination = QLabel("&Destination:", self)
        destination.setBuddy(self.path_edit)
        form.addRow(destination, path_row)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)

        self.format_combo.currentIndexChanged.connect(self._format_changed)
        self.browse_button.clicked.connect(self.browse)
        self.export_button.clicked.connect(self.start_export)
        self.close_button.clicked.connect(self.reject)
        saved = self.settings.value("export/format", ExportFormat.JSON.value)
        index = self.format_combo.findData(saved)
        self.format_combo.setCurrentIndex(max(index, 0))
        self._format_changed()

    # --- choosing ------------------------------------------------------------------------------
    @property
    def fmt(self) -> ExportFormat:
        return ExportFormat(self.format_combo.currentData())

    def set_format(self, fmt: ExportFormat | str) -> None:
        self.format_combo.setCurrentIndex(self.format_combo.findData(ExportFormat(fmt).value))

    def set_destination(self, path: Path | str) -> None:
        self.path_edit.setText(str(path))

    def _folder(self) -> Path:
        saved = self.settings.value("export/folder", "")
        if saved and Path(str(saved)).is_dir():
            return Path(str(saved))
        docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        return Path(docs or Path.home())

    def _default_name(self, fmt: ExportFormat) -> str:
        stem = f"CSM Desk export {date.today().isoformat()}"
        return {
            ExportFormat.JSON: f"{stem}.json",
            ExportFormat.XLSX: f"{stem}.xlsx",
            ExportFormat.CSV: f"{stem} (CSV)",
            ExportFormat.MARKDOWN: f"{stem} (notes)",
        }[fmt]

    def _format_changed(self, *_: object) -> None:
        fmt = self.fmt
        self.hint.setText(_HINTS[fmt])
        current = self.path_edit.text().strip()
        folder = Path(current).parent if current else self._folder()
        self.path_edit.setText(str(folder / self._default_name(fmt)))
        self.status.clear()

    def browse(self) -> None:
        fmt = self.fmt
        current = self.path_edit.text().strip()
        if fmt.is_folder:
            chosen = QFileDialog.getExistingDirectory(self, "Export to folder", current)
        else:
            pattern = "JSON (*.json)" if fmt is ExportFormat.JSON else "Excel workbook (*.xlsx)"
            chosen, _ = QFileDialog.getSaveFileName(self, "Export to file", current, pattern)
        if chosen:
            self.path_edit.setText(chosen)

    # --- running -------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.task is not None

    def start_export(self) -> None:
        if self.running:
            return
        text = self.path_edit.text().strip()
        if not text:
            self.status.setText("Choose where to write the export.")
            return
        out = Path(text).expanduser()
        fmt = self.fmt
        if fmt is ExportFormat.XLSX and out.suffix.lower() != ".xlsx":
            out = out.with_name(out.name + ".xlsx")
        elif fmt is ExportFormat.JSON and out.suffix.lower() != ".json":
            out = out.with_name(out.name + ".json")
        overwrite = False
        if target_in_use(out):
            overwrite = messages.confirm(
                self, "Replace the earlier export?", f"{out} already exists. Replace it?", "Replace"
            )
            if not overwrite:
                return
        self.settings.setValue("export/format", fmt.value)
        self.settings.setValue("export/folder", str(out.parent))
        self.task = Task(lambda report: _run_export(self.db, fmt, out, overwrite, report))
        self.task.progressed.connect(self._on_progress)
        self.task.succeeded.connect(self._on_done)
        self.task.failed.connect(self._on_failure)
        self._set_running(True)
        self.status.setText(f"Exporting to {out}…")
        self.task.start(self.pool)

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.status.setText("Cancelling…")

    def _set_running(self, running: bool) -> None:
        for widget in (self.format_combo, self.path_edit, self.browse_button, self.export_button):
            widget.setEnabled(not running)
        self.progress.setVisible(running)
        self.progress.setRange(0, 0)
        self.close_button.setText("Cancel" if running else "Close")

    def _on_progress(self, done: int, total: int) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(done)

    def _finish(self) -> None:
        self.task = None
        self._set_running(False)
        if self._close_when_done:
            super().reject()

    def _on_done(self, result: ExportResult | None) -> None:
        if result is None:
            self._on_cancelled()
            return
        self.status.setText(result.describe())
        self._finish()
        self.exported.emit(result)

    def _on_failure(self, exc: BaseException) -> None:
        if isinstance(exc, ExportError | DatabaseProblem):
            message, details = str(exc), ""
        else:  # a bug; the task has logged the traceback
            message, details = "The export failed unexpectedly; nothing was written.", repr(exc)
        self.status.setText("The export failed; nothing was written.")
        self._finish()
        messages.error(self, "Export failed", message, details)
        self.failed.emit(message)

    def _on_cancelled(self) -> None:
        self.status.setText("Export cancelled; nothing was written.")
        self._finish()
        self.cancelled.emit()

    def reject(self) -> None:
        """Close; while exporting, Cancel (or Esc) stops the export and the dialog stays open
        to say that nothing was written."""
        if self.running:
            self.cancel()
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.running:
            self._close_when_done = True
            self.cancel()
            event.ignore()
            return
        super().closeEvent(event)


def open_export_dialog(parent: QWidget, db: Database) -> ExportDialog:
    """Show the (non-modal) export dialog; it deletes itself when closed."""
    from PySide6.QtCore import Qt

    dialog = ExportDialog(db, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
