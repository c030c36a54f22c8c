"""The ARR history of an account as the CSM keeps it: add, edit and delete events, and undo a
delete.

Every write keeps ``Account.arr_minor`` equal to the ARR after the account's latest event (by
date, then the order entered). Deleting the last event an account has leaves its ARR as it was:
the ARR is then a plain fact of the account again, as for an account created without history,
and the next change made in the account form starts a new history. (Setting it to 0 would
silently churn the account in every figure.)

Rules over plain values (validation, the order of events, same-day ties, which placeholders a
new event replaces) live in ``csmdesk.domain.arr_history``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select, update
from sqlmodel import Session, col

from csmdesk.domain.accounts import ValidationError
from csmdesk.domain.arr_history import arr_event_errors, placeholders_replaced
from csmdesk.models import Account, ArrEvent, ExternalRef, Renewal
from csmdesk.services import records
from csmdesk.services.accounts import NotFoundError
from csmdesk.store import Database

log = logging.getLogger(__name__)

# ExternalRef.entity of an ARR event (see book_format.ENTITY_SECTIONS).
_ENTITY = "arr_event"


@dataclass(frozen=True)
class DeletedRef:
    """A CRM link the deleted event had."""

    provider: str
    external_id: str
    remote_updated_at: datetime | None


@dataclass(frozen=True)
class DeletedArrEvent:
    """Everything ``restore_arr_event`` needs to bring a deleted event back as it was."""

    id: int
    uid: str
    account_id: int
    on: date
    kind: str
    arr_after_minor: int
    currency: str
    implicit: bool
    comment: str
    created_at: datetime
    updated_at: datetime
    renewal_ids: tuple[int, ...] = ()  # renewals whose outcome this event recorded
    external_refs: tuple[DeletedRef, ...] = ()


def _check(kind: str, arr_after_minor: int) -> None:
    errors = arr_event_errors(kind, arr_after_minor)
    if errors:
        raise ValidationError(errors)


def _events(s: Session, account_id: int) -> list[ArrEvent]:
    return list(
        s.scalars(
            select(ArrEvent)
            .where(col(ArrEvent.account_id) == account_id)
            .order_by(col(ArrEvent.on), col(ArrEvent.id))
        )
    )


def _sync_account_arr(s: Session, account_id: int) -> None:
    """Make the account's ARR the ARR after its latest event (left alone when it has none)."""
    s.flush()
    latest = s.scalars(
        select(ArrEvent)
        .where(col(ArrEvent.account_id) == account_id)
        .order_by(col(ArrEvent.on).desc(), col(ArrEvent.id).desc())
        .limit(1)
    ).first()
    if latest is not None:
        s.execute(
            update(Account)
            .where(col(Account.id) == account_id, col(Account.arr_minor) != latest.arr_after_minor)
            .values(arr_minor=latest.arr_after_minor)
        )


def record_arr_event(
    db: Database,
    account_id: int,
    *,
    on: date,
    kind: str,
    arr_after_minor: int,
    comment: str = "",
) -> ArrEvent:
    """Add an event by hand (the ARR tab's Add…), in the account's currency.

    Unlike a recorded history arriving in bulk (``records.add_arr_event``, which replaces the
    placeholder made with the account), a placeholder dated before the new event is the base of
    that movement, so it is kept and confirmed; only placeholders dated on or after it give way
    (rule: ``domain.arr_history.placeholders_replaced``)."""
    _check(kind, arr_after_minor)
    with db.session() as s:
        if s.get(Account, account_id) is None:
            raise NotFoundError(f"account {account_id} does not exist")
        events = _events(s, account_id)
        replaced = {e.id for e in placeholders_replaced(events, on)}
        for event in events:
            if event.implicit and event.id not in replaced:
                event.implicit = False
        s.flush()
        added = records.add_arr_event(
            db, account_id, on, kind, arr_after_minor, comment=comment.strip(), session=s
        )
        _sync_account_arr(s, account_id)
        log.info("ARR event %s added to account %s", added.id, account_id)
        return added


def update_arr_event(
    db: Database,
    event_id: int,
    *,
    on: date,
    kind: str,
    arr_after_minor: int,
    comment: str,
) -> ArrEvent:
    """Save the CSM's edit of an event; an edited placeholder becomes a recorded event."""
    _check(kind, arr_after_minor)
    with db.session() as s:
        event = s.get(ArrEvent, event_id)
        if event is None:
            raise NotFoundError(f"ARR event {event_id} does not exist")
        event.on = on
        event.kind = kind
        event.arr_after_minor = arr_after_minor
        event.comment = comment.strip()
        event.implicit = False
        _sync_account_arr(s, event.account_id)
        s.refresh(event)
        log.info("ARR event %s edited", event_id)
        return event


def delete_arr_event(db: Database, event_id: int) -> DeletedArrEvent:
    """Delete an event; the returned snapshot undoes it with ``restore_arr_event``.

    A renewal whose outcome the event recorded keeps its outcome but loses the link (as the
    schema's ``ON DELETE SET NULL`` would); the snapshot remembers it to link it again."""
    with db.session() as s:
        event = s.get(ArrEvent, event_id)
        if event is None:
            raise NotFoundError(f"ARR event {event_id} does not exist")
        renewal_ids = tuple(
            s.scalars(select(col(Renewal.id)).where(col(Renewal.arr_event_id) == event_id))
        )
        refs = s.scalars(
            select(ExternalRef).where(
                col(ExternalRef.entity) == _ENTITY, col(ExternalRef.entity_id) == event_id
            )
        ).all()
        snapshot = DeletedArrEvent(
            id=event_id,
            uid=event.uid,
            account_id=event.account_id,
            on=event.on,
            kind=event.kind,
            arr_after_minor=event.arr_after_minor,
            currency=event.currency,
            implicit=event.implicit,
            comment=event.comment,
            created_at=event.created_at,
            updated_at=event.updated_at,
            renewal_ids=tuple(r for r in renewal_ids if r is not None),
            external_refs=tuple(
                DeletedRef(r.provider, r.external_id, r.remote_updated_at) for r in refs
            ),
        )
        if renewal_ids:
            s.execute(
                update(Renewal)
                .where(col(Renewal.arr_event_id) == event_id)
                .values(arr_event_id=None)
            )
        s.execute(
            delete(ExternalRef).where(
                col(ExternalRef.entity) == _ENTITY, col(ExternalRef.entity_id) == event_id
            )
        )
        s.delete(event)
        _sync_account_arr(s, snapshot.account_id)
        log.info("ARR event %s deleted from account %s", event_id, snapshot.account_id)
        return snapshot


def restore_arr_event(db: Database, snapshot: DeletedArrEvent) -> ArrEvent:
    """Bring a deleted event back: same uid, values and (when still free) id, so it keeps its
    place among events of the same day; its renewal and CRM links come back too."""
    _check(snapshot.kind, snapshot.arr_after_minor)
    with db.session() as s:
        if s.get(Account, snapshot.account_id) is None:
            raise NotFoundError(f"account {snapshot.account_id} does not exist")
        existing = s.scalars(select(ArrEvent).where(col(ArrEvent.uid) == snapshot.uid)).first()
        if existing is not None:
            return existing  # already restored
        event = ArrEvent(
            id=snapshot.id if s.get(ArrEvent, snapshot.id) is None else None,
            uid=snapshot.uid,
            account_id=snapshot.account_id,
            on=snapshot.on,
            kind=snapshot.kind,
            arr_after_minor=snapshot.arr_after_minor,
            currency=snapshot.currency,
            implicit=snapshot.implicit,
            comment=snapshot.comment,
            created_at=snapshot.created_at,
            updated_at=snapshot.updated_at,
        )
        s.add(event)
        s.flush()
        assert event.id is not None
        if snapshot.renewal_ids:
            s.execute(
                update(Renewal)
                .where(
                    col(Renewal.id).in_(snapshot.renewal_ids),
                    col(Renewal.account_id) == snapshot.account_id,
                    col(Renewal.arr_event_id).is_(None),
                )
                .values(arr_event_id=event.id)
            )
        for ref in snapshot.external_refs:
            taken = s.scalars(
                select(ExternalRef).where(
                    col(ExternalRef.provider) == ref.provider,
                    col(ExternalRef.entity) == _ENTITY,
                    (col(ExternalRef.external_id) == ref.external_id)
                    | (col(ExternalRef.entity_id) == event.id),
                )
            ).first()
            if taken is None:
                s.add(
                    ExternalRef(
                        provider=ref.provider,
                        entity=_ENTITY,
                        entity_id=event.id,
                        external_id=ref.external_id,
                        remote_updated_at=ref.remote_updated_at,
                    )
                )
        _sync_account_arr(s, snapshot.account_id)
        s.refresh(event)
        log.info("ARR event %s restored to account %s", event.id, snapshot.account_id)
        return event


def renewal_links(db: Database, account_id: int) -> dict[int, date]:
    """ARR event id → the date of the renewal whose outcome it records."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(col(Renewal.arr_event_id), col(Renewal.renewal_date)).where(
                col(Renewal.account_id) == account_id, col(Renewal.arr_event_id).is_not(None)
            )
        ).all()
    return {event_id: on for event_id, on in rows if event_id is not None}
