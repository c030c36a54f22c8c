"""``csmdesk export``: exit codes, messages, what is written where."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from csmdesk.store import Database, open_database


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, "-m", "csmdesk", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_export_json_then_refuse_to_overwrite_without_force(
    demo_db: Database, tmp_path: Path
) -> None:
    out = tmp_path / "book.json"
    done = _run("export", "--db", str(demo_db.path), "--format", "json", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "Exported 40 accounts" in done.stdout and str(out) in done.stdout
    assert json.loads(out.read_text(encoding="utf-8"))["format"] == "csmdesk-book"
    before = out.read_bytes()
    again = _run("--db", str(demo_db.path), "export", "--format", "json", "--out", str(out))
    assert again.returncode == 1
    assert "already exists" in again.stderr and "--force" in again.stderr
    assert out.read_bytes() == before
    forced = _run(
        "export", "--db", str(demo_db.path), "--format", "json", "--out", str(out), "--force"
    )
    assert forced.returncode == 0, forced.stderr


def test_export_csv_and_markdown_folders(demo_db: Database, tmp_path: Path) -> None:
    done = _run(
        "export", "--db", str(demo_db.path), "--format", "csv", "--out", str(tmp_path / "c")
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "c" / "accounts.csv").exists() and "7 files" in done.stdout
    done = _run(
        "export", "--db", str(demo_db.path), "--format", "markdown", "--out", str(tmp_path / "m")
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "m" / "index.md").exists() and "notes" in done.stdout


def test_user_errors_exit_1_with_a_message(db_path: Path, tmp_path: Path) -> None:
    open_database(db_path).close()
    bad = _run("export", "--db", str(db_path), "--format", "pdf", "--out", str(tmp_path / "x"))
    assert bad.returncode == 1 and "--format must be one of json, csv, xlsx, markdown" in bad.stderr
    missing = _run("export", "--db", str(db_path), "--format", "json")
    assert missing.returncode == 1 and "--out PATH is required" in missing.stderr
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    nowhere = _run(
        "export", "--db", str(db_path), "--format", "json", "--out", str(blocker / "b.json")
    )
    assert nowhere.returncode == 1 and "Cannot write" in nowhere.stderr
    assert bad.stdout == missing.stdout == nowhere.stdout == ""


def test_newer_database_is_refused_with_exit_code_2(db_path: Path, tmp_path: Path) -> None:
    open_database(db_path).close()
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    conn.close()
    done = _run("export", "--db", str(db_path), "--format", "json", "--out", str(tmp_path / "b"))
    assert done.returncode == 2 and "newer version of CSM Desk" in done.stderr
    assert not (tmp_path / "b").exists()


def test_help_lists_the_formats() -> None:
    done = _run("export", "--help")
    assert done.returncode == 0
    for word in ("json", "csv", "xlsx", "markdown", "--out", "--force", "--db"):
        assert word in done.stdout
