"""The book as an import sees it: accounts, their CRM links, contacts, QBRs and notes,
loaded in a few queries so that planning a 100,000-row file never queries per row."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from csmdesk.domain.accounts import AccountDraft, ContactDraft
from csmdesk.models import Account, Contact, ExternalRef, Note, Touchpoint, TouchpointKind
from csmdesk.services.importing import convert
from csmdesk.store import Database


@dataclass
class Book:
    """What matching needs to know about the book, loaded once per plan."""

    accounts: dict[int, AccountDraft]
    by_domain: dict[str, list[int]]
    by_name: dict[str, list[int]]
    by_uid: dict[str, int]
    refs: dict[tuple[str, str, str], int]  # (provider, entity, external id) -> local id
    refs_of: dict[tuple[str, str, int], str]  # (provider, entity, local id) -> external id
    contacts: dict[int, list[tuple[int, ContactDraft]]]
    archived: set[int] = field(default_factory=set)
    qbr_days: set[tuple[int, date]] = field(default_factory=set)
    note_bodies: set[tuple[int, str]] = field(default_factory=set)


def load_book(db: Database, note_bodies: Iterable[str] = ()) -> Book:
    """What matching needs, in a few queries (notes only for the bodies the file brings)."""
    columns = (
        col(Account.id),
        col(Account.uid),
        col(Account.name),
        col(Account.domain),
        col(Account.segment),
        col(Account.industry),
        col(Account.arr_minor),
        col(Account.currency),
        col(Account.contract_start),
        col(Account.renewal_date),
        col(Account.lifecycle),
        col(Account.licensed_seats),
        col(Account.owner),
        col(Account.tags),
        col(Account.payment_issue),
        col(Account.archived_at),
        col(Account.cadence_days),
        col(Account.review_kind),
    )
    book = Book({}, {}, {}, {}, {}, {}, {})
    with db.engine.connect() as conn:
        for row in conn.execute(select(*columns)):
            fields: tuple[Any, ...] = tuple(row)
            (
                account_id,
                uid,
                name,
                dom,
                seg,
                ind,
                arr,
                cur,
                start,
                renewal,
                stage,
                seats,
                owner,
                tags,
                pay,
                archived_at,
                cadence,
                review,
            ) = fields
            if archived_at is not None:
                book.archived.add(account_id)
            book.accounts[account_id] = AccountDraft(
                name=name,
                domain=dom,
                segment=seg,
                industry=ind,
                arr_minor=arr,
                currency=cur,
                contract_start=start,
                renewal_date=renewal,
                lifecycle=stage,
                licensed_seats=seats,
                owner=owner,
                tags=convert.tags(tags),
                payment_issue=pay,
                cadence_days=cadence,
                review_kind=review,
            )
            book.by_uid[uid] = account_id
            if dom:
                book.by_domain.setdefault(dom, []).append(account_id)
            book.by_name.setdefault(name.casefold(), []).append(account_id)
        for provider, entity, entity_id, external_id in conn.execute(
            select(
                col(ExternalRef.provider),
                col(ExternalRef.entity),
                col(ExternalRef.entity_id),
                col(ExternalRef.external_id),
            )
        ):
            book.refs[(provider, entity, external_id)] = entity_id
            book.refs_of[(provider, entity, entity_id)] = external_id
        contact_cols = (
            col(Contact.id),
            col(Contact.account_id),
            col(Contact.name),
            col(Contact.email),
            col(Contact.title),
            col(Contact.phone),
            col(Contact.roles),
            col(Contact.is_primary),
            col(Contact.left_on),
        )
        contact_rows: Any = conn.execute(select(*contact_cols).order_by(col(Contact.id)))
        for cid, aid, name, email, title, phone, roles, primary, left in contact_rows:
            draft = ContactDraft(
                name=name,
                email=email,
                title=title,
                phone=phone,
                roles=tuple(r for r in roles.split(",") if r),
                is_primary=primary,
                left_on=left,
            )
            book.contacts.setdefault(aid, []).append((cid, draft))
        for account_id, when in conn.execute(
            select(col(Touchpoint.account_id), col(Touchpoint.occurred_at)).where(
                col(Touchpoint.kind).in_([TouchpointKind.QBR.value, TouchpointKind.EBR.value])
            )
        ):
            book.qbr_days.add((account_id, when.date()))
        bodies = sorted(note_bodies)
        for at in range(0, len(bodies), 500):
            chunk = bodies[at : at + 500]
            for account_id, body in conn.execute(
                select(col(Note.account_id), col(Note.body)).where(col(Note.body).in_(chunk))
            ):
                book.note_bodies.add((account_id, body))
    return book


def unique(ids: list[int] | None) -> int | None:
    return ids[0] if ids and len(ids) == 1 else None


def match_account(book: Book, values: dict[str, Any]) -> int | None:
    """CRM id, then CSM Desk id, then a domain or name that only one account has."""
    for provider, key in (("hubspot", "hubspot_id"), ("salesforce", "salesforce_id")):
        if key in values and (found := book.refs.get((provider, "account", values[key]))):
            return found
    if "csmdesk_id" in values and values["csmdesk_id"] in book.by_uid:
        return book.by_uid[values["csmdesk_id"]]
    if "domain" in values and (found := unique(book.by_domain.get(values["domain"]))):
        return found
    if "name" in values:
        return unique(book.by_name.get(values["name"].casefold()))
    return None
