"""The command line: exit codes, stderr messages, ``--db`` before or after the command."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from csmdesk import __version__
from csmdesk.__main__ import main
from csmdesk.domain.accounts import AccountDraft
from csmdesk.services import accounts
from csmdesk.store import open_database
from csmdesk.store.migrate import HEAD


def _run(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "csmdesk", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_version_prints_the_package_version() -> None:
    done = _run("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"csmdesk {__version__}"


def test_newer_database_is_refused_on_stderr_with_exit_code_2(db_path: Path) -> None:
    open_database(db_path).close()
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    before = db_path.read_bytes()
    done = _run("stats", "--db", str(db_path))
    assert done.returncode == 2
    assert "newer version of CSM Desk" in done.stderr and str(db_path) in done.stderr
    assert done.stdout == ""
    assert db_path.read_bytes() == before


def test_text_file_is_refused_with_exit_code_2(tmp_path: Path) -> None:
    path = tmp_path / "book.csv"
    path.write_text("name,arr\nAcme,100\n")
    done = _run("--db", str(path), "stats")
    assert done.returncode == 2
    assert "not a CSM Desk database" in done.stderr
    assert path.read_text() == "name,arr\nAcme,100\n"


def test_unwritable_location_exits_1_with_a_message(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    done = _run("stats", "--db", str(blocker / "book.sqlite3"))
    assert done.returncode == 1
    assert "cannot create the folder" in done.stderr


def test_stats_json_counts_the_book(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = open_database(db_path)
    accounts.create_account(db, AccountDraft(name="Acme", arr_minor=12_000_000))
    accounts.create_account(db, AccountDraft(name="Globex", arr_minor=5_000, currency="EUR"))
    gone = accounts.create_account(db, AccountDraft(name="Initech"))
    assert gone.id is not None
    accounts.set_archived(db, [gone.id], True)
    db.close()
    assert main(["--db", str(db_path), "stats", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["accounts"], out["archived_accounts"]) == (2, 1)
    assert out["arr_by_currency"] == {"EUR": 5_000, "USD": 12_000_000}
    assert out["schema"] == HEAD


def test_db_from_the_environment_is_used(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CSMDESK_DB", str(db_path))
    assert main(["stats"]) == 0
    assert str(db_path) in capsys.readouterr().out
    assert db_path.exists()


def test_search_prints_matches_and_accepts_any_text(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from csmdesk.services import records

    db = open_database(db_path)
    acme = accounts.create_account(db, AccountDraft(name="Acme Robotics"))
    assert acme.id is not None
    records.add_note(db, acme.id, "Renewal: they asked for SSO", title="QBR prep")
    db.close()
    assert main(["search", "sso", "--db", str(db_path)]) == 0
    out = capsys.readouterr().out
    assert "Acme Robotics — QBR prep" in out and "[SSO]" in out
    assert main(["--db", str(db_path), "search", 'NEAR("', "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
