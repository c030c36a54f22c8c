"""The export dialog: runs off the GUI thread, reports success, failure and replacement."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from PySide6.QtCore import QRunnable, Qt, QThreadPool

from csmdesk.gui.export_ui import ExportDialog
from csmdesk.services.export import ExportFormat
from csmdesk.store import Database


def _dialog(qtbot, db: Database) -> ExportDialog:  # type: ignore[no-untyped-def]
    dialog = ExportDialog(db, pool=QThreadPool.globalInstance())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_export_json_from_the_dialog(qtbot, demo_db: Database, tmp_path: Path, message_log) -> None:  # type: ignore[no-untyped-def]
    dialog = _dialog(qtbot, demo_db)
    dialog.set_format(ExportFormat.JSON)
    out = tmp_path / "book.json"
    dialog.path_edit.clear()
    qtbot.keyClicks(dialog.path_edit, str(out))
    with qtbot.waitSignal(dialog.exported, timeout=20_000) as done:
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert done.args[0].counts["accounts"] == 40
    assert json.loads(out.read_text(encoding="utf-8"))["format"] == "csmdesk-book"
    assert "Exported 40 accounts" in dialog.status.text()
    assert not dialog.running and dialog.export_button.isEnabled()
    assert dialog.close_button.text() == "Close" and message_log == []


def test_folder_formats_propose_a_folder_name(qtbot, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    dialog = _dialog(qtbot, demo_db)
    dialog.set_format(ExportFormat.MARKDOWN)
    assert dialog.path_edit.text().endswith("(notes)")
    dialog.set_format(ExportFormat.XLSX)
    assert dialog.path_edit.text().endswith(".xlsx")
    assert "sheet" in dialog.hint.text()


def test_replacing_an_export_asks_first(
    qtbot, demo_db: Database, tmp_path: Path, message_log
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "book.xlsx"
    out.write_text("older export")
    dialog = _dialog(qtbot, demo_db)
    dialog.set_format(ExportFormat.XLSX)
    dialog.set_destination(out)
    with qtbot.waitSignal(dialog.exported, timeout=20_000):
        dialog.start_export()
    assert [kind for kind, _, _ in message_log] == ["confirm"]
    assert out.read_bytes().startswith(b"PK")  # a zip: the new workbook


def test_failure_is_reported_through_messages(
    qtbot, demo_db: Database, tmp_path: Path, message_log
) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    dialog = _dialog(qtbot, demo_db)
    dialog.set_format(ExportFormat.JSON)
    dialog.set_destination(blocker / "book.json")
    with qtbot.waitSignal(dialog.failed, timeout=20_000):
        dialog.start_export()
    assert message_log and message_log[0][0] == "error" and "Cannot write" in message_log[0][2]
    assert "nothing was written" in dialog.status.text()
    assert dialog.export_button.isEnabled()


def test_cancel_stops_the_export_and_leaves_nothing(
    qtbot, demo_db: Database, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    dialog = _dialog(qtbot, demo_db)
    dialog.set_format(ExportFormat.CSV)
    out = tmp_path / "csv"
    dialog.set_destination(out)
    pool = QThreadPool()
    pool.setMaxThreadCount(1)
    dialog.pool = pool
    # Occupy the only thread so the export is still queued when Cancel is pressed.
    blocker = _Gate()
    pool.start(blocker)
    dialog.start_export()
    assert dialog.running and dialog.close_button.text() == "Cancel"
    with qtbot.waitSignal(dialog.cancelled, timeout=20_000):
        qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
        blocker.open()
    pool.waitForDone()
    assert all(p.name.startswith("demo.sqlite3") for p in tmp_path.iterdir())
    assert "cancelled" in dialog.status.text() and dialog.isVisible()


class _Gate(QRunnable):
    """Holds a pool's only thread until opened."""

    def __init__(self) -> None:
        super().__init__()
        self._event = threading.Event()

    def run(self) -> None:
        self._event.wait(10)

    def open(self) -> None:
        self._event.set()
