"""File ▸ Export calendar…: the book's upcoming dates as an .ics file for the CSM's calendar app.

Building the file takes a few queries and about half a second on a 5,000-account book (30,000
events), so it runs on the GUI thread under a wait cursor. The rules, and the choice of UIDs
and SEQUENCE, are in :mod:`csmdesk.services.calendar`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QWidget

from csmdesk.gui import messages
from csmdesk.services.calendar import CalendarError, CalendarResult, write_calendar
from csmdesk.store import Database, DatabaseProblem

log = logging.getLogger(__name__)

DEFAULT_NAME = "csmdesk-calendar.ics"
_FOLDER_KEY = "calendar/folder"


def default_path() -> Path:
    """Where the save dialog starts: the last folder used, else Documents, else home."""
    saved = str(QSettings().value(_FOLDER_KEY, "") or "")
    if saved and Path(saved).is_dir():
        return Path(saved) / DEFAULT_NAME
    docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    folder = Path(docs) if docs and Path(docs).is_dir() else Path.home()
    return folder / DEFAULT_NAME


ChooseFile = Callable[[QWidget, Path], str]


def ask_for_file(parent: QWidget, proposed: Path) -> str:
    """The save dialog (it asks before replacing an existing file); "" when cancelled."""
    chosen, _ = QFileDialog.getSaveFileName(
        parent, "Export calendar", str(proposed), "iCalendar files (*.ics)"
    )
    return chosen


def export_calendar(
    parent: QWidget,
    db: Database,
    today: date,
    *,
    status: Callable[[str], None] | None = None,
    choose: ChooseFile = ask_for_file,
) -> Path | None:
    """Ask for a file, write the calendar there and return its path (``None``: cancelled or
    failed; a failure is shown through :mod:`csmdesk.gui.messages`). ``status`` hears the
    one-line result ("Wrote 93 calendar events to …"), e.g. for the status bar; ``choose``
    stands in for the save dialog in tests."""
    chosen = choose(parent, default_path())
    if not chosen:
        return None
    out = Path(chosen).expanduser()
    if out.suffix.lower() != ".ics":
        out = out.with_name(out.name + ".ics")
        # The dialog asked about replacing the name as typed, not this one.
        if out.exists() and not messages.confirm(
            parent, "Replace the calendar?", f"{out} already exists. Replace it?", "Replace"
        ):
            return None
    result = write_to(parent, db, out, today)
    if result is None:
        return None
    QSettings().setValue(_FOLDER_KEY, str(out.parent))
    if status is not None:
        status(result.describe())
    return result.path


def write_to(parent: QWidget | None, db: Database, out: Path, today: date) -> CalendarResult | None:
    """Write the calendar to ``out`` (replacing it); errors go to a message box."""
    problem: tuple[str, str] | None = None
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        result = write_calendar(db, out, today, overwrite=True)
    except (CalendarError, DatabaseProblem) as exc:
        problem = (str(exc), "")
    except Exception as exc:  # a bug: say so, keep the traceback in the log
        log.exception("calendar export failed")
        problem = ("The calendar could not be written.", repr(exc))
    finally:
        QApplication.restoreOverrideCursor()
    if problem is not None:
        messages.error(parent, "Calendar export failed", *problem)
        return None
    return result
