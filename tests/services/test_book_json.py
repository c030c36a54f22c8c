"""Reading a book file back: round trips, refusals, all-or-nothing, updates by uid."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from csmdesk.domain.accounts import AccountDraft
from csmdesk.models import Account, Contact, ExternalRef, HealthReading, Note
from csmdesk.services import accounts, records
from csmdesk.services.book_json import (
    BookFileError,
    BookRejectedError,
    NewerBookVersionError,
    import_book_json,
)
from csmdesk.services.export import export_book
from csmdesk.store import Database, open_database
from tests.services.test_export import add_tricky_records


def _count(db: Database, model: type) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def _without_stamp(path: Path) -> list[str]:
    return [
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if '"exported_at"' not in line
    ]


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _save(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def fresh(tmp_path: Path):  # type: ignore[no-untyped-def]
    database = open_database(tmp_path / "fresh.sqlite3")
    yield database
    database.close()


def test_demo_book_round_trips_to_identical_json_and_csv(
    demo_db: Database, fresh: Database, tmp_path: Path
) -> None:
    first = tmp_path / "first.json"
    export_book(demo_db, "json", first)
    report = import_book_json(fresh, first)
    assert report.ok and not report.dry_run
    assert report.created["accounts"] == _count(demo_db, Account) == _count(fresh, Account)
    assert sum(report.updated.values()) == 0
    second = tmp_path / "second.json"
    export_book(fresh, "json", second)
    assert _without_stamp(first) == _without_stamp(second)
    export_book(demo_db, "csv", tmp_path / "csv-before")
    export_book(fresh, "csv", tmp_path / "csv-after")
    for name in ("accounts", "contacts", "notes", "action_items", "health_readings"):
        before = (tmp_path / "csv-before" / f"{name}.csv").read_bytes()
        assert before == (tmp_path / "csv-after" / f"{name}.csv").read_bytes(), name


def test_tricky_book_round_trips_links_floats_and_text(
    db: Database, fresh: Database, tmp_path: Path
) -> None:
    add_tricky_records(db)
    export_book(db, "json", tmp_path / "a.json")
    assert import_book_json(fresh, tmp_path / "a.json").ok
    export_book(fresh, "json", tmp_path / "b.json")
    assert _without_stamp(tmp_path / "a.json") == _without_stamp(tmp_path / "b.json")
    assert _count(fresh, ExternalRef) == 3
    with fresh.engine.connect() as conn:
        csat = conn.execute(select(HealthReading.csat)).scalar_one()
    assert csat == 0.1 + 0.2
    assert records.search_note_ids(fresh, "windows line")  # full-text index kept in step


def test_reimport_of_the_same_file_updates_rather_than_duplicates(
    demo_db: Database, fresh: Database, tmp_path: Path
) -> None:
    path = tmp_path / "book.json"
    export_book(demo_db, "json", path)
    import_book_json(fresh, path)
    counts = {m: _count(fresh, m) for m in (Account, Contact, Note, HealthReading)}
    data = _load(path)
    data["accounts"][0]["name"] = "Renamed Inc"
    data["notes"][0]["body"] = "edited body"
    report = import_book_json(fresh, _save(path, data))
    assert report.ok
    assert sum(report.created.values()) == 0
    assert report.updated["accounts"] == counts[Account]
    assert {m: _count(fresh, m) for m in counts} == counts
    with fresh.engine.connect() as conn:
        name = conn.execute(select(Account.name).where(Account.uid == data["accounts"][0]["uid"]))
        assert name.scalar_one() == "Renamed Inc"
    assert records.search_note_ids(fresh, "edited")


def test_newer_version_is_refused_and_nothing_written(
    demo_db: Database, fresh: Database, tmp_path: Path
) -> None:
    path = tmp_path / "book.json"
    export_book(demo_db, "json", path)
    data = _load(path)
    data["version"] = 2
    with pytest.raises(NewerBookVersionError, match="newer version of CSM Desk") as refused:
        import_book_json(fresh, _save(path, data))
    assert refused.value.exit_code == 2
    assert _count(fresh, Account) == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json at all", "is not valid JSON"),
        ('{"format": "something-else", "version": 1}', "not a CSM Desk book file"),
        ("[1, 2, 3]", "not a CSM Desk book file"),
        ('{"format": "csmdesk-book", "version": "1"}', "no valid format version"),
    ],
)
def test_files_that_are_not_book_files_are_refused(
    fresh: Database, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "other.json"
    path.write_text(content)
    with pytest.raises(BookFileError, match=message):
        import_book_json(fresh, path)
    with pytest.raises(BookFileError, match="does not exist") as missing:
        import_book_json(fresh, tmp_path / "missing.json")
    assert missing.value.exit_code == 1


def test_broken_records_are_all_reported_and_nothing_written(
    demo_db: Database, fresh: Database, tmp_path: Path
) -> None:
    path = tmp_path / "book.json"
    export_book(demo_db, "json", path)
    data = _load(path)
    contact_uid = data["contacts"][3]["uid"]
    data["contacts"][3]["account_uid"] = "f" * 32
    data["accounts"][1]["segment"] = "galactic"
    data["accounts"][2]["renewal_date"] = "2026-02-30"
    data["accounts"][4]["arr_minor"] = "12000"
    del data["notes"][0]["account_uid"]
    data["health_readings"][1]["created_at"] = "2026-01-01T10:00:00"
    data["touchpoints"][0]["attendee_uids"] = ["0" * 32]
    data["milestones"].append(dict(data["milestones"][0]))
    with pytest.raises(BookRejectedError) as refused:
        import_book_json(fresh, _save(path, data))
    assert refused.value.exit_code == 2
    report = refused.value.report
    assert not report.ok and str(report.errors[0]) in str(refused.value)
    found = {(e.section, e.where, e.message.split(" ")[0]) for e in report.errors}
    accounts_ = data["accounts"]
    assert found == {
        ("contacts", contact_uid, "account_uid"),
        ("accounts", accounts_[1]["uid"], "segment"),
        ("accounts", accounts_[2]["uid"], "renewal_date"),
        ("accounts", accounts_[4]["uid"], "arr_minor"),
        ("notes", data["notes"][0]["uid"], "account_uid"),
        ("health_readings", data["health_readings"][1]["uid"], "created_at"),
        ("touchpoints", data["touchpoints"][0]["uid"], "attendee_uids"),
        ("milestones", data["milestones"][0]["uid"], "appears"),
    }
    messages = " | ".join(str(e) for e in report.errors)
    assert "'galactic' is not one of smb, mid_market, enterprise" in messages
    assert f"account_uid {'f' * 32} matches no account in the file or the book" in messages
    assert "no time zone" in messages and "is not a real date" in messages
    assert "nothing was written" in report.describe()
    assert _count(fresh, Account) == _count(fresh, Contact) == 0


def test_dry_run_counts_but_writes_nothing(
    demo_db: Database, fresh: Database, tmp_path: Path
) -> None:
    path = tmp_path / "book.json"
    export_book(demo_db, "json", path)
    report = import_book_json(fresh, path, dry_run=True)
    assert report.ok and report.created["accounts"] == _count(demo_db, Account)
    assert report.describe().startswith("Would import")
    assert _count(fresh, Account) == 0


def test_references_may_point_into_the_book(db: Database, tmp_path: Path) -> None:
    acme = accounts.create_account(db, AccountDraft(name="Acme"))
    path = _save(
        tmp_path / "partial.json",
        {
            "format": "csmdesk-book",
            "version": 1,
            "contacts": [{"uid": "c1", "account_uid": acme.uid, "name": "Ann", "roles": ["admin"]}],
            "notes": [{"uid": "n1", "account_uid": acme.uid, "body": "hello"}],
            "health_readings": [
                {"uid": "h1", "account_uid": acme.uid, "on": "2026-11-01", "nps": 8}
            ],
        },
    )
    report = import_book_json(db, path)
    assert report.ok, report.errors
    assert (report.created["contacts"], report.created["notes"]) == (1, 1)
    with db.engine.connect() as conn:
        assert conn.execute(select(Contact.roles)).scalar_one() == "admin"
    # another reading for the same account and day replaces the one already there
    assert acme.id is not None
    records.record_health(db, acme.id, date(2026, 11, 2), nps=3)
    _save(
        path,
        {
            "format": "csmdesk-book",
            "version": 1,
            "health_readings": [
                {"uid": "h2", "account_uid": acme.uid, "on": "2026-11-02", "nps": 9}
            ],
        },
    )
    report = import_book_json(db, path)
    assert (report.created["health_readings"], report.updated["health_readings"]) == (0, 1)
    with db.engine.connect() as conn:
        rows = conn.execute(select(HealthReading.on, HealthReading.nps, HealthReading.uid)).all()
    assert sorted(rows) == [(date(2026, 11, 1), 8, "h1"), (date(2026, 11, 2), 9, "h2")]


def test_links_move_to_the_record_the_file_names(db: Database, tmp_path: Path) -> None:
    old = accounts.create_account(db, AccountDraft(name="Old"))
    new = accounts.create_account(db, AccountDraft(name="New"))
    assert old.id is not None
    records.link_external(db, "hubspot", "account", old.id, "hs-7")
    link = {
        "provider": "hubspot",
        "entity": "account",
        "entity_uid": new.uid,
        "external_id": "hs-7",
    }
    path = _save(
        tmp_path / "links.json",
        {"format": "csmdesk-book", "version": 1, "external_refs": [link]},
    )
    report = import_book_json(db, path)
    assert report.ok and report.created["external_refs"] == 1
    assert records.find_external(db, "hubspot", "account", "hs-7") == new.id
    assert _count(db, ExternalRef) == 1


def test_meta_comes_along_only_into_an_empty_book(
    demo_db: Database, db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "demo.json"
    export_book(demo_db, "json", path)
    accounts.create_account(db, AccountDraft(name="Mine"))
    assert import_book_json(db, path).ok
    assert records.get_meta(db, "demo_book") is None
