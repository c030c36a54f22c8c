"""Accounts: the book itself."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from sqlalchemy import delete, func, select, update
from sqlmodel import Session, col

from csmdesk.domain.accounts import (
    AccountDraft,
    ValidationError,
    normalize_domain,
    normalize_tags,
    validate_account,
)
from csmdesk.models import (
    Account,
    ArrEvent,
    ArrEventKind,
    Contact,
    ExternalRef,
    HealthScore,
    utcnow,
)
from csmdesk.store import Database


class NotFoundError(LookupError):
    pass


class BookRow(NamedTuple):
    """One line of the book table: only what the table shows, loaded in one query."""

    id: int
    name: str
    domain: str | None
    segment: str
    arr_minor: int
    currency: str
    renewal_date: date | None
    lifecycle: str
    owner: str | None
    tags: str
    archived: bool
    industry: str | None
    health: int | None = None  # latest score 0..100 (None: not scored or no data)
    health_band: str | None = None  # the band shown: a manual override wins
    health_trend: int | None = None  # points against 30 days earlier


_BOOK_COLUMNS = (
    col(Account.id),
    col(Account.name),
    col(Account.domain),
    col(Account.segment),
    col(Account.arr_minor),
    col(Account.currency),
    col(Account.renewal_date),
    col(Account.lifecycle),
    col(Account.owner),
    col(Account.tags),
    col(Account.archived_at).is_not(None),
    col(Account.industry),
    col(HealthScore.value),
    col(HealthScore.effective_band),
    col(HealthScore.trend),
)


def _book_select() -> Any:
    return select(*_BOOK_COLUMNS).outerjoin(
        HealthScore, col(HealthScore.account_id) == col(Account.id)
    )


def list_book(db: Database) -> list[BookRow]:
    with db.engine.connect() as conn:
        rows = conn.execute(_book_select().order_by(func.lower(Account.name))).all()
    return [BookRow._make(r) for r in rows]


def book_row(db: Database, account_id: int) -> BookRow:
    with db.engine.connect() as conn:
        row = conn.execute(_book_select().where(col(Account.id) == account_id)).first()
    if row is None:
        raise NotFoundError(f"account {account_id} does not exist")
    return BookRow._make(row)


def count_accounts(db: Database, *, include_archived: bool = False) -> int:
    query = select(func.count()).select_from(Account)
    if not include_archived:
        query = query.where(col(Account.archived_at).is_(None))
    with db.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def get_account(db: Database, account_id: int) -> Account:
    with db.session() as s:
        account = s.get(Account, account_id)
        if account is None:
            raise NotFoundError(f"account {account_id} does not exist")
        return account


def draft_of(account: Account) -> AccountDraft:
    return AccountDraft(
        name=account.name,
        domain=account.domain,
        segment=account.segment,
        industry=account.industry,
        arr_minor=account.arr_minor,
        currency=account.currency,
        contract_start=account.contract_start,
        renewal_date=account.renewal_date,
        lifecycle=account.lifecycle,
        licensed_seats=account.licensed_seats,
        owner=account.owner,
        tags=normalize_tags(account.tags),
        payment_issue=account.payment_issue,
        cadence_days=account.cadence_days,
        review_kind=account.review_kind,
    )


def domain_conflict(
    db: Database, domain: str | None, *, exclude_id: int | None = None
) -> str | None:
    """Name of another account already using ``domain`` (a warning, not an error)."""
    value = normalize_domain(domain)
    if not value:
        return None
    query = select(col(Account.name)).where(col(Account.domain) == value)
    if exclude_id is not None:
        query = query.where(col(Account.id) != exclude_id)
    with db.engine.connect() as conn:
        return conn.execute(query.limit(1)).scalar_one_or_none()


def _checked(draft: AccountDraft) -> AccountDraft:
    clean = draft.normalized()
    errors = validate_account(clean)
    if errors:
        raise ValidationError(errors)
    return clean


def _apply(account: Account, draft: AccountDraft) -> None:
    for key, value in draft.as_dict().items():
        setattr(account, key, value)


def create_account(
    db: Database, draft: AccountDraft, *, today: date | None = None, session: Session | None = None
) -> Account:
    """Create an account; an ARR without history gets an implicit ``new`` event."""
    clean = _checked(draft)
    with db.unit(session) as s:
        account = Account(name=clean.name)
        _apply(account, clean)
        s.add(account)
        s.flush()
        assert account.id is not None
        if clean.arr_minor > 0:
            s.add(
                ArrEvent(
                    account_id=account.id,
                    on=clean.contract_start or today or datetime.now(UTC).date(),
                    kind=ArrEventKind.NEW.value,
                    arr_after_minor=clean.arr_minor,
                    currency=clean.currency,
                    implicit=True,
                )
            )
        s.flush()
        s.refresh(account)
        return account


ARR_CHANGE_KINDS = ("expansion", "contraction", "correction")


def update_account(
    db: Database,
    account_id: int,
    draft: AccountDraft,
    *,
    arr_change: str | None = None,
    today: date | None = None,
) -> Account:
    """Save edits. A changed ARR records an ARR event (or amends the latest, for a correction)."""
    clean = _checked(draft)
    if arr_change is not None and arr_change not in ARR_CHANGE_KINDS:
        raise ValueError(f"arr_change must be one of {ARR_CHANGE_KINDS}")
    on = today or datetime.now(UTC).date()
    with db.session() as s:
        account = s.get(Account, account_id)
        if account is None:
            raise NotFoundError(f"account {account_id} does not exist")
        before = account.arr_minor
        _apply(account, clean)
        if clean.arr_minor != before:
            record_arr_change(s, account, before, clean.arr_minor, arr_change, on)
        s.flush()
        s.refresh(account)
        return account


def record_arr_change(
    s: Session, account: Account, before: int, after: int, kind: str | None, on: date
) -> None:
    account_id = account.id
    assert account_id is not None, "record_arr_change needs a saved account"
    latest = s.scalars(
        select(ArrEvent)
        .where(col(ArrEvent.account_id) == account_id)
        .order_by(col(ArrEvent.on).desc(), col(ArrEvent.id).desc())
        .limit(1)
    ).first()
    if kind == "correction" and latest is not None:
        latest.arr_after_minor = after
        latest.currency = account.currency
        return
    if latest is None:
        event_kind = ArrEventKind.NEW.value
    elif after == 0:
        event_kind = ArrEventKind.CHURN.value
    elif before == 0:
        event_kind = ArrEventKind.REACTIVATION.value
    else:
        event_kind = (ArrEventKind.EXPANSION if after > before else ArrEventKind.CONTRACTION).value
    s.add(
        ArrEvent(
            account_id=account_id,
            on=on,
            kind=event_kind,
            arr_after_minor=after,
            currency=account.currency,
            implicit=latest is None,
        )
    )


def set_archived(db: Database, account_ids: list[int], archived: bool) -> None:
    """Archive or restore accounts (the undoable alternative to deleting)."""
    with db.session() as s:
        s.execute(
            update(Account)
            .where(col(Account.id).in_(account_ids))
            .values(archived_at=utcnow() if archived else None, updated_at=utcnow())
        )


class NotArchivedError(ValueError):
    pass


def delete_account(db: Database, account_id: int) -> None:
    """Delete for good; only archived accounts may be deleted."""
    with db.session() as s:
        account = s.get(Account, account_id)
        if account is None:
            raise NotFoundError(f"account {account_id} does not exist")
        if account.archived_at is None:
            raise NotArchivedError("Archive the account before deleting it.")
        contact_ids = select(col(Contact.id)).where(col(Contact.account_id) == account_id)
        s.execute(
            delete(ExternalRef).where(
                col(ExternalRef.entity) == "account", col(ExternalRef.entity_id) == account_id
            )
        )
        s.execute(
            delete(ExternalRef).where(
                col(ExternalRef.entity) == "contact", col(ExternalRef.entity_id).in_(contact_ids)
            )
        )
        s.delete(account)
