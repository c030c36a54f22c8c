from __future__ import annotations

from datetime import date

import pytest

from csmdesk.domain.accounts import AccountDraft, ValidationError
from csmdesk.services import accounts, records
from csmdesk.services.accounts import NotArchivedError, NotFoundError


def _acme(**kw: object) -> AccountDraft:
    values: dict[str, object] = {
        "name": "Acme Robotics",
        "domain": "https://www.acme.com/",
        "segment": "enterprise",
        "arr_minor": 12_000_000,
        "contract_start": date(2026, 1, 1),
        "renewal_date": date(2027, 1, 1),
        "tags": ("sso", "SSO", "api"),
    }
    values.update(kw)
    return AccountDraft(**values)  # type: ignore[arg-type]


def test_create_normalizes_and_lists(db) -> None:  # type: ignore[no-untyped-def]
    account = accounts.create_account(db, _acme())
    assert account.id is not None
    assert account.domain == "acme.com"
    assert account.tags == "api, sso"
    assert account.created_at.tzinfo is not None
    rows = accounts.list_book(db)
    assert [(r.name, r.arr_minor, r.archived) for r in rows] == [
        ("Acme Robotics", 12_000_000, False)
    ]
    assert len(account.uid) == 32


def test_create_with_arr_records_implicit_new_event_at_contract_start(db) -> None:  # type: ignore[no-untyped-def]
    account = accounts.create_account(db, _acme())
    events = records.list_arr_events(db, account.id)
    assert [(e.kind, e.on, e.arr_after_minor, e.implicit) for e in events] == [
        ("new", date(2026, 1, 1), 12_000_000, True)
    ]


def test_invalid_account_is_refused_and_nothing_written(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as info:
        accounts.create_account(db, _acme(name=" ", arr_minor=-1, renewal_date=date(2025, 1, 1)))
    assert set(info.value.errors) == {"name", "arr", "renewal_date"}
    assert accounts.list_book(db) == []


def test_update_records_arr_movement(db) -> None:  # type: ignore[no-untyped-def]
    account = accounts.create_account(db, _acme())
    accounts.update_account(db, account.id, _acme(arr_minor=15_000_000), today=date(2026, 6, 1))
    accounts.update_account(db, account.id, _acme(arr_minor=14_000_000), today=date(2026, 7, 1))
    kinds = [(e.kind, e.arr_after_minor) for e in records.list_arr_events(db, account.id)]
    assert kinds == [("new", 12_000_000), ("expansion", 15_000_000), ("contraction", 14_000_000)]


def test_correction_amends_latest_event_instead_of_adding_movement(db) -> None:  # type: ignore[no-untyped-def]
    account = accounts.create_account(db, _acme())
    accounts.update_account(db, account.id, _acme(arr_minor=12_500_000), arr_change="correction")
    events = records.list_arr_events(db, account.id)
    assert [(e.kind, e.arr_after_minor) for e in events] == [("new", 12_500_000)]


def test_update_validates_and_keeps_old_values(db) -> None:  # type: ignore[no-untyped-def]
    account = accounts.create_account(db, _acme())
    with pytest.raises(ValidationError):
        accounts.update_account(db, account.id, _acme(name=""))
    assert accounts.get_account(db, account.id).name == "Acme Robotics"


def test_update_missing_account(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFoundError):
        accounts.update_account(db, 999, _acme())


def test_archive_and_undo(db) -> None:  # type: ignore[no-untyped-def]
    a = accounts.create_account(db, _acme())
    b = accounts.create_account(db, _acme(name="Bluefin", domain="bluefin.io"))
    accounts.set_archived(db, [a.id, b.id], True)
    assert accounts.count_accounts(db) == 0
    assert accounts.count_accounts(db, include_archived=True) == 2
    accounts.set_archived(db, [a.id], False)
    assert {r.name: r.archived for r in accounts.list_book(db)} == {
        "Acme Robotics": False,
        "Bluefin": True,
    }


def test_delete_only_from_archive_and_cascades(db) -> None:  # type: ignore[no-untyped-def]
    from csmdesk.domain.accounts import ContactDraft
    from csmdesk.services import contacts

    a = accounts.create_account(db, _acme())
    c = contacts.add_contact(db, a.id, ContactDraft(name="Priya"))
    records.link_external(db, "hubspot", "account", a.id, "123")
    records.link_external(db, "hubspot", "contact", c.id, "456")
    records.add_note(db, a.id, "hello")
    with pytest.raises(NotArchivedError):
        accounts.delete_account(db, a.id)
    accounts.set_archived(db, [a.id], True)
    accounts.delete_account(db, a.id)
    assert accounts.list_book(db) == []
    assert contacts.list_contacts(db, a.id) == []
    assert records.find_external(db, "hubspot", "account", "123") is None
    assert records.find_external(db, "hubspot", "contact", "456") is None
    assert records.search_note_ids(db, "hello") == []


def test_domain_conflict_is_reported_for_other_accounts_only(db) -> None:  # type: ignore[no-untyped-def]
    a = accounts.create_account(db, _acme())
    assert accounts.domain_conflict(db, "WWW.ACME.COM") == "Acme Robotics"
    assert accounts.domain_conflict(db, "acme.com", exclude_id=a.id) is None
    assert accounts.domain_conflict(db, "") is None


def test_draft_round_trip(db) -> None:  # type: ignore[no-untyped-def]
    a = accounts.create_account(db, _acme(payment_issue=True, licensed_seats=40, owner="Sam"))
    draft = accounts.draft_of(accounts.get_account(db, a.id))
    assert draft == _acme(payment_issue=True, licensed_seats=40, owner="Sam").normalized()


def test_account_keeps_its_own_cadence_and_review_kind(db) -> None:  # type: ignore[no-untyped-def]
    a = accounts.create_account(db, _acme(cadence_days=14, review_kind="QBR"))
    saved = accounts.get_account(db, a.id)
    assert (saved.cadence_days, saved.review_kind) == (14, "qbr")
    draft = accounts.draft_of(saved)
    assert (draft.cadence_days, draft.review_kind) == (14, "qbr")
    accounts.update_account(db, a.id, _acme(cadence_days=21, review_kind="ebr"))
    again = accounts.get_account(db, a.id)
    assert (again.cadence_days, again.review_kind) == (21, "ebr")


def test_clearing_the_own_rhythm_goes_back_to_by_segment(db) -> None:  # type: ignore[no-untyped-def]
    from csmdesk.services import rhythm

    a = accounts.create_account(db, _acme(cadence_days=14, review_kind="qbr"))
    accounts.update_account(db, a.id, _acme(cadence_days=None, review_kind=None))
    saved = accounts.get_account(db, a.id)
    assert (saved.cadence_days, saved.review_kind) == (None, None)
    got = rhythm.account_rhythm(db, a.id, date(2026, 6, 1))
    assert (got.cadence_days, got.cadence_is_own, got.review_kind) == (30, False, "ebr")
    accounts.update_account(db, a.id, _acme(cadence_days=0))  # 0 has always meant by segment
    assert accounts.get_account(db, a.id).cadence_days is None


@pytest.mark.parametrize("bad", [-1, 367, 10_000])
def test_cadence_outside_1_to_366_days_is_refused(db, bad: int) -> None:  # type: ignore[no-untyped-def]
    a = accounts.create_account(db, _acme(cadence_days=30))
    with pytest.raises(ValidationError) as info:
        accounts.update_account(db, a.id, _acme(cadence_days=bad))
    assert set(info.value.errors) == {"cadence_days"}
    assert "1 to 366 days" in info.value.errors["cadence_days"]
    assert accounts.get_account(db, a.id).cadence_days == 30
    with pytest.raises(ValidationError):
        accounts.create_account(db, _acme(name="Bluefin", cadence_days=bad))
    assert len(accounts.list_book(db)) == 1


def test_unknown_review_kind_is_refused(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as info:
        accounts.create_account(db, _acme(review_kind="mbr"))
    assert set(info.value.errors) == {"review_kind"}


def test_csv_import_keeps_an_accounts_own_rhythm_and_can_set_it(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from csmdesk.services import importing

    a = accounts.create_account(db, _acme(cadence_days=14, review_kind="qbr"))
    b = accounts.create_account(db, _acme(name="Bluefin", domain="bluefin.io"))
    path = tmp_path / "book.csv"
    path.write_text(
        "Account,Domain,Owner,cadence_days,review_kind\n"
        "Acme Robotics,acme.com,Sam,,\n"
        "Bluefin,bluefin.io,Sam,21,EBR\n"
    )
    plan = importing.prepare(db, path)
    assert plan.ok, [(o.line, o.reasons) for o in plan.errors]
    importing.commit_plan(db, plan, today=date(2026, 6, 1))
    acme, bluefin = accounts.get_account(db, a.id), accounts.get_account(db, b.id)
    assert (acme.owner, acme.cadence_days, acme.review_kind) == ("Sam", 14, "qbr")
    assert (bluefin.cadence_days, bluefin.review_kind) == (21, "ebr")


def test_book_file_carries_the_own_rhythm(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from csmdesk.services.book_json import import_book_json
    from csmdesk.services.export import export_book
    from csmdesk.store import open_database

    accounts.create_account(db, _acme(cadence_days=14, review_kind="qbr"))
    accounts.create_account(db, _acme(name="Bluefin", domain="bluefin.io"))
    export_book(db, "json", tmp_path / "book.json")
    data = json.loads((tmp_path / "book.json").read_text())
    assert {r["name"]: (r["cadence_days"], r["review_kind"]) for r in data["accounts"]} == {
        "Acme Robotics": (14, "qbr"),
        "Bluefin": (None, None),
    }
    other = open_database(tmp_path / "other.db")
    try:
        import_book_json(other, tmp_path / "book.json")
        got = {r.name: r.id for r in accounts.list_book(other)}
        acme = accounts.get_account(other, got["Acme Robotics"])
        assert (acme.cadence_days, acme.review_kind) == (14, "qbr")
    finally:
        other.close()
