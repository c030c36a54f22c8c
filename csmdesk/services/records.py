"""The records around an account: milestones, touchpoints, notes, action items,
health readings, risks, opportunities, ARR events and links to CRM records.

Every function takes an optional ``session`` so that a batch (the demo book, an
import, a sync) can write many records in one all-or-nothing transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import delete, func, insert, select, update
from sqlmodel import Session, col

from csmdesk.domain.accounts import ValidationError
from csmdesk.domain.arr_history import arr_event_errors
from csmdesk.domain.readings import check_reading
from csmdesk.models import (
    Account,
    ActionItem,
    ArrEvent,
    ExternalRef,
    HealthReading,
    Meta,
    Milestone,
    MilestoneOwner,
    Note,
    NoteKind,
    Opportunity,
    OpportunityStage,
    Risk,
    RiskSeverity,
    RiskStatus,
    Touchpoint,
    TouchpointAttendee,
    TouchpointKind,
    new_uid,
    utcnow,
)
from csmdesk.services.accounts import NotFoundError
from csmdesk.store import Database


def _require(value: str, allowed: type, field: str) -> None:
    values = {m.value for m in allowed}  # type: ignore[attr-defined]
    if value not in values:
        raise ValidationError({field: f"'{value}' is not one of {', '.join(sorted(values))}."})


def _require_account(s: Session, account_id: int) -> Account:
    account = s.get(Account, account_id)
    if account is None:
        raise NotFoundError(f"account {account_id} does not exist")
    return account


def _add(s: Session, record: object) -> None:
    s.add(record)
    s.flush()


# --- milestones -------------------------------------------------------------


def add_milestone(
    db: Database,
    account_id: int,
    title: str,
    *,
    due_date: date | None = None,
    start_date: date | None = None,
    owner_side: str = MilestoneOwner.US.value,
    plan: str | None = None,
    description: str = "",
    position: int | None = None,
    completed_on: date | None = None,
    session: Session | None = None,
) -> Milestone:
    if not title.strip():
        raise ValidationError({"title": "A milestone needs a title."})
    _require(owner_side, MilestoneOwner, "owner_side")
    with db.unit(session) as s:
        _require_account(s, account_id)
        if position is None:
            last = s.scalar(
                select(func.max(col(Milestone.position))).where(
                    col(Milestone.account_id) == account_id
                )
            )
            position = 0 if last is None else last + 1
        milestone = Milestone(
            account_id=account_id,
            title=title.strip(),
            due_date=due_date,
            start_date=start_date,
            owner_side=owner_side,
            plan=plan,
            description=description,
            position=position,
            completed_on=completed_on,
        )
        _add(s, milestone)
        return milestone


def list_milestones(db: Database, account_id: int) -> list[Milestone]:
    with db.session() as s:
        return list(
            s.scalars(
                select(Milestone)
                .where(col(Milestone.account_id) == account_id)
                .order_by(col(Milestone.position), col(Milestone.id))
            )
        )


def complete_milestone(db: Database, milestone_id: int, on: date | None) -> None:
    """Mark done on ``on`` (``None`` reopens it)."""
    with db.session() as s:
        milestone = s.get(Milestone, milestone_id)
        if milestone is None:
            raise NotFoundError(f"milestone {milestone_id} does not exist")
        milestone.completed_on = on
        milestone.skipped_reason = None if on else milestone.skipped_reason


def skip_milestone(db: Database, milestone_id: int, reason: str) -> None:
    if not reason.strip():
        raise ValidationError({"reason": "Say why the milestone is skipped."})
    with db.session() as s:
        milestone = s.get(Milestone, milestone_id)
        if milestone is None:
            raise NotFoundError(f"milestone {milestone_id} does not exist")
        milestone.skipped_reason = reason.strip()


# --- touchpoints and notes ---------------------------------------------------


def log_touchpoint(
    db: Database,
    account_id: int,
    kind: str,
    occurred_at: datetime,
    *,
    summary: str = "",
    duration_minutes: int | None = None,
    attendee_ids: Iterable[int] = (),
    session: Session | None = None,
) -> Touchpoint:
    _require(kind, TouchpointKind, "kind")
    if duration_minutes is not None and duration_minutes < 0:
        raise ValidationError({"duration_minutes": "A duration cannot be negative."})
    if occurred_at.tzinfo is None:
        raise ValidationError({"occurred_at": "The time needs a time zone (use UTC)."})
    with db.unit(session) as s:
        _require_account(s, account_id)
        touchpoint = Touchpoint(
            account_id=account_id,
            kind=kind,
            occurred_at=occurred_at,
            summary=summary.strip()[:500],
            duration_minutes=duration_minutes,
        )
        _add(s, touchpoint)
        assert touchpoint.id is not None
        for contact_id in dict.fromkeys(attendee_ids):
            s.add(TouchpointAttendee(touchpoint_id=touchpoint.id, contact_id=contact_id))
        s.flush()
        return touchpoint


def last_touchpoint(db: Database, account_id: int) -> Touchpoint | None:
    with db.session() as s:
        return s.scalars(
            select(Touchpoint)
            .where(col(Touchpoint.account_id) == account_id)
            .order_by(col(Touchpoint.occurred_at).desc())
            .limit(1)
        ).first()


def add_note(
    db: Database,
    account_id: int,
    body: str,
    *,
    kind: str = NoteKind.GENERAL.value,
    title: str = "",
    touchpoint_id: int | None = None,
    created_at: datetime | None = None,
    session: Session | None = None,
) -> Note:
    _require(kind, NoteKind, "kind")
    with db.unit(session) as s:
        _require_account(s, account_id)
        note = Note(
            account_id=account_id,
            body=body,
            kind=kind,
            title=title.strip(),
            touchpoint_id=touchpoint_id,
        )
        if created_at is not None:
            note.created_at = note.updated_at = created_at
        _add(s, note)
        return note


def search_note_ids(db: Database, query: str, limit: int = 50) -> list[int]:
    """Note ids matching every word of ``query``, best first. Any text is a valid query."""
    words = [w.replace('"', '""') for w in query.split()]
    if not words:
        return []
    match = " ".join(f'"{w}"' for w in words)
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT rowid FROM note_fts WHERE note_fts MATCH ? ORDER BY rank LIMIT ?",
            (match, limit),
        ).all()
    return [r[0] for r in rows]


def list_notes(db: Database, account_id: int) -> list[Note]:
    with db.session() as s:
        return list(
            s.scalars(
                select(Note)
                .where(col(Note.account_id) == account_id, col(Note.archived_at).is_(None))
                .order_by(col(Note.created_at).desc())
            )
        )


# --- action items --------------------------------------------------------------


def add_action_item(
    db: Database,
    account_id: int,
    text: str,
    *,
    owner: str | None = None,
    due_date: date | None = None,
    note_id: int | None = None,
    done_on: date | None = None,
    session: Session | None = None,
) -> ActionItem:
    if not text.strip():
        raise ValidationError({"text": "An action item needs some text."})
    with db.unit(session) as s:
        _require_account(s, account_id)
        item = ActionItem(
            account_id=account_id,
            text=text.strip()[:500],
            owner=owner,
            due_date=due_date,
            note_id=note_id,
            done_on=done_on,
        )
        _add(s, item)
        return item


def set_action_done(db: Database, item_id: int, on: date | None) -> None:
    with db.session() as s:
        item = s.get(ActionItem, item_id)
        if item is None:
            raise NotFoundError(f"action item {item_id} does not exist")
        item.done_on = on


# --- health readings -------------------------------------------------------------


def _check_reading(values: dict[str, float | int | None]) -> None:
    errors = check_reading(values)
    if errors:
        raise ValidationError(errors)


def record_health(
    db: Database,
    account_id: int,
    on: date,
    *,
    session: Session | None = None,
    **metrics: float | int | None,
) -> HealthReading:
    """Record (or replace) the reading of ``account_id`` on ``on``."""
    _check_reading(metrics)
    with db.unit(session) as s:
        _require_account(s, account_id)
        reading = s.scalars(
            select(HealthReading).where(
                col(HealthReading.account_id) == account_id, col(HealthReading.on) == on
            )
        ).first()
        if reading is None:
            reading = HealthReading(account_id=account_id, on=on)
        for key, value in metrics.items():
            setattr(reading, key, value)
        _add(s, reading)
        return reading


def add_health_series(
    db: Database,
    account_id: int,
    readings: Iterable[tuple[date, dict[str, float | int | None]]],
    *,
    session: Session | None = None,
) -> int:
    """Insert many new readings at once (a history from the demo, an import or a sync)."""
    now = utcnow()
    rows = []
    for on, metrics in readings:
        _check_reading(metrics)
        rows.append(
            {
                "account_id": account_id,
                "on": on,
                "uid": new_uid(),
                "created_at": now,
                "updated_at": now,
                **metrics,
            }
        )
    if not rows:
        return 0
    with db.unit(session) as s:
        _require_account(s, account_id)
        s.execute(insert(HealthReading), rows)
        return len(rows)


def list_health(db: Database, account_id: int) -> list[HealthReading]:
    with db.session() as s:
        return list(
            s.scalars(
                select(HealthReading)
                .where(col(HealthReading.account_id) == account_id)
                .order_by(col(HealthReading.on))
            )
        )


# --- risks and opportunities -------------------------------------------------------


def open_risk(
    db: Database,
    account_id: int,
    kind: str,
    title: str,
    *,
    opened_on: date,
    severity: str = RiskSeverity.MEDIUM.value,
    detail: str = "",
    session: Session | None = None,
) -> Risk:
    _require(severity, RiskSeverity, "severity")
    if not title.strip() or not kind.strip():
        raise ValidationError({"title": "A risk needs a kind and a title."})
    with db.unit(session) as s:
        _require_account(s, account_id)
        risk = Risk(
            account_id=account_id,
            kind=kind,
            title=title.strip(),
            severity=severity,
            detail=detail,
            opened_on=opened_on,
        )
        _add(s, risk)
        return risk


def set_risk_status(
    db: Database,
    risk_id: int,
    status: str,
    *,
    on: date,
    recovery_plan: str | None = None,
    escalated_to: str | None = None,
    session: Session | None = None,
) -> Risk:
    _require(status, RiskStatus, "status")
    with db.unit(session) as s:
        risk = s.get(Risk, risk_id)
        if risk is None:
            raise NotFoundError(f"risk {risk_id} does not exist")
        risk.status = status
        risk.resolved_on = on if status == RiskStatus.RESOLVED.value else None
        if recovery_plan is not None:
            risk.recovery_plan = recovery_plan
        if escalated_to is not None:
            risk.escalated_to = escalated_to or None
        s.flush()
        return risk


def add_opportunity(
    db: Database,
    account_id: int,
    title: str,
    *,
    amount_minor: int = 0,
    currency: str = "USD",
    stage: str = OpportunityStage.IDENTIFIED.value,
    kind: str = "upsell",
    close_date: date | None = None,
    source: str = "local",
    session: Session | None = None,
) -> Opportunity:
    _require(stage, OpportunityStage, "stage")
    if amount_minor < 0:
        raise ValidationError({"amount": "An amount cannot be negative."})
    if not title.strip():
        raise ValidationError({"title": "An opportunity needs a title."})
    with db.unit(session) as s:
        _require_account(s, account_id)
        opp = Opportunity(
            account_id=account_id,
            title=title.strip(),
            amount_minor=amount_minor,
            currency=currency,
            stage=stage,
            kind=kind,
            close_date=close_date,
            source=source,
        )
        _add(s, opp)
        return opp


def list_opportunities(db: Database, account_id: int) -> list[Opportunity]:
    with db.session() as s:
        return list(
            s.scalars(
                select(Opportunity)
                .where(col(Opportunity.account_id) == account_id)
                .order_by(col(Opportunity.created_at).desc(), col(Opportunity.id).desc())
            )
        )


# --- ARR events --------------------------------------------------------------------


def add_arr_event(
    db: Database,
    account_id: int,
    on: date,
    kind: str,
    arr_after_minor: int,
    *,
    currency: str | None = None,
    comment: str = "",
    session: Session | None = None,
) -> ArrEvent:
    """Record an ARR movement; the account's ARR follows its latest event."""
    errors = arr_event_errors(kind, arr_after_minor)
    if errors:
        raise ValidationError(errors)
    with db.unit(session) as s:
        account = _require_account(s, account_id)
        # A recorded history replaces the placeholder made when the account was created.
        s.execute(
            delete(ArrEvent).where(col(ArrEvent.account_id) == account_id, col(ArrEvent.implicit))
        )
        event = ArrEvent(
            account_id=account_id,
            on=on,
            kind=kind,
            arr_after_minor=arr_after_minor,
            currency=currency or account.currency,
            comment=comment,
        )
        _add(s, event)
        latest = s.scalars(
            select(ArrEvent)
            .where(col(ArrEvent.account_id) == account_id)
            .order_by(col(ArrEvent.on).desc(), col(ArrEvent.id).desc())
            .limit(1)
        ).first()
        if latest is not None and latest.id == event.id:
            s.execute(
                update(Account)
                .where(col(Account.id) == account_id)
                .values(arr_minor=arr_after_minor)
            )
        return event


def list_arr_events(db: Database, account_id: int) -> list[ArrEvent]:
    with db.session() as s:
        return list(
            s.scalars(
                select(ArrEvent)
                .where(col(ArrEvent.account_id) == account_id)
                .order_by(col(ArrEvent.on), col(ArrEvent.id))
            )
        )


# --- links to CRM records -------------------------------------------------------------


def link_external(
    db: Database,
    provider: str,
    entity: str,
    entity_id: int,
    external_id: str,
    *,
    session: Session | None = None,
) -> ExternalRef:
    """Link a local record to its CRM twin (idempotent; re-links if the remote id changed)."""
    with db.unit(session) as s:
        ref = s.scalars(
            select(ExternalRef).where(
                col(ExternalRef.provider) == provider,
                col(ExternalRef.entity) == entity,
                col(ExternalRef.entity_id) == entity_id,
            )
        ).first()
        if ref is None:
            ref = ExternalRef(
                provider=provider, entity=entity, entity_id=entity_id, external_id=external_id
            )
        ref.external_id = external_id
        _add(s, ref)
        return ref


def find_external(db: Database, provider: str, entity: str, external_id: str) -> int | None:
    """The local id linked to a CRM record, if any."""
    with db.engine.connect() as conn:
        return conn.execute(
            select(col(ExternalRef.entity_id)).where(
                col(ExternalRef.provider) == provider,
                col(ExternalRef.entity) == entity,
                col(ExternalRef.external_id) == external_id,
            )
        ).scalar_one_or_none()


# --- facts about the database itself ---------------------------------------------------


def get_meta(db: Database, key: str) -> str | None:
    with db.engine.connect() as conn:
        return conn.execute(
            select(col(Meta.value)).where(col(Meta.key) == key)
        ).scalar_one_or_none()


def set_meta(db: Database, key: str, value: str, *, session: Session | None = None) -> None:
    with db.unit(session) as s:
        s.merge(Meta(key=key, value=value))
