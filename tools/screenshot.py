"""Render the main window on the demo book to PNGs (light and dark), offscreen.

Usage: python tools/screenshot.py OUT_DIR [--accounts N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--today", default="2026-11-25")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp())
    os.environ["CSMDESK_DATA_DIR"] = str(tmp)

    from PySide6.QtCore import QSettings

    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp))
    from csmdesk.gui.app import make_app
    from csmdesk.gui.main_window import MainWindow
    from csmdesk.gui.theme import apply_theme
    from csmdesk.services.demo import build_demo_book
    from csmdesk.store import open_database

    today = date.fromisoformat(args.today)
    app = make_app()
    db = open_database(tmp / "demo.sqlite3")
    build_demo_book(db, today=today)
    for theme in ("light", "dark"):
        apply_theme(app, theme)
        window = MainWindow(db, today=today, demo=True)
        window.resize(1360, 820)
        window.show()
        window.book.select_id(1)
        app.processEvents()
        path = args.out / f"main-window-{theme}.png"
        window.grab().save(str(path))
        print(path)
        window.close()
    db.close()
    sys.exit(0)


if __name__ == "__main__":
    main()
