"""Contacts of an account: who we talk to, and who holds which role."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, func, select, update
from sqlmodel import Session, col

from csmdesk.domain.accounts import ContactDraft, ValidationError, validate_contact
from csmdesk.models import Account, Contact, ContactRole, ExternalRef
from csmdesk.services.accounts import NotFoundError
from csmdesk.store import Database


def list_contacts(db: Database, account_id: int) -> list[Contact]:
    """Current contacts first (primary, then by name); those who left last."""
    with db.session() as s:
        return list(
            s.scalars(
                select(Contact)
                .where(col(Contact.account_id) == account_id)
                .order_by(
                    col(Contact.left_on).is_not(None),
                    col(Contact.is_primary).desc(),
                    func.lower(Contact.name),
                )
            )
        )


def draft_of(contact: Contact) -> ContactDraft:
    return ContactDraft(
        name=contact.name,
        email=contact.email,
        title=contact.title,
        phone=contact.phone,
        roles=tuple(r for r in contact.roles.split(",") if r),
        is_primary=contact.is_primary,
        left_on=contact.left_on,
    )


def _checked(draft: ContactDraft) -> ContactDraft:
    clean = draft.normalized()
    errors = validate_contact(clean)
    if errors:
        raise ValidationError(errors)
    return clean


def _apply(contact: Contact, draft: ContactDraft) -> None:
    contact.name = draft.name
    contact.email = draft.email
    contact.title = draft.title
    contact.phone = draft.phone
    contact.roles = ",".join(draft.roles)
    contact.is_primary = draft.is_primary
    contact.left_on = draft.left_on


def _one_primary(s: Session, account_id: int, keep_id: int) -> None:
    s.execute(
        update(Contact)
        .where(col(Contact.account_id) == account_id, col(Contact.id) != keep_id)
        .values(is_primary=False)
    )


def add_contact(
    db: Database, account_id: int, draft: ContactDraft, *, session: Session | None = None
) -> Contact:
    clean = _checked(draft)
    with db.unit(session) as s:
        if s.get(Account, account_id) is None:
            raise NotFoundError(f"account {account_id} does not exist")
        contact = Contact(account_id=account_id, name=clean.name)
        _apply(contact, clean)
        s.add(contact)
        s.flush()
        assert contact.id is not None
        if clean.is_primary:
            _one_primary(s, account_id, contact.id)
        s.flush()
        s.refresh(contact)
        return contact


def update_contact(db: Database, contact_id: int, draft: ContactDraft) -> Contact:
    clean = _checked(draft)
    with db.session() as s:
        contact = s.get(Contact, contact_id)
        if contact is None:
            raise NotFoundError(f"contact {contact_id} does not exist")
        _apply(contact, clean)
        if clean.is_primary:
            _one_primary(s, contact.account_id, contact_id)
        s.flush()
        s.refresh(contact)
        return contact


def set_role(db: Database, contact_id: int, role: ContactRole, on: bool = True) -> Contact:
    with db.session() as s:
        contact = s.get(Contact, contact_id)
        if contact is None:
            raise NotFoundError(f"contact {contact_id} does not exist")
        roles = {r for r in contact.roles.split(",") if r}
        roles = roles | {role.value} if on else roles - {role.value}
        contact.roles = ",".join(r.value for r in ContactRole if r.value in roles)
        s.flush()
        s.refresh(contact)
        return contact


def mark_left(db: Database, contact_id: int, on: date | None) -> Contact:
    """Record that the contact left the company (``None`` undoes it)."""
    with db.session() as s:
        contact = s.get(Contact, contact_id)
        if contact is None:
            raise NotFoundError(f"contact {contact_id} does not exist")
        contact.left_on = on
        if on is not None:
            contact.is_primary = False
        s.flush()
        s.refresh(contact)
        return contact


def remove_contact(db: Database, contact_id: int) -> None:
    with db.session() as s:
        contact = s.get(Contact, contact_id)
        if contact is None:
            raise NotFoundError(f"contact {contact_id} does not exist")
        s.execute(
            delete(ExternalRef).where(
                col(ExternalRef.entity) == "contact", col(ExternalRef.entity_id) == contact_id
            )
        )
        s.delete(contact)
