"""Back up now, the daily backup and Restore… through the controller the window owns."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog, QFileDialog, QSpinBox

from csmdesk import paths
from csmdesk.domain.accounts import AccountDraft
from csmdesk.gui.backup_ui import BackupController, RetentionDialog, edit_retention
from csmdesk.services import accounts, backup
from csmdesk.store import Database
from tests.gui.helpers import when_dialog_opens


@pytest.fixture
def controller(qtbot, db: Database):  # type: ignore[no-untyped-def]
    ctl = BackupController(db.path)
    yield ctl
    ctl.shutdown()


def test_back_up_now_runs_off_the_gui_thread_and_reports(
    qtbot, controller: BackupController, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    accounts.create_account(db, AccountDraft(name="Acme"))
    caplog.set_level(logging.INFO, logger="csmdesk.services.backup")
    steps: list[tuple[int, int]] = []
    controller.progress.connect(lambda done, total: steps.append((done, total)))
    with qtbot.waitSignal(controller.finished, timeout=10_000) as signal:
        controller.back_up_now()
    assert steps and steps[-1][0] == steps[-1][1] > 0
    [made] = (paths.backup_dir() / "book").iterdir()
    assert signal.args[0].startswith("Backed up to ") and str(made) in signal.args[0]
    [record] = [r for r in caplog.records if r.getMessage().startswith("backed up")]
    assert record.thread != threading.get_ident()


def test_a_failed_backup_is_reported_not_raised(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ctl = BackupController(tmp_path / "gone.sqlite3")
    with qtbot.waitSignal(ctl.failed, timeout=10_000) as signal:
        ctl.back_up_now()
    ctl.shutdown()
    assert "There is no database" in signal.args[0]


def test_start_daily_backs_up_once_and_keeps_checking(
    qtbot, controller: BackupController, db: Database
) -> None:
    with qtbot.waitSignal(controller.finished, timeout=10_000) as signal:
        controller.start_daily()
    assert signal.args[0].startswith("Backed up to ")
    assert controller.timer.isActive()
    with qtbot.assertNotEmitted(controller.finished, wait=100):
        controller.start_daily()
        assert controller.wait(10_000)
    assert len(list((paths.backup_dir() / "book").iterdir())) == 1


def test_restore_checks_the_file_then_confirms_then_requests(
    qtbot, controller: BackupController, db: Database, message_log
) -> None:
    accounts.create_account(db, AccountDraft(name="Acme"))
    copy = backup.backup_now(db.path)
    with qtbot.waitSignal(controller.restore_requested, timeout=10_000) as signal:
        controller.restore_file(copy)
    assert signal.args == [copy]
    [(kind, _title, text)] = message_log
    assert kind == "confirm" and "1 accounts" in text and "kept beside it" in text


def test_restore_of_a_bad_file_shows_why_and_requests_nothing(
    qtbot, controller: BackupController, message_log, tmp_path: Path
) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with qtbot.assertNotEmitted(controller.restore_requested, wait=100):
        controller.restore_file(text)
        qtbot.waitUntil(lambda: bool(message_log), timeout=10_000)
    [(kind, _title, message)] = message_log
    assert kind == "error" and "not an SQLite file" in message


def test_restore_asks_for_the_file_in_the_backup_folder(
    qtbot, controller: BackupController, db: Database
) -> None:
    copy = backup.backup_now(db.path)

    def pick(dialog: QDialog) -> None:
        assert isinstance(dialog, QFileDialog)
        assert Path(dialog.directory().absolutePath()) == copy.parent
        dialog.selectFile(str(copy))
        dialog.accept()

    problems = when_dialog_opens(pick)
    assert controller.choose_file(None) == copy
    assert problems == []


def test_apply_restore_closes_restores_and_hands_back_the_restored_book(
    qtbot, controller: BackupController, db: Database
) -> None:
    accounts.create_account(db, AccountDraft(name="Acme"))
    copy = backup.backup_now(db.path)
    accounts.create_account(db, AccountDraft(name="Globex"))
    reopened: list[Database] = []
    with qtbot.waitSignal(controller.finished) as signal:
        aside = controller.apply_restore(db, copy, reopened.append)
    [new_db] = reopened
    try:
        assert [row.name for row in accounts.list_book(new_db)] == ["Acme"]
        assert aside is not None and aside.name in signal.args[0]
    finally:
        new_db.close()


def test_retention_dialog_saves_to_the_database(qtbot, db: Database) -> None:  # type: ignore[no-untyped-def]
    def fill(dialog: QDialog) -> None:
        assert isinstance(dialog, RetentionDialog)
        spins = dialog.findChildren(QSpinBox)
        assert [s.value() for s in spins] == [14, 8]
        dialog.daily.setValue(30)
        dialog.weekly.setValue(12)
        dialog.accept()

    problems = when_dialog_opens(fill)
    assert edit_retention(None, db)
    assert problems == []
    assert backup.retention(db) == backup.Retention(30, 12)


def test_a_failed_restore_reopens_the_unchanged_book_and_says_why(
    qtbot, controller: BackupController, db: Database, message_log, tmp_path: Path
) -> None:
    accounts.create_account(db, AccountDraft(name="Acme"))
    gone = tmp_path / "gone.sqlite3"
    reopened: list[Database] = []
    with qtbot.assertNotEmitted(controller.finished):
        assert controller.apply_restore(db, gone, reopened.append) is None
    [same] = reopened
    try:
        assert [row.name for row in accounts.list_book(same)] == ["Acme"]
    finally:
        same.close()
    [(kind, title, _text)] = message_log
    assert (kind, title) == ("error", "Restore failed")
    assert list(db.path.parent.glob("*.before-restore-*")) == []
