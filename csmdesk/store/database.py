"""Opening the SQLite file safely: checks first, migrations second, pragmas always."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlmodel import Session

from csmdesk.store import migrate
from csmdesk.store.errors import (
    DatabaseProblem,
    DatabaseUnwritableError,
    NewerSchemaError,
    NotADatabaseError,
    classify,
)

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 5000


def _set_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


class Database:
    """An open, current CSM Desk database. Cheap to pass around; sessions are short."""

    def __init__(self, path: Path, engine: Engine) -> None:
        self.path = path
        self.engine = engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back on any error."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def unit(self, session: Session | None) -> Iterator[Session]:
        """Join the caller's unit of work if given (batch writes), else start one."""
        if session is not None:
            yield session
        else:
            with self.session() as own:
                yield own

    def close(self) -> None:
        self.engine.dispose()


def _check_file(path: Path) -> None:
    if path.exists():
        if path.is_dir():
            raise NotADatabaseError(path, f"{path} is a folder, not a CSM Desk database file.")
        try:
            with path.open("rb") as fh:
                header = fh.read(len(SQLITE_HEADER))
        except OSError as exc:
            raise DatabaseUnwritableError(
                path, f"CSM Desk cannot read {path}: {exc.strerror}."
            ) from exc
        if header and header != SQLITE_HEADER:
            raise NotADatabaseError(
                path,
                f"{path} is not a CSM Desk database (not an SQLite file). It was left untouched.",
            )
        if not os.access(path, os.W_OK):
            raise DatabaseUnwritableError(
                path, f"CSM Desk cannot write to {path}. Check the file's permissions."
            )
    else:
        parent = path.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseUnwritableError(
                path, f"CSM Desk cannot create the folder {parent}: {exc.strerror}."
            ) from exc
        if not os.access(parent, os.W_OK):
            raise DatabaseUnwritableError(
                path, f"CSM Desk cannot create a database in {parent}: the folder is not writable."
            )


def _inspect(path: Path) -> tuple[str | None, bool]:
    conn = sqlite3.connect(path)
    try:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        return migrate.current_revision(conn), migrate.has_user_tables(conn)
    finally:
        conn.close()


def open_database(path: Path | str, *, upgrade: bool = True) -> Database:
    """Open (creating or upgrading if needed) the database at ``path``.

    Raises a :class:`DatabaseProblem` subclass with a message fit for the user
    when the file cannot be used; the file is never overwritten in that case.
    """
    path = Path(path)
    _check_file(path)
    existed = path.exists() and path.stat().st_size > 0
    try:
        revision, has_tables = _inspect(path) if existed else (None, False)
        if revision is not None and revision not in migrate.REVISIONS:
            raise NewerSchemaError(
                path,
                f"{path} was written by a newer version of CSM Desk (schema {revision}). "
                "Update CSM Desk to open it; the file was left untouched.",
            )
        if revision is None and has_tables:
            raise NotADatabaseError(
                path,
                f"{path} is an SQLite file but not a CSM Desk database. It was left untouched.",
            )
        engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _set_pragmas)
        if revision != migrate.HEAD:
            if not upgrade:
                raise NewerSchemaError(path, f"{path} needs an upgrade to schema {migrate.HEAD}.")
            if existed:
                migrate.copy_aside(path, revision)
            log.info("migrating %s from %s to %s", path.name, revision, migrate.HEAD)
            with engine.begin() as conn:
                migrate.upgrade(conn)
        return Database(path, engine)
    except DatabaseProblem:
        raise
    except Exception as exc:
        problem = classify(exc, path)
        if problem is None:
            raise
        raise problem from exc
