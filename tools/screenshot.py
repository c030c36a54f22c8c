"""Render the main window on the demo book to PNGs (light and dark), offscreen.

Usage: python tools/screenshot.py OUT_DIR [--all]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--today", default="2026-11-25")
    parser.add_argument(
        "--all", action="store_true", help="also the Health and Risks tabs and Book health"
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp())
    os.environ["CSMDESK_DATA_DIR"] = str(tmp)

    from PySide6.QtCore import QSettings, Qt

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
    # Pick a troubled account for the Health and Risks tabs: the lowest score in the book.
    from csmdesk.services import health

    scores = health.cached_scores(db)
    troubled = min(
        (i for i, s in scores.items() if s.value is not None), key=lambda i: scores[i].value or 0
    )

    def shot(window: MainWindow, name: str) -> None:
        for _ in range(3):
            app.processEvents()
        path = args.out / f"{name}.png"
        window.grab().save(str(path))
        print(path)

    for theme in ("light", "dark"):
        apply_theme(app, theme)
        window = MainWindow(db, today=today, demo=True)
        window.resize(1360, 820)
        window.show()
        window.book.select_id(1)
        window.show_today()
        shot(window, f"today-{theme}")
        window.show_book()
        shot(window, f"main-window-{theme}")
        window.pages.setCurrentWidget(window.numbers)
        for _ in range(100):  # the figures are computed off the GUI thread
            app.processEvents()
            if window.numbers.dash is not None and window.numbers.dash.compared:
                break
            time.sleep(0.05)
        shot(window, f"numbers-{theme}")
        window.show_book()
        if args.all:
            window.book.select_id(troubled)
            window.detail.tabs.setCurrentWidget(window.detail.health_tab)
            shot(window, f"health-tab-{theme}")
            window.detail.tabs.setCurrentWidget(window.detail.risks_tab)
            shot(window, f"risks-tab-{theme}")
            onboarding = next(
                (r.id for r in window.model.rows() if r.lifecycle == "onboarding"), troubled
            )
            window.book.select_id(onboarding)
            window.detail.tabs.setCurrentWidget(window.detail.onboarding_tab)
            shot(window, f"onboarding-tab-{theme}")
            renewing = next(
                (r.id for r in window.model.rows() if r.lifecycle == "renewing"), troubled
            )
            window.book.select_id(renewing)
            window.detail.tabs.setCurrentWidget(window.detail.renewal_tab)
            shot(window, f"renewal-tab-{theme}")
            window.book.select_id(troubled)
            window.detail.tabs.setCurrentWidget(window.detail.qbr_tab)
            from csmdesk.services import reviews

            if not reviews.list_reviews(db, troubled):  # the second theme shows the same one
                window.detail.qbr_tab.new_review()
            for _ in range(20):  # the chart renders off the GUI thread
                app.processEvents()
                time.sleep(0.05)
            shot(window, f"qbr-tab-{theme}")
            window.notes.show_notes()
            shot(window, f"notes-tab-{theme}")
            call = window.notes.start_call()
            if call is not None:
                call.attendees.item(0).setCheckState(Qt.CheckState.Checked)
                call.editor.insert(" Usage dipped after the re-org; new VP wants a plan\n- ")
                call.insert_stamp()
                call.editor.insert("They are evaluating a competitor; budget review in January\n")
                call.editor.insert("- [ ] Send the adoption report @Priya due:2026-12-12")
                for _ in range(3):
                    app.processEvents()
                path = args.out / f"call-mode-{theme}.png"
                call.grab().save(str(path))
                print(path)
                call.end_call()
            window.pages.setCurrentWidget(window.book_health)
            shot(window, f"book-health-{theme}")
        window.close()
    db.close()
    sys.exit(0)


if __name__ == "__main__":
    main()
