"""Back up now, the daily backup, Restore… and the retention settings, for the main window.

All file work runs on the controller's own one-thread pool, so a large database never
freezes the window and two backups never run at once; results come back by signal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from csmdesk.gui import messages
from csmdesk.gui.tasks import Report, Task
from csmdesk.services import backup
from csmdesk.store import Database, DatabaseProblem, open_database

log = logging.getLogger(__name__)

DAILY_CHECK_MS = 3 * 60 * 60 * 1000
FILE_FILTER = "CSM Desk backups (*.sqlite3 *.db);;All files (*)"


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n / 1000:.0f} kB"


class BackupController(QObject):
    """Owned by the main window; see ``apply_restore`` for the last step of a restore."""

    finished = Signal(str)  # a backup or restore succeeded: a line for the status bar
    failed = Signal(str)  # a backup failed: a line for the status bar (already logged)
    restore_requested = Signal(object)  # Path of a checked backup the user confirmed
    progress = Signal(int, int)  # pages copied, pages in all (for a progress bar)

    def __init__(self, db_path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db_path = Path(db_path)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)  # one copy at a time, and restore waits for it
        self.timer = QTimer(self)
        self.timer.setInterval(DAILY_CHECK_MS)
        self.timer.timeout.connect(self._daily)
        self._restore_parent: QWidget | None = None

    def _start(
        self,
        work: Callable[[Report], Any],
        on_success: Callable[[Any], None],
        on_failure: Callable[[Any], None],
    ) -> None:
        # Bound methods only: Qt drops them if the controller goes before the task ends.
        task = Task(work)
        task.progressed.connect(self.progress)
        task.succeeded.connect(on_success)
        task.failed.connect(on_failure)
        task.start(self.pool)

    def wait(self, msecs: int = -1) -> bool:
        """Block until running work is done (before a restore, or when the window closes)."""
        return self.pool.waitForDone(msecs)

    def shutdown(self) -> None:
        self.timer.stop()
        self.wait()

    # --- backups -----------------------------------------------------------

    def back_up_now(self) -> None:
        path = self.db_path
        self._start(
            lambda report: backup.backup_now(path, progress=report),
            self._backed_up,
            self._backup_failed,
        )

    def start_daily(self) -> None:
        """Back up if today has no backup yet, now and every few hours while the app runs."""
        if not self.timer.isActive():
            self.timer.start()
        self._daily()

    def _daily(self) -> None:
        path = self.db_path
        self._start(
            lambda _report: backup.ensure_daily_backup(path), self._backed_up, self._backup_failed
        )

    def _backed_up(self, made: Path | None) -> None:
        if made is not None:
            self.finished.emit(f"Backed up to {made} ({_size(made.stat().st_size)})")

    def _backup_failed(self, exc: Exception) -> None:
        self.failed.emit(f"Backup failed: {exc}")

    # --- restore -----------------------------------------------------------

    def restore(self, parent: QWidget | None) -> None:
        """Ask for a backup file, check it off the GUI thread, confirm, then request it."""
        file = self.choose_file(parent)
        if file is not None:
            self.restore_file(file, parent)

    def choose_file(self, parent: QWidget | None) -> Path | None:
        folder = backup.backup_folder(self.db_path)
        dialog = QFileDialog(
            parent, "Restore from a backup", str(folder if folder.is_dir() else Path.home())
        )
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilter(FILE_FILTER)
        if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.selectedFiles():
            return None
        return Path(dialog.selectedFiles()[0])

    def restore_file(self, file: Path, parent: QWidget | None = None) -> None:
        self._restore_parent = parent
        self._start(
            lambda _report: backup.check_backup_file(file), self._confirm_restore, self._refused
        )

    def _refused(self, exc: Exception) -> None:
        messages.error(self._restore_parent, "Cannot restore this file", str(exc))

    def _confirm_restore(self, info: backup.BackupInfo) -> None:
        when = info.created_at.strftime("%Y-%m-%d %H:%M")
        upgrade = (
            "\n\nIt is from an older version and will be upgraded." if info.needs_upgrade else ""
        )
        text = (
            f"Replace the open book with the backup from {when} "
            f"({info.accounts:,} accounts, {_size(info.size_bytes)})?\n\n"
            f"The current database is kept beside it first, so this can be undone.{upgrade}"
        )
        if messages.confirm(self._restore_parent, "Restore from backup", text, "Restore"):
            self.restore_requested.emit(info.path)

    def apply_restore(
        self, db: Database, file: Path, reopen: Callable[[Database], None]
    ) -> Path | None:
        """The window's handler for ``restore_requested``: close, restore, reopen, report."""
        self.wait()
        try:
            aside = perform_restore(db, file, reopen)
        except DatabaseProblem as exc:
            log.warning("restore from %s failed: %s", file, exc)
            messages.error(self._restore_parent, "Restore failed", str(exc))
            return None
        kept = f"; the previous database was kept as {aside.name}" if aside else ""
        self.finished.emit(f"Restored from {file.name}{kept}")
        return aside


def perform_restore(db: Database, file: Path, reopen: Callable[[Database], None]) -> Path | None:
    """Close ``db``, restore ``file`` into its path, and hand ``reopen`` the database to use.

    ``reopen`` is always called: with the restored book, or after a failure with the
    unchanged one (the exception is raised afterwards). Returns the kept-aside path.
    """
    path = db.path
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        db.close()
        try:
            aside = backup.restore(path, file, ignore_lock=True)
        finally:
            reopen(open_database(path))
    finally:
        QApplication.restoreOverrideCursor()
    return aside


class RetentionDialog(QDialog):
    """How many daily and weekly backups to keep (stored in the database)."""

    def __init__(
        self, current: backup.Retention, folder: Path, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Backup settings")
        self.setMinimumWidth(420)
        form = QFormLayout(self)
        note = QLabel(f"A backup is made every day into {folder}.")
        note.setWordWrap(True)
        form.addRow(note)
        self.daily = self._spin(current.keep_daily, "Daily backups to keep")
        self.weekly = self._spin(current.keep_weekly, "Weekly backups to keep")
        form.addRow("Keep &daily backups for", self.daily)
        form.addRow("Keep &weekly backups for", self.weekly)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    @staticmethod
    def _spin(value: int, name: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(1, backup.MAX_KEEP)
        spin.setValue(value)
        spin.setAccessibleName(name)
        spin.setSuffix(" days" if name.startswith("Daily") else " weeks")
        return spin


def edit_retention(parent: QWidget | None, db: Database) -> bool:
    """Show the backup settings; True when the user saved new values."""
    dialog = RetentionDialog(backup.retention(db), backup.backup_folder(db.path), parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    backup.set_retention(db, dialog.daily.value(), dialog.weekly.value())
    return True
