"""The database: opening, pragmas, migrations, backups. No Qt here."""

from csmdesk.store.database import Database, open_database
from csmdesk.store.errors import (
    DatabaseCorruptError,
    DatabaseProblem,
    DatabaseUnwritableError,
    NewerSchemaError,
    NotADatabaseError,
)

__all__ = [
    "Database",
    "DatabaseCorruptError",
    "DatabaseProblem",
    "DatabaseUnwritableError",
    "NewerSchemaError",
    "NotADatabaseError",
    "open_database",
]
