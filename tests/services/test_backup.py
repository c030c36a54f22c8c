"""Backups and restore on real files: while a writer works, with retention, refusals and locks."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from csmdesk import paths
from csmdesk.domain.accounts import AccountDraft, ValidationError
from csmdesk.services import accounts, backup, records
from csmdesk.services.backup import BackupError, DatabaseInUseError
from csmdesk.store import (
    Database,
    DatabaseCorruptError,
    NewerSchemaError,
    NotADatabaseError,
    open_database,
)
from csmdesk.store.migrate import HEAD

NOW = datetime(2026, 11, 25, 10, 15, 0)  # a Wednesday, local time


def _add(db: Database, *names: str) -> None:
    for name in names:
        accounts.create_account(db, AccountDraft(name=name))


def _names(path: Path) -> list[str]:
    db = open_database(path)
    try:
        return sorted(row.name for row in accounts.list_book(db))
    finally:
        db.close()


def _settled(path: Path) -> bytes:
    """The database's bytes once its WAL is folded in: equal bytes mean equal database."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return path.read_bytes()


def _integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def _foreign_db(path: Path) -> Path:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
        conn.execute("INSERT INTO recipes VALUES ('soup')")
    conn.close()
    return path


def _newer_db(path: Path) -> Path:
    open_database(path).close()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


def _touch_backup(folder: Path, stamp: str, stem: str = "book") -> Path:
    path = folder / f"{stem}-{stamp}.sqlite3"
    path.write_bytes(b"x")
    return path


# --- backing up -------------------------------------------------------------


def test_backup_is_consistent_while_a_writer_holds_an_open_transaction(
    db: Database, db_path: Path
) -> None:
    _add(db, "Acme", "Globex")
    writer = sqlite3.connect(db_path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO meta (key, value) VALUES ('uncommitted', 'yes')")
    try:
        copy = backup.backup_now(db_path, now=NOW)
    finally:
        writer.execute("COMMIT")
        writer.close()
    conn = sqlite3.connect(copy)  # one self-contained file: no WAL to carry along
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert conn.execute("SELECT count(*) FROM meta WHERE key = 'uncommitted'").fetchone() == (0,)
    conn.close()
    assert not copy.with_name(copy.name + "-wal").exists()
    assert _integrity(copy) == "ok"
    assert _names(copy) == ["Acme", "Globex"]


def test_backup_completes_while_another_connection_keeps_writing(
    db: Database, db_path: Path
) -> None:
    with db.session() as session:
        for i in range(2000):  # a few MB, so the copy takes many steps
            records.set_meta(db, f"padding-{i}", "x" * 1500, session=session)
    _add(db, "Before")
    stop = threading.Event()
    written: list[str] = []

    def keep_writing() -> None:
        while not stop.is_set():
            name = f"During {len(written)}"
            accounts.create_account(db, AccountDraft(name=name))
            written.append(name)

    thread = threading.Thread(target=keep_writing)
    thread.start()
    steps: list[tuple[int, int]] = []

    def record(done: int, total: int) -> bool:
        steps.append((done, total))
        return True

    try:
        while len(written) < 5:
            stop.wait(0.01)
        copy = backup.backup_now(db_path, now=NOW, progress=record)
    finally:
        stop.set()
        thread.join()
    assert len(steps) >= 4 and steps[-1][0] == steps[-1][1]
    assert _integrity(copy) == "ok"
    names = _names(copy)
    assert "Before" in names and len(names) >= 6
    assert set(names) <= {"Before", *written}


def test_a_cancelled_backup_leaves_nothing_behind(db: Database, db_path: Path) -> None:
    with db.session() as session:
        for i in range(500):
            records.set_meta(db, f"padding-{i}", "x" * 1500, session=session)
    with pytest.raises(backup.BackupCancelled):
        backup.backup_now(db_path, now=NOW, progress=lambda done, total: done < 300)
    assert list((paths.backup_dir() / "book").iterdir()) == []


def test_backup_default_place_and_name_keep_databases_apart(db: Database, db_path: Path) -> None:
    first = backup.backup_now(db_path, now=NOW)
    again = backup.backup_now(db_path, now=NOW)
    assert first == paths.backup_dir() / "book" / "book-20261125-101500.sqlite3"
    assert again == first.with_name("book-20261125-101500-2.sqlite3")
    demo = open_database(db_path.with_name("csmdesk-demo.sqlite3"))
    demo.close()
    demo_copy = backup.backup_now(demo.path, now=NOW)
    assert demo_copy.parent == paths.backup_dir() / "csmdesk-demo"
    assert [p.name for p in first.parent.iterdir() if p.name.startswith(".")] == []


def test_backup_to_a_folder_or_a_file(db: Database, db_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "usb"
    folder.mkdir()
    assert backup.backup_now(db_path, folder, now=NOW) == folder / "book-20261125-101500.sqlite3"
    target = folder / "nightly.sqlite3"
    target.write_text("old")
    assert backup.backup_now(db_path, target) == target
    assert _integrity(target) == "ok"
    with pytest.raises(BackupError, match="does not exist"):
        backup.backup_now(db_path, tmp_path / "missing" / "b.sqlite3")
    before = _settled(db_path)
    with pytest.raises(BackupError, match="the database itself"):
        backup.backup_now(db_path, db_path)
    with pytest.raises(BackupError, match="the database itself"):
        backup.backup_now(db_path, db_path.with_name(db_path.name + "-wal"))
    assert _settled(db_path) == before


def test_backup_refuses_what_is_not_a_csmdesk_database(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="There is no database"):
        backup.backup_now(tmp_path / "nothing.sqlite3")
    assert not (tmp_path / "nothing.sqlite3").exists()
    text = tmp_path / "book.csv"
    text.write_text("name\nAcme\n")
    with pytest.raises(NotADatabaseError):
        backup.backup_now(text)
    with pytest.raises(NotADatabaseError):
        backup.backup_now(_foreign_db(tmp_path / "recipes.sqlite3"))
    assert not any(p.is_file() for p in paths.backup_dir().rglob("*"))


# --- retention ----------------------------------------------------------------


def test_prune_keeps_newest_of_last_14_days_with_backups_and_of_last_8_weeks(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "book"
    folder.mkdir()
    now = datetime(2026, 11, 25, 23, 0)
    day = now.replace(hour=0)
    files: dict[str, Path] = {}
    for back in range(100):
        when = day - timedelta(days=back)
        if when.day in (20, 21) and when.month == 11:
            continue  # days without a backup do not count
        for hour in (9, 21):
            stamp = when.replace(hour=hour).strftime("%Y%m%d-%H%M%S")
            files[stamp] = _touch_backup(folder, stamp)
    same_second = folder / "book-20261125-210000-2.sqlite3"
    same_second.write_bytes(b"x")
    future = _touch_backup(folder, "20261126-090000")
    foreign = [
        folder / "notes.txt",
        folder / "other-20260101-090000.sqlite3",
        folder / "book-20260101-090000.sqlite3.bak",
        folder / "book-2026-01-01.sqlite3",
    ]
    for path in foreign:
        path.write_text("mine")

    deleted = backup.prune(folder, 14, 8, now=now)

    daily = [f"202611{d:02d}-210000" for d in (*range(10, 20), 22, 23, 24)]
    weekly = ["20261108-210000", "20261101-210000", "20261025-210000", "20261018-210000"]
    weekly += ["20261011-210000"]
    expected = {files[s] for s in daily + weekly} | {same_second, future, *foreign}
    assert {p for p in folder.iterdir()} == expected
    assert set(deleted) == set(files.values()) - expected
    assert len(expected - {future, *foreign}) == 19


def test_prune_never_counts_or_deletes_what_it_did_not_make(tmp_path: Path) -> None:
    folder = tmp_path / "book"
    folder.mkdir()
    mine = [_touch_backup(folder, f"2026110{d}-090000") for d in range(1, 6)]
    theirs = _touch_backup(folder, "20261106-090000", stem="book-copy")
    deleted = backup.prune(folder, 1, 1, now=NOW)
    assert set(deleted) == set(mine[:-1])
    assert sorted(folder.iterdir()) == sorted([mine[-1], theirs])


def test_retention_settings_are_validated_and_stored(db: Database) -> None:
    assert backup.retention(db) == backup.Retention(14, 8)
    assert backup.set_retention(db, 7, 4) == backup.Retention(7, 4)
    assert backup.retention(db) == backup.Retention(7, 4)
    for bad in ((0, 4), (7, -1), (7, 1000), (True, 4), ("7", 4)):
        with pytest.raises(ValidationError):
            backup.set_retention(db, *bad)  # type: ignore[arg-type]
    assert backup.retention(db) == backup.Retention(7, 4)


def test_ensure_daily_backup_once_a_day_then_prunes_by_the_stored_settings(
    db: Database, db_path: Path
) -> None:
    backup.set_retention(db, 1, 1)
    first = backup.ensure_daily_backup(db_path, now=NOW)
    assert first is not None and first.exists()
    assert backup.ensure_daily_backup(db_path, now=NOW + timedelta(hours=8)) is None
    manual = backup.backup_now(db_path, now=NOW + timedelta(hours=9))
    assert backup.ensure_daily_backup(db_path, now=NOW + timedelta(hours=10)) is None
    next_day = backup.ensure_daily_backup(db_path, now=NOW + timedelta(days=1))
    assert next_day is not None
    assert sorted(first.parent.iterdir()) == [next_day]
    assert not manual.exists()


def test_ensure_daily_backup_skips_a_database_that_does_not_exist(tmp_path: Path) -> None:
    assert backup.ensure_daily_backup(tmp_path / "none.sqlite3", now=NOW) is None


# --- checking a backup --------------------------------------------------------


def test_check_backup_file_describes_a_good_backup(db: Database, db_path: Path) -> None:
    _add(db, "Acme", "Globex", "Initech")
    copy = backup.backup_now(db_path, now=NOW)
    info = backup.check_backup_file(copy)
    assert (info.revision, info.accounts, info.needs_upgrade) == (HEAD, 3, False)
    assert info.size_bytes == copy.stat().st_size
    assert info.created_at.replace(tzinfo=None) == NOW


def _truncated(source: Path, target: Path) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    return target


def _scribbled(source: Path, target: Path) -> Path:
    data = bytearray(source.read_bytes())
    page = 4096
    for offset in range(page * 2, len(data) - page, page * 3):
        data[offset + 8 : offset + 400] = b"\xa5" * 392
    target.write_bytes(bytes(data))
    return target


def test_check_backup_file_refuses_damaged_foreign_and_newer_files(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    _add(db, *(f"Account {i}" for i in range(300)))
    good = backup.backup_now(db_path, now=NOW)
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n" * 10)
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    cases: list[tuple[Path, type[Exception], str]] = [
        (text, NotADatabaseError, "not an SQLite file"),
        (empty, BackupError, "empty"),
        (tmp_path / "missing.sqlite3", BackupError, "There is no backup"),
        (tmp_path, BackupError, "is a folder"),
        (_truncated(good, tmp_path / "half.sqlite3"), DatabaseCorruptError, "damaged"),
        (_scribbled(good, tmp_path / "scribbled.sqlite3"), DatabaseCorruptError, "damaged"),
        (_foreign_db(tmp_path / "recipes.sqlite3"), NotADatabaseError, "not a CSM Desk"),
        (_newer_db(tmp_path / "future.sqlite3"), NewerSchemaError, "newer version"),
    ]
    for path, error, words in cases:
        with pytest.raises(error, match=words):
            backup.check_backup_file(path)


# --- restoring ----------------------------------------------------------------


def test_restore_keeps_the_current_database_aside_with_its_wal(db: Database, db_path: Path) -> None:
    _add(db, "Acme")
    copy = backup.backup_now(db_path, now=NOW)
    _add(db, "Globex")  # only in the WAL while the window's engine is open
    assert db_path.with_name(db_path.name + "-wal").stat().st_size > 0
    db.close()

    aside = backup.restore(db_path, copy, now=NOW)

    assert aside is not None and aside.parent == db_path.parent
    assert aside.name.startswith("book.before-restore-20261125T") and aside.suffix == ".sqlite3"
    assert _names(aside) == ["Acme", "Globex"]
    assert _names(db_path) == ["Acme"]
    assert _integrity(db_path) == "ok"
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()


def test_restore_into_a_missing_database_creates_it(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    _add(db, "Acme")
    copy = backup.backup_now(db_path, now=NOW)
    target = tmp_path / "new" / "book.sqlite3"
    assert backup.restore(target, copy) is None
    assert _names(target) == ["Acme"]


@pytest.mark.parametrize("damage", ["header", "pages"])
def test_restore_over_a_damaged_database_keeps_its_bytes_aside(
    damage: str, db: Database, db_path: Path, tmp_path: Path
) -> None:
    _add(db, *(f"Account {i}" for i in range(300)))
    copy = backup.backup_now(db_path, now=NOW)
    broken = tmp_path / "broken.sqlite3"
    if damage == "header":
        broken.write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)
    else:
        _scribbled(copy, broken)
    damaged = broken.read_bytes()
    aside = backup.restore(broken, copy, now=NOW)
    assert aside is not None and aside.read_bytes() == damaged
    assert len(_names(broken)) == 300
    assert _integrity(broken) == "ok"


def test_restore_a_backup_with_another_page_size(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    _add(db, "Acme")
    copy = backup.backup_now(db_path, now=NOW)
    conn = sqlite3.connect(copy, isolation_level=None)
    conn.execute("PRAGMA page_size=1024")
    conn.execute("VACUUM")
    assert conn.execute("PRAGMA page_size").fetchone() == (1024,)
    conn.close()
    _add(db, "Globex")
    db.close()
    backup.restore(db_path, copy, now=NOW)
    assert _names(db_path) == ["Acme"]
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()


def _lock(db_path: Path, pid: int, host: str | None = None) -> Path:
    lock = backup.lock_path(db_path)
    lock.write_text(f"{pid}\ncsmdesk\n{host or socket.gethostname()}\n")
    return lock


def test_restore_is_refused_while_a_window_holds_the_lock(db: Database, db_path: Path) -> None:
    _add(db, "Acme")
    copy = backup.backup_now(db_path, now=NOW)
    _add(db, "Globex")
    _lock(db_path, os.getpid())
    before = _settled(db_path)
    with pytest.raises(DatabaseInUseError, match="open in a CSM Desk window"):
        backup.restore(db_path, copy, now=NOW)
    assert _settled(db_path) == before
    assert sorted(p.name for p in db_path.parent.glob("*.before-restore-*")) == []
    _lock(db_path, os.getpid(), host="another-machine")
    with pytest.raises(DatabaseInUseError):
        backup.restore(db_path, copy, now=NOW)
    _lock(db_path, os.getpid())
    assert backup.restore(db_path, copy, now=NOW, ignore_lock=True) is not None
    assert _names(db_path) == ["Acme"]


def test_a_stale_lock_does_not_block_a_restore(db: Database, db_path: Path) -> None:
    copy = backup.backup_now(db_path, now=NOW)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    _lock(db_path, gone.pid)
    assert backup.window_pid(db_path) is None
    backup.lock_path(db_path).write_text("garbage")
    assert backup.window_pid(db_path) is None
    assert backup.restore(db_path, copy, now=NOW) is not None


@pytest.mark.parametrize("kind", ["missing", "text", "truncated", "foreign", "newer", "itself"])
def test_every_refused_restore_leaves_the_database_as_it_was(
    kind: str, db: Database, db_path: Path, tmp_path: Path
) -> None:
    _add(db, "Acme")
    good = backup.backup_now(db_path, now=NOW)
    _add(db, "Globex")
    files = {
        "missing": tmp_path / "missing.sqlite3",
        "text": tmp_path / "notes.txt",
        "truncated": _truncated(good, tmp_path / "half.sqlite3"),
        "foreign": _foreign_db(tmp_path / "recipes.sqlite3"),
        "newer": _newer_db(tmp_path / "future.sqlite3"),
        "itself": db_path,
    }
    files["text"].write_text("hello")
    before = _settled(db_path)
    with pytest.raises((BackupError, NotADatabaseError, DatabaseCorruptError, NewerSchemaError)):
        backup.restore(db_path, files[kind], now=NOW)
    assert _settled(db_path) == before
    assert list(db_path.parent.glob("*.before-restore-*")) == []
    assert _names(db_path) == ["Acme", "Globex"]
