"""Types into a note of a real window at a steady pace, printing how much is typed (for the
kill -9 test in test_note_crash.py). Usage: python -m tests.gui.typing_driver DB ACCOUNT_ID"""

from __future__ import annotations

import os
import sys
from datetime import date

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TEXT = ("Call notes: the customer wants SSO by January, seats up 20%, champion stays. " * 40)[:3000]
PACE_MS = 20  # 50 characters a second: a fast typist


def main() -> None:
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtTest import QTest

    from csmdesk.gui.app import make_app
    from csmdesk.gui.main_window import MainWindow
    from csmdesk.store import open_database

    app = make_app()
    db = open_database(os.path.abspath(sys.argv[1]))  # type: ignore[arg-type]
    account_id = int(sys.argv[2])
    window = MainWindow(db, today=date(2026, 11, 25))
    window.show()
    window.show_book()
    window.book.select_id(account_id)
    window.notes.show_notes()
    tab = window.detail.notes_tab
    note_id = tab.new_note()
    print(f"note {note_id}", flush=True)
    typed = 0

    def type_one() -> None:
        nonlocal typed
        if typed >= len(TEXT):
            return
        QTest.keyClick(tab.editor.edit, TEXT[typed], Qt.KeyboardModifier.NoModifier)
        typed += 1
        print(f"typed {typed}", flush=True)

    timer = QTimer()
    timer.timeout.connect(type_one)
    timer.start(PACE_MS)
    app.exec()


if __name__ == "__main__":
    from pathlib import Path

    sys.argv[1] = str(Path(sys.argv[1]))
    main()
