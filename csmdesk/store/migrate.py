"""Schema versions: a cheap check at every start, Alembic only when an upgrade is due."""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Every revision ever shipped, oldest first. A test keeps this in step with the
# scripts in migrations/versions, so start-up never needs to import Alembic to
# learn whether the file is current, old, or from a newer CSM Desk.
REVISIONS: tuple[str, ...] = (
    "0001_initial",
    "0002_health",
    "0003_signals",
    "0004_rhythm",
    "0005_notes",
    "0006_kpi_indexes",
    "0007_sync",
)
HEAD = REVISIONS[-1]


def current_revision(conn: sqlite3.Connection) -> str | None:
    row = conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name='alembic_version'"
    ).fetchone()
    if row is None:
        return None
    found = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return found[0] if found else None


def has_user_tables(conn: sqlite3.Connection) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
    ).fetchone()
    return bool(row and row[0])


def copy_aside(path: Path, revision: str | None) -> Path:
    """Snapshot the file with SQLite's backup API before a migration touches it."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.stem}.before-{revision or 'unversioned'}-{stamp}{path.suffix}")
    src = sqlite3.connect(path)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    log.info("copied %s aside to %s before migrating", path.name, target.name)
    return target


def upgrade(connection: object, target: str = "head") -> None:
    """Run the shipped Alembic scripts on an open SQLAlchemy connection."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, target)
