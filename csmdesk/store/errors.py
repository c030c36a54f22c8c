"""Database problems the user can act on, split from bugs.

Every message names the file, says what is wrong and what to do; none of them
ever leads to the file being overwritten.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


class DatabaseProblem(Exception):
    """A problem with the database file that is not a bug in CSM Desk."""

    exit_code = 1

    def __init__(self, path: Path | str, message: str) -> None:
        self.path = Path(path)
        super().__init__(message)


class NotADatabaseError(DatabaseProblem):
    exit_code = 2


class DatabaseCorruptError(DatabaseProblem):
    exit_code = 2


class NewerSchemaError(DatabaseProblem):
    exit_code = 2


class DatabaseUnwritableError(DatabaseProblem):
    pass


class DatabaseFullError(DatabaseProblem):
    pass


class DatabaseBusyError(DatabaseProblem):
    pass


def classify(exc: BaseException, path: Path) -> DatabaseProblem | None:
    """Turn a known SQLite failure into a user-facing problem; ``None`` means it is a bug."""
    original = getattr(exc, "orig", exc)
    if not isinstance(original, sqlite3.Error):
        return None
    text = str(original).lower()
    if "file is not a database" in text:
        return NotADatabaseError(path, f"{path} is not a CSM Desk database (not an SQLite file).")
    if "malformed" in text or "corrupt" in text:
        return DatabaseCorruptError(
            path,
            f"The database {path} is damaged. Restore it from a backup; "
            "CSM Desk has not changed the file.",
        )
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return DatabaseUnwritableError(
            path, f"CSM Desk cannot write to {path}. Check the folder's permissions or free space."
        )
    if "disk is full" in text or "database or disk is full" in text:
        return DatabaseFullError(
            path, f"The disk holding {path} is full. Free some space and retry."
        )
    if "locked" in text or "busy" in text:
        return DatabaseBusyError(
            path, f"The database {path} is busy in another program. Close it and retry."
        )
    return None
