"""Opening databases: pragmas, migrations, and every way a file can be unusable."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from csmdesk.store import (
    DatabaseUnwritableError,
    NewerSchemaError,
    NotADatabaseError,
    open_database,
)
from csmdesk.store.errors import DatabaseCorruptError
from csmdesk.store.migrate import HEAD, MIGRATIONS_DIR, REVISIONS

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "schemas"


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_new_database_is_created_at_head_with_pragmas(db_path: Path) -> None:
    db = open_database(db_path)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == HEAD
    db.close()
    assert {
        "account",
        "contact",
        "note",
        "note_fts",
        "healthreading",
        "arrevent",
        "externalref",
    } <= _tables(db_path)


def test_revisions_list_matches_shipped_scripts() -> None:
    scripts = sorted(p.stem for p in (MIGRATIONS_DIR / "versions").glob("[0-9]*.py"))
    assert tuple(scripts) == REVISIONS


def test_models_agree_with_migrated_schema(db_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import csmdesk.models  # noqa: F401  (registers the tables)

    db = open_database(db_path)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    db.close()
    # The FTS5 shadow tables are ours, not the models'.
    diff = [d for d in diff if not (d[0] == "remove_table" and d[1].name.startswith("note_fts"))]
    assert diff == []


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*.sqlite3")), ids=lambda p: p.stem)
def test_every_earlier_schema_upgrades_and_keeps_data(fixture: Path, tmp_path: Path) -> None:
    target = tmp_path / "old.sqlite3"
    shutil.copy(fixture, target)
    db = open_database(target)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == HEAD
        assert conn.exec_driver_sql("SELECT name FROM account").scalar() == "Acme Robotics"
        assert (
            conn.exec_driver_sql(
                "SELECT count(*) FROM note_fts WHERE note_fts MATCH 'SSO'"
            ).scalar()
            == 1
        )
    db.close()
    if fixture.stem != HEAD:
        assert list(tmp_path.glob("old.before-*.sqlite3")), "the file was not copied aside"


def test_old_unversioned_file_is_copied_aside_before_migrating(tmp_path: Path) -> None:
    # An empty-but-existing SQLite file (e.g. created by another tool) has no version yet.
    path = tmp_path / "empty.sqlite3"
    sqlite3.connect(path).execute("PRAGMA user_version=0").connection.close()
    open_database(path).close()
    assert "account" in _tables(path)


def test_newer_schema_is_refused_and_left_untouched(db_path: Path) -> None:
    open_database(db_path).close()
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE alembic_version SET version_num='9999_from_the_future'")
    before = db_path.read_bytes()
    with pytest.raises(NewerSchemaError) as info:
        open_database(db_path)
    assert str(db_path) in str(info.value)
    assert "newer version" in str(info.value)
    assert info.value.exit_code == 2
    assert db_path.read_bytes() == before


def test_text_file_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("Account,ARR\nAcme,100\n")
    with pytest.raises(NotADatabaseError) as info:
        open_database(path)
    assert str(path) in str(info.value)
    assert path.read_text() == "Account,ARR\nAcme,100\n"


def test_foreign_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT)")
    with pytest.raises(NotADatabaseError, match="not a CSM Desk database"):
        open_database(path)
    assert _tables(path) == {"recipes"}


def test_corrupt_database_is_reported_not_overwritten(db_path: Path) -> None:
    open_database(db_path).close()
    data = bytearray(db_path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # smash the schema page, keep the header
    db_path.write_bytes(bytes(data))
    with pytest.raises((DatabaseCorruptError, NotADatabaseError)):
        open_database(db_path)
    assert db_path.read_bytes() == bytes(data)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_folder_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(DatabaseUnwritableError):
            open_database(folder / "book.sqlite3")
    finally:
        folder.chmod(0o700)


def test_path_under_a_file_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DatabaseUnwritableError, match="cannot create the folder"):
        open_database(blocker / "sub" / "book.sqlite3")


def test_a_folder_is_not_a_database(tmp_path: Path) -> None:
    with pytest.raises(NotADatabaseError, match="folder"):
        open_database(tmp_path)


def test_current_database_opens_without_importing_alembic(db_path: Path) -> None:
    open_database(db_path).close()
    code = (
        "import sys; from csmdesk.store import open_database; "
        f"open_database({str(db_path)!r}).close(); "
        "print('alembic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_fts_index_follows_note_edits_and_deletes(db) -> None:  # type: ignore[no-untyped-def]
    from csmdesk.domain.accounts import AccountDraft
    from csmdesk.models import Note
    from csmdesk.services import accounts, records

    account = accounts.create_account(db, AccountDraft(name="Acme"))
    note = records.add_note(db, account.id, "Talked about the zebra migration")
    assert records.search_note_ids(db, "zebra") == [note.id]
    with db.session() as s:
        stored = s.get(Note, note.id)
        stored.body = "Now about giraffes"
    assert records.search_note_ids(db, "zebra") == []
    assert records.search_note_ids(db, "giraffes") == [note.id]
    with db.session() as s:
        s.delete(s.get(Note, note.id))
    assert records.search_note_ids(db, "giraffes") == []
