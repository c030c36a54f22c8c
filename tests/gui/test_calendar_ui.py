"""File ▸ Export calendar…: the file chosen is written, cancel writes nothing, errors are shown."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from csmdesk.gui.calendar_ui import DEFAULT_NAME, export_calendar
from csmdesk.store import Database
from tests.conftest import TODAY

Messages = list[tuple[str, str, str]]


def test_export_writes_the_chosen_file_and_reports(
    qtbot: QtBot, demo_db: Database, tmp_path: Path, message_log: Messages
) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    proposed: list[Path] = []
    said: list[str] = []

    def choose(_parent: QWidget, default: Path) -> str:
        proposed.append(default)
        return str(tmp_path / "mine")  # no suffix: .ics is added

    path = export_calendar(parent, demo_db, TODAY, status=said.append, choose=choose)
    assert path == tmp_path / "mine.ics"
    assert path.read_bytes().startswith(b"BEGIN:VCALENDAR\r\n")
    assert proposed[0].name == DEFAULT_NAME
    assert said and said[0].startswith("Wrote ") and str(path) in said[0]
    assert message_log == []
    again = export_calendar(parent, demo_db, TODAY, choose=lambda *_: "")
    assert again is None  # cancelled


def test_a_failure_goes_to_a_message_box(
    qtbot: QtBot, db: Database, tmp_path: Path, message_log: Messages
) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    path = export_calendar(parent, db, TODAY, choose=lambda *_: str(blocker / "cal.ics"))
    assert path is None
    assert [(kind, title) for kind, title, _ in message_log] == [
        ("error", "Calendar export failed")
    ]
    assert "Cannot write" in message_log[0][2]
