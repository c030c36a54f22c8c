"""``csmdesk import`` for ARR history and health readings: columns, summaries, exit codes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from csmdesk.__main__ import main
from csmdesk.domain.accounts import AccountDraft
from csmdesk.services import accounts, records
from csmdesk.store import open_database

READING_COLUMNS = (
    "account,date,active_users,seats,logins,feature_adoption_pct,open_tickets,escalations,nps,csat"
)


@pytest.fixture
def book_path(db_path: Path) -> Path:
    db = open_database(db_path)
    accounts.create_account(
        db,
        AccountDraft(
            name="Acme", domain="acme.com", arr_minor=1_200_000, contract_start=date(2024, 1, 1)
        ),
    )
    db.close()
    return db_path


def _events(db_path: Path) -> list[tuple[str, int, bool]]:
    db = open_database(db_path)
    try:
        (acme,) = accounts.list_book(db)
        return [
            (e.kind, e.arr_after_minor, e.implicit) for e in records.list_arr_events(db, acme.id)
        ] + [("account", accounts.get_account(db, acme.id).arr_minor, False)]
    finally:
        db.close()


def test_import_arr_events_exits_0_and_prints_the_summary(
    book_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "arr.csv"
    path.write_text(
        "account,date,type,amount,comment\n"
        "acme.com,2025-01-01,Upsell,3000,\n"
        "acme.com,2024-01-01,New Business,10000,signed\n"
        "acme.com,2025-01-01,Downgrade,500,same day\n"
    )
    args = ["--db", str(book_path), "import", "--kind", "arr-events", str(path)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "Spreadsheet of arr-events" in out
    assert "line 4: Acme: warning: same date as line 2; the later line wins" in out
    assert "3 to create, 0 to update, 0 skipped, 0 with errors" in out
    assert "Imported: 3 ARR events created" in out
    assert _events(book_path) == [
        ("new", 1_000_000, False),
        ("expansion", 1_300_000, False),
        ("contraction", 1_250_000, False),
        ("account", 1_250_000, False),
    ]
    assert main(args) == 0  # again: nothing doubles
    assert "0 to create, 0 to update, 3 skipped" in capsys.readouterr().out
    assert len(_events(book_path)) == 4


def test_import_arr_events_with_row_errors_exits_1_and_writes_nothing(
    book_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "arr.csv"
    path.write_text(
        "Customer,Event date,Movement type,ARR after\n"
        "Acme,2024-01-01,new,10000\n"
        "Acme,2024-06-01,expansion,9000\n"
        "Nobody,2024-06-01,churn,0\n"
    )
    before = _events(book_path)
    assert main(["--db", str(book_path), "import", str(path)]) == 1  # recognised without --kind
    captured = capsys.readouterr()
    assert "an expansion must raise ARR, but $10,000 → $9,000 does not" in captured.err
    assert "no account 'Nobody' in the book" in captured.err
    assert "2 row(s) have errors; nothing was imported." in captured.err
    assert _events(book_path) == before


def test_dry_run_of_arr_events_writes_nothing(
    book_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "arr.csv"
    path.write_text("account,date,type,arr_after\nAcme,2024-01-01,new,10000\n")
    before = _events(book_path)
    assert main(["--db", str(book_path), "import", "--dry-run", str(path)]) == 0
    assert "Dry run: nothing was written." in capsys.readouterr().out
    assert _events(book_path) == before


def test_kind_readings_takes_exactly_the_documented_columns(
    book_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "usage.csv"
    path.write_text(READING_COLUMNS + "\nacme.com,2026-11-02,41,60,800,55,3,0,9,4.5\n")
    args = ["--db", str(book_path), "import", "--kind", "readings", str(path)]
    assert main(args) == 0
    out = capsys.readouterr().out
    columns = READING_COLUMNS.split(",")
    assert "Columns: " + "; ".join(f"{c} → {c}" for c in columns) in out
    assert "Ignored" not in out
    assert "Imported: 1 readings created" in out
    db = open_database(book_path)
    try:
        (acme,) = accounts.list_book(db)
        (reading,) = records.list_health(db, acme.id)
        assert (reading.active_users, reading.logins) == (41, 800)
        assert accounts.get_account(db, acme.id).licensed_seats == 60  # seats belong to the account
        assert (reading.feature_adoption_pct, reading.open_tickets, reading.escalations) == (
            55.0,
            3,
            0,
        )
        assert (reading.nps, reading.csat) == (9, 4.5)
    finally:
        db.close()


@pytest.mark.parametrize("kind", ["accounts", "contacts", "readings", "arr-events"])
def test_every_kind_is_a_choice(
    book_path: Path, tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("x\n1\n")
    main(["--db", str(book_path), "import", "--kind", kind, "--dry-run", str(path)])
    assert "invalid choice" not in capsys.readouterr().err
