"""Starting the GUI: application identity, theme, single instance, database, window."""

from __future__ import annotations

import logging
import sys
import traceback
from datetime import date
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QProcess, QSettings, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from csmdesk import APP_ID, APP_NAME, ORG_DOMAIN, ORG_NAME, __version__
from csmdesk.gui import messages
from csmdesk.gui.instance import SingleInstance
from csmdesk.gui.theme import THEMES, apply_theme
from csmdesk.logs import log_file
from csmdesk.paths import resources_dir
from csmdesk.store import DatabaseProblem, open_database

log = logging.getLogger(__name__)


def make_app() -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName(ORG_NAME)
    app.setOrganizationDomain(ORG_DOMAIN)
    app.setApplicationVersion(__version__)
    QGuiApplication.setDesktopFileName(APP_ID)
    app.setWindowIcon(QIcon(str(resources_dir() / "icons" / "csmdesk.svg")))
    return app


def install_exception_hook() -> None:
    """Log every unhandled exception and tell the user without stealing the keyboard."""

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        details = "".join(traceback.format_exception(kind, exc, tb))
        log.error("unhandled exception:\n%s", details)
        if isinstance(exc, DatabaseProblem):
            text = str(exc)
        else:
            text = (
                f"An unexpected error happened ({kind.__name__}). Your data is safe; "
                f"the details were written to {log_file()}."
            )
        messages.error_nonblocking(None, f"{APP_NAME}: something went wrong", text, details)

    sys.excepthook = hook


def launch_demo_process() -> bool:
    """Open the demo book in its own window and process (never in the user's database)."""
    if getattr(sys, "frozen", False):
        return QProcess.startDetached(sys.executable, ["--demo"])[0]
    return QProcess.startDetached(sys.executable, ["-m", "csmdesk", "--demo"])[0]


def run_gui(
    db_path: Path,
    *,
    demo: bool = False,
    theme: str | None = None,
    quit_after_ms: int | None = None,
    today: date | None = None,
) -> int:
    app = make_app()
    settings = QSettings()
    chosen = theme or str(settings.value("appearance/theme", "system"))
    apply_theme(app, chosen if chosen in THEMES else "system")
    install_exception_hook()

    instance = SingleInstance(db_path)
    if not instance.acquire():
        if instance.ask_first_to_raise():
            print(f"{APP_NAME} is already open on {db_path}; brought that window to the front.")
            return 0
        messages.error(
            None,
            f"{APP_NAME} is already running",
            f"Another {APP_NAME} window is using {db_path}. Close it first, "
            "or open a different database with --db.",
        )
        return 1

    try:
        db = open_database(db_path)
    except DatabaseProblem as exc:
        log.error("cannot open %s: %s", db_path, exc)
        print(str(exc), file=sys.stderr)
        messages.error(None, "Cannot open the database", str(exc))
        instance.release()
        return exc.exit_code

    if demo:
        from csmdesk.services.demo import NotADemoBookError, ensure_demo_book

        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            summary = ensure_demo_book(db, today=today)
            if summary is not None:
                log.info("demo book created: %s", summary)
        except NotADemoBookError as exc:
            QApplication.restoreOverrideCursor()
            print(str(exc), file=sys.stderr)
            messages.error(None, "Demo book", str(exc))
            db.close()
            instance.release()
            return 2
        QApplication.restoreOverrideCursor()

    from csmdesk.gui.main_window import MainWindow

    window = MainWindow(db, today=today, demo=demo)
    instance.activated.connect(window.bring_forward)
    window.show()
    from csmdesk.gui import warmup

    warmup.warm_later()
    if quit_after_ms is not None:
        QTimer.singleShot(quit_after_ms, window.close)
    log.info("window shown for %s", db_path.name)
    try:
        return app.exec()
    finally:
        window.db.close()  # after a restore this is not the database opened above
        instance.release()
