"""Reading a book file back: round trips, refusals, all-or-nothing, updates by uid."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from csmdesk.domain.accounts import AccountDraft
from csmdesk.models import (
    Account,
    ArrEvent,
    Contact,
    DismissedSignal,
    ExternalRef,
    HealthReading,
    Note,
    Renewal,
    Risk,
    RiskEvent,
)
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


# --- renewals, risk history and muted signals ---------------------------------------------------


def add_renewals_and_mutes(db: Database) -> None:
    """Renewals (one tied to an ARR event, one with a checklist in non-ASCII text) and muted
    signals, written as plain rows as the renewals and signals services would."""
    with db.session() as s:
        first, second = s.scalars(select(Account).order_by(Account.id).limit(2)).all()
        event = s.scalars(select(ArrEvent).where(ArrEvent.account_id == first.id)).first()
        assert first.id is not None and second.id is not None and event is not None
        stamp = datetime(2026, 10, 1, 9, 30, tzinfo=UTC)
        s.add_all(
            [
                Renewal(
                    uid="r" * 32,
                    account_id=first.id,
                    renewal_date=date(2026, 3, 1),
                    status="renewed",
                    checklist='{"kickoff": "2026-01-10", "exec_sponsor": "2026-01-20"}',
                    outcome="expansion",
                    arr_event_id=event.id,
                    comment="Signed after the QBR",
                    closed_on=date(2026, 2, 27),
                    created_at=stamp,
                    updated_at=stamp,
                ),
                Renewal(
                    account_id=first.id,
                    renewal_date=date(2027, 3, 1),
                    status="in_progress",
                    checklist='{"prix": "négocié ✓"}',
                ),
                Renewal(account_id=second.id, renewal_date=date(2027, 5, 1)),
                DismissedSignal(
                    account_id=first.id,
                    kind="seats_near_limit",
                    dismissed_on=date(2026, 11, 1),
                    until=date(2027, 1, 30),
                ),
                DismissedSignal(
                    account_id=second.id,
                    kind="usage_decline",
                    dismissed_on=date(2026, 11, 20),
                    until=date(2026, 12, 20),
                    severity="high",
                ),
            ]
        )


def _history(db: Database) -> list[tuple[object, ...]]:
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(Risk.uid, RiskEvent.at, RiskEvent.status, RiskEvent.severity, RiskEvent.note)
            .join(Risk, Risk.id == RiskEvent.risk_id)
            .order_by(RiskEvent.id)
        )
        return [tuple(r) for r in rows]


def _mutes(db: Database) -> set[tuple[object, ...]]:
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(
                Account.uid,
                DismissedSignal.kind,
                DismissedSignal.dismissed_on,
                DismissedSignal.until,
                DismissedSignal.severity,
            ).join(Account, Account.id == DismissedSignal.account_id)
        )
        return {tuple(r) for r in rows}


def _renewals(db: Database) -> dict[str, dict[str, object]]:
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(Renewal, Account.uid.label("account_uid"), ArrEvent.uid.label("event_uid"))
            .join(Account, Account.id == Renewal.account_id)
            .outerjoin(ArrEvent, ArrEvent.id == Renewal.arr_event_id)
        ).mappings()
        out = {}
        for row in rows:
            values = {k: v for k, v in row.items() if k not in ("id", "account_id", "arr_event_id")}
            values["checklist"] = json.loads(row["checklist"])
            out[row["uid"]] = values
        return out


def test_renewals_risk_history_and_muted_signals_round_trip_row_for_row(
    demo_db: Database, fresh: Database, tmp_path: Path
) -> None:
    add_renewals_and_mutes(demo_db)
    path = tmp_path / "book.json"
    result = export_book(demo_db, "json", path)
    assert result.counts["renewals"] == 3 and result.counts["dismissed_signals"] == 2
    assert result.counts["risk_events"] == _count(demo_db, RiskEvent) > _count(demo_db, Risk)
    data = _load(path)
    renewal = next(r for r in data["renewals"] if r["uid"] == "r" * 32)
    assert renewal["checklist"] == {"kickoff": "2026-01-10", "exec_sponsor": "2026-01-20"}
    assert renewal["arr_event_uid"] in {e["uid"] for e in data["arr_events"]}
    assert {"risk_uid", "at", "status", "severity", "note"} == set(data["risk_events"][0])
    report = import_book_json(fresh, path)
    assert (report.created["renewals"], report.created["dismissed_signals"]) == (3, 2)
    assert report.created["risk_events"] == _count(demo_db, RiskEvent)
    assert _history(fresh) == _history(demo_db)
    assert "mitigating" in {status for _, _, status, _, _ in _history(fresh)}
    assert _mutes(fresh) == _mutes(demo_db)
    assert _renewals(fresh) == _renewals(demo_db)
    export_book(fresh, "json", tmp_path / "again.json")
    assert _without_stamp(path) == _without_stamp(tmp_path / "again.json")


def test_importing_the_same_file_twice_duplicates_no_history_or_mute(
    demo_db: Database, tmp_path: Path
) -> None:
    add_renewals_and_mutes(demo_db)
    path = tmp_path / "book.json"
    export_book(demo_db, "json", path)
    models = (Renewal, RiskEvent, DismissedSignal, Risk)
    before = {m: _count(demo_db, m) for m in models}
    history, mutes, renewals = _history(demo_db), _mutes(demo_db), _renewals(demo_db)
    for _ in range(2):
        report = import_book_json(demo_db, path)
        assert report.created.get("risk_events") == 0
        assert report.created["renewals"] == report.created["dismissed_signals"] == 0
        assert (report.updated["renewals"], report.updated["dismissed_signals"]) == (3, 2)
    assert {m: _count(demo_db, m) for m in models} == before
    assert _history(demo_db) == history and _mutes(demo_db) == mutes
    assert _renewals(demo_db) == renewals


def test_file_history_replaces_the_risks_history_and_mutes_are_upserted(
    demo_db: Database, tmp_path: Path
) -> None:
    add_renewals_and_mutes(demo_db)
    path = tmp_path / "book.json"
    export_book(demo_db, "json", path)
    data = _load(path)
    risk_uid = data["risk_events"][0]["risk_uid"]
    others = [e for e in data["risk_events"] if e["risk_uid"] != risk_uid]
    step = {"risk_uid": risk_uid, "at": "2026-11-20T08:00:00Z", "status": "resolved",
            "severity": "low", "note": "Agreed on a plan"}  # fmt: skip
    mute = data["dismissed_signals"][0]
    mute["until"] = "2027-06-30"
    data["risk_events"] = [step]
    data["dismissed_signals"] = [mute]
    data["renewals"] = []
    report = import_book_json(demo_db, _save(path, data))
    assert report.created["risk_events"] == 1
    assert report.updated["dismissed_signals"] == 1
    history = _history(demo_db)
    assert [h for h in history if h[0] == risk_uid] == [
        (risk_uid, datetime(2026, 11, 20, 8, tzinfo=UTC), "resolved", "low", "Agreed on a plan")
    ]
    assert len(history) == len(others) + 1  # the other risks keep their history
    assert _count(demo_db, DismissedSignal) == 2
    assert (mute["account_uid"], mute["kind"], date(2027, 6, 30)) in {
        (a, k, until) for a, k, _, until, _ in _mutes(demo_db)
    }


def test_history_of_an_unknown_risk_is_rejected_with_its_place_and_nothing_written(
    demo_db: Database, fresh: Database, tmp_path: Path
) -> None:
    add_renewals_and_mutes(demo_db)
    path = tmp_path / "book.json"
    export_book(demo_db, "json", path)
    data = _load(path)
    data["risk_events"][2]["risk_uid"] = "9" * 32
    data["risk_events"][4]["status"] = "snoozed"
    data["dismissed_signals"][1]["account_uid"] = "8" * 32
    data["dismissed_signals"].append(dict(data["dismissed_signals"][0]))
    data["renewals"][0]["checklist"] = ["kickoff"]
    with pytest.raises(BookRejectedError) as refused:
        import_book_json(fresh, _save(path, data))
    found = {(e.section, e.where, e.message.split(" ")[0]) for e in refused.value.report.errors}
    assert found == {
        ("risk_events", "#3", "risk_uid"),
        ("risk_events", "#5", "status"),
        ("dismissed_signals", "#2", "account_uid"),
        ("dismissed_signals", "#3", "mutes"),
        ("renewals", data["renewals"][0]["uid"], "checklist"),
    }
    message = str(refused.value)
    assert f"risk_events #3: risk_uid {'9' * 32} matches no risk in the file or the book" in message
    assert "nothing was written" in message
    assert sum(_count(fresh, m) for m in (Account, Risk, RiskEvent, Renewal, DismissedSignal)) == 0


def test_a_renewal_may_not_take_the_date_of_another_renewal_in_the_book(
    demo_db: Database, tmp_path: Path
) -> None:
    add_renewals_and_mutes(demo_db)
    path = tmp_path / "book.json"
    export_book(demo_db, "json", path)
    data = _load(path)
    taken = data["renewals"][2]
    clash = {**taken, "uid": "c" * 32, "status": "committed"}
    data["renewals"] = [clash]
    with pytest.raises(BookRejectedError) as refused:
        import_book_json(demo_db, _save(path, data))
    [issue] = refused.value.report.errors
    assert (issue.section, issue.where) == ("renewals", "c" * 32)
    assert f"the book already holds renewal {taken['uid']} of this account" in issue.message
    assert _count(demo_db, Renewal) == 3
    # moving the renewal that held the date, in the same file, frees it
    data["renewals"] = [{**taken, "renewal_date": "2028-05-01"}, clash]
    report = import_book_json(demo_db, _save(path, data))
    assert (report.created["renewals"], report.updated["renewals"]) == (1, 1)
    assert _count(demo_db, Renewal) == 4


def test_a_file_without_the_newer_sections_still_imports(
    demo_db: Database, fresh: Database, tmp_path: Path
) -> None:
    add_renewals_and_mutes(demo_db)
    path = tmp_path / "book.json"
    export_book(demo_db, "json", path)
    data = _load(path)
    for name in ("renewals", "risk_events", "dismissed_signals"):
        del data[name]
        del data["counts"][name]
    report = import_book_json(fresh, _save(path, data))
    assert report.ok and report.created["risks"] == _count(demo_db, Risk)
    assert sum(_count(fresh, m) for m in (RiskEvent, Renewal, DismissedSignal)) == 0
    # and into a book that has them, it leaves them alone
    history = _history(demo_db)
    assert import_book_json(demo_db, path).ok
    assert _history(demo_db) == history and _count(demo_db, Renewal) == 3
