from __future__ import annotations

from datetime import date

import pytest

from csmdesk.domain.accounts import AccountDraft, ContactDraft, ValidationError
from csmdesk.models import ContactRole
from csmdesk.services import accounts, contacts
from csmdesk.services.accounts import NotFoundError


@pytest.fixture
def account_id(db) -> int:  # type: ignore[no-untyped-def]
    account = accounts.create_account(db, AccountDraft(name="Acme"))
    assert account.id is not None
    return account.id


def test_add_edit_and_list_contacts(db, account_id: int) -> None:  # type: ignore[no-untyped-def]
    priya = contacts.add_contact(
        db,
        account_id,
        ContactDraft(
            name="Priya Nair", email="Priya@Acme.com", roles=("champion",), is_primary=True
        ),
    )
    contacts.add_contact(db, account_id, ContactDraft(name="Tom Becker", roles=("admin",)))
    assert [c.name for c in contacts.list_contacts(db, account_id)] == ["Priya Nair", "Tom Becker"]
    assert priya.email == "priya@acme.com"
    contacts.update_contact(
        db,
        priya.id,
        ContactDraft(name="Priya N.", email="p@acme.com", roles=("champion", "billing")),
    )
    updated = contacts.list_contacts(db, account_id)[0]
    assert (updated.name, updated.roles) == ("Priya N.", "champion,billing")


def test_only_one_primary_contact(db, account_id: int) -> None:  # type: ignore[no-untyped-def]
    a = contacts.add_contact(db, account_id, ContactDraft(name="A", is_primary=True))
    b = contacts.add_contact(db, account_id, ContactDraft(name="B", is_primary=True))
    primaries = {c.id for c in contacts.list_contacts(db, account_id) if c.is_primary}
    assert primaries == {b.id}
    assert a.id not in primaries


def test_mark_champion_and_left(db, account_id: int) -> None:  # type: ignore[no-untyped-def]
    c = contacts.add_contact(db, account_id, ContactDraft(name="Jonas", is_primary=True))
    contacts.set_role(db, c.id, ContactRole.CHAMPION)
    contacts.set_role(db, c.id, ContactRole.EXECUTIVE_SPONSOR)
    assert contacts.list_contacts(db, account_id)[0].roles == "champion,executive_sponsor"
    contacts.set_role(db, c.id, ContactRole.CHAMPION, on=False)
    left = contacts.mark_left(db, c.id, date(2026, 11, 1))
    assert left.left_on == date(2026, 11, 1) and not left.is_primary
    assert contacts.mark_left(db, c.id, None).left_on is None


def test_invalid_contact_is_refused(db, account_id: int) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError):
        contacts.add_contact(db, account_id, ContactDraft(name="", email="nope"))
    assert contacts.list_contacts(db, account_id) == []


def test_contact_for_missing_account(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFoundError):
        contacts.add_contact(db, 42, ContactDraft(name="Ghost"))


def test_remove_contact(db, account_id: int) -> None:  # type: ignore[no-untyped-def]
    c = contacts.add_contact(db, account_id, ContactDraft(name="Temp"))
    contacts.remove_contact(db, c.id)
    assert contacts.list_contacts(db, account_id) == []
    with pytest.raises(NotFoundError):
        contacts.remove_contact(db, c.id)
