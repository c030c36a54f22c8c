"""``csmdesk backup`` and ``restore`` as a script runs them: exit codes and messages."""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from csmdesk import paths
from csmdesk.domain.accounts import AccountDraft
from csmdesk.services import accounts
from csmdesk.store import open_database


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, "-m", "csmdesk", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def _book(path: Path, *names: str) -> Path:
    db = open_database(path)
    for name in names:
        accounts.create_account(db, AccountDraft(name=name))
    db.close()
    return path


def _names(path: Path) -> list[str]:
    db = open_database(path)
    try:
        return sorted(row.name for row in accounts.list_book(db))
    finally:
        db.close()


def _settled(path: Path) -> bytes:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path.read_bytes()


def test_backup_to_a_file_prints_path_and_size(db_path: Path, tmp_path: Path) -> None:
    _book(db_path, "Acme")
    out = tmp_path / "copy.sqlite3"
    done = _run("backup", "--db", str(db_path), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert f"to {out} (" in done.stdout
    assert re.search(r"\((\d+ kB|\d+\.\d MB)\)", done.stdout)
    assert done.stderr == ""
    assert _names(out) == ["Acme"]


def test_backup_into_a_folder_or_the_default_place(db_path: Path, tmp_path: Path) -> None:
    _book(db_path, "Acme")
    done = _run("--db", str(db_path), "backup", "--out", str(tmp_path / "usb") + "/")
    assert done.returncode == 0, done.stderr
    [made] = (tmp_path / "usb").iterdir()
    assert made.name.startswith("book-") and str(made) in done.stdout
    done = _run("backup", "--db", str(db_path))
    assert done.returncode == 0, done.stderr
    [default] = (paths.backup_dir() / "book").iterdir()
    assert str(default) in done.stdout


def test_backup_of_a_missing_database_exits_1_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "none.sqlite3"
    done = _run("backup", "--db", str(missing))
    assert done.returncode == 1
    assert done.stderr.startswith("csmdesk: There is no database") and done.stdout == ""
    assert not missing.exists()


def test_backup_of_a_text_file_is_refused_with_exit_2(tmp_path: Path) -> None:
    text = tmp_path / "book.csv"
    text.write_text("name\nAcme\n")
    done = _run("backup", "--db", str(text))
    assert done.returncode == 2
    assert "not a CSM Desk database" in done.stderr


def test_restore_prints_what_and_where_the_previous_database_was_kept(
    db_path: Path, tmp_path: Path
) -> None:
    _book(db_path, "Acme")
    out = tmp_path / "copy.sqlite3"
    assert _run("backup", "--db", str(db_path), "--out", str(out)).returncode == 0
    _book(db_path, "Globex")
    done = _run("restore", str(out), "--db", str(db_path))
    assert done.returncode == 0, done.stderr
    [aside] = db_path.parent.glob("book.before-restore-*.sqlite3")
    assert str(out) in done.stdout and "1 accounts" in done.stdout
    assert f"kept as {aside}" in done.stdout
    assert _names(db_path) == ["Acme"]
    assert _names(aside) == ["Acme", "Globex"]


def test_restore_of_a_missing_file_exits_1(db_path: Path, tmp_path: Path) -> None:
    _book(db_path, "Acme")
    done = _run("restore", str(tmp_path / "nope.sqlite3"), "--db", str(db_path))
    assert done.returncode == 1
    assert "There is no backup" in done.stderr


@pytest.mark.parametrize("kind", ["text", "newer"])
def test_restore_refuses_bad_data_with_exit_2_and_changes_nothing(
    kind: str, db_path: Path, tmp_path: Path
) -> None:
    _book(db_path, "Acme")
    bad = tmp_path / "bad.sqlite3"
    if kind == "text":
        bad.write_text("hello")
    else:
        _book(bad)
        conn = sqlite3.connect(bad)
        with conn:
            conn.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
        conn.close()
    before = _settled(db_path)
    done = _run("restore", str(bad), "--db", str(db_path))
    assert done.returncode == 2
    assert ("not a CSM Desk" if kind == "text" else "newer version") in done.stderr
    assert _settled(db_path) == before
    assert list(db_path.parent.glob("*.before-restore-*")) == []


def test_restore_is_refused_with_exit_1_while_a_window_has_the_database(
    db_path: Path, tmp_path: Path
) -> None:
    _book(db_path, "Acme")
    out = tmp_path / "copy.sqlite3"
    assert _run("backup", "--db", str(db_path), "--out", str(out)).returncode == 0
    lock = db_path.with_name(db_path.name + ".lock")
    lock.write_text(f"{os.getpid()}\ncsmdesk\n{socket.gethostname()}\n")
    before = _settled(db_path)
    done = _run("restore", str(out), "--db", str(db_path))
    assert done.returncode == 1
    assert "open in a CSM Desk window" in done.stderr and str(lock) in done.stderr
    assert _settled(db_path) == before


@pytest.mark.parametrize("command, words", [("backup", "--out PATH"), ("restore", "FILE")])
def test_each_command_has_help(command: str, words: str) -> None:
    done = _run(command, "--help")
    assert done.returncode == 0
    assert words in done.stdout and "--db PATH" in done.stdout
