"""Start-up paths: refusing bad databases, one window per database, the exception hook."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer

from csmdesk.gui import app as gui_app
from csmdesk.gui.instance import SingleInstance
from csmdesk.store import open_database


@pytest.fixture(autouse=True)
def _keep_excepthook(monkeypatch: pytest.MonkeyPatch) -> None:
    """run_gui installs the app's hook; put pytest's back afterwards."""
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_run_gui_refuses_a_newer_database_and_leaves_it_alone(
    qapp, db_path: Path, message_log, capsys
) -> None:  # type: ignore[no-untyped-def]
    open_database(db_path).close()
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    before = _digest(db_path)
    code = gui_app.run_gui(db_path)
    assert code == 2
    assert message_log and message_log[0][0] == "error"
    assert "newer version of CSM Desk" in message_log[0][2] and str(db_path) in message_log[0][2]
    assert "newer version of CSM Desk" in capsys.readouterr().err
    assert _digest(db_path) == before
    assert SingleInstance(db_path).acquire()  # the lock was released on the way out


def test_run_gui_refuses_a_file_that_is_not_a_database(qapp, tmp_path: Path, message_log) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "notes.txt"
    path.write_text("Quarterly notes, definitely not SQLite\n" * 50)
    assert gui_app.run_gui(path) == 2
    assert "not a CSM Desk database" in message_log[0][2]
    assert path.read_text().startswith("Quarterly notes")


def test_second_instance_on_the_same_database_asks_the_first_to_come_forward(
    qtbot, db_path: Path
) -> None:  # type: ignore[no-untyped-def]
    first = SingleInstance(db_path)
    assert first.acquire()
    try:
        second = SingleInstance(db_path)
        assert not second.acquire()
        with qtbot.waitSignal(first.activated, timeout=3000):
            assert second.ask_first_to_raise()
    finally:
        first.release()


def test_other_databases_are_not_locked_out(tmp_path: Path, qapp) -> None:  # type: ignore[no-untyped-def]
    a, b = SingleInstance(tmp_path / "a.sqlite3"), SingleInstance(tmp_path / "b.sqlite3")
    try:
        assert a.acquire() and b.acquire()
    finally:
        a.release()
        b.release()


def test_second_start_with_no_answer_is_refused_clearly(
    qapp, db_path: Path, message_log, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    holder = SingleInstance(db_path)
    assert holder.acquire()
    assert holder.server is not None
    holder.server.close()  # alive but deaf: the new start cannot bring it forward
    try:
        assert gui_app.run_gui(db_path) == 1
    finally:
        holder.release()
    assert message_log[0][1].endswith("already running")
    assert str(db_path) in message_log[0][2]


def test_exception_hook_logs_the_traceback_and_tells_the_user(
    qapp, message_log, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    gui_app.install_exception_hook()
    try:
        raise RuntimeError("boom in a slot")
    except RuntimeError as exc:
        with caplog.at_level(logging.ERROR):
            sys.excepthook(type(exc), exc, exc.__traceback__)
    assert "boom in a slot" in caplog.text and "Traceback" in caplog.text
    kind, _title, text = message_log[0]
    assert kind == "error" and "RuntimeError" in text and "Your data is safe" in text


def test_quit_after_closes_the_window_and_returns_zero(qapp, db_path: Path, message_log) -> None:  # type: ignore[no-untyped-def]
    QTimer.singleShot(5000, qapp.quit)  # safety net: never hang the suite
    assert gui_app.run_gui(db_path, quit_after_ms=50) == 0
    assert db_path.exists()
