"""``csmdesk calendar``: exit codes, messages, --force and --days."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import icalendar
import pytest

from csmdesk.__main__ import main
from csmdesk.services.calendar import calendar_events
from csmdesk.store import Database


def _days_of(path: Path) -> list[date]:
    cal = icalendar.Calendar.from_ical(path.read_text(encoding="utf-8"))
    return [e.decoded("DTSTART") for e in cal.walk("VEVENT")]


def test_calendar_writes_the_file_and_says_how_many_events(
    demo_db: Database, tmp_path: Path
) -> None:
    out = tmp_path / "book.ics"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-m", "csmdesk", "calendar", "--db", str(demo_db.path), "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    expected = len(calendar_events(demo_db, date.today()))
    assert expected > 0
    assert done.stdout.strip() == f"Wrote {expected:,} calendar events to {out}."
    assert len(_days_of(out)) == expected and done.stderr == ""


def test_an_existing_file_is_kept_without_force(
    demo_db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "book.ics"
    out.write_text("my own calendar", encoding="utf-8")
    assert main(["calendar", "--db", str(demo_db.path), "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert "already exists" in captured.err and "--force" in captured.err
    assert captured.out == ""
    assert out.read_text(encoding="utf-8") == "my own calendar"
    assert main(["--db", str(demo_db.path), "calendar", "--out", str(out), "--force"]) == 0
    assert "calendar events" in capsys.readouterr().out
    assert out.read_bytes().startswith(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")


def test_days_limits_the_horizon(
    demo_db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    today = date.today()
    short, long = tmp_path / "short.ics", tmp_path / "long.ics"
    assert main(["calendar", "--db", str(demo_db.path), "--out", str(short), "--days", "7"]) == 0
    assert main(["calendar", "--db", str(demo_db.path), "--out", str(long), "--days", "365"]) == 0
    capsys.readouterr()
    week, year = _days_of(short), _days_of(long)
    assert all(today <= d <= today + timedelta(days=7) for d in week)
    assert max(year) > today + timedelta(days=7) and len(year) > len(week)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "-1"], "--days must be from 0 to 3660"),
        (["--days", "99999"], "--days must be from 0 to 3660"),
        ([], "--out FILE.ics is required"),
    ],
)
def test_user_errors_exit_1_with_a_message(
    db_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    out = ["--out", str(tmp_path / "c.ics")] if args else []
    assert main(["calendar", "--db", str(db_path), *out, *args]) == 1
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""
    assert not (tmp_path / "c.ics").exists()


def test_a_folder_as_out_is_refused(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["calendar", "--db", str(db_path), "--out", str(tmp_path)]) == 1
    assert "is a folder" in capsys.readouterr().err
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert main(["calendar", "--db", str(db_path), "--out", str(blocker / "c.ics")]) == 1
    assert "Cannot write" in capsys.readouterr().err
    assert blocker.read_text() == "x"
