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
